"""Filter: a one-line request keeps the reply's first line only (every language)."""

from __future__ import annotations

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.reindent import continues_indentation


def keep_first_line(text: str, ctx: CompletionContext) -> str:
    """The first line only, without whitespace doubled at either end.

    A reply that starts on the next line at the end of a typed line says the line is
    complete: the rest of this line is nothing (not the next line glued onto it).
    """
    if text.startswith("\n") and ctx.line_prefix.strip() and not ctx.line_suffix.strip():
        return ""
    line = text.split("\n", 1)[0]
    if continues_indentation(line, ctx):
        return line.rstrip() if not ctx.line_suffix.strip() else line
    if not ctx.line_prefix or ctx.line_prefix[-1] in " \t":
        line = line.lstrip(" \t")
    if not ctx.line_suffix.strip():
        line = line.rstrip()
    return line
