"""The one list of secret and consent-needing files, and the README that shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iskra_ls import file_policy
from iskra_ls.api.auth import TOKEN_FILE_NAME, TokenStore
from iskra_ls.file_policy import (
    CONSENT_CLASSES,
    CONSENT_PATTERNS,
    SECRET_CLASSES,
    SECRET_PATTERNS,
    is_secret,
    markdown_classes,
    needs_consent,
)

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        ".env_production",  # the README promised .env*, the old globs were .env and .env.*
        ".envrc",
        "prod.env",
        "deploy/staging.env",
        "home/me/.aws/credentials",
        ".aws/credentials",
        ".aws/config",
        ".git-credentials",
        ".docker/config.json",
        ".kube/config",
        "infra/prod.tfvars",
        "infra/terraform.tfstate",
        "infra/terraform.tfstate.backup",
        "credentials.json",
        "keys/service-account-prod.json",
        "release.keystore",
        "android/app/upload.jks",
        ".vault-token",
        ".netrc",
        ".npmrc",
        ".pypirc",
        ".config/gh/hosts.yml",
        ".pgpass",
        "putty.ppk",
        "certs/server.pem",
        "certs/server.key",
        ".ssh/id_ed25519",
        "id_rsa.pub",
        ".git/config",
        ".gnupg/pubring.kbx",
        # this project's own token file, wherever a config directory lands in a workspace
        ".config/iskra/" + TOKEN_FILE_NAME,
        # case and Windows-equivalent spellings of the same file
        "SRC/.ENV",
        ".env.",
        ".env ",
        ".env::$DATA",
        ".aws\\credentials",
        # issue 20.2: backups and editor copies of any secret file (a rule, not a list)
        "#.env#",
        "prod.env.bak",
        "server.key.bak",
        ".git-credentials.bak",
        "config/.env.swp",
        ".id_rsa.swp",
        "id_rsa~",
        "certs/server.key.orig",
        ".netrc.old",
        "credentials.json.1",
        ".pgpass.save",
        ".npmrc.~2~",
        "server (copy).pem",
        ".ssh.bak/id_ed25519",
        # shell and tool histories
        ".bash_history",
        ".zsh_history",
        ".python_history",
        ".node_repl_history",
        ".psql_history",
        ".local/share/fish/fish_history",
        ".viminfo",
        ".lesshst",
        # credential files of package managers and command-line tools
        ".cargo/credentials.toml",
        ".cargo/credentials",
        ".htpasswd",
        "auth.json",
        "composer/auth.json",
        "secrets.yaml",
        "deploy/secrets.yml",
        "config/secrets.json",
        "app.secrets",
        "credentials.toml",
        ".terraform.d/credentials.tfrc.json",
        ".gem/credentials",
        ".m2/settings.xml",
        ".gradle/gradle.properties",
        ".gitcookies",
        ".boto",
        ".s3cfg",
        ".yarnrc.yml",
        ".yarnrc",
        "pip.conf",
        "vault.kdbx",
        "client.ovpn",
        "AuthKey_ABC.p8",
        # version control internals of every system
        ".hg/hgrc",
        ".svn/entries",
        ".jj/repo/config.toml",
    ],
)
def test_secret(path: str) -> None:
    assert is_secret(path)


@pytest.mark.parametrize(
    "path",
    [
        "src/env.py",
        "environment/settings.py",
        ".venv/lib/site.py",
        "src/keyboard.py",
        "docs/credentials.md",
        "README.md",
        ".github/workflows/ci.yml",
        "tokens.py",
        "iskra_ls/api/auth.py",
        "",
        ".",
        # right answers the backup and history rules must keep
        "main.py.bak",
        "src/history.py",
        "src/order_history/models.py",
        "bash_history_parser.py",
        "docs/secrets.md",
        "src/secrets_manager.py",
        "src/auth/login.py",
        "keys.py",
        "old/main.py",
        "backup/README.md",
        "environment.yml",
        "settings.xml",
        "gradle.properties",
        "src/credentials_test.py",
        "docker/credentials/store.py",
        "src/secrets/__init__.py",
    ],
)
def test_not_secret(path: str) -> None:
    assert not is_secret(path)


def test_token_store_default_name_is_covered(tmp_path: Path) -> None:
    """The token file is ``<config>/iskra/token``: the list must name it."""
    store = TokenStore(tmp_path / "iskra" / TOKEN_FILE_NAME)
    relative = store.token_file.relative_to(tmp_path).as_posix()
    assert is_secret(relative)


@pytest.mark.parametrize(
    ("globs", "path", "secret"),
    [
        (["*.secret"], "a/b.secret", True),
        (["secrets/"], "secrets/db.yaml", True),
        (["config/prod.yaml"], "config/prod.yaml", True),
        (["config/prod.yaml"], "svc/config/prod.yaml", True),
        (["/config/prod.yaml"], "svc/config/prod.yaml", False),
        (["/config/prod.yaml"], "config/prod.yaml", True),
        (["config/prod.yaml"], "config/dev.yaml", False),
        (["", "/", "  "], "src/a.py", False),
    ],
)
def test_extra_globs(globs: list[str], path: str, secret: bool) -> None:
    assert is_secret(path, globs) is secret


@pytest.mark.parametrize(
    "path",
    [
        ".vscode/tasks.json",
        ".vscode/settings.json",
        "proj.code-workspace",
        ".idea/workspace.xml",
        ".devcontainer/devcontainer.json",
        ".devcontainer.json",
        ".envrc",
        ".nvim.lua",
        ".exrc",
        ".lvimrc",
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        ".pre-commit-config.yaml",
        ".husky/pre-commit",
        ".git/hooks/pre-commit",
        ".circleci/config.yml",
        "Jenkinsfile",
        ".mcp.json",
        ".VSCode/Launch.json",
        # issue 20.2: CI of every forge, hook managers, tool managers, editors that run code
        ".gitea/workflows/ci.yml",
        ".forgejo/workflows/ci.yaml",
        ".gitlab/ci/build.yml",
        ".github/actions/setup/action.yml",
        "appveyor.yml",
        ".cirrus.yml",
        ".travis.yaml",
        "azure-pipelines.yaml",
        ".gitpod.yml",
        "netlify.toml",
        "lefthook.yaml",
        "lefthook-local.yml",
        ".lefthook.yml",
        ".pre-commit-config.yml",
        ".simple-git-hooks.json",
        "mise.local.toml",
        ".mise.local.toml",
        ".mise/config.toml",
        ".config/mise/config.toml",
        ".tool-versions",
        ".dir-locals.el",
        ".dir-locals-2.el",
        ".lazy.lua",
        ".vs/tasks.vs.json",
        "proj.sublime-project",
        ".continue/config.json",
        ".aider.conf.yml",
        # package-manager and build-tool configuration that chooses what commands run
        ".pnpmfile.cjs",
        "bunfig.toml",
        ".cargo/config.toml",
        "rust-toolchain.toml",
        ".mvn/extensions.xml",
        "mvnw",
        "gradlew.bat",
        "gradle/wrapper/gradle-wrapper.properties",
        "Directory.Build.props",
        "NuGet.Config",
        ".Rprofile",
    ],
)
def test_needs_consent(path: str) -> None:
    assert needs_consent(path)


@pytest.mark.parametrize(
    "path",
    [
        "src/app.py",
        "tests/test_app.py",
        "pyproject.toml",
        "package.json",
        "Makefile",
        ".editorconfig",
        ".gitignore",
        ".github/CODEOWNERS",
        ".github/ISSUE_TEMPLATE/bug.md",
        "docs/vscode.md",
        "",
        # package scripts and build files are the project's code: not gated (README, Safety)
        "setup.py",
        "build.rs",
        "Cargo.toml",
        "build.gradle.kts",
        "CMakeLists.txt",
        "src/app.csproj",
        "src/actions/handler.ts",
        "app/workflows/run.py",
        ".github/dependabot.yml",
        ".gitlab/issue_templates/bug.md",
        "docs/lefthook.md",
    ],
)
def test_ordinary_files_need_no_consent(path: str) -> None:
    assert not needs_consent(path)


def test_lists_have_no_duplicates() -> None:
    assert len(set(SECRET_PATTERNS)) == len(SECRET_PATTERNS)
    assert len(set(CONSENT_PATTERNS)) == len(CONSENT_PATTERNS)


def _readme_block(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:[^\n]*-->\n(.*?)\n<!-- end {name} -->", text, re.S)
    assert match, f"README.md has no {name} block"
    return match.group(1)


@pytest.mark.parametrize(
    ("block", "classes", "patterns"),
    [("secret-patterns", SECRET_CLASSES, SECRET_PATTERNS),
     ("consent-patterns", CONSENT_CLASSES, CONSENT_PATTERNS)],
)
def test_readme_shows_the_lists_exactly(
    block: str, classes: tuple[tuple[str, tuple[str, ...]], ...], patterns: tuple[str, ...]
) -> None:
    shown = _readme_block(block)
    assert shown == markdown_classes(classes), "regenerate with `python -m iskra_ls.file_policy`"
    assert re.findall(r"`([^`]+)`", shown) == list(patterns)


def test_module_is_pure() -> None:
    source = Path(file_policy.__file__).read_text(encoding="utf-8")
    for forbidden in ("pygls", "openai", "httpx", "import os", "socket"):
        assert forbidden not in source
