"""File policy through the real server: what the model's tools and the prompt may touch.

Issue 9 items 1 (path part), 4 and 5 (policy part), driven over stdio against
the stub: a FIFO must be refused, not read (reading one hung the whole
server); a file with a second hard link is neither read nor written (its other
name may be outside or a secret); a symlink cannot be renamed (a relative link
moved to another folder points elsewhere); every file on the default secret
list is refused by every tool; and the completion prompt contains text only
from non-secret documents inside the workspace -- never from a tab open
elsewhere, a secret, or a link to one.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from harness import Session, lsp_session
from pygls.uris import from_fs_path

from iskra_ls.stub import Reply

TOOLS = ["read_file", "list_directory", "write_file", "replace_in_file",
         "create_file_or_folder", "delete_file", "rename_file", "rename_onto"]

NEW_SECRETS = [
    ".envrc", ".env_production", "deploy/prod.env", ".aws/credentials", ".git-credentials",
    ".docker/config.json", ".kube/config", "infra/prod.tfvars", "infra/terraform.tfstate",
    "credentials.json", "keys/service-account-ci.json", "android/release.keystore",
    "android/upload.jks", ".vault-token", ".netrc", ".npmrc", ".pypirc",
    ".config/gh/hosts.yml", ".pgpass", "putty.ppk", ".config/iskra/token",
]
"""Secrets the old list let through (issue 9.4); each holds its own marker."""


def marker(name: str) -> str:
    return f"POLICY-MARKER-k3v9-{name.replace('/', '_')}"


def call(tool: str, target: str) -> tuple[str, dict[str, object]]:
    args: dict[str, dict[str, object]] = {
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


def tool_results(s: Session) -> list[str]:
    return [m["content"] for m in s.stub.requests[-1]["messages"] if m["role"] == "tool"]


def sent(s: Session) -> str:
    return json.dumps(s.stub.requests, ensure_ascii=False)


def tree(root: Path) -> dict[str, bytes | str]:
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
                out[key] = "other"
    return out


async def ask(s: Session, uri: str, instruction: str = "probe") -> object:
    return await asyncio.wait_for(s.command("iskra.ask", {"uri": uri, "instruction": instruction}),
                                  30)


# -- 9.5: only regular files ---------------------------------------------------------------


@pytest.mark.parametrize("tool", ["read_file", "replace_in_file", "write_file"])
async def test_a_fifo_is_refused_and_the_server_stays_alive(tmp_path: Path, tool: str) -> None:
    async with lsp_session(tmp_path) as s:
        os.mkfifo(s.root / "pipe")
        os.symlink(s.root / "pipe", s.root / "pipe_link")
        (s.root / "ok.py").write_text("print('ok')\n", encoding="utf-8")
        uri = s.open("ok.py", "print('ok')\n")
        s.stub.script(Reply.tool_calls([call(tool, "pipe"), call(tool, "pipe_link")]),
                      Reply.text("Tried."))
        answer = await ask(s, uri)
        results = tool_results(s)
        assert len(results) == 2
        assert all(r.startswith("Error") and "regular file" in r for r in results), results
        assert getattr(answer, "applied", None) is False and s.edits == []
        # the server still answers, and the FIFO is still a FIFO
        s.stub.script(Reply.text("Nothing to do."))
        again = await ask(s, uri, "again")
        assert getattr(again, "applied", None) is False
        assert (s.root / "pipe").is_fifo()


# -- 9.1 / 9.5: hard links ----------------------------------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
async def test_hard_linked_files_are_refused_by_every_tool(tmp_path: Path, tool: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"KEY={marker('outside')}\n", encoding="utf-8")
    async with lsp_session(tmp_path) as s:
        (s.root / ".env").write_text(f"KEY={marker('.env')}\n", encoding="utf-8")
        (s.root / "ok.py").write_text("print('ok')\n", encoding="utf-8")
        os.link(outside / "secret.txt", s.root / "notes.txt")
        os.link(s.root / ".env", s.root / "config.txt")
        before = tree(tmp_path)
        uri = s.open("ok.py", "print('ok')\n")
        targets = ["notes.txt", "config.txt"]
        s.stub.script(Reply.tool_calls([call(tool, t) for t in targets]), Reply.text("Tried."))
        answer = await ask(s, uri)
        results = tool_results(s)
        assert len(results) == 2
        assert all(r.startswith("Error") for r in results), results
        if tool != "list_directory":
            assert all("hard link" in r for r in results), results
        assert getattr(answer, "applied", None) is False and s.edits == []
        assert tree(tmp_path) == before
        assert marker("outside") not in sent(s) and marker(".env") not in sent(s)


async def test_a_hard_linked_file_is_not_completion_context(tmp_path: Path) -> None:
    settings = {"completion": {"debounceMs": 0}}
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"KEY={marker('outside')}\n", encoding="utf-8")
    async with lsp_session(tmp_path, settings=settings,
                           initialization_options={"iskra": settings}) as s:
        os.link(outside / "secret.txt", s.root / "notes.txt")
        notes = s.open("notes.txt", (s.root / "notes.txt").read_text(encoding="utf-8"),
                       "plaintext")
        s.type_text(notes, "\n")
        main = s.open("main.py", "import os\n\nvalue = ")
        s.stub.script(Reply.text("1"))
        await s.inline(main)
        assert len(s.stub.requests) == 1
        assert marker("outside") not in sent(s)


# -- 9.1: a symlink cannot be moved ---------------------------------------------------------


async def test_renaming_a_symlink_is_refused(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "a").mkdir()
        os.symlink("../outside", s.root / "a" / "dl")  # dangling; in ws/ it would point out
        os.symlink("../ok.py", s.root / "a" / "ok_link")
        (s.root / "ok.py").write_text("print('ok')\n", encoding="utf-8")
        before = tree(tmp_path)
        uri = s.open("ok.py", "print('ok')\n")
        s.stub.script(Reply.tool_calls([
            ("rename_file", {"uri": "a/dl", "new_uri": "dist"}),
            ("rename_file", {"uri": "a/ok_link", "new_uri": "ok_link2"}),
        ]), Reply.text("Moved."))
        answer = await ask(s, uri, "move the links")
        results = tool_results(s)
        assert all(r.startswith("Error") and "symbolic link" in r for r in results), results
        assert getattr(answer, "applied", None) is False and s.edits == []
        assert not (s.root / "dist").is_symlink()
        assert tree(tmp_path) == before


# -- 9.4: the real secret list, through every tool -----------------------------------------


@pytest.mark.parametrize("tool", TOOLS)
async def test_every_tool_refuses_the_new_secrets(tmp_path: Path, tool: str) -> None:
    async with lsp_session(tmp_path) as s:
        for name in NEW_SECRETS:
            path = s.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"KEY={marker(name)}\n", encoding="utf-8")
        (s.root / "ok.py").write_text("print('ok')\n", encoding="utf-8")
        before = tree(tmp_path)
        uri = s.open("ok.py", "print('ok')\n")
        s.stub.script(Reply.tool_calls([call(tool, t) for t in NEW_SECRETS]), Reply.text("ok"))
        answer = await ask(s, uri)
        results = tool_results(s)
        assert len(results) == len(NEW_SECRETS)
        accepted = [(t, r) for t, r in zip(NEW_SECRETS, results, strict=True)
                    if not r.startswith("Error")]
        assert not accepted, f"{tool} was not refused for: {accepted}"
        assert getattr(answer, "applied", None) is False and s.edits == []
        assert tree(tmp_path) == before
        leaked = [n for n in NEW_SECRETS if marker(n) in sent(s)]
        assert not leaked, leaked


async def test_listings_hide_the_new_secrets(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        for name in NEW_SECRETS:
            path = s.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"KEY={marker(name)}\n", encoding="utf-8")
        uri = s.open("ok.py", "print('ok')\n")
        folders = ["", "deploy", "infra", "keys", "android", ".config", ".config/gh",
                   ".config/iskra"]
        s.stub.script(Reply.tool_calls([("list_directory", {"uri": f}) for f in folders]),
                      Reply.text("Listed."))
        await ask(s, uri, "list")
        listing = "\n".join(tool_results(s))
        shown = [n for n in NEW_SECRETS if n.rsplit("/", 1)[-1] in listing.split()]
        assert not shown, listing
        assert ".aws" not in listing and "token" not in listing, listing


# -- 9.4: completion context only from workspace documents ----------------------------------


@pytest.mark.parametrize("where", [
    "outside-secret",      # an ~/.aws/credentials tab
    "outside-plain",       # any file outside the workspace folders
    "workspace-new-secret",
    "link-to-secret",      # a harmless name that is a symlink to .env
])
async def test_completion_prompt_has_only_workspace_non_secret_text(tmp_path: Path,
                                                                    where: str) -> None:
    settings = {"completion": {"debounceMs": 0}}
    async with lsp_session(tmp_path, settings=settings,
                           initialization_options={"iskra": settings}) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        home = tmp_path / "home"
        files = {
            "outside-secret": home / ".aws" / "credentials",
            "outside-plain": home / "notes.txt",
            "workspace-new-secret": s.root / "deploy" / "prod.env",
            "link-to-secret": s.root / "sub" / "settings.txt",
        }
        path = files[where]
        path.parent.mkdir(parents=True, exist_ok=True)
        if where == "link-to-secret":
            (s.root / ".env").write_text(f"KEY={marker(where)}\n", encoding="utf-8")
            os.symlink(s.root / ".env", path)
        else:
            path.write_text(f"KEY={marker(where)}\n", encoding="utf-8")
        uri = str(from_fs_path(str(path)))
        s.docs[uri] = (path.read_text(encoding="utf-8"), 1)
        from lsprotocol import types

        s.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="plaintext", version=1,
                                                 text=s.docs[uri][0])))
        s.type_text(uri, "\nEXTRA=1")  # an edited document becomes a "neighbour"
        main = s.open("main.py", "import os\n\nvalue = ")
        s.stub.script(Reply.text("1"))
        await s.inline(main)
        assert len(s.stub.requests) == 1  # the workspace document itself is completed
        # and typing in the other document sends nothing of it either
        s.stub.script(Reply.text("2"))
        await s.inline(uri)
        assert marker(where) not in sent(s)
