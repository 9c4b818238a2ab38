"""Where the scheduler expects a pause (shorter debounce) and where it asks at all."""

from __future__ import annotations

import pytest

from iskra_ls.completion.heuristics import pause_likely, worth_asking


@pytest.mark.parametrize(
    ("prefix", "likely"),
    [
        ("def f(x):\n    ", True),  # just pressed Enter below code
        ("x = 1\n", True),
        ("def f(x):", True),  # a block opener ends the statement
        ("int x = 1;", True),
        ("if (a) {", True),
        ("value = comp", False),  # in the middle of a word
        ("print(a, ", False),
        ("\n\n", False),  # blank lines: nothing above to continue
        ("", False),
    ],
)
def test_pause_likely(prefix: str, likely: bool) -> None:
    assert pause_likely(prefix) is likely


def test_worth_asking_only_where_a_suggestion_can_help() -> None:
    assert worth_asking("x = ", "")
    assert worth_asking("print(", ")\n")
    assert not worth_asking("val", "ue = 1")
    assert not worth_asking("x = ", "compute()")
