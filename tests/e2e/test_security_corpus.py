"""Path and secret corpus: the model cannot reach outside the workspace or into secrets.

Through the real server, every file tool is tried on every hostile path
(``..``, absolute paths elsewhere, symlinks out, other ``file://`` URIs,
percent-encoded and Windows-style paths, NUL bytes, very long names) and on
every secret file (``.env``, keys, ``.git/``, ``.ssh/``, ``.npmrc``, configured
``actions.secretGlobs``). Each call must be refused (its tool result starts
with ``Error``), no ``workspace/applyEdit`` may be sent, nothing on disk may
change, and no secret's unique marker may ever appear in a request the stub
received -- neither through the tools, nor through listings, nor through the
editor's open documents (completion neighbours, completions or actions run in a
secret file).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from harness import Session, lsp_session
from pygls.uris import from_fs_path

from iskra_ls.stub import Reply

SECRET_GLOBS = ["*.vault", "conf/prod.yml"]
SECRETS = [".env", ".env.local", "id_rsa", "keys/id_rsa", "server.pem", ".git/config",
           ".ssh/id_ed25519", ".npmrc", "db.vault", "conf/prod.yml"]
"""Workspace-relative secret files; each holds its own marker."""
TOOLS = ["read_file", "list_directory", "write_file", "replace_in_file",
         "create_file_or_folder", "delete_file", "rename_file", "rename_onto"]


def marker(name: str) -> str:
    return f"SECRET-MARKER-q7x2-{name.replace('/', '_')}"


def build_world(tmp_path: Path, ws: Path) -> tuple[Path, list[str]]:
    """Secrets in the workspace, a private folder outside it, links leading out."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(marker("outside/secret.txt"), encoding="utf-8")
    (outside / "notes.md").write_text(marker("outside/notes.md"), encoding="utf-8")
    for name in SECRETS:
        path = ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"KEY={marker(name)}\n", encoding="utf-8")
    (ws / "ok.py").write_text("print('ok')\n", encoding="utf-8")
    (ws / "sub").mkdir(exist_ok=True)
    (ws / "sub" / "mod.py").write_text("x = 1\n", encoding="utf-8")
    os.symlink(outside, ws / "link")
    os.symlink(outside / "secret.txt", ws / "linkfile")
    os.symlink(ws / ".env", ws / "sub" / "envlink")
    markers = [marker(n) for n in SECRETS] + [marker("outside/secret.txt"),
                                               marker("outside/notes.md")]
    return outside, markers


def hostile_targets(ws: Path, outside: Path) -> list[str]:
    ws_uri = str(from_fs_path(str(ws)))
    out_uri = str(from_fs_path(str(outside / "secret.txt")))
    escapes = [
        "..", "../outside/secret.txt", "../../../../etc/passwd", "sub/../../outside/secret.txt",
        "./../outside", str(outside / "secret.txt"), str(outside), "/etc/passwd", "/etc/",
        out_uri, "file:///etc/passwd", "file://localhost/etc/passwd",
        "file://evil.example/etc/passwd", f"{ws_uri}/../outside/secret.txt",
        f"{ws_uri}/%2e%2e/outside/secret.txt", "%2e%2e/outside/secret.txt",
        "..%2Foutside%2Fsecret.txt", "sub%2f..%2f..%2foutside", "http://evil.example/x",
        "link", "link/secret.txt", "link/notes.md", "linkfile", "sub/envlink",
        "..\\outside\\secret.txt", "sub\\..\\..\\outside", "C:\\Windows\\win.ini",
        "C:/Windows/win.ini", "\\\\server\\share\\x", "a\x00b.py", "ok.py\x00.txt",
        "x" * 300, "d/" * 2100 + "f.py", "~/.ssh/id_rsa",
    ]
    secrets = [*SECRETS, ".git", ".git/", ".ssh", "./.env", "sub/../.env", "/.env",
               str(ws / ".env"), f"{ws_uri}/.env", f"{ws_uri}/keys/id_rsa", ".git/HEAD",
               "keys/../server.pem", "conf/../conf/prod.yml", "other.vault"]
    return escapes + secrets


def call(tool: str, target: str) -> tuple[str, dict[str, Any]]:
    args: dict[str, dict[str, Any]] = {
        "read_file": {"uri": target},
        "list_directory": {"uri": target},
        "write_file": {"uri": target, "content": "pwned\n"},
        "replace_in_file": {"uri": target, "search": "KEY", "replace": "pwned"},
        "create_file_or_folder": {"uri": target, "content": "pwned\n"},
        "delete_file": {"uri": target},
        "rename_file": {"uri": target, "new_uri": "moved.txt"},
        "rename_onto": {"uri": "ok.py", "new_uri": target},
    }
    return ("rename_file" if tool == "rename_onto" else tool), args[tool]


def snapshot(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            key = str(path.relative_to(root))
            if key == "config" or name.startswith("quota.sqlite3"):
                continue  # the server's own folder and quota ledger (every request writes it)
            if path.is_symlink():
                out[key] = "-> " + os.readlink(path)
            elif path.is_file():
                out[key] = path.read_bytes()
            else:
                out[key] = "dir"
    return out


def tool_results(s: Session) -> list[str]:
    """Tool results of the last request, in call order."""
    return [m["content"] for m in s.stub.requests[-1]["messages"] if m["role"] == "tool"]


def assert_no_marker(s: Session, markers: list[str]) -> None:
    sent = json.dumps(s.stub.requests, ensure_ascii=False)
    leaked = [m for m in markers if m in sent]
    assert not leaked, f"secret markers sent to Iskra: {leaked}"


SETTINGS = {"actions": {"secretGlobs": SECRET_GLOBS, "maxSteps": 3}}


@pytest.mark.parametrize("tool", TOOLS)
async def test_every_tool_refuses_every_hostile_path(tmp_path: Path, tool: str) -> None:
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        outside, markers = build_world(tmp_path, s.root)
        targets = hostile_targets(s.root, outside)
        before = snapshot(tmp_path)
        uri = s.open("ok.py", "print('ok')\n")
        s.stub.script(Reply.tool_calls([call(tool, t) for t in targets]), Reply.text("Tried."))
        answer = await asyncio.wait_for(
            s.command("iskra.ask", {"uri": uri, "instruction": "probe"}), 30)
        results = tool_results(s)
        assert len(results) == len(targets)
        accepted = [(t, r) for t, r in zip(targets, results, strict=True)
                    if not r.startswith("Error")]
        assert not accepted, f"{tool} was not refused for: {accepted}"
        assert answer.applied is False and s.edits == []
        assert snapshot(tmp_path) == before
        assert s.text(uri) == "print('ok')\n"
        assert_no_marker(s, markers)


async def test_listings_never_show_secrets(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        _outside, markers = build_world(tmp_path, s.root)
        uri = s.open("ok.py", "print('ok')\n")
        folders = ["", ".", "/", "./", "sub", "keys", "conf", str(s.root),
                   str(from_fs_path(str(s.root)))]
        s.stub.script(Reply.tool_calls([("list_directory", {"uri": f}) for f in folders]),
                      Reply.text("Listed."))
        await s.command("iskra.ask", {"uri": uri, "instruction": "list"})
        results = tool_results(s)
        assert len(results) == len(folders)
        root_listing = results[0]
        assert "ok.py" in root_listing and "sub" in root_listing, root_listing
        hidden = [".env", ".env.local", "id_rsa", "server.pem", ".git", ".ssh", ".npmrc",
                  "db.vault", "prod.yml", "envlink", "linkfile"]
        for folder, listing in zip(folders, results, strict=True):
            names = {line.strip().rstrip("/") for line in listing.splitlines()}
            names |= {n.rsplit("/", 1)[-1] for n in names}
            shown = [h for h in hidden if h in names or h in listing]
            assert not shown, f"listing of {folder!r} shows {shown}: {listing!r}"
            assert "link/" not in listing and "\nlink" not in listing, listing
        assert s.edits == []
        assert_no_marker(s, markers)




@pytest.mark.parametrize("way", [
    "neighbours",
    "completion-in-secret",
    "ask-on-secret",
    "tool-read-of-open-secret",
])
async def test_secret_documents_open_in_the_editor_never_reach_iskra(tmp_path: Path,
                                                                    way: str) -> None:
    """An editor showing a secret file must not turn it into prompt text, whichever way."""
    settings = {**SETTINGS, "completion": {"debounceMs": 0}}
    async with lsp_session(tmp_path, settings=settings,
                           initialization_options={"iskra": settings}) as s:
        _outside, markers = build_world(tmp_path, s.root)
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        env = s.open(".env", (s.root / ".env").read_text(encoding="utf-8"), "dotenv")
        key = s.open("keys/id_rsa", (s.root / "keys/id_rsa").read_text(encoding="utf-8"),
                     "plaintext")
        s.type_text(env, "\nEXTRA=1")  # recently edited documents become "neighbours"
        s.type_text(key, "\n")
        main = s.open("main.py", "import os\n\nvalue = ")
        if way == "neighbours":
            s.stub.script(Reply.text("1"))
            await s.inline(main)
            assert len(s.stub.requests) == 1
        elif way == "completion-in-secret":
            for doc in (env, key):
                s.stub.script(Reply.text("SECRET=2"))
                await s.inline(doc)
        elif way == "ask-on-secret":
            for doc in (env, key):
                s.stub.script(Reply.text("Nothing to change."))
                await s.command("iskra.ask", {"uri": doc, "instruction": "explain"})
        else:
            s.stub.script(Reply.tool_calls([("read_file", {"uri": ".env"}),
                                            ("read_file", {"uri": env}),
                                            ("read_file", {"uri": key})]), Reply.text("ok"))
            await s.command("iskra.ask", {"uri": main, "instruction": "read the env"})
            assert [r.startswith("Error") for r in tool_results(s)] == [True] * 3
        assert s.edits == []
        assert_no_marker(s, markers)
