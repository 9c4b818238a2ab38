"""The real-model corpus oracle itself: it sees each kind of bad suggestion and passes real code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.real_model.invariants import check, first_tokens, python_parses  # noqa: E402

CURSOR = "█"
LUA = "local function g()\n  return 1\nend\n"
"""Gives a Lua document its two-space indentation."""


def kinds(doc: str, suggestion: str, language: str = "python", replace_after: int = 0) -> set[str]:
    offset = doc.index(CURSOR)
    text = doc.replace(CURSOR, "", 1)
    return {v.kind for v in check(text, offset, language, suggestion, replace_after)}


@pytest.mark.parametrize(
    ("doc", "suggestion", "language", "replace_after", "kind"),
    [
        ("x = █\n", "```python\nx = 1\n```", "python", 0, "fence"),
        ("x = █\n", "1 <CURSOR>", "python", 0, "marker"),
        ("x = █\n", "<code>", "python", 0, "wrapper"),
        ("x = █\n", "Write the rest of the current line", "python", 0, "wrapper"),
        ("p = os.path.normcase(█)\n", "This function normalises the path", "python", 0, "prose"),
        ("x = █\n", "The current line at : one line, no line break.", "python", 0, "prose"),
        ("let x = █;\n", "Here is the value you asked for", "rust", 0, "prose"),
        ("x = █\n", "1\ny = 2", "python", 0, "multi_line"),
        ("def f(x):\n    █\n", "    return x", "python", 0, "indent"),
        ("def f(x):\n    if x:█\n", "\n            return x", "python", 0, "indent"),
        ("p = f(█)\n", "path)", "python", 0, "duplicate"),
        ("p = f(█)\n", "path))", "python", 1, "duplicate"),
        ("p = f(a, █b)\n", "b)", "python", 0, "duplicate"),
        ("heap[█]\n", "# index", "python", 0, "swallowed_closer"),
        ("t[█]\n", "-- the key", "lua", 0, "swallowed_closer"),
        ("def f(x):\n    █\n\ndef g():\n    pass\n", "return x\n\ndef g():\n    pass", "python", 0,
         "past_block"),
        ("func f() {\n\t█\n}\n\nfunc g() {}\n", "return\n}\n\nfunc h() {", "go", 0, "past_block"),
        ("local function f()\n  █\nend\n", "return 1\nend\nend\nlocal y = 2", "lua", 0,
         "past_block"),
    ],
)
def test_bad_suggestions_are_seen(
    doc: str, suggestion: str, language: str, replace_after: int, kind: str
) -> None:
    assert kind in kinds(doc, suggestion, language, replace_after)


@pytest.mark.parametrize(
    ("doc", "suggestion", "language", "replace_after"),
    [
        ("x = 1\n█", "for i in range(n):\n    print(i)", "python", 0),
        ("def f(x):\n    █\n", "return x is not None", "python", 0),
        ("p = f(█)\n", "path)", "python", 1),
        ("print(\"█\")\n", "hello world from here", "python", 0),
        ("def f():\n    \"\"\"Return the value of █\n", "the thing we want to know.", "python", 0),
        ("for (const x of █)\n", "items", "javascript", 0),
        ("import █\n", "{ a } from \"b\";", "typescript", 0),
        ("class A {\n  █\n}\n", "private readonly foo: string;", "typescript", 0),
        ("impl █\n", "Display for Foo {", "rust", 0),
        ("fn f<'a>(x: &'a str) -> █\n", "&'a str {", "rust", 0),
        ("func main() {\n\t█\n}\n", "var x int\n\tfmt.Println(\"hello world from go\")", "go", 0),
        (LUA + "local function f()\n  █\nend\n", "for _, v in ipairs(t) do\n    print(v)\n  end",
         "lua", 0),
        (LUA + "if x then█\nend\n", "\n  return not y and z or w", "lua", 0),
        ("x = █\n", "True if flag else False", "python", 0),
    ],
)
def test_real_code_passes(doc: str, suggestion: str, language: str, replace_after: int) -> None:
    assert kinds(doc, suggestion, language, replace_after) == set()


def test_first_tokens_and_parse() -> None:
    assert first_tokens("foo(bar, baz)", 3) == ["foo", "(", "bar"]
    doc = "def f(x):\n    \n"
    assert python_parses(doc, 14, "return x")
    assert not python_parses(doc, 14, "return x)")
