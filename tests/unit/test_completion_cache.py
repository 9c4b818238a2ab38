"""Revisits and typing through remembered suggestions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iskra_ls.completion.cache import (
    NOTHING,
    NOTHING_TTL_S,
    PREFIX_KEEP,
    SUFFIX_KEEP,
    SuggestionCache,
    consume_typed,
)
from iskra_ls.completion.postprocess import Suggestion

URI = "file:///w/app.py"


def test_exact_revisit_answers_and_other_documents_do_not() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "x = ", "\nprint(x)\n", Suggestion("compute()"))
    assert cache.lookup(URI, "x = ", "\nprint(x)\n") == Suggestion("compute()")
    assert cache.lookup("file:///w/other.py", "x = ", "\nprint(x)\n") is None
    assert cache.lookup(URI, "y = ", "\nprint(x)\n") is None


@pytest.mark.parametrize(
    ("typed", "suffix", "expected"),
    [
        pytest.param("co", "\n", Suggestion("mpute(a, b)"), id="plain-prefix"),
        pytest.param("compute(", ")\n", Suggestion("a, b)", 1), id="paren-auto-closed"),
        pytest.param("compute(", "\n", Suggestion("a, b)"), id="paren-not-auto-closed"),
        pytest.param("compute(a, b", ")\n", Suggestion(")", 1), id="up-to-the-closer"),
        pytest.param("compute(a, b)", "\n", None, id="all-typed"),
        pytest.param("compute(a, c", ")\n", None, id="diverged"),
        pytest.param("cx", "\n", None, id="diverged-early"),
        pytest.param("co", "\nchanged\n", None, id="suffix-changed"),
    ],
)
def test_typing_through_one_line(typed: str, suffix: str, expected: Suggestion | None) -> None:
    cache = SuggestionCache()
    cache.remember(URI, "x = ", "\n", Suggestion("compute(a, b)"))
    assert cache.lookup(URI, "x = " + typed, suffix) == expected


@pytest.mark.parametrize(
    ("typed", "suffix", "expected"),
    [
        pytest.param('"', '")\n', Suggestion('hi")', 2), id="quote-auto-closed"),
        pytest.param('"hi"', ")\n", Suggestion(")", 1), id="quote-typed-over"),
        pytest.param('"hi")', "\n", None, id="everything-typed"),
        pytest.param('"hi")', ")\n", None, id="closer-typed-not-skipped"),
    ],
)
def test_typing_through_auto_closed_characters(
    typed: str, suffix: str, expected: Suggestion | None
) -> None:
    cache = SuggestionCache()
    cache.remember(URI, "print(", ")\n", Suggestion('"hi")', 1))
    assert cache.lookup(URI, "print(" + typed, suffix) == expected


BLOCK = Suggestion("x = compute()\n    return x")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("x = comp", Suggestion("ute()"), id="first-line"),
        pytest.param("x = compute()\n    ", Suggestion("return x"), id="newline-auto-indent"),
        pytest.param("x = compute()\n", Suggestion("    return x"), id="newline-no-indent"),
        pytest.param("x = compute()\n  ", Suggestion("  return x"), id="newline-short-indent"),
        pytest.param("x = compute()\n    ret", Suggestion("urn x"), id="into-second-line"),
        pytest.param("x = compute()\n        ", None, id="indent-too-deep"),
        pytest.param("x = compute()\n  ret", None, id="typed-at-other-indent"),
        pytest.param("x = compute()\n    return x", None, id="all-typed"),
        pytest.param("x = compute() ", None, id="space-diverges"),
    ],
)
def test_typing_through_lines(typed: str, expected: Suggestion | None) -> None:
    cache = SuggestionCache()
    cache.remember(URI, "def f():\n    ", "\n\nf()\n", BLOCK)
    assert cache.lookup(URI, "def f():\n    " + typed, "\n\nf()\n") == expected


def test_typing_through_a_crlf_document() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "def f():\r\n    ", "\r\n", Suggestion("x = 1\r\n    return x"))
    assert cache.lookup(URI, "def f():\r\n    x = 1\r\n    ", "\r\n") == Suggestion("return x")


def test_typing_through_into_an_auto_closed_block_vscode_style() -> None:
    """Enter between ``{}`` puts ``}`` on its own line below the cursor."""
    cache = SuggestionCache()
    cache.remember(URI, "function f() {", "}\n", Suggestion("\n    return 1;\n"))
    found = cache.lookup(URI, "function f() {\n    ", "\n}\n")
    assert found == Suggestion("return 1;")


def test_typing_through_into_an_auto_closed_block_neovim_style() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "function f() {", "}\n", Suggestion("\n    return 1;\n"))
    assert cache.lookup(URI, "function f() {\n    ", "}\n") == Suggestion("return 1;\n")


def test_long_documents_keep_only_bounded_context_and_still_type_through() -> None:
    before = "".join(f"line_{i} = {i}\n" for i in range(2000))
    after = "".join(f"tail_{i} = {i}\n" for i in range(2000))
    cache = SuggestionCache()
    cache.remember(URI, before + "x = ", "\n" + after, Suggestion("value + 1"))
    stored = cache._entries  # bounded memory is the point of this test
    assert all(len(e.prefix_tail) <= PREFIX_KEEP for e in stored.values())
    assert all(len(e.suffix_head) <= SUFFIX_KEEP for e in stored.values())
    assert cache.lookup(URI, before + "x = ", "\n" + after) == Suggestion("value + 1")
    assert cache.lookup(URI, before + "x = val", "\n" + after) == Suggestion("ue + 1")
    assert cache.lookup(URI, before + "x = vax", "\n" + after) is None


def test_lru_evicts_the_least_recently_used() -> None:
    cache = SuggestionCache(lru_size=2)
    cache.remember(URI, "a = ", "\n", Suggestion("1"))
    cache.remember(URI, "b = ", "\n", Suggestion("2"))
    assert cache.lookup(URI, "a = ", "\n") == Suggestion("1")  # a is now the newest
    cache.remember(URI, "c = ", "\n", Suggestion("3"))
    assert len(cache) == 2
    assert cache.lookup(URI, "b = ", "\n") is None
    assert cache.lookup(URI, "a = ", "\n") == Suggestion("1")
    assert cache.lookup(URI, "c = ", "\n") == Suggestion("3")


def test_remembering_again_replaces_and_blank_suggestions_are_not_kept() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "a = ", "\n", Suggestion("1"))
    cache.remember(URI, "a = ", "\n", Suggestion("2"))
    cache.remember(URI, "b = ", "\n", Suggestion("  \n"))
    assert len(cache) == 1
    assert cache.lookup(URI, "a = ", "\n") == Suggestion("2")


def test_deleting_characters_does_not_type_through() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "x = ab", "\n", Suggestion("cd"))
    assert cache.lookup(URI, "x = a", "\n") is None


def test_the_newest_matching_entry_wins() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "x = ", "\n", Suggestion("old_value"))
    cache.remember(URI, "x = ", "\n", Suggestion("new_value"))
    cache.remember(URI, "x", "\n", Suggestion(" = other"))
    assert cache.lookup(URI, "x = n", "\n") == Suggestion("ew_value")


@pytest.mark.parametrize(
    ("typed", "text", "expected"),
    [
        pytest.param("ab", "abc", 2, id="prefix"),
        pytest.param("ax", "abc", None, id="diverges"),
        pytest.param("a\r\n  ", "a\n  b", 4, id="crlf-typed-lf-text"),
        pytest.param("a\n", "a\r\n\tb", 3, id="lf-typed-crlf-text"),
        pytest.param("a\n\t", "a\n\t\tb", 3, id="tab-prefix-indent"),
        pytest.param("a\n", "a", None, id="newline-past-end"),
        pytest.param("abcd", "abc", None, id="longer-than-text"),
    ],
)
def test_consume_typed(typed: str, text: str, expected: int | None) -> None:
    assert consume_typed(typed, text) == expected


_PIECES = st.text(alphabet=st.sampled_from(list('ab (){}"\n\r\t ;')), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.booleans(), _PIECES, _PIECES, _PIECES, st.integers(0, 3)), max_size=12
    )
)
def test_lookup_never_answers_empty_text(ops: list[tuple[bool, str, str, str, int]]) -> None:
    cache = SuggestionCache(lru_size=4)
    for store, prefix, suffix, text, replace in ops:
        if store:
            cache.remember(URI, prefix, suffix, Suggestion(text, replace))
        else:
            found = cache.lookup(URI, prefix, suffix)
            assert found is None or found is NOTHING or found.text.strip()
        assert len(cache) <= 4


@settings(max_examples=100, deadline=None)
@given(
    prefix=st.text(max_size=30),
    suffix=st.text(max_size=10),
    text=st.text(alphabet=st.sampled_from(list("ab(x) =\t")), min_size=1, max_size=20),
    cut=st.integers(0, 20),
)
def test_typing_any_start_of_a_one_line_suggestion_answers_the_rest(
    prefix: str, suffix: str, text: str, cut: int
) -> None:
    cache = SuggestionCache()
    cache.remember(URI, prefix, suffix, Suggestion(text))
    rest = text[cut:]
    expected = Suggestion(rest) if rest.strip() else None
    assert cache.lookup(URI, prefix + text[:cut], suffix) == expected


# -- the lines after a one-line suggestion, and spots that have nothing (issue 18.2, 18.6) --

LOOKAHEAD = Suggestion("compute()\n    return x")
"""A one-line request's answer: its first line, and the next line kept for after Enter."""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("", Suggestion("compute()"), id="the-spot-shows-its-line"),
        pytest.param("comp", Suggestion("ute()"), id="typing-through-the-line"),
        pytest.param("compute()", NOTHING, id="line-typed-next-line-waits"),
        pytest.param("compute()\n    ", Suggestion("return x"), id="after-enter-auto-indent"),
        pytest.param("compute()\n", Suggestion("    return x"), id="after-enter-column-0"),
        pytest.param("compute()\n    ret", Suggestion("urn x"), id="into-the-next-line"),
        pytest.param("compute()\n    q", None, id="typed-away"),
    ],
)
def test_lines_kept_for_the_next_line_start(typed: str, expected: Suggestion | None) -> None:
    cache = SuggestionCache()
    cache.remember(URI, "def f():\n    x = ", "\n", LOOKAHEAD)
    assert cache.lookup(URI, "def f():\n    x = " + typed, "\n") == expected


def test_a_requested_block_is_shown_whole() -> None:
    cache = SuggestionCache()
    cache.remember(URI, "def f():\n    x = ", "\n", LOOKAHEAD)
    assert cache.lookup(URI, "def f():\n    x = ", "\n", whole=True) == LOOKAHEAD
    assert cache.lookup(URI, "def f():\n    x = comp", "\n", whole=True) == Suggestion(
        "ute()\n    return x")


def test_a_spot_whose_answer_was_unusable_is_remembered_for_a_while() -> None:
    cache = SuggestionCache()
    cache.remember_nothing(URI, "x = ", "\n", now=100.0)
    assert cache.lookup(URI, "x = ", "\n", now=101.0) is NOTHING
    assert cache.lookup(URI, "x = 1", "\n", now=101.0) is None  # nothing to type through
    assert cache.lookup(URI, "x = ", "\n", now=100.0 + NOTHING_TTL_S) is None
    assert len(cache) == 0


# -- the lines after an automatic block: kept for their line starts, never shown past it --

CLAMP = "def clamp(r, g, b):\n    if b < 0.0:\n        "
BLOCK_AND_AFTER = Suggestion("b = 0.0\n    if r > 1.0:\n        r = 1.0")
"""An automatic block at a line start (``b = 0.0``) and the answer's lines after it,
which dedent out of the block: what the spot shows whole ends with the block."""


@pytest.mark.parametrize(
    ("typed", "whole", "expected"),
    [
        pytest.param("", False, Suggestion("b = 0.0"), id="the-spot-shows-its-line"),
        pytest.param("", True, Suggestion("b = 0.0"), id="requested-the-block-only"),
        pytest.param("b =", True, Suggestion(" 0.0"), id="requested-typed-into-the-block"),
        pytest.param("b = 0.0", False, NOTHING, id="block-typed-next-line-waits"),
        pytest.param("b = 0.0\n    ", False, Suggestion("if r > 1.0:"), id="after-the-dedent"),
        pytest.param("b = 0.0\n    ", True, Suggestion("if r > 1.0:\n        r = 1.0"),
                     id="requested-after-the-dedent"),
        pytest.param("b = 0.0\n        ", False, None, id="enter-kept-in-the-block"),
    ],
)
def test_lines_after_a_block_wait_for_their_own_line_start(
    typed: str, whole: bool, expected: Suggestion | None
) -> None:
    cache = SuggestionCache()
    cache.remember(URI, CLAMP, "\n", BLOCK_AND_AFTER, whole_chars=len("b = 0.0"))
    assert cache.lookup(URI, CLAMP + typed, "\n", whole=whole) == expected
