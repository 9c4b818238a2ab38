"""iskra_ls.textdoc: LSP-exact lines, positions in every encoding, incremental changes.

Table-driven cases pin the rules (only ``\\r\\n``, ``\\r`` and ``\\n`` end a line;
out-of-range positions clamp; a position inside a code point rounds down; the
gap between ``\\r`` and ``\\n`` is not a position). Hypothesis then checks the
module against a reference written differently: columns are found by encoding
the line and cutting its bytes (``errors="ignore"`` drops a cut code point),
not by walking code points.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from iskra_ls.textdoc import (
    LineIndex,
    LspTextDocument,
    apply_change,
    count_units,
    split_lines,
    strip_line_ending,
    units_of,
)

ENCODINGS = ["utf-8", "utf-16", "utf-32"]
CODECS = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}
ODD = "\f\v\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters ``str.splitlines`` breaks on and LSP does not."""
_BREAK = re.compile(r"\r\n|\r|\n")


def P(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


# -- reference model ---------------------------------------------------------------------


def ref_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def ref_content(text: str, line: int) -> str:
    starts = ref_starts(text)
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    return _BREAK.sub("", text[starts[line]:end])


def ref_offset(text: str, position: types.Position, encoding: str) -> int:
    starts = ref_starts(text)
    if position.line >= len(starts):
        return len(text)
    codec, width = CODECS[encoding]
    data = ref_content(text, position.line).encode(codec)
    kept = data[: max(position.character, 0) * width].decode(codec, errors="ignore")
    return starts[position.line] + len(kept)


def ref_position(text: str, offset: int, encoding: str) -> types.Position:
    starts = ref_starts(text)
    line = sum(1 for s in starts[1:] if s <= offset)
    column = text[starts[line]:offset]
    column = column[: len(ref_content(text, line))]
    codec, width = CODECS[encoding]
    return P(line, len(column.encode(codec)) // width)


def addressable(text: str) -> list[int]:
    """Offsets with an LSP position: all but those between ``\\r`` and ``\\n``."""
    return [o for o in range(len(text) + 1)
            if not (0 < o < len(text) and text[o - 1] == "\r" and text[o] == "\n")]


# -- tables ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "lines"), [
    ("", [""]),
    ("a", ["a"]),
    ("a\n", ["a\n", ""]),
    ("a\r\nb", ["a\r\n", "b"]),
    ("a\rb\r", ["a\r", "b\r", ""]),
    ("\n\r", ["\n", "\r", ""]),
    ("\r\r\n\n", ["\r", "\r\n", "\n", ""]),
    (f"a{ODD}b\n", [f"a{ODD}b\n", ""]),
    ("😀\r\nЖ", ["😀\r\n", "Ж"]),
])
def test_split_lines(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


@pytest.mark.parametrize(("line", "content"), [
    ("a\r\n", "a"), ("a\r", "a"), ("a\n", "a"), ("a", "a"), ("\n\r", "\n"), ("a\f", "a\f"),
    ("", ""),
])
def test_strip_line_ending(line: str, content: str) -> None:
    assert strip_line_ending(line) == content


@pytest.mark.parametrize(("char", "units"), [
    ("a", (1, 1, 1)), ("Ж", (2, 1, 1)), ("€", (3, 1, 1)), ("😀", (4, 2, 1)), ("\x85", (2, 1, 1)),
])
def test_units_of(char: str, units: tuple[int, int, int]) -> None:
    assert tuple(units_of(char, e) for e in ENCODINGS) == units
    assert tuple(count_units(char * 3, e) for e in ENCODINGS) == tuple(3 * u for u in units)


TEXT = "a😀b\r\nЖ\u2028x\rend"


@pytest.mark.parametrize(("encoding", "position", "offset"), [
    ("utf-16", P(0, 1), 1),
    ("utf-16", P(0, 2), 1),  # inside the surrogate pair: rounds down
    ("utf-16", P(0, 3), 2),
    ("utf-8", P(0, 3), 1),  # inside the emoji's 4 bytes
    ("utf-8", P(0, 5), 2),
    ("utf-32", P(0, 2), 2),
    ("utf-16", P(0, 99), 3),  # past the line end: its end, before \r\n
    ("utf-16", P(1, 1), 6),
    ("utf-16", P(1, 2), 7),  # \u2028 is a character, not a line break
    ("utf-8", P(1, 2), 6),  # Ж is two bytes
    ("utf-8", P(1, 5), 7),  # \u2028 is three bytes
    ("utf-16", P(2, 0), 9),  # a lone \r ends line 1
    ("utf-16", P(3, 0), len(TEXT)),  # past the last line: the end of the text
    ("utf-16", P(99, 5), len(TEXT)),
])
def test_offset_at(encoding: str, position: types.Position, offset: int) -> None:
    assert LineIndex(TEXT, encoding).offset_at(position) == offset
    assert ref_offset(TEXT, position, encoding) == offset  # the reference agrees


@pytest.mark.parametrize(("encoding", "offset", "position"), [
    ("utf-16", 2, P(0, 3)),
    ("utf-8", 2, P(0, 5)),
    ("utf-32", 2, P(0, 2)),
    ("utf-16", 4, P(0, 4)),  # between \r and \n: the end of the line's content
    ("utf-16", 5, P(1, 0)),
    ("utf-16", -3, P(0, 0)),
    ("utf-16", 10_000, P(2, 3)),
])
def test_position_at(encoding: str, offset: int, position: types.Position) -> None:
    assert LineIndex(TEXT, encoding).position_at(offset) == position


def test_offsets_of_orders_a_reversed_range() -> None:
    index = LineIndex(TEXT)
    rng = types.Range(start=P(1, 1), end=P(0, 1))
    assert index.offsets_of(rng) == (1, 6)
    assert index.range_at(1, 6) == types.Range(start=P(0, 1), end=P(1, 1))


# -- properties ----------------------------------------------------------------------------

PIECES = ["a", "Ж", "😀", "€", "\r", "\n", "\r\n", " ", *ODD]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
encodings = st.sampled_from(ENCODINGS)


@settings(max_examples=300)
@given(text=texts)
def test_split_lines_partitions_the_text(text: str) -> None:
    lines = split_lines(text)
    assert "".join(lines) == text
    assert len(lines) == len(_BREAK.findall(text)) + 1
    for line in lines[:-1]:
        assert _BREAK.fullmatch(line[len(strip_line_ending(line)):])
        assert not _BREAK.search(strip_line_ending(line))
    assert not _BREAK.search(lines[-1])


@settings(max_examples=300)
@given(text=texts, encoding=encodings, data=st.data())
def test_positions_round_trip_and_match_the_reference(text: str, encoding: str,
                                                      data: st.DataObject) -> None:
    index = LineIndex(text, encoding)
    offset = data.draw(st.sampled_from(addressable(text)))
    position = index.position_at(offset)
    assert position == ref_position(text, offset, encoding)
    assert index.offset_at(position) == offset


@settings(max_examples=300)
@given(text=texts, encoding=encodings, line=st.integers(0, 40), character=st.integers(0, 200))
def test_any_position_lands_where_the_reference_says(text: str, encoding: str, line: int,
                                                     character: int) -> None:
    """Out-of-range lines and characters, and positions inside code points, included."""
    offset = LineIndex(text, encoding).offset_at(P(line, character))
    assert offset == ref_offset(text, P(line, character), encoding)
    assert 0 <= offset <= len(text)


@st.composite
def changes(draw: st.DrawFn, text: str, encoding: str
            ) -> tuple[types.TextDocumentContentChangeEvent, str]:
    """A change event and the text it must produce (computed by the reference)."""
    new_text = draw(texts)
    if draw(st.integers(0, 9)) == 0:
        return types.TextDocumentContentChangeWholeDocument(text=new_text), new_text
    line = st.integers(0, len(ref_starts(text)) + 1)
    character = st.integers(0, 12)
    start, end = P(draw(line), draw(character)), P(draw(line), draw(character))
    a, b = ref_offset(text, start, encoding), ref_offset(text, end, encoding)
    a, b = min(a, b), max(a, b)
    event = types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end),
                                                   text=new_text)
    return event, text[:a] + new_text + text[b:]


@settings(max_examples=200, deadline=None)
@given(text=texts, encoding=encodings, data=st.data())
def test_apply_change_and_the_document_follow_the_reference(text: str, encoding: str,
                                                            data: st.DataObject) -> None:
    document = LspTextDocument("file:///t.py", text, version=1,
                               position_codec=PositionCodec(encoding))
    current = text
    for _ in range(data.draw(st.integers(1, 5))):
        event, expected = data.draw(changes(current, encoding))
        assert apply_change(current, event, encoding) == expected
        document.apply_change(event)
        current = expected
        assert document.source == expected
    expected_lines = split_lines(current)
    if expected_lines[-1] == "":
        expected_lines.pop()  # pygls's convention: no empty line after a final break
    assert list(document.lines) == expected_lines


@settings(max_examples=200)
@given(text=texts, encoding=encodings, data=st.data())
def test_document_positions_agree_with_the_line_index(text: str, encoding: str,
                                                      data: st.DataObject) -> None:
    document = LspTextDocument("file:///t.py", text, position_codec=PositionCodec(encoding))
    index = LineIndex(text, encoding)
    offset = data.draw(st.sampled_from(addressable(text)))
    position = index.position_at(offset)
    assert document.client_position_at_offset(offset) == position
    assert document.offset_at_position(position) == offset
    end = data.draw(st.sampled_from(addressable(text)))
    rng = index.range_at(min(offset, end), max(offset, end))
    assert document.text_in_client_range(rng) == text[min(offset, end):max(offset, end)]
    assert document.encoding == encoding


# -- bounded cost (issue 10 items 1 and 3) and lone surrogates (issue 11 item 8) -------------


@settings(max_examples=300)
@given(text=texts)
def test_split_lines_cuts_where_the_reference_puts_line_starts(text: str) -> None:
    starts = ref_starts(text)
    ends = [*starts[1:], len(text)]
    assert split_lines(text) == [text[a:b] for a, b in zip(starts, ends, strict=True)]


@pytest.mark.timeout(10)
def test_a_megabyte_on_one_line_is_cheap() -> None:
    """Quadratic in the last line's length before: 50 000 characters took 21 s."""
    text = "a" * 1_000_000
    assert split_lines(text) == [text]
    for encoding in ENCODINGS:
        index = LineIndex(text, encoding)
        assert index.position_at(len(text)) == P(0, len(text))
        assert index.offset_at(P(0, 999_999)) == 999_999
        assert index.offsets_of(types.Range(start=P(0, 10), end=P(0, 900_000))) == (10, 900_000)
    document = LspTextDocument("file:///min.js", text, position_codec=PositionCodec("utf-16"))
    for n in range(200):
        document.apply_change(types.TextDocumentContentChangePartial(
            range=types.Range(start=P(0, 500_000 + n), end=P(0, 500_000 + n)), text="b"))
    assert document.source == text[:500_000] + "b" * 200 + text[500_000:]


@pytest.mark.timeout(20)
def test_a_keystroke_does_not_rebuild_the_index_of_a_big_document() -> None:
    """400 keystrokes into a 10 MB, 500 000-line document (~100 ms each before)."""
    line = "x = compute(value)  # ok\n"
    text = line * 400_000
    document = LspTextDocument("file:///big.py", text, version=1,
                               position_codec=PositionCodec("utf-16"))
    assert document.offset_at_position(P(200_000, 3)) == 200_000 * len(line) + 3
    for n in range(400):
        document.apply_change(types.TextDocumentContentChangePartial(
            range=types.Range(start=P(200_000, 4 + n), end=P(200_000, 4 + n)), text="y"))
        assert document.client_position_at_offset(200_000 * len(line) + 5 + n) == P(
            200_000, 5 + n)
    assert document.offset_at_position(P(399_999, 2)) == 399_999 * len(line) + 400 + 2
    expected = text[: 200_000 * len(line) + 4] + "y" * 400 + text[200_000 * len(line) + 4:]
    assert document.source == expected


@settings(max_examples=200, deadline=None)
@given(text=texts, encoding=encodings, data=st.data())
def test_the_incrementally_kept_index_equals_a_fresh_one(text: str, encoding: str,
                                                         data: st.DataObject) -> None:
    document = LspTextDocument("file:///t.py", text, version=1,
                               position_codec=PositionCodec(encoding))
    current = text
    for _ in range(data.draw(st.integers(1, 8))):
        document.index()  # keep an index alive so the change updates it in place
        event, current = data.draw(changes(current, encoding))
        document.apply_change(event)
        fresh = LineIndex(current, encoding)
        kept = document.index()
        assert kept.text == current
        assert kept.line_count == fresh.line_count == len(ref_starts(current))
        for offset in addressable(current):
            assert kept.position_at(offset) == fresh.position_at(offset)
        for line in range(kept.line_count + 1):
            for character in range(0, 8):
                position = P(line, character)
                assert kept.offset_at(position) == fresh.offset_at(position)


LONE = ["\ud800", "\udfff", "\ud83d", "\ude00"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("lone", LONE)
def test_lone_surrogates_do_not_break_positions(encoding: str, lone: str) -> None:
    """A lone surrogate (JSON allows "\\ud800") counts as one UTF-16 unit, 3 UTF-8 bytes."""
    text = f"a{lone}b\nc{lone}"
    width = {"utf-8": 3, "utf-16": 1, "utf-32": 1}[encoding]
    index = LineIndex(text, encoding)
    assert index.position_at(3) == P(0, 2 + width)
    assert index.offset_at(P(0, 2 + width)) == 3
    assert index.position_at(len(text)) == P(1, 1 + width)
    assert count_units(lone, encoding) == units_of(lone, encoding) == width
    document = LspTextDocument("file:///s.py", text, version=1,
                               position_codec=PositionCodec(encoding))
    document.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(start=P(1, 1 + width), end=P(1, 1 + width)), text="!"))
    assert document.source == text + "!"
    assert document.client_position_at_offset(len(text) + 1) == P(1, 2 + width)


def test_the_context_of_a_range_is_its_lines_clipped_on_a_huge_line() -> None:
    text = "a = 1\nb = 2\r\nc = 3\n"
    index = LineIndex(text)
    assert index.context_of(7, 8) == "b = 2\r\n"
    assert index.context_of(0, 8) == "a = 1\nb = 2\r\n"
    assert index.context_of(len(text), len(text)) == ""
    line = "x" * 100_000
    index = LineIndex(line + "\n")
    assert index.context_of(50_000, 50_010, margin=100) == line[49_900:50_110]
    assert len(index.context_of(0, 100_000)) == 64_000
