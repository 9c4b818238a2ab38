"""``--tcp`` (issue 10.7): loopback only, one client; a second connection never takes over."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

HANG_GUARD_S = 20.0
"""Only guards against a hang; no test measures time."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "ISKRA_CONFIG_DIR": str(tmp_path / "config"),
            "ISKRA_API_URL": "http://127.0.0.1:9", "PYTHONUNBUFFERED": "1"}


async def _send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()


async def _read(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    header = await reader.readuntil(b"\r\n\r\n")
    length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
    return dict(json.loads(await reader.readexactly(length)))


async def _answer(reader: asyncio.StreamReader, msg_id: int) -> dict[str, Any]:
    while True:
        message = await _read(reader)
        if message is not None and message.get("id") == msg_id and "method" not in message:
            return message


def _initialize(msg_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "initialize",
            "params": {"processId": None, "rootUri": None, "capabilities": {}}}


async def test_tcp_refuses_a_host_that_is_not_loopback(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "iskra_ls", "--tcp", f"0.0.0.0:{_free_port()}",
        env=_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        _out, err = await asyncio.wait_for(process.communicate(), HANG_GUARD_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode != 0
    assert "this machine" in err.decode() and "stdio" in err.decode()


async def test_tcp_serves_one_client_and_a_second_cannot_take_over(tmp_path: Path) -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "iskra_ls", "--tcp", f"127.0.0.1:{port}",
        env=_env(tmp_path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                first_reader, first = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server never listened")
        await _send(first, _initialize(1))
        answer = await asyncio.wait_for(_answer(first_reader, 1), HANG_GUARD_S)
        assert "result" in answer

        second_reader, second = await asyncio.open_connection("127.0.0.1", port)
        await _send(second, _initialize(7))
        try:
            leftover = await asyncio.wait_for(second_reader.read(), HANG_GUARD_S)
        except ConnectionResetError:
            leftover = b""  # closed at once
        assert leftover == b"", "a second client was answered"
        second.close()

        # The first client still owns the session.
        await _send(first, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        answer = await asyncio.wait_for(_answer(first_reader, 2), HANG_GUARD_S)
        assert answer.get("result") is None and "error" not in answer
        await _send(first, {"jsonrpc": "2.0", "method": "exit"})
        first.close()
        await asyncio.wait_for(process.wait(), HANG_GUARD_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
