"""Model-chosen text made plain: no escapes, no bidirectional tricks, no links, capped."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

from iskra_ls.plain_text import _COMMON, cap, model_text, short_name, unlinked, visible


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("plain words", "plain words"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", "click"),
        ("\x1b]0;title\x1b\\text", "text"),
        ("abc\u202edcba", "abcdcba"),
        ("\u2066isolate\u2069 \u200ehidden\u200f\u200b", "isolate hidden"),
        ("line one\nline two\r\nthree\u2028four", "line one line two three four"),
        ("tab\tand\x00nul\x7fdel\x9b31mcsi", "tab andnuldelcsi"),
        ("кириллица 中文 😀 ok", "кириллица 中文 😀 ok"),
        ("soft\u00adhyphen \ufeffbom", "softhyphen bom"),
    ],
)
def test_visible_strips_what_restyles_or_reorders(given: str, shown: str) -> None:
    assert visible(given, 200) == shown


def test_visible_keeps_lines_in_a_log() -> None:
    assert visible("a\r\nb\n\tc\u202e\x1b[1md", 100, lines=True) == "a\nb\n\tcd"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("[Sign in again](https://evil.example/login)", "Sign in again (https://evil.example/login)"),
        ("see ![img](http://x/y.png) now", "see img (http://x/y.png) now"),
        ('[a](https://e.example "title")', "a (https://e.example)"),
        ("<https://evil.example>", "https://evil.example"),
        ("odd ](half", "odd ] (half"),
        ("no link [here] (spaced)", "no link [here] (spaced)"),
    ],
)
def test_links_are_taken_apart(given: str, shown: str) -> None:
    assert unlinked(given) == shown
    assert "](" not in model_text(given, 500)


def test_caps_count_every_character() -> None:
    assert cap("x" * 10, 10) == "x" * 10
    assert cap("x" * 11, 10) == "x" * 9 + "…"
    assert len(model_text("y" * 1_900_009, 300)) == 300
    assert len(visible("\u202e" * 10_000 + "z" * 10_000, 50)) <= 50
    name = short_name("gen/" + "a" * 500 + "/final_name.py", 80)
    assert len(name) == 80 and name.endswith("final_name.py") and name.startswith("gen/")


def test_common_blocks_hold_no_control_or_format_character() -> None:
    """Only characters outside these blocks are looked up one by one: none may hide there."""
    ranges = [(ord(a), ord(b)) for a, b in re.findall(r"(.)-(.)", _COMMON)]
    assert ranges
    hidden = [
        f"U+{code:04X}"
        for start, end in ranges
        for code in range(start, min(end, sys.maxunicode) + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    ]
    assert hidden == []
