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
finishes in the background and its answer goes into the cache, all of it: the
lines after a one-line suggestion wait there for the next line starts
(:mod:`iskra_ls.completion.lookahead`), and an unusable answer is remembered so the
same spot is not paid for again. One fetch per document at a time: a newer automatic
request waits for the one in flight and is often served from its answer, as soon as the
line it needs has streamed (the answer reaches the cache line by line); requests for
the very same spot (an editor asking for the inline item and the completion list at
once) share one; a requested completion waits for a fetch at its place (or one it typed
on from) at most ``EXPLICIT_WAIT_S``, elsewhere it goes out at once.

Every request reads a :class:`~iskra_ls.snapshot.DocumentSnapshot` (a bounded window
of one version) and answers in that version's offsets; the server places the answer
in the text as it is by then. Per-document state (typing rhythm, generations) ends
when the document is closed.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iskra_ls import errors
from iskra_ls.account.budget import INVOKED
from iskra_ls.account.quota import Reservation
from iskra_ls.completion.cache import SuggestionCache
from iskra_ls.completion.context import Prompt, build_context, build_prompt, wants_block
from iskra_ls.completion.fetch import stream_answer
from iskra_ls.completion.heuristics import CompletionStats, pause_likely, worth_asking
from iskra_ls.completion.lookahead import AnswerReader, on_this_line, shown_whole
from iskra_ls.completion.postprocess import Suggestion
from iskra_ls.completion.related import ContextPart, render, sent_parts
from iskra_ls.session import Session
from iskra_ls.snapshot import DocumentSnapshot

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
    snapshot: DocumentSnapshot
    """The document as the editor asked (a window of that version)."""
    invoked: bool
    prompt_path: str = ""
    """How the prompt names the file: workspace-relative, or its base name."""
    neighbours: Callable[[], list[tuple[str, str]]] = lambda: []
    """Snippets of other recently edited documents, asked for only when a model request
    goes out (a keystroke answered from the cache reads no other document)."""

    @property
    def uri(self) -> str:
        return self.snapshot.uri


@dataclass
class CompletionAnswer:
    id: str
    text: str
    start: int
    """Document offset (of the snapshot's version) where the insertion starts: the cursor."""
    end: int
    """Offset where the replaced text ends (auto-closed characters after the cursor)."""
    snapshot: DocumentSnapshot
    """The version ``start`` and ``end`` belong to (:meth:`DocumentSnapshot.place`)."""
    cached: bool = False


@dataclass
class _Fetch:
    """A model request in flight for one document."""

    shown: asyncio.Future[Suggestion | None]
    """What the editor gets: the first line as soon as it has streamed."""
    final: asyncio.Future[None]
    """Done when the cache holds the final answer (or the request failed)."""
    progress: asyncio.Future[None]
    """Done when the cache holds more of the answer (then replaced by a new one)."""
    task: asyncio.Task[None] | None = None
    waiters: int = 0
    """Requests still waiting for ``shown``."""
    at: tuple[str, str] = ("", "")
    """The (prefix, suffix) it was asked for."""

    def advance(self) -> None:
        """The cache holds more of the answer: wake the requests waiting on it."""
        _resolve(self.progress, None)
        if not self.final.done():
            self.progress = asyncio.get_running_loop().create_future()


@dataclass
class _Spot:
    """The work for one cursor spot; requests for the same spot share it."""

    key: tuple[int, int]
    """The snapshot's (edit mark, cursor offset)."""
    invoked: bool
    task: asyncio.Task[Suggestion | None]


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
        self._spots: dict[str, _Spot] = {}
        self._last_network = time.monotonic()
        self._edits: dict[str, deque[float]] = {}
        self._last_edit_line: dict[str, float] = {}
        self._shown: OrderedDict[str, str] = OrderedDict()
        self.is_secret: Callable[[str], bool] = lambda _path: False
        """Set by the server from the workspace policy: secret files never reach Iskra."""
        self.related: Callable[[CompletionRequest], Callable[..., list[ContextPart]]] | None
        self.related = None
        """Set by the server: the chooser of the parts from other files (definitions,
        edited ranges, similar code) for a request, asked when a model request goes out."""
        self.last_context: dict[str, Any] = {"parts": [], "totalChars": 0}
        """What the last model request sent, part by part (``iskra.showLastContext``)."""

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

    def neighbours(
        self,
        uri: str,
        documents: Mapping[str, Any],
        name: Callable[[str], str] = lambda path: path,
    ) -> list[tuple[str, str]]:
        """Snippets of the two other most recently edited open documents, as
        ``(name(path), the last lines)``.

        Only workspace files that are not secret (``is_secret`` says; asked
        for the newest candidates only): never an untitled buffer or a tab
        open outside the workspace. A document's text is never joined whole.
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
            tail = getattr(doc, "tail", None)
            text = tail(1500) if tail is not None else doc.source[-1500:]
            snippets.append((name(getattr(doc, "path", other)), text))
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
        snapshot = request.snapshot
        if self.is_secret(snapshot.path):
            return None  # a secret file's text is never sent to the model
        prefix, suffix = snapshot.prefix, snapshot.suffix

        whole = request.invoked and wants_block(prefix, suffix, snapshot.language_id)
        known = self.cache.lookup(request.uri, prefix, suffix, time.monotonic(), whole=whole)
        if known is not None:
            self.counts.cache_hits += 1
            return self._answer(request, known, cached=True)

        if not self.session.client.token:
            if request.invoked:
                self.session.report_error(errors.NotSignedIn())
            return None
        if not request.invoked and settings.skip_heuristics and not worth_asking(prefix, suffix):
            self.counts.skipped += 1
            return None

        spot = self._spot_for(request, prefix, suffix)
        self.counts.waiting += 1
        self.counts.peak_waiting = max(self.counts.peak_waiting, self.counts.waiting)
        try:
            # Shielded: a cancelled request leaves the work to the others at this spot.
            suggestion = await asyncio.shield(spot.task)
        finally:
            self.counts.waiting -= 1
        if suggestion is None:
            return None
        return self._answer(request, suggestion, cached=False)

    def _spot_for(self, request: CompletionRequest, prefix: str, suffix: str) -> _Spot:
        """The work for this request's spot: the one under way for the same spot, or new
        (which supersedes the work for another spot of the document)."""
        uri = request.uri
        key = (request.snapshot.mark, request.snapshot.offset)
        spot = self._spots.get(uri)
        if (
            spot is not None
            and spot.key == key
            and not spot.task.done()
            and (spot.invoked or not request.invoked)  # a request goes now, not after a wait
        ):
            return spot
        generation = self._supersede(uri)
        task = self.session.keep(
            asyncio.ensure_future(self._obtain(request, prefix, suffix, generation))
        )
        spot = _Spot(key, request.invoked, task)
        self._spots[uri] = spot

        def forget(_task: asyncio.Task[Suggestion | None]) -> None:
            if self._spots.get(uri) is spot:
                del self._spots[uri]

        task.add_done_callback(forget)
        return spot

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

        whole = request.invoked and wants_block(prefix, suffix, request.snapshot.language_id)

        def lookup() -> Suggestion | None:
            return self.cache.lookup(uri, prefix, suffix, time.monotonic(), whole=whole)

        older = self._inflight.get(uri)
        if older is not None and not older.final.done():
            # One fetch per document: its answer (paid for) often fits this cursor too, and
            # its lines reach the cache as they stream. A requested completion waits only
            # where the fetch was asked or typed on from, and never long (a stalled fetch
            # is passed by); elsewhere it goes out at once.
            typed_on = suffix == older.at[1] and prefix.startswith(older.at[0])
            if not request.invoked or typed_on:
                limit = EXPLICIT_WAIT_S if request.invoked else None
                if not await self._wait_for_answer(uri, older, generation, limit, lookup):
                    return self._superseded()
        # A fetch may have answered for this cursor while we waited.
        known = lookup()
        if known is not None:
            self.counts.cache_hits += 1
            return known

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

    async def _wait_for_answer(
        self,
        uri: str,
        fetch: _Fetch,
        generation: int,
        limit: float | None,
        lookup: Callable[[], Suggestion | None],
    ) -> bool:
        """Wait until ``fetch`` has brought something for this cursor (``lookup``), or is
        done, or ``limit`` is up; False when a newer request superseded this one."""
        loop = asyncio.get_running_loop()
        deadline = None if limit is None else loop.time() + limit
        while not fetch.final.done() and lookup() is None:
            delay = None if deadline is None else deadline - loop.time()
            if delay is not None and delay <= 0:
                break
            if not await self._hold(uri, generation, until=fetch.progress, delay=delay):
                return False
        return True

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
                       progress=loop.create_future(), at=(prefix, suffix))
        whole_block = request.invoked and wants_block(
            prefix, suffix, request.snapshot.language_id
        )
        # Read on the loop (the open documents), chosen in the worker with the prompt.
        choose = self.related(request) if self.related is not None else None
        neighbours = [] if choose else request.neighbours()
        self.counts.requests += 1
        self._last_network = time.monotonic()
        uri = request.uri
        kept = False

        def on_answer(suggestion: Suggestion | None, final: bool, whole: int | None) -> None:
            nonlocal kept
            # ``whole``: what the spot shows whole (the block), apart from the lines kept
            # after it; it comes with each answer, as the reader had it when making it.
            if suggestion is not None:
                kept = True
                self.cache.remember(uri, prefix, suffix, suggestion, whole_chars=whole)
            elif final and not kept:
                self.cache.remember_nothing(uri, prefix, suffix, time.monotonic())
            if not fetch.shown.done():
                if fetch.waiters == 0:
                    self.counts.background += 1
                if suggestion is not None and whole_block:
                    suggestion = shown_whole(suggestion, whole)
                fetch.shown.set_result(self._shown_of(suggestion, whole_block))
            if final:
                _resolve(fetch.final, None)
            fetch.advance()

        async def run() -> None:
            try:
                with reservation:  # spent once sent; given back if it never went out
                    # Off the loop: bounded work, but a hostile window must not stall it.
                    prompt, reader = await asyncio.to_thread(
                        self._prepare, request, neighbours, choose
                    )
                    await stream_answer(self.session.paid_chat(reservation), reader, prompt,
                                        on_answer)
            except errors.IskraError as error:
                if fetch.shown.done():
                    log.info("the rest of a suggestion was lost: %s", error)
                else:
                    self.counts.errors += 1
                    self.session.report_error(error)
            finally:
                _resolve(fetch.shown, None)
                _resolve(fetch.final, None)
                fetch.advance()
                if self._inflight.get(uri) is fetch:
                    del self._inflight[uri]
            self.session.refresh_soon()

        fetch.task = self.session.keep(asyncio.ensure_future(run()))
        self._inflight[uri] = fetch
        return fetch

    def _prepare(
        self,
        request: CompletionRequest,
        neighbours: list[tuple[str, str]],
        choose: Callable[..., list[ContextPart]] | None = None,
    ) -> tuple[Prompt, AnswerReader]:
        """The prompt for ``request`` and the reader of its answer (pure; in a worker)."""
        snapshot = request.snapshot
        ctx = build_context(
            snapshot.text,
            snapshot.cursor,
            language_id=snapshot.language_id,
            path=request.prompt_path,
        )
        budget = self.session.settings.completion.budget_chars
        parts = choose(prefix=ctx.prefix, suffix=ctx.suffix, budget=budget // 3) if choose else []
        section = render(parts)
        prompt = build_prompt(
            ctx,
            budget_chars=max(budget - len(section), 1),
            neighbours=neighbours,
            related=section,
        )
        self.last_context = sent_parts(prompt.messages, ctx.path, section, parts)
        return prompt, AnswerReader(ctx, first_line_early=not request.invoked)

    @staticmethod
    def _shown_of(suggestion: Suggestion | None, whole: bool) -> Suggestion | None:
        """What the editor is shown of a kept suggestion: a requested block whole, else
        the current line (the lines after it wait in the cache for the next line starts)."""
        if suggestion is None or whole:
            return suggestion
        line = on_this_line(suggestion.text)
        return Suggestion(line, suggestion.replace_after) if line.strip() else None

    def _answer(
        self, request: CompletionRequest, suggestion: Suggestion, *, cached: bool
    ) -> CompletionAnswer | None:
        if not suggestion.text:
            return None  # a spot known to have nothing to show
        start = request.snapshot.offset
        answer = CompletionAnswer(
            id=uuid.uuid4().hex[:12],
            text=suggestion.text,
            start=start,
            end=start + suggestion.replace_after,
            snapshot=request.snapshot,
            cached=cached,
        )
        self.counts.shown += 1
        self._shown[answer.id] = request.uri
        while len(self._shown) > 256:
            self._shown.popitem(last=False)
        return answer
