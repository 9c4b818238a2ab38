"""One paid model request for a suggestion: streamed, shown early, never thrown away.

Iskra counts requests, not tokens, so once a request is sent its answer is worth
keeping whatever happens in the editor meanwhile. How the answer is read (what to
show early, where it may stop, what to keep) is the
:class:`~iskra_ls.completion.lookahead.AnswerReader`'s; this module streams it:

- the first line is handed over (``on_answer``) as soon as it has streamed, then the
  answer so far each time another line has streamed (the next line start is served
  from it before the rest is in); the lines after it are read on (for the next line
  starts) until their block visibly ends; a block stops where the enclosing block ends
  (a line that dedents past it, or the closing fence) instead of running to ``max_tokens``;
- the rest of the stream is then read to its end in the background (at most
  ``DRAIN_S``) instead of closing it, because closing a stream early closes its
  keep-alive connection and the next request pays a new TCP + TLS set-up
  (``bench/latency.py`` measures both). Whether the answer may end is re-checked
  once per streamed line, so a long answer costs linear time.

No LSP here; the caller decides what the editor sees.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

from iskra_ls.account.chat import ChatPort
from iskra_ls.completion.context import Prompt
from iskra_ls.completion.lookahead import AnswerReader
from iskra_ls.completion.postprocess import Suggestion

log = logging.getLogger(__name__)

CHARS_PER_TOKEN_CAP = 8
"""An answer longer than ``max_tokens`` × this is a runaway: stop reading it."""

DRAIN_S = 1.0
"""After a one-line answer is in, read the rest of the stream for at most this long.

Draining keeps the connection for the next request; past this the stream is
long (the model ignored "one line") and is closed.
"""

AnswerCallback = Callable[[Suggestion | None, bool, int | None], None]
"""``(suggestion, final, whole_chars)``: a suggestion to use now; ``final`` when no better
one follows; how much of it its spot shows whole (the reader's
:attr:`~iskra_ls.completion.lookahead.AnswerReader.whole_chars` as the suggestion was made;
None: all), so the caller needs nothing of the reader."""


async def stream_answer(
    chat: ChatPort, reader: AnswerReader, prompt: Prompt, on_answer: AnswerCallback
) -> Suggestion | None:
    """Stream one answer, read by ``reader``; ``on_answer`` hears of it early and once final.

    The final answer reaches ``on_answer`` (with ``final``) as soon as the reader says
    the rest is not needed, before the rest of the stream is drained; it is returned too.
    """
    settings = chat.settings
    max_tokens = settings.completion.max_tokens or prompt.max_tokens
    limit = max_tokens * CHARS_PER_TOKEN_CAP
    parts: list[str] = []
    size = 0
    raw: str | None = None
    checked: tuple[int, bool] | None = None
    async with chat.stream_chat(
        model=settings.completion.model,
        messages=prompt.messages,
        temperature=settings.temperature if settings.temperature is not None else 0.2,
        top_p=settings.top_p,
        max_tokens=max_tokens,
        timeout=settings.request_timeout_s,
    ) as stream:
        deltas = aiter(stream)
        async for delta in deltas:
            parts.append(delta)
            size += len(delta)
            if size > limit:  # a runaway answer: stop paying for it
                raw = "".join(parts)[:limit]
                break
            joined = "".join(parts)
            shape = _line_shape(joined)
            if shape == checked:
                continue  # nothing that could end a line or the answer arrived
            checked = shape
            # Post-processing runs in a worker: whatever its filters cost on a hostile
            # window, the event loop keeps answering the editor.
            early, stop = await asyncio.to_thread(reader.feed, joined)
            if early is not None:
                on_answer(early, False, reader.whole_chars)
            if stop is not None:
                # One line, or a whole block: the rest of the answer is not needed.
                final = await asyncio.to_thread(_finish, reader, stop, max_tokens)
                on_answer(final, True, reader.whole_chars)
                await _drain(deltas, limit - size)
                return final
        if raw is None:
            raw = "".join(parts)
    final = await asyncio.to_thread(_finish, reader, raw, max_tokens)
    on_answer(final, True, reader.whole_chars)
    return final


def _line_shape(text: str) -> tuple[int, bool]:
    """Complete lines so far, and whether the unfinished one has content.

    ``early_stop_text`` can only answer differently when one of them changes (a line
    ends, or the next one shows its indentation), so a long block is re-checked once
    per line instead of once per streamed piece.
    """
    last = text.rfind("\n")
    return text.count("\n"), bool(text[last + 1 :].strip())


async def _drain(deltas: AsyncIterator[str], budget_chars: int) -> None:
    """Read the rest of a short stream so its connection stays open; give up past the limits."""
    deadline = time.monotonic() + DRAIN_S
    try:
        async with asyncio.timeout_at(asyncio.get_running_loop().time() + DRAIN_S):
            async for delta in deltas:
                budget_chars -= len(delta)
                if budget_chars < 0 or time.monotonic() > deadline:
                    return
    except TimeoutError:
        log.debug("a long stream was closed after its first line")
    except Exception:
        log.debug("the rest of a one-line answer broke off", exc_info=True)


def _finish(reader: AnswerReader, raw: str, max_tokens: int) -> Suggestion | None:
    suggestion = reader.finish(raw)
    limit = max_tokens * CHARS_PER_TOKEN_CAP
    if suggestion is not None and len(suggestion.text) > limit:
        # Re-indenting can lengthen a capped answer: keep whole lines within the cap.
        cut = suggestion.text[:limit].rsplit("\n", 1)[0]
        return Suggestion(cut, suggestion.replace_after) if cut.strip() else None
    return suggestion
