"""What reaches the editor from a recorded answer: the server's own streaming code, replayed.

A recorded case holds the model's whole answer (``raw``). Instead of re-telling how the
server reads a stream (a second copy that drifts from the first), :func:`shown` plays
the answer back through iskra-ls's own ``completion.fetch.stream_answer`` and
``completion.lookahead.AnswerReader``, fed in small pieces like a real stream, and
collects what reaches the editor: the line shown as soon as it has streamed (what
``CompletionService`` shows of a suggestion), and the suggestion the request keeps (its
first line at the cursor; the lines after it as a block at the start of the next line,
once the first is accepted and Enter pressed, where the server serves them). Only the
network is replaced (:class:`ReplayChat`
yields the recorded text instead of the model's chunks); the context, the reader, the
filter pipeline and the length cap are the server's.

``quality.py`` (the corpus figures) and ``tests/unit/test_real_corpus.py`` (the
invariants) both take what reaches the editor from here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any, NamedTuple

from bench.real_model.corpus import RecordedCase
from iskra_ls.completion.context import (
    CompletionContext,
    Prompt,
    build_context,
    build_prompt,
    to_lf,
)
from iskra_ls.completion.fetch import stream_answer
from iskra_ls.completion.lookahead import AnswerReader, next_line, on_this_line
from iskra_ls.completion.postprocess import Suggestion
from iskra_ls.completion.service import CompletionService
from iskra_ls.settings import Settings

CHUNK_CHARS = 7
"""Stream piece size of the replay (a token is ~4 characters; SSE pieces hold one or two)."""

FIRST_LINE = "first line"
FINAL = "final"
LINES_AFTER = "lines after"


class _ReplayStream:
    """An async context manager and iterator over ``text`` in ``chunk`` pieces."""

    def __init__(self, text: str, chunk: int) -> None:
        self._pieces = [text[i : i + chunk] for i in range(0, len(text), chunk)]
        self.read = 0
        """Characters handed to the reader so far."""

    async def __aenter__(self) -> _ReplayStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[str]:
        return self._deltas()

    async def _deltas(self) -> AsyncIterator[str]:
        for piece in self._pieces:
            self.read += len(piece)
            yield piece


class ReplayChat:
    """The chat port the completion fetch is given, answering with a recorded text."""

    def __init__(self, answer: str, chunk: int = CHUNK_CHARS) -> None:
        self.settings = Settings()
        self.stream = _ReplayStream(answer, chunk)

    def stream_chat(self, **_call: Any) -> _ReplayStream:
        return self.stream

    async def chat(self, **_call: Any) -> Any:
        raise NotImplementedError("completions stream their answer")


def context(case: RecordedCase) -> CompletionContext:
    """The completion context the server builds for ``case``'s document and cursor."""
    return build_context(case.text, case.offset, language_id=case.language_id, path=case.path)


class Shown(NamedTuple):
    """One suggestion that reaches the editor, and the document and cursor it is shown at."""

    label: str
    suggestion: Suggestion
    multiline: bool
    """Whether it is a block (several lines may come)."""
    text: str
    offset: int


@dataclasses.dataclass(frozen=True)
class Replayed:
    """One recorded answer played through the server's streaming code."""

    shown: list[Shown]
    """Everything handed to the editor."""
    final: Suggestion | None
    """The suggestion the request ends with (what an invoked request shows)."""
    answer_chars: int
    """The recorded answer's length."""
    read_chars: int
    """How much of it had streamed when the final suggestion was handed over."""
    multiline: bool


async def _replay(case: RecordedCase, ctx: CompletionContext) -> Replayed:
    raw = to_lf(case.raw or "")
    chat = ReplayChat(raw)
    shown: list[Shown] = []
    read_at_final: list[int] = []

    def on_answer(suggestion: Suggestion | None, final: bool, _whole: int | None) -> None:
        if final:
            read_at_final.append(chat.stream.read)  # the rest is only drained
            return
        if shown:
            return  # later hand-overs (the next lines as they stream) only fill the cache:
            # the editor was answered by the first one, as the service's ``shown``
        line = CompletionService._shown_of(suggestion, whole=False)
        if line is not None:
            shown.append(Shown(FIRST_LINE, line, False, case.text, case.offset))

    prompt = (
        Prompt(messages=list(case.prompt), max_tokens=case.max_tokens)
        if case.max_tokens is not None
        else build_prompt(ctx)  # the limit the server asks with today
    )
    reader = AnswerReader(ctx, first_line_early=True)  # an automatic request
    final = await stream_answer(chat, reader, prompt, on_answer)  # type: ignore[arg-type]
    if final is not None and final.text.strip():
        shown += _kept(final, reader.shown_whole(final), ctx, case, lookahead=reader.lookahead)
    read = read_at_final[0] if read_at_final else chat.stream.read
    return Replayed(shown, final, len(raw), read, ctx.multiline)


def _kept(final: Suggestion, whole: Suggestion, ctx: CompletionContext, case: RecordedCase,
          *, lookahead: bool) -> list[Shown]:
    """The kept suggestion where the editor gets it: a block at the cursor (``whole``,
    what the spot shows whole); in the middle of a line, its first line there. The lines
    kept after either wait for the next line start, where the server serves them."""
    first = whole.text if not lookahead else on_this_line(final.text)
    out = [Shown(FINAL, Suggestion(first, final.replace_after), not lookahead and ctx.multiline,
                 case.text, case.offset)]
    rest = final.text[len(first) :].removeprefix(ctx.eol)
    after = next_line(ctx, Suggestion(first, final.replace_after))
    if rest.strip() and after is not None:
        out.append(Shown(LINES_AFTER, Suggestion(rest, 0), True, after.prefix + after.suffix,
                         len(after.prefix)))
    return out


def replay(case: RecordedCase) -> Replayed:
    """``case``'s recorded answer streamed through iskra-ls's completion fetch."""
    return asyncio.run(_replay(case, context(case)))


def shown(case: RecordedCase) -> list[Shown]:
    """Every suggestion iskra-ls would put in the editor for ``case``'s recorded answer:
    (how, suggestion, whether it is a block). An automatic request shows the block's first
    line early and then the final suggestion; an invoked one shows only the final one."""
    return replay(case).shown
