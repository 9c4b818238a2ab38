"""The token file, token precedence, the file watcher and the e-mail code login."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from iskra_ls import errors
from iskra_ls.api.auth import (
    TokenFileRefused,
    TokenStore,
    TokenWatcher,
    config_dir,
    folder_problem,
    resolve_token,
)
from iskra_ls.api.client import IskraClient
from iskra_ls.api.login import login_with_code
from iskra_ls.credential import is_credential, subject
from iskra_ls.stub import StubIskra


def jwt(name: str) -> str:
    """A JWT-shaped token for ``name`` (only credentials are tokens)."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return ".".join((part(b'{"alg":"HS256"}'), part(json.dumps({"sub": name}).encode()),
                     part(f"signature-of-{name}".encode())))


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
        store.save(f"  {jwt('tok-123456')}  \n")
    finally:
        os.umask(old)
    assert _mode(_config) == 0o700
    assert _mode(store.token_file) == 0o600
    assert store.load() == jwt("tok-123456")
    assert [p.name for p in _config.iterdir()] == ["token"]  # no temp file left


def test_save_replaces_atomically(_config: Path) -> None:
    """A reader running alongside repeated saves only ever sees a whole token."""
    store = TokenStore()
    a, b = jwt("a" * 64), jwt("b" * 64)
    store.save(a)
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
            store.save(b if i % 2 else a)
    finally:
        done.set()
        reader.join()
    assert seen <= {a, b}


def test_save_rejects_empty() -> None:
    with pytest.raises(ValueError):
        TokenStore().save("   ")


def test_load_tightens_a_readable_file(_config: Path) -> None:
    store = TokenStore()
    _config.mkdir(parents=True)
    store.token_file.write_text(jwt("copied-token") + "\n")
    store.token_file.chmod(0o644)
    assert store.load() == jwt("copied-token")
    assert _mode(store.token_file) == 0o600


def test_clear() -> None:
    store = TokenStore()
    assert store.clear() is False
    store.save(jwt("tok-abcdef"))
    assert store.clear() is True
    assert store.load() is None
    assert not store.token_file.exists()


@pytest.mark.parametrize(
    ("env", "setting", "stored", "expected"),
    [
        pytest.param(jwt("env"), jwt("ed"), jwt("file"), (jwt("env"), "environment"),
                     id="env-wins"),
        pytest.param(None, jwt("ed"), jwt("file"), (jwt("ed"), "editor"), id="editor-next"),
        pytest.param("  ", jwt("ed"), None, (jwt("ed"), "editor"), id="blank-env-ignored"),
        pytest.param(None, " ", jwt("file"), (jwt("file"), "token file"), id="file-last"),
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
    choice = resolve_token(setting, store)
    assert (choice.token, choice.source) == expected and choice.refused == []


async def _next(queue: asyncio.Queue[str | None]) -> str | None:
    return await asyncio.wait_for(queue.get(), timeout=1.0)


async def test_watcher_sees_login_and_logout_within_a_second(_config: Path) -> None:
    store = TokenStore()
    changes: asyncio.Queue[str | None] = asyncio.Queue()
    watcher = TokenWatcher(store, changes.put_nowait)
    await watcher.start()
    try:
        assert _mode(_config) == 0o700  # created to be watched
        TokenStore().save(jwt("first-token"))  # as `iskra-ls login` in another process would
        assert await _next(changes) == jwt("first-token")
        TokenStore().save(jwt("second-token"))
        assert await _next(changes) == jwt("second-token")
        TokenStore().clear()
        assert await _next(changes) is None
        (_config / "unrelated.txt").write_text("x")
        TokenStore().save(jwt("second-token"))
        assert await _next(changes) == jwt("second-token")
    finally:
        await watcher.stop()
    assert changes.empty()


async def test_watcher_async_callback_and_no_change_no_call(_config: Path) -> None:
    store = TokenStore()
    store.save(jwt("same-token"))
    calls: list[str | None] = []
    got = asyncio.Event()

    async def on_change(token: str | None) -> None:
        calls.append(token)
        got.set()

    watcher = TokenWatcher(store, on_change)
    await watcher.start()
    try:
        assert watcher.current == jwt("same-token")
        store.save(jwt("same-token"))  # rewritten, unchanged: no call
        await asyncio.sleep(0.3)  # sleep-ok: a window in which no call may come
        assert calls == []
        store.save(jwt("other-token"))
        await asyncio.wait_for(got.wait(), timeout=1.0)
        assert calls == [jwt("other-token")]
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
        TokenStore().save(jwt("tok-one-1"))
        assert await _next(seen) == jwt("tok-one-1")
        TokenStore().save(jwt("tok-two-2"))
        assert await _next(seen) == jwt("tok-two-2")
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
            return web.json_response({"data": {"accessToken": jwt("tok-from-verify")}})
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
    assert token == jwt("tok-from-verify")
    assert seen == ["/auth/send-code", "/auth/verify-email"]


# -- only credentials, only from safe places (issue 20.6, 20.7) ------------------------------


@pytest.mark.parametrize("text", ["self", "tok-123456", "a.b.c", "header.payload.signature",
                                  "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", jwt("x") + ".more", ""])
def test_only_a_jwt_is_a_credential(text: str) -> None:
    assert not is_credential(text)


def test_a_jwt_is_a_credential_and_names_its_user() -> None:
    assert is_credential(jwt("user@example.com"))
    assert subject(jwt("user@example.com")) == "user@example.com"


def test_a_source_that_is_no_credential_is_skipped_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = TokenStore()
    store.save(jwt("file"))
    monkeypatch.setenv("ISKRA_TOKEN", "self")
    choice = resolve_token("hunter2", store)
    assert (choice.token, choice.source) == (jwt("file"), "token file")
    assert len(choice.refused) == 2
    assert "ISKRA_TOKEN" in choice.refused[0] and "JWT" in choice.refused[0]
    assert not any("self" in m or "hunter2" in m for m in choice.refused)


def test_save_refuses_what_is_no_credential() -> None:
    with pytest.raises(errors.IskraError, match="JWT"):
        TokenStore().save("self")


def test_a_symlinked_token_file_is_refused_and_its_target_untouched(
    _config: Path, tmp_path: Path
) -> None:
    target = tmp_path / "notes.txt"
    target.write_text(jwt("someone") + "\n")
    target.chmod(0o644)
    _config.mkdir(parents=True, mode=0o700)
    store = TokenStore()
    store.token_file.symlink_to(target)
    assert store.load() is None
    assert store.problem is not None and "symlink" in store.problem
    with pytest.raises(TokenFileRefused):
        store.read()
    assert _mode(target) == 0o644


@pytest.mark.parametrize("mode", [0o777, 0o773, 0o1777])
def test_a_folder_every_user_may_write_is_refused(_config: Path, mode: int) -> None:
    _config.mkdir(parents=True)
    _config.chmod(mode)
    assert "writable by every user" in (folder_problem(_config) or "")
    store = TokenStore()
    assert store.load() is None and store.problem is not None
    with pytest.raises(TokenFileRefused):
        store.save(jwt("x"))


def test_a_symlinked_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("ISKRA_CONFIG_DIR", str(link))
    assert "symlink" in (folder_problem(link) or "")
    assert folder_problem(real) is None
    with pytest.raises(TokenFileRefused):
        TokenStore().save(jwt("x"))
