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
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any

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
async def service(handler: Any) -> AsyncIterator[str]:
    """A real HTTP server on 127.0.0.1 answering every path with ``handler``; its root URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


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

    async with service(handler) as url:
        yield url, sent


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


GZIP_BOMB_BYTES = 128 << 20
"""What the compressed body below inflates to (it is about 128 KB on the wire)."""


def _gzip_bomb(prefix: bytes) -> bytes:
    """``prefix`` and ``GZIP_BOMB_BYTES`` of ``x``, gzip-compressed without holding it whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(prefix)]
    block = b"x" * (1 << 20)
    parts.extend(compressor.compress(block) for _ in range(GZIP_BOMB_BYTES >> 20))
    parts.append(compressor.flush())
    return b"".join(parts)


@contextlib.asynccontextmanager
async def gzip_service(status: int, body: bytes, encoding: str = "gzip") -> AsyncIterator[str]:
    """A service answering ``status`` with ``body`` (so encoded), 16 KB at a time."""

    async def handler(request: web.Request) -> web.StreamResponse:
        await request.read()
        headers = {"Content-Type": "application/json"}
        if encoding != "identity":
            headers["Content-Encoding"] = encoding
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        try:
            for start in range(0, len(body), 16 << 10):
                await response.write(body[start:start + (16 << 10)])
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    async with service(handler) as url:
        yield url


PEAK_BYTES = 16 << 20
"""Far above what a capped read needs, far below the inflated body."""


async def _peak_while(call: Any) -> int:
    """Python's peak allocation (bytes above the start) while ``call()`` runs."""
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with contextlib.suppress(errors.IskraError):
            await asyncio.wait_for(call(), HANG_GUARD_S)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


async def test_a_gzip_error_body_is_capped_on_inflated_bytes() -> None:
    """The 32 KB cap counts what the body inflates to, not its compressed bytes."""
    bomb = _gzip_bomb(b'{"error": {"message": "')
    async with gzip_service(500, bomb) as url:
        client = IskraClient(url, "tok")
        try:
            client.preload()
            peak = await _peak_while(
                lambda: client.chat(model=MODEL, messages=MESSAGES, timeout=HANG_GUARD_S))
            with pytest.raises(errors.ServiceError) as caught:
                await client.chat(model=MODEL, messages=MESSAGES, timeout=HANG_GUARD_S)
        finally:
            await client.aclose()
    assert caught.value.status == 500
    assert peak < PEAK_BYTES, f"peak {peak >> 20} MB while reading a 500"


async def test_a_gzip_answer_is_inflated_within_its_cap() -> None:
    """A compressed ``/auth/me`` answer is refused past its cap, and inflated piece by piece."""
    bomb = _gzip_bomb(b'{"user": {"email": "')
    async with gzip_service(200, bomb) as url:
        client = IskraClient(url, "tok")
        try:
            client.preload()
            peak = await _peak_while(client.me)
            with pytest.raises(errors.AnswerTooLarge):
                await client.me()
        finally:
            await client.aclose()
    assert peak < PEAK_BYTES, f"peak {peak >> 20} MB while reading /auth/me"


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_a_small_error_body_keeps_its_message(encoding: str) -> None:
    body = b'{"error": {"message": "model is busy"}}'
    if encoding == "gzip":
        body = zlib.compress(body, wbits=31)
    async with gzip_service(503, body, encoding) as url:
        client = IskraClient(url, "tok")
        try:
            with pytest.raises(errors.ServiceError) as caught:
                await client.chat(model=MODEL, messages=MESSAGES, timeout=HANG_GUARD_S)
        finally:
            await client.aclose()
    assert "model is busy" in str(caught.value)
