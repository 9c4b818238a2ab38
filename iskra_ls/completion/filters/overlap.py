"""Filter: what repeats the text before the cursor goes (every language).

A reply may start by repeating the last lines before the cursor, rewrite the current
line, or repeat the word being typed.
"""

from __future__ import annotations

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.text import is_word, last_lines

MIN_ECHO_CHARS = 2
"""A typed line shorter than this is continued, never taken as echoed (``/`` + ``/ x``)."""


def _strip_line_echo(line: str, line_prefix: str) -> str | None:
    """``line`` minus a rewrite of ``line_prefix`` (whitespace-insensitive), or None."""
    want = line_prefix.strip()
    if len(want) < MIN_ECHO_CHARS:
        return None
    i = k = 0
    while k < len(want):
        if want[k].isspace():
            k += 1
        elif i < len(line) and line[i].isspace():
            i += 1
        elif i < len(line) and line[i] == want[k]:
            i += 1
            k += 1
        else:
            return None
    rest = line[i:]
    if line_prefix[-1:].isspace():
        if rest[:1] and not rest[0].isspace() and is_word(line[i - 1]) and is_word(rest[0]):
            return None
        rest = rest.lstrip(" \t")
    return rest


def _strip_token_overlap(line: str, line_prefix: str) -> str:
    """``line`` minus a leading repeat of the word(s) that end ``line_prefix`` (a number
    is never taken as repeated)."""
    for k in range(min(len(line), len(line_prefix)), 0, -1):
        part = line[:k]
        if not line_prefix.endswith(part) or not any(is_word(c) for c in part):
            continue
        if part.strip().replace(".", "").isdigit():
            continue  # numbers repeat in real code (``0 0``, ``1, 1``): no echo
        before = line_prefix[-k - 1 : -k] if k < len(line_prefix) else ""
        if not (before and is_word(before) and is_word(part[0])):
            return line[k:]
    return line


def trim_prefix_overlap(text: str, ctx: CompletionContext) -> str:
    """Drop what repeats the text before the cursor."""
    lines = text.split("\n")
    previous = last_lines(ctx.prefix, len(lines))
    line_prefix = ctx.line_prefix
    echoed = 0
    for j in range(1, min(len(lines), len(previous)) + 1):
        head = [ln.strip() for ln in lines[:j]]
        if head != previous[len(previous) - j :] or len("".join(head)) < 4:
            continue
        if j == len(lines) or not line_prefix.strip():
            echoed = j
        elif _strip_line_echo(lines[j], line_prefix) is not None:
            echoed = j
    lines = lines[echoed:]
    if not lines:
        return ""
    if line_prefix.strip():
        rest = _strip_line_echo(lines[0], line_prefix)
        lines[0] = rest if rest is not None else _strip_token_overlap(lines[0], line_prefix)
    return "\n".join(lines)
