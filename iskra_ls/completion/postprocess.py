"""Model reply -> the text to insert at the cursor (pure).

``postprocess`` runs the filter pipeline (``completion.filters``); what cannot be
repaired is dropped: no suggestion beats a wrong one. Inside the pipeline the text uses
``\\n``; the document's line ending is applied last. While an answer streams,
``early_stop_text`` says when the part already read is all the suggestion needs.
"""

from __future__ import annotations

from iskra_ls.completion import filters
from iskra_ls.completion.context import CompletionContext, to_lf
from iskra_ls.completion.filters.base import Suggestion
from iskra_ls.completion.filters.block_end import block_end_line
from iskra_ls.completion.filters.chatter import is_chatter_line
from iskra_ls.completion.filters.fences import FENCE
from iskra_ls.completion.filters.marker import strip_cursor_marker
from iskra_ls.completion.filters.region import in_prose
from iskra_ls.completion.filters.reindent import normalise_indent
from iskra_ls.completion.filters.syntax import new_error_line
from iskra_ls.completion.filters.text import mask_strings
from iskra_ls.completion.prose import is_prose
from iskra_ls.languages import language_for

__all__ = ["Suggestion", "early_stop_text", "first_line_complete", "postprocess"]

MAX_LINES_TRIED = 8
"""A one-line stream is tried line by line at most this often before it is read whole."""


def postprocess(raw: str, ctx: CompletionContext) -> Suggestion | None:
    """The suggestion to show for the model's ``raw`` reply, or None if nothing useful."""
    result = filters.run(raw, ctx)
    if result is None:
        return None
    return Suggestion(result.text.replace("\n", ctx.eol), result.replace_after)


def first_line_complete(partial: str) -> bool:
    """Whether a streamed reply already holds one complete line of code.

    Blank lines, an opening fence and preamble chatter before it do not count.
    """
    return _first_code_line_end(to_lf(partial)) is not None


def _first_code_line_end(text: str) -> int | None:
    pos = 0
    seen_fence = False
    while True:
        newline = text.find("\n", pos)
        if newline < 0:
            return None
        line = text[pos:newline]
        if FENCE.fullmatch(line) and not seen_fence:
            seen_fence = True
        elif line.strip() and not is_chatter_line(line) and strip_cursor_marker(line).strip():
            return newline
        pos = newline + 1


def early_stop_text(partial: str, ctx: CompletionContext) -> str | None:
    """The reply so far if streaming can stop now, else None; feed it to ``postprocess``.

    One-line completions stop at the first complete line that yields a suggestion.
    Blocks stop when the fence closes or the block has visibly ended.
    """
    text = to_lf(partial)
    if not ctx.multiline:
        pos = 0
        for _ in range(MAX_LINES_TRIED):
            end = _first_code_line_end(text[pos:])
            if end is None:
                return None
            candidate = text[: pos + end]
            if postprocess(candidate, ctx) is not None:
                return candidate
            pos += end + 1
        return None
    fences = list(FENCE.finditer(text))
    if len(fences) >= 2 and text[fences[0].end() : fences[1].start()].strip():
        return text[: fences[1].end()]
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    if not complete.strip():
        return None
    # The unfinished last line already shows its indentation once it has content.
    partial_line = text[len(complete) :]
    cleaned = filters.clean(text if partial_line.strip() else complete, ctx)
    shaped = normalise_indent(cleaned, ctx)
    end = block_end_line(shaped, ctx)
    if end is not None and end < len(shaped.split("\n")):
        return complete
    if _ends_in_english(normalise_indent(filters.clean(complete, ctx), ctx), ctx):
        return complete
    return None


def _ends_in_english(shaped: str, ctx: CompletionContext) -> bool:
    """Whether a complete line of the block is English where code goes: whatever follows
    it, the suggestion ends before it (the grammar's verdict drops it).

    Only a line nothing after it can make code counts: one that leaves no bracket, comment
    or string the answer opened still open, and does not continue on the next line (``\\``).
    Words in an open call are its arguments (Make's ``$(foreach op,SET STRIP APPEND,\\``),
    a sentence under ``/**`` is the comment's text: what follows may close them. Nor does
    a line the grammar reads as code (a CSS value list, ``1px solid var(--c)``).
    """
    lines = shaped.rstrip().split("\n")
    if not any(is_prose(line, ctx.language_id) for line in lines) or in_prose(ctx):
        return False
    entry = language_for(ctx.language_id)
    depth, open_text = 0, None
    for i, line in enumerate(lines):
        if open_text is None:
            masked = mask_strings(line)
            code = entry.code_part(masked)
            for opener, closer in entry.long_texts:
                at = code.find(opener)
                if at >= 0 and code.find(closer, at + len(opener)) < 0:
                    open_text, code = closer, code[:at]
            depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
            if is_prose(line, ctx.language_id) and open_text is None and depth <= 0 and (
                not code.endswith("\\")
            ) and _grammar_rejects(lines[: i + 1], ctx):
                return True
        elif open_text in line:
            open_text = None
    return False


def _grammar_rejects(lines: list[str], ctx: CompletionContext) -> bool:
    """Whether the syntax filter cuts ``lines`` at or before their last line: words the
    grammar reads as code (CSS's ``border: 1px solid var(--c);``) are no English."""
    line = new_error_line(ctx, "\n".join(lines))
    return line is not None and line < len(lines)
