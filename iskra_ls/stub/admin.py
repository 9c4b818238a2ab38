"""``/_stub/...`` endpoints: script and inspect a stub Iskra running as another process.

Editor end-to-end tests start ``iskra-ls stub-server`` as a process and cannot reach
its Python object; these endpoints expose the same controls over HTTP. They need no
token (the stub only listens on 127.0.0.1) and answer 400 naming the bad field.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from iskra_ls.stub.accounts import Account
from iskra_ls.stub.replies import Reply


class StubControls(Protocol):
    """What the admin endpoints drive: the stub's knobs, script, accounts and records.

    Declared here, implemented by :class:`iskra_ls.stub.server.StubIskra`, so this
    module needs nothing from the server module (which imports it to mount the routes).
    """

    latency: float
    tokens_per_second: float | None
    chunk_chars: int
    limit: int
    tier: str
    rtt: float
    connect_delay: float
    requests: list[dict[str, Any]]

    @property
    def queued(self) -> int: ...

    @property
    def codes(self) -> dict[str, str]: ...

    def script(self, *replies: Reply) -> None: ...

    def account(self, token: str) -> Account: ...

    def set_account(
        self,
        token: str,
        *,
        tier: str | None = None,
        requests_today: int | None = None,
        limit: int | None = None,
    ) -> None: ...

    def configure(
        self,
        *,
        latency: float | None = None,
        tokens_per_second: float | None = None,
        chunk_chars: int | None = None,
        limit: int | None = None,
        tier: str | None = None,
        pace: bool = False,
        rtt: float | None = None,
        connect_delay: float | None = None,
    ) -> None: ...

    def revoke(self, token: str) -> None: ...

    def reset(self) -> None: ...

    def stats(self) -> dict[str, int]: ...

_CONFIG_KEYS = {
    "latency", "tokens_per_second", "chunk_chars", "limit", "tier", "rtt", "connect_delay"
}
_ACCOUNT_KEYS = {"token", "tier", "requests_today", "limit"}


class _BadInput(ValueError):
    """The admin request body is wrong; the message says how."""


def routes(stub: StubControls) -> list[web.RouteDef]:
    """The admin routes bound to ``stub``."""

    async def script(request: web.Request) -> web.Response:
        body = await _object(request)
        raw = body.get("replies")
        if not isinstance(raw, list):
            raise _BadInput("'replies' must be a list")
        replies = []
        for i, item in enumerate(raw):
            try:
                replies.append(Reply.from_json(item))
            except ValueError as exc:
                raise _BadInput(f"replies[{i}]: {exc}") from exc
        stub.script(*replies)
        return web.json_response({"ok": True, "queued": stub.queued})

    async def config(request: web.Request) -> web.Response:
        body = await _object(request)
        _only(body, _CONFIG_KEYS)
        tps = body.get("tokens_per_second")
        if tps is not None and not (_number(tps) and tps > 0):
            raise _BadInput("'tokens_per_second' must be a positive number or null")
        stub.configure(
            latency=_opt_number(body, "latency"),
            tokens_per_second=tps,
            chunk_chars=_opt_int(body, "chunk_chars", minimum=1),
            limit=_opt_int(body, "limit", minimum=0),
            tier=_opt_str(body, "tier"),
            pace="tokens_per_second" in body,
            rtt=_opt_number(body, "rtt"),
            connect_delay=_opt_number(body, "connect_delay"),
        )
        return web.json_response({"ok": True, **_knobs(stub)})

    async def account(request: web.Request) -> web.Response:
        body = await _object(request)
        _only(body, _ACCOUNT_KEYS)
        token = _opt_str(body, "token")
        if token is None:
            raise _BadInput("'token' is required")
        stub.set_account(
            token,
            tier=_opt_str(body, "tier"),
            requests_today=_opt_int(body, "requests_today", minimum=0),
            limit=_opt_int(body, "limit", minimum=0),
        )
        return web.json_response({"ok": True, **stub.account(token).me()})

    async def revoke(request: web.Request) -> web.Response:
        token = _opt_str(await _object(request), "token")
        if token is None:
            raise _BadInput("'token' is required")
        stub.revoke(token)
        return web.json_response({"ok": True})

    async def requests(request: web.Request) -> web.Response:
        return web.json_response(stub.requests)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(stub.stats())

    async def codes(request: web.Request) -> web.Response:
        return web.json_response(stub.codes)

    async def reset(request: web.Request) -> web.Response:
        stub.reset()
        return web.json_response({"ok": True})

    def guarded(handler: Any) -> Any:
        async def run(request: web.Request) -> web.Response:
            try:
                response: web.Response = await handler(request)
            except _BadInput as exc:
                return web.json_response({"ok": False, "error": {"message": str(exc)}}, status=400)
            return response

        return run

    return [
        web.post("/_stub/script", guarded(script)),
        web.post("/_stub/config", guarded(config)),
        web.post("/_stub/account", guarded(account)),
        web.post("/_stub/revoke", guarded(revoke)),
        web.get("/_stub/requests", requests),
        web.get("/_stub/stats", stats),
        web.get("/_stub/codes", codes),
        web.post("/_stub/reset", reset),
    ]


def _knobs(stub: StubControls) -> dict[str, Any]:
    return {
        "latency": stub.latency,
        "tokens_per_second": stub.tokens_per_second,
        "chunk_chars": stub.chunk_chars,
        "limit": stub.limit,
        "tier": stub.tier,
        "rtt": stub.rtt,
        "connect_delay": stub.connect_delay,
    }


async def _object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _BadInput("the body must be JSON") from exc
    if not isinstance(body, dict):
        raise _BadInput("the body must be a JSON object")
    return body


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise _BadInput(f"unknown keys: {', '.join(sorted(unknown))}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _opt_number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if not _number(value) or value < 0:
        raise _BadInput(f"'{key}' must be a non-negative number")
    return float(value)


def _opt_int(body: dict[str, Any], key: str, *, minimum: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _BadInput(f"'{key}' must be an integer >= {minimum}")
    return value


def _opt_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _BadInput(f"'{key}' must be a non-empty string")
    return value
