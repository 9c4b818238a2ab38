"""Issue 22 item 3: the workspace index parses in worker processes, never on the server's loop.

Through the real server over stdio: while the first index of a large workspace runs, the
server answers requests (its loop is free: the parsing happens in child processes, seen
from outside in /proc), a definition from a closed file still reaches the prompt, and when
the server ends (shut down, or killed) no parsing process is left behind. With
``completion.workspaceIndex`` off there is no walk, no watcher and no worker at all.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import lsp_session
from lsprotocol import types
from pygls.uris import from_fs_path
from test_context_sources import MAIN, SETTINGS, symbols_ready, user_prompt, write_package

from iskra_ls.stub import Reply

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="finds the server's child processes in /proc")


def children(pid: int) -> set[int]:
    """The live child processes of ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def until(predicate: object, what: str, timeout: float = 60.0) -> None:
    """Wait for ``predicate()``; the time limit only bounds a failure (a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


def write_large_workspace(ws: Path, files: int = 300) -> None:
    """Enough source for the first index to take a while on any machine."""
    body = "".join(f"def helper_{i}(value: int, scale: float = 1.0) -> float:\n"
                   f"    \"\"\"Helper number {i}.\"\"\"\n"
                   f"    return value * scale + {i}\n\n\n" for i in range(150))
    for n in range(files):
        folder = ws / f"mod{n // 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"part_{n}.py").write_text(body, encoding="utf-8")


async def test_the_loop_answers_while_workers_parse_and_none_outlives_the_server(
        tmp_path: Path) -> None:
    write_large_workspace(tmp_path / "ws")
    write_package(tmp_path / "ws")
    seen: set[int] = set()
    answered_while_indexing = 0
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        server = s.client._server
        assert server is not None
        while True:
            status = await s.command("iskra.status")
            seen |= children(server.pid)
            if status.symbols.ready:
                break
            answered_while_indexing += 1
            await asyncio.sleep(0.02)
        assert answered_while_indexing > 0  # the server answered during the first index
        assert seen, "the first index ran in no child process"
        assert server.pid not in seen
        main = s.open("pkg/main.py", MAIN)
        s.stub.script(Reply.text("data, strict=True)"))
        await s.inline(main)
        assert "def parse_header(data: bytes, strict: bool = False)" in user_prompt(s)
    await until(lambda: not any(alive(pid) for pid in seen),
                f"parsing processes outlived the server: {[p for p in seen if alive(p)]}")


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_a_killed_server_leaves_no_parsing_worker(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write_large_workspace(ws, files=600)
    env = {"PATH": os.environ.get("PATH", ""), "ISKRA_CONFIG_DIR": str(tmp_path / "config"),
           "ISKRA_API_URL": "http://127.0.0.1:9", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(  # noqa: ASYNC220 (started once; the waits below are async)
        [sys.executable, "-m", "iskra_ls"], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        assert server.stdin is not None
        uri = from_fs_path(str(ws))
        server.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": None, "rootUri": uri, "capabilities": {},
            "workspaceFolders": [{"uri": uri, "name": "ws"}]}}))
        server.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        server.stdin.flush()
        workers: set[int] = set()

        def parsing() -> bool:
            workers.update(children(server.pid))
            return bool(workers)

        await until(parsing, "the first index started no worker")
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        await until(lambda: not any(alive(pid) for pid in workers),
                    f"workers outlived a killed server: {[p for p in workers if alive(p)]}")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)


async def test_the_index_switched_off_walks_nothing_and_starts_no_worker(tmp_path: Path) -> None:
    write_package(tmp_path / "ws")
    settings = {"completion": {"debounceMs": 0, "workspaceIndex": False}}
    async with lsp_session(tmp_path, settings=settings,
                           initialization_options={"iskra": settings}) as s:
        server = s.client._server
        assert server is not None
        main = s.open("pkg/main.py", MAIN)
        s.stub.script(Reply.text("data, strict=True)"))
        await s.inline(main)
        status = await s.command("iskra.status")
        assert status.symbols.enabled is False and status.symbols.files == 0
        assert not children(server.pid)
        prompt = user_prompt(s)
        assert "def load(data):" in prompt  # the request went out, without the definition
        assert "def parse_header(" not in prompt, prompt
        # Switched on again: the index starts and the definition arrives.
        on = {"completion": {"debounceMs": 0, "workspaceIndex": True}}
        s.client.set_configuration({"iskra": on})
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"iskra": on}))
        await symbols_ready(s)
        other = s.open("pkg/other.py", MAIN.replace("load(data)", "read(raw)"))
        s.stub.script(Reply.text("raw)"))
        await s.inline(other)
        assert "def read(raw):" in user_prompt(s)
        assert "def parse_header(data: bytes, strict: bool = False)" in user_prompt(s)
