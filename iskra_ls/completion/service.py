"""Inline completions with request economy: the scheduler between editor and model.

Editors ask on nearly every keystroke; Iskra's free tier allows 20 requests a
day. In order, a request is answered:

1. from the cache when the user is typing through the suggestion on screen
   (or revisiting a spot) — no request;
2. not at all when completions are off, the cursor sits where a suggestion
   cannot help (inside a word, before code), or the automatic budget is spent;
3. after a debounce (automatic triggers only; adapted to the typing rhythm and
   shorter where a pause is likely: after Enter, at the end of a statement).
   Requests wait "at the door": a newer request for the same document answers
   the older one at once (empty), so a flood costs one waiting request per
   document — Neovim never cancels superseded requests, so the server does;
4. by one streamed model request (:mod:`iskra_ls.completion.fetch`), with the
   quota reserved in the machine's ledger before it is sent (the check and the count
   are one step, across every editor window); the fetch gets only a chat interface
   bound to that reservation, which is given back if the request never goes out.

A paid request is never thrown away: a fetch runs in its own task, so a newer
keystroke or ``$/cancelRequest`` answers the editor at once while the fetch
finishes in the background and its answer goes into the cache. One fetch per
document at a time: a newer automatic request waits for the one in flight and is
often served from its answer; a requested completion waits for a fetch at its place (or
one it typed on from) at most ``EXPLICIT_WAIT_S``, elsewhere it goes out at once.

Per-document state (typing rhythm, generations) ends when the document is closed.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iskra_ls import errors
from iskra_ls.account.budget import INVOKED
from iskra_ls.account.quota import Reservation
from iskra_ls.completion.cache import SuggestionCache
from iskra_ls.completion.context import build_context, build_prompt
from iskra_ls.completion.fetch import stream_suggestion
from iskra_ls.completion.heuristics import CompletionStats, pause_likely, worth_asking
from iskra_ls.completion.postprocess import Suggestion
from iskra_ls.session import Session

log = logging.getLogger(__name__)

WARM_AFTER_IDLE_S = 50.0
"""Typing after this long without a request: open a connection now (a free ``/auth/me``),
so the first completion does not pay the TCP + TLS set-up (kept alive ~60 s)."""

QUICK_DEBOUNCE_MIN_S = 0.08
"""The shortest wait where a pause is likely (after Enter, at the end of a statement)."""

EXPLICIT_WAIT_S = 2.0
"""A requested completion waits at most this long for a running fetch's answer (about what
a new request's first line takes); past it the fetch is stalled and its own goes out."""


@dataclass
class CompletionRequest:
    uri: str
    text: str
    offset: int
    version: int | None
    language_id: str
    path: str
    invoked: bool
    neighbours: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CompletionAnswer:
    id: str
    text: str
    start: int
    """Offset where the insertion starts (the cursor)."""
    end: int
    """Offset where the replaced text ends (auto-closed characters after the cursor)."""
    cached: bool = False


@dataclass
class _Fetch:
    """A model request in flight for one document."""

    shown: asyncio.Future[Suggestion | None]
    """What the editor gets: the first line as soon as it has streamed."""
    final: asyncio.Future[None]
    """Done when the cache holds the final answer (or the request failed)."""
    task: asyncio.Task[None] | None = None
    waiters: int = 0
    """Requests still waiting for ``shown``."""
    at: tuple[str, str] = ("", "")
    """The (prefix, suffix) it was asked for."""


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class CompletionService:
    """Decides whether, when and how to ask the model for a suggestion."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache = SuggestionCache()
        self.counts = CompletionStats()
        self._inflight: dict[str, _Fetch] = {}
        self._generation: dict[str, int] = {}
        self._door: dict[str, asyncio.Future[bool]] = {}
        self._last_network = time.monotonic()
        self._edits: dict[str, deque[float]] = {}
        self._last_edit_line: dict[str, float] = {}
        self._shown: OrderedDict[str, str] = OrderedDict()
        self.is_secret: Callable[[str], bool] = lambda _path: False
        """Set by the server from the workspace policy: secret files never reach Iskra."""

    # -- bookkeeping from document events ------------------------------------------------

    def note_edit(self, uri: str) -> None:
        """Remember when the user typed, for the adaptive debounce and neighbours."""
        now = time.monotonic()
        stamps = self._edits.setdefault(uri, deque(maxlen=12))
        stamps.append(now)
        self._last_edit_line[uri] = now
        if now - self._last_network > WARM_AFTER_IDLE_S and self.session.client.token:
            self._last_network = now
            self.session.warm_up()

    def debounce_s(self, uri: str, prefix: str = "") -> float:
        """How long to wait for the next key before asking the model.

        A little longer than this user's usual gap between keys, so a request
        goes out at a pause, not between two keystrokes; where a pause is likely
        (after Enter, at a statement's end) only just longer than that gap.
        """
        settings = self.session.settings.completion
        base = settings.debounce_ms / 1000.0
        if not settings.adaptive_debounce:
            return base
        gap = self._usual_gap(uri)
        wait = base if gap is None else min(max(base, 1.5 * gap), 1.0)
        if pause_likely(prefix):
            quick = base / 2 if gap is None else 1.4 * gap
            return min(wait, max(QUICK_DEBOUNCE_MIN_S, quick))
        return wait

    def _usual_gap(self, uri: str) -> float | None:
        stamps = self._edits.get(uri)
        if not stamps or len(stamps) < 4:
            return None
        gaps = [b - a for a, b in zip(stamps, list(stamps)[1:], strict=False) if b - a < 2.0]
        return statistics.median(gaps) if len(gaps) >= 3 else None

    def neighbours(self, uri: str, documents: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Snippets of the two other most recently edited open documents.

        Only workspace files that are not secret (``is_secret`` says; asked
        for the newest candidates only): never an untitled buffer or a tab
        open outside the workspace.
        """
        candidates = sorted(
            (u for u in self._last_edit_line if u != uri and u in documents),
            key=lambda u: self._last_edit_line[u],
            reverse=True,
        )
        recent = []
        for u in candidates:
            path = getattr(documents[u], "path", "") or ""
            if u.startswith("file:") and path and not self.is_secret(path):
                recent.append(u)
                if len(recent) == 2:
                    break
        snippets = []
        for other in recent:
            doc = documents[other]
            text = doc.source
            snippets.append((getattr(doc, "path", other), text[-1500:]))
        return snippets

    def forget(self, uri: str) -> None:
        """``uri`` was closed: its per-document state ends (a fetch in flight still lands)."""
        self._edits.pop(uri, None)
        self._last_edit_line.pop(uri, None)
        self._generation.pop(uri, None)
        door = self._door.pop(uri, None)
        if door is not None:
            _resolve(door, False)

    def accepted(self, answer_id: str) -> None:
        if self._shown.pop(answer_id, None) is not None:
            self.counts.accepted += 1
            log.info("suggestion accepted: %s", self.stats())

    def stats(self) -> dict[str, Any]:
        tracked = {*self._edits, *self._last_edit_line, *self._generation, *self._door,
                   *self._inflight}
        return {**self.counts.as_dict(), "trackedDocuments": len(tracked)}

    # -- the request path ----------------------------------------------------------------

    async def complete(self, request: CompletionRequest) -> CompletionAnswer | None:
        settings = self.session.settings.completion
        if not self.session.completions_enabled or settings.mode == "off":
            return None
        if settings.mode == "manual" and not request.invoked:
            return None
        if self.is_secret(request.path):
            return None  # a secret file's text is never sent to the model
        prefix, suffix = request.text[: request.offset], request.text[request.offset :]

        cached = self.cache.lookup(request.uri, prefix, suffix)
        if cached is not None:
            self.counts.cache_hits += 1
            return self._answer(request, cached, cached=True)

        if not self.session.client.token:
            if request.invoked:
                self.session.report_error(errors.NotSignedIn())
            return None
        if not request.invoked and settings.skip_heuristics and not worth_asking(prefix, suffix):
            self.counts.skipped += 1
            return None

        generation = self._supersede(request.uri)
        self.counts.waiting += 1
        self.counts.peak_waiting = max(self.counts.peak_waiting, self.counts.waiting)
        try:
            suggestion = await self._obtain(request, prefix, suffix, generation)
        finally:
            self.counts.waiting -= 1
        if suggestion is None:
            return None
        return self._answer(request, suggestion, cached=False)

    async def _obtain(
        self, request: CompletionRequest, prefix: str, suffix: str, generation: int
    ) -> Suggestion | None:
        uri = request.uri
        if request.invoked:
            if not await self.session.ensure_quota_for_invoked(explicit=False):
                return None
        elif not await self._hold(uri, generation, delay=self.debounce_s(uri, prefix)):
            return self._superseded()
        if self._generation.get(uri) != generation:
            return self._superseded()  # a newer request came while the quota was checked

        older = self._inflight.get(uri)
        if older is not None and not older.final.done():
            if not request.invoked:
                # One fetch per document: its answer (paid for) often fits this cursor too.
                if not await self._hold(uri, generation, until=older.final):
                    return self._superseded()
            elif suffix == older.at[1] and prefix.startswith(older.at[0]):
                # Asked where a fetch is running, or typed on from there: its answer (paid
                # for) is likely this one. Wait for it, but never long: a stalled fetch is
                # passed by, and a requested completion elsewhere goes out at once.
                if not await self._hold(uri, generation, until=older.shown,
                                        delay=EXPLICIT_WAIT_S):
                    return self._superseded()
        # A fetch may have answered for this cursor while we waited.
        cached = self.cache.lookup(uri, prefix, suffix)
        if cached is not None:
            self.counts.cache_hits += 1
            return cached

        # The quota: reserved in the machine's ledger, given back unless the request goes out.
        reservation = await (self.session.reserve(INVOKED) if request.invoked
                             else self.session.reserve_automatic())
        if reservation is None:
            self.counts.skipped += 1
            self.session.publish_idle()
            return None
        if self._generation.get(uri) != generation:
            reservation.release()  # a newer request came while the quota was reserved
            return self._superseded()
        try:
            fetch = self._start(request, prefix, suffix, reservation)
        except BaseException:
            reservation.release()
            raise
        fetch.waiters += 1
        try:
            # Not awaiting the fetch itself: a newer request or $/cancelRequest answers
            # the editor now, and the fetch goes on into the cache.
            if not await self._hold(uri, generation, until=fetch.shown):
                return self._superseded()
        finally:
            fetch.waiters -= 1
        return fetch.shown.result()

    def _supersede(self, uri: str) -> int:
        """A newer request for ``uri``: the one waiting at the door is answered at once."""
        generation = self._generation.get(uri, 0) + 1
        self._generation[uri] = generation
        door = self._door.pop(uri, None)
        if door is not None:
            _resolve(door, False)
        return generation

    def _superseded(self) -> Suggestion | None:
        self.counts.superseded += 1
        return None

    async def _hold(
        self,
        uri: str,
        generation: int,
        *,
        delay: float | None = None,
        until: asyncio.Future[Any] | None = None,
    ) -> bool:
        """Wait ``delay`` or for ``until``; False at once when a newer request supersedes this."""
        if self._generation.get(uri) != generation:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._door[uri] = waiter
        timer = loop.call_later(delay, _resolve, waiter, True) if delay is not None else None

        def finished(_future: asyncio.Future[Any]) -> None:
            _resolve(waiter, True)

        if until is not None:
            until.add_done_callback(finished)
        try:
            return await waiter
        finally:
            if timer is not None:
                timer.cancel()
            if until is not None:
                until.remove_done_callback(finished)
            if self._door.get(uri) is waiter:
                del self._door[uri]

    def _start(
        self, request: CompletionRequest, prefix: str, suffix: str, reservation: Reservation
    ) -> _Fetch:
        """Send one model request (its quota reserved), in its own task."""
        loop = asyncio.get_running_loop()
        fetch = _Fetch(shown=loop.create_future(), final=loop.create_future(),
                       at=(prefix, suffix))
        ctx = build_context(
            request.text, request.offset, language_id=request.language_id, path=request.path
        )
        prompt = build_prompt(
            ctx,
            budget_chars=self.session.settings.completion.budget_chars,
            neighbours=request.neighbours,
        )
        self.counts.requests += 1
        self._last_network = time.monotonic()
        uri = request.uri

        def on_answer(suggestion: Suggestion | None, final: bool) -> None:
            if suggestion is not None:
                self.cache.remember(uri, prefix, suffix, suggestion)
            if not fetch.shown.done():
                if fetch.waiters == 0:
                    self.counts.background += 1
                fetch.shown.set_result(suggestion)
            if final:
                _resolve(fetch.final, None)

        async def run() -> None:
            try:
                with reservation:  # spent once sent; given back if it never went out
                    suggestion = await stream_suggestion(
                        self.session.paid_chat(reservation), ctx, prompt, on_answer,
                        first_line_early=not request.invoked,
                    )
            except errors.IskraError as error:
                if fetch.shown.done():
                    log.info("the rest of a suggestion was lost: %s", error)
                else:
                    self.counts.errors += 1
                    self.session.report_error(error)
            else:
                on_answer(suggestion, True)
            finally:
                _resolve(fetch.shown, None)
                _resolve(fetch.final, None)
                if self._inflight.get(uri) is fetch:
                    del self._inflight[uri]
            self.session.refresh_soon()

        fetch.task = self.session.keep(asyncio.ensure_future(run()))
        self._inflight[uri] = fetch
        return fetch

    def _answer(
        self, request: CompletionRequest, suggestion: Suggestion, *, cached: bool
    ) -> CompletionAnswer:
        answer = CompletionAnswer(
            id=uuid.uuid4().hex[:12],
            text=suggestion.text,
            start=request.offset,
            end=request.offset + suggestion.replace_after,
            cached=cached,
        )
        self.counts.shown += 1
        self._shown[answer.id] = request.uri
        while len(self._shown) > 256:
            self._shown.popitem(last=False)
        return answer
