"""Filter: trailing reply lines that repeat the lines right after the cursor go (every
language); a reply whose every line is already there becomes empty."""

from __future__ import annotations

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.text import CLOSER_LINE, next_code_lines


def _line_key(line: str, ctx: CompletionContext) -> tuple[int, str]:
    """What makes two lines the same line: the text, and for a lone closer (``end``,
    ``}``) its column too: the for loop's ``end`` is not the function's."""
    body = line.strip()
    column = ctx.indent.columns(line) if CLOSER_LINE.fullmatch(body) else -1
    return column, body


def drop_present_lines(text: str, ctx: CompletionContext) -> str:
    """Drop trailing reply lines that repeat the lines right after the cursor."""
    lines = text.split("\n")
    first = 0 if not ctx.line_prefix.strip() else 1
    candidates = [
        (i, _line_key(ctx.line_prefix + lines[i] if i == 0 else lines[i], ctx))
        for i in range(first, len(lines))
        if lines[i].strip()
    ]
    following = [_line_key(ln, ctx) for ln in next_code_lines(ctx, len(candidates), raw=True)]
    if not following:
        return text
    for pos, (index, body) in enumerate(candidates):
        if body != following[0] or len(candidates) - pos > len(following):
            continue  # cheap checks first: a long reply must not cost quadratic time
        rest = [body for _, body in candidates[pos:]]
        if rest == following[: len(rest)]:
            return "\n".join(lines[:index]).rstrip()
    return text
