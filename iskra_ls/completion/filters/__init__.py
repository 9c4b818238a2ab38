"""Post-processing as an ordered pipeline of small named filters, driven by the
capability table (``iskra_ls.languages``).

A chat model answering "what goes at the cursor?" wraps code in fences, chats before
and after it, echoes the prompt and the cursor marker, rewrites the current line,
repeats what follows the cursor and indents as it likes. Each filter undoes one of
those habits, in its own module with its own table test. Every language gets the
language-neutral ones (cleaning, shaping, duplicates); a language with a grammar also
gets the grammar's verdict (``syntax``), which is the only rule that rejects code as
code: English where code must go, a comment that swallows the typed rest of the line,
a line that restarts the file, all bring a syntax error the document did not have.
Inside a comment, a string or text, prose is the content and no chatter is stripped.

``run`` applies the pipeline; ``trace_pipeline`` tells what each filter did (the
ground-truth bench counts, per filter, the right answers it changed or dropped).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from iskra_ls.completion.context import CompletionContext, to_lf
from iskra_ls.completion.filters import (
    block_end,
    chatter,
    echo,
    fences,
    first_line,
    inline_code,
    marker,
    overlap,
    present_lines,
    region,
    reindent,
    suffix,
    syntax,
)
from iskra_ls.completion.filters.base import Filter, Suggestion, on_text
from iskra_ls.completion.filters.text import mask_strings, opens_string
from iskra_ls.languages import language_for

__all__ = ["PIPELINE", "Filter", "Suggestion", "clean", "run", "trace_pipeline"]


def _has_grammar(ctx: CompletionContext) -> bool:
    return language_for(ctx.language_id).has_grammar


def _in_code(ctx: CompletionContext) -> bool:
    return not region.in_prose(ctx)


def _leading_blank_lines(text: str, ctx: CompletionContext) -> str:
    if ctx.after_opener and not ctx.line_suffix.strip():
        return text  # at the end of a typed line, a reply on the next line says so
    return re.sub(r"\A(?:[ \t]*\n)+", "", text)


def _string_before_closer(text: str, ctx: CompletionContext) -> str:
    """No one-line suggestion that leaves a string open before a typed closer: the string
    would swallow it (``(`` + ``\"\"\"Record of`` before ``)``)."""
    rest = ctx.line_suffix.strip()
    if "\n" in text or not rest or rest[0] not in ")]}":
        return text
    return "" if opens_string(text) and not opens_string(ctx.line_prefix) else text


def _suffix(suggestion: Suggestion, ctx: CompletionContext) -> Suggestion:
    text, replace_after = suffix.match_suffix(suggestion.text, ctx)
    if text == ctx.line_suffix[:replace_after]:
        return Suggestion("", 0)  # only what is already typed
    if not replace_after and (
        suffix.closes_typed_closer(text, ctx) or suffix.leaves_other_bracket_open(text, ctx)
    ):
        return Suggestion("", 0)
    return Suggestion(text, replace_after)


def _syntax(suggestion: Suggestion, ctx: CompletionContext) -> Suggestion:
    kept = syntax.keep_parseable(suggestion.text, ctx, suggestion.replace_after)
    if kept == suggestion.text or not kept.strip():
        return Suggestion(kept, suggestion.replace_after)
    return _suffix(Suggestion(kept, 0), ctx)  # a cut block: placed anew before the rest


def _comment_before_rest(text: str, ctx: CompletionContext) -> str:
    """A one-line suggestion without a trailing comment that would swallow the typed rest
    of the line (``heap[`` + ``i  # the top`` before ``]``)."""
    if "\n" in text or not ctx.line_suffix.strip():
        return text
    entry = language_for(ctx.language_id)
    masked = mask_strings(text)
    code = entry.code_part(masked)
    return text[: len(code)].rstrip() if len(code) < len(masked.rstrip()) else text


CLEANING: tuple[Filter, ...] = (
    Filter("echo", on_text(lambda text, ctx: echo.strip_prompt_echo(
        text, ctx.language_id, in_text=region.in_prose(ctx)))),
    Filter("fences", on_text(lambda text, _ctx: fences.strip_fences(text))),
    Filter("inline_code",
           on_text(lambda text, ctx: inline_code.strip_inline_code(text, ctx.language_id))),
    Filter("chatter", on_text(lambda text, _ctx: chatter.strip_chatter(text)), _in_code),
    Filter("marker", on_text(lambda text, _ctx: marker.strip_cursor_marker(text))),
    Filter("leading_blank_lines", on_text(_leading_blank_lines)),
    Filter("overlap", on_text(overlap.trim_prefix_overlap)),
)
"""The steps every reply goes through before it is shaped to one line or a block."""

PIPELINE: tuple[Filter, ...] = (
    *CLEANING,
    Filter("first_line", on_text(first_line.keep_first_line), lambda ctx: not ctx.multiline),
    # In a comment or docstring indentation is layout (`` * `` under ``/**``, a two-space
    # list), not levels of code: the answer keeps the columns it wrote.
    Filter("reindent", on_text(reindent.normalise_indent),
           lambda ctx: ctx.multiline and not language_for(ctx.language_id).is_prose
           and _in_code(ctx)),
    Filter("block_end", on_text(block_end.cut_at_block_end), lambda ctx: ctx.multiline),
    Filter("present_lines", on_text(present_lines.drop_present_lines)),
    Filter("comment_before_rest", on_text(_comment_before_rest), _in_code),
    Filter("string_before_closer", on_text(_string_before_closer)),
    Filter("suffix", _suffix),
    Filter("syntax", _syntax, _has_grammar),
)
"""Post-processing, in order."""

Trace = Callable[[str, str, str], None]


def run(raw: str, ctx: CompletionContext, filters: tuple[Filter, ...] = PIPELINE,
        trace: Trace | None = None) -> Suggestion | None:
    """``raw`` through ``filters``; None when nothing is left to show."""
    current = Suggestion(to_lf(raw), 0)
    for step in filters:
        if not step.when(ctx):
            continue
        result = step.apply(current, ctx)
        if trace is not None:
            trace(step.name, current.text, result.text)
        current = result
        if not current.text.strip():
            return None
    return current


def clean(raw: str, ctx: CompletionContext) -> str:
    """``raw`` through the cleaning steps only (the streaming early stop looks at this)."""
    result = run(raw, ctx, CLEANING)
    return "" if result is None else result.text


def trace_pipeline(raw: str, ctx: CompletionContext) -> list[tuple[str, str, str]]:
    """(filter, text before, text after) for every filter that ran on ``raw``."""
    steps: list[tuple[str, str, str]] = []
    run(raw, ctx, trace=lambda name, before, after: steps.append((name, before, after)))
    return steps
