"""The grammar's verdict in long files: the parsed window starts where a parse can.

The syntax filter parses a window of a few KB around the cursor. Found by the
real-model corpus (``tests/fixtures/real_completions``): in a long Java class or C++
namespace no line near the cursor is at the top level, so the window began inside a
Javadoc comment or a declaration, the grammar read the whole window as errors, and the
filter judged nothing (``elts[`` + ``public String join(...) {`` was shown); a PHP
window cut below ``<?php`` was read as HTML text, where prose is content (a paragraph
of English was shown inside ``str_replace(``); and where macros keep the grammar from
reading a C++ file, a suggestion that does not parse even on its own was shown; in a
YAML flow list (``tags: [``) a sentence was shown, which YAML accepts as one plain value.
Each row: the model's junk is dropped, the real code at the same cursor (up to the
closer the editor typed) is kept.
"""

from __future__ import annotations

import pytest

from iskra_ls.completion.context import build_context
from iskra_ls.completion.postprocess import postprocess

CURSOR = "█"

_JAVADOC = "    /**\n" + "".join(
    f"     * Line {i} of a long comment: the {{@code StringJoiner}} is not empty yet.\n"
    for i in range(40)
) + "     */\n"
JAVA = (
    "package java.util;\n\npublic final class StringJoiner {\n"
    + "".join(
        f"    private int field{i} = {i};\n" for i in range(10)
    )
    + _JAVADOC
    + "    public StringJoiner add(CharSequence newElement) {\n"
    "        final String elt = String.valueOf(newElement);\n"
    "        if (elts == null) {\n"
    "            elts = new String[8];\n"
    "        } else {\n"
    "            if (size == elts.length)\n"
    "                elts = Arrays.copyOf(elts, 2 * size);\n"
    "        }\n"
    f"        elts[{CURSOR}]\n"
    "        return this;\n"
    "    }\n}\n"
)

PHP = (
    "<?php\n\nnamespace Console\\Helper;\n\nclass ProcessHelper\n{\n"
    + "".join(
        f"    public function helper{i}(string $value): string\n"
        "    {\n"
        f"        return strtoupper($value) . '{i}';\n"
        "    }\n\n"
        for i in range(40)
    )
    + "    private function escapeString(string $str): string\n"
    "    {\n"
    f"        return str_replace({CURSOR})\n"
    "    }\n}\n"
)

CPP = (
    "namespace std _GLIBCXX_VISIBILITY(default)\n{\n_GLIBCXX_BEGIN_NAMESPACE_VERSION\n\n"
    "  template<typename _ValueT>\n"
    "    int\n"
    "    __digits(_ValueT __v)\n"
    "    {\n"
    "      int __n = 0;\n"
    "      do\n"
    "\t{\n"
    "\t  __v >>= 3;\n"
    "\t  ++__n;\n"
    "\t}\n"
    f"      while ({CURSOR});\n"
    "      return __n;\n"
    "    }\n\n"
    "_GLIBCXX_END_NAMESPACE_VERSION\n} // namespace\n"
)

CSS = "".join(
    f".aligned-{i} p.help,\n.aligned-{i} div.help {{\n    margin-top: {i}px;\n"
    f"    padding-left: 10px;\n    font-size: 13px;\n}}\n\n"
    for i in range(40)
) + f".submit-row {{\n    padding: 12px 14px 12px;\n    margin: 0 0 20px;\n    {CURSOR}\n}}\n"
"""No line of CSS starts with a keyword: the window began inside a rule, its ``}`` stood
alone, and the filter took the file for one its grammar misreads (only English judged,
and ``1px solid var`` reads as three English words)."""

YAML = (
    "- hosts: localhost\n  tasks:\n    - name: Task_with_never_tag\n"
    f"      debug: msg=NEVER\n      tags: [{CURSOR}]\n    - name: Task_with_csv_tags\n"
)


@pytest.mark.parametrize(
    ("language", "doc", "junk", "truth"),
    [
        pytest.param("java", JAVA, "public String join(StringBuilder builder) {", "size++",
                     id="java-window-in-javadoc"),
        pytest.param("php", PHP, "The processHelper class provides a helper function to run "
                     "external processes.", "'<', '\\\\<', $str", id="php-window-below-tag"),
        pytest.param("cpp", CPP, "# [22.2.2.2.1.1.1.1.1.1.", "__v != 0",
                     id="cpp-macros-misread"),
        pytest.param("css", CSS, "The submit row has a light border and rounded corners.",
                     "border: 1px solid var(--hairline-color);", id="css-window-in-a-rule"),
        pytest.param("yaml", YAML, "The above yaml file contains a list of tasks that verify "
                     "the tags.", "'never', 'donever'", id="yaml-flow-list-is-no-sentence"),
        pytest.param("yaml", YAML.replace("tags: [█]", "msg: █"), "test1_other tasks debug",
                     "test1_other tasks debug", id="yaml-plain-value-may-be-words"),
    ],
)
def test_junk_dropped_truth_kept(language: str, doc: str, junk: str, truth: str) -> None:
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language, path="f")
    if junk != truth:
        assert postprocess(junk, ctx) is None
    kept = postprocess(truth, ctx)
    assert kept is not None and kept.text == truth, kept


@pytest.mark.parametrize(
    ("doc", "text", "crossed"),
    [
        ("      while (█)\n", "# [22.2.2.2.1.1.1.1.", True),
        ("        elts[█]\n", "public String join(StringBuilder builder) {", True),
        ("x = {█}\n", "'a': [1, 2", True),
        ("      while (█)\n", "__v != 0", False),
        ("        elts[█]\n", "size++", False),
        ("f(█)\n", "g(a[1], b", False),  # its own brackets closed
        ("f(█)\n", "g(1", False),  # the typed ``)`` closes ``g(``: another filter's call
        ("f(█)\n", '"[", x', False),  # a bracket in a string
        ("f(█)\n", "[1,\n 2]", False),  # a block: not one line
        ("f(█\n", "a[1", False),  # nothing typed after the cursor
    ],
)
def test_leaves_other_bracket_open(doc: str, text: str, crossed: bool) -> None:
    from iskra_ls.completion.filters.suffix import leaves_other_bracket_open

    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id="c", path="f")
    assert leaves_other_bracket_open(text, ctx) is crossed


@pytest.mark.parametrize(
    ("doc", "raw", "expected"),
    [
        ("class A {\n    }\n\n        /**█\n        static int f() {\n",
         "\n         * Recursive invariant check\n         */",
         "\n         * Recursive invariant check\n         */"),
        ("class A {\n    /**█\n    int f() {\n",
         "\n* Returns f.\n*/", "\n     * Returns f.\n     */"),
        ("\t/**█\n\tint f() {\n", "\n * Returns f.\n */", "\n\t * Returns f.\n\t */"),
    ],
)
def test_block_comment_body_under_its_opener(doc: str, raw: str, expected: str) -> None:
    """After ``/**`` the `` * `` lines sit one column right of the ``/``, not a block level
    deeper (a Javadoc body was shown 3 columns off once the window fix let the grammar
    read the file)."""
    from iskra_ls.completion.filters.reindent import normalise_indent

    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id="java", path="f")
    assert normalise_indent(raw, ctx) == expected


@pytest.mark.parametrize(
    ("language", "doc", "text", "kept"),
    [
        ("go", "package http\n\nfunc check(req *Request, \n█\n\treturn nil\n}\n", "package main",
         False),
        ("go", "// Package http.\n█\n\nfunc f() {}\n", "package http", True),
        ("java", "package a;\n\nclass A {\n    void f(int x, \n█\n    }\n}\n", "package b;",
         False),
    ],
)
def test_a_file_head_after_code_is_a_restart(language: str, doc: str, text: str,
                                             kept: bool) -> None:
    """``package main`` below an unfinished line: the parser puts it at the top level, but
    code comes before it (found as lines kept after a blank first line on main's lookahead)."""
    from iskra_ls.completion.filters.syntax import keep_parseable

    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language, path="f")
    assert (keep_parseable(text, ctx) == text) is kept


@pytest.mark.parametrize(
    ("language", "line", "code", "opens"),
    [
        ("ruby", "      addrs.each {|addr|", "      addrs.each {|addr|", True),
        ("ruby", "      addrs.each {|addr|# :stopdoc:", "      addrs.each {|addr|", True),
        ("ruby", "      addrs.each { |a, b|", "      addrs.each { |a, b|", True),
        ("python", "x = f(y)# note", "x = f(y)", False),
        ("shellscript", "n=${#arr[@]}", "n=${#arr[@]}", False),
        ("shellscript", "echo a,#b", "echo a,#b", False),
        ("javascript", "const u = 'http://x';", "const u = 'http://x';", False),
    ],
)
def test_block_openers_and_comments(language: str, line: str, code: str, opens: bool) -> None:
    """Ruby's ``{|x|`` opens a block like ``do |x|``, also with a comment glued to it (the
    lookahead kept a ``def`` at column 0 for the line after ``each {|addr|# :stopdoc:``)."""
    from iskra_ls.languages import language_for

    entry = language_for(language)
    assert entry.code_part(line) == code
    assert entry.opens_block(line) is opens
