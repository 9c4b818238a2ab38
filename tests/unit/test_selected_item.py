"""Extending the selected completion item (VS Code's suggest widget is open)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from iskra_ls.completion.selected import SelectedItem


def _apply(document: str, start: int, end: int, text: str) -> str:
    return document[:start] + text + document[end:]


def test_the_answer_is_prefixed_with_the_selected_item() -> None:
    document = "items = []\nitems.ap\n"
    cursor = document.index("ap") + 2
    item = SelectedItem.at_cursor(document.index("ap"), cursor, "append", cursor)
    assert item is not None
    virtual, at = item.accepted(document)
    assert virtual == "items = []\nitems.append\n" and virtual[:at].endswith("append")
    start, end, text = item.extend(document, at, at, "(42)")
    assert (start, end, text) == (document.index("ap"), cursor, "append(42)")
    assert _apply(document, start, end, text) == "items = []\nitems.append(42)\n"


def test_an_answer_that_replaces_closing_characters_maps_back() -> None:
    document = "print(x.up)\n"
    cursor = document.index("up") + 2
    item = SelectedItem(document.index("up"), cursor, "upper")
    _virtual, at = item.accepted(document)
    start, end, text = item.extend(document, at, at + 1, "())")  # replaces the auto-closed ")"
    assert text.startswith("upper")
    assert _apply(document, start, end, text) == "print(x.upper())\n"


def test_a_range_without_the_cursor_is_ignored() -> None:
    assert SelectedItem.at_cursor(5, 8, "x", 9) is None
    assert SelectedItem.at_cursor(5, 4, "x", 5) is None


@given(
    st.text(alphabet="ab(). \n", max_size=20), st.data(), st.text(alphabet="xyz", max_size=6),
    st.text(alphabet="xyz)\n", max_size=6), st.integers(0, 3),
)
def test_mapping_back_equals_accepting_then_applying(
    document: str, data: st.DataObject, item_text: str, insert: str, replaced: int
) -> None:
    end = data.draw(st.integers(0, len(document)))
    start = data.draw(st.integers(0, end))
    item = SelectedItem(start, end, item_text)
    virtual, at = item.accepted(document)
    stop = min(at + replaced, len(virtual))
    expected = _apply(virtual, at, stop, insert)
    s, e, text = item.extend(document, at, stop, insert)
    assert s == start and text.startswith(item_text)
    assert _apply(document, s, e, text) == expected
