"""The real-model corpus oracle itself: it sees each kind of bad suggestion and passes real code,
in every language of ``bench/real_model/oracle_syntax.py``; and it stays apart from the
post-processor it grades (it imports nothing of ``iskra_ls``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.real_model.alarms import run_language  # noqa: E402
from bench.real_model.cases import LANGUAGES, source_files  # noqa: E402
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
        # The languages added for issue 18.
        ("int main(void) {\n    int total = █;\n}\n", "Here is the value you asked for", "c", 0,
         "prose"),
        ("int main(void) {\n    █\n}\n", "```c\nreturn 0;\n```", "c", 0, "fence"),
        ("int f(void) {\n    █\n}\n\nint g(void) {\n    return 1;\n}\n",
         "return 0;\n}\n\nint h(void) {", "c", 0, "past_block"),
        ("class A {\n    void f() {\n        █\n    }\n}\n", "  return;", "java", 0, "indent"),
        ("class A {\n    void f() {\n        int x = g(█);\n    }\n}\n", "a, b);", "java", 0,
         "duplicate"),
        ("std::vector<int> v = {█};\n", "1, 2}; // the values", "cpp", 0, "duplicate"),
        ("def f(x)\n  █\nend\n", "x + 1\nend\nend\nputs 1", "ruby", 0, "past_block"),
        ("def f(x)\n  y = g(█)\nend\n", "x # the argument", "ruby", 0, "swallowed_closer"),
        ("sub f {\n    my $x = █;\n}\n", "This returns the first argument", "perl", 0, "prose"),
        ("if [ -n \"$x\" ]; then\n    █\nfi\n", "echo ok\nfi\nfi\necho done", "shellscript", 0,
         "past_block"),
        ("if [ -n \"$x\" ]; then\n    █\nfi\n", "Here is the code you asked for:",
         "shellscript", 0, "prose"),
        ("all: build\n\t█\n", "The following target builds the code", "makefile", 0, "prose"),
        ("SELECT name FROM users WHERE id = █;\n", "The id of the user you want", "sql", 0,
         "prose"),
        ("# Title\n\nSome text █\n", "```markdown\nmore text\n```", "markdown", 0, "fence"),
        ("Intro:\n\n```python\n█\n```\n", "x = 1\n```", "markdown", 0, "fence"),
        ("a:\n  b: 1\n  █\n", "c: 2\nd: 3", "yaml", 0, "past_block"),
        ("a:\n  b: 1\n  █\n", "Here is the YAML you asked for:", "yaml", 0, "prose"),
        ("a:\n  b: 1\n  █\n", "c:\n\t\td: 1", "yaml", 0, "indent"),
        ("{\n  \"a\": [█]\n}\n", "1, 2]", "json", 0, "duplicate"),
        ("{\n  \"a\": █\n}\n", "the value of the key", "json", 0, "prose"),
        ("[package]\nname = █\n", "the name of the crate", "toml", 0, "prose"),
        ("[dependencies]\n█", "serde = \"1\"\n\n[package]\nname = \"y\"", "toml", 0,
         "past_block"),
        ("<ul>\n  <li>a</li>\n  █\n</ul>\n", "<li>b</li>\n</ul>\n<p>more</p>", "html", 0,
         "past_block"),
        ("<div>\n  █\n</div>\n", "<code>x</code>", "html", 0, "wrapper"),
        (".a {\n  █\n}\n", "color: red;\n}\n\n.b {", "css", 0, "past_block"),
        (".a {\n  █\n}\n", "This rule sets the color of the link", "css", 0, "prose"),
        ("<?php\nfunction f() {\n    return █;\n}\n", "The value you want to return", "php", 0,
         "prose"),
        ("<?php\nfunction f() {\n    $x = g(█);\n}\n", "$y); // done", "php", 0,
         "swallowed_closer"),
        ("x = 1\n█", "```\ny = 2\n```", "plaintext", 0, "fence"),
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
        # Issue 18's right answers that a keyword list of five languages called English, and
        # prose where prose is the content (a comment, POD, Markdown, HTML text, YAML text).
        ("public class A {\n    █\n}\n", "public static void main(String[] args) {", "java", 0),
        ("public class A {\n    █\n}\n", "static final int MAX_SIZE = 10;", "java", 0),
        ("/*\n * Copyright\n * █\n */\n", "accompanied this code).", "java", 0),
        ("int main(void) {\n    █\n}\n", "unsigned long long total = 0;", "c", 0),
        ("#include <stdio.h>\n█\n", "#ifdef _MSC_VER", "c", 0),
        ("#include <stdio.h>\n#if 0\n█\n#endif\n", "#error this platform is not supported",
         "c", 0),
        ("class A {\n  █\n};\n", "virtual const char* name() const = 0;", "cpp", 0),
        ("class A\n  def f\n    █\n  end\nend\n", "return head :forbidden unless current_user",
         "ruby", 0),
        ("module Net\n  █\nend\n", "class HTTPGenericRequest # :nodoc:", "ruby", 0),
        ("x = [1, 2]\n█", "words = %w[alpha beta gamma delta]", "ruby", 0),
        ("=head1 NAME\n\n█\n\n=cut\n", "Dumpvalue - provides screen dump of Perl data.",
         "perl", 0),
        ("our @EXPORT = █;\n", "qw(foo bar baz qux);", "perl", 0),
        ("f() {\n    █\n}\n", "echo hello world", "shellscript", 0),
        ("f() {\n    █\n}\n", "local cur prev words cword split", "shellscript", 0),
        ("case $x in\n    █\nesac\n", "-a | -b)\n        opt=1\n        ;;", "shellscript", 0),
        ("all: build\n\t█\n", "$(CC) $(CFLAGS) -o prog main.o util.o", "makefile", 0),
        (".PHONY: █\n", "all clean install test", "makefile", 0),
        ("█\n", "SELECT name FROM users WHERE id = 1;", "sql", 0),
        ("# Title\n\n█\n", "Every sentence in Markdown is content, and prose is what fits.",
         "markdown", 0),
        ("tasks:\n  - name: █\n", "Install the package you need", "yaml", 0),
        ("help_text: |\n  █\n", "This is the help text that the user reads.", "yaml", 0),
        ("tasks:\n█", "- name: x\n  debug:\n    msg: hello", "yaml", 0),
        ("{\n  \"description\": \"█\"\n}\n", "A library for reactive programming", "json", 0),
        ("[dependencies]\n█", "serde = { version = \"1\", features = [\"derive\"] }", "toml", 0),
        ("<p>\n  █\n</p>\n", "You can change these settings at any time in your profile.",
         "html", 0),
        ("{% block content %}\n█\n{% endblock %}\n",
         "<div class=\"module\">\n  <h2>Recent actions</h2>\n</div>", "html", 0),
        (".a {\n  color: #█;\n}\n", "401e7a", "css", 0),
        (".a {\n  █\n}\n", "font-family: -apple-system, \"Segoe UI\", sans-serif;", "css", 0),
        ("<?php\nclass A\n{\n    █\n}\n",
         "public function __construct(private readonly string $name)", "php", 0),
        ("interface A {\n    connections?:█\n}\n", " number | null;", "typescript", 0),
        ("const s = Symbol('█');\n", "original agent close'),", "javascript", 0),
    ],
)
def test_real_code_passes(doc: str, suggestion: str, language: str, replace_after: int) -> None:
    assert kinds(doc, suggestion, language, replace_after) == set()


CSS_FILE = ".a {\n    color: red;\n}\n\n.b {\n    margin: 0;\n}\n\n"
"""Gives a CSS document its four-space indentation."""


@pytest.mark.parametrize(
    ("doc", "suggestion", "language"),
    [
        # Django's admin/css/rtl.css:66 (3 spaces in a 4-space file): still inside the
        # block its opener at column 0 opens.
        (CSS_FILE + "table thead th.sorted .sortoptions {█\n}\n", "\n   float: left;", "css"),
        (CSS_FILE + ".c {\n    █\n}\n", "float: left;\n   clear: both;", "css"),
        ("int f(void) {\n    if (x) {\n        █\n    }\n}\n", "a();\n      b();", "c"),
    ],
)
def test_a_line_deeper_than_the_opener_is_inside_its_block(
    doc: str, suggestion: str, language: str
) -> None:
    """``past_block`` is about what closes the block: a line at or left of its opener's
    column (a closer may stand at it). An odd indentation inside is ``indent``'s to judge."""
    assert "past_block" not in kinds(doc, suggestion, language)


@pytest.mark.parametrize(
    ("doc", "suggestion", "language"),
    [
        (CSS_FILE + ".c {█\n}\n", "\n    float: left;\nh1 {", "css"),
        ("def f(x):\n    if x:█\n", "\n    return x", "python"),
        ("int f(void) {\n    if (x) {\n        █\n    }\n}\n", "a();\n    b();", "c"),
        ("int f(void) {\n    if (x) {\n        █\n    }\n}\n", "a();\n  b();", "c"),
    ],
)
def test_a_line_at_or_left_of_the_opener_leaves_its_block(
    doc: str, suggestion: str, language: str
) -> None:
    assert "past_block" in kinds(doc, suggestion, language)


def test_first_tokens_and_parse() -> None:
    assert first_tokens("foo(bar, baz)", 3) == ["foo", "(", "bar"]
    doc = "def f(x):\n    \n"
    assert python_parses(doc, 14, "return x")
    assert not python_parses(doc, 14, "return x)")


def test_the_oracle_stands_apart_from_the_post_processor() -> None:
    """The oracle grades iskra-ls's post-processing: it must not read code with its rules."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bench.real_model.invariants; "
         "print(sorted(m for m in sys.modules if m.split('.')[0] == 'iskra_ls'))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]"


SAMPLE_LINES = 25
"""Code lines per language here; ``python -m bench.real_model.alarms`` runs 1000 (the note)."""


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if source_files(lang)])
def test_real_lines_raise_no_alarm(language: str) -> None:
    """Every kind of cursor cut at real lines of the language's files (``bench.sources``),
    with the real code as the answer: the oracle flags none of it."""
    result = run_language(language, SAMPLE_LINES, show=3)
    assert result.checks >= SAMPLE_LINES // 2
    assert result.alarms == 0, result.examples
