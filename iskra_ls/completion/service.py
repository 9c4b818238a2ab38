"""Inline completions with request economy: the scheduler between editor and model.

Editors ask on nearly every keystroke; Iskra's free tier allows 20 requests a
day. In order, a request is answered:

1. from the cache when the user is typing through the suggestion on screen
   (or revisiting a spot) — no request;
2. not at all when completions are off, the cursor sits where a suggestion
   cannot help (inside a word, before code), or the automatic budget is spent;
3. after a debounce (automatic triggers only; adapted to the typing rhythm),
   during which a newer request for the same document supersedes it —
   Neovim never cancels superseded requests, so the server does;
4. by one streamed model request; one-line suggestions stop reading at the
   end of the first line and close the stream.

``$/cancelRequest`` cancels the handler's task, which cancels the fetch task
it awaits, which closes the HTTP stream.
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iskra_ls import errors
from iskra_ls.completion.cache import SuggestionCache
from iskra_ls.completion.context import CompletionContext, build_context, build_prompt
from iskra_ls.completion.postprocess import Suggestion, early_stop_text, postprocess
from iskra_ls.session import Session

log = logging.getLogger(__name__)

CHARS_PER_TOKEN_CAP = 8
"""An answer longer than ``max_tokens`` × this is a runaway: stop reading it."""

_WORD = re.compile(r"\w")
_CLOSERS_ONLY = re.compile(r"^[\s)\]}\"'`;:,.]*$")


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
class CompletionStats:
    requests: int = 0
    """Model requests sent."""
    shown: int = 0
    accepted: int = 0
    cache_hits: int = 0
    skipped: int = 0
    superseded: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        rate = self.accepted / self.shown if self.shown else None
        per_accept = self.requests / self.accepted if self.accepted else None
        return {
            "requests": self.requests,
            "shown": self.shown,
            "accepted": self.accepted,
            "cacheHits": self.cache_hits,
            "skipped": self.skipped,
            "superseded": self.superseded,
            "errors": self.errors,
            "acceptanceRate": rate,
            "requestsPerAccepted": per_accept,
        }


def worth_asking(prefix: str, suffix: str) -> bool:
    """Heuristics: would an automatic suggestion here help?

    No when the cursor is inside a word, or when real code follows it on the
    line (only closers such as ``)`` or quotes may follow).
    """
    line_suffix = suffix.split("\n", 1)[0].rstrip("\r")
    if line_suffix and _WORD.match(line_suffix[0]):
        return False
    return bool(_CLOSERS_ONLY.match(line_suffix))


class CompletionService:
    """Decides whether, when and how to ask the model for a suggestion."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache = SuggestionCache()
        self.counts = CompletionStats()
        self._inflight: dict[str, asyncio.Task[Suggestion | None]] = {}
        self._generation: dict[str, int] = {}
        self._edits: dict[str, deque[float]] = {}
        self._last_edit_line: dict[str, float] = {}
        self._shown: OrderedDict[str, str] = OrderedDict()
        self.is_secret: Callable[[str], bool] = lambda _path: False
        """Set by the server from the workspace policy: secret files never reach Iskra."""

    # -- bookkeeping from document events ------------------------------------------------

    def note_edit(self, uri: str) -> None:
        """Remember when the user typed, for the adaptive debounce and neighbours."""
        stamps = self._edits.setdefault(uri, deque(maxlen=12))
        stamps.append(time.monotonic())
        self._last_edit_line[uri] = time.monotonic()

    def debounce_s(self, uri: str) -> float:
        settings = self.session.settings.completion
        base = settings.debounce_ms / 1000.0
        stamps = self._edits.get(uri)
        if not settings.adaptive_debounce or not stamps or len(stamps) < 4:
            return base
        gaps = [b - a for a, b in zip(stamps, list(stamps)[1:], strict=False) if b - a < 2.0]
        if len(gaps) < 3:
            return base
        # Wait a little longer than this user's usual gap between keys, so a
        # request goes out at a pause, not between two keystrokes.
        return min(max(base, 1.5 * statistics.median(gaps)), 1.0)

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

    def accepted(self, answer_id: str) -> None:
        if self._shown.pop(answer_id, None) is not None:
            self.counts.accepted += 1
            log.info("suggestion accepted: %s", self.stats())

    def stats(self) -> dict[str, Any]:
        return self.counts.as_dict()

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
        if request.invoked:
            if not await self.session.ensure_quota_for_invoked():
                return None
        else:
            await asyncio.sleep(self.debounce_s(request.uri))
            if self._generation.get(request.uri) != generation:
                self.counts.superseded += 1
                return None
            if not self.session.quota.auto_allowed(settings.auto_budget):
                self.counts.skipped += 1
                self.session.publish_idle()
                return None

        ctx = build_context(
            request.text, request.offset, language_id=request.language_id, path=request.path
        )
        fetch = asyncio.ensure_future(self._fetch(request, ctx))
        self._inflight[request.uri] = fetch
        try:
            suggestion = await fetch
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # our own request was cancelled by the editor
            self.counts.superseded += 1
            return None
        except errors.IskraError as error:
            self.counts.errors += 1
            self.session.report_error(error)
            return None
        finally:
            if self._inflight.get(request.uri) is fetch:
                del self._inflight[request.uri]
        if suggestion is None:
            return None
        self.cache.remember(request.uri, prefix, suffix, suggestion)
        return self._answer(request, suggestion, cached=False)

    def _supersede(self, uri: str) -> int:
        """A newer request for ``uri`` makes older ones give up (and close their stream)."""
        generation = self._generation.get(uri, 0) + 1
        self._generation[uri] = generation
        older = self._inflight.pop(uri, None)
        if older is not None and not older.done():
            older.cancel()
        return generation

    async def _fetch(self, request: CompletionRequest, ctx: CompletionContext) -> Suggestion | None:
        settings = self.session.settings
        prompt = build_prompt(
            ctx, budget_chars=settings.completion.budget_chars, neighbours=request.neighbours
        )
        max_tokens = settings.completion.max_tokens or prompt.max_tokens
        self.session.quota.record_request(automatic=not request.invoked)
        self.counts.requests += 1
        raw = ""
        try:
            async with self.session.client.stream_chat(
                model=settings.completion.model,
                messages=prompt.messages,
                temperature=settings.temperature if settings.temperature is not None else 0.2,
                top_p=settings.top_p,
                max_tokens=max_tokens,
                timeout=settings.request_timeout_s,
            ) as stream:
                parts: list[str] = []
                size, limit = 0, max_tokens * CHARS_PER_TOKEN_CAP
                async for delta in stream:
                    parts.append(delta)
                    size += len(delta)
                    if size > limit:  # a runaway answer: stop paying for it
                        raw = "".join(parts)[:limit]
                        break
                    if not ctx.multiline:
                        early = early_stop_text("".join(parts), ctx)
                        if early is not None:
                            raw = early
                            break
                else:
                    raw = "".join(parts)
        finally:
            self.session.refresh_soon()
        suggestion = postprocess(raw, ctx)
        limit = max_tokens * CHARS_PER_TOKEN_CAP
        if suggestion is not None and len(suggestion.text) > limit:
            # Re-indenting can lengthen a capped answer: keep whole lines within the cap.
            cut = suggestion.text[:limit].rsplit("\n", 1)[0]
            return Suggestion(cut, 0) if cut.strip() else None
        return suggestion

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
