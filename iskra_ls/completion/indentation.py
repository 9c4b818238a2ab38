"""The indentation helpers shared by prompt building and post-processing (pure).

:mod:`.context` uses them to describe the document's style to the model;
:mod:`.postprocess` uses them to re-indent the answer into that style. They live
below both so neither has to reach into the other for them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from iskra_ls.textdoc import split_lines, strip_line_ending

_TAB_COLUMNS = 4
_SCAN_LINES = 800
INDENT_STEPS = (2, 3, 4, 8)
"""The widths people (and models) indent by; another common width is alignment."""
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


@dataclass(frozen=True)
class IndentStyle:
    """How a document indents: one level (``unit``) and what a tab is worth.

    Where a document mixes tabs and space-only indentation (GNU style: a 2-column step,
    every 8 columns written as a tab), indentation is a number of columns: a tab moves to
    the next tab stop of ``tab_width`` columns, and a column is written as the file writes
    it, tabs for each full ``tab_width`` and spaces for the rest. Where it does not mix,
    ``tab_width`` is 0 and a tab is one level (:data:`_TAB_COLUMNS` wide in a file indented
    by tabs, one unit in a file indented by spaces: a model's tab is its level).
    """

    unit: str = "    "
    tab_width: int = 0
    tabs_fill: bool = True
    """Where the file mixes: whether it writes a run of ``tab_width`` columns as a tab
    (GNU style) or mostly as spaces (a spaces file with a few tab-indented lines)."""

    @property
    def tab_columns(self) -> int:
        if self.tab_width:
            return self.tab_width
        return len(self.unit) if self.unit and self.unit.strip(" ") == "" else _TAB_COLUMNS

    @property
    def unit_columns(self) -> int:
        return self.columns(self.unit) or _TAB_COLUMNS

    def columns(self, line: str) -> int:
        """Width of ``line``'s leading whitespace in columns (tabs to their tab stops)."""
        tab, width = self.tab_columns, 0
        for ch in leading_ws(line):
            width = (width // tab + 1) * tab if ch == "\t" else width + 1
        return width

    def render(self, columns: int) -> str:
        """Whitespace of ``columns`` width as the document writes it."""
        columns = max(columns, 0)
        if self.unit == "\t" or (self.tab_width and self.tabs_fill):
            return "\t" * (columns // self.tab_columns) + " " * (columns % self.tab_columns)
        return " " * columns


def indent_columns(ws: str, indent_unit: str = "    ") -> int:
    """Width of leading whitespace in columns, a tab being one level (see
    :class:`IndentStyle`, which also knows the tab width of a file that mixes)."""
    return IndentStyle(indent_unit).columns(ws)


def render_indent(columns: int, indent_unit: str) -> str:
    """Whitespace of ``columns`` width in the document's style (tabs, then spaces)."""
    return IndentStyle(indent_unit).render(columns)


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
    """The indentation unit that the document's code lines show, or None without evidence."""
    style = indent_style(text)
    return style.unit if style is not None else None


_TAB_WIDTHS = (8, 4)
"""Candidate tab widths of a file that mixes tabs and spaces, the default (GNU, Emacs) first."""


def indent_style(text: str) -> IndentStyle | None:
    """How the document's code lines indent, or None without evidence.

    Only code counts: lines inside docstrings and block comments, and comment lines,
    often carry their own layout (a docstring's two-space list in a four-space file).
    Growth right after a line that opens a block is the surest sign and weighs most.
    A file indented by tabs alone or by spaces alone gets its unit (tabs when most
    indented lines start with one; else the most common growth of 2, 3, 4 or 8 spaces).
    A file that mixes tab-led and space-only lines measures in columns: the tab width is
    the one of :data:`_TAB_WIDTHS` under which the most lines after an opener, where one
    of the two lines is tab-led and the other not, are one step deeper (8, as GNU style
    and Emacs have it, when nothing tells); the unit is the growth in those columns, and
    a column that wide is written as a tab when most lines that deep start with one.
    """
    lines = list(_code_lines(split_lines(text[: _SCAN_LINES * 200])[:_SCAN_LINES]))
    tabs = sum(line.startswith("\t") for line in lines)
    spaces = sum(line.startswith(" ") and "\t" not in leading_ws(line) for line in lines)
    if tabs and spaces:
        width = _mixed_tab_width(lines)
        step = _growth_step(lines, IndentStyle(" ", width))
        if step is None or step % width == 0:
            return IndentStyle("\t", width)
        wide = [line for line in lines if IndentStyle(" ", width).columns(line) >= width]
        fill = 2 * sum(line.startswith("\t") for line in wide) >= len(wide)
        return IndentStyle(" " * step, width, fill)
    if tabs:
        return IndentStyle("\t")
    step = _growth_step(lines, IndentStyle(" "))
    return IndentStyle(" " * step) if step is not None else None


def _growth_step(lines: list[str], style: IndentStyle) -> int | None:
    """The most common growth (2, 3, 4 or 8 columns) between consecutive code lines."""
    growth: Counter[int] = Counter()
    previous = 0
    previous_opens = False
    measured = 0
    for body in lines:
        width = style.columns(body)
        if width:
            measured += 1
            if measured > _ENOUGH_EVIDENCE:
                break
        if width > previous:
            growth[width - previous] += 3 if previous_opens else 1
        previous = width
        previous_opens = opens_block(body)
    for step, _count in growth.most_common():
        if step in INDENT_STEPS:
            return step
    return None


def _mixed_tab_width(lines: list[str]) -> int:
    """The tab width that fits the lines right after an opener best (see :func:`indent_style`)."""
    steps: Counter[int] = Counter(
        len(leading_ws(line)) - len(leading_ws(above))
        for above, line in pairwise(lines)
        if "\t" not in leading_ws(above) + leading_ws(line)
    )
    space_step = next((s for s, _ in steps.most_common() if s in INDENT_STEPS), None)
    scores: Counter[int] = Counter()
    for above, line in pairwise(lines):
        if not opens_block(above) or above.startswith("\t") == line.startswith("\t"):
            continue
        for width in _TAB_WIDTHS:
            style = IndentStyle(" ", width)
            growth = style.columns(line) - style.columns(above)
            if growth > 0 and (space_step is None or growth == space_step):
                scores[width] += 1
    best = max(_TAB_WIDTHS, key=lambda width: scores[width])  # ties: the first, 8
    return best
