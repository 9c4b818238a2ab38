"""The token goes only to the Iskra the user chose, and no answer is endless (issue 10.5, 10.7).

Hostile services are real local HTTP servers (aiohttp) next to the real server over stdio:
one echoes the bearer token in every error body, one redirects to another origin, one
trickles SSE keep-alive comments for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from harness import TOKEN, Session, StubIskra, lsp_session
from lsprotocol import types
from pytest_lsp import LanguageClient

HANG_GUARD_S = 30.0
"""Only guards against a hang; no test measures time."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def http_service(routes: dict[tuple[str, str], Handler]) -> AsyncIterator[str]:
    """A small real HTTP service on 127.0.0.1; yields its root URL."""
    app = web.Application()
    for (method, path), handler in routes.items():
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def record_raw_messages(s: Session) -> list[str]:
    """Every JSON-RPC message the client receives from now on, as JSON text."""
    received: list[str] = []
    protocol = s.client.protocol
    original = protocol.structure_message

    def structure(data: dict[str, Any]) -> Any:
        if "jsonrpc" in data:
            received.append(json.dumps(data, ensure_ascii=False))
        return original(data)

    protocol.structure_message = structure  # type: ignore[method-assign]
    return received


def _bearer(request: web.Request) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()


# -- 10.7: the token never reaches the editor, even when the service echoes it -------------


async def test_a_service_echoing_the_token_in_error_bodies_never_gets_it_to_the_editor(
    tmp_path: Path,
) -> None:
    seen: list[str] = []
    statuses = iter([400, 403, 500] * 20)

    async def chat(request: web.Request) -> web.Response:
        seen.append(_bearer(request))
        status = next(statuses)
        message = f"invalid api key {_bearer(request)} (echoed by a careless service)"
        return web.json_response({"error": {"message": message, "key": _bearer(request)}},
                                 status=status)

    async def me(request: web.Request) -> web.Response:
        seen.append(_bearer(request))
        return web.json_response({"message": f"bad key {_bearer(request)}"}, status=500)

    routes = {("POST", "/ai/v1/chat/completions"): chat, ("GET", "/auth/me"): me}
    async with http_service(routes) as url, lsp_session(
        tmp_path, env={"ISKRA_API_URL": url}, settings={"completion": {"debounceMs": 0}}
    ) as s:
        received = record_raw_messages(s)
        uri = s.open("a.py", "def add(a, b):\n    return\n")
        results: list[Any] = []
        await asyncio.wait_for(s.inline(uri, 26), HANG_GUARD_S)
        results.append(await asyncio.wait_for(
            s.command("iskra.ask", {"uri": uri, "instruction": "finish it"}), HANG_GUARD_S))
        results.append(await asyncio.wait_for(
            s.command("iskra.runAction", {"action": "tests", "uri": uri,
                                          "range": {"start": {"line": 0, "character": 0},
                                                    "end": {"line": 0, "character": 3}}}),
            HANG_GUARD_S))
        results.append(await asyncio.wait_for(s.command("iskra.status"), HANG_GUARD_S))
        await s.round_trip()  # every notification sent before its answer has arrived
        assert TOKEN in seen, "the service was never asked"
        assert len(seen) >= 4
        everything = received + [repr(r) for r in results] + [m.message for m in s.client.messages]
        leaked = [text for text in everything if TOKEN in text]
        assert not leaked, leaked
        assert any("***" in text or "*****" in text for text in received)


async def healthy_me(request: web.Request) -> web.Response:
    return web.json_response({"user": {"email": "u@example.com", "tier": "free"},
                              "usage": {"requestsToday": 0, "limit": 20, "remaining": 20}})


def sse(delta: dict[str, Any]) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "model": "qwen3-coder-flash",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


# -- 10.5: a trickling service cannot hold a completion or an action open --------------------


async def test_a_trickling_service_cannot_hold_a_completion_or_an_action_open(
    tmp_path: Path,
) -> None:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("stream"):
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            await response.write(sse({"role": "assistant", "content": ""}))
            await response.write(sse({"content": "return "}))
            while True:  # keep-alive comments, for ever
                await asyncio.sleep(0.1)
                await response.write(b": keep-alive\n\n")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        while True:  # JSON whitespace, for ever
            await asyncio.sleep(0.1)
            await response.write(b" ")

    routes = {("POST", "/ai/v1/chat/completions"): chat, ("GET", "/auth/me"): healthy_me}
    settings = {"requestTimeoutS": 1.5, "actions": {"timeoutS": 1.5},
                "completion": {"debounceMs": 0}}
    async with http_service(routes) as url, lsp_session(
        tmp_path, env={"ISKRA_API_URL": url}, settings=settings
    ) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses), 10)
        uri = s.open("a.py", "def add(a, b):\n    ")
        result = await asyncio.wait_for(s.inline(uri), HANG_GUARD_S)
        assert result is None or not result.items
        answer = await asyncio.wait_for(
            s.command("iskra.ask", {"uri": uri, "instruction": "finish it"}), HANG_GUARD_S)
        assert answer.applied is False
        assert "in time" in answer.message, answer.message
        assert s.edits == []


# -- 10.7: no redirect to another origin is followed ----------------------------------------


async def test_a_redirect_to_another_origin_carries_neither_token_nor_prompt(
    tmp_path: Path,
) -> None:
    elsewhere: list[bytes] = []

    async def collect(request: web.Request) -> web.Response:
        elsewhere.append(await request.read())
        return web.json_response({"choices": [{"message": {"content": "x"},
                                               "finish_reason": "stop"}]})

    other_routes = {("POST", "/ai/v1/chat/completions"): collect, ("GET", "/auth/me"): healthy_me}
    async with http_service(other_routes) as other:

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(other + request.path)

        routes = {("POST", "/ai/v1/chat/completions"): redirect, ("GET", "/auth/me"): healthy_me}
        async with http_service(routes) as url, lsp_session(
            tmp_path, env={"ISKRA_API_URL": url}, settings={"completion": {"debounceMs": 0}}
        ) as s:
            uri = s.open("a.py", "SECRET_CODE = 1\n")
            await asyncio.wait_for(s.inline(uri), HANG_GUARD_S)
            answer = await asyncio.wait_for(
                s.command("iskra.ask", {"uri": uri, "instruction": "explain"}), HANG_GUARD_S)
            assert answer.applied is False
            assert "redirect" in answer.message, answer.message
            assert other in answer.message
    assert elsewhere == [], "the prompt was forwarded to another origin"


# -- 10.7: the token goes only to the API root it was issued for ----------------------------


async def test_a_workspace_apiurl_does_not_get_the_token_without_confirmation(
    tmp_path: Path,
) -> None:
    bearers: list[str] = []

    async def me(request: web.Request) -> web.Response:
        bearers.append(_bearer(request))
        return await healthy_me(request)

    async def chat(request: web.Request) -> web.Response:
        bearers.append(_bearer(request))
        return web.json_response({"choices": [{"message": {"content": "x"},
                                               "finish_reason": "stop"}]})

    routes = {("POST", "/ai/v1/chat/completions"): chat, ("GET", "/auth/me"): me}
    questions: list[str] = []
    async with http_service(routes) as attacker, lsp_session(
        tmp_path, settings={"completion": {"debounceMs": 0}}
    ) as s:

        @s.client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def on_question(_client: LanguageClient, params: types.ShowMessageRequestParams) -> None:
            questions.append(params.message)
            return None  # the user closes the question

        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses), 10)
        # A plain-http non-loopback root is refused as a setting.
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"iskra": {"apiUrl": "http://evil.example"}}))
        await s.wait_for(lambda: any("apiUrl" in m.message for m in s.client.messages), 10)
        # A loopback root the token was not issued for: asked, refused, nothing sent.
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"iskra": {"apiUrl": attacker}}))
        await s.wait_for(lambda: bool(questions), 10)
        assert attacker in questions[0]
        uri = s.open("a.py", "x = ")
        await asyncio.wait_for(s.inline(uri), HANG_GUARD_S)
        await asyncio.wait_for(s.command("iskra.status"), HANG_GUARD_S)
        assert TOKEN not in bearers and bearers == []
        await s.wait_for(lambda: any("iskra.confirmApiUrl" in m.message
                                     for m in s.client.messages), 10)
        # The user confirms with the command: now it goes there.
        confirmed = await s.command("iskra.confirmApiUrl", {"apiUrl": attacker})
        assert confirmed.confirmed is True
        await s.wait_for(lambda: TOKEN in bearers, 10)


async def test_a_bad_iskra_api_url_is_named_and_the_server_keeps_working(tmp_path: Path) -> None:
    """A plain-http ISKRA_API_URL to another host: one clear message, no 'Error in server'.

    The editor's own apiUrl (initializationOptions) still works; before, building the
    settings raised a pydantic ValidationError and the server never became usable.
    """
    stub = StubIskra()
    await stub.start()
    try:
        async with lsp_session(
            tmp_path,
            stub=stub,
            env={"ISKRA_API_URL": "http://example.invalid"},
            initialization_options={"iskra": {"apiUrl": stub.url}},
        ) as s:
            await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
            messages = [m.message for m in s.client.messages]
            assert any("ISKRA_API_URL" in m and "example.invalid" in m for m in messages)
            assert not any("Error in server" in m for m in messages), messages
    finally:
        await stub.stop()
