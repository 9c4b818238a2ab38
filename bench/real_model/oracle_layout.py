"""The oracle's reading of layout: indentation unit, the block the cursor is in, block depth.

Part of the real-model corpus's oracle (``invariants.py``), written apart from iskra-ls's
own indentation code: the unit comes from how the document's code lines (by the oracle's
lexer) grow, the block's floor from the cursor's line or the opener above it, and the depth
from the brackets and keywords of ``oracle_syntax``.
"""

from __future__ import annotations

import re

from bench.real_model.oracle_lexer import lex
from bench.real_model.oracle_syntax import Syntax, syntax

_TAB_COLUMNS = 4
_YAML_DASHES = re.compile(r"(?:-[ \t]+)*")
_CHAIN = re.compile(r"[?:][ \t]+")
"""A line that goes on with ``? a`` / ``: b`` (a conditional split over lines)."""
_SCAN_LINES = 800
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)")
_TEMPLATE_OPEN = re.compile(
    r"\{%-?\s*(?:block|if|for|with|blocktranslate|filter|spaceless|autoescape|comment"
    r"|ifchanged|verbatim|localize|language|timezone|macro|call|raw)\b"
)
_TEMPLATE_CLOSE = re.compile(r"\{%-?\s*end\w*")


def leading_ws(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def indent_width(ws: str, unit: str = "    ") -> int:
    """Columns of the leading whitespace of ``ws``; a tab is one unit (4 with tab units)."""
    tab = len(unit) if unit and not unit.strip(" ") else _TAB_COLUMNS
    return sum(tab if ch == "\t" else 1 for ch in leading_ws(ws))


def content_width(line: str, unit: str, table: Syntax) -> int:
    """The column a line's content starts at: after YAML's ``- `` list dashes, else its
    indentation (a YAML item's keys line up after its dash)."""
    width = indent_width(line, unit)
    lead = _YAML_DASHES if table.lexer == "yaml" else _CHAIN
    found = lead.match(line.lstrip(" \t"))
    return width + (len(found.group(0)) if found else 0)


def _code_lines(text: str, language: str) -> list[tuple[str, str]]:
    """(line, code part) for the first lines that start on code: not inside a string or
    comment that an earlier line opened, and not a comment line (a line may start a
    string: Go's import paths, a list of strings)."""
    table = syntax(language)
    comments = table.line_comments + tuple(opener for opener, _ in table.block_comments)
    head = text[: _SCAN_LINES * 200]
    mask = lex(head, language)[0]
    out: list[tuple[str, str]] = []
    pos = 0
    for line in head.split("\n")[:_SCAN_LINES]:
        body = line.lstrip(" \t")
        first = pos + len(line) - len(body)
        starts_on_code = pos == 0 or bool(mask[pos - 1])
        if body and first < len(mask) and starts_on_code and (
            mask[first] or (body[0] in "\"'`" and not body.startswith(comments or ("\0",)))
        ):
            code = "".join(ch for k, ch in enumerate(line) if mask[pos + k]).rstrip()
            out.append((line, code))
        pos += len(line) + 1
    return out


def opens_block(code: str, table: Syntax) -> bool:
    """Whether a line (its code part) is followed by an indented block."""
    return bool(code.strip()) and bool(table.opener_line.fullmatch(code.rstrip()))


def indent_evidence(text: str, language: str) -> str | None:
    """The indentation unit the document's code lines show, or None without evidence.

    Tabs when most indented code lines start with one. Otherwise the widest step (8, 4, 3
    or 2 columns) that nearly every indented code line is a multiple of and that some code
    line really steps in by from the one before (an excerpt deep inside a 4-space class
    has lines at 8 and 16 only now and then)."""
    tabs = 0
    widths: list[int] = []
    steps: set[int] = set()
    previous = 0
    for line, _code in _code_lines(text, language):
        ws = leading_ws(line)
        if ws.startswith("\t"):
            tabs += 1
            continue
        if ws:
            widths.append(len(ws))
        steps.add(len(ws) - previous)
        previous = len(ws)
    if tabs > len(widths):
        return "\t"
    for step in (8, 4, 3, 2):
        on_grid = sum(width % step == 0 for width in widths)
        if widths and step in steps and on_grid >= 0.85 * len(widths):
            return " " * step
    return "\t" if tabs else None


def mixed_indent(text: str, language: str) -> bool:
    """Whether code lines start with tabs and with spaces alike (two or more of each)."""
    tabs = spaces = 0
    for line, _code in _code_lines(text, language):
        if line[:1] == "\t":
            tabs += 1
        elif line[:1] == " ":
            spaces += 1
    return min(tabs, spaces) >= 2


def code_part(line: str, language: str) -> str:
    """``line`` without a trailing comment, right-stripped."""
    table = syntax(language)
    mask = lex(line, language)[0]
    cut = len(line)
    while cut > 0 and not mask[cut - 1]:
        cut -= 1
    markers = table.line_comments + tuple(opener for opener, _ in table.block_comments)
    if markers and line[cut:].startswith(markers):
        return line[:cut].rstrip()
    return line.rstrip()


def wants_block(line_prefix: str, rest_of_line: str, language: str) -> bool:
    """The oracle's reading of whether a block fits at the cursor: an empty line, or the end
    of a line that opens a block (``{``, ``:``, ``then``, a tag ...)."""
    if not line_prefix.strip():
        return not rest_of_line.strip()
    code = code_part(line_prefix, language)
    if not opens_block(code, syntax(language)):
        return False
    return not rest_of_line.strip() or bool(
        code.endswith("{") and re.fullmatch(r"\s*\}[)\];,]*\s*", rest_of_line)
    )


def enclosing_indent(prefix: str, rest_of_line: str, unit: str, language: str, *,
                     multiline: bool) -> str:
    """The indentation of the block the cursor writes in: no block line may go left of it."""
    line_prefix = prefix[prefix.rfind("\n") + 1 :]
    table = syntax(language)
    if line_prefix.strip():
        return _block_indent(line_prefix, unit, table) if multiline else leading_ws(line_prefix)
    if line_prefix:
        return line_prefix
    for line in reversed(prefix.split("\n")[:-1][-50:]):
        if line.strip():
            if opens_block(code_part(line, language), table):
                return _block_indent(line, unit, table)
            return ""
    return ""


def opener_column(prefix: str, unit: str, language: str) -> int | None:
    """The column of the line that opens the block the cursor writes in (the cursor's own
    line after an opener; else the nearest code line above left of the cursor), or None
    when it is not seen. Where brackets or keywords close blocks, a line deeper than its
    opener is still inside, whatever the body's column (Django's admin ``rtl.css`` has
    ``   float: left;``, 3 spaces in a 4-space file, under a rule at column 0)."""
    line_prefix = prefix[prefix.rfind("\n") + 1 :]
    table = syntax(language)
    if line_prefix.strip():
        return content_width(line_prefix, unit, table)
    cursor = indent_width(line_prefix, unit)
    for line in reversed(prefix.split("\n")[:-1][-50:]):
        if not line.strip():
            continue
        if not line_prefix:  # column 0: the line above opens the block, or there is none
            return content_width(line, unit, table) if opens_block(
                code_part(line, language), table) else None
        if line.strip().startswith(table.comment_line) or not code_part(line, language):
            continue
        width = content_width(line, unit, table)
        if width < cursor:
            return width
    return None


def _block_indent(opener: str, unit: str, table: Syntax) -> str:
    """Where the block below ``opener`` starts: one unit in, or at the opener's own
    column when the language does not indent that block (a TOML table)."""
    if table.flat_opener is not None and table.flat_opener.fullmatch(opener.rstrip()):
        return leading_ws(opener)
    width = content_width(opener, unit, table)
    if table.free_steps:
        return " " * (width + 1)  # YAML: any deeper column starts the block
    if unit == "\t":
        return leading_ws(opener) + unit
    return " " * width + unit


def block_delta(code: str, table: Syntax) -> int:
    """Blocks a line of code (strings and comments masked) opens minus those it closes."""
    delta = 0
    for bracket in table.block_brackets:
        closer = {"{": "}", "(": ")", "[": "]"}[bracket]
        delta += code.count(bracket) - code.count(closer)
    if table.block_open is not None and table.block_close is not None:
        delta += len(table.block_open.findall(code)) - len(table.block_close.findall(code))
    if table.lexer == "html":
        delta += _tag_delta(code)
    return delta


def _tag_delta(code: str) -> int:
    delta = len(_TEMPLATE_OPEN.findall(code)) - len(_TEMPLATE_CLOSE.findall(code))
    for m in _TAG.finditer(code):
        if m.group(1):
            delta -= 1
        elif m.group(2).lower() not in _VOID:
            nxt = code.find("<", m.end())
            own = code[m.end() : nxt if nxt >= 0 else len(code)]
            delta += 0 if "/>" in own else 1
    return delta
