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
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from iskra_ls import errors

if TYPE_CHECKING:
    from openai import AsyncOpenAI, AsyncStream

log = logging.getLogger(__name__)

AUTH_STEPS = ("send-code", "verify-email", "complete-registration")


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

    def __init__(self, api_url: str, token: str | None = None, *, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.requests_sent = 0
        """Chat requests sent by this process (each costs one from the quota)."""
        self.last_usage: Usage | None = None
        self.on_request: Callable[[], None] | None = None
        self.on_usage: Callable[[Usage], None] | None = None
        self._sdk: AsyncOpenAI | None = None

    # -- plumbing -----------------------------------------------------------------

    def _client(self, *, need_token: bool = True) -> AsyncOpenAI:
        if need_token and not self.token:
            raise errors.NotSignedIn()
        if self._sdk is None:
            import openai  # lazy: ~0.7 s

            self._sdk = openai.AsyncOpenAI(
                base_url=f"{self.api_url}/ai/v1",
                api_key=self.token or "none",
                max_retries=0,
                timeout=openai.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            )
        if self.token and self._sdk.api_key != self.token:
            self._sdk.api_key = self.token
        return self._sdk

    def preload(self) -> None:
        """Import openai and build the HTTP client now (e.g. right after start-up)."""
        self._client(need_token=False)

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
        sdk = self._client()
        try:
            body = await sdk.get(
                f"{self.api_url}/auth/me", cast_to=object, options={"timeout": timeout or 10.0}
            )
        except Exception as exc:
            raise translate_error(exc, self.api_url) from None
        return Account.from_me(body)

    async def auth_step(self, step: str, body: dict[str, Any]) -> dict[str, Any]:
        """One of the three unauthenticated login steps; returns the JSON answer."""
        if step not in AUTH_STEPS:
            raise ValueError(f"unknown auth step {step!r}")
        from openai import omit

        sdk = self._client(need_token=False)
        try:
            answer = await sdk.post(
                f"{self.api_url}/auth/{step}",
                body=body,
                cast_to=object,
                options={"headers": {"Authorization": omit}, "timeout": 30.0},
            )
        except Exception as exc:
            raise translate_error(exc, self.api_url, auth_step=True) from None
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
            sdk = self._client()
            started = time.perf_counter()
            self._count_request()
            try:
                response = await sdk.post(
                    "/chat/completions",
                    body=kwargs,
                    cast_to=object,
                    options={"timeout": timeout or self.timeout},
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
                    name=c["function"]["name"],
                    arguments=c["function"].get("arguments") or "",
                )
                for i, c in enumerate(message.get("tool_calls") or [])
            ]
        except (KeyError, IndexError, TypeError, AttributeError):
            raise errors.MalformedResponse("no choices in the answer") from None
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
    """Iterate the text deltas of a streamed answer; ``result`` holds the whole."""

    def __init__(self, client: IskraClient, kwargs: dict[str, Any], timeout: float) -> None:
        self._client = client
        self._kwargs = kwargs
        self._timeout = timeout
        self._stream: AsyncStream[object] | None = None
        self._started = 0.0
        self.result = ChatResult()
        self.first_byte_at: float | None = None
        self._fragments: dict[int, dict[str, str]] = {}

    async def __aenter__(self) -> ChatStream:
        sdk = self._client._client()
        self._started = time.perf_counter()
        self._client._count_request()
        from openai import AsyncStream

        try:
            self._stream = await sdk.post(
                "/chat/completions",
                body={**self._kwargs, "stream": True},
                cast_to=object,
                options={"timeout": self._timeout},
                stream=True,
                stream_cls=AsyncStream[object],
            )
        except Exception as exc:
            raise translate_error(exc, self._client.api_url, timeout=self._timeout) from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                await stream.close()
            except Exception:
                log.debug("closing the stream failed", exc_info=True)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._deltas()

    async def _deltas(self) -> AsyncIterator[str]:
        if self._stream is None:
            raise RuntimeError("use `async with client.stream_chat(...)` first")
        content: list[str] = []
        try:
            async for chunk in self._stream:
                if self.first_byte_at is None:
                    self.first_byte_at = time.perf_counter()
                if not isinstance(chunk, dict):
                    raise errors.MalformedResponse("a streamed chunk is not an object")
                if chunk.get("usage"):
                    self.result.usage = self._client._record_usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    text = delta.get("content")
                    if text:
                        content.append(text)
                        self.result.content = "".join(content)
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
        self.result.elapsed = time.perf_counter() - self._started
        self.result.tool_calls = [
            ToolCall(id=f["id"] or f"call_{i}", name=f["name"], arguments=f["arguments"])
            for i, f in sorted(self._fragments.items())
        ]
        if self.result.finish_reason is None:
            raise errors.StreamEndedEarly("the connection closed before the end of the answer")

    def _merge_tool_fragments(self, fragments: Sequence[Any]) -> None:
        """Tool calls arrive in pieces: join them by ``index``."""
        for fragment in fragments:
            slot = self._fragments.setdefault(
                _int(fragment.get("index")) or 0, {"id": "", "name": "", "arguments": ""}
            )
            if fragment.get("id"):
                slot["id"] = fragment["id"]
            function = fragment.get("function") or {}
            if function.get("name"):
                slot["name"] += function["name"]
            if function.get("arguments"):
                slot["arguments"] += function["arguments"]


def _chat_kwargs(
    model: str,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[dict[str, Any]] | None,
    temperature: float | None,
    top_p: float | None,
    max_tokens: int | None,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"model": model, "messages": list(messages)}
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
    return errors.ServiceError(None, type(exc).__name__)


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
