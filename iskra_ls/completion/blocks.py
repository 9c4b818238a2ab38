"""Shaping a block answer: the document's indentation, and where the cursor's block ends (pure).

A chat model writes a block in its own indentation step, starting at column 0 or as in
the file, and goes on past the block it was asked for (into the next definition, or
closing brackets it never opened). ``normalise_indent`` re-indents the answer into the
document's style relative to the cursor's block; ``cut_at_block_end`` (and
``block_end_line``, which the streaming early stop uses) ends it where that block ends;
``drop_present_lines`` and ``keep_balanced_lines`` remove what repeats the document or
leaves brackets open. ``postprocess`` chains them.
"""

from __future__ import annotations

import re
from math import gcd

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.indentation import (
    code_part,
    indent_columns,
    opens_block,
    render_indent,
)
from iskra_ls.completion.prose import mask_strings

CLOSER_LINE = re.compile(r"(?:[)\]}][)\]};,]*|end|fi|done|esac|endif|endfunction)\s*;?")
"""A line that only closes something: ``}``, ``});``, ``end``, ``fi``..."""
BRACKET_PAIRS = {")": "(", "]": "[", "}": "{"}
_NEWLINE_OPENERS = (":", "{")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _body_goes_below(line_prefix: str) -> bool:
    """After ``:``, ``{``, ``then`` or ``do`` the block starts on the next line."""
    code = code_part(line_prefix)
    return code.endswith(_NEWLINE_OPENERS) or bool(re.search(r"(?:^|\s)(?:then|do)$", code))


def _unit_columns(ctx: CompletionContext) -> int:
    return indent_columns(ctx.indent_unit, ctx.indent_unit) or 4


def _model_step(widths: list[int], unit_cols: int) -> int:
    """The model's indentation step, from widths (or differences) it used."""
    positive = [w for w in widths if w > 0]
    step = 0
    for w in positive:
        step = gcd(step, w)
    if all(w % unit_cols == 0 for w in positive):
        # A 4-space answer in a 2-space file fits the grid, two levels at a time.
        return step if step > unit_cols else unit_cols
    return step if step >= 2 else unit_cols


def _continuation_lines(lines: list[str]) -> set[int]:
    """Indexes of lines that continue an expression left open in ``(`` or ``[``.

    Such lines align under the bracket, at any column: they say nothing about the
    model's indentation step (a 2 from ``results = compute(`` would double every level).
    Inside ``{`` (a block, or an object literal in a call) lines are indented by levels.
    """
    found: set[int] = set()
    stack: list[str] = []
    for i, line in enumerate(lines):
        if stack and stack[-1] != "{":
            found.add(i)
        for ch in mask_strings(code_part(line)):
            if ch in "([{":
                stack.append(ch)
            elif ch in ")]}" and stack:
                stack.pop()
    return found


def _convert(columns: int, step: int, unit_cols: int) -> int:
    levels, rest = divmod(abs(columns), step)
    return (levels * unit_cols + rest) * (1 if columns >= 0 else -1)


def normalise_indent(text: str, ctx: CompletionContext) -> str:
    """Re-indent a block reply to the document's style, relative to the cursor's block.

    The first reply line goes at the cursor. Later lines are read as absolute
    (indented as in the file, as the prompt asks) or as relative to the first line
    (a block written at column 0), whichever fits; then tabs/spaces and unit width
    are converted to the document's.
    """
    text = re.sub(r"\A(?:[ \t]*\n)+", "\n" if ctx.after_opener else "", text)
    lines = text.split("\n")
    unit_cols = _unit_columns(ctx)
    target = indent_columns(ctx.enclosing_indent, ctx.indent_unit)
    if ctx.after_opener and lines[0].strip() and _body_goes_below(ctx.line_prefix):
        lines.insert(0, "")
    widths = [indent_columns(ln, ctx.indent_unit) for ln in lines]
    content = [i for i in range(1, len(lines)) if lines[i].strip()]
    continued = _continuation_lines(lines)
    measured = [
        widths[i]
        for i in content
        if not lines[i].strip().startswith("*") and i not in continued
    ]
    block_layout = ctx.after_opener and not lines[0].strip()
    if block_layout and content:
        base = widths[content[0]]
        relative = True
    elif ctx.after_opener or not content:
        base, relative = 0, False
    else:
        first_width = widths[0]
        # The first following code line tells absolute from relative (not a " * " line).
        second = next(iter(measured), widths[content[0]])
        base = first_width
        relative = first_width > 0 or not (
            second > 0 and (not opens_block(lines[0]) or second > target)
        )
        if not relative and opens_block(lines[0]):
            # Read as in the file, the body must land deeper than the cursor's block;
            # a 4-space answer in a 2-space file does not: it was written from column 0.
            step = _model_step(measured, unit_cols)
            relative = _convert(second, step, unit_cols) <= target
    if relative:
        step = _model_step([abs(w - base) for w in measured], unit_cols)
    else:
        step = _model_step(measured, unit_cols)
    closes_at = leaves_at = None
    if relative and not block_layout and target > 0:
        leaves_at = _leaving_line(lines, widths, base, ctx)
        closes_at = _closing_line(lines, widths, base, ctx.language_id == "lua")
    out = []
    for i, line in enumerate(lines):
        body = line.lstrip(" \t")
        if i == 0:
            pad = render_indent(target, ctx.indent_unit)
            first_pad = pad[len(ctx.line_prefix) :] if pad.startswith(ctx.line_prefix) else ""
            out.append(first_pad + body if body and not ctx.after_opener else body)
            continue
        if not body:
            out.append("")
            continue
        if i == closes_at:
            columns = max(target - unit_cols, 0)  # closes the cursor's block: its opener's level
        elif leaves_at is not None and i >= leaves_at:
            columns = _convert(widths[i], step, unit_cols)  # as in the file: the cut sees it
        elif relative:
            columns = target + _convert(widths[i] - base, step, unit_cols)
        else:
            columns = _convert(widths[i], step, unit_cols)
        out.append(render_indent(columns, ctx.indent_unit) + body)
    return "\n".join(out)


_DEFINITION = re.compile(
    r"(?:(?:export|pub(?:\([\w:]+\))?|async|default|local|static|unsafe)\s+)*"
    r"(?:def|class|func|fn|function|impl|struct|enum|trait|interface|type|mod|module)\b"
)


def _leaving_line(
    lines: list[str], widths: list[int], base: int, ctx: CompletionContext
) -> int | None:
    """In a block written from the cursor's column, the first line that is clearly outside
    the cursor's block: a definition at the first line's level or left of it, or the code
    that already follows the cursor in the document.

    Read relative to the first line, such a line would land nested inside the cursor's
    block, where no block-end cut sees it; from there on the answer is read as written.
    """
    following = {ln for ln in _next_code_lines(ctx, 3) if not CLOSER_LINE.fullmatch(ln)}
    for i in range(1, len(lines)):
        body = lines[i].strip()
        if body and widths[i] <= base and (_DEFINITION.match(body) or body in following):
            return i
    return None


_LUA_OPENER = re.compile(r"\b(?:function|do|if|repeat)\b")
_LUA_CLOSER = re.compile(r"\b(?:end|until)\b")


def _closing_line(lines: list[str], widths: list[int], base: int, lua: bool) -> int | None:
    """Index of a closer-only line (``}``, ``end``) at the first line's level that closes
    more than the answer opened: it ends the cursor's block."""
    depth = 0
    for i, line in enumerate(lines):
        code = code_part(line)
        depth += code.count("{") - code.count("}")
        if lua:
            depth += len(_LUA_OPENER.findall(code)) - len(_LUA_CLOSER.findall(code))
        if i > 0 and depth < 0 and widths[i] <= base and CLOSER_LINE.fullmatch(line.strip()):
            return i
    return None


def _next_code_lines(ctx: CompletionContext, limit: int, *, raw: bool = False) -> list[str]:
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


def _line_key(line: str, ctx: CompletionContext) -> tuple[int, str]:
    """What makes two lines the same line: the text, and for a lone closer (``end``,
    ``}``) its column too: the for loop's ``end`` is not the function's."""
    body = line.strip()
    column = indent_columns(line, ctx.indent_unit) if CLOSER_LINE.fullmatch(body) else -1
    return column, body


def block_end_line(text: str, ctx: CompletionContext) -> int | None:
    """Index of the first line of ``text`` (normalised) past the cursor's block."""
    lines = text.split("\n")
    floor = indent_columns(ctx.enclosing_indent, ctx.indent_unit)
    unit_cols = _unit_columns(ctx)
    for i in range(1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        width = indent_columns(line, ctx.indent_unit)
        if width >= floor:
            continue
        closes_this = width >= floor - unit_cols and CLOSER_LINE.fullmatch(line.strip())
        present = ctx.line_suffix.strip() or next(iter(_next_code_lines(ctx, 1)), "")
        return i + 1 if closes_this and present != line.strip() else i
    return None


def cut_at_block_end(text: str, ctx: CompletionContext) -> str:
    """Keep the block up to where it dedents below the cursor's block.

    A line that only closes the cursor's block (``}``, ``end``) is kept unless the
    document already has it right after the cursor. Trailing blank lines go.
    """
    end = block_end_line(text, ctx)
    if end is not None:
        text = "\n".join(text.split("\n")[:end])
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


def drop_present_lines(text: str, ctx: CompletionContext) -> str:
    """Drop trailing reply lines that repeat the lines right after the cursor.

    A reply whose every line is already there becomes empty.
    """
    lines = text.split("\n")
    first = 0 if not ctx.line_prefix.strip() else 1
    candidates = [
        (i, _line_key(ctx.line_prefix + lines[i] if i == 0 else lines[i], ctx))
        for i in range(first, len(lines))
        if lines[i].strip()
    ]
    following = [_line_key(ln, ctx) for ln in _next_code_lines(ctx, len(candidates), raw=True)]
    if not following:
        return text
    for pos, (index, body) in enumerate(candidates):
        if body != following[0] or len(candidates) - pos > len(following):
            continue  # cheap checks first: a long reply must not cost quadratic time
        rest = [body for _, body in candidates[pos:]]
        if rest == following[: len(rest)]:
            return "\n".join(lines[:index]).rstrip()
    return text


def keep_balanced_lines(text: str) -> str:
    """The block's lines up to the last one after which every bracket it opened is closed.

    An answer cut short by ``max_tokens`` leaves a call or a body open; one that closes a
    bracket it never opened has run out of the cursor's block (a lone closer that ends
    the block as its last line is the exception). Either way the rest goes.
    """
    lines = text.split("\n")
    stack: list[str] = []
    kept = 0
    for i, line in enumerate(lines):
        for ch in mask_strings(code_part(line)):
            if ch in "([{":
                stack.append(ch)
            elif ch in BRACKET_PAIRS:
                if stack and stack[-1] == BRACKET_PAIRS[ch]:
                    stack.pop()
                    continue
                last = i == len(lines) - 1 and CLOSER_LINE.fullmatch(line.strip())
                return "\n".join(lines[: i + 1 if last and not stack else kept]).rstrip()
        if not stack:
            kept = i + 1
    return "\n".join(lines[:kept]).rstrip()
