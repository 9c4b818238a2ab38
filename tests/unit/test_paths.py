"""Workspace path policy: accepted forms resolve right, escapes and secrets are refused."""

from __future__ import annotations

import ntpath
import os
import posixpath
from pathlib import Path
from types import ModuleType

import pytest

from iskra_ls.actions.paths import PathRefused, WorkspacePolicy, _relative_inside


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


# -- only regular files (9.5), no hard links, no moving links (9.1) -----------------------


def test_fifo_socket_and_device_refused(workspace: Path, tmp_path: Path) -> None:
    import socket

    os.mkfifo(workspace / "pipe")
    os.symlink(workspace / "pipe", workspace / "src" / "pipe_link")
    short = Path("/tmp") / f"iskra-sock-{os.getpid()}"
    short.mkdir(exist_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(short / "s"))
        policy = WorkspacePolicy([workspace, short])
        for given in ("pipe", "src/pipe_link", f"{short}/s"):
            with pytest.raises(PathRefused, match="not a regular file"):
                policy.resolve(given)
        assert not policy.allows(workspace / "pipe")
    finally:
        sock.close()
        (short / "s").unlink(missing_ok=True)
        short.rmdir()


def test_hard_links_refused(workspace: Path, tmp_path: Path) -> None:
    os.link(tmp_path / "outside" / "secret.txt", workspace / "notes.txt")
    os.link(workspace / ".env", workspace / "config.txt")
    policy = WorkspacePolicy([workspace])
    for given in ("notes.txt", "config.txt"):
        with pytest.raises(PathRefused, match="hard link"):
            policy.resolve(given)
    # the single-link files and folders are fine
    assert policy.resolve("src/app.py").relative == "src/app.py"
    assert policy.resolve("src").relative == "src"


def test_link_cannot_be_moved(workspace: Path) -> None:
    (workspace / "a").mkdir()
    os.symlink("../outside", workspace / "a" / "dl")  # dangling, relative
    policy = WorkspacePolicy([workspace])
    assert policy.resolve("a/dl").relative == "a/dl"  # reading/writing through it: as before
    with pytest.raises(PathRefused, match="symbolic link"):
        policy.resolve("a/dl", allow_link=False)
    with pytest.raises(PathRefused, match="symbolic link"):
        policy.resolve("inner_link", allow_link=False)
    assert policy.resolve("src/app.py", allow_link=False).relative == "src/app.py"


def test_recheck_catches_a_folder_swapped_for_a_link(workspace: Path, tmp_path: Path) -> None:
    (workspace / "scripts").mkdir()
    policy = WorkspacePolicy([workspace])
    target = policy.resolve("scripts/run.sh")
    assert policy.recheck(target) == target
    assert policy.resolve(target.uri) == target  # idempotent over the forms it hands out
    assert policy.resolve(str(target.path)) == target
    (workspace / "scripts").rmdir()
    os.symlink(tmp_path / "outside", workspace / "scripts")
    with pytest.raises(PathRefused, match="outside the workspace"):
        policy.recheck(target)


def test_contains_is_lexical_and_strict(workspace: Path, tmp_path: Path) -> None:
    policy = WorkspacePolicy([workspace])
    assert policy.contains(workspace / "src" / "app.py")
    assert policy.contains(str(workspace))
    assert not policy.contains(tmp_path / "outside" / "secret.txt")
    assert not policy.contains("/etc/passwd")
    assert not policy.contains("/src/app.py")  # not "src/app.py under the first folder"
    assert not policy.contains("src/app.py")


# -- Windows paths (9.7), run with ntpath on any OS -------------------------------------


@pytest.fixture()
def windows() -> WorkspacePolicy:
    return WorkspacePolicy(["C:\\Users\\me\\ws", "D:\\lib"], pathmod=ntpath)


@pytest.mark.parametrize(
    ("given", "relative", "folder"),
    [
        ("src/a.py", "src/a.py", 0),
        ("src\\a.py", "src/a.py", 0),
        ("C:\\Users\\me\\ws\\src\\a.py", "src/a.py", 0),
        ("c:/users/ME/WS/src/a.py", "src/a.py", 0),
        ("file:///c%3A/Users/me/ws/src/a.py", "src/a.py", 0),
        ("file:///C:/Users/me/ws/src/a.py", "src/a.py", 0),
        ("/c:/Users/me/ws/src/a.py", "src/a.py", 0),
        ("D:\\lib\\x.py", "x.py", 1),
        ("lib\\x.py", "x.py", 1),
        ("/test.py", "test.py", 0),
        ("src\\..\\README.md", "README.md", 0),
        ("C:\\Users\\me\\ws", "", 0),
    ],
)
def test_windows_paths_accepted(
    windows: WorkspacePolicy, given: str, relative: str, folder: int
) -> None:
    resolved = windows.resolve(given)
    assert resolved.relative == relative
    assert resolved.folder == windows.folders[folder]
    expected = ntpath.join(str(windows.folders[folder]), *relative.split("/")) if relative else (
        str(windows.folders[folder])
    )
    assert str(resolved.path) == expected


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("C:\\Users\\me\\other\\a.py", "outside"),
        ("C:\\Users\\me\\ws2\\a.py", "outside"),
        ("E:\\ws\\a.py", "outside"),
        ("\\\\server\\share\\a.py", "outside"),
        ("//server/share/a.py", "outside"),
        ("file:///d%3A/other/a.py", "outside"),
        ("C:a.py", "drive"),
        ("..\\x.py", "outside"),
        ("src\\..\\..\\x.py", "outside"),
        (".env", "secret"),
        ("C:\\Users\\me\\ws\\.env", "secret"),
        ("C:\\Users\\me\\ws\\SRC\\.ENV", "secret"),
        ("config\\.aws\\credentials", "secret"),
        (".env.", "dot or a space"),
        (".env ", "secret"),  # surrounding whitespace is stripped first
        ("src \\a.py", "dot or a space"),
        ("src.\\a.py", "dot or a space"),
        (".env::$DATA", "Windows does not allow"),
        ("src\\a.py:hidden", "Windows does not allow"),
        ("src\\CON", "reserved"),
        ("nul.txt", "reserved"),
        ("a<b.py", "Windows does not allow"),
    ],
)
def test_windows_paths_refused(windows: WorkspacePolicy, given: str, why: str) -> None:
    with pytest.raises(PathRefused, match=why):
        windows.resolve(given)


def test_windows_secret_and_display(windows: WorkspacePolicy) -> None:
    assert windows.is_secret("C:\\Users\\me\\ws\\.env")
    assert windows.is_secret("c:\\users\\me\\ws\\deploy\\prod.env")
    assert windows.is_secret(".aws\\credentials")
    assert not windows.is_secret("C:\\Users\\me\\ws\\src\\env.py")
    assert windows.display_of("C:\\Users\\me\\ws\\src\\a.py") == "ws/src/a.py"
    assert windows.contains("c:\\USERS\\me\\ws\\src\\a.py")
    assert not windows.contains("C:\\Users\\me\\wsx\\a.py")


def test_posix_still_refuses_backslashes_and_drives(workspace: Path) -> None:
    policy = WorkspacePolicy([workspace])
    for given in ("src\\app.py", "C:\\ws\\a.py", "file:///c%3A/ws/a.py"):
        with pytest.raises(PathRefused):
            policy.resolve(given)


@pytest.mark.parametrize(
    ("path", "base", "flavour", "expected"),
    [
        ("/ws/a/b", "/ws", posixpath, "a/b"),
        ("/ws", "/ws", posixpath, ""),
        ("/wsx/a", "/ws", posixpath, None),
        ("/", "/", posixpath, ""),
        ("/a", "/", posixpath, "a"),
        ("C:\\ws\\a\\b", "C:\\ws", ntpath, "a/b"),
        ("c:\\WS\\a", "C:\\ws", ntpath, "a"),
        ("C:\\wsx\\a", "C:\\ws", ntpath, None),
        ("C:\\a", "C:\\", ntpath, "a"),
    ],
)
def test_relative_inside_on_both(
    path: str, base: str, flavour: ModuleType, expected: str | None
) -> None:
    assert _relative_inside(path, base, flavour) == expected


def test_the_live_token_file_is_secret_wherever_it_is(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ISKRA_CONFIG_DIR`` may put the token file in a workspace, under any name's folder."""
    monkeypatch.setenv("ISKRA_CONFIG_DIR", str(workspace / "cfg"))
    (workspace / "cfg").mkdir()
    (workspace / "cfg" / "token").write_text("tok\n")
    os.symlink(workspace / "cfg" / "token", workspace / "src" / "notes.txt")
    policy = WorkspacePolicy([workspace])
    for given in ("cfg/token", "src/notes.txt", str(workspace / "cfg" / "token")):
        with pytest.raises(PathRefused, match="secret"):
            policy.resolve(given)
    assert policy.is_secret(workspace / "cfg" / "token")
    assert not policy.is_secret(workspace / "src" / "app.py")
