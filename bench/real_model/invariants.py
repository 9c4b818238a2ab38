"""What a suggestion must never be, checked from outside iskra-ls (an oracle for real model output).

Issue 14's invariants on what reaches the editor, for every language of
``oracle_syntax``, written apart from iskra-ls's post-processor (it imports nothing of
``iskra_ls``) so that the corpus test does not grade the post-processor with its own
rules. Each check looks at the document as it would be after the editor applied the
suggestion:

- ``fence`` / ``marker`` / ``wrapper``: Markdown fences (in Markdown: a fence that turns
  the rest of the document into code or out of it, or one tagged as Markdown), the cursor
  marker, the prompt's own ``<code>`` wrapper, headers or instructions echoed back;
- ``prose``: English instead of code (strings and comments excluded, and nothing is prose
  when the cursor sits inside a docstring, string or comment; in Markdown and HTML text
  prose is the content and never counts; in shell and Makefiles, whose code is words,
  only a line that reads as an English sentence does);
- ``multi_line``: more than one line when one line was asked for;
- ``indent``: a line indented off the document's unit, deeper than one level past
  the line before it, or a first line that adds indentation the cursor already has;
- ``duplicate``: the suggestion repeats the code after the cursor (the rest of the
  line, an auto-closed bracket it closes again, or the following lines);
- ``swallowed_closer``: a trailing comment or an open string that turns the
  already-typed rest of the line (``heap[# index]``) into comment or string;
- ``past_block``: a block suggestion that leaves the enclosing block (dedents out of it:
  in Python and YAML below the block's column, elsewhere to its opener's column or left of
  it, a closer allowed at the opener's; closes more than it opened: a brace, ``end``,
  ``fi``, ``done``, a tag) and runs on.

``python_parses`` is a figure, not an invariant: whether the enclosing top-level
definition still parses after the insertion.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bench.real_model.oracle_layout import (
    block_delta,
    content_width,
    enclosing_indent,
    indent_evidence,
    indent_width,
    leading_ws,
    mixed_indent,
    opener_column,
    wants_block,
)
from bench.real_model.oracle_lexer import code_mask, lex
from bench.real_model.oracle_syntax import Syntax, is_keyword, syntax

__all__ = ["KINDS", "Violation", "check", "code_mask", "first_tokens", "kinds_of",
           "python_parses"]

KINDS = (
    "fence",
    "marker",
    "wrapper",
    "prose",
    "multi_line",
    "indent",
    "duplicate",
    "swallowed_closer",
    "past_block",
)

_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_MARKDOWN_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[ \t]*(?:markdown|md)\b", re.M | re.I)
_MARKER = re.compile(r"<\s*/?\s*\|?\s*cursor\s*\|?\s*>", re.I)
_WRAPPER = re.compile(
    r"</?code>|Write the (?:rest of the current line|code that belongs)|no line break"
    r"|Enclosing scope \(|Recently edited files|^\s*(?:Language|File|Indentation):\s",
    re.I | re.M,
)

_COMMON_WORDS = {"true", "false", "null", "nil", "none", "self", "this", "super"}
_ENGLISH = {
    "the", "is", "are", "this", "that", "you", "your", "of", "will", "can", "here", "which",
    "we", "be", "an", "should", "would", "these", "there", "has", "have", "was", "were",
    "its", "please", "i", "our", "my", "how", "what", "code", "following", "example",
}
"""Words of English sentences that code written as words (shell, make) hardly uses."""
_WORD_RUN = re.compile(r"[A-Za-z_][\w']*(?: [A-Za-z_][\w']*)+")
_PLAIN_WORD = re.compile(r"[A-Za-z][a-z']*")
"""An English word; ``is_set``, ``x2``, ``mutableListOf`` are identifiers (code)."""
_SENTENCE = re.compile(r"^\s*[A-Z][a-z']+(?:,? [A-Za-z'-]+){3,}[.!?:]?\s*$")
_MARKDOWN = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,4})\s+[A-Za-z]+(?: [A-Za-z]+){2,}")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_LEX_CHARS = 60_000


@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str


Report = Callable[[str, str], None]
"""``(kind, detail)``: record one violation."""


def _masked(text: str, language: str, start: int, end: int) -> str:
    """``text[start:end]`` with strings and comments turned into ``§``."""
    mask = lex(text[:end], language)[0]
    return "".join(ch if mask[k] or ch == "\n" else "§" for k, ch in enumerate(text[:end]))[start:]


def _recent(prefix: str) -> str:
    """The text before the cursor the lexer reads: all of it up to 60 KB (a window could
    start inside a docstring and read everything inside out), else a tail from a line start."""
    if len(prefix) <= _LEX_CHARS:
        return prefix
    tail = prefix[-_LEX_CHARS:]
    return tail[tail.find("\n") + 1 :]


def _is_prose_line(line: str, table: Syntax, *, bullets: bool = True) -> str | None:
    if table.prose == "content":
        return None
    code = line.replace("§", " § ")
    if table.prose == "commands":
        return _english(code)
    if bullets and _MARKDOWN.match(code) and table.lexer != "python":
        return "markdown"
    for run in _WORD_RUN.finditer(code):
        streak = best = 0
        for word in run.group(0).split(" "):
            if (is_keyword(word, table) or word.lower() in _COMMON_WORDS
                    or not _PLAIN_WORD.fullmatch(word)):
                streak = 0
            else:
                streak += 1
                best = max(best, streak)
        if best >= 3:
            return run.group(0)
    if _SENTENCE.match(code):
        words = re.findall(r"[A-Za-z']+", code)
        if sum(is_keyword(w, table) for w in words) * 2 < len(words):
            return code.strip()
    return None


def _english(code: str) -> str | None:
    """A run of four or more words with at least two English function words in it."""
    for run in _WORD_RUN.finditer(code):
        words = run.group(0).split(" ")
        if len(words) >= 4 and len({w.lower() for w in words} & _ENGLISH) >= 2:
            return run.group(0)
    return None


def _bracket_matches(opened: list[str], rest: str) -> int:
    """How many leading closers of ``rest`` close brackets left open in ``opened``."""
    stack = list(opened)
    matched = 0
    for ch in rest:
        if ch in _CLOSERS:
            if stack and stack[-1] == _CLOSERS[ch]:
                stack.pop()
                matched += 1
            else:
                break
        elif ch in "([{":
            stack.append(ch)
    return matched


def _open_stack(code: str) -> list[str]:
    stack: list[str] = []
    for ch in code:
        if ch in "([{":
            stack.append(ch)
        elif ch in _CLOSERS and stack and stack[-1] == _CLOSERS[ch]:
            stack.pop()
    return stack


def _stray_closer(opened: list[str], span: str) -> bool:
    """Whether ``span`` closes a bracket that is not open before it (nor by itself)."""
    stack = list(opened)
    for ch in span:
        if ch in "([{":
            stack.append(ch)
        elif ch in _CLOSERS:
            if not stack:
                return ch != "}"  # a block's own closing brace is judged by the block checks
            if stack[-1] != _CLOSERS[ch]:
                return True
            stack.pop()
    return False


def _fence_problem(suggestion: str, prefix: str, table: Syntax) -> bool:
    """Whether a fence in ``suggestion`` is the model's wrapper rather than content."""
    if not _FENCE.search(suggestion):
        return False
    if table.lexer != "markdown":
        return True
    # In Markdown a fence is content, unless it flips what the rest of the file is
    # (code or text) or says the answer itself is Markdown.
    return bool(_MARKDOWN_FENCE.search(suggestion)) or len(_FENCE.findall(suggestion)) % 2 == 1


def check(
    text: str,
    offset: int,
    language_id: str,
    suggestion: str | None,
    replace_after: int = 0,
    *,
    multiline: bool | None = None,
) -> list[Violation]:
    """The invariants ``suggestion`` (inserted at ``offset``, LF line endings) breaks.

    ``multiline`` is whether a block was asked for; by default the oracle's own reading
    of the cursor (an empty line, or the end of a line that opens a block).
    """
    if suggestion is None or not suggestion.strip():
        return []
    text = text.replace("\r\n", "\n")
    suggestion = suggestion.replace("\r\n", "\n")
    table = syntax(language_id)
    prefix, after = text[:offset], text[offset + replace_after :]
    line_prefix = prefix[prefix.rfind("\n") + 1 :]
    rest_of_line = after.split("\n", 1)[0]
    if multiline is None:
        multiline = wants_block(line_prefix, rest_of_line, language_id)
    found: list[Violation] = []

    def add(kind: str, detail: str) -> None:
        found.append(Violation(kind, detail[:120]))

    if _fence_problem(suggestion, prefix, table):
        add("fence", suggestion)
    if _MARKER.search(suggestion):
        add("marker", suggestion)
    if _WRAPPER.search(suggestion):
        add("wrapper", _WRAPPER.search(suggestion).group(0))  # type: ignore[union-attr]
    if not multiline and "\n" in suggestion.strip("\n"):
        add("multi_line", suggestion)
    elif not multiline and "\n" in suggestion:
        add("multi_line", repr(suggestion))

    # What the suggestion's span looks like as code, with strings and comments masked.
    joined = line_prefix + suggestion + rest_of_line
    span = _masked(joined, language_id, len(line_prefix), len(line_prefix) + len(suggestion))
    recent = _recent(prefix)
    in_prose = lex(recent, language_id)[1]
    if not in_prose:
        for number, line in enumerate(span.split("\n")):
            # A bullet is Markdown only where a line starts.
            bullet_ok = number > 0 or not line_prefix.strip()
            prose = _is_prose_line(line, table, bullets=bullet_ok)
            if prose:
                add("prose", prose)
                break

    # The rest of the line that was already typed must stay what it was (code).
    if rest_of_line.strip() and not in_prose:
        before = lex(line_prefix + rest_of_line, language_id)[0][len(line_prefix) :]
        tail_start = len(line_prefix) + len(suggestion)
        now = lex(joined, language_id)[0][tail_start:]
        if any(before) and not any(now):
            add("swallowed_closer", rest_of_line)

    if not in_prose:
        _check_duplicates(add, suggestion, span, recent, rest_of_line, after, language_id)
    if multiline:
        unit = indent_evidence(text, language_id)
        widths_known = (unit is not None and not mixed_indent(text, language_id)
                        and not table.layout_free)
        unit = unit or ("\t" if "\t" in leading_ws(line_prefix) else "    ")
        floor = enclosing_indent(prefix, rest_of_line, unit, language_id, multiline=True)
        opener = opener_column(prefix, unit, language_id)
        inside = _starts_inside(joined, language_id, len(line_prefix))
        _check_block(add, suggestion, span, line_prefix, (floor, opener), unit, language_id,
                     widths_known, inside, prefix.split("\n")[-20:-1])
    return found


def _starts_inside(joined: str, language: str, start: int) -> list[bool]:
    """For each line of the suggestion (from ``start`` in ``joined``): whether it starts
    inside a string or comment an earlier line opened (a docstring's own layout)."""
    flags = [False]
    if syntax(language).prose == "content":
        return flags + [False] * joined.count("\n", start)  # text between tags is no string
    mask = lex(joined, language)[0]
    pos = joined.find("\n", start)
    while pos >= 0:
        flags.append(not mask[pos])
        pos = joined.find("\n", pos + 1)
    return flags


def _check_duplicates(
    report: Report,
    suggestion: str,
    span: str,
    recent: str,
    rest_of_line: str,
    after: str,
    language: str,
) -> None:
    table = syntax(language)
    rest = rest_of_line.strip()
    last_line = suggestion.rstrip().rsplit("\n", 1)[-1]
    if len(rest) >= 2 and last_line.rstrip().endswith(rest) and rest.strip(")]};,"):
        report("duplicate", f"repeats the rest of the line {rest!r}")
    # An auto-closed bracket closed twice: the rest's closers lose their openers, or the
    # suggestion closes a bracket nothing before it opened.
    before_code = _masked(recent, language, 0, len(recent))
    before_stack = _open_stack(before_code)
    after_stack = _open_stack(before_code + span)
    rest_code = _masked(rest_of_line, language, 0, len(rest_of_line))
    if _bracket_matches(after_stack, rest_code) < _bracket_matches(before_stack, rest_code):
        report("duplicate", f"closes what {rest_of_line.strip()!r} closes")
    elif _stray_closer(before_stack, span):
        report("duplicate", f"closes a bracket nothing opened {suggestion!r}")
    # Running into the lines after the cursor.
    following = [ln.strip() for ln in after.split("\n")[1:] if ln.strip()][:3]
    lines = [ln.strip() for ln in suggestion.split("\n")[1:] if ln.strip()]
    if not following or not lines:
        return
    head = following[0]
    if table.closer_line.fullmatch(head) or len(head) < 6:
        return
    # A short line (``- debug:``, ``break;``) may really come twice: then two must repeat.
    needed = 1 if len(head) >= 12 else 2
    for i, line in enumerate(lines):
        if line == head:
            tail = lines[i + 1 :]
            if tail == following[1 : 1 + len(tail)] and 1 + len(tail) >= min(
                needed, len(following)
            ):
                report("duplicate", f"repeats the next line {head!r}")
                return


def _check_block(
    report: Report,
    suggestion: str,
    span: str,
    line_prefix: str,
    block: tuple[str, int | None],
    unit: str,
    language: str,
    widths_known: bool,
    inside: list[bool],
    before_lines: list[str],
) -> None:
    """Block shape. Without indentation evidence in the document, or in a document that
    mixes tabs and spaces, widths prove nothing: only the bracket/keyword depth counts.
    ``block``: the block's own indentation (its floor) and its opener's column."""
    table = syntax(language)
    unit_cols = indent_width(unit, unit) or 4
    floor_ws, opener = block
    floor = indent_width(floor_ws, unit)
    # What closes the block by indentation: in Python and YAML a line left of its column;
    # elsewhere (brackets, keywords close it) a line at or left of its opener's column.
    if table.indentation_is_syntax or opener is None:
        inside_from, closer_from = floor, floor - unit_cols
    else:
        inside_from, closer_from = min(floor, opener + 1), opener
    lines = suggestion.split("\n")
    code_lines = span.split("\n")
    # The first line lands at the cursor: on a blank indented line it adds no indentation
    # (at column 0, in an editor that does not indent, it brings the line's own).
    if line_prefix and not line_prefix.strip() and lines[0].strip() and leading_ws(lines[0]):
        report("indent", f"first line adds indentation {lines[0]!r}")
    depth_stack = _open_stack(_masked(line_prefix, language, 0, len(line_prefix)))
    previous = content_width(line_prefix, unit, table) if line_prefix.strip() else floor
    previous_code = line_prefix
    depth = 0
    closed_at: int | None = None
    section = table.section_line
    owner = line_prefix.rstrip() or next(
        (ln for ln in reversed(before_lines) if ln.strip()), ""
    )  # the line the block belongs to
    for i, (line, code) in enumerate(zip(lines, code_lines, strict=False)):
        in_brackets = bool(depth_stack) and depth_stack[-1] in "(["
        if i > 0 and line.strip() and not inside[i]:
            width = indent_width(line, unit)
            ws = leading_ws(line)
            ended = previous_code.rstrip()
            continuation = in_brackets or ended.endswith(("\\", ",", "+", "&&")) or (
                table.terminated and not ended.endswith((";", "{", "}", ":"))
                and bool(ended.strip())
            )
            starts_chain = line.strip().startswith((".", "?", ":", "|", "&", "+", "-", "*", "/"))
            if widths_known and not continuation and not starts_chain:
                off_grid = width % unit_cols and (width - floor) % unit_cols
                if table.free_steps:
                    if "\t" in ws:
                        report("indent", f"a tab in YAML indentation {line!r}")
                elif unit == "\t" and ws.startswith(" "):
                    report("indent", f"spaces in a tab-indented file {line!r}")
                elif unit != "\t" and ("\t" in ws or off_grid):
                    report("indent", f"not a multiple of {unit_cols} {line!r}")
                if width > previous + unit_cols and not table.free_steps:
                    report("indent", f"jumps more than one level {line!r}")
                one_out = bool(table.closer_line.fullmatch(line.strip())) or (
                    table.lexer == "yaml" and line.lstrip().startswith("- ")
                )  # a closer, or a YAML list at its key's column
                if width < inside_from and not (one_out and width >= closer_from):
                    report("past_block", f"dedents out of the block {line!r}")
                    return
            if closed_at is not None:
                report("past_block", f"continues after closing the block {line!r}")
                return
            if section is not None and section.fullmatch(line) and section.fullmatch(owner):
                report("past_block", f"starts the next section {line!r}")
                return
            previous = content_width(line, unit, table)
        if line.strip():
            previous_code = code
        for ch in code:
            if ch in "([{":
                depth_stack.append(ch)
            elif ch in _CLOSERS and depth_stack and depth_stack[-1] == _CLOSERS[ch]:
                depth_stack.pop()
        depth += block_delta(code, table)
        if depth < 0 and closed_at is None:
            closed_at = i
            if depth < -1:
                report("past_block", f"closes more than its block {line!r}")
                return


def first_tokens(text: str, count: int = 3) -> list[str]:
    """The first ``count`` tokens of ``text`` (words and single punctuation)."""
    return re.findall(r"\w+|\S", text)[:count]


def python_parses(text: str, offset: int, inserted: str, replace_after: int = 0) -> bool:
    """Whether the top-level statement around ``offset`` parses with ``inserted`` in place."""
    new = text[:offset] + inserted + text[offset + replace_after :]
    end_of_insert = offset + len(inserted)
    lines = new.split("\n")
    starts: list[int] = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    cursor_line = max(i for i, s in enumerate(starts) if s <= offset)
    last_line = max(i for i, s in enumerate(starts) if s <= end_of_insert)

    def top_level(i: int) -> bool:
        line = lines[i]
        return bool(line.strip()) and not line[0].isspace() and not line.startswith(("#", ")"))

    first = cursor_line
    while first > 0 and not top_level(first):
        first -= 1
    while first > 0 and lines[first - 1].startswith("@"):
        first -= 1
    stop = last_line + 1
    while stop < len(lines) and not (top_level(stop) and not lines[stop].startswith(("@",))):
        stop += 1
    if stop < len(lines) and lines[stop].lstrip().startswith(("else", "elif", "except", "finally")):
        return True
    chunk = "\n".join(lines[first:stop])
    try:
        ast.parse(chunk)
    except (SyntaxError, ValueError):
        return False
    return True


def kinds_of(violations: Iterable[Violation]) -> set[str]:
    return {v.kind for v in violations}
