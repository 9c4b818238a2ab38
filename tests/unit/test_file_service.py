"""The file-policy service: secret and consent rules where a file really is.

A file's names are every name it can be reached by in the workspace: as written,
resolved, and through the links a hostile repository can plant at the places
tools read (``.vscode -> tools/vscode``, ``.github/workflows -> ../ci``). Both
rules are asked of every name, on a real filesystem.
"""

from __future__ import annotations

import ntpath
import os
from pathlib import Path

import pytest

from iskra_ls.file_service import FilePolicy


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for folder in ("tools/vscode", "ci", ".github", "src/pkg", "config/aws", "notes"):
        (root / folder).mkdir(parents=True)
    (root / "src/pkg/app.py").write_text("x = 1\n")
    os.symlink("tools/vscode", root / ".vscode")
    os.symlink("../ci", root / ".github" / "workflows")
    os.symlink("config/aws", root / ".aws")
    (root / "hooks.sh").write_text("echo hi\n")
    (root / ".git" / "hooks").mkdir(parents=True)
    os.symlink("../../hooks.sh", root / ".git" / "hooks" / "pre-commit")
    os.symlink("notes/todo.txt", root / "server.pem")
    return root


@pytest.mark.parametrize(
    ("written", "consent", "secret"),
    [
        pytest.param("tools/vscode/tasks.json", True, False, id="dir-aliased-by-.vscode"),
        pytest.param("ci/deploy.yml", True, False, id="dir-aliased-by-.github/workflows"),
        pytest.param(".vscode/tasks.json", True, False, id="written-through-the-link"),
        pytest.param("config/aws/credentials", False, True, id="aliased-by-.aws"),
        pytest.param("hooks.sh", True, True, id="file-aliased-by-a-git-hook"),
        pytest.param("notes/todo.txt", False, True, id="file-aliased-by-a-key-name"),
        pytest.param("src/pkg/app.py", False, False, id="ordinary"),
        pytest.param("tools/other.json", False, False, id="next-to-an-aliased-folder"),
    ],
)
def test_every_name_of_a_file_is_asked(ws: Path, written: str, consent: bool,
                                       secret: bool) -> None:
    policy = FilePolicy([ws])
    path = str(ws / written)
    assert policy.needs_consent(path) is consent, policy.names(path)
    assert policy.is_secret(path) is secret, policy.names(path)


def test_the_resolved_name_counts(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".github" / "workflows").mkdir(parents=True)
    os.symlink(".github/workflows", root / "ci")
    (root / "keys").mkdir()
    (root / "keys" / ".env").write_text("K=1\n")
    os.symlink("keys", root / "plain")
    policy = FilePolicy([root])
    assert policy.needs_consent(str(root / "ci" / "ci.yml"))  # not created yet: resolved
    assert ".github/workflows/ci.yml" in policy.names(str(root / "ci" / "ci.yml"))
    assert policy.is_secret(str(root / "plain" / ".env"))


def test_a_link_planted_later_is_seen(ws: Path) -> None:
    policy = FilePolicy([ws])
    target = str(ws / "tools" / "lint" / "x.json")
    (ws / "tools" / "lint").mkdir()
    assert not policy.needs_consent(target)
    os.symlink("tools/lint", ws / ".husky")
    assert policy.needs_consent(target)


def test_documents_that_cannot_be_placed_are_secret(ws: Path, tmp_path: Path) -> None:
    """Completion context: only documents inside the folders, never a relative path."""
    policy = FilePolicy([ws])
    assert policy.document_is_secret(".env")  # file:.env
    assert policy.document_is_secret(".aws/credentials")  # file:.aws/credentials
    assert policy.document_is_secret("src/pkg/app.py")  # relative: where is it?
    assert not policy.document_is_secret("")  # an untitled buffer: the user's own typing
    assert not policy.document_is_secret(str(ws / "src/pkg/app.py"))
    assert policy.document_is_secret(str(ws / "config/aws/credentials"))
    (tmp_path / "elsewhere.py").write_text("y = 2\n")
    assert policy.document_is_secret(str(tmp_path / "elsewhere.py"))
    os.symlink(tmp_path / "elsewhere.py", ws / "out.py")
    assert policy.document_is_secret(str(ws / "out.py"))  # a link out of the workspace
    no_folders = FilePolicy([])
    assert no_folders.document_is_secret(".env") and no_folders.document_is_secret("a.py")
    assert no_folders.document_is_secret(str(tmp_path / ".aws" / "credentials"))
    assert not no_folders.document_is_secret(str(tmp_path / "elsewhere.py"))


def test_a_folder_re_pointed_after_the_start_leads_outside(tmp_path: Path) -> None:
    real, outside = tmp_path / "real", tmp_path / "outside"
    real.mkdir()
    outside.mkdir()
    folder = tmp_path / "ws"
    os.symlink(real, folder)
    policy = FilePolicy([folder])
    target = str(folder / "newdir" / "f.txt")  # every component after the folder is missing
    assert not policy.leads_outside(target) and policy.moved_folders() == []
    folder.unlink()
    os.symlink(outside, folder)
    assert policy.leads_outside(target)
    assert policy.moved_folders() == [str(folder)]


def test_windows_flavour_uses_the_written_name_only() -> None:
    policy = FilePolicy(["C:\\Users\\me\\ws"], pathmod=ntpath)
    assert policy.needs_consent("C:\\Users\\me\\ws\\.VSCode\\tasks.json")
    assert policy.is_secret("C:\\Users\\me\\ws\\conf\\.env.")
    assert not policy.is_secret("C:\\Users\\me\\ws\\src\\a.py")


def test_extra_globs_and_the_token_file(ws: Path) -> None:
    token = ws / "conf" / "tok"
    token.parent.mkdir()
    token.write_text("jwt\n")
    policy = FilePolicy([ws], ["*.vault"], private=[str(token)])
    assert policy.is_secret(str(ws / "db.vault"))
    assert policy.is_secret(str(token))
    os.symlink("conf/tok", ws / "readme.txt")
    assert policy.is_secret(str(ws / "readme.txt"))
