"""The indentation helpers shared by prompt building and post-processing (pure).

:mod:`.context` uses them to describe the document's style to the model;
:mod:`.postprocess` uses them to re-indent the answer into that style. They live
below both so neither has to reach into the other for them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from iskra_ls.textdoc import split_lines, strip_line_ending

_TAB_COLUMNS = 4
_SCAN_LINES = 800
_ENOUGH_EVIDENCE = 60
"""Indented lines after which the indentation unit is considered known."""

_TRAILING_COMMENT = re.compile(r"(?<=\s)(?:#|//|--)")
"""Where a trailing comment starts: a marker after whitespace (searched, never backtracked)."""
_OPENER_WORD = re.compile(r"(?:^|\s)(?:then|do|else|repeat)$")
_FUNCTION_HEADER = re.compile(r"(?:^|[\s=(])function\b")
"""``local function f(x)`` (Lua): the body follows on the next lines, no bracket opens it."""
_SYMBOL_OPENERS = (":", "{", "(", "[", "=>")


def leading_ws(line: str) -> str:
    """The run of spaces and tabs that starts ``line``."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_columns(ws: str, indent_unit: str = "    ") -> int:
    """Width of leading whitespace in columns; a tab is one unit (4 columns for tabs)."""
    tab = len(indent_unit) if indent_unit.strip(" ") == "" and indent_unit else _TAB_COLUMNS
    return sum(tab if ch == "\t" else 1 for ch in leading_ws(ws))


def render_indent(columns: int, indent_unit: str) -> str:
    """Whitespace of ``columns`` width in the document's style (tabs, then spaces)."""
    columns = max(columns, 0)
    if indent_unit == "\t":
        return "\t" * (columns // _TAB_COLUMNS) + " " * (columns % _TAB_COLUMNS)
    return " " * columns


def code_part(line: str) -> str:
    """The line without a trailing ``#``/``//``/``--`` comment, right-stripped (heuristic)."""
    comment = _TRAILING_COMMENT.search(line)
    return (line[: comment.start()] if comment else line).rstrip()


def opens_block(line: str) -> bool:
    """Whether ``line`` ends with something that opens an indented block or bracket."""
    code = code_part(line)
    if not code:
        return False
    return (
        code.endswith(_SYMBOL_OPENERS)
        or bool(_OPENER_WORD.search(code))
        or _function_header(code)
    )


def _function_header(code: str) -> bool:
    """Whether ``code`` ends a ``function`` header: ``function`` and then no brace up to
    a final ``)``. Only the text after the last brace is searched (linear on long lines)."""
    if not code.endswith(")"):
        return False
    brace = max(code.rfind("{"), code.rfind("}"))
    return bool(_FUNCTION_HEADER.search(code if brace < 0 else code[brace:]))


_COMMENT_LINE = ("#", "//", "--", "*", "/*", ";")
_BLOCK_OPEN = re.compile(r'"""|\'\'\'|/\*|--\[=*\[')


def _code_lines(lines: list[str]) -> Iterator[str]:
    """The lines of ``lines`` that are code: not blank, not a comment, not inside a
    triple-quoted string or a block comment (a heuristic, line by line)."""
    closer: str | None = None
    for line in lines:
        body = strip_line_ending(line)
        stripped = body.strip()
        if closer is not None:
            if closer in body:
                closer = None
            continue
        if not stripped or stripped.startswith(_COMMENT_LINE):
            closer = _opened_block(stripped) if stripped.startswith(("/*", "--[")) else None
            continue
        opened = _opened_block(body)
        if opened is not None and stripped.startswith(('"""', "'''", 'r"""', "r'''")):
            closer = opened
            continue  # the docstring's first line is prose too
        closer = opened
        yield body


def _opened_block(line: str) -> str | None:
    """The closer of a block string/comment that ``line`` leaves open, if any."""
    pos = 0
    while (match := _BLOCK_OPEN.search(line, pos)) is not None:
        token = match.group(0)
        close = {"/*": "*/"}.get(token, token if token[0] in "\"'" else "]" + token[3:-1] + "]")
        end = line.find(close, match.end())
        if end < 0:
            return close
        pos = end + len(close)
    return None


def detect_indent_unit(text: str) -> str:
    """The document's indentation unit, from how its indented lines grow.

    Tabs win when most indented lines start with one; otherwise the most common
    increase in leading spaces between consecutive lines (2, 3, 4 or 8); four spaces
    when there is nothing to go by.
    """
    return indent_evidence(text) or "    "


def indent_evidence(text: str) -> str | None:
    """The indentation unit that the document's code lines show, or None without evidence.

    Only code counts: lines inside docstrings and block comments, and comment lines,
    often carry their own layout (a docstring's two-space list in a four-space file).
    Growth right after a line that opens a block is the surest sign and weighs most.
    """
    tabs = spaces = 0
    growth: Counter[int] = Counter()
    previous = 0
    previous_opens = False
    for body in _code_lines(split_lines(text[: _SCAN_LINES * 200])[:_SCAN_LINES]):
        stripped = body.lstrip(" \t")
        ws = body[: len(body) - len(stripped)]
        if ws.startswith("\t"):
            tabs += 1
            previous_opens = opens_block(body)
            continue
        if ws:
            spaces += 1
            if spaces >= _ENOUGH_EVIDENCE:
                break
        width = len(ws)
        if width > previous:
            growth[width - previous] += 3 if previous_opens else 1
        previous = width
        previous_opens = opens_block(body)
    if tabs > spaces:
        return "\t"
    for step, _count in growth.most_common():
        if step in (2, 3, 4, 8):
            return " " * step
    return "\t" if tabs else None
