"""An error answer (4xx/5xx) is read only up to a small cap, however large its body.

The OpenAI SDK reads a status error's body whole before raising. A hostile or broken
service answering 500 (or 429) with a body of a gigabyte would fill the editor's
memory until the time limit; the client reads the first ``ERROR_BODY_BYTES`` and
closes the connection. The user still hears the status (server error, quota) in one
message. The service is a real HTTP server on 127.0.0.1 (aiohttp) that counts what it
managed to send before the client left.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from iskra_ls import errors
from iskra_ls.api.client import IskraClient

MESSAGES = [{"role": "user", "content": "hi"}]
MODEL = "qwen3-coder-flash"
PIECE = b'{"error": {"message": "' + b"x" * (64 << 10)
TOTAL_BYTES = 48 << 20
"""Far more than the cap and than loopback socket buffers hold, small enough for a test."""
HANG_GUARD_S = 30.0
"""Only guards against a hang; no test measures time."""


@contextlib.asynccontextmanager
async def huge_error(status: int, headers: dict[str, str]) -> AsyncIterator[tuple[str, list[int]]]:
    """A service whose every answer is ``status`` with a ``TOTAL_BYTES`` chunked body."""
    sent: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(
            status=status, headers={"Content-Type": "application/json", **headers}
        )
        await response.prepare(request)
        written = 0
        try:
            while written < TOTAL_BYTES:
                await response.write(PIECE)
                written += len(PIECE)
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            sent.append(written)
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", sent
    finally:
        await runner.cleanup()


async def _wait_for(sent: list[int]) -> None:
    for _ in range(2000):
        if sent:
            return
        await asyncio.sleep(0.01)


async def test_a_huge_500_body_is_not_read_whole() -> None:
    async with huge_error(500, {}) as (url, sent):
        client = IskraClient(url, "tok")
        try:
            with pytest.raises(errors.ServiceError) as caught:
                await asyncio.wait_for(
                    client.chat(model=MODEL, messages=MESSAGES, timeout=HANG_GUARD_S),
                    HANG_GUARD_S + 5,
                )
        finally:
            await client.aclose()
        await _wait_for(sent)
    assert caught.value.status == 500
    assert "server error (500)" in str(caught.value)
    assert sent and sent[0] < TOTAL_BYTES, "the whole error body was read"


async def test_a_huge_429_body_still_reads_as_the_quota() -> None:
    async with huge_error(429, {"Retry-After": "120"}) as (url, sent):
        client = IskraClient(url, "tok")
        try:
            with pytest.raises(errors.QuotaExhausted):
                async with client.stream_chat(
                    model=MODEL, messages=MESSAGES, timeout=HANG_GUARD_S
                ) as stream:
                    async for _ in stream:
                        pass
        finally:
            await client.aclose()
        await _wait_for(sent)
    assert sent and sent[0] < TOTAL_BYTES, "the whole error body was read"


async def test_a_small_error_body_keeps_its_message() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "model is busy"}}, status=503)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    client = IskraClient(f"http://127.0.0.1:{runner.addresses[0][1]}", "tok")
    try:
        with pytest.raises(errors.ServiceError) as caught:
            await client.chat(model=MODEL, messages=MESSAGES, timeout=HANG_GUARD_S)
    finally:
        await client.aclose()
        await runner.cleanup()
    assert "model is busy" in str(caught.value)
