"""LSP-exact text positions, and a pygls ``TextDocument`` that uses them.

LSP lines end only at ``\\r\\n``, ``\\r`` and ``\\n``. pygls 2.1.1 splits with
``str.splitlines()``, which also breaks at ``\\f \\v \\x1c-\\x1e \\x85 \\u2028
\\u2029``, so an incremental edit to such a document lands on the wrong line.
Everything here counts lines the LSP way and columns in the negotiated
position encoding (utf-8, utf-16 or utf-32), clamping out-of-range positions
instead of failing: a client that sends a position past the end of a line
gets the end of that line, as the specification asks. A lone surrogate (JSON
allows ``"\\ud800"``) counts as one UTF-16 unit and three UTF-8 bytes.

Cost is bounded by what is asked, never by the document: lines are found from
line-break positions (linear), columns are converted in C over the one line
concerned, and an open document keeps its text in chunks and its line starts
in a gap buffer, so a keystroke costs O(chunk + lines moved over), not
O(document) (a 20 MB document used to pay ~200 ms per keystroke).

Pure: imports only lsprotocol and pygls's workspace types, never the server.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.text_document import TextDocument

from iskra_ls.snapshot import DocumentSnapshot, EditLog, cut_window

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CHUNK = 1 << 16
"""Characters per piece of an edited document's text."""


def line_starts(text: str) -> list[int]:
    """Offsets where each LSP line of ``text`` starts (always starts with 0)."""
    if "\r" not in text:
        lengths = map(len, text.split("\n"))
        starts = list(itertools.accumulate(lengths, lambda a, n: a + n + 1, initial=0))
        starts.pop()
        return starts
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def split_lines(text: str) -> list[str]:
    """Split ``text`` into lines that keep their ending, the LSP way.

    A text ending with a line break has an empty last line, which is where a
    position after the final newline points.
    """
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def strip_line_ending(line: str) -> str:
    """The line without its ``\\r\\n``, ``\\r`` or ``\\n``."""
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\r", "\n")):
        return line[:-1]
    return line


def units_of(char: str, encoding: str) -> int:
    """How many code units of ``encoding`` one code point takes."""
    return count_units(char, encoding)


def count_units(text: str, encoding: str) -> int:
    """Length of ``text`` in code units of ``encoding``."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _chars_within(line: str, wanted: int, encoding: str) -> int:
    """How many whole code points of ``line`` fit in ``wanted`` code units."""
    if wanted <= 0:
        return 0
    if encoding == types.PositionEncodingKind.Utf32:
        return min(wanted, len(line))
    if encoding == types.PositionEncodingKind.Utf8:
        head = line[:wanted]  # every code point takes at least one byte
        data = head.encode("utf-8", "surrogatepass")
        if len(data) <= wanted:
            return len(head)
        data = data[:wanted]
        lead = len(data) - 1
        while lead > 0 and data[lead] & 0xC0 == 0x80:
            lead -= 1
        first = data[lead]
        size = 1 if first < 0x80 else 2 if first < 0xE0 else 3 if first < 0xF0 else 4
        if lead + size > len(data):  # a position inside a code point rounds down
            data = data[:lead]
        return len(data.decode("utf-8", "surrogatepass"))
    head = line[:wanted]  # utf-16: astral code points take two units
    if not _ASTRAL.search(head):
        return len(head)
    data = head.encode("utf-16-le", "surrogatepass")[: 2 * wanted]
    fits = len(data.decode("utf-16-le", "ignore"))  # drops a cut pair
    if count_units(line[:fits], encoding) <= wanted and (
        fits == len(line) or count_units(line[: fits + 1], encoding) > wanted
    ):
        return fits
    extra = 0  # lone surrogates around: count code point by code point
    for match in _ASTRAL.finditer(line, 0, min(wanted, len(line))):
        at = match.start()
        if at + extra + 2 > wanted:
            return min(at, wanted - extra)
        extra += 1
    return min(wanted - extra, len(line))


class _Text:
    """A string kept in pieces, so that replacing a little copies a little.

    The whole string is joined only when asked for, and kept until the next edit.
    """

    def __init__(self, text: str) -> None:
        self._pieces = [text] if text else []
        self._offsets = [0] if text else []
        self._length = len(text)
        self._whole: str | None = text

    def __len__(self) -> int:
        return self._length

    def whole(self) -> str:
        if self._whole is None:
            self._whole = "".join(self._pieces)
        return self._whole

    def is_(self, text: str | None) -> bool:
        """Whether ``text`` is this very string (no join, no comparison)."""
        return self._whole is not None and self._whole is text

    def slice(self, start: int, end: int) -> str:
        if self._whole is not None:
            return self._whole[start:end]
        start, end = max(start, 0), min(end, self._length)
        if start >= end:
            return ""
        first = bisect_right(self._offsets, start) - 1
        last = bisect_left(self._offsets, end) - 1
        if first == last:
            base = self._offsets[first]
            return self._pieces[first][start - base : end - base]
        parts = [self._pieces[first][start - self._offsets[first] :]]
        parts.extend(self._pieces[first + 1 : last])
        parts.append(self._pieces[last][: end - self._offsets[last]])
        return "".join(parts)

    def replace(self, start: int, end: int, text: str) -> None:
        if not self._pieces:
            self._pieces, self._offsets = ([text], [0]) if text else ([], [])
            self._length, self._whole = len(text), text
            return
        first = max(bisect_right(self._offsets, start) - 1, 0)
        last = max(bisect_left(self._offsets, end) - 1, first)
        if max(len(self._pieces[first]), len(self._pieces[last])) > 2 * _CHUNK:
            whole = self.whole()  # the first edit of a big text: cut it up once
            self._pieces = [whole[i : i + _CHUNK] for i in range(0, len(whole), _CHUNK)]
            self._offsets = list(range(0, len(whole), _CHUNK))
            first = bisect_right(self._offsets, start) - 1
            last = max(bisect_left(self._offsets, end) - 1, first)
        base = self._offsets[first]
        middle = (
            self._pieces[first][: start - base]
            + text
            + self._pieces[last][end - self._offsets[last] :]
        )
        self._pieces[first : last + 1] = [
            middle[i : i + _CHUNK] for i in range(0, len(middle), _CHUNK)
        ]
        lengths = map(len, self._pieces[first:])
        self._offsets[first:] = list(itertools.accumulate(lengths, initial=base))[:-1]
        self._length += len(text) - (end - start)
        self._whole = None


class LineIndex:
    """Offsets (Python string indexes) <-> LSP positions for one text.

    Lookups are O(log lines) for the line and O(column) (in C) for the column.
    :meth:`replace` edits the text and keeps the index up to date in place.
    Line starts live in a gap buffer: entries before ``_gap`` are exact, later
    ones are stored minus ``_shift``, so an edit shifts them all at once.
    """

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.encoding = encoding
        self._text = _Text(text)
        self._starts = line_starts(text)
        self._gap = len(self._starts)
        self._shift = 0

    @property
    def text(self) -> str:
        """The whole text (joined once after edits, then kept)."""
        return self._text.whole()

    def is_of(self, text: str | None) -> bool:
        """Whether this index is of that very string object."""
        return self._text.is_(text)

    def slice(self, start: int, end: int) -> str:
        """``text[start:end]`` without joining an edited text."""
        return self._text.slice(start, end)

    @property
    def line_count(self) -> int:
        return len(self._starts)

    @property
    def length(self) -> int:
        """Characters in the text (no join)."""
        return len(self._text)

    @property
    def lines(self) -> list[str]:
        """Every line with its ending: O(document), prefer :meth:`lines_text`."""
        return split_lines(self.text)

    def line_start(self, line: int) -> int:
        value = self._starts[line]
        return value + self._shift if line >= self._gap else value

    def line_of(self, offset: int) -> int:
        """The line that ``offset`` is on."""
        gap = self._gap
        found = bisect_right(self._starts, offset, 0, gap)
        if found == gap and gap < len(self._starts):
            found = bisect_right(self._starts, offset - self._shift, gap)
        return max(found - 1, 0)

    def _content_end(self, line: int) -> int:
        if line + 1 >= len(self._starts):
            return len(self._text)
        end = self.line_start(line + 1)
        if end - 2 >= self.line_start(line) and self._text.slice(end - 2, end) == "\r\n":
            return end - 2
        return end - 1

    def lines_text(self, first: int, last: int) -> str:
        """Lines ``first`` to ``last`` (inclusive, clamped) with their endings."""
        first = min(max(first, 0), len(self._starts) - 1)
        last = min(max(last, first), len(self._starts) - 1)
        end = self.line_start(last + 1) if last + 1 < len(self._starts) else len(self._text)
        return self._text.slice(self.line_start(first), end)

    def context_of(self, start: int, end: int, margin: int = 2_000, limit: int = 64_000) -> str:
        """The lines around ``[start, end)``, at most ``margin`` characters either side
        and ``limit`` in all: what a light-bulb query looks at, bounded on a minified file."""
        first = self.line_start(self.line_of(start))
        last = self.line_of(end)
        stop = self.line_start(last + 1) if last + 1 < len(self._starts) else len(self._text)
        low = max(first, start - margin)
        return self._text.slice(low, min(stop, end + margin, low + limit))

    def offset_at(self, position: types.Position) -> int:
        """Offset of ``position``; past the end of a line clamps to its end."""
        if position.line < 0:
            return 0
        if position.line >= len(self._starts):
            return len(self._text)
        start = self.line_start(position.line)
        end = self._content_end(position.line)
        wanted = max(position.character, 0)
        # A code point takes at most 4 units, so the first `wanted` ones are all we read.
        line = self._text.slice(start, min(end, start + wanted))
        return start + _chars_within(line, wanted, self.encoding)

    def position_at(self, offset: int) -> types.Position:
        """The LSP position of ``offset`` (clamped to the text)."""
        offset = min(max(offset, 0), len(self._text))
        line = self.line_of(offset)
        start = self.line_start(line)
        # An offset between \r and \n belongs to the end of that line's content.
        column = self._text.slice(start, min(offset, self._content_end(line)))
        return types.Position(line=line, character=count_units(column, self.encoding))

    def range_at(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position_at(start), end=self.position_at(end))

    def offsets_of(self, range_: types.Range) -> tuple[int, int]:
        start = self.offset_at(range_.start)
        end = self.offset_at(range_.end)
        return (start, end) if start <= end else (end, start)

    def replace(self, start: int, end: int, text: str) -> None:
        """Replace ``text[start:end]``; cost O(edit + chunk + distance from the last edit).

        A line start ``s`` depends only on the characters at ``s - 1`` and ``s``, so
        starts before ``start`` stay, starts after ``end`` move by the length change,
        and only those in between are found again.
        """
        length = len(self._text)
        start, end = min(max(start, 0), length), min(max(end, 0), length)
        start, end = min(start, end), max(start, end)
        delta = len(text) - (end - start)
        lo = self.line_of(start - 1) + 1 if start > 0 else 1
        hi = self.line_of(end) + 1
        self._text.replace(start, end, text)
        new_end = start + len(text)
        scan_from = max(start - 1, 0)
        window = self._text.slice(scan_from, new_end + 1)
        found = [
            scan_from + m.end()
            for m in _LINE_BREAK.finditer(window)
            if start <= scan_from + m.end() <= new_end
        ]
        self._move_gap(lo)
        self._starts[lo:hi] = found
        self._gap = lo + len(found)
        self._shift += delta
        if self._gap == len(self._starts):
            self._shift = 0

    def _move_gap(self, to: int) -> None:
        gap, shift, starts = self._gap, self._shift, self._starts
        if gap < to:
            starts[gap:to] = [value + shift for value in starts[gap:to]]
        elif gap > to:
            starts[to:gap] = [value - shift for value in starts[to:gap]]
        self._gap = to


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, encoding: str) -> str:
    """Apply one ``didChange`` content change to ``text``."""
    if isinstance(change, types.TextDocumentContentChangePartial):
        index = LineIndex(text, encoding)
        start, end = index.offsets_of(change.range)
        return text[:start] + change.text + text[end:]
    return change.text


class LspTextDocument(TextDocument):
    """pygls's document with LSP line splitting and clamped positions.

    Overrides every method that goes through ``lines``, so pygls's own
    helpers (``offset_at_position``, ``client_position_at_offset``...) are
    correct too. Incremental changes go through the kept :class:`LineIndex`,
    and the text is joined only when someone reads ``source``.
    """

    _index_cache: LineIndex | None = None
    _stale = False
    """The text changed through the index and ``_source`` is not joined yet."""
    _edit_log: EditLog | None = None

    @property
    def edits(self) -> EditLog:
        """Every change since the document was opened, for placing late answers."""
        if self._edit_log is None:
            self._edit_log = EditLog()
        return self._edit_log

    @property
    def encoding(self) -> str:
        return str(self.position_codec.encoding or types.PositionEncodingKind.Utf16)

    @property
    def source(self) -> str:
        if self._stale and self._index_cache is not None:
            self._source = self._index_cache.text
            self._stale = False
        return super().source

    @property
    def lines(self) -> Sequence[str]:
        lines = split_lines(self.source)
        if lines and lines[-1] == "":
            lines.pop()  # pygls's convention: no empty line after a final break
        return tuple(lines)

    def index(self) -> LineIndex:
        """The line index of the current text (kept, and updated by changes)."""
        cached = self._index_cache
        if cached is None or not (self._stale or cached.is_of(self._source)):
            cached = LineIndex(self.source, self.encoding)
            self._index_cache = cached
        cached.encoding = self.encoding  # line starts do not depend on it
        return cached

    def snapshot(self, offset: int) -> DocumentSnapshot:
        """This version around ``offset``: a bounded window, never the whole text joined."""
        index = self.index()
        length = index.length
        window, start, cursor = cut_window(length, offset, index.slice)
        return DocumentSnapshot(
            uri=self.uri,
            version=self.version,
            language_id=self.language_id or "",
            path=self.path,
            text=window,
            cursor=cursor,
            start=start,
            whole_before=start == 0,
            whole_after=start + len(window) == length,
            edits=self.edits,
            mark=self.edits.mark,
        )

    def tail(self, size: int) -> str:
        """The last ``size`` characters (no join of an edited text)."""
        if not self._stale:
            return self.source[-size:] if size > 0 else ""
        index = self.index()
        return index.slice(max(index.length - size, 0), index.length)

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        index = self.index()
        start, end = index.offsets_of(change.range)
        index.replace(start, end, change.text)
        self.edits.replaced(start, end, len(change.text))
        self._stale = True  # joined from the index when someone reads it

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._index_cache = None
        self._stale = False
        self.edits.rewritten()
        super()._apply_full_change(change)

    def offset_at_position(self, client_position: types.Position) -> int:
        return self.index().offset_at(client_position)

    def client_position_at_offset(self, offset: int) -> types.Position:
        return self.index().position_at(offset)

    def text_in_client_range(self, range: types.Range) -> str:
        index = self.index()
        return index.slice(*index.offsets_of(range))
