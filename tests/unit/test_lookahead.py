"""Reading one streamed answer: the first line early, the lines after it kept (issue 18.2, 18.3)."""

from __future__ import annotations

import pytest

from iskra_ls.completion.context import build_context
from iskra_ls.completion.lookahead import (
    LOOKAHEAD_LINES,
    AnswerReader,
    answer_indent,
    on_this_line,
)
from iskra_ls.completion.postprocess import Suggestion

CURSOR = "█"


def read(doc: str, raw: str, *, early: bool = True, language: str = "python",
         ) -> tuple[list[Suggestion], Suggestion | None, str | None]:
    """Stream ``raw`` into a reader for ``doc`` one character at a time, as fetch does."""
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language, path="f")
    reader = AnswerReader(ctx, first_line_early=early)
    shown: list[Suggestion] = []
    stop = None
    for end in range(1, len(raw) + 1):
        answer, stop = reader.feed(raw[:end])
        if answer is not None:
            shown.append(answer)
        if stop is not None:
            break
    return shown, reader.finish(stop if stop is not None else raw), stop


YIQ = "def rgb_to_yiq(r, g, b):\n    y = 0.30*r + █\n"


def test_the_first_line_is_shown_early_and_the_next_lines_are_kept() -> None:
    shown, answer, _ = read(YIQ, "0.59*g + 0.11*b\n    i = 0.74*(r-y)\n    q = 0.48*(r-y)\n")
    # The first line, then the lines after it as each one has streamed (for the next line
    # start while the rest is on its way); the final answer has the last word.
    assert shown[:2] == [Suggestion("0.59*g + 0.11*b"),
                         Suggestion("0.59*g + 0.11*b\n    i = 0.74*(r-y)")]
    assert answer is not None and all(answer.text.startswith(s.text) for s in shown)
    assert answer == Suggestion("0.59*g + 0.11*b\n    i = 0.74*(r-y)\n    q = 0.48*(r-y)")


def test_reading_stops_where_the_block_of_the_next_lines_ends() -> None:
    doc = "def f(r, g, b):\n    if b > 1.0:\n        b = █\n"
    raw = "1.0\n    return (r, g, b)\n\ndef g():\n    pass\n" + "# filler\n" * 20
    _, answer, stop = read(doc, raw)
    assert stop is not None and "filler" not in stop
    assert answer == Suggestion("1.0\n    return (r, g, b)")  # the dedent is the answer's


def test_top_level_lines_are_read_only_a_few_lines_ahead() -> None:
    doc = "import os\nx = os.pa█\n"
    raw = "th.join('a')\n" + "".join(f"v{n} = {n}\n" for n in range(40))
    _, answer, stop = read(doc, raw)
    assert stop is not None and stop.count("\n") == 1 + LOOKAHEAD_LINES
    assert answer is not None and answer.text.count("\n") == LOOKAHEAD_LINES


def test_lines_after_the_first_go_through_post_processing() -> None:
    _, answer, _ = read(YIQ, "0.59*g + 0.11*b\nThis computes the luminance of the colour.\n")
    assert answer == Suggestion("0.59*g + 0.11*b")


def test_a_blank_first_line_means_the_line_is_done() -> None:
    doc = "def f(r, g, b):\n    y = 0.30*r + 0.59*g█\n"
    shown, answer, _ = read(doc, "\n    i = 0.74*(r-y)\n")
    assert not any(s.text.split("\n")[0] for s in shown)  # nothing more on this line
    assert answer == Suggestion("\n    i = 0.74*(r-y)")


def test_code_after_the_cursor_asks_for_the_line_only() -> None:
    doc = "total = █compute(values)\n"
    _, answer, stop = read(doc, "sum(values) + \nnext_line = 1\n")
    assert stop == "sum(values) + "
    assert answer == Suggestion("sum(values) + ")


def test_auto_closed_closer_is_replaced_and_the_next_lines_kept() -> None:
    doc = "def f(values):\n    total = sum(█)\n"
    _, answer, _ = read(doc, "values)\n    return total\n")
    assert answer == Suggestion("values)\n    return total", 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("    minc = min(r, g, b)\n", "    minc = min(r, g, b)", id="indented-answer"),
        pytest.param("```python\n    minc = min(r, g, b)\n```\n", "    minc = min(r, g, b)",
                     id="fenced"),
        pytest.param("\tminc = min(r, g, b)\n", "    minc = min(r, g, b)", id="in-file-style"),
    ],
)
def test_a_line_start_at_column_0_gets_the_indentation_it_needs(raw: str, expected: str) -> None:
    doc = "def rgb_to_hls(r, g, b):\n    maxc = max(r, g, b)\n█"
    shown, answer, _ = read(doc, raw)
    assert answer is not None and answer.text == expected
    assert [a.text for a in shown] == [expected]


def test_an_answer_written_at_column_0_stays_there() -> None:
    """The model was shown the cursor at column 0: a bare line is a top-level one."""
    doc = "def f(r, g, b):\n    return (r, g, b)\n\n█"
    _, answer, _ = read(doc, "def g(h, l, s):\n    return (h, l, s)\n")
    assert answer == Suggestion("def g(h, l, s):\n    return (h, l, s)")


def test_a_bare_line_after_an_opener_at_column_0_goes_into_the_body() -> None:
    doc = "def table():\n█"
    _, answer, _ = read(doc, "return {}\n")
    assert answer == Suggestion("    return {}")


def test_a_dedent_written_by_the_answer_at_column_0_is_kept() -> None:
    doc = "def clamp(r, g, b):\n    if b > 1.0:\n        b = 1.0\n█"
    _, answer, _ = read(doc, "    return (r, g, b)\n")
    assert answer == Suggestion("    return (r, g, b)")


@pytest.mark.parametrize(
    ("language", "doc", "raw", "expected"),
    [
        pytest.param("json", '{\n    "a": {\n█\n    }\n}\n', '    "b": 1\n', '        "b": 1',
                     id="json"),
        pytest.param("c", "int f(void) {\n    if (x) {\n█\n    }\n}\n", "    y = 1;\n",
                     "        y = 1;", id="c"),
        pytest.param("json", '{\n    "a": {\n█', "    }\n", "    }", id="json-closer"),
    ],
)
def test_a_line_shallower_than_the_body_of_the_opener_above_goes_into_it(
    language: str, doc: str, raw: str, expected: str
) -> None:
    """At column 0 below a line that opens a block, the line is in the block's body: an
    answer written less indented than that body is indented as an auto-indenting editor
    would have it (a closer closes the block at its own column)."""
    _, answer, _ = read(doc, raw, language=language)
    assert answer is not None and answer.text == expected


def test_lines_kept_after_the_first_stay_in_the_block_it_opens() -> None:
    """Recorded (real model, JSON, h24-corpus): mid-line after ``"version_best": `` the
    model restarts the file; its first line ``{`` opens a block, the lines kept for the
    next line start were written at the file's top level (4 spaces) and left it."""
    doc = '{\n    "distro": {\n        "version": "42.1",\n        "version_best": █\n    }\n}\n'
    raw = '{\n    "name": "openSUSE Leap 42.1",\n    "input": {\n        "path": "/etc"\n'
    _, answer, _ = read(doc, raw, language="json")
    assert answer is not None
    first, *after = answer.text.split("\n")
    assert first == "{"
    assert all(line.startswith(" " * 12) or line.startswith(" " * 8 + "}")
               for line in after if line.strip()), answer.text


def test_tabs_in_the_document_win_over_the_answers_spaces() -> None:
    doc = "int f(void) {\n\tint x = 1;\n\tint y = █\n}\n"
    _, answer, _ = read(doc, "2;\n    return x + y;\n", language="c")
    assert answer == Suggestion("2;\n\treturn x + y;")


@pytest.mark.parametrize(
    ("partial", "indent"),
    [("", None), ("   ", None), ("  x", "  "), ("\n\n\tx", "\t"), ("```py\n  y", "  "),
     ("x = 1", ""), ("```\n", None), ("`", None), ("```pyth", None), ("```\nx", "")],
)
def test_answer_indent(partial: str, indent: str | None) -> None:
    assert answer_indent(partial) == indent


@pytest.mark.parametrize(
    ("text", "line"),
    [("a = 1\nb = 2", "a = 1"), ("\n    body\n    more", "\n    body"), ("one", "one"),
     ("x\r\ny", "x"), ("\n\n", "\n\n"), ("\n    return 1;\n", "\n    return 1;\n")],
)
def test_a_spot_shows_the_first_line_with_content(text: str, line: str) -> None:
    assert on_this_line(text) == line


def test_a_line_after_a_closed_docstring_at_column_zero_stays_there() -> None:
    """The colorsys replay: below the module docstring's closing quotes, an empty line the
    editor did not indent; the answer's bare comment line is no docstring body."""
    doc = '"""Conversion functions.\n\nHSV: Hue, Saturation, Value\n"""\n\n' + CURSOR
    _, got, _ = read(doc, "# References:\n# http://en.wikipedia.org/wiki/YIQ")
    assert got is not None and got.text.startswith("# References:")


def test_a_docstring_body_stays_at_its_opening_quotes_column() -> None:
    doc = 'def f(x):\n    """\n' + CURSOR
    _, got, _ = read(doc, '    Return x.\n    """')
    assert got is not None and got.text.startswith("    Return x.")


def test_a_blank_line_the_answer_leaves_before_the_next_lines_stays() -> None:
    """bz2.py in the ground truth: the line is done, a blank line, then the list; the
    kept lines land where the answer put them, not one line up."""
    doc = 'def seek(self):\n    """Values are:█\n    """\n'
    _, answer, _ = read(doc, "\n\n        0: start of stream\n        1: current position\n")
    assert answer == Suggestion("\n\n        0: start of stream\n        1: current position")


def test_a_block_at_a_line_start_hands_its_lines_over_as_they_stream() -> None:
    doc = "import math\n\n█"
    raw = "def f(a):\n    x = a\n    y = x\n    return y\n"
    shown, answer, _ = read(doc, raw)
    assert shown[:2] == [Suggestion("def f(a):"), Suggestion("def f(a):\n    x = a")]
    assert answer is not None and all(answer.text.startswith(s.text) for s in shown)


def test_a_requested_block_is_handed_over_whole_only() -> None:
    doc = "import math\n\n█"
    shown, answer, _ = read(doc, "def f(a):\n    x = a\n    return x\n", early=False)
    assert shown == []
    assert answer == Suggestion("def f(a):\n    x = a\n    return x")


def test_lines_after_an_automatic_block_are_kept_for_their_own_line_starts() -> None:
    doc = "def clamp(r, g, b):\n    if b < 0.0:\n        █\n"
    raw = "b = 0.0\n    if r > 1.0:\n        r = 1.0\n    return (r, g, b)\n\ndef h():\n    pass\n"
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id="python", path="f")
    reader = AnswerReader(ctx)
    shown, stop = [], None
    for end in range(1, len(raw) + 1):
        early, stop = reader.feed(raw[:end])
        shown += [early] if early is not None else []
        if stop is not None:
            break
    assert shown[0] == Suggestion("b = 0.0")
    assert stop is not None and "def h" not in stop
    answer = reader.finish(stop)
    assert answer == Suggestion("b = 0.0\n    if r > 1.0:\n        r = 1.0\n    return (r, g, b)")
    # What this spot shows, even whole (a requested completion): the block, never past it.
    assert reader.shown_whole(answer) == Suggestion("b = 0.0")


def test_a_requested_block_keeps_only_the_block() -> None:
    doc = "def clamp(r, g, b):\n    if b < 0.0:\n        █\n"
    _, answer, _ = read(doc, "b = 0.0\n    if r > 1.0:\n        r = 1.0\n", early=False)
    assert answer == Suggestion("b = 0.0")


def test_a_long_answer_is_handed_over_each_time_its_lines_have_doubled() -> None:
    """The pause after a few accepted lines is served from the lines streamed so far, not
    only once the whole (up to ``LOOKAHEAD_LINES``) answer is in; each hand-over
    post-processes the answer so far, so they come as its lines double (all of them cost
    at most about twice one post-processing)."""
    raw = "0.59*g + 0.11*b\n" + "".join(f"    v{n} = y + {n}\n" for n in range(9)) + "\n"
    shown, answer, _ = read(YIQ, raw)
    assert [s.text.count("\n") for s in shown] == [0, 1, 2, 4, 8]
    assert answer is not None and answer.text.count("\n") == 9
