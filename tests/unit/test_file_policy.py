"""The one list of secret and consent-needing files, and the README that shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iskra_ls import file_policy
from iskra_ls.api.auth import TOKEN_FILE_NAME, TokenStore
from iskra_ls.file_policy import (
    CONSENT_PATTERNS,
    SECRET_PATTERNS,
    is_secret,
    markdown_list,
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
    ("block", "patterns"),
    [("secret-patterns", SECRET_PATTERNS), ("consent-patterns", CONSENT_PATTERNS)],
)
def test_readme_shows_the_lists_exactly(block: str, patterns: tuple[str, ...]) -> None:
    shown = _readme_block(block)
    assert shown == markdown_list(patterns), "regenerate with `python -m iskra_ls.file_policy`"
    assert re.findall(r"`([^`]+)`", shown) == list(patterns)


def test_module_is_pure() -> None:
    source = Path(file_policy.__file__).read_text(encoding="utf-8")
    for forbidden in ("pygls", "openai", "httpx", "import os", "socket"):
        assert forbidden not in source
