"""An Iskra-compatible HTTP server on 127.0.0.1, for tests, demos and trying the plugin.

It speaks the documented API (``/ai/v1/chat/completions``, ``/ai/v1/models``,
``/auth/me``, the three sign-in steps) with the real wire format, so the official
OpenAI SDK and the project's own client run against it unchanged. What the "model"
answers is scripted with :class:`~iskra_ls.stub.replies.Reply` values, which can also
break the connection in the ways a real service does. ``/_stub/...`` endpoints (see
``admin.py``) script a stub that runs as a separate process.

A simulated network (``rtt``, ``connect_delay``; the model's pace is
``tokens_per_second`` × ``chunk_chars``) delays every API answer by a round trip, and
the first one on a new connection by a TCP + TLS set-up; ``connections`` counts them,
so benchmarks can see what keep-alive saves.

The stub runs inside the caller's event loop (``async with StubIskra() as stub``) or as
a process (:func:`run_stub_server`). Bearer tokens are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

from iskra_ls.stub import admin
from iskra_ls.stub.accounts import (
    Account,
    AuthFlow,
    AuthFlowError,
    limit_for_tier,
    seconds_until_utc_midnight,
)
from iskra_ls.stub.replies import Reply, default_reply
from iskra_ls.stub.responses import (
    NOT_JSON,
    bearer_token,
    bind_socket,
    error_reply,
    json_error,
    read_json,
    send_event,
    unauthorized,
)
from iskra_ls.stub.wire import (
    MODELS,
    ChunkPlan,
    call_ids,
    completion_object,
    error_body,
    plan_stream,
    usage_for,
    validate_chat,
)

log = logging.getLogger(__name__)

_MALFORMED_LINE = b'data: {"id": "chatcmpl-broken", "choices": [{"delta": \n\n'


@dataclass
class _Job:
    """A chat request that passed every check and has its reply."""

    reply: Reply
    body: dict[str, Any]
    usage: dict[str, int]
    ids: list[str]
    stream: bool
    dropped: bool = False


class StubIskra:
    """An in-memory Iskra: accounts, quotas, sign-in codes and scripted model answers."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limit: int = 20,
        tier: str = "free",
        latency: float = 0.0,
        tokens_per_second: float | None = None,
        chunk_chars: int = 4,
        rtt: float = 0.0,
        connect_delay: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port
        self.url = ""
        """API root such as ``http://127.0.0.1:41234``, set by :meth:`start`."""
        self._defaults: dict[str, Any] = {
            "limit": limit,
            "tier": tier,
            "latency": latency,
            "tokens_per_second": tokens_per_second,
            "chunk_chars": chunk_chars,
            "rtt": rtt,
            "connect_delay": connect_delay,
        }
        self.limit = limit
        """Daily request limit given to accounts created from now on."""
        self.tier = tier
        """Tier given to accounts created from now on."""
        self.latency = latency
        """Seconds before the first byte of every chat answer."""
        self.tokens_per_second: float | None = tokens_per_second
        """Pace of streamed chunks (one chunk = one token); None streams at once."""
        self.chunk_chars = chunk_chars
        """Characters of content per streamed chunk."""
        self.rtt = rtt
        """Simulated network: seconds of round trip added to every API answer."""
        self.connect_delay = connect_delay
        """Simulated network: extra seconds on the first request of a new connection."""
        self.connections = 0
        """HTTP connections the API routes have seen (keep-alive reuses one)."""
        self.me_requests = 0
        """``GET /auth/me`` requests answered."""
        self.models: list[str] | None = list(MODELS)
        """Model ids ``GET /ai/v1/models`` lists (a test retires one by leaving it out);
        None: the endpoint answers 404, as a service without it."""
        self.models_requests = 0
        """``GET /ai/v1/models`` requests answered."""
        self.me_status: int | None = None
        """When set, ``GET /auth/me`` answers this HTTP error status (a broken usage endpoint
        while chat works)."""
        self.me_body: str | None = None
        """When set, ``GET /auth/me`` answers this raw JSON text (odd figures such as
        ``Infinity``) instead of the account's own."""
        self._seen: weakref.WeakSet[Any] = weakref.WeakSet()
        self.reply_function: Callable[[dict[str, Any]], Reply] | None = None
        """Answers a chat request body when no scripted reply is queued."""
        self.requests: list[dict[str, Any]] = []
        """Every chat request body received (JSON objects only), in order."""
        self.auth_requests: list[tuple[str, dict[str, Any]]] = []
        """``(path, body)`` of every sign-in step request."""
        self.disconnects = 0
        """Chat answers the client abandoned before the server finished sending them."""
        self.active_streams = 0
        """Streamed answers being sent right now."""
        self.chunks_sent = 0
        """Content chunks of streamed answers written so far (what a client could have read)."""
        self._queue: deque[Reply] = deque()
        self._accounts: dict[str, Account] = {}
        self._revoked: set[str] = set()
        self._auth = AuthFlow()
        self._runner: web.AppRunner | None = None
        self._stopping = False

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one) and set :attr:`url`."""
        app = web.Application(middlewares=[self._network])
        app.add_routes(
            [
                web.post("/ai/v1/chat/completions", self._chat),
                web.get("/ai/v1/models", self._models),
                web.get("/auth/me", self._me),
                web.post("/auth/send-code", self._auth_step),
                web.post("/auth/verify-email", self._auth_step),
                web.post("/auth/complete-registration", self._auth_step),
                *admin.routes(self),
            ]
        )
        # handler_cancellation: a client that goes away mid-answer cancels the handler,
        # which is how disconnects are noticed even while the stub sleeps (stall, pacing).
        self._runner = web.AppRunner(
            app,
            handler_cancellation=True,
            shutdown_timeout=0.1,
            access_log=logging.getLogger("iskra_ls.stub.access"),
        )
        await self._runner.setup()
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        self.url = f"http://{shown}:{self.port}"
        self._stopping = False

    async def stop(self) -> None:
        """Stop listening and end open answers (not counted as disconnects)."""
        self._stopping = True
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> StubIskra:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @web.middleware
    async def _network(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Count connections and add the simulated round trip (and set-up on a new one)."""
        if request.path.startswith("/_stub/"):
            response: web.StreamResponse = await handler(request)
            return response
        delay = self.rtt
        transport = request.transport
        if transport is not None and transport not in self._seen:
            self._seen.add(transport)
            self.connections += 1
            delay += self.connect_delay
        if delay:
            await asyncio.sleep(delay)
        response = await handler(request)
        return response

    # ------------------------------------------------------------------- scripting
    def script(self, *replies: Reply) -> None:
        """Queue replies; chat requests consume them first in, first out."""
        self._queue.extend(replies)

    @property
    def queued(self) -> int:
        """Scripted replies not consumed yet."""
        return len(self._queue)

    @property
    def codes(self) -> dict[str, str]:
        """E-mail (lower-cased, as the stub stores addresses) -> the last code sent to it."""
        return self._auth.codes

    def account(self, token: str) -> Account:
        """The usage record of ``token`` (created with the current defaults on first sight)."""
        account = self._accounts.get(token)
        if account is None:
            account = self._accounts[token] = Account(tier=self.tier, limit=self.limit)
        account.roll_over()
        return account

    def set_account(
        self,
        token: str,
        *,
        tier: str | None = None,
        requests_today: int | None = None,
        limit: int | None = None,
    ) -> None:
        """Change one account; a new tier without a limit gets that tier's documented limit."""
        account = self.account(token)
        if tier is not None:
            account.tier = tier
            account.limit = limit_for_tier(tier, account.limit)
        if limit is not None:
            account.limit = limit
        if requests_today is not None:
            account.requests_today = requests_today

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
    ) -> None:
        """Change knobs; ``limit``/``tier`` apply to every account, present and future.

        ``tokens_per_second`` is applied when given or when ``pace`` is true (so None can
        switch pacing off).
        """
        if latency is not None:
            self.latency = latency
        if tokens_per_second is not None or pace:
            self.tokens_per_second = tokens_per_second
        if chunk_chars is not None:
            self.chunk_chars = chunk_chars
        if rtt is not None:
            self.rtt = rtt
        if connect_delay is not None:
            self.connect_delay = connect_delay
        if tier is not None:
            self.tier = tier
            self.limit = limit_for_tier(tier, self.limit)
        if limit is not None:
            self.limit = limit
        if tier is not None or limit is not None:
            for account in self._accounts.values():
                account.tier = self.tier
                account.limit = self.limit

    def revoke(self, token: str) -> None:
        """Make ``token`` get 401 from now on."""
        self._revoked.add(token)

    def reset(self) -> None:
        """Forget scripts, records, accounts and codes; knobs go back to the constructor's."""
        self._queue.clear()
        self.reply_function = None
        self.requests.clear()
        self.auth_requests.clear()
        self.disconnects = 0
        self.connections = 0
        self.chunks_sent = 0
        self.models = list(MODELS)
        self.models_requests = 0
        self.me_status = None
        self.me_body = None
        self._accounts.clear()
        self._revoked.clear()
        self._auth = AuthFlow()
        for name, value in self._defaults.items():
            setattr(self, name, value)

    def stats(self) -> dict[str, int]:
        """Counters shown by ``GET /_stub/stats``."""
        return {
            "requests": len(self.requests),
            "disconnects": self.disconnects,
            "connections": self.connections,
            "active_streams": self.active_streams,
            "queued": len(self._queue),
        }

    # -------------------------------------------------------------------- handlers
    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await read_json(request)
        if isinstance(body, dict):
            self.requests.append(body)
        decision = self._decide(request, body)
        if not isinstance(decision, _Job):
            await asyncio.sleep(self.latency)
            return decision
        job = decision
        if job.stream:
            self.active_streams += 1
        try:
            await asyncio.sleep(self.latency)
            if job.reply.is_error:
                return error_reply(job.reply)
            if job.stream:
                return await self._stream(request, job)
            return await self._plain(request, job)
        except asyncio.CancelledError:
            self._count_disconnect(job)
            raise
        except ConnectionResetError:
            self._count_disconnect(job)
            return web.Response(status=499)
        finally:
            if job.stream:
                self.active_streams -= 1

    def _count_disconnect(self, job: _Job) -> None:
        if not self._stopping and not job.dropped:
            self.disconnects += 1

    def _decide(self, request: web.Request, body: Any) -> web.Response | _Job:
        """Auth, validation, quota and reply choice: no awaits, so replies go out FIFO."""
        token = bearer_token(request)
        if token is None or token in self._revoked:
            return unauthorized(token is None)
        if body is NOT_JSON:
            return json_error(400, "The request body is not valid JSON.", code="invalid_json")
        invalid = validate_chat(body)
        if invalid is not None:
            return json_error(400, invalid.message, code=invalid.code, param=invalid.param)
        account = self.account(token)
        if account.requests_today >= account.limit:
            wait = seconds_until_utc_midnight()
            message = (
                f"Daily request limit reached ({account.limit} requests on the "
                f"{account.tier} tier); it resets at 00:00 UTC."
            )
            return json_error(429, message, headers={"Retry-After": str(wait)})
        account.requests_today += 1
        if self._queue:
            reply = self._queue.popleft()
        elif self.reply_function is not None:
            try:
                reply = self.reply_function(body)
            except Exception as exc:
                log.exception("Iskra stub: reply_function failed")
                return json_error(500, f"reply_function failed: {exc}")
        else:
            reply = default_reply(body)
        usage = usage_for(body, reply)
        if not reply.is_error:
            account.tokens_today += usage["total_tokens"]
        stream = bool(body.get("stream")) and not reply.is_error
        return _Job(reply, body, usage, call_ids(reply), stream)

    async def _plain(self, request: web.Request, job: _Job) -> web.StreamResponse:
        reply = job.reply
        chunks = len(self._plan(job).payload)
        pace = chunks / self.tokens_per_second if self.tokens_per_second else 0.0
        await asyncio.sleep(pace + (reply.stall_seconds or 0.0))
        if reply.drop_after_chunks is not None:
            return _drop(request, job)
        if reply.error_event is not None:
            return json_error(500, reply.error_event)
        if reply.malformed_chunk_at is not None:
            return web.Response(
                body=b'{"id": "chatcmpl-broken", "choices": [', content_type="application/json"
            )
        return web.json_response(completion_object(reply, job.body["model"], job.usage, job.ids))

    async def _stream(self, request: web.Request, job: _Job) -> web.StreamResponse:
        """Send the answer as SSE chunks, applying the reply's faults (see ``Reply``)."""
        reply = job.reply
        plan = self._plan(job)
        total = len(plan.payload)
        first = min(1, total)
        stall_at = first if reply.stall_seconds else None
        error_at = first if reply.error_event is not None else None
        drop_at = None if reply.drop_after_chunks is None else min(reply.drop_after_chunks, total)

        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)
        await send_event(resp, plan.role)
        for sent in range(total + 1):
            if sent > 0:
                if self.tokens_per_second:
                    await asyncio.sleep(1.0 / self.tokens_per_second)
                if reply.malformed_chunk_at == sent:
                    await resp.write(_MALFORMED_LINE)
                else:
                    await send_event(resp, plan.payload[sent - 1])
                self.chunks_sent += 1
            if sent == stall_at:
                await asyncio.sleep(reply.stall_seconds or 0.0)
            if sent == drop_at:
                return _drop(request, job, resp)
            if sent == error_at:
                await send_event(resp, error_body(500, reply.error_event or "Stream error"))
                await resp.write_eof()
                return resp
        await send_event(resp, plan.finish)
        if plan.usage is not None:
            await send_event(resp, plan.usage)
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    def _plan(self, job: _Job) -> ChunkPlan:
        options = job.body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        return plan_stream(
            job.reply,
            job.body["model"],
            job.usage,
            job.ids,
            chunk_chars=self.chunk_chars,
            include_usage=include_usage,
        )

    async def _models(self, request: web.Request) -> web.Response:
        """OpenAI's list shape; a token is not needed, a revoked one is refused."""
        token = bearer_token(request)
        if token is not None and token in self._revoked:
            return unauthorized(False)
        self.models_requests += 1
        if self.models is None:
            return json_error(404, "Not found.")
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {"id": model, "object": "model", "created": 0, "owned_by": "iskra"}
                    for model in self.models
                ],
            }
        )

    async def _me(self, request: web.Request) -> web.Response:
        token = bearer_token(request)
        if token is None or token in self._revoked:
            return unauthorized(token is None)
        self.me_requests += 1
        if self.me_status is not None:
            return json_error(self.me_status, "The usage service failed.")
        if self.me_body is not None:
            return web.Response(text=self.me_body, content_type="application/json")
        return web.json_response(self.account(token).me())

    async def _auth_step(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        self.auth_requests.append((request.path, body if isinstance(body, dict) else {}))
        try:
            if request.path.endswith("send-code"):
                email = self._auth.send_code(body)
                return web.json_response({"ok": True, "message": f"Code sent to {email}."})
            if request.path.endswith("verify-email"):
                self._auth.verify(body)
                return web.json_response({"ok": True, "verified": True})
            email, token = self._auth.complete(body)
        except AuthFlowError as exc:
            return json_error(400, str(exc), extra={"ok": False})
        self._accounts[token] = Account(tier=self.tier, limit=self.limit, email=email)
        return web.json_response({"ok": True, "token": token})


# ------------------------------------------------------------------------ helpers
def _drop(
    request: web.Request, job: _Job, resp: web.StreamResponse | None = None
) -> web.StreamResponse:
    """Close the connection abruptly (no more bytes, no HTTP terminator)."""
    job.dropped = True
    if request.transport is not None:
        request.transport.close()
    return resp if resp is not None else web.Response(status=499)


# ------------------------------------------------------------------- as a process
def run_stub_server(host: str = "127.0.0.1", port: int = 0, **knobs: Any) -> None:
    """Serve until SIGINT/SIGTERM; prints one ``listening on URL`` line to stdout.

    How to sign in against it, and each sign-in's code, go to stderr: the terminal the
    person started it in.

    ``knobs`` are :class:`StubIskra` keywords (limit, tier, latency, tokens_per_second,
    chunk_chars). Everything else goes to stderr.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
        )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(StubIskra(host, port, **knobs)))


async def _serve(stub: StubIskra) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stopped.set)
    async with stub:
        print(f"Iskra stub server listening on {stub.url}", flush=True)
        print(
            f"Sign in against it: ISKRA_API_URL={stub.url} iskra-ls login (any e-mail; "
            "each sign-in's code is random and is printed here)",
            file=sys.stderr, flush=True,
        )
        await stopped.wait()
