"""Every limit of the Iskra client is a total limit (issue 10.5) and it goes nowhere else (10.7).

Hostile services are real HTTP servers on 127.0.0.1 (aiohttp): one trickles keep-alive
bytes for ever, one floods tool-call fragments, one answers with a huge body, one
redirects to another origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from iskra_ls import errors
from iskra_ls.api.client import IskraClient

MESSAGES = [{"role": "user", "content": "hi"}]
MODEL = "qwen3-coder-flash"
HANG_GUARD_S = 20.0
"""Only guards against a hang; no test measures time."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def service(handler: Handler, path: str = "/ai/v1/chat/completions",
                  method: str = "POST") -> AsyncIterator[tuple[str, list[web.Request]]]:
    seen: list[web.Request] = []

    async def recording(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording)
    runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    finally:
        await runner.cleanup()


def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


async def sse_start(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(chunk({"role": "assistant", "content": ""}))
    return response


async def trickle_sse(request: web.Request) -> web.StreamResponse:
    response = await sse_start(request)
    await response.write(chunk({"content": "x = "}))
    while True:  # a keep-alive comment twice a second, for ever
        await asyncio.sleep(0.1)
        await response.write(b": keep-alive\n\n")


async def trickle_plain(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    while True:  # JSON allows leading whitespace: one space at a time, for ever
        await asyncio.sleep(0.1)
        await response.write(b" ")


async def test_a_trickling_stream_ends_at_the_total_time_limit() -> None:
    async with service(trickle_sse) as (url, _seen):
        client = IskraClient(url, "tok")

        async def read() -> None:
            async with client.stream_chat(model=MODEL, messages=MESSAGES, timeout=1.0) as stream:
                async for _ in stream:
                    pass

        with pytest.raises(errors.TimedOut):
            await asyncio.wait_for(read(), HANG_GUARD_S)
        await client.aclose()


async def test_a_trickling_plain_answer_ends_at_the_total_time_limit() -> None:
    async with service(trickle_plain) as (url, _seen):
        client = IskraClient(url, "tok")
        with pytest.raises(errors.TimedOut):
            await asyncio.wait_for(
                client.chat(model=MODEL, messages=MESSAGES, timeout=1.0), HANG_GUARD_S)
        await client.aclose()


async def test_a_flood_of_tool_call_fragments_is_capped() -> None:
    piece = "a" * 4096

    async def flood(request: web.Request) -> web.StreamResponse:
        response = await sse_start(request)
        await response.write(chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                    "function": {"name": "write_file",
                                                                 "arguments": ""}}]}))
        for _ in range(800):  # 3.2 MB of arguments
            await response.write(chunk({"tool_calls": [{"index": 0,
                                                        "function": {"arguments": piece}}]}))
        await response.write(chunk({}, "tool_calls") + b"data: [DONE]\n\n")
        return response

    async with service(flood) as (url, _seen):
        client = IskraClient(url, "tok", max_answer_chars=1 << 20)
        with pytest.raises(errors.AnswerTooLarge):
            async with client.stream_chat(model=MODEL, messages=MESSAGES) as stream:
                async for _ in stream:
                    pass
        await client.aclose()


async def test_fragments_within_the_cap_are_joined_in_order() -> None:
    async def fragments(request: web.Request) -> web.StreamResponse:
        response = await sse_start(request)
        for index, name in ((0, "read_file"), (1, "list_directory")):
            await response.write(chunk({"tool_calls": [{"index": index, "id": f"call_{index}",
                                                        "type": "function",
                                                        "function": {"name": name,
                                                                     "arguments": ""}}]}))
        for text in ('{"uri"', ': "a', '.py"}'):
            await response.write(chunk({"tool_calls": [{"index": 0,
                                                        "function": {"arguments": text}}]}))
        await response.write(chunk({"tool_calls": [{"index": 1,
                                                    "function": {"arguments": "{}"}}]}))
        await response.write(chunk({"content": "ok"}, "tool_calls") + b"data: [DONE]\n\n")
        return response

    async with service(fragments) as (url, _seen):
        client = IskraClient(url, "tok")
        async with client.stream_chat(model=MODEL, messages=MESSAGES) as stream:
            texts = [delta async for delta in stream]
        assert texts == ["ok"] and stream.result.content == "ok"
        assert [(c.id, c.name, c.arguments) for c in stream.result.tool_calls] == [
            ("call_0", "read_file", '{"uri": "a.py"}'), ("call_1", "list_directory", "{}")]
        await client.aclose()


async def test_a_huge_plain_answer_is_capped() -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"choices": [{"message": {"content": "')
        for _ in range(64):
            await response.write(b"x" * 65536)
        await response.write(b'"}, "finish_reason": "stop"}]}')
        return response

    async with service(huge) as (url, _seen):
        client = IskraClient(url, "tok", max_response_bytes=1 << 20)
        with pytest.raises(errors.AnswerTooLarge):
            await asyncio.wait_for(client.chat(model=MODEL, messages=MESSAGES), HANG_GUARD_S)
        await client.aclose()


async def test_a_redirect_to_another_origin_is_not_followed() -> None:
    async def elsewhere(request: web.Request) -> web.StreamResponse:
        return web.json_response({"choices": [{"message": {"content": "stolen"},
                                               "finish_reason": "stop"}]})

    async with service(elsewhere) as (other, other_seen):
        async def redirect(request: web.Request) -> web.StreamResponse:
            raise web.HTTPTemporaryRedirect(other + request.path)

        async with service(redirect) as (url, seen):
            client = IskraClient(url, "tok")
            with pytest.raises(errors.Redirected) as caught:
                await client.chat(model=MODEL, messages=MESSAGES)
            assert other in str(caught.value)
            with pytest.raises(errors.Redirected):
                async with client.stream_chat(model=MODEL, messages=MESSAGES) as stream:
                    async for _ in stream:
                        pass
            with pytest.raises(errors.Redirected):
                await client.me()
            await client.aclose()
        assert len(seen) == 3
        assert other_seen == [], "the prompt went to another origin"


@pytest.mark.parametrize("url", ["http://192.0.2.1", "http://attacker.example:8080"])
async def test_plain_http_to_a_host_that_is_not_loopback_is_refused(url: str) -> None:
    client = IskraClient(url, "tok", timeout=1.0)
    with pytest.raises(errors.InsecureApiUrl):
        await asyncio.wait_for(client.chat(model=MODEL, messages=MESSAGES), HANG_GUARD_S)
    with pytest.raises(errors.InsecureApiUrl):
        await asyncio.wait_for(client.me(), HANG_GUARD_S)
    await client.aclose()
