"""The token file, token precedence, the file watcher and the e-mail code login."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from pathlib import Path

import pytest

from iskra_ls import errors
from iskra_ls.api.auth import TokenStore, TokenWatcher, config_dir, login_with_code, resolve_token
from iskra_ls.api.client import IskraClient
from iskra_ls.stub import StubIskra


@pytest.fixture(autouse=True)
def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config" / "iskra"
    monkeypatch.setenv("ISKRA_CONFIG_DIR", str(directory))
    monkeypatch.delenv("ISKRA_TOKEN", raising=False)
    return directory


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_config_dir_from_environment(_config: Path) -> None:
    assert config_dir() == _config
    assert TokenStore().token_file == _config / "token"


def test_config_dir_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ISKRA_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir().name == "iskra"


def test_save_creates_private_dir_and_file(_config: Path) -> None:
    store = TokenStore()
    old = os.umask(0)  # even with a permissive umask
    try:
        store.save("  tok-123456  \n")
    finally:
        os.umask(old)
    assert _mode(_config) == 0o700
    assert _mode(store.token_file) == 0o600
    assert store.load() == "tok-123456"
    assert [p.name for p in _config.iterdir()] == ["token"]  # no temp file left


def test_save_replaces_atomically(_config: Path) -> None:
    """A reader running alongside repeated saves only ever sees a whole token."""
    store = TokenStore()
    store.save("a" * 64)
    seen: set[str] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            value = store.load()
            assert value is not None
            seen.add(value)
            assert _mode(store.token_file) == 0o600

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(100):
            store.save(("b" if i % 2 else "a") * 64)
    finally:
        done.set()
        reader.join()
    assert seen <= {"a" * 64, "b" * 64}


def test_save_rejects_empty() -> None:
    with pytest.raises(ValueError):
        TokenStore().save("   ")


def test_load_tightens_a_readable_file(_config: Path) -> None:
    store = TokenStore()
    _config.mkdir(parents=True)
    store.token_file.write_text("copied-token\n")
    store.token_file.chmod(0o644)
    assert store.load() == "copied-token"
    assert _mode(store.token_file) == 0o600


def test_clear() -> None:
    store = TokenStore()
    assert store.clear() is False
    store.save("tok-abcdef")
    assert store.clear() is True
    assert store.load() is None
    assert not store.token_file.exists()


@pytest.mark.parametrize(
    ("env", "setting", "stored", "expected"),
    [
        pytest.param("env-tok", "ed-tok", "file-tok", ("env-tok", "environment"), id="env-wins"),
        pytest.param(None, "ed-tok", "file-tok", ("ed-tok", "editor"), id="editor-next"),
        pytest.param("  ", "ed-tok", None, ("ed-tok", "editor"), id="blank-env-ignored"),
        pytest.param(None, " ", "file-tok", ("file-tok", "token file"), id="file-last"),
        pytest.param(None, None, None, (None, "none"), id="none"),
    ],
)
def test_resolve_token_precedence(
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
    setting: str | None,
    stored: str | None,
    expected: tuple[str | None, str],
) -> None:
    store = TokenStore()
    if env is not None:
        monkeypatch.setenv("ISKRA_TOKEN", env)
    if stored is not None:
        store.save(stored)
    assert resolve_token(setting, store) == expected


async def _next(queue: asyncio.Queue[str | None]) -> str | None:
    return await asyncio.wait_for(queue.get(), timeout=1.0)


async def test_watcher_sees_login_and_logout_within_a_second(_config: Path) -> None:
    store = TokenStore()
    changes: asyncio.Queue[str | None] = asyncio.Queue()
    watcher = TokenWatcher(store, changes.put_nowait)
    await watcher.start()
    try:
        assert _mode(_config) == 0o700  # created to be watched
        TokenStore().save("first-token")  # as `iskra-ls login` in another process would
        assert await _next(changes) == "first-token"
        TokenStore().save("second-token")
        assert await _next(changes) == "second-token"
        TokenStore().clear()
        assert await _next(changes) is None
        (_config / "unrelated.txt").write_text("x")
        TokenStore().save("second-token")
        assert await _next(changes) == "second-token"
    finally:
        await watcher.stop()
    assert changes.empty()


async def test_watcher_async_callback_and_no_change_no_call(_config: Path) -> None:
    store = TokenStore()
    store.save("same-token")
    calls: list[str | None] = []
    got = asyncio.Event()

    async def on_change(token: str | None) -> None:
        calls.append(token)
        got.set()

    watcher = TokenWatcher(store, on_change)
    await watcher.start()
    try:
        assert watcher.current == "same-token"
        store.save("same-token")  # rewritten, unchanged: no call
        await asyncio.sleep(0.3)  # sleep-ok: a window in which no call may come
        assert calls == []
        store.save("other-token")
        await asyncio.wait_for(got.wait(), timeout=1.0)
        assert calls == ["other-token"]
    finally:
        await watcher.stop()
        await watcher.stop()  # idempotent


async def test_watcher_survives_a_failing_callback(_config: Path) -> None:
    seen: asyncio.Queue[str | None] = asyncio.Queue()

    def on_change(token: str | None) -> None:
        seen.put_nowait(token)
        raise RuntimeError("callback bug")

    watcher = TokenWatcher(TokenStore(), on_change)
    await watcher.start()
    try:
        TokenStore().save("tok-one-1")
        assert await _next(seen) == "tok-one-1"
        TokenStore().save("tok-two-2")
        assert await _next(seen) == "tok-two-2"
    finally:
        await watcher.stop()


async def test_login_with_code_against_the_stub() -> None:
    async with StubIskra() as stub:
        client = IskraClient(stub.url)
        try:

            async def read_code() -> str:
                return stub.codes["dev@example.com"]

            token = await login_with_code(client, " dev@example.com ", read_code)
            assert token.count(".") == 2
            client.token = token
            account = await client.me()
        finally:
            await client.aclose()
        assert account.email == "dev@example.com"
        assert [path for path, _ in stub.auth_requests] == [
            "/auth/send-code", "/auth/verify-email", "/auth/complete-registration"]


async def test_login_with_a_wrong_code_is_a_user_error() -> None:
    async with StubIskra() as stub:
        client = IskraClient(stub.url)
        try:
            with pytest.raises(errors.BadRequest, match="code is wrong or has expired"):
                await login_with_code(client, "dev@example.com", lambda: "not-the-code")
        finally:
            await client.aclose()


async def test_login_with_code_needs_an_email() -> None:
    client = IskraClient("http://127.0.0.1:9")
    with pytest.raises(errors.IskraError, match="e-mail"):
        await login_with_code(client, "  ", lambda: "123456")


async def test_login_takes_a_token_from_verify_email() -> None:
    """Some deployments answer verify-email with the token; then there is no third step."""
    from aiohttp import web

    seen: list[str] = []

    async def step(request: web.Request) -> web.Response:
        seen.append(request.path)
        if request.path.endswith("verify-email"):
            return web.json_response({"data": {"accessToken": "tok-from-verify"}})
        if request.path.endswith("complete-registration"):
            return web.json_response({"message": "unexpected"}, status=500)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/auth/{step}", step)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = IskraClient(f"http://127.0.0.1:{port}")
    try:
        token = await login_with_code(client, "a@b.example", lambda: "000000")
    finally:
        await client.aclose()
        await runner.cleanup()
    assert token == "tok-from-verify"
    assert seen == ["/auth/send-code", "/auth/verify-email"]
