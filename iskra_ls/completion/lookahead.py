"""Reading one answer while it streams: the first line now, the lines after it kept (pure).

A request costs one of the day's few; what it brings back is used in full. In the
middle of a line the model is asked for the rest of the line and the next lines of the
block; the first line is handed over as soon as it has streamed, and the lines after it
are shaped as if the user had accepted it and pressed Enter: by the public
:func:`~iskra_ls.completion.postprocess.postprocess`, with a context built at the start
of the next line, so every filter applies to them as to any suggestion there. The
service keeps them in the cache for that line start (with or without the editor's
auto-indent) and for typing through; :func:`on_this_line` is what a spot shows of them.

A line start at column 0 (an editor that does not auto-indent) is shaped as if the
editor had indented it as the answer's first line is: the model was shown the cursor
at column 0, so the indentation it writes there is the line's (a line it leaves bare
stays at column 0, unless the line above opens a block whose body it must be). That
indentation is part of the suggestion, so both kinds of editor end with the same text.
"""

from __future__ import annotations

import dataclasses
import re

from iskra_ls.completion.context import (
    ANSWER_MAX_LINES,
    CompletionContext,
    build_context,
    to_lf,
)
from iskra_ls.completion.indentation import leading_ws
from iskra_ls.completion.postprocess import Suggestion, early_stop_text, postprocess
from iskra_ls.languages import language_for

_FENCE_LINE = re.compile(r"[ \t]*(?:```|~~~)[^\n`]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*\n)+")
MAX_KEPT_BLANK_LINES = 2
"""Blank lines kept between the first line and the next lines of an answer."""

LOOKAHEAD_LINES = ANSWER_MAX_LINES - 1
"""Lines read after the first one, at most (the prompt asks for ``ANSWER_MAX_LINES`` in
all): where no block ends (top-level code), the answer is not read to ``max_tokens``."""


def on_this_line(text: str) -> str:
    """What a spot shows of a kept suggestion: up to the end of its first line with
    content (a suggestion that starts on the next line, after a block opener, shows
    that line); the lines with content after it wait for the next line starts. A line
    break with nothing after it stays (it moves an auto-closed ``}`` below)."""
    start = 0
    for line_break in _LINE_BREAK.finditer(text):
        if text[start : line_break.start()].strip():
            end = line_break.start()
            return text[:end] if text[end:].strip() else text
        start = line_break.end()
    return text


def shown_whole(suggestion: Suggestion, whole_chars: int | None, *, taken: int = 0) -> Suggestion:
    """What a spot shows of a kept suggestion shown whole (a requested completion), from
    ``taken`` characters typed through on: up to its first ``whole_chars`` (None: all of
    it) while ``taken`` is inside them. An automatic block's answer brings the lines after
    the block (a dedent out of it) for their own line starts; the spot never shows them."""
    text = suggestion.text
    end = whole_chars if whole_chars is not None and taken < whole_chars else len(text)
    if taken == 0 and end >= len(text):
        return suggestion
    return Suggestion(text[taken:end], suggestion.replace_after)


def at_column_zero(ctx: CompletionContext) -> bool:
    """The cursor is on an empty line the editor did not indent."""
    return ctx.line_prefix == "" and ctx.line_suffix == ""


def _first_content_line(text: str) -> int | None:
    """Where the answer's first line with content starts (blank and fence lines before it
    skipped), or None while that is not known (an unfinished line that may still become a
    fence, `````, ``~~~``, is not known yet)."""
    pos = 0
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if end < 0 and line.lstrip(" \t").startswith(("`", "~")):
            return None
        if line.strip() and not _FENCE_LINE.fullmatch(line):
            return pos
        if end < 0:
            return None
        pos = end + 1
    return None


def answer_indent(partial: str) -> str | None:
    """Leading whitespace of the answer's first line with content ("" for none), or None
    while that is not known yet (see :func:`_first_content_line`)."""
    text = to_lf(partial)
    start = _first_content_line(text)
    return None if start is None else leading_ws(text[start:])


def indented(ctx: CompletionContext, indent: str) -> CompletionContext:
    """``ctx`` (an empty line at column 0) as if the editor had typed ``indent`` there."""
    text = ctx.prefix + indent + ctx.suffix
    return build_context(
        text, len(ctx.prefix) + len(indent), language_id=ctx.language_id, path=ctx.path
    )


def next_line(ctx: CompletionContext, first: Suggestion) -> CompletionContext | None:
    """The context at column 0 of a new line after ``first`` is accepted and Enter pressed;
    None when the cursor's line goes on after ``first`` (its lines would land below it)."""
    if ctx.line_suffix[first.replace_after :].strip():
        return None
    rest = ctx.suffix[len(ctx.line_suffix) :]  # from the cursor line's own line break on
    before = ctx.prefix + first.text + ctx.eol
    return build_context(before + rest, len(before), language_id=ctx.language_id, path=ctx.path)


class LineStart:
    """Shaping at a line start at column 0: the indentation is settled by the answer."""

    def __init__(self, ctx: CompletionContext) -> None:
        self.ctx = ctx
        self.pad = ""
        self._settled = not at_column_zero(ctx)
        self._written = False
        """The pad is the answer's own: its first line is read from after it."""

    def settle(self, partial: str) -> bool:
        """Decide the indentation once the answer's first line shows it; False until then."""
        if self._settled:
            return True
        written = answer_indent(partial)
        if written is None:
            return False
        style = self.ctx.indent  # columns, tabs as the file writes them (GNU: 8 to a tab)
        # As written; a line after a block opener still goes into the body when written
        # bare or less indented (a model restarting the file), unless it closes the block.
        line = to_lf(partial)[_first_content_line(to_lf(partial)) or 0 :].split("\n", 1)[0]
        body = style.columns(self.ctx.enclosing_indent)
        closes = language_for(self.ctx.language_id).closes_block(line)
        columns = style.columns(written)
        self.pad = style.render(body if columns < body and not closes else columns)
        self._written = bool(written)
        if self.pad:
            self.ctx = indented(self.ctx, self.pad)
        self._settled = True
        return True

    def text_of(self, partial: str) -> str:
        """The answer as an auto-indenting editor's model would write it: its first line
        without the indentation now in front of the cursor (idempotent)."""
        if not self._written:
            return partial
        start = _first_content_line(partial)
        if start is None:
            return partial
        return partial[:start] + partial[start:].lstrip(" \t")

    def padded(self, suggestion: Suggestion | None) -> Suggestion | None:
        if suggestion is None or not self.pad:
            return suggestion
        return Suggestion(self.pad + suggestion.text, suggestion.replace_after)


def _lines(text: str, count: int) -> str:
    """The first ``count`` complete lines of ``text`` (with their breaks), or all of it."""
    end = -1
    for _ in range(count):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[: end + 1]


def _blank_first_line(text: str) -> int | None:
    """Where the answer's first line ends when it is blank (after an opening fence), else None."""
    pos = 0
    end = text.find("\n")
    if end >= 0 and _FENCE_LINE.fullmatch(text[:end]):
        pos = end + 1
        end = text.find("\n", pos)
    if end >= 0 and not text[pos:end].strip():
        return end
    return None


class AnswerReader:
    """Reads one streamed answer for ``ctx``: what to show early, when to stop, what to keep.

    ``feed`` is called with the answer so far whenever a line ends or starts showing;
    ``finish`` with the answer as read (the whole of it, or up to where ``feed`` said
    stop). In the middle of a line (``ctx.lines_after``) the kept suggestion is the first
    line, a line break and the lines after it, shaped at the next line start.
    """

    def __init__(self, ctx: CompletionContext, *, first_line_early: bool = True) -> None:
        self.ctx = ctx
        self.lookahead = ctx.lines_after
        self._first_line_early = first_line_early or self.lookahead
        self._start = LineStart(ctx) if ctx.multiline else None
        self._shown = False
        self._first: tuple[int, Suggestion] | None = None
        """Lookahead: (characters of the answer that made the first line, that line)."""
        self._next: LineStart | None = None
        self._handed = 0
        """Complete lines of the answer already handed over (after the first line shown)."""
        self._gave_first = False
        """A block's first line was handed over: its next lines may follow as they stream
        (else the editor is still waiting, and gets the final answer)."""
        self._after_block = self._first_line_early and not self.lookahead and ctx.multiline
        """An automatic block at a line start: the answer's lines after the block (a dedent
        out of it) are kept for their own line starts, as a lookahead keeps the lines after
        the first; the spot itself never shows them (:func:`shown_whole`)."""
        self._block_chars: int | None = None
        """Characters of the kept suggestion that are the block (its spot's own part)."""

    def feed(self, partial: str) -> tuple[Suggestion | None, str | None]:
        """``(early, stop)``: what to use now, and the answer up to where reading may stop
        (None: read on).

        ``early`` is the first line (at most once), then, while the answer streams, the
        suggestion so far each time more of its lines have ended: the next line start is
        served from them before the rest is in (``finish`` has the last word)."""
        text = to_lf(partial)
        if self.lookahead:
            early, stop = self._feed_lines(text)
            if early is None and stop is None and self._first is not None:
                early = self._so_far(text, self._first)
            return early, stop
        start = self._start
        if start is not None:
            if not start.settle(text):
                return None, None
            text = start.text_of(text)
        ctx = start.ctx if start is not None else self.ctx
        early = None
        if self._first_line_early and not self._shown and ctx.multiline:
            one_line = dataclasses.replace(ctx, multiline=False)
            first = early_stop_text(text, one_line)
            if first is not None:
                self._shown = True
                early = self._pad(postprocess(first, one_line))
                self._handed = first.count("\n") + 1
                # A first line of its own (not one starting below, after an opener).
                self._gave_first = early is not None and bool(early.text.strip()) and (
                    "\n" not in early.text)
        if self._first is not None:  # the block is read: now the lines after it
            stop = self._read_on(text)
            if early is None and stop is None and self._gave_first:
                early = self._so_far(text, self._first)
            return early, stop
        stop = early_stop_text(text, ctx)
        if stop is not None and self._after_block and self._block_read(stop, ctx):
            return early, self._read_on(text)
        if early is None and stop is None and self._gave_first:
            early = self._block_so_far(text, ctx)
        return early, stop

    def _block_read(self, stop: str, ctx: CompletionContext) -> bool:
        """The block ended where the next line dedents (``stop`` is its complete lines): keep
        it as the first part, and read the lines after it at the next line start; not when
        post-processing changed the block's lines (a fence, a cut): where they end in the
        answer is then not known (the real-model corpus: the lines after a stray first
        line were read from the wrong place, 5 cases)."""
        if not stop.endswith("\n"):
            return False  # a closing fence, or the answer's end, ends the block
        block = postprocess(stop, ctx)
        if block is None or block.text.count("\n") != stop.count("\n") - 1:
            return False  # cut or trimmed: where its lines end in the answer is not known
        after = next_line(ctx, block)
        kept = self._pad(block)
        if kept is None or after is None or not kept.text.strip():
            return False
        self._first = (len(stop) - 1, kept)
        self._next = LineStart(after)
        self._block_chars = len(kept.text)
        self._handed = 0  # hand-overs now count the lines after the block
        return True

    def shown_whole(self, suggestion: Suggestion) -> Suggestion:
        """What this spot shows of ``suggestion`` when it is shown whole: see
        :func:`shown_whole`, with :attr:`whole_chars`."""
        return shown_whole(suggestion, self._block_chars)

    @property
    def whole_chars(self) -> int | None:
        """How many characters of a kept suggestion its spot shows whole (None: all): the
        fetch hands it over with each answer (:func:`shown_whole` cuts there)."""
        return self._block_chars

    def _more_lines(self, text: str) -> str | None:
        """``text`` up to its last line break, when its complete lines have doubled since
        the last hand-over (1, 2, 4, 8...); else None. The next line start is served from
        them before the rest is in; each hand-over post-processes the answer so far, so
        all of them cost about twice one post-processing, however long the answer."""
        end = text.rfind("\n")
        lines = text.count("\n", 0, end + 1)
        if end < 0 or lines <= self._handed or lines < 2 * self._handed:
            return None
        self._handed = lines
        return text[:end]

    def _block_so_far(self, text: str, ctx: CompletionContext) -> Suggestion | None:
        """A block at a line start: its complete lines so far, shaped as a whole answer."""
        done = self._more_lines(text)
        if done is None or "\n" not in done.strip():
            return None
        return self._pad(postprocess(done, ctx))

    def _so_far(self, text: str, first: tuple[int, Suggestion]) -> Suggestion | None:
        """In the middle of a line: the first line and the complete lines after it so far
        (none while the first line is blank: nothing to show here, the final decides)."""
        if not first[1].text.strip():
            return None
        used = first[0] + 1
        done = self._more_lines(text[used:]) if used < len(text) else None
        if done is None:
            return None
        rest = self._rest(_lines(done + "\n", LOOKAHEAD_LINES).rstrip("\n"))
        if rest is None:
            return None
        return Suggestion(first[1].text + self.ctx.eol + rest.text, first[1].replace_after)

    def _feed_lines(self, text: str) -> tuple[Suggestion | None, str | None]:
        early = None
        if self._first is None:
            blank = _blank_first_line(text)
            if blank is not None:
                self._first = (blank, Suggestion("", 0))
            else:
                raw = early_stop_text(text, self.ctx)
                if raw is None:
                    return None, None
                first = postprocess(raw, self.ctx)
                if first is None:
                    return None, raw
                self._first = (len(raw), first)
                early = first
            self._next = self._next_start(self._first[1])
            if self._next is None:
                return early, text[: self._first[0]]
        return early, self._read_on(text)

    def _read_on(self, text: str) -> str | None:
        """After the first part: the answer up to where the lines kept after it end (their
        block ends, or ``LOOKAHEAD_LINES``), or None while that is not known."""
        assert self._first is not None and self._next is not None
        used = self._first[0] + 1
        rest = _lines(text[used:], LOOKAHEAD_LINES)
        if len(rest) < len(text) - used:
            return text[:used] + rest  # enough lines kept
        if not self._next.settle(rest):
            return None
        stop = early_stop_text(self._next.text_of(rest), self._next.ctx)
        return None if stop is None else text[:used] + stop

    def _next_start(self, first: Suggestion) -> LineStart | None:
        after = next_line(self.ctx, first)
        return LineStart(after) if after is not None else None

    def _pad(self, suggestion: Suggestion | None) -> Suggestion | None:
        return self._start.padded(suggestion) if self._start is not None else suggestion

    def finish(self, raw: str) -> Suggestion | None:
        """The suggestion to keep, from everything read."""
        text = to_lf(raw)
        if not self.lookahead:
            start = self._start
            if start is None:
                return postprocess(text, self.ctx)
            if not start.settle(text + "\n"):
                return None
            text = start.text_of(text)
            if self._first is None:
                return start.padded(postprocess(text, start.ctx))
        elif self._first is None:
            self._feed_lines(text + "\n")  # the answer's last line ended with the stream
        if self._first is None:
            return None
        used, first = self._first
        kept = _lines(text[used + 1 :], LOOKAHEAD_LINES)
        rest = self._rest(kept) if used < len(text) else None
        if rest is None:
            return first if first.text.strip() else None
        return Suggestion(first.text + self.ctx.eol + rest.text, first.replace_after)

    def _rest(self, rest: str) -> Suggestion | None:
        start = self._next
        if start is None or not rest.strip() or not start.settle(rest + "\n"):
            return None
        shaped = start.padded(postprocess(start.text_of(rest), start.ctx))
        # Blank lines the answer leaves before its next content line stay in front of it
        # (post-processing at a line start drops them): the lines land where it put them.
        blank = _LEADING_BLANK_LINES.match(rest)
        if shaped is None or blank is None:
            return shaped
        breaks = min(blank.group(0).count("\n"), MAX_KEPT_BLANK_LINES)
        return Suggestion(self.ctx.eol * breaks + shaped.text, shaped.replace_after)
