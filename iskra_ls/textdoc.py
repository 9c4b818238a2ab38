"""LSP-exact text positions, and a pygls ``TextDocument`` that uses them.

LSP lines end only at ``\\r\\n``, ``\\r`` and ``\\n``. pygls 2.1.1 splits with
``str.splitlines()``, which also breaks at ``\\f \\v \\x1c-\\x1e \\x85 \\u2028
\\u2029``, so an incremental edit to such a document lands on the wrong line.
Everything here counts lines the LSP way and columns in the negotiated
position encoding (utf-8, utf-16 or utf-32), clamping out-of-range positions
instead of failing: a client that sends a position past the end of a line
gets the end of that line, as the specification asks.

Pure: imports only lsprotocol and pygls's workspace types, never the server.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.text_document import TextDocument

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Split ``text`` into lines that keep their ending, the LSP way.

    A text ending with a line break has an empty last line, which is where a
    position after the final newline points.
    """
    lines = _WHOLE_LINE.findall(text)
    consumed = sum(map(len, lines))
    lines.append(text[consumed:])
    return lines


_WHOLE_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")


def strip_line_ending(line: str) -> str:
    """The line without its ``\\r\\n``, ``\\r`` or ``\\n``."""
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\r", "\n")):
        return line[:-1]
    return line


def units_of(char: str, encoding: str) -> int:
    """How many code units of ``encoding`` one code point takes."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(char.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return 1
    return 2 if ord(char) > 0xFFFF else 1


def count_units(text: str, encoding: str) -> int:
    """Length of ``text`` in code units of ``encoding``."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    return len(text.encode("utf-16-le")) // 2


class LineIndex:
    """Offsets (Python string indexes) <-> LSP positions for one text.

    Build one per text version; lookups are O(log n) for the line and O(line
    length) for the column.
    """

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.text = text
        self.encoding = encoding
        self.lines = split_lines(text)
        self._starts: list[int] = []
        offset = 0
        for line in self.lines:
            self._starts.append(offset)
            offset += len(line)

    def offset_at(self, position: types.Position) -> int:
        """Offset of ``position``; past the end of a line clamps to its end."""
        if position.line < 0:
            return 0
        if position.line >= len(self.lines):
            return len(self.text)
        line = strip_line_ending(self.lines[position.line])
        wanted = max(position.character, 0)
        units = 0
        column = 0
        for char in line:
            if units >= wanted:
                break
            step = units_of(char, self.encoding)
            if units + step > wanted:  # a position inside a code point
                break
            units += step
            column += 1
        return self._starts[position.line] + column

    def position_at(self, offset: int) -> types.Position:
        """The LSP position of ``offset`` (clamped to the text)."""
        offset = min(max(offset, 0), len(self.text))
        line = _bisect_right(self._starts, offset) - 1
        # An offset between \r and \n belongs to the end of that line's content.
        column_text = self.text[self._starts[line] : offset]
        content = strip_line_ending(self.lines[line])
        column_text = column_text[: len(content)]
        return types.Position(line=line, character=count_units(column_text, self.encoding))

    def range_at(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position_at(start), end=self.position_at(end))

    def offsets_of(self, range_: types.Range) -> tuple[int, int]:
        start = self.offset_at(range_.start)
        end = self.offset_at(range_.end)
        return (start, end) if start <= end else (end, start)


def _bisect_right(values: Sequence[int], x: int) -> int:
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < values[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


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
    correct too.
    """

    @property
    def encoding(self) -> str:
        return str(self.position_codec.encoding or types.PositionEncodingKind.Utf16)

    @property
    def lines(self) -> Sequence[str]:
        lines = split_lines(self.source)
        if lines and lines[-1] == "":
            lines.pop()  # pygls's convention: no empty line after a final break
        return tuple(lines)

    def index(self) -> LineIndex:
        """The line index of the current text (kept until the text changes)."""
        source = self.source
        cached = getattr(self, "_index_cache", None)
        if cached is None or cached.text is not source or cached.encoding != self.encoding:
            cached = LineIndex(source, self.encoding)
            self._index_cache = cached
        return cached

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        self._source = apply_change(self.source, change, self.encoding)

    def offset_at_position(self, client_position: types.Position) -> int:
        return self.index().offset_at(client_position)

    def client_position_at_offset(self, offset: int) -> types.Position:
        return self.index().position_at(offset)

    def text_in_client_range(self, range: types.Range) -> str:
        start, end = self.index().offsets_of(range)
        return self.source[start:end]
