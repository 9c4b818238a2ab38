"""Tolerant, unique search-and-replace for replace_in_file."""

from __future__ import annotations

import pytest

from iskra_ls.actions.matching import dominant_newline, find_unique, replace_unique
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
