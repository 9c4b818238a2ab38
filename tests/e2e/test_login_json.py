"""``iskra-ls login --email E --json``: the one e-mail sign-in flow, driven by an editor.

The VS Code extension runs this (with the bundled server) instead of its own HTTP calls,
so there is one flow and one token parser. JSON lines on stdout, codes on stdin, the
token printed for the editor to keep and never written to the token file.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from iskra_ls.stub import StubIskra


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
    clean["ISKRA_CONFIG_DIR"] = str(tmp_path / "config")
    clean["PYTHONUNBUFFERED"] = "1"
    return clean


@pytest.fixture
async def stub(env: dict[str, str]) -> AsyncIterator[StubIskra]:
    async with StubIskra() as server:
        env["ISKRA_API_URL"] = server.url
        yield server


async def _event(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
    event = json.loads(line)
    assert isinstance(event, dict)
    return event


async def _login(env: dict[str, str], email: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "iskra_ls",
        "login",
        "--email",
        email,
        "--json",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _send(proc: asyncio.subprocess.Process, line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    await proc.stdin.drain()


async def test_code_flow_with_a_typo_prints_the_token_and_stores_nothing(
    env: dict[str, str], stub: StubIskra
) -> None:
    proc = await _login(env, "Ed@Example.com")
    assert await _event(proc) == {"event": "askCode", "email": "Ed@Example.com"}
    code = stub.codes["ed@example.com"]
    await _send(proc, "000000" if code != "000000" else "111111")
    wrong = await _event(proc)
    assert wrong["event"] == "wrongCode" and wrong["message"]
    assert (await _event(proc))["event"] == "askCode"
    await _send(proc, code)
    done = await _event(proc)
    assert done["event"] == "signedIn" and done["token"].count(".") == 2
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err
    assert not (Path(env["ISKRA_CONFIG_DIR"]) / "token").exists()
    assert done["token"] not in err.decode()


async def test_unreachable_service_is_one_error_event(env: dict[str, str]) -> None:
    env["ISKRA_API_URL"] = "http://127.0.0.1:9"
    proc = await _login(env, "ed@example.com")
    failed = await _event(proc)
    assert failed["event"] == "error" and "127.0.0.1:9" in failed["message"]
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 1 and "Traceback" not in err.decode()
