"""Filter: a block reply ends where the cursor's block ends (every language).

A chat model goes on past the block it was asked for (into the next definition). The
block ends at the first line that dedents below the cursor's block; a line that only
closes the cursor's block (``}``, ``end``) is kept unless the document already has it
right after the cursor. ``block_end_line`` also serves the streaming early stop.
"""

from __future__ import annotations

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.text import CLOSER_LINE, next_code_lines


def block_end_line(text: str, ctx: CompletionContext) -> int | None:
    """Index of the first line of ``text`` (normalised) past the cursor's block."""
    lines = text.split("\n")
    floor = ctx.indent.columns(ctx.enclosing_indent)
    first_body = next((ln for ln in lines[1:] if ln.strip()), None)
    if ctx.after_opener and not lines[0].strip() and first_body is not None:
        # The body's first line sets the block's level (kept as written where the
        # document showed no indentation unit to convert to).
        floor = min(floor, ctx.indent.columns(first_body))
    unit_cols = ctx.indent.unit_columns
    for i in range(1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        width = ctx.indent.columns(line)
        if width >= floor:
            continue
        closes_this = width >= floor - unit_cols and CLOSER_LINE.fullmatch(line.strip())
        present = ctx.line_suffix.strip() or next(iter(next_code_lines(ctx, 1)), "")
        return i + 1 if closes_this and present != line.strip() else i
    return None


def cut_at_block_end(text: str, ctx: CompletionContext) -> str:
    """Keep the block up to where it dedents below the cursor's block; no trailing blanks."""
    end = block_end_line(text, ctx)
    if end is not None:
        text = "\n".join(text.split("\n")[:end])
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()
