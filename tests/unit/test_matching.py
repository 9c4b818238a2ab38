"""Tolerant, unique search-and-replace for replace_in_file."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iskra_ls.actions import matching
from iskra_ls.actions.matching import EditTooLarge, dominant_newline, find_unique, replace_unique
from iskra_ls.actions.tools import ToolError

PY = "def f(x):\n    if x:\n        return 1\n    return 2\n"
TABS = "func main() {\n\tif ok {\n\t\treturn\n\t}\n}\n"
CRLF = "a = 1\r\nb = 2\r\nc = 3\r\n"


@pytest.mark.parametrize(
    ("text", "search", "replace", "expected", "tier"),
    [
        pytest.param(PY, "return 1", "return 10", PY.replace("return 1", "return 10"), "exact",
                     id="exact-partial-line"),
        pytest.param(CRLF, "b = 2\nc = 3", "b = 20\nc = 30", "a = 1\r\nb = 20\r\nc = 30\r\n",
                     "line-endings", id="lf-search-in-crlf"),
        pytest.param(CRLF, "b = 2", "b = 2\nb2 = 4", "a = 1\r\nb = 2\r\nb2 = 4\r\nc = 3\r\n",
                     "exact", id="exact-replacement-gets-crlf"),
        pytest.param("x = 1   \ny = 2\n", "x = 1\ny = 2", "x = 5\ny = 6", "x = 5\ny = 6\n",
                     "trailing-whitespace", id="trailing-spaces-in-file"),
        pytest.param("x = 1\ny = 2\n", "x = 1  \ny = 2", "x = 3\ny = 2", "x = 3\ny = 2\n",
                     "trailing-whitespace", id="trailing-spaces-in-search"),
        pytest.param(TABS, "    if ok {\n        return\n    }", "    if ok {\n        log()\n"
                     "        return\n    }", "func main() {\n\tif ok {\n\t\tlog()\n\t\treturn\n"
                     "\t}\n}\n", "indentation", id="spaces-search-tab-file"),
        pytest.param(PY, "if x:\n    return 1", "if x:\n    return 3", PY.replace("return 1",
                     "return 3"), "indentation", id="dedented-search"),
        pytest.param(PY, "  if x:\n    return 1\n", "  if not x:\n    raise E\n  if x:\n    "
                     "return 1\n", "def f(x):\n    if not x:\n        raise E\n    if x:\n"
                     "        return 1\n    return 2\n", "indentation",
                     id="two-space-search-four-space-file"),
        pytest.param("Привет, мир 🌍\nстрока два\n", "мир 🌍", "world 🌎",
                     "Привет, world 🌎\nстрока два\n", "exact", id="unicode"),
    ],
)
def test_applied(text: str, search: str, replace: str, expected: str, tier: str) -> None:
    result, match = replace_unique(text, search, replace)
    assert result == expected
    assert match.tier == tier


@pytest.mark.parametrize(
    ("text", "search", "message"),
    [
        pytest.param(PY, "", "search is empty", id="empty"),
        pytest.param(PY, "    return", "matches 2 places", id="ambiguous-exact"),
        pytest.param("a\r\nb\r\na\r\nb\r\n", "a\nb", "matches 2 places", id="ambiguous-crlf"),
        pytest.param("x()\n\tx()\n", "    x()\n    x()\n    x()", "not found", id="too-long"),
        pytest.param(PY, "return 42", "not found", id="absent"),
        pytest.param(PY, "if y:\n    return 1", "line 2", id="near-miss-named"),
        pytest.param("\tif a:\n\t\tpass\n  if a:\n      pass\n", "if a:\n    pass",
                     "matches 2 places", id="ambiguous-indentation"),
    ],
)
def test_refused(text: str, search: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        find_unique(text, search, name="f.py")


def test_ambiguous_message_lists_lines() -> None:
    text = "x = 1\ny = 2\nx = 1\n"
    with pytest.raises(ToolError) as caught:
        find_unique(text, "x = 1", name="f.py")
    assert "lines 1, 3" in str(caught.value)
    assert "include more surrounding lines" in str(caught.value)


def test_overlapping_matches_are_ambiguous() -> None:
    with pytest.raises(ToolError, match="2 places"):
        find_unique("aaa", "aa")


def test_match_offsets() -> None:
    match = find_unique(CRLF, "b = 2\nc = 3")
    assert CRLF[match.start : match.end] == "b = 2\r\nc = 3"


def test_indentation_tier_keeps_file_style_for_new_deeper_lines() -> None:
    text = "class A:\n\tdef f(self):\n\t\tpass\n"
    result, _ = replace_unique(
        text, "    def f(self):\n        pass", "    def f(self):\n        if x:\n            y()"
    )
    assert result == "class A:\n\tdef f(self):\n\t\tif x:\n\t\t\ty()\n"


@pytest.mark.parametrize(
    ("text", "newline"),
    [
        ("a\nb\n", "\n"),
        ("a\r\nb\r\n", "\r\n"),
        ("a", "\n"),
        ("a\rb\r", "\r"),
        ("a\r\nb\nc\n", "\n"),
    ],
)
def test_dominant_newline(text: str, newline: str) -> None:
    assert dominant_newline(text) == newline


# -- bounded cost (issue 10 item 4) ---------------------------------------------------------



@pytest.mark.timeout(10)
def test_tolerant_tiers_are_linear_on_a_big_repetitive_file() -> None:
    """Every tier over 24 000 lines with an 8000-line search (~15 s before: lines x search)."""
    text = "    x = 1\r\n" * 24_000
    with pytest.raises(ToolError, match="not found"):
        find_unique(text, "  x = 1\n" * 8000 + "nope")
    with pytest.raises(ToolError, match="more than 100 places"):
        find_unique(text, "  x = 1\n" * 8000)


@pytest.mark.timeout(10)
def test_counting_places_is_bounded() -> None:
    with pytest.raises(ToolError, match="more than 100 places") as caught:
        find_unique("a" * 2_000_000, "a" * 1000)
    assert "lines 1" in str(caught.value)


def test_a_search_over_the_limit_is_refused_with_a_clear_message() -> None:
    search = "x" * (matching.MAX_SEARCH_CHARS + 1)
    with pytest.raises(EditTooLarge, match="search is too large") as caught:
        find_unique("x = 1\n", search)
    assert isinstance(caught.value, ToolError)  # goes back to the model as a tool result
    assert f"{matching.MAX_SEARCH_CHARS:,}" in str(caught.value)


def test_a_file_over_the_limit_is_refused_with_a_clear_message() -> None:
    text = "y" * (matching.MAX_TEXT_CHARS + 1)
    with pytest.raises(EditTooLarge, match="too large"):
        find_unique(text, "x = 1\nz")


# The tiers as they were (one regex per search): the reference for the linear ones, with
# one fix: the old regex could take a CRLF for two line breaks (``\r`` then ``\n``).
_REF_BREAK = r"(?:\r\n|\r(?!\n)|\n)"


def _ref_regex(text: str, pattern: str) -> list[tuple[int, int]]:
    return [(m.start(1), m.end(1)) for m in re.finditer(f"(?=({pattern}))", text)]


def _ref_line_endings(text: str, search: str) -> list[tuple[int, int]]:
    parts = re.split(r"\r\n|\r|\n", search)
    if len(parts) == 1:
        return []
    return _ref_regex(text, _REF_BREAK.join(re.escape(p) for p in parts))


def _ref_trailing_whitespace(text: str, search: str) -> list[tuple[int, int]]:
    parts = re.split(r"\r\n|\r|\n", search)
    stripped = [p.rstrip(" \t") for p in parts]
    if stripped == parts and len(parts) == 1:
        return []
    pieces = [re.escape(p) + r"[ \t]*" for p in stripped[:-1]]
    last = re.escape(stripped[-1])
    if stripped[-1] != parts[-1]:
        last += r"[ \t]*(?=\r\n|\r|\n|\Z)"
    return _ref_regex(text, _REF_BREAK.join([*pieces, last]))


_BITS = st.sampled_from(["a", "b", " ", "\t", "\n", "\r\n", "\r", "ж"])
_LINE = st.lists(st.sampled_from(["a", "b", "ж", " ", "\t"]), min_size=1, max_size=4).map(
    "".join).filter(lambda s: s.strip(" \t") != "" and s[0] not in " \t")


@settings(max_examples=400, deadline=None)
@given(text=st.lists(_BITS, max_size=40).map("".join), first=_LINE,
       rest=st.lists(_BITS, max_size=12).map("".join))
def test_linear_tiers_find_what_the_regex_tiers_found(text: str, first: str, rest: str) -> None:
    search = first + rest  # starts with content, as the old tiers needed to be exact
    for tier, finder, reference in (
        ("line-endings", matching._line_endings, _ref_line_endings),
        ("trailing-whitespace", matching._trailing_whitespace, _ref_trailing_whitespace),
    ):
        found = [(m.start, m.end) for m in finder(text, search, tier)]
        assert found == reference(text, search), tier
