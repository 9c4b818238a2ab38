"""The Iskra client: chat completions (plain and streamed), ``/auth/me``, login steps.

The only module that imports ``openai``, and it does so lazily: the import
costs most of a second and the editor's ``initialize`` must not wait for it.
It knows nothing of LSP. Every failure leaves here as an
:mod:`iskra_ls.errors` exception worded for the user.

Chat goes through the SDK's low-level ``post`` with plain JSON in and out: auth,
SSE decoding, error mapping and the connection pool are the SDK's, but not its
per-request parameter transforms and per-chunk pydantic models, which cost
about 1.5 ms of every completion (``bench/overhead.py``).

Retries are ours, not the SDK's (``max_retries=0`` there): the SDK would retry
a 429, and Iskra's 429 is a daily quota that no retry can fix. Callers choose
how many retries a call may have; only 5xx, connection errors and time-outs
are retried, with a short back-off.

Every limit is a total limit. A call's ``timeout`` bounds the whole answer, not
the gap between bytes (a service trickling SSE keep-alive comments would hold
it open for ever); bodies are read raw, at most ``max_response_bytes`` of
them, and decoded here (JSON, and SSE with :class:`_SseLines`); the text and
tool-call arguments of one answer are capped at ``max_answer_chars`` and
collected in lists joined once. Error bodies (4xx/5xx) are read by the SDK,
within the same time limit and cut after ``ERROR_BODY_BYTES`` (an httpx response
hook wraps their stream), so a service answering 500 with a gigabyte costs 32 KB.

The token goes nowhere else: redirects are never followed (a redirect is an
:class:`~iskra_ls.errors.Redirected` error, so neither the token nor the
prompt leaves the API root), ``http://`` is refused for hosts other than this
machine, and a client whose ``token_root`` differs from its ``api_url``
refuses to send the token (:mod:`iskra_ls.api.roots`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from iskra_ls import errors
from iskra_ls.api.roots import same_root, url_problem

if TYPE_CHECKING:
    import httpx2
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

AUTH_STEPS = ("send-code", "verify-email", "complete-registration")

MAX_RESPONSE_BYTES = 32 << 20
"""Bytes of one answer on the wire (SSE framing costs ~200 bytes per streamed token)."""
MAX_ANSWER_CHARS = 2 << 20
"""Characters of text plus tool-call arguments in one answer (far above any model's output)."""
MAX_TOOL_CALLS = 128
"""Tool calls in one answer."""
SMALL_BODY_BYTES = 1 << 20
"""``/auth/me`` and the sign-in steps answer with a few hundred bytes."""
ERROR_BODY_BYTES = 32 << 10
"""Bytes of an error answer read (on the wire): its message is a line, the rest is dropped."""


class Account(BaseModel):
    """What ``GET /auth/me`` says about the signed-in user."""

    email: str | None = None
    tier: str | None = None
    requests_today: int | None = None
    tokens_today: int | None = None
    limit: int | None = None
    remaining: int | None = None

    @classmethod
    def from_me(cls, body: Any) -> Account:
        if not isinstance(body, dict):
            raise errors.MalformedResponse("/auth/me did not return an object")
        user: dict[str, Any] = body["user"] if isinstance(body.get("user"), dict) else {}
        usage: dict[str, Any] = body["usage"] if isinstance(body.get("usage"), dict) else {}
        limit = _int(usage.get("limit"))
        used = _int(usage.get("requestsToday"))
        remaining = _int(usage.get("remaining"))
        if remaining is None and limit is not None and used is not None:
            remaining = max(limit - used, 0)
        return cls(
            email=user.get("email"),
            tier=user.get("tier"),
            requests_today=used,
            tokens_today=_int(usage.get("tokensToday")),
            limit=limit,
            remaining=remaining,
        )

    def to_me(self) -> dict[str, Any]:
        """Back to Iskra's own camelCase shape (for ``status --json``)."""
        return {
            "user": {"email": self.email, "tier": self.tier},
            "usage": {
                "requestsToday": self.requests_today,
                "tokensToday": self.tokens_today,
                "limit": self.limit,
                "remaining": self.remaining,
            },
        }


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str
    """The raw JSON string the model produced (may be invalid)."""


@dataclass
class ChatResult:
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    elapsed: float = 0.0


def extract_token(body: Any) -> str | None:
    """Find the JWT in a login response, wherever the service put it."""
    if not isinstance(body, dict):
        return None
    for key in ("token", "accessToken", "access_token", "jwt", "idToken"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    for key in ("data", "result", "auth"):
        nested = extract_token(body.get(key))
        if nested:
            return nested
    return None


class IskraClient:
    """Async client for one Iskra API root. Share one per process."""

    def __init__(
        self,
        api_url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        token_root: str | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_answer_chars: int = MAX_ANSWER_CHARS,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.token_root = token_root
        """The API root the token may go to; ``None``: this client's own ``api_url``."""
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.max_answer_chars = max_answer_chars
        self.requests_sent = 0
        """Chat requests sent by this process (each costs one from the quota)."""
        self.last_usage: Usage | None = None
        self.on_request: Callable[[], None] | None = None
        self.on_usage: Callable[[Usage], None] | None = None
        self._sdk: AsyncOpenAI | None = None
        self._sdk_lock = threading.Lock()
        """``preload`` builds the SDK in a worker thread: build it once, never replace it
        (a replaced SDK is garbage-collected and closes its pool, connections in use too)."""

    # -- plumbing -----------------------------------------------------------------

    def _client(self, *, need_token: bool = True) -> AsyncOpenAI:
        if url_problem(self.api_url) is not None:
            raise errors.InsecureApiUrl(self.api_url)
        if need_token and not self.token:
            raise errors.NotSignedIn()
        if need_token and self.token_root is not None and not same_root(
            self.token_root, self.api_url
        ):
            raise errors.TokenNotForThisRoot(self.api_url, self.token_root)
        if self._sdk is None:
            import openai  # lazy: ~0.7 s

            with self._sdk_lock:
                if self._sdk is None:
                    import httpx2

                    self._sdk = openai.AsyncOpenAI(
                        base_url=f"{self.api_url}/ai/v1",
                        api_key=self.token or "none",
                        max_retries=0,
                        timeout=openai.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                        # Keep idle connections longer than the SDK's 5 s: a pause to
                        # think must not cost the next completion a TCP + TLS set-up.
                        http_client=openai.DefaultAsyncHttpxClient(
                            limits=httpx2.Limits(
                                max_connections=100, max_keepalive_connections=20,
                                keepalive_expiry=KEEPALIVE_S,
                            ),
                            event_hooks={"response": [_error_body_hook(ERROR_BODY_BYTES)]},
                        ),
                    )
        if self.token and self._sdk.api_key != self.token:
            self._sdk.api_key = self.token
        return self._sdk

    def preload(self) -> None:
        """Import openai and build the HTTP client now (e.g. right after start-up)."""
        try:
            self._client(need_token=False)
        except errors.IskraError:
            pass  # an unusable apiUrl is reported when a request is made

    def _options(self, timeout: float, **extra: Any) -> dict[str, Any]:
        return {"timeout": timeout, "follow_redirects": False, **extra}

    async def _send(
        self,
        method: str,
        path: str,
        *,
        timeout: float,
        body: Any = None,
        need_token: bool = True,
        max_bytes: int = SMALL_BODY_BYTES,
        extra: dict[str, Any] | None = None,
    ) -> Any:
        """One request read whole, within ``timeout`` in total and ``max_bytes``; JSON back."""
        sdk = self._client(need_token=need_token)
        options = self._options(timeout, **(extra or {}))
        async with asyncio.timeout(timeout):
            response = await _open_raw(sdk, method, path, body, options)
            try:
                raw = await _read_capped(response, max_bytes)
            finally:
                await response.aclose()
        return json.loads(raw)

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None

    def _count_request(self) -> None:
        self.requests_sent += 1
        if self.on_request is not None:
            self.on_request()

    def _record_usage(self, usage: Any) -> Usage | None:
        if not isinstance(usage, dict):
            return None
        recorded = Usage(
            prompt_tokens=_int(usage.get("prompt_tokens")) or 0,
            completion_tokens=_int(usage.get("completion_tokens")) or 0,
            total_tokens=_int(usage.get("total_tokens")) or 0,
        )
        self.last_usage = recorded
        if self.on_usage is not None:
            self.on_usage(recorded)
        return recorded

    # -- account ------------------------------------------------------------------

    async def me(self, *, timeout: float | None = None) -> Account:
        """``GET /auth/me``: tier and today's usage. Does not cost a request."""
        limit = timeout or 10.0
        try:
            body = await self._send("GET", f"{self.api_url}/auth/me", timeout=limit)
        except Exception as exc:
            raise translate_error(exc, self.api_url, timeout=limit) from None
        return Account.from_me(body)

    async def auth_step(self, step: str, body: dict[str, Any]) -> dict[str, Any]:
        """One of the three unauthenticated login steps; returns the JSON answer."""
        if step not in AUTH_STEPS:
            raise ValueError(f"unknown auth step {step!r}")
        from openai import omit

        try:
            answer = await self._send(
                "POST",
                f"{self.api_url}/auth/{step}",
                body=body,
                timeout=30.0,
                need_token=False,
                extra={"headers": {"Authorization": omit}},
            )
        except Exception as exc:
            raise translate_error(exc, self.api_url, auth_step=True, timeout=30.0) from None
        return answer if isinstance(answer, dict) else {"value": answer}

    # -- chat -----------------------------------------------------------------------

    async def chat(
        self,
        *,
        model: str,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        retries: int = 0,
    ) -> ChatResult:
        """One non-streamed chat completion; retried only on 5xx / network."""
        kwargs = _chat_kwargs(model, messages, tools, temperature, top_p, max_tokens)
        attempt = 0
        while True:
            self._client()  # refuse before counting a request that cannot go out
            started = time.perf_counter()
            self._count_request()
            try:
                response = await self._send(
                    "POST",
                    "/chat/completions",
                    body=kwargs,
                    timeout=timeout or self.timeout,
                    max_bytes=self.max_response_bytes,
                )
                return self._result_from_completion(response, time.perf_counter() - started)
            except Exception as exc:
                error = translate_error(exc, self.api_url, timeout=timeout or self.timeout)
                if not error.retryable or attempt >= retries:
                    raise error from None
            attempt += 1
            await asyncio.sleep(min(0.5 * 2 ** (attempt - 1), 4.0))

    def _result_from_completion(self, response: Any, elapsed: float) -> ChatResult:
        try:
            choice = response["choices"][0]
            message = choice["message"]
            calls = [
                ToolCall(
                    id=c.get("id") or f"call_{i}",
                    # A name that is not a string is that call's error (the runner answers
                    # it), not a malformed answer to ask again.
                    name=_string(c["function"].get("name")),
                    arguments=c["function"].get("arguments") or "",
                )
                for i, c in enumerate(message.get("tool_calls") or [])
            ]
        except (KeyError, IndexError, TypeError, AttributeError):
            raise errors.MalformedResponse("no choices in the answer") from None
        content = message.get("content")
        size = len(content) if isinstance(content, str) else 0
        size += sum(len(c.name) + len(c.arguments) for c in calls)
        if size > self.max_answer_chars:
            raise errors.AnswerTooLarge("text and tool calls", self.max_answer_chars)
        if len(calls) > MAX_TOOL_CALLS:
            raise errors.AnswerTooLarge(f"more than {MAX_TOOL_CALLS} tool calls")
        return ChatResult(
            content=message.get("content"),
            tool_calls=calls,
            finish_reason=choice.get("finish_reason"),
            usage=self._record_usage(response.get("usage")),
            elapsed=elapsed,
        )

    def stream_chat(
        self,
        *,
        model: str,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[dict[str, Any]] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
    ) -> ChatStream:
        """A streamed chat completion; use ``async with`` and iterate text deltas.

        Leaving the ``async with`` early closes the HTTP stream, so the service
        stops generating (and the caller stops paying for latency).
        """
        kwargs = _chat_kwargs(model, messages, tools, temperature, top_p, max_tokens)
        return ChatStream(self, kwargs, timeout or self.timeout)


class ChatStream:
    """Iterate the text deltas of a streamed answer; ``result`` holds the whole.

    The whole answer, not each read, is bounded by ``timeout``; its bytes by the
    client's ``max_response_bytes`` and its text plus tool-call arguments by
    ``max_answer_chars``.
    """

    def __init__(self, client: IskraClient, kwargs: dict[str, Any], timeout: float) -> None:
        self._client = client
        self._kwargs = kwargs
        self._timeout = timeout
        self._response: httpx2.Response | None = None
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
        client._count_request()
        try:
            async with asyncio.timeout_at(self._deadline):
                self._response = await _open_raw(
                    sdk, "POST", "/chat/completions", {**self._kwargs, "stream": True},
                    client._options(self._timeout),
                )
        except Exception as exc:
            raise translate_error(exc, client.api_url, timeout=self._timeout) from None
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
        lines = _SseLines()
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
                            await _drain_rest(chunks)
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
            index = _int(fragment.get("index")) or 0
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


class _SseLines:
    """Split a byte stream into SSE lines (``\n``, ``\r\n`` or ``\r``), linearly.

    A long line arriving in many pieces is searched only where new bytes came in.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0

    def feed(self, piece: bytes) -> list[str]:
        buffer = self._buffer
        buffer += piece
        lines: list[str] = []
        start = 0
        position = self._scanned
        while True:
            newline = _next_break(buffer, position)
            if newline < 0:
                break
            end = newline
            step = 1
            if buffer[newline] == 0x0D:  # \r, maybe \r\n
                if newline + 1 >= len(buffer):
                    break  # wait: the \n may come in the next piece
                if buffer[newline + 1] == 0x0A:
                    step = 2
            lines.append(buffer[start:end].decode("utf-8", errors="replace"))
            start = position = newline + step
        if start:
            del buffer[:start]
        self._scanned = max(len(buffer) - 1, 0) if buffer and buffer[-1] == 0x0D else len(buffer)
        return lines


def _next_break(buffer: bytearray, position: int) -> int:
    newline = buffer.find(b"\n", position)
    carriage = buffer.find(b"\r", position, newline if newline >= 0 else len(buffer))
    return carriage if carriage >= 0 else newline


async def _open_raw(
    sdk: AsyncOpenAI, method: str, path: str, body: Any, options: dict[str, Any]
) -> httpx2.Response:
    """The SDK's request (auth, pool, status errors) with the body left unread for us."""
    import httpx2

    call: Any = sdk.get if method == "GET" else sdk.post
    extra = {} if method == "GET" else {"body": body}
    response: httpx2.Response = await call(
        path, cast_to=httpx2.Response, options=options, stream=True, **extra
    )
    return response


def _error_body_hook(limit: int) -> Callable[[httpx2.Response], Awaitable[None]]:
    """An httpx response hook that ends an error answer's body after ``limit`` bytes.

    The SDK reads a status error's body whole (``aread``) before raising; this runs
    first, so the SDK reads at most ``limit`` bytes and the connection is closed. The
    status and headers (``Retry-After``) are intact; a cut JSON body leaves the SDK's
    "Error code: N" as the detail.
    """
    import httpx2

    class CappedStream(httpx2.AsyncByteStream):
        def __init__(self, inner: httpx2.AsyncByteStream) -> None:
            self._inner = inner

        async def __aiter__(self) -> AsyncIterator[bytes]:
            left = limit
            pieces = aiter(self._inner)
            try:
                async for piece in pieces:
                    if len(piece) >= left:
                        if left:
                            yield piece[:left]
                        return
                    left -= len(piece)
                    yield piece
            finally:
                close = getattr(pieces, "aclose", None)
                if close is not None:
                    await close()

        async def aclose(self) -> None:
            await self._inner.aclose()

    async def hook(response: httpx2.Response) -> None:
        if response.status_code >= 400 and isinstance(response.stream, httpx2.AsyncByteStream):
            response.stream = CappedStream(response.stream)

    return hook


async def _read_capped(response: httpx2.Response, max_bytes: int) -> bytes:
    """The whole body, refusing past ``max_bytes`` (checked as the bytes arrive)."""
    declared = _int(response.headers.get("content-length"))
    if declared is not None and declared > max_bytes:
        raise errors.AnswerTooLarge("the answer", max_bytes)
    parts: list[bytes] = []
    size = 0
    async for piece in response.aiter_bytes():
        size += len(piece)
        if size > max_bytes:
            raise errors.AnswerTooLarge("the answer", max_bytes)
        parts.append(piece)
    return b"".join(parts)


def _event_error(error: Any) -> str:
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])[:300]
    return str(error)[:300] if error else "the service reported an error"


async def _drain_rest(chunks: AsyncIterator[bytes]) -> None:
    """Read the bytes after ``[DONE]`` (the chunked terminator) so the connection is kept.

    A response closed before its end closes its keep-alive connection, and the next
    request pays a new TCP + TLS set-up.
    """
    try:
        async with asyncio.timeout(DRAIN_AFTER_DONE_S):
            async for _ in chunks:
                pass
    except Exception:  # a time-out included: the connection is closed, nothing else lost
        log.debug("no clean end after [DONE]", exc_info=True)


DRAIN_AFTER_DONE_S = 0.1

KEEPALIVE_S = 60.0
"""How long an idle connection is kept for the next request (the server may close it sooner)."""


def _utf8_safe(value: Any) -> Any:
    """``value`` with every string UTF-8-encodable: a lone surrogate (a document may hold
    ``"\\ud800"``, a file read with ``surrogateescape`` ``"\\udcff"``) becomes U+FFFD,
    instead of the whole request failing to encode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return value
    if isinstance(value, dict):
        return {key: _utf8_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_utf8_safe(item) for item in value]
    return value


def _chat_kwargs(
    model: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    temperature: float | None,
    top_p: float | None,
    max_tokens: int | None,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"model": model, "messages": _utf8_safe(list(messages))}
    if tools:
        kwargs["tools"] = list(tools)
    if temperature is not None:
        kwargs["temperature"] = temperature
    if top_p is not None:
        kwargs["top_p"] = top_p
    if max_tokens is not None:
        kwargs["max_tokens"] = max_tokens
    return kwargs


_BROKEN_ANSWER = ("RemoteProtocolError", "ReadError")
"""Transport errors that mean the connection was up and the answer broke off."""


def translate_error(
    exc: BaseException,
    api_url: str = "",
    *,
    timeout: float | None = None,
    auth_step: bool = False,
    mid_stream: bool = False,
) -> errors.IskraError:
    """Map an openai / transport exception to the user-worded domain error."""
    if isinstance(exc, errors.IskraError):
        return exc
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return errors.TimedOut(timeout)
    if isinstance(exc, openai.APIConnectionError):
        cause = type(exc.__cause__ or exc).__name__
        if mid_stream or cause in _BROKEN_ANSWER:
            # The service was reached; its answer broke off (or never came).
            return errors.StreamEndedEarly("the connection closed before the end of the answer")
        return errors.Unreachable(api_url, cause)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if 300 <= status < 400:
            return errors.Redirected(api_url, _location(exc))
        detail = _error_detail(exc)
        if status == 401 and not auth_step:
            return errors.TokenRejected()
        if status == 429:
            return errors.QuotaExhausted(_retry_after(exc))
        if 400 <= status < 500:
            return errors.BadRequest(detail or f"HTTP {status}")
        return errors.ServiceError(status, detail)
    if isinstance(exc, openai.APIError):  # an error event inside a stream
        return errors.StreamEndedEarly(_error_detail(exc) or "the service reported an error")
    if isinstance(exc, json.JSONDecodeError | ValueError | TypeError | KeyError):
        return errors.MalformedResponse(type(exc).__name__)
    if isinstance(exc, asyncio.TimeoutError):
        return errors.TimedOut(timeout)
    if _is_transport_error(exc):
        # The raw body is read by us, not the SDK: httpx's own errors arrive unwrapped.
        if mid_stream or type(exc).__name__ in _BROKEN_ANSWER:
            return errors.StreamEndedEarly("the connection closed before the end of the answer")
        return errors.Unreachable(api_url, type(exc).__name__)
    return errors.ServiceError(None, type(exc).__name__)


def _is_transport_error(exc: BaseException) -> bool:
    """An httpx (httpx2) transport error, matched by name so no import is needed."""
    return any(cls.__name__ == "TransportError" for cls in type(exc).__mro__)


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:300]
    message = getattr(exc, "message", "")
    return str(message)[:300] if message else ""


def _location(exc: Any) -> str:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    location = headers.get("location") if headers is not None else None
    return str(location)[:300] if location else ""


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
