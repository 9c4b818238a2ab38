"""Small text helpers the filters share (pure)."""

from __future__ import annotations

import re

from iskra_ls.completion.context import CompletionContext, to_lf

QUOTES = "\"'`"
BRACKET_PAIRS = {")": "(", "]": "[", "}": "{"}
CLOSER_LINE = re.compile(r"(?:[)\]}][)\]};,]*|end|fi|done|esac|endif|endfunction)\s*;?")
"""A line that only closes something: ``}``, ``});``, ``end``, ``fi``..."""
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?|`(?:\\.|[^`\\])*`?')


def is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def last_lines(prefix: str, count: int) -> list[str]:
    """Up to ``count`` stripped complete lines that end just before the cursor's line."""
    window = (count + 1) * 400 + 4000
    parts = to_lf(prefix[-window:]).rsplit("\n", count + 1)
    complete = parts[:-1]
    if len(parts) == count + 2 or len(prefix) > window:
        complete = complete[1:]  # the first part is the rest of the text or a cut line
    return [line.strip() for line in complete]


def next_code_lines(ctx: CompletionContext, limit: int, *, raw: bool = False) -> list[str]:
    """Non-blank lines after the cursor's line, at most ``limit``: stripped, or ``raw``
    (without the line ending only)."""
    found: list[str] = []
    lines = _LINE.finditer(ctx.suffix)
    next(lines, None)
    for match in lines:
        line = match.group(0).rstrip("\r\n")
        if line.strip():
            found.append(line if raw else line.strip())
            if len(found) >= limit:
                break
    return found


def mask_strings(line: str) -> str:
    """``line`` with each string literal (closed or not) replaced by ``§``."""
    return _STRING.sub(lambda m: "§" * len(m.group(0)), line)


def opens_string(line: str) -> bool:
    """Whether ``line`` leaves a string literal open at its end (it would swallow what follows)."""
    for match in _STRING.finditer(line):
        literal = match.group(0)
        if len(literal) == 1 or literal[-1] != literal[0] or literal.endswith("\\" + literal[0]):
            return True
    return False
