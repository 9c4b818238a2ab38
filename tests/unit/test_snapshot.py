"""Request snapshots: a bounded window of one version, and answers placed through edits since."""

from __future__ import annotations

import pytest
from lsprotocol import types

from iskra_ls.snapshot import WINDOW_AFTER, WINDOW_BEFORE, EditLog, cut_window
from iskra_ls.textdoc import LineIndex, LspTextDocument


@pytest.mark.parametrize(
    ("edits", "span", "placed"),
    [
        pytest.param([], (10, 12), (10, 12), id="no-edit"),
        pytest.param([(0, 0, 5)], (10, 12), (15, 17), id="insert-above"),
        pytest.param([(2, 6, 0)], (10, 12), (6, 8), id="delete-above"),
        pytest.param([(20, 25, 1)], (10, 12), (10, 12), id="edit-below"),
        pytest.param([(10, 10, 1)], (10, 12), None, id="typed-at-the-cursor"),
        pytest.param([(12, 12, 1)], (10, 12), None, id="typed-at-the-span-end"),
        pytest.param([(9, 10, 0)], (10, 10), None, id="deleted-before-the-cursor"),
        pytest.param([(11, 11, 3)], (10, 12), None, id="inside-the-span"),
        pytest.param([(0, 0, 5), (30, 31, 0), (1, 2, 4)], (10, 10), (18, 18), id="several"),
    ],
)
def test_spans_are_mapped_through_the_edits_since(
    edits: list[tuple[int, int, int]], span: tuple[int, int], placed: tuple[int, int] | None
) -> None:
    log = EditLog()
    log.replaced(0, 1, 1)  # an edit before the mark does not count
    mark = log.mark
    for edit in edits:
        log.replaced(*edit)
    assert log.map_span(mark, *span) == placed


def test_a_whole_document_change_or_a_long_gap_places_nothing() -> None:
    log = EditLog()
    mark = log.mark
    log.rewritten()
    assert log.map_span(mark, 0, 0) is None
    mark = log.mark
    for _ in range(5000):
        log.replaced(100, 100, 1)
    assert log.map_span(mark, 0, 0) is None  # more edits than the log keeps
    assert log.map_span(log.mark, 0, 0) == (0, 0)


def test_a_window_is_bounded_and_starts_at_a_line_start() -> None:
    line = "x = compute(item)\n"
    text = line * 10_000
    offset = len(text) // 2 + 4
    window, start, cursor = cut_window(len(text), offset, lambda a, b: text[a:b])
    assert len(window) <= WINDOW_BEFORE + WINDOW_AFTER
    assert text[start - 1] == "\n" and window == text[start : start + len(window)]
    assert window[cursor:].startswith(text[offset : offset + 20])
    assert cursor >= WINDOW_BEFORE // 2


def _document(text: str) -> LspTextDocument:
    doc = LspTextDocument("file:///w/big.py", text, version=1, language_id="python")
    doc.index()
    return doc


def _type(doc: LspTextDocument, line: int, character: int, text: str, version: int) -> None:
    at = types.Position(line=line, character=character)
    doc.apply_change(types.TextDocumentContentChangePartial(
        range=types.Range(start=at, end=at), text=text))
    doc.version = version


def test_a_snapshot_of_an_edited_big_document_never_joins_its_text() -> None:
    line = "    value = compute(item, factor)\n"
    doc = _document(line * 300_000)  # ~10 MB
    _type(doc, 150_000, 4, "x", 2)
    snapshot = doc.snapshot(doc.index().offset_at(types.Position(line=150_000, character=5)))
    assert doc._stale  # still in pieces: no whole-text join for a request
    assert len(snapshot.text) <= WINDOW_BEFORE + WINDOW_AFTER
    assert snapshot.prefix.endswith("\n    x") and snapshot.suffix.startswith("value = ")
    assert not snapshot.whole_before and not snapshot.whole_after
    assert (snapshot.version, snapshot.language_id) == (2, "python")
    assert doc.tail(8) == "factor)\n"
    assert doc._stale


def test_an_answer_is_placed_in_the_text_as_it_is_now() -> None:
    doc = _document("def f(x):\n    return \n")
    cursor = doc.index().offset_at(types.Position(line=1, character=11))
    snapshot = doc.snapshot(cursor)
    _type(doc, 0, 0, "import math\n", 2)
    placed = snapshot.place(snapshot.offset, snapshot.offset)
    assert placed is not None
    index = LineIndex(doc.source)
    assert index.range_at(*placed) == types.Range(
        start=types.Position(line=2, character=11), end=types.Position(line=2, character=11))
    _type(doc, 2, 11, "x", 3)
    assert snapshot.place(snapshot.offset, snapshot.offset) is None
