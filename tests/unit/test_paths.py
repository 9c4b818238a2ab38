"""Workspace path policy: accepted forms resolve right, escapes and secrets are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from iskra_ls.actions.paths import PathRefused, WorkspacePolicy


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print(1)\n")
    (root / "README.md").write_text("hi\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("no\n")
    os.symlink(outside, root / "out_link")
    os.symlink(outside / "secret.txt", root / "src" / "file_link.txt")
    os.symlink(root / "src", root / "inner_link")
    (root / ".env").write_text("TOKEN=x\n")
    os.symlink(root / ".env", root / "innocent.txt")
    return root


@pytest.mark.parametrize(
    ("given", "relative"),
    [
        pytest.param("src/app.py", "src/app.py", id="relative"),
        pytest.param("./src/app.py", "src/app.py", id="dot-relative"),
        pytest.param("src/../README.md", "README.md", id="dotdot-inside"),
        pytest.param("/test.py", "test.py", id="slash-means-root"),
        pytest.param("/src/app.py", "src/app.py", id="slash-root-existing"),
        pytest.param("{root}/src/app.py", "src/app.py", id="absolute-inside"),
        pytest.param("file://{root}/src/app.py", "src/app.py", id="file-uri"),
        pytest.param("file://localhost{root}/src/app.py", "src/app.py", id="file-uri-localhost"),
        pytest.param("file://{root}/src/new%20file.py", "src/new file.py", id="uri-decoded"),
        pytest.param("  src/app.py ", "src/app.py", id="whitespace-stripped"),
        pytest.param("/", "", id="root-slash"),
        pytest.param(".", "", id="root-dot"),
        pytest.param("inner_link/app.py", "inner_link/app.py", id="symlink-inside"),
        pytest.param("src//app.py", "src/app.py", id="double-slash"),
        pytest.param("новый/файл.py", "новый/файл.py", id="cyrillic"),
    ],
)
def test_accepted_forms(workspace: Path, given: str, relative: str) -> None:
    policy = WorkspacePolicy([workspace])
    resolved = policy.resolve(given.format(root=workspace))
    assert resolved.relative == relative
    assert resolved.folder == workspace
    assert resolved.path == (workspace / relative if relative else workspace)
    assert resolved.uri.startswith("file:///")


def test_trailing_slash_is_remembered(workspace: Path) -> None:
    resolved = WorkspacePolicy([workspace]).resolve("pkg/")
    assert resolved.trailing_slash and resolved.relative == "pkg"


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("../outside/secret.txt", id="dotdot"),
        pytest.param("src/../../outside/secret.txt", id="dotdot-nested"),
        pytest.param("/../outside/secret.txt", id="slash-dotdot"),
        pytest.param("{root}/../outside/secret.txt", id="absolute-dotdot"),
        pytest.param("/etc/passwd", id="absolute-elsewhere"),
        pytest.param("{tmp}/outside/secret.txt", id="absolute-sibling"),
        pytest.param("file:///etc/passwd", id="file-uri-elsewhere"),
        pytest.param("file://{root}/../outside/secret.txt", id="file-uri-dotdot"),
        pytest.param("file://{root}/%2e%2e/outside/secret.txt", id="uri-encoded-dotdot"),
        pytest.param("file://{root}/src%2f..%2f..%2foutside", id="uri-encoded-slash"),
        pytest.param("file://{root}/%252e%252e/outside", id="uri-double-encoded"),
        pytest.param("src/%2e%2e/%2e%2e/outside", id="plain-encoded-dotdot"),
        pytest.param("file://evil.example.com{root}/src/app.py", id="other-host"),
        pytest.param("http://example.com/a.py", id="http-scheme"),
        pytest.param("untitled:Untitled-1", id="untitled-scheme"),
        pytest.param("file://{root}/src/app.py?x=1", id="uri-query"),
        pytest.param("file://{root}/src/app.py#frag", id="uri-fragment"),
        pytest.param("out_link/secret.txt", id="symlink-dir-out"),
        pytest.param("src/file_link.txt", id="symlink-file-out"),
        pytest.param("out_link/", id="symlink-itself"),
        pytest.param("src/app.py\x00.txt", id="nul"),
        pytest.param("src/a\npp.py", id="newline"),
        pytest.param("src/\x1bapp.py", id="escape-char"),
        pytest.param("C:\\Windows\\win.ini", id="windows-drive"),
        pytest.param("C:/Windows/win.ini", id="windows-drive-slash"),
        pytest.param("file:///C:/Windows/win.ini", id="windows-drive-uri"),
        pytest.param("..\\..\\outside\\secret.txt", id="backslash-traversal"),
        pytest.param("src\\..\\..\\x", id="backslash-mixed"),
        pytest.param("a" * 256 + ".py", id="component-too-long"),
        pytest.param("/".join(["abcdefgh"] * 600), id="path-too-long"),
    ],
)
def test_escapes_refused(workspace: Path, given: str) -> None:
    policy = WorkspacePolicy([workspace])
    with pytest.raises(PathRefused) as caught:
        policy.resolve(given.format(root=workspace, tmp=workspace.parent))
    assert str(caught.value)  # a message the model can act on


@pytest.mark.parametrize(
    "given",
    [
        ".env",
        ".env.local",
        "config/.env.production",
        "certs/server.pem",
        "server.key",
        "id_rsa",
        "home/.ssh/id_rsa.pub",
        "id_ed25519",
        "keys/store.p12",
        "keys/store.pfx",
        ".git/config",
        ".git/",
        ".git",
        ".ssh/known_hosts",
        ".npmrc",
        ".netrc",
        ".pypirc",
        "SRC/.ENV",
        "innocent.txt",  # a symlink to .env
    ],
)
def test_secrets_refused(workspace: Path, given: str) -> None:
    policy = WorkspacePolicy([workspace])
    with pytest.raises(PathRefused, match="secret"):
        policy.resolve(given)


@pytest.mark.parametrize(
    ("globs", "path", "secret"),
    [
        (["*.secret"], "a/b.secret", True),
        (["secrets/"], "secrets/db.yaml", True),
        (["config/prod.yaml"], "config/prod.yaml", True),
        (["config/prod.yaml"], "config/dev.yaml", False),
        (["private/*"], "private/deep/x.txt", True),
        ([], "src/env.py", False),
        ([], "src/keyboard.py", False),
        ([], "environment/.envrc", True),  # direnv runs it and it holds secrets
        ([], "environment/settings.py", False),
    ],
)
def test_configured_globs(workspace: Path, globs: list[str], path: str, secret: bool) -> None:
    policy = WorkspacePolicy([workspace], secret_globs=globs)
    assert policy.is_secret(path) is secret
    assert policy.is_secret(workspace / path) is secret


def test_several_folders(tmp_path: Path) -> None:
    first, second = tmp_path / "api", tmp_path / "web"
    (first / "web").mkdir(parents=True)
    second.mkdir()
    (tmp_path / "third").mkdir()
    policy = WorkspacePolicy([first, second, tmp_path / "third"])
    assert policy.resolve("main.py").path == first / "main.py"
    # "web" exists inside the first folder, so it wins over the folder named web
    assert policy.resolve("web/x.py").path == first / "web" / "x.py"
    assert policy.resolve("third/x.py").path == tmp_path / "third" / "x.py"
    assert policy.resolve("third/x.py").display == "third/x.py"
    assert policy.resolve(f"{second}/y.py").folder == second
    with pytest.raises(PathRefused):
        policy.resolve("third/../../outside.txt")


def test_symlinked_workspace_folder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.py").write_text("x\n")
    os.symlink(real, tmp_path / "alias")
    policy = WorkspacePolicy([tmp_path / "alias"])
    assert policy.resolve("a.py").path == tmp_path / "alias" / "a.py"
    assert policy.resolve(f"{real}/a.py").relative == "a.py"
