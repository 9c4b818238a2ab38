"""Which workspace files are secret, and which need the user's consent to change.

The ONE place that lists them: the action tools (:mod:`iskra_ls.actions.paths`),
the completion context (:mod:`iskra_ls.editor`) and the consent rule for edits
(:mod:`iskra_ls.actions.runner`) all ask this module, and the README's Safety
section shows these lists verbatim (a unit test keeps the two equal).

Pattern language (matching is case-insensitive, on ``/``-separated paths):

* ``name/`` -- a directory with that name, anywhere, and everything in it;
* ``name`` (no ``/``) -- a file or directory with that name, anywhere (a match on a
  directory covers its contents too); ``*``, ``?`` and ``[...]`` are
  :mod:`fnmatch` wildcards within one name;
* ``a/b`` -- consecutive names, anywhere in the path (``.aws/credentials`` also
  matches ``home/me/.aws/credentials``); a leading ``/`` anchors it at the
  workspace root (``/config/prod.yaml``).

Names are compared the way Windows opens them: trailing dots and spaces and an
alternate-data-stream suffix are ignored, so ``.env.``, ``.ENV`` and
``.env::$DATA`` are all ``.env``.

Pure: no server, no network, no filesystem.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

SECRET_PATTERNS: tuple[str, ...] = (
    # environment files (dotenv, direnv, per-stage files)
    ".env*",
    "*.env",
    ".envrc",
    # private keys and certificate stores
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.ppk",
    "*.keystore",
    "*.jks",
    "id_rsa*",
    "id_ed25519*",
    "id_ecdsa*",
    "id_dsa*",
    ".ssh/",
    ".gnupg/",
    # version control internals and credentials
    ".git/",
    ".git-credentials",
    # package registries and network logins
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".my.cnf",
    ".vault-token",
    ".config/gh/hosts.yml",
    # cloud and cluster credentials
    ".aws/",
    ".azure/",
    ".config/gcloud/",
    ".docker/config.json",
    ".kube/config",
    "*.kubeconfig",
    "credentials.json",
    "service-account*.json",
    "client_secret*.json",
    "application_default_credentials.json",
    # infrastructure state and variables
    "*.tfvars",
    "*.tfvars.json",
    "*.tfstate",
    "*.tfstate.*",
    ".terraformrc",
    "terraform.rc",
    # Iskra's own token file (iskra_ls.api.auth.TokenStore: <config dir>/iskra/token)
    "iskra/token",
)
"""Secret files: never read, listed, written or sent as completion context.
``actions.secretGlobs`` adds to this list; nothing removes from it."""

CONSENT_PATTERNS: tuple[str, ...] = (
    # editors' project settings, tasks, launch configurations, plugins
    ".vscode/",
    "*.code-workspace",
    ".idea/",
    ".fleet/",
    ".zed/",
    ".helix/",
    ".nvim.lua",
    ".nvimrc",
    ".exrc",
    ".vimrc",
    ".lvimrc",
    ".gvimrc",
    # development containers, environment loaders and tool managers
    ".devcontainer/",
    ".devcontainer.json",
    ".envrc",
    ".mise.toml",
    "mise.toml",
    # AI tools' project configuration (MCP servers run commands)
    ".mcp.json",
    ".cursor/",
    ".claude/",
    # continuous integration
    ".github/workflows/",
    ".github/actions/",
    ".gitlab-ci.yml",
    ".gitlab-ci/",
    ".circleci/",
    ".travis.yml",
    ".buildkite/",
    ".drone.yml",
    ".woodpecker.yml",
    ".woodpecker/",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "Jenkinsfile",
    # commit hooks
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    ".husky/",
    ".githooks/",
    "lefthook.yml",
    ".lefthook.yml",
    ".git/hooks/",
)
"""Files that make editors, shells, CI or git run code without being asked:
creating, changing, renaming or deleting them needs the user's consent (a
change annotation with ``needsConfirmation``, or a refusal; the setting
``actions.allowSensitiveWrites`` turns this off). Ordinary source, tests and
build files are not here."""


def is_secret(relative_posix_path: str, extra_globs: Sequence[str] = ()) -> bool:
    """Whether a workspace-relative ``/``-separated path is (inside) a secret file."""
    parts = components(relative_posix_path)
    if not parts:
        return False
    return _matches_any(parts, _compiled(SECRET_PATTERNS)) or _matches_any(
        parts, _compiled(tuple(extra_globs))
    )


def needs_consent(relative_posix_path: str) -> bool:
    """Whether changing this workspace-relative path needs the user's consent."""
    parts = components(relative_posix_path)
    return bool(parts) and _matches_any(parts, _compiled(CONSENT_PATTERNS))


def components(relative_posix_path: str) -> list[str]:
    """The names of a path as they are compared: lower case, Windows-equivalent."""
    out: list[str] = []
    for raw in relative_posix_path.replace("\\", "/").split("/"):
        name = raw.split(":", 1)[0] or raw  # "name:stream" opens "name" on Windows
        if name not in (".", ".."):
            name = name.rstrip(". ")  # Windows drops trailing dots and spaces
        if name in ("", "."):
            continue
        out.append(name.lower())
    return out


@dataclass(frozen=True)
class _Compiled:
    """A pattern list as regular expressions: one for all one-name patterns."""

    anywhere: re.Pattern[str] | None
    """One-name patterns, tried on every name of the path."""
    first: re.Pattern[str] | None
    """Anchored one-name patterns (``/name``), tried on the first name only."""
    runs: tuple[tuple[bool, tuple[re.Pattern[str], ...]], ...]
    """Multi-name patterns: (anchored, one expression per name)."""


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> _Compiled:
    anywhere: list[str] = []
    first: list[str] = []
    runs: list[tuple[bool, tuple[re.Pattern[str], ...]]] = []
    for pattern in patterns:
        text = pattern.strip().lower().replace("\\", "/")
        names = [fnmatch.translate(p) for p in text.strip("/").split("/") if p]
        anchored = text.startswith("/")
        if len(names) == 1:
            (first if anchored else anywhere).append(names[0])
        elif names:
            runs.append((anchored, tuple(re.compile(n) for n in names)))
    return _Compiled(_union(anywhere), _union(first), tuple(runs))


def _union(expressions: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{e})" for e in expressions)) if expressions else None


def _matches_any(parts: list[str], compiled: _Compiled) -> bool:
    """Any window of consecutive names matches (a match on a folder covers its contents)."""
    if compiled.anywhere is not None and any(compiled.anywhere.match(p) for p in parts):
        return True
    if compiled.first is not None and compiled.first.match(parts[0]):
        return True
    for anchored, names in compiled.runs:
        width = len(names)
        for start in [0] if anchored else range(len(parts) - width + 1):
            window = parts[start : start + width]
            if len(window) == width and all(
                expression.match(name) for name, expression in zip(window, names, strict=True)
            ):
                return True
    return False


def markdown_list(patterns: Sequence[str], width: int = 100) -> str:
    """The patterns as README text (code spans, wrapped); the README test compares it."""
    lines: list[str] = []
    line = ""
    for pattern in patterns:
        item = f"`{pattern}`"
        candidate = f"{line} {item}" if line else item
        if len(candidate) + 1 > width and line:
            lines.append(line + ",")
            candidate = item
        elif line:
            candidate = f"{line}, {item}"
        line = candidate
    return "\n".join([*lines, line + "."]) if line else ""


if __name__ == "__main__":  # python -m iskra_ls.file_policy: the README's lists
    print("Secret:\n" + markdown_list(SECRET_PATTERNS))
    print("\nConsent:\n" + markdown_list(CONSENT_PATTERNS))
