"""The ``iskra-ls`` command as a user runs it: a subprocess against the bundled stub.

The stub runs in the test's event loop (so tests can read sign-in codes and change
accounts), or as ``iskra-ls stub-server`` in its own process. Every expected
failure must be one ``iskra-ls: ...`` line on stderr, with no traceback, and no
output may ever contain the token.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from iskra_ls import __version__
from iskra_ls.api.auth import TokenStore
from iskra_ls.stub import StubIskra

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGlAZXhhbXBsZS5jb20ifQ.c2lnLWNsaS10ZXN0LTEyMzQ"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def one_error_line(self) -> str:
        """The single stderr line of an expected failure."""
        assert self.code != 0, self
        assert "Traceback" not in self.err, self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("iskra-ls: "), lines[0]
        return lines[0]


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


def token_file(env: dict[str, str]) -> Path:
    return Path(env["ISKRA_CONFIG_DIR"]) / "token"


async def start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "iskra_ls", *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def cli(env: dict[str, str], *args: str, stdin: str = "") -> Run:
    proc = await start(env, *args)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=30)
    assert proc.returncode is not None
    run = Run(proc.returncode, out.decode(), err.decode())
    assert TOKEN not in run.out and TOKEN not in run.err
    return run


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_version(env: dict[str, str]) -> None:
    run = await cli(env, "--version")
    assert run.code == 0
    assert run.out.strip() == f"iskra-ls {__version__}"


async def test_login_with_token_then_status(env: dict[str, str], stub: StubIskra) -> None:
    stub.set_account(TOKEN, requests_today=5)
    run = await cli(env, "login", "--token", TOKEN)
    assert run.code == 0, run
    assert f"Token saved to {token_file(env)}" in run.out
    assert "user@example.com" in run.out or "Signed in" in run.out
    assert stat.S_IMODE(token_file(env).stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file(env).parent.stat().st_mode) == 0o700
    assert token_file(env).read_text().splitlines()[0] == TOKEN
    # The file records the API root the token was issued for (issue 10.7).
    assert token_file(env).read_text().splitlines()[1] == f"api-root={env['ISKRA_API_URL']}"

    run = await cli(env, "status", "--json")
    assert run.code == 0, run
    me = json.loads(run.out)
    assert me["usage"] == {"requestsToday": 5, "tokensToday": 0, "limit": 20, "remaining": 15}
    assert me["user"]["tier"] == "free"

    run = await cli(env, "status")
    assert run.code == 0, run
    assert "free" in run.out
    assert "5 of 20, 15 remaining" in run.out
    assert "token file" in run.out


async def test_login_token_from_stdin(env: dict[str, str], stub: StubIskra) -> None:
    run = await cli(env, "login", "--token", "-", stdin=TOKEN + "\n")
    assert run.code == 0, run
    assert token_file(env).read_text().splitlines()[0] == TOKEN


async def test_login_with_email_and_code(env: dict[str, str], stub: StubIskra) -> None:
    proc = await start(env, "login")
    assert proc.stdin is not None
    proc.stdin.write(b"Dev@Example.com\n")
    await proc.stdin.drain()
    for _ in range(300):  # the code exists once send-code has arrived
        if "dev@example.com" in stub.codes:
            break
        await asyncio.sleep(0.02)
    proc.stdin.write(stub.codes["dev@example.com"].encode() + b"\n")
    await proc.stdin.drain()
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, (out, err)
    token = token_file(env).read_text().splitlines()[0]
    assert token and token not in out.decode() and token not in err.decode()
    assert f"Token saved to {token_file(env)}" in out.decode()

    run = await cli(env, "status", "--json")
    assert json.loads(run.out)["user"]["email"] == "dev@example.com"


async def test_login_with_email_against_the_stub_process(env: dict[str, str]) -> None:
    """`iskra-ls stub-server` as its own process: the URL from stdout, the code from stderr."""
    server = await start(env, "stub-server", "--port", "0", "--limit", "7")
    try:
        assert server.stdout is not None and server.stderr is not None
        line = (await asyncio.wait_for(server.stdout.readline(), timeout=30)).decode()
        match = re.fullmatch(r"Iskra stub server listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        env["ISKRA_API_URL"] = match.group(1)

        hint = (await asyncio.wait_for(server.stderr.readline(), timeout=30)).decode()
        assert f"ISKRA_API_URL={match.group(1)} iskra-ls login" in hint, hint
        assert "random" in hint and "printed here" in hint, hint

        proc = await start(env, "login", "--email", "me@example.com")
        code = None
        while code is None:
            text = (await asyncio.wait_for(server.stderr.readline(), timeout=30)).decode()
            found = re.search(r"code for me@example\.com is (\d+)", text)
            code = found.group(1) if found else None
        out, err = await asyncio.wait_for(proc.communicate(code.encode() + b"\n"), timeout=30)
        assert proc.returncode == 0, (out, err)

        run = await cli(env, "status", "--json")
        assert run.code == 0, run
        assert json.loads(run.out)["usage"]["limit"] == 7
    finally:
        server.terminate()
        assert await asyncio.wait_for(server.wait(), timeout=10) == 0


async def test_stub_server_help_says_how_to_sign_in(env: dict[str, str]) -> None:
    run = await cli(env, "stub-server", "--help")
    assert run.code == 0, run
    text = " ".join(run.out.split())
    assert "ISKRA_API_URL=http://127.0.0.1:PORT iskra-ls login" in text, run.out
    assert "random 6-digit code, printed in this server's terminal" in text, run.out


async def test_wrong_code_three_times_is_one_line(env: dict[str, str], stub: StubIskra) -> None:
    run = await cli(env, "login", "--email", "me@example.com", stdin="000000x\n" * 3)
    line = run.one_error_line()
    assert "wrong or has expired" in line and "iskra-ls login" in line, line
    assert "malformed" not in run.out + run.err
    assert run.out.count("Code: ") == 3, run.out
    assert run.out.count("A sign-in code was sent") == 1, run.out  # none after a wrong one
    assert not token_file(env).exists()


async def test_wrong_code_can_be_typed_again(env: dict[str, str], stub: StubIskra) -> None:
    """A mistyped code is no reason to start over: the user types it again."""
    proc = await start(env, "login", "--email", "me@example.com")
    assert proc.stdin is not None
    for _ in range(300):  # the code exists once send-code has arrived
        if "me@example.com" in stub.codes:
            break
        await asyncio.sleep(0.02)
    good = stub.codes["me@example.com"].encode()
    out, err = await asyncio.wait_for(proc.communicate(b"000000x\n" + good + b"\n"), timeout=30)
    text = out.decode()
    assert proc.returncode == 0, (text, err)
    assert "That code is wrong or has expired; type it again" in text
    assert "malformed" not in text + err.decode()
    assert token_file(env).exists()


async def test_closed_stdin_at_the_prompt(env: dict[str, str], stub: StubIskra) -> None:
    run = await cli(env, "login")
    assert "no input" in run.one_error_line()


async def test_logout_then_status(env: dict[str, str], stub: StubIskra) -> None:
    assert (await cli(env, "login", "--token", TOKEN)).code == 0
    run = await cli(env, "logout")
    assert run.code == 0
    assert "Signed out" in run.out
    assert not token_file(env).exists()
    run = await cli(env, "logout")
    assert run.code == 0 and "nothing to do" in run.out

    run = await cli(env, "status")
    assert "Not signed in" in run.one_error_line()
    assert run.out == ""


async def test_environment_token_wins(env: dict[str, str], stub: StubIskra) -> None:
    env["ISKRA_TOKEN"] = TOKEN
    run = await cli(env, "status")
    assert run.code == 0, run
    assert "environment" in run.out


async def test_revoked_token(env: dict[str, str], stub: StubIskra) -> None:
    assert (await cli(env, "login", "--token", TOKEN)).code == 0
    stub.revoke(TOKEN)
    run = await cli(env, "status")
    assert "401" in run.one_error_line()


async def test_rejected_token_is_not_stored(env: dict[str, str], stub: StubIskra) -> None:
    stub.revoke(TOKEN)
    run = await cli(env, "login", "--token", TOKEN)
    assert "401" in run.one_error_line()
    assert not token_file(env).exists()


async def test_unreachable_service(env: dict[str, str]) -> None:
    env["ISKRA_API_URL"] = f"http://127.0.0.1:{closed_port()}"
    env["ISKRA_TOKEN"] = TOKEN
    run = await cli(env, "status")
    line = run.one_error_line()
    assert line.startswith("iskra-ls: Cannot reach Iskra")
    # On the command line the URL comes from ISKRA_API_URL (or --api-url), not a setting.
    assert "ISKRA_API_URL" in line and "apiUrl setting" not in line, line


async def test_login_stores_the_token_when_offline(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    run = await cli(env, "--api-url", url, "login", "--token", TOKEN)
    assert run.code == 0, run
    assert "Could not verify" in run.out
    assert ".)" not in run.out and ").)" not in run.out, run.out  # no nested parentheses
    assert "Stored it anyway." in run.out, run.out
    assert token_file(env).read_text().splitlines()[0] == TOKEN


async def test_status_when_the_quota_is_spent(env: dict[str, str], stub: StubIskra) -> None:
    """/auth/me costs no request, so status still answers on a spent day."""
    stub.set_account(TOKEN, requests_today=20)
    env["ISKRA_TOKEN"] = TOKEN
    run = await cli(env, "status")
    assert run.code == 0, run
    assert "20 of 20, 0 remaining" in run.out
    assert "limit is reached" in run.out
    # The README promises the reset time: Iskra's day ends at midnight UTC.
    assert re.search(r"resets at 00:00 UTC \(in (\d+ h )?\d+ min", run.out), run.out


async def test_usage_error_exits_2(env: dict[str, str]) -> None:
    run = await cli(env, "status", "--no-such-option")
    assert run.code == 2
    assert "Traceback" not in run.err


def frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


async def read_frame(reader: asyncio.StreamReader) -> dict[str, object]:
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        assert name.lower().startswith("content-"), f"not an LSP header: {line!r}"
        if name.lower() == "content-length":
            length = int(value)
    assert length, "no LSP message"
    message: dict[str, object] = json.loads(await reader.readexactly(length))
    return message


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"processId": None, "rootUri": None, "capabilities": {}}}


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """initialize → result; shutdown → null; exit."""
    writer.write(frame(INITIALIZE))
    await writer.drain()
    while "id" not in (reply := await asyncio.wait_for(read_frame(reader), timeout=30)):
        pass  # notifications before the answer are fine
    assert "capabilities" in reply["result"]  # type: ignore[operator]
    writer.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    writer.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    await writer.drain()


@pytest.mark.parametrize("args", [["--stdio"], ["serve", "--stdio"], [], ["--log-level", "debug"]])
async def test_serve_over_stdio(env: dict[str, str], args: list[str]) -> None:
    """Editors add `--stdio`; stdout carries only LSP frames, logs go to stderr."""
    proc = await start(env, *args)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        await handshake(proc.stdout, proc.stdin)
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_serve_over_tcp(env: dict[str, str]) -> None:
    port = closed_port()
    proc = await start(env, "serve", "--tcp", f"127.0.0.1:{port}")
    try:
        for _ in range(300):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server never listened")
        await handshake(reader, writer)
        writer.close()
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=10)


async def test_stub_server_port_in_use(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = await cli(env, "stub-server", "--port", str(taken.getsockname()[1]))
    assert "in use" in run.one_error_line()


async def test_bad_tcp_address_is_a_usage_error(env: dict[str, str]) -> None:
    run = await cli(env, "serve", "--tcp", "nowhere")
    assert run.code == 2
    assert "HOST:PORT" in run.err


async def test_terminal_login_reaches_a_watcher_within_a_second(
    env: dict[str, str], stub: StubIskra, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a running server sees when the user runs `iskra-ls login` / `logout`."""
    from iskra_ls.api.auth import TokenStore, TokenWatcher

    monkeypatch.setenv("ISKRA_CONFIG_DIR", env["ISKRA_CONFIG_DIR"])
    seen: asyncio.Queue[tuple[str | None, float]] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    watcher = TokenWatcher(TokenStore(), lambda token: seen.put_nowait((token, loop.time())))
    await watcher.start()
    try:
        assert (await cli(env, "login", "--token", TOKEN)).code == 0
        exited = loop.time()
        token, at = await asyncio.wait_for(seen.get(), timeout=1.0)
        assert token == TOKEN and at - exited < 1.0

        assert (await cli(env, "logout")).code == 0
        exited = loop.time()
        token, at = await asyncio.wait_for(seen.get(), timeout=1.0)
        assert token is None and at - exited < 1.0
    finally:
        await watcher.stop()


# -- the token file and the API root (issue 20.7) ---------------------------------------------
# The token file is read only as a plain file in a folder only the user can change; the
# command line sends a token only to the API root it was issued for and, without
# ISKRA_API_URL, asks the root the token file records.


def _save(env: dict[str, str], url: str) -> None:
    TokenStore(token_file(env)).save(TOKEN, url)


def _link(link: Path, target: Path) -> None:
    link.symlink_to(target)


async def test_a_symlinked_token_file_is_refused(env: dict[str, str], stub: StubIskra,
                                                 tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"  # another file of the user's, readable by others
    other.write_text(f"{TOKEN}\nmy shopping list\n")
    other.chmod(0o644)
    folder = token_file(env).parent
    folder.mkdir(mode=0o700)
    _link(token_file(env), other)
    run = await cli(env, "status")
    line = run.one_error_line()
    assert "symlink" in line and str(token_file(env)) in line, line
    assert stat.S_IMODE(other.stat().st_mode) == 0o644  # not touched
    assert stub.me_requests == 0


async def test_a_world_writable_config_folder_is_refused(env: dict[str, str], stub: StubIskra,
                                                         ) -> None:
    _save(env, stub.url)
    folder = token_file(env).parent
    folder.chmod(0o777)
    run = await cli(env, "status")
    line = run.one_error_line()
    assert "writable" in line and str(folder) in line, line
    assert stub.me_requests == 0
    run = await cli(env, "login", "--token", TOKEN)
    assert "writable" in run.one_error_line()


async def test_a_symlinked_config_folder_is_refused(env: dict[str, str], stub: StubIskra,
                                                    tmp_path: Path) -> None:
    real = tmp_path / "shared-config"
    real.mkdir(mode=0o700)
    TokenStore(real / "token").save(TOKEN, stub.url)
    _link(Path(env["ISKRA_CONFIG_DIR"]), real)
    run = await cli(env, "status")
    line = run.one_error_line()
    assert "symlink" in line and env["ISKRA_CONFIG_DIR"] in line, line
    assert stub.me_requests == 0


async def test_status_never_sends_the_token_to_another_root(env: dict[str, str],
                                                           stub: StubIskra) -> None:
    _save(env, stub.url)
    async with StubIskra() as second:
        env["ISKRA_API_URL"] = second.url
        run = await cli(env, "status")
        line = run.one_error_line()
        assert stub.url in line and second.url in line, line
        assert second.me_requests == 0
        run = await cli(env, "--api-url", second.url, "status")
        run.one_error_line()
        assert second.me_requests == 0


async def test_status_asks_the_root_the_token_file_records(env: dict[str, str],
                                                           stub: StubIskra) -> None:
    _save(env, stub.url)
    del env["ISKRA_API_URL"]
    run = await cli(env, "status")
    assert run.code == 0, run
    assert stub.me_requests == 1
    assert "20 remaining" in run.out
