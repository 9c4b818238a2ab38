"""What one completion request reads, and how its answer finds its place again (pure).

A request is answered later than it was asked: the model streams for a while, and the
editor goes on sending changes. So a request never reads the live document; it takes a
:class:`DocumentSnapshot` when the editor asks: a bounded window of that version's text
around the cursor (never the whole document: joining a 20 MB text costs ~55 ms), the
version, and a mark in the document's :class:`EditLog`. The answer's offsets belong to
that version; :meth:`DocumentSnapshot.place` maps them through the edits made since,
and says None when an edit touched the answer's span (the user typed at the cursor, the
line was replaced) or the log cannot tell (a whole-document change, a very long gap).
Positions are converted only when the live text is the one the offsets belong to: in
the handler before it awaits anything, and after :meth:`place`.

Pure: imports nothing from the server, the network or the feature packages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_BEFORE = 32_000
"""Characters before the cursor that a request reads (cut at a line start): the prompt
shows a few thousand, the enclosing-scope search looks ~800 lines up."""
WINDOW_AFTER = 8_000
"""Characters after the cursor that a request reads."""

_LOG_SIZE = 4096
"""Edits remembered per document; an answer older than that many edits is not placed."""


class EditLog:
    """The edits applied to one open document, as offset spans, for mapping answers."""

    def __init__(self) -> None:
        self._edits: deque[tuple[int, int, int]] = deque(maxlen=_LOG_SIZE)
        self._count = 0
        """Edits applied so far (the mark of the current text)."""
        self._floor = 0
        """Offsets from before this mark cannot be mapped (a whole-document change)."""

    @property
    def mark(self) -> int:
        """The current text's place in the log."""
        return self._count

    def replaced(self, start: int, end: int, length: int) -> None:
        """``text[start:end]`` was replaced by ``length`` characters."""
        self._edits.append((start, end, length))
        self._count += 1

    def rewritten(self) -> None:
        """The whole text was replaced: nothing from before can be placed."""
        self._count += 1
        self._floor = self._count
        self._edits.clear()

    def map_span(self, mark: int, start: int, end: int) -> tuple[int, int] | None:
        """``[start, end)`` of the text at ``mark`` in the current text, or None when an
        edit since touched it (an insertion at either end counts) or the log is too short."""
        if mark < self._floor or mark < self._count - len(self._edits) or mark > self._count:
            return None
        first = len(self._edits) - (self._count - mark)
        for index in range(first, len(self._edits)):
            edit_start, edit_end, length = self._edits[index]
            if edit_end < start:
                shift = length - (edit_end - edit_start)
                start, end = start + shift, end + shift
            elif edit_start > end:
                continue
            else:
                return None
        return start, end


@dataclass(frozen=True)
class DocumentSnapshot:
    """One version of a document around the cursor, as a request reads it."""

    uri: str
    version: int | None
    language_id: str
    path: str
    """The document's file path (the secret policy and the prompt's name derive from it)."""
    text: str
    """A window of the text: at most :data:`WINDOW_BEFORE` before the cursor and
    :data:`WINDOW_AFTER` after it."""
    cursor: int
    """The cursor's index in ``text``."""
    start: int
    """The document offset where ``text`` starts."""
    whole_before: bool
    """``text`` starts at the start of the document."""
    whole_after: bool
    """``text`` ends at the end of the document."""
    edits: EditLog
    mark: int
    """The log's mark of this version."""

    @property
    def prefix(self) -> str:
        return self.text[: self.cursor]

    @property
    def suffix(self) -> str:
        return self.text[self.cursor :]

    @property
    def offset(self) -> int:
        """The cursor's document offset in this version."""
        return self.start + self.cursor

    def place(self, start: int, end: int) -> tuple[int, int] | None:
        """Document offsets of this version -> the same span in the text now, or None."""
        return self.edits.map_span(self.mark, start, end)


def cut_window(length: int, offset: int, read: Callable[[int, int], str]) -> tuple[str, int, int]:
    """``(window, window_start, cursor_in_window)`` around ``offset`` of a text of
    ``length`` characters, read with ``read(start, end)``.

    The window starts at a line start when one lies in its first half (the first line's
    indentation would otherwise lie), so a cut window is never short.
    """
    offset = max(0, min(offset, length))
    low = max(0, offset - WINDOW_BEFORE)
    high = min(length, offset + WINDOW_AFTER)
    window = read(low, high)
    if low > 0:
        newline = window.find("\n", 0, (offset - low) // 2)
        if newline >= 0:
            window, low = window[newline + 1 :], low + newline + 1
    return window, low, offset - low
