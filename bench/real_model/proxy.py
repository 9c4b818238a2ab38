"""Iskra's paths in front of the real model, recording every chat exchange.

The bundled stub already speaks Iskra's account API (``/auth/me`` with plan and
quota, the sign-in steps, bearer tokens never logged); :class:`ModelProxy` keeps all
of that and only answers ``/ai/v1/chat/completions`` by forwarding the request to
``llama-server``'s ``/v1/chat/completions``, streaming its SSE chunks through as they
come (``/ai/v1/models`` goes to ``/v1/models``). Each exchange is recorded: the
request, the model's complete answer (read to its end even after iskra-ls closes the
stream early) and how many characters iskra-ls had been sent when it left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from iskra_ls.stub import StubIskra
from iskra_ls.stub.responses import bearer_token, read_json, unauthorized

UNLIMITED = 10**9


@dataclass
class Exchange:
    """One chat request as the model saw it."""

    request: dict[str, Any]
    raw: str = ""
    """The model's whole answer (content deltas joined)."""
    delivered_chars: int = 0
    """Content characters written to iskra-ls before it closed the stream (or all)."""
    client_left: bool = False
    left: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when iskra-ls closed the stream before its end."""
    error: str | None = None
    """Why the upstream read failed, if it did."""
    done: asyncio.Event = field(default_factory=asyncio.Event)


class ModelProxy(StubIskra):
    """The stub's account API, with chat answered by the real model at ``model_url``."""

    def __init__(self, model_url: str, **knobs: Any) -> None:
        knobs.setdefault("limit", UNLIMITED)
        knobs.setdefault("tier", "pro")
        super().__init__(**knobs)
        self.model_url = model_url
        self.exchanges: list[Exchange] = []
        self._session: aiohttp.ClientSession | None = None

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        await super().stop()

    @web.middleware
    async def _network(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """``GET /ai/v1/models`` is the model's own list; everything else is the stub's."""
        if request.method == "GET" and request.path == "/ai/v1/models":
            if bearer_token(request) is None:
                return unauthorized(True)
            async with self._client().get(f"{self.model_url}/v1/models") as answer:
                return web.json_response(await answer.json(), status=answer.status)
        response: web.StreamResponse = await super()._network(request, handler)
        return response

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600))
        return self._session

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        token = bearer_token(request)
        if token is None:
            return unauthorized(True)
        body = await read_json(request)
        if not isinstance(body, dict):
            return web.json_response({"error": {"message": "not JSON"}}, status=400)
        self.requests.append(body)
        exchange = Exchange(request=body)
        self.exchanges.append(exchange)
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        # The upstream read is its own task: it runs to the end whatever iskra-ls does.
        reader = asyncio.ensure_future(self._read_upstream(body, exchange, chunks))
        stream = bool(body.get("stream"))
        if not stream:
            await asyncio.shield(reader)
            exchange.delivered_chars = len(exchange.raw)
            return web.json_response(_plain_answer(exchange.raw))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            while (line := await chunks.get()) is not None:
                await response.write(line)
                exchange.delivered_chars += _content_chars(line)
            await response.write_eof()
        except (asyncio.CancelledError, ConnectionResetError):
            exchange.client_left = True
            exchange.left.set()
            raise
        return response

    async def _read_upstream(
        self, body: dict[str, Any], exchange: Exchange, chunks: asyncio.Queue[bytes | None]
    ) -> None:
        upstream = dict(body, model="local")
        parts: list[str] = []
        try:
            for attempt in range(3):
                try:
                    await self._forward(upstream, parts, chunks)
                    return
                except aiohttp.ClientOSError:
                    # llama-server closed a pooled keep-alive connection just as it was
                    # reused; nothing was sent on, so asking again changes nothing.
                    if any(parts) or attempt == 2:
                        raise
        except Exception as error:  # recorded; the exchange ends with what was read
            exchange.error = f"{type(error).__name__}: {error}"
        finally:
            exchange.raw = "".join(parts)
            exchange.done.set()
            await chunks.put(None)

    async def _forward(
        self, upstream: dict[str, Any], parts: list[str], chunks: asyncio.Queue[bytes | None]
    ) -> None:
        async with self._client().post(
            f"{self.model_url}/v1/chat/completions", json=upstream
        ) as answer:
            if not upstream.get("stream"):
                data = await answer.json()
                parts.append(str(data["choices"][0]["message"].get("content") or ""))
                return
            async for line in answer.content:
                parts.append(_delta_text(line))
                if line.strip():
                    await chunks.put(line + b"\n" if not line.endswith(b"\n\n") else line)


def _delta_text(line: bytes) -> str:
    text = line.decode("utf-8", "replace").strip()
    if not text.startswith("data:") or text.endswith("[DONE]"):
        return ""
    try:
        data = json.loads(text[5:])
    except ValueError:
        return ""
    choices = data.get("choices") or [{}]
    return str((choices[0].get("delta") or {}).get("content") or "")


def _content_chars(line: bytes) -> int:
    return len(_delta_text(line))


def _plain_answer(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-real",
        "object": "chat.completion",
        "created": 0,
        "model": "local",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }


@contextlib.asynccontextmanager
async def running_proxy(model_url: str) -> AsyncIterator[ModelProxy]:
    """A started :class:`ModelProxy` on a free loopback port."""
    proxy = ModelProxy(model_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
