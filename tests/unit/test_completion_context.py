"""Cursor classification and prompt building for inline completions."""

from __future__ import annotations

from pathlib import Path

import pytest

from iskra_ls.completion.context import (
    BLOCK_MAX_TOKENS,
    CURSOR_MARKER,
    LOOKAHEAD_MAX_TOKENS,
    SINGLE_LINE_MAX_TOKENS,
    CompletionContext,
    Prompt,
    build_context,
    build_prompt,
    code_fence,
    enclosing_scope_lines,
    prompt_path,
)
from iskra_ls.completion.indentation import detect_indent_unit, indent_columns, opens_block
from iskra_ls.snapshot import WINDOW_AFTER, WINDOW_BEFORE
from iskra_ls.textdoc import split_lines

CURSOR = "█"


def shown_code(body: str) -> str:
    """The code the prompt shows: what is inside its Markdown fence."""
    return body.split("```", 1)[1].split("\n", 1)[1].rsplit("\n```", 1)[0]


def ctx_of(doc: str, language_id: str = "python", path: str = "src/app.py") -> CompletionContext:
    """A context for ``doc`` with the cursor at ``█``."""
    offset = doc.index(CURSOR)
    return build_context(doc.replace(CURSOR, "", 1), offset, language_id=language_id, path=path)


def user_message(prompt: Prompt) -> str:
    return prompt.messages[-1]["content"]


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        pytest.param("def f():\n    return 1\n", "    ", id="python-4"),
        pytest.param("if (x) {\n  y();\n  if (z) {\n    w();\n  }\n}\n", "  ", id="js-2"),
        pytest.param("int f() {\n\treturn 1;\n}\n", "\t", id="c-tabs"),
        pytest.param("a = 1\nb = 2\n", "    ", id="nothing-indented"),
        pytest.param("/**\n * doc\n */\nfunction f() {\n  x();\n}\n", "  ", id="jsdoc-ignored"),
        pytest.param("def f():\r\n        return 1\r\n", "        ", id="crlf-8"),
        pytest.param(
            "class A:\n    def m(self):\n        x = (1,\n             2)\n", "    ", id="hanging"
        ),
    ],
)
def test_detect_indent_unit(text: str, unit: str) -> None:
    assert detect_indent_unit(text) == unit


@pytest.mark.parametrize(
    ("line", "opens"),
    [
        pytest.param("def f(x):", True, id="python-colon"),
        pytest.param("if (x) {", True, id="brace"),
        pytest.param("foo(", True, id="paren"),
        pytest.param("xs = [", True, id="bracket"),
        pytest.param("const f = () =>", True, id="arrow"),
        pytest.param("if x then", True, id="then"),
        pytest.param("for i in 1..3 do", True, id="do"),
        pytest.param("while x:  # loop", True, id="trailing-comment"),
        pytest.param("x = 1", False, id="statement"),
        pytest.param("undo", False, id="word-ending-do"),
        pytest.param("", False, id="empty"),
    ],
)
def test_opens_block(line: str, opens: bool) -> None:
    assert opens_block(line) is opens


@pytest.mark.parametrize(
    ("doc", "line_prefix", "line_suffix", "multiline", "enclosing"),
    [
        pytest.param("x = fo█\n", "x = fo", "", False, "", id="end-of-statement"),
        pytest.param("print(█)\n", "print(", ")", False, "", id="mid-line-autoclosed"),
        pytest.param("def f():\n    █\n", "    ", "", True, "    ", id="blank-indented"),
        pytest.param("def f():\n█\n", "", "", True, "    ", id="empty-line-after-opener"),
        pytest.param("x = 1\n█\n", "", "", True, "", id="empty-top-level"),
        # No auto-indent: the answer's own indentation decides (completion/lookahead.py).
        pytest.param("def f():\n    maxc = 1\n█\n", "", "", True, "", id="empty-in-body"),
        pytest.param("def f(x):█\n", "def f(x):", "", True, "    ", id="after-colon"),
        pytest.param("    if x:█\n", "    if x:", "", True, "        ", id="nested-colon"),
        pytest.param("function f() {█}\n", "function f() {", "}", True, "    ", id="auto-brace"),
        pytest.param("foo(() => {█});\n", "foo(() => {", "});", True, "    ", id="callback"),
        pytest.param("foo(█\n", "foo(", "", True, "    ", id="open-paren-eol"),
        pytest.param("    █return x\n", "    ", "return x", False, "    ", id="before-code"),
        pytest.param("a = 1\r\nb = █\r\nc = 3\r\n", "b = ", "", False, "", id="crlf"),
        pytest.param("x = 1\r\n█\r\ny = 2\r\n", "", "", True, "", id="crlf-blank"),
        pytest.param("s = 'привет 🙂' + █\n", "s = 'привет 🙂' + ", "", False, "", id="cyrillic"),
        pytest.param("int f() {\n\t█\n}\n", "\t", "", True, "\t", id="c-tab-blank"),
    ],
)
def test_build_context(
    doc: str, line_prefix: str, line_suffix: str, multiline: bool, enclosing: str
) -> None:
    ctx = ctx_of(doc)
    assert (ctx.line_prefix, ctx.line_suffix) == (line_prefix, line_suffix)
    assert ctx.multiline is multiline
    assert ctx.enclosing_indent == enclosing
    assert ctx.prefix + ctx.suffix == doc.replace(CURSOR, "")


def test_build_context_keeps_crlf_whole_and_clamps() -> None:
    text = "a\r\nb"
    inside_crlf = build_context(text, 2, language_id="c", path="a.c")
    assert inside_crlf.line_prefix == "a" and inside_crlf.suffix == "\r\nb"
    assert inside_crlf.eol == "\r\n"
    past_end = build_context(text, 99, language_id="c", path="a.c")
    assert past_end.line_prefix == "b" and past_end.suffix == ""
    assert build_context("", 0, language_id="c", path="a.c").multiline


def test_tab_document_without_other_indentation_uses_the_cursor_line() -> None:
    assert ctx_of("int f() {\n\t█\n}\n", "c").indent_unit == "\t"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        pytest.param(
            "class A:\n    x = 1\n    def m(self):\n        y = 2\n        █\n",
            ["class A:", "    def m(self):"],
            id="python-nested",
        ),
        pytest.param(
            "def f(\n    a,\n):\n    █\n",
            ["def f("],
            id="split-signature",
        ),
        pytest.param(
            "function f() {\n  // note\n  if (x) {\n    █\n",
            ["function f() {", "  if (x) {"],
            id="js",
        ),
        pytest.param("x = 1\n█\n", [], id="top-level"),
    ],
)
def test_enclosing_scope_lines(doc: str, expected: list[str]) -> None:
    ctx = ctx_of(doc)
    lines = split_lines(ctx.prefix)
    indent = indent_columns(ctx.enclosing_indent, ctx.indent_unit)
    found = enclosing_scope_lines(lines, indent, ctx.indent_unit)
    assert [lines[i].rstrip("\n") for i in found] == expected


def test_prompt_one_line_when_code_follows_the_cursor() -> None:
    ctx = ctx_of("x = █compute()\n")
    assert not ctx.lines_after
    prompt = build_prompt(ctx)
    assert prompt.max_tokens == SINGLE_LINE_MAX_TOKENS
    assert "one line, no line break" in user_message(prompt)


def test_prompt_single_line_shape() -> None:
    """In the middle of a line the lines after it are asked for too (kept for after Enter)."""
    ctx = ctx_of("import os\n\nx = os.pa█\nprint(x)\n")
    assert ctx.lines_after
    prompt = build_prompt(ctx)
    assert prompt.max_tokens == LOOKAHEAD_MAX_TOKENS
    # The worked example first: a chat model answers in the form it was shown.
    assert [m["role"] for m in prompt.messages] == ["system", "user", "assistant", "user"]
    body = user_message(prompt)
    assert f"```python\nimport os\n\nx = os.pa{CURSOR_MARKER}\nprint(x)\n\n```" in body
    assert "<code>" not in body
    assert "Language: python" in body and "File: src/app.py" in body
    assert "Indentation: 4 spaces" in body
    assert "rest of the current line" in body and "lines that follow it" in body
    assert "only the text to insert" in prompt.messages[0]["content"]


def test_code_fence_outlasts_backticks_in_the_code() -> None:
    ctx = ctx_of('text = """\n```js\nx\n```\n"""\ny = █\n', "python", "f.py")
    body = user_message(build_prompt(ctx))
    assert "````python\n" in body and body.count("````") == 2


def test_prompt_block_shape_tabs() -> None:
    ctx = ctx_of("int f(void) {\n\t█\n}\n", "c", "f.c")
    prompt = build_prompt(ctx)
    assert prompt.max_tokens == BLOCK_MAX_TOKENS > SINGLE_LINE_MAX_TOKENS
    body = user_message(prompt)
    assert "Indentation: tabs" in body
    assert "block" in body and "using tabs" in body


def test_prompt_crlf_is_shown_with_lf() -> None:
    ctx = ctx_of("a = 1\r\nb = █\r\nc = 3\r\n")
    body = user_message(build_prompt(ctx))
    assert "\r" not in body
    assert f"a = 1\nb = {CURSOR_MARKER}\nc = 3" in body


def test_prompt_budget_trims_whole_lines_and_keeps_the_enclosing_scope() -> None:
    body_lines = "".join(f"    value_{i} = compute({i})\n" for i in range(400))
    after = "".join(f"other_{i} = {i}\n" for i in range(400))
    doc = f"import os\n\n\ndef handler(event):\n{body_lines}    █\n\n{after}"
    prompt = build_prompt(ctx_of(doc), budget_chars=1000)
    body = user_message(prompt)
    code = shown_code(body)
    before, after_cursor = code.split(CURSOR_MARKER)
    assert len(before) + len(after_cursor) <= 1000
    assert before.startswith("    value_")  # a whole line, not a cut one
    assert after_cursor.endswith(tuple(f"= {i}\n" for i in range(400))) or after_cursor.endswith(
        tuple(f"= {i}" for i in range(400))
    )
    assert "Enclosing scope (lines above the excerpt):\ndef handler(event):" in body
    assert "value_0 " not in code


def test_prompt_shows_no_scope_header_when_the_opener_is_in_the_window() -> None:
    body = user_message(build_prompt(ctx_of("def f():\n    █\n")))
    assert "Enclosing scope" not in body


def test_prompt_suffix_gets_unused_prefix_budget() -> None:
    after = "".join(f"line_{i} = {i}\n" for i in range(100))
    body = user_message(build_prompt(ctx_of(f"x = █\n{after}"), budget_chars=600))
    code = shown_code(body)
    assert len(code.split(CURSOR_MARKER)[1]) > 400


def test_prompt_keeps_the_tail_of_a_huge_cursor_line() -> None:
    doc = "x = " + "a + " * 5000 + "█\n"
    body = user_message(build_prompt(ctx_of(doc), budget_chars=500))
    code = shown_code(body)
    assert code.split(CURSOR_MARKER)[0].endswith("a + ")
    assert len(code) <= 520


def test_prompt_neighbours_are_budgeted_and_skip_the_own_file() -> None:
    big = "".join(f"def helper_{i}(): return {i}\n" for i in range(200))
    neighbours = [
        ("src/app.py", "SHOULD_NOT_APPEAR = 1\n"),
        ("src/util.py", big),
        ("src/models.py", "class User:\n    name: str\n"),
        ("src/empty.py", "   \n"),
        ("a.py", "x"),
        ("b.py", "y"),
        ("c.py", "z"),
    ]
    body = user_message(
        build_prompt(ctx_of("x = █\n"), neighbours=neighbours, neighbour_budget_chars=600)
    )
    section = body.split("Recently edited files (for reference only):\n", 1)[1].split("```")[0]
    assert "SHOULD_NOT_APPEAR" not in body
    assert "--- src/util.py ---\ndef helper_0(): return 0\n" in section
    assert "--- src/models.py ---\nclass User:\n    name: str" in section
    assert "c.py" not in section  # a few neighbours, not all of them
    assert len(section) <= 600 + 40


def test_prompt_without_neighbours_has_no_section() -> None:
    body = user_message(build_prompt(ctx_of("x = █\n"), neighbours=[("src/app.py", "x")]))
    assert "Recently edited" not in body


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/home/ann/work/app/src/main.py", "src/main.py", id="inside"),
        pytest.param("/home/ann/work/app/lib/sub/x.py", "x.py", id="inner-folder-wins"),
        pytest.param("/home/ann/notes/todo.py", "todo.py", id="outside: base name"),
        pytest.param("/home/ann/work/application/y.py", "y.py", id="prefix-is-not-inside"),
        pytest.param("", "", id="untitled"),
    ],
)
def test_prompt_path_never_names_the_users_folders(path: str, expected: str) -> None:
    folders = [Path("/home/ann/work/app"), Path("/home/ann/work/app/lib/sub")]
    assert prompt_path(path, folders) == expected


@pytest.mark.timeout(5)
def test_code_fence_is_one_pass_over_a_run_of_backticks() -> None:
    """A 100 K run of backticks took 6 s (a fence grown and searched for one at a time)."""
    code = "x = 1\n" + "`" * 100_000 + "\n```js\n"
    fence = code_fence(code)
    assert fence == "`" * 100_001
    assert code_fence("a `b` ``c``") == "```"


def test_the_context_is_a_bounded_window_of_a_huge_document() -> None:
    """Post-processing may split or parse ctx.prefix/suffix: they never hold the whole file."""
    line = "    value = compute(item, factor)\n"
    text = "def f():\n" + line * 600_000
    ctx = build_context(text, len(text) // 2, language_id="python", path="big.py")
    assert len(ctx.prefix) <= WINDOW_BEFORE and len(ctx.suffix) <= WINDOW_AFTER
    assert ctx.prefix.startswith("    value") and ctx.indent_unit == "    "
