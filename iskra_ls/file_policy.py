"""Which names are secret, and which need the user's consent to change: the rules.

The ONE place that lists them, as classes of files; the README's Safety section
shows them verbatim (a unit test keeps the two equal). A file has several names
-- as written, resolved, through links -- and :mod:`iskra_ls.file_service` asks
these rules of every one of them, for the action tools and the completion context
alike; this module only judges names.

Pattern language (matching is case-insensitive, on ``/``-separated paths):

* ``name/`` -- a directory with that name, anywhere, and everything in it;
* ``name`` (no ``/``) -- a file or directory with that name, anywhere (a match on a
  directory covers its contents too); ``*``, ``?`` and ``[...]`` are
  :mod:`fnmatch` wildcards within one name, ``{a,b}`` either spelling;
* ``a/b`` -- consecutive names, anywhere in the path (``.aws/credentials`` also
  matches ``home/me/.aws/credentials``); a leading ``/`` anchors it at the
  workspace root (``/config/prod.yaml``).

Rules that cover the next case by construction: ``.yml`` and ``.yaml`` are one
spelling; a backup or editor copy of a secret is secret (:func:`original_names`);
names are compared the way Windows opens them (trailing dots and spaces and an
alternate-data-stream suffix are ignored, so ``.env.``, ``.ENV`` and
``.env::$DATA`` are all ``.env``).

Pure: no server, no network, no filesystem.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

SECRET_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("environment files", (".env*", "*.env", ".envrc")),
    ("private keys and key stores", (
        "*.pem", "*.key", "*.p8", "*.p12", "*.pfx", "*.pkcs12", "*.ppk", "*.keystore", "*.jks",
        "*.keytab", "*.kdbx", "*.ovpn", "id_rsa*", "id_ed25519*", "id_ecdsa*", "id_dsa*",
        ".ssh/", ".gnupg/",
    )),
    ("version control internals", (
        ".git/", ".hg/", ".svn/", ".bzr/", ".jj/", "_darcs/", ".git-credentials", ".gitcookies",
    )),
    ("package registries and network logins", (
        ".npmrc", ".yarnrc", ".yarnrc.yml", ".pypirc", "pip.conf", "pip.ini", ".gem/credentials",
        ".bundle/config", ".m2/settings*.xml", ".gradle/gradle.properties",
        ".cargo/credentials*", ".netrc", "_netrc", ".pgpass", ".my.cnf", ".htpasswd",
        "auth.json", ".vault-token", ".config/gh/hosts.yml", ".config/hub", ".boto", ".s3cfg",
        ".passwd-s3fs", ".databrickscfg", "rclone.conf",
    )),
    ("credentials and secrets by name", (
        "credentials.{json,yml,toml,ini,xml,txt,cfg,conf,properties,env}", "*.credentials",
        "secrets.{json,yml,toml,ini,xml,txt,cfg,conf,properties,env}", "*.secret", "*.secrets",
        ".secrets*", "service-account*.json", "client_secret*.json",
        "application_default_credentials.json",
    )),
    ("cloud and cluster credentials", (
        ".aws/", ".azure/", ".config/gcloud/", ".docker/config.json", ".kube/config",
        "*.kubeconfig", ".terraform.d/credentials*",
    )),
    ("infrastructure state and variables", (
        "*.tfvars", "*.tfvars.json", "*.tfstate", "*.tfstate.*", ".terraformrc", "terraform.rc",
    )),
    ("shell and tool histories", (
        ".*history", "fish_history", ".histfile", ".lesshst", ".viminfo",
    )),
    # Iskra's own token file (iskra_ls.api.auth.TokenStore: <config dir>/iskra/token)
    ("Iskra's token", ("iskra/token",)),
)
"""Secret files: never read, listed, written or sent as completion context; so is any
backup or editor copy of one (:func:`original_names`). ``actions.secretGlobs`` adds to
these; nothing removes from them."""

CONSENT_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("editor project settings, tasks and scripts", (
        ".vscode/", "*.code-workspace", ".idea/", ".fleet/", ".zed/", ".helix/", ".vs/",
        ".theia/", "*.sublime-project", ".nvim.lua", ".nvimrc", ".nvim/", ".lazy.lua", ".exrc",
        ".vimrc", ".lvimrc", ".gvimrc", ".dir-locals*.el", ".externalToolBuilders/",
    )),
    ("development containers, environment loaders and tool managers", (
        ".devcontainer/", ".devcontainer.json", ".envrc", ".autoenv*", "mise*.toml",
        ".mise*.toml", ".mise/", "mise/", ".config/mise/", ".rtx*.toml", ".tool-versions",
        ".sdkmanrc", "devbox.json", ".replit",
    )),
    ("AI tools' project configuration (MCP servers and hooks run commands)", (
        ".mcp.json", ".cursor/", ".claude/", ".continue/", ".gemini/", ".roo/", ".windsurf/",
        ".kiro/", ".amazonq/", ".codex/", ".aider.conf.yml",
    )),
    ("continuous integration and deployment, every forge", (
        ".*/workflows/", ".*/actions/", ".gitlab-ci*.yml", ".gitlab-ci/", ".gitlab/ci/",
        ".circleci/", ".travis.yml", ".buildkite/", ".drone.yml", ".drone.star",
        ".woodpecker.yml", ".woodpecker/", "azure-pipelines*.yml", ".azure-pipelines/",
        "bitbucket-pipelines.yml", "Jenkinsfile*", "*.jenkinsfile", "appveyor.yml",
        ".appveyor.yml", ".cirrus.yml", ".cirrus.star", ".gitpod.yml", ".gitpod.Dockerfile",
        "cloudbuild.yml", "buildspec.yml", ".semaphore/", "codemagic.yaml", "bitrise.yml",
        ".teamcity/", ".tekton/", "netlify.toml", "vercel.json", ".platform.app.yml",
    )),
    ("commit hooks and hook managers", (
        ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".husky/", ".huskyrc*", ".githooks/",
        ".git-hooks/", "lefthook*.yml", ".lefthook*.yml", ".lefthook/", ".overcommit.yml",
        ".simple-git-hooks*", "simple-git-hooks.*", ".lintstagedrc*", "lint-staged.config.*",
        ".git/hooks/",
    )),
    ("package-manager and build-tool configuration that chooses what runs", (
        ".pnpmfile.*", "bunfig.toml", ".bunfig.toml", ".cargo/config*", "rust-toolchain*",
        ".mvn/", "mvnw*", "gradlew*", "gradle/wrapper/", ".sbtopts", ".jvmopts",
        "Directory.Build.*", "nuget.config", ".Rprofile",
    )),
)
"""Files that make editors, shells, CI, git or package managers run code without being
asked: creating, changing, renaming or deleting them needs the user's consent (a change
annotation with ``needsConfirmation``, or a refusal; ``actions.allowSensitiveWrites``
turns this off). Package scripts and build files (``package.json``, ``Makefile``,
``setup.py``, ``build.rs``...) are the project's code and are not here (README, Safety)."""

SECRET_PATTERNS: tuple[str, ...] = tuple(p for _, group in SECRET_CLASSES for p in group)
CONSENT_PATTERNS: tuple[str, ...] = tuple(p for _, group in CONSENT_CLASSES for p in group)

def is_secret(relative_posix_path: str, extra_globs: Sequence[str] = ()) -> bool:
    """Whether a workspace-relative ``/``-separated path is (inside) a secret file, or a
    backup or editor copy of one (``prod.env.bak``, ``#.env#``, ``.id_rsa.swp``)."""
    parts = components(relative_posix_path)
    if not parts:
        return False
    secret, extra = _compiled(SECRET_PATTERNS), _compiled(tuple(extra_globs))
    return any(
        _matches_any(variant, secret) or _matches_any(variant, extra)
        for variant in _as_originals(parts)
    )


def needs_consent(relative_posix_path: str) -> bool:
    """Whether changing this workspace-relative path needs the user's consent."""
    parts = components(relative_posix_path)
    return bool(parts) and _matches_any(parts, _compiled(CONSENT_PATTERNS))


_COPY_SUFFIX = re.compile(
    r"(?:[._-](?:bak|backup|bkp?|old|orig|save[ds]?|sav|tmp|temp|copy|prev|previous"
    r"|dpkg-(?:old|dist|new|bak)|rpm(?:save|new|orig)|ucf-(?:old|dist)|rej|kate-swp)\d*"
    r"|~|\.~\d+~|[._-]\d+|[ _-]\(\d+\)| \(?copy(?: \d+)?\)?)$"
)
_SWAP_SUFFIX = re.compile(r"\.(?:sw[a-p]|swx|un~)$")
_WRAPPED = re.compile(r"^(?:#(.+)#|\.#(.+)|\.~lock\.(.+)#)$")


@lru_cache(maxsize=8192)
def original_names(name: str) -> tuple[str, ...]:
    """The names a backup or editor copy stands for (lower-case input), itself first.

    Emacs (``#x#``, ``.#x``, ``x~``, ``x.~2~``), vim (``.x.swp``: vim puts a dot before a
    name that has none), package managers (``x.dpkg-old``), and the usual hand-made ones
    (``x.bak``, ``x.orig``, ``x.old.1``, ``x (copy)``)."""
    found = [name]
    current = name
    for _ in range(8):  # x.bak.1~ peels in three steps; a bound, not a loop on input
        wrapped = _WRAPPED.match(current)
        swap = _SWAP_SUFFIX.search(current)
        if wrapped:
            current = next(g for g in wrapped.groups() if g)
        elif swap:
            current = current[: swap.start()]
            if current.startswith(".") and len(current) > 1:
                found.append(current)
                current = current[1:]  # the dot vim put before it
        else:
            stripped = _COPY_SUFFIX.sub("", current)
            if stripped == current or not stripped.strip(". "):
                break
            current = stripped
        found.append(current)
    return tuple(dict.fromkeys(found))


def _as_originals(parts: list[str]) -> list[list[str]]:
    """``parts``, then the same path with every name replaced by what it is a copy of."""
    options = [original_names(p) for p in parts]
    variants = [parts]
    if any(len(o) > 1 for o in options):
        variants.append([o[-1] for o in options])  # fully peeled
        variants.extend([*parts[:-1], name] for name in options[-1][1:-1])  # steps between
    return variants


def names_a_place(relative_posix_path: str, extra_globs: Sequence[str] = ()) -> bool:
    """Whether a link or folder at this path can give what lies below it a secret or
    consent-needing name: the path matches a rule, or ends with the first names of one
    (``.github`` for ``.github/workflows/``, ``.git/hooks`` for ``.git/hooks/``)."""
    parts = components(relative_posix_path)
    if not parts:
        return False
    if is_secret(relative_posix_path, extra_globs) or needs_consent(relative_posix_path):
        return True
    joined = "/".join(parts)
    return any(
        compiled.starts is not None and compiled.starts.search(joined) is not None
        for compiled in (_compiled(SECRET_PATTERNS), _compiled(CONSENT_PATTERNS),
                         _compiled(tuple(extra_globs)))
    )


def components(relative_posix_path: str) -> list[str]:
    """The names of a path as they are compared: lower case, Windows-equivalent."""
    return list(_components(relative_posix_path))


@lru_cache(maxsize=8192)
def _components(relative_posix_path: str) -> tuple[str, ...]:
    out: list[str] = []
    for raw in relative_posix_path.replace("\\", "/").split("/"):
        name = raw.split(":", 1)[0] or raw  # "name:stream" opens "name" on Windows
        if name not in (".", ".."):
            name = name.rstrip(". ")  # Windows drops trailing dots and spaces
        if name in ("", "."):
            continue
        out.append(name.lower())
    return tuple(out)


@dataclass(frozen=True)
class _Compiled:
    """A pattern list as two regular expressions over the ``/``-joined names."""

    whole: re.Pattern[str] | None
    """Every pattern: its names as consecutive names anywhere in the path (or from the
    start when anchored), each followed by the end or a ``/`` (a folder covers its
    contents)."""
    starts: re.Pattern[str] | None
    """The first names (not all) of every multi-name pattern, ending the path."""


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> _Compiled:
    whole: dict[bool, list[str]] = {True: [], False: []}
    starts: dict[bool, list[str]] = {True: [], False: []}
    for pattern in (p for given in patterns for p in expanded(given)):
        text = pattern.strip().lower().replace("\\", "/")
        names = [_name_regex(p) for p in text.strip("/").split("/") if p]
        if not names:
            continue
        try:
            re.compile("/".join(names))
        except re.error:  # a glob no regular expression can say (a reversed range): literal
            names = [re.escape(p) for p in text.strip("/").split("/") if p]
        anchored = text.startswith("/")
        whole[anchored].append("/".join(names))
        starts[anchored].extend("/".join(names[:width]) for width in range(1, len(names)))
    return _Compiled(_union(whole, "(?:/|$)"), _union(starts, "$"))


def _name_regex(name: str) -> str:
    """One name's glob (``*``, ``?``, ``[...]``) as a regular expression within one name."""
    out: list[str] = []
    index = 0
    while index < len(name):
        char = name[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = index + (name[index:index + 1] == "!")
            end = name.find("]", end + (name[end:end + 1] == "]"))
            if end < 0:  # no closing bracket: a literal "["
                out.append(re.escape(char))
                continue
            body, index = name[index:end], end + 1
            negate = body.startswith("!")
            body = re.sub(r"([\\\[\]&~|^])", r"\\\1", body[1:] if negate else body)
            out.append("[" + ("^/" if negate else "") + body.replace("/", "") + "]")
        else:
            out.append(re.escape(char))
    return "".join(out)


_BRACES = re.compile(r"\{([^{}]*)\}")
_YAML = re.compile(r"\.ya?ml(?=$|/|\*)", re.IGNORECASE)


def expanded(pattern: str) -> list[str]:
    """``a.{json,toml}`` as two patterns; ``.yml`` also as ``.yaml`` and the other way."""
    match = _BRACES.search(pattern)
    if match is not None:
        return [
            each
            for choice in match.group(1).split(",")
            for each in expanded(pattern[: match.start()] + choice + pattern[match.end():])
        ]
    if _YAML.search(pattern):
        return list(dict.fromkeys([_YAML.sub(".yml", pattern), _YAML.sub(".yaml", pattern)]))
    return [pattern]


def _union(expressions: dict[bool, list[str]], end: str) -> re.Pattern[str] | None:
    """One expression: unanchored alternatives after the start or a ``/``, anchored ones
    at the start only (the lead is tried once per position, not once per pattern)."""
    parts = [
        f"{'^' if anchored else '(?:^|/)'}(?:{'|'.join(alternatives)}){end}"
        for anchored, alternatives in expressions.items()
        if alternatives
    ]
    return re.compile("|".join(parts)) if parts else None


def _matches_any(parts: list[str], compiled: _Compiled) -> bool:
    """Any run of consecutive names matches (a match on a folder covers its contents)."""
    return compiled.whole is not None and compiled.whole.search("/".join(parts)) is not None


def markdown_list(patterns: Sequence[str], width: int = 100, first: str = "",
                  indent: str = "") -> str:
    """The patterns as README text (code spans, wrapped); the README test compares it."""
    lines: list[str] = []
    line = first
    for pattern in patterns:
        item = f"`{pattern}`"
        joined = f"{line}, {item}" if line and line != first else f"{line}{item}"
        if len(joined) + 1 > width and line and line != first:
            lines.append(line + ",")
            line = indent + item
        else:
            line = joined
    return "\n".join([*lines, line + "."]) if line else ""


def markdown_classes(classes: Sequence[tuple[str, Sequence[str]]], width: int = 100) -> str:
    """One bullet per class of files, its patterns wrapped under it (the README's lists)."""
    return "\n".join(
        markdown_list(patterns, width, first=f"- {name}: ", indent="  ")
        for name, patterns in classes
    )


if __name__ == "__main__":  # python -m iskra_ls.file_policy: the README's lists
    print("Secret:\n" + markdown_classes(SECRET_CLASSES))
    print("\nConsent:\n" + markdown_classes(CONSENT_CLASSES))
