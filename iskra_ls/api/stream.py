"""A streamed chat answer: text deltas as they arrive, tool calls merged at the end.

The whole answer, not each read, is bounded by the call's time limit; its bytes by the
client's ``max_response_bytes`` and its text plus tool-call arguments by
``max_answer_chars``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from iskra_ls import errors
from iskra_ls.api.account import figure
from iskra_ls.api.bodies import drain_rest, open_raw
from iskra_ls.api.error_map import translate_error
from iskra_ls.api.results import ChatResult, RequestMeter, ToolCall
from iskra_ls.api.sse import SseLines
from iskra_ls.api.traffic import Kind, Ticket

if TYPE_CHECKING:
    import httpx2

    from iskra_ls.api.client import IskraClient

log = logging.getLogger(__name__)

MAX_TOOL_CALLS = 128
"""Tool calls in one answer."""


class ChatStream:
    """Iterate the text deltas of a streamed answer; ``result`` holds the whole.

    The whole answer, not each read, is bounded by ``timeout``; its bytes by the
    client's ``max_response_bytes`` and its text plus tool-call arguments by
    ``max_answer_chars``.
    """

    def __init__(
        self,
        client: IskraClient,
        kwargs: dict[str, Any],
        timeout: float,
        meter: RequestMeter | None = None,
    ) -> None:
        self._client = client
        self._meter = meter
        self._kwargs = kwargs
        self._timeout = timeout
        self._response: httpx2.Response | None = None
        self._ticket: Ticket | None = None
        """Counts this answer open on the client's connection until it is closed."""
        self._started = 0.0
        self._deadline = 0.0
        self.result = ChatResult()
        self.first_byte_at: float | None = None
        self._calls: dict[int, _CallParts] = {}
        self._chars = 0

    async def __aenter__(self) -> ChatStream:
        client = self._client
        sdk = client._client()
        self._started = time.perf_counter()
        self._deadline = asyncio.get_running_loop().time() + self._timeout
        client._count_request(self._meter)
        self._ticket = await client.traffic.enter(Kind.MODEL)
        try:
            async with asyncio.timeout_at(self._deadline):
                self._response = await open_raw(
                    sdk, "POST", "/chat/completions", {**self._kwargs, "stream": True},
                    client._options(self._timeout),
                )
        except BaseException as exc:
            self._ticket.release()
            if not isinstance(exc, Exception):
                raise
            raise client._failed(exc, self._meter, timeout=self._timeout) from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._response is not None:
            response, self._response = self._response, None
            try:
                await response.aclose()
            except Exception:
                log.debug("closing the stream failed", exc_info=True)
        if self._ticket is not None:
            self._ticket.release()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._deltas()

    async def _deltas(self) -> AsyncIterator[str]:
        if self._response is None:
            raise RuntimeError("use `async with client.stream_chat(...)` first")
        content: list[str] = []
        try:
            async for data in self._events(self._response):
                if self.first_byte_at is None:
                    self.first_byte_at = time.perf_counter()
                chunk = json.loads(data)
                if not isinstance(chunk, dict):
                    raise errors.MalformedResponse("a streamed chunk is not an object")
                if chunk.get("error"):
                    raise errors.StreamEndedEarly(_event_error(chunk["error"]))
                if chunk.get("usage"):
                    self.result.usage = self._client._record_usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    text = delta.get("content")
                    if text and isinstance(text, str):
                        self._count(len(text))
                        content.append(text)
                        yield text
                    if delta.get("tool_calls"):
                        self._merge_tool_fragments(delta["tool_calls"])
                    if choice.get("finish_reason"):
                        self.result.finish_reason = choice["finish_reason"]
        except errors.IskraError:
            raise
        except Exception as exc:
            raise translate_error(
                exc, self._client.api_url, timeout=self._timeout, mid_stream=True
            ) from None
        finally:
            self.result.content = "".join(content) if content else self.result.content
        self.result.elapsed = time.perf_counter() - self._started
        self.result.tool_calls = [
            ToolCall(id=parts.id or f"call_{i}", name="".join(parts.name),
                     arguments="".join(parts.arguments))
            for i, parts in sorted(self._calls.items())
        ]
        if self.result.finish_reason is None:
            raise errors.StreamEndedEarly("the connection closed before the end of the answer")

    async def _events(self, response: httpx2.Response) -> AsyncIterator[str]:
        """The ``data`` of each SSE event until ``[DONE]``, within the total limits."""
        lines = SseLines()
        data: list[str] = []
        size = 0
        chunks = response.aiter_bytes()
        while True:
            try:
                async with asyncio.timeout_at(self._deadline):
                    piece = await anext(chunks, None)
            except TimeoutError:
                raise errors.TimedOut(self._timeout) from None
            if piece is None:
                return
            size += len(piece)
            if size > self._client.max_response_bytes:
                raise errors.AnswerTooLarge("the stream", self._client.max_response_bytes)
            for line in lines.feed(piece):
                if not line:
                    if data:
                        event = "\n".join(data)
                        data = []
                        if event.startswith("[DONE]"):
                            await drain_rest(chunks)
                            return
                        yield event
                elif line.startswith("data:"):
                    data.append(line[6:] if line.startswith("data: ") else line[5:])
                # comments (": keep-alive"), event:, id:, retry: carry nothing we use

    def _count(self, chars: int) -> None:
        self._chars += chars
        if self._chars > self._client.max_answer_chars:
            raise errors.AnswerTooLarge("text and tool calls", self._client.max_answer_chars)

    def _merge_tool_fragments(self, fragments: Sequence[Any]) -> None:
        """Tool calls arrive in pieces: collect them by ``index`` (joined once, at the end)."""
        for fragment in fragments:
            if not isinstance(fragment, dict):
                raise errors.MalformedResponse("a tool-call fragment is not an object")
            index = figure(fragment.get("index")) or 0
            parts = self._calls.get(index)
            if parts is None:
                if len(self._calls) >= MAX_TOOL_CALLS:
                    raise errors.AnswerTooLarge(f"more than {MAX_TOOL_CALLS} tool calls")
                parts = self._calls[index] = _CallParts()
            if isinstance(fragment.get("id"), str) and fragment["id"]:
                parts.id = fragment["id"][:200]
            function = fragment.get("function") or {}
            for key in ("name", "arguments"):
                value = function.get(key) if isinstance(function, dict) else None
                if isinstance(value, str) and value:
                    self._count(len(value))
                    getattr(parts, key).append(value)


@dataclass
class _CallParts:
    id: str = ""
    name: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)



def _event_error(error: Any) -> str:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:300]
    return str(error)[:300] if error else "the service reported an error"
