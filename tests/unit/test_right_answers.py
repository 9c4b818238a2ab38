"""A right answer is never dropped, in any language (issue 18.1).

Each case is one reproduced on the old post-processing: the scripted model answers
exactly what the person typed next, and the server must show it as written. The
language-wide figures are the ground-truth bench's (``bench/ground_truth.py``).
"""

from __future__ import annotations

import pytest

from iskra_ls.completion.context import build_context
from iskra_ls.completion.postprocess import postprocess

CURSOR = "█"
COLORSYS = (
    "def rgb_to_hsv(r, g, b):\n"
    "    maxc = max(r, g, b)\n"
    "    minc = min(r, g, b)\n"
    "    v = maxc\n"
)


def shown(doc: str, raw: str, language_id: str) -> str | None:
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language_id,
                        path=f"file.{language_id}")
    suggestion = postprocess(raw, ctx)
    return None if suggestion is None else suggestion.text


CODE_LINES = [
    ("java", "public class Main {\n    public █\n}\n", "static void main(String[] args) {"),
    ("java", "public class Limits {\n    private █\n}\n", "static final int MAX_SIZE = 10;"),
    ("c", "int sum(void) {\n    █\n}\n", "unsigned long long total = 0;"),
    ("cpp", "class Shape {\npublic:\n    █\n};\n", "virtual const char* name() const = 0;"),
    ("kotlin", "class Cart {\n    █\n}\n", "private val items = mutableListOf<String>()"),
    ("swift", "class ViewController: UIViewController {\n    █\n}\n",
     "override func viewDidLoad() {"),
    ("ruby", "def show\n  █\nend\n", "return head :forbidden unless current_user"),
    ("shellscript", "#!/bin/sh\n█\n", "echo hello world"),
    ("sql", "█\n", "SELECT name FROM users WHERE id = 1;"),
    ("markdown", "# Notes\n\nThe server keeps █\n", "one connection open for every request."),
    ("plaintext", "Dear team,\n\n█\n", "Thank you for the quick answer yesterday."),
    ("java", "/*\n * This code is distributed in the hope that it will be useful, but\n"
     " * WITHOUT ANY WARRANTY; see the License (a copy of which\n █\n */\n",
     "* accompanied this code)."),
    ("perl", "package Foo;\n\n=head1 DESCRIPTION\n\n█\n\n=cut\n\n1;\n",
     "This module reads the configuration file and returns a hash of settings."),
    ("javascript", "module.exports = {\n  kClose: Symbol('█\n  kDestroy: Symbol('destroy'),\n};\n",
     "original agent close'),"),
]


@pytest.mark.parametrize(("language_id", "doc", "raw"), CODE_LINES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CODE_LINES)])
def test_a_line_of_real_code_or_text_is_shown_as_written(
    language_id: str, doc: str, raw: str
) -> None:
    assert shown(doc, raw, language_id) == raw


@pytest.mark.parametrize(
    ("doc", "raw"),
    [
        pytest.param(COLORSYS + "    if █\n", "g < 0.0:", id="if-header-at-end"),
        pytest.param(COLORSYS + "    if █\n    return v\n", "g < 0.0:",
                     id="if-header-body-not-yet"),
        pytest.param(COLORSYS + "    i█\n", "f g > 1.0:", id="word-started-header"),
    ],
)
def test_a_block_header_whose_body_is_not_written_yet(doc: str, raw: str) -> None:
    assert shown(doc, raw, "python") == raw


@pytest.mark.parametrize(
    ("typed", "raw"),
    [
        pytest.param(" ", "   return (r, g, b)", id="one-of-four"),
        pytest.param("  ", "  return (r, g, b)", id="two-of-four"),
    ],
)
def test_part_of_the_indentation_typed(typed: str, raw: str) -> None:
    doc = COLORSYS + "    if v == 0:\n        return 0.0, 0.0, v\n" + typed + CURSOR + "\n"
    assert shown(doc, raw, "python") == raw


@pytest.mark.parametrize(
    ("language_id", "doc", "raw"),
    [
        pytest.param("javascript", "function f() {\n  /█\n}\n", "/ done", id="comment-slash"),
        pytest.param("css", "a {\n  color: #█\n}\n", "401e7a;", id="css-hash-is-no-comment"),
        pytest.param("typescript", "interface Pool {\n    connections?:█\n}\n", " number | null;",
                     id="ts-colon-is-no-opener"),
    ],
)
def test_the_line_is_continued_where_it_was_typed(language_id: str, doc: str, raw: str) -> None:
    assert shown(doc, raw, language_id) == raw


@pytest.mark.parametrize(
    ("language_id", "doc", "raw"),
    [
        pytest.param(
            "javascript",
            "function check(a) {\n  if (a) {\n    return 1;\n  }\n  █\n}\n",
            "for (const x of a) {\n    use(x);\n  }\n  return 2;",
            id="javascript-two-spaces",
        ),
        pytest.param(
            "c",
            "int f(int a)\n{\n\tif (a) {\n\t  x = 1;\n\t  █\n\t}\n\treturn 0;\n}\n",
            "y = 2;\n\t  z = 3;",
            id="c-tab-plus-two",
        ),
    ],
)
def test_a_block_keeps_the_documents_indentation(language_id: str, doc: str, raw: str) -> None:
    assert shown(doc, raw, language_id) == raw


@pytest.mark.parametrize(
    ("language_id", "doc", "raw"),
    [
        pytest.param("ruby", "module Net\n  class Parser #:nodoc:█\n  end\n\n"
                     "  def self.load(path)\n    File.read(path)\n  end\nend\n",
                     "\n    def parse(text)\n      text.split\n    end", id="ruby-class-nodoc"),
        pytest.param("yaml", "fields:\n  help_text: |█\n  label: Name\n",
                     "\n    Shown below the field.", id="yaml-block-scalar"),
        pytest.param("c", "#include <stdio.h>\n#ifdef _MSC_VER█\n#endif\n",
                     "\n#include <windows.h>", id="c-ifdef"),
    ],
)
def test_the_block_below_an_opener_is_offered(language_id: str, doc: str, raw: str) -> None:
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language_id, path="f")
    assert ctx.multiline  # asked for a block, not for "the rest of the line" (empty)
    assert shown(doc, raw, language_id) == raw


TYPED_TOP_DOWN = [
    # Typing a file from its top: the text below the cursor does not exist yet, so the
    # docstring or comment the person is writing is unterminated; its error is the
    # document's, and the cursor is in prose.
    ("python", '"""Conversion functions between RGB and other color systems.\n\n'
     "This module█", "s two functions for each color system ABC:"),
    ("python", "import os\n\n\ndef f():\n    '''Return the █", "home directory of the user."),
    ("python", 'x = 1\n"""Notes:\n\n- the first █', "item of the list"),
    ("javascript", "/**\n * Returns the █", "number of open connections."),
    ("c", "#include <stdio.h>\n\n/* Copyright the █", "authors of this file."),
    ("java", "package a;\n\n/**\n * The █", "class that reads the configuration."),
    ("rust", "fn main() {}\n\n/* The █", "parser for the configuration file."),
]


@pytest.mark.parametrize(("language_id", "doc", "raw"), TYPED_TOP_DOWN,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(TYPED_TOP_DOWN)])
def test_prose_in_an_unterminated_docstring_or_comment_is_shown(
    language_id: str, doc: str, raw: str
) -> None:
    assert shown(doc, raw, language_id) == raw


@pytest.mark.parametrize(
    ("language_id", "doc", "raw"),
    [
        # The suggestion closes the docstring, then writes code that does not parse.
        ("python", '"""Conversion functions.\n\nThis module█', ' does it."""\ndef f(:'),
        ("javascript", "/**\n * Returns the █", "count.\n */\nfunction f( {"),
    ],
)
def test_broken_code_after_an_unterminated_docstring_is_still_dropped(
    language_id: str, doc: str, raw: str
) -> None:
    got = shown(doc, raw, language_id)
    assert got is None or "(" not in got


@pytest.mark.parametrize(
    ("language_id", "doc", "raw"),
    [
        # Only a doc comment above: the document shows no indentation unit of its own.
        pytest.param("typescript", "/**\n * Checks a date.\n */\n"
                     "export function isValidDate(value: any): value is Date {█\n}\n",
                     "\n  return value instanceof Date;", id="ts-two-spaces-unseen"),
        pytest.param("python", "def f(x):█\n", "\n  return x", id="python-first-body"),
    ],
)
def test_an_answers_indentation_stays_where_the_document_shows_none(
    language_id: str, doc: str, raw: str
) -> None:
    assert shown(doc, raw, language_id) == raw


def test_an_answers_indentation_follows_the_unit_the_document_shows() -> None:
    doc = "def g(y):\n    return y\n\n\ndef f(x):█\n"
    assert shown(doc, "\n  return x", "python") == "\n    return x"


LONG_JAVADOC = (
    "package a;\n\npublic class Lists {\n    /**\n"
    + "     * Removes the elements of this list that the filter matches, in order.\n" * 40
    + "     */\n    void removeIf(Filter f) {}\n\n    /**\n"
    + "     * Removes from this █\n     */\n    void removeRange(int from, int to) {}\n}\n"
)


def test_prose_in_a_comment_the_parse_window_starts_inside_is_shown() -> None:
    """The window parsed starts inside an earlier comment (no top-level line near): the
    grammar misreads the file, and English in the cursor's comment is still the content."""
    raw = "list all of the elements whose index is between"
    assert shown(LONG_JAVADOC, raw, "java") == raw


def test_english_where_code_goes_in_a_misread_window_is_still_dropped() -> None:
    doc = LONG_JAVADOC.replace("     * Removes from this █\n", "     * Removes a range.\n").replace(
        "int to) {}", "int to) {\n        █\n    }")
    assert shown(doc, "This method removes every element in the range.", "java") is None


@pytest.mark.parametrize(
    ("language_id", "doc", "raw"),
    [
        pytest.param("java", "class Tree {\n    void check() {\n        if (x) {\n"
                     "            y();\n        }\n    }\n\n    /**█\n    void verify() {}\n}\n",
                     "\n     * Recursive invariant check\n     */", id="javadoc-after-opener"),
        pytest.param("python", '"""Conversion functions.\n\nThis module provides:\n\n  █\n',
                     "rgb_to_abc(r, g, b) --> a, b, c\n  abc_to_rgb(a, b, c) --> r, g, b",
                     id="docstring-two-space-list"),
        pytest.param("c", "int f(void)\n{\n\treturn 0;\n}\n\n/*█\n", "\n * Frees the list.\n */",
                     id="c-comment-in-a-tab-file"),
    ],
)
def test_a_comments_layout_is_kept_as_written(language_id: str, doc: str, raw: str) -> None:
    assert shown(doc, raw, language_id) == raw


DJANGO_ERRORS = (
    "{% block extrastyle %}\n"
    "  <link rel=\"stylesheet\" href=\"{% static \"admin/css/changelists.css\" %}\">\n"
    "{% endblock %}\n\n{% block content %}\n  <div id=\"content-main\">\n"
    "    {% block object-tools %}\n        <ul class=\"object-tools\">\n"
    "          {% change_list_object_tools %}\n        </ul>\n    {% endblock %}\n"
    "<div>\n    {% if cl.formset.errors %}\n        <p class=\"errornote\">\n    █\n"
    "    {% endif %}\n    <div class=\"module\" id=\"changelist\">\n    </div>\n</div>\n"
)


def test_text_in_a_markup_document_is_content() -> None:
    """Django's change_list.html: a sentence between tags is the page's text, never
    "English where code goes" (the early stop and the grammar's verdict dropped it)."""
    raw = ("    {% blocktranslate %}Please correct the error below.{% endblocktranslate %}\n"
           "        </p>\n        {{ cl.formset.non_form_errors }}")
    assert shown(DJANGO_ERRORS, raw, "html") == raw


def test_broken_markup_is_still_dropped() -> None:
    """The other side: where the grammar reads the page, a tag the answer leaves broken
    is still its error."""
    doc = DJANGO_ERRORS[DJANGO_ERRORS.index("<div>\n"):]
    assert shown(doc, "    <p class=\"note>\n        Please correct </p", "html") is None
