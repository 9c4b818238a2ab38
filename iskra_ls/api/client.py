"""The Iskra client: chat completions (plain and streamed), ``/auth/me``, login steps.

The only module that builds the ``openai`` SDK, and it does so lazily: the import
costs most of a second and the editor's ``initialize`` must not wait for it.
It knows nothing of LSP or of the quota. Every failure leaves here as an
:mod:`iskra_ls.errors` exception worded for the user (:mod:`iskra_ls.api.error_map`).

Chat goes through the SDK's low-level ``post`` with plain JSON in and out: auth,
SSE decoding, error mapping and the connection pool are the SDK's, but not its
per-request parameter transforms and per-chunk pydantic models, which cost
about 1.5 ms of every completion (``bench/overhead.py``).

Retries are ours, not the SDK's (``max_retries=0`` there): the SDK would retry
a 429, and Iskra's 429 is a daily quota that no retry can fix. Callers choose
how many retries a call may have; only 5xx, connection errors and time-outs
are retried, with a short back-off. A caller's :class:`~iskra_ls.api.results.RequestMeter`
hears of every attempt (each one is paid) and of an attempt that never reached the
service (no connection: nothing was paid).

Every limit is a total limit. A call's ``timeout`` bounds the whole answer, not
the gap between bytes (a service trickling SSE keep-alive comments would hold
it open for ever); bodies are read raw, at most ``max_response_bytes`` of
them once decoded (:mod:`iskra_ls.api.bodies`), and streamed answers are parsed
in :mod:`iskra_ls.api.stream`. Error bodies (4xx/5xx) are cut after
``ERROR_BODY_BYTES`` on the wire and once inflated, so a service answering 500 with
a gigabyte (or a gzip bomb) costs 32 KB.

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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from iskra_ls import errors
from iskra_ls.api.account import Account, extract_token, figure
from iskra_ls.api.bodies import error_body_hook, open_raw, read_capped
from iskra_ls.api.error_map import translate_error
from iskra_ls.api.results import ChatResult, RequestMeter, ToolCall, Usage
from iskra_ls.api.roots import same_root, url_problem
from iskra_ls.api.stream import MAX_TOOL_CALLS, ChatStream
from iskra_ls.api.traffic import Kind, Traffic

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = [
    "Account", "ChatResult", "ChatStream", "IskraClient", "RequestMeter", "ToolCall", "Usage",
    "extract_token", "translate_error",
]

log = logging.getLogger(__name__)

AUTH_STEPS = ("send-code", "verify-email", "complete-registration")

MAX_RESPONSE_BYTES = 32 << 20
"""Bytes of one answer (SSE framing costs ~200 bytes per streamed token)."""
MAX_ANSWER_CHARS = 2 << 20
"""Characters of text plus tool-call arguments in one answer (far above any model's output)."""
SMALL_BODY_BYTES = 1 << 20
"""``/auth/me`` and the sign-in steps answer with a few hundred bytes."""
ERROR_BODY_BYTES = 32 << 10
"""Bytes of an error answer read, on the wire and inflated: its message is a line."""
KEEPALIVE_S = 60.0
"""How long an idle connection is kept for the next request (the server may close it sooner)."""


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
        self.on_usage: Callable[[Usage], None] | None = None
        self.traffic = Traffic()
        """Requests open now, kept to one connection (:mod:`~iskra_ls.api.traffic`)."""
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
                            event_hooks={"response": [error_body_hook(ERROR_BODY_BYTES)]},
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
        kind: Kind = Kind.LOOKUP,
        background: bool = False,
    ) -> Any:
        """One request read whole, within ``timeout`` in total and ``max_bytes``; JSON back.

        It waits its turn on the connection first (:mod:`~iskra_ls.api.traffic`)."""
        sdk = self._client(need_token=need_token)
        options = self._options(timeout, **(extra or {}))
        async with self.traffic.request(kind, background=background), asyncio.timeout(timeout):
            response = await open_raw(sdk, method, path, body, options)
            try:
                raw = await read_capped(response, max_bytes)
            finally:
                await response.aclose()
        return json.loads(raw)

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None

    def _count_request(self, meter: RequestMeter | None) -> None:
        """An attempt is about to go out: it is paid (a retry too)."""
        self.requests_sent += 1
        if meter is not None:
            meter.sending()

    def _failed(
        self, exc: BaseException, meter: RequestMeter | None, *, timeout: float
    ) -> errors.IskraError:
        """The user-worded error of a failed attempt; one that never connected is not paid."""
        error = translate_error(exc, self.api_url, timeout=timeout)
        if isinstance(error, errors.Unreachable) and meter is not None:
            meter.not_sent()
        return error

    def _record_usage(self, usage: Any) -> Usage | None:
        if not isinstance(usage, dict):
            return None
        recorded = Usage(
            prompt_tokens=figure(usage.get("prompt_tokens")) or 0,
            completion_tokens=figure(usage.get("completion_tokens")) or 0,
            total_tokens=figure(usage.get("total_tokens")) or 0,
        )
        self.last_usage = recorded
        if self.on_usage is not None:
            self.on_usage(recorded)
        return recorded

    # -- account ------------------------------------------------------------------

    async def me(self, *, timeout: float | None = None, background: bool = False) -> Account:
        """``GET /auth/me``: tier and today's usage. Does not cost a request.

        ``background``: nobody waits for it, so it waits for the answers streaming now
        instead of opening a second connection beside them."""
        limit = timeout or 10.0
        try:
            body = await self._send("GET", f"{self.api_url}/auth/me", timeout=limit,
                                    background=background)
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
        meter: RequestMeter | None = None,
    ) -> ChatResult:
        """One non-streamed chat completion; retried only on 5xx / network."""
        kwargs = _chat_kwargs(model, messages, tools, temperature, top_p, max_tokens)
        attempt = 0
        while True:
            self._client()  # refuse before counting a request that cannot go out
            started = time.perf_counter()
            self._count_request(meter)
            try:
                response = await self._send(
                    "POST",
                    "/chat/completions",
                    body=kwargs,
                    timeout=timeout or self.timeout,
                    max_bytes=self.max_response_bytes,
                    kind=Kind.MODEL,
                )
                return self._result_from_completion(response, time.perf_counter() - started)
            except Exception as exc:
                error = self._failed(exc, meter, timeout=timeout or self.timeout)
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
        meter: RequestMeter | None = None,
    ) -> ChatStream:
        """A streamed chat completion; use ``async with`` and iterate text deltas.

        Leaving the ``async with`` early closes the HTTP stream, so the service
        stops generating (and the caller stops paying for latency).
        """
        kwargs = _chat_kwargs(model, messages, tools, temperature, top_p, max_tokens)
        return ChatStream(self, kwargs, timeout or self.timeout, meter)


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


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""
