"""What reaches the editor from a recorded answer: the server's own streaming code, replayed.

A recorded case holds the model's whole answer (``raw``). Instead of re-telling how the
server reads a stream (a second copy that drifts from the first), :func:`shown` plays
the answer back through iskra-ls's own ``completion.fetch.stream_suggestion``, fed in
small pieces like a real stream, and collects every suggestion it hands over: the
block's first line shown early, and the final suggestion. Only the network is replaced
(:class:`ReplayChat` yields the recorded text instead of the model's chunks); the
context, the early stop, the filter pipeline and the length cap are the server's.

``quality.py`` (the corpus figures) and ``tests/unit/test_real_corpus.py`` (the
invariants) both take what reaches the editor from here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from bench.real_model.corpus import RecordedCase
from iskra_ls.completion.context import (
    CompletionContext,
    Prompt,
    build_context,
    build_prompt,
    to_lf,
)
from iskra_ls.completion.fetch import stream_suggestion
from iskra_ls.completion.postprocess import Suggestion
from iskra_ls.settings import Settings

CHUNK_CHARS = 7
"""Stream piece size of the replay (a token is ~4 characters; SSE pieces hold one or two)."""

FIRST_LINE = "first line"
FINAL = "final"


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


@dataclasses.dataclass(frozen=True)
class Replayed:
    """One recorded answer played through the server's streaming code."""

    shown: list[tuple[str, Suggestion, bool]]
    """(how, suggestion, whether it is a block) for everything handed to the editor."""
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
    shown: list[tuple[str, Suggestion, bool]] = []
    read_at_final: list[int] = []

    def on_answer(suggestion: Suggestion | None, final: bool) -> None:
        if final:
            read_at_final.append(chat.stream.read)  # the rest is only drained
        elif suggestion is not None:
            shown.append((FIRST_LINE, suggestion, False))

    prompt = (
        Prompt(messages=list(case.prompt), max_tokens=case.max_tokens)
        if case.max_tokens is not None
        else build_prompt(ctx)  # the limit the server asks with today
    )
    final = await stream_suggestion(
        chat, ctx, prompt, on_answer, first_line_early=True  # type: ignore[arg-type]
    )
    if final is not None:
        shown.append((FINAL, final, ctx.multiline))
    read = read_at_final[0] if read_at_final else chat.stream.read
    return Replayed(shown, final, len(raw), read, ctx.multiline)


def replay(case: RecordedCase) -> Replayed:
    """``case``'s recorded answer streamed through iskra-ls's completion fetch."""
    return asyncio.run(_replay(case, context(case)))


def shown(case: RecordedCase) -> list[tuple[str, Suggestion, bool]]:
    """Every suggestion iskra-ls would put in the editor for ``case``'s recorded answer:
    (how, suggestion, whether it is a block). An automatic request shows the block's first
    line early and then the final suggestion; an invoked one shows only the final one."""
    return replay(case).shown
