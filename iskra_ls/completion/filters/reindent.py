"""Filter: a block reply re-indented into the document's style, relative to the cursor.

A chat model writes a block in its own indentation step, starting at column 0 or as in
the file. The first reply line goes at the cursor; later lines are read as absolute
(indented as in the file, as the prompt asks) or as relative to the first line (a block
written at column 0), whichever fits; then tabs/spaces and the unit width are converted
to the document's. Where only part of the indentation is typed, a first line that
brings the rest of it is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from math import gcd

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.text import CLOSER_LINE, mask_strings, next_code_lines
from iskra_ls.completion.indentation import INDENT_STEPS, code_part, leading_ws
from iskra_ls.languages import language_for

MAX_LEADING_BLANK_LINES = 2
"""Blank lines kept at the start of a body written after an opener."""


def _body_goes_below(ctx: CompletionContext, first: str) -> bool:
    """After ``:``, ``{``, ``then``, ``do``, a tag or ``#ifdef``, the block starts on the
    next line (not after ``(``, ``[`` or ``=>``, whose content may go on this one, nor
    when the first line closes the ``{`` itself: ``x = {`` + ``a: 1};``)."""
    entry = language_for(ctx.language_id)
    code = entry.code_part(ctx.line_prefix)
    if code.endswith("{") and first.count("}") > first.count("{"):
        return False
    return entry.opens_block(ctx.line_prefix) and not code.endswith(("(", "[", "=>", "->", ","))


def _unit_columns(ctx: CompletionContext) -> int:
    return ctx.indent.unit_columns


def _unit_step(widths: list[int], unit_cols: int, *, absolute: bool = False) -> int:
    """The document's own step: widths are converted one column to one column."""
    return unit_cols


def _step_reader(ctx: CompletionContext) -> Callable[..., int]:
    """How the model's step is read: from its widths, or, where steps are syntax (YAML),
    as the document's own (the block moves whole, its steps as written)."""
    return _unit_step if language_for(ctx.language_id).steps_are_syntax else _model_step


def _model_step(widths: list[int], unit_cols: int, *, absolute: bool = False) -> int:
    """The model's indentation step, from widths (or differences) it used.

    Widths read as in the file that all lie on the document's grid are the document's
    own: ``[8, 8]`` is two lines two levels deep, not one level of an 8-column step.
    """
    positive = [w for w in widths if w > 0]
    if absolute and all(w % unit_cols == 0 for w in positive):
        return unit_cols
    step = 0
    for w in positive:
        step = gcd(step, w)
    if all(w % unit_cols == 0 for w in positive):
        # A 4-space answer in a 2-space file fits the grid, two levels at a time.
        return step if step > unit_cols else unit_cols
    # Only a width a person indents by is a step; 9 or 22 alone is alignment under
    # something above (an operator, template arguments) and is kept as written.
    return step if step in INDENT_STEPS else unit_cols


def _continuation_lines(lines: list[str], ctx: CompletionContext) -> set[int]:
    """Indexes of lines that continue an expression left open in ``(`` or ``[``.

    Such lines align under the bracket, at any column: they say nothing about the
    model's indentation step (a 2 from ``results = compute(`` would double every level).
    Inside ``{`` (a block, or an object literal in a call) lines are indented by levels.
    """
    entry = language_for(ctx.language_id)
    found: set[int] = set()
    stack: list[str] = []
    for i, line in enumerate(lines):
        if stack and stack[-1] != "{":
            found.add(i)
        for ch in mask_strings(entry.code_part(line)):
            if ch in "([{":
                stack.append(ch)
            elif ch in ")]}" and stack:
                stack.pop()
    return found


def _convert(columns: int, step: int, unit_cols: int) -> int:
    levels, rest = divmod(abs(columns), step)
    return (levels * unit_cols + rest) * (1 if columns >= 0 else -1)


def continues_indentation(text: str, ctx: CompletionContext) -> bool:
    """Whether the reply's first line brings the rest of a partly typed indentation.

    The cursor is in the indentation (only spaces or tabs typed) short of what the line
    needs (the line above's indentation, one level more after an opener), or off the
    document's grid: ``  `` + ``  return x`` is one line at 4 columns, not at 2.
    """
    typed = ctx.line_prefix
    if not typed or typed.strip() or text[:1] not in (" ", "\t"):
        return False
    above = next((ln for ln in reversed(_raw_last_lines(ctx)) if ln.strip()), "")
    entry = language_for(ctx.language_id)
    unit = _unit_columns(ctx)
    needed = ctx.indent.columns(above)
    if entry.opens_indented_block(above):
        needed += unit
    cursor = ctx.indent.columns(typed)
    return cursor < needed or cursor % unit != 0


def _raw_last_lines(ctx: CompletionContext) -> list[str]:
    window = ctx.prefix[-4000:]
    return window.split("\n")[-6:-1]


def normalise_indent(text: str, ctx: CompletionContext) -> str:
    """Re-indent a block reply to the document's style, relative to the cursor's block."""
    blank = re.match(r"(?:[ \t]*\n)+", text)
    if blank:
        keep = min(blank.group(0).count("\n"), MAX_LEADING_BLANK_LINES)
        text = ("\n" * keep if ctx.after_opener else "") + text[blank.end() :]
    if ctx.after_opener and _COMMENT_OPENER.search(ctx.line_prefix):
        return _comment_body(text, ctx)
    if language_for(ctx.language_id).tabs_are_syntax:
        return _as_written(text, ctx)
    if in_open_bracket(ctx):
        return text  # aligned under the bracket's contents, not indented by levels
    if continues_indentation(text, ctx):
        return _as_in_file(text, ctx)
    lines = text.split("\n")
    unit_cols = _unit_columns(ctx)
    target = ctx.indent.columns(ctx.enclosing_indent)
    if ctx.after_opener and lines[0].strip() and _body_goes_below(ctx, lines[0]):
        lines.insert(0, "")
    model_step = _step_reader(ctx)
    widths = [ctx.indent.columns(ln) for ln in lines]
    content = [i for i in range(1, len(lines)) if lines[i].strip()]
    continued = _continuation_lines(lines, ctx)
    measured = [
        widths[i]
        for i in content
        if not lines[i].strip().startswith("*") and i not in continued
    ]
    block_layout = ctx.after_opener and not lines[0].strip()
    entry = language_for(ctx.language_id)
    opens = entry.opens_indented_block
    if block_layout and content:
        base = widths[content[0]]
        relative = True
    elif ctx.after_opener or not content:
        base, relative = 0, False
    else:
        first_width = widths[0]
        # The first following code line tells absolute from relative (not a " * " line);
        # under a bracket that ends the first line (a hanging ``[``) that is its first item.
        hanging = entry.code_part(lines[0]).endswith(("(", "["))
        second = widths[content[0]] if hanging else next(iter(measured), widths[content[0]])
        base = first_width
        relative = first_width > 0 or not (
            second > 0 and (not opens(lines[0]) or second > target)
        )
        if not relative and opens(lines[0]) and not _indents_seen(lines[1:], ctx):
            # Read as in the file, the body must land deeper than the cursor's block;
            # a 4-space answer in a 2-space file does not: it was written from column 0
            # (unless the lines around the cursor use each of its indentations).
            step = model_step(measured, unit_cols)
            relative = _convert(second, step, unit_cols) <= target
    if relative:
        step = model_step([abs(w - base) for w in measured], unit_cols)
    else:
        step = model_step(measured, unit_cols, absolute=True)
    written_deeper = block_layout and content and widths[content[0]] > ctx.indent.columns(
        ctx.line_indent
    )
    seen = _indents_seen(lines[1:], ctx) or not ctx.indent_seen
    if (not relative or base == target or written_deeper) and seen:
        return "\n".join([_first_line(lines[0], target, ctx), *lines[1:]])
    closes_at = leaves_at = None
    if relative and not block_layout and target > 0:
        leaves_at = _leaving_line(lines, widths, base, ctx)
        closes_at = _closing_line(lines, widths, base, ctx.language_id == "lua")
    out = []
    for i, line in enumerate(lines):
        body = line.lstrip(" \t")
        if i == 0:
            out.append(_first_line(line, target, ctx))
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
        out.append(ctx.indent.render(columns) + body)
    return "\n".join(out)


_COMMENT_OPENER = re.compile(r"(?:^|\s)/\*+[ \t]*$")


def _comment_body(text: str, ctx: CompletionContext) -> str:
    """The body of a block comment opened at the cursor (``/**``): its `` * `` lines sit
    one column right of the opener's ``/``, not a block level deeper."""
    star = leading_ws(ctx.line_prefix) + " "
    return "\n".join(
        star + line.lstrip(" \t") if line.lstrip(" \t").startswith("*") else line
        for line in text.split("\n")
    )


def _first_line(line: str, target: int, ctx: CompletionContext) -> str:
    """The reply's first line, placed at the cursor (padded to the block's indentation)."""
    body = line.lstrip(" \t")
    pad = ctx.indent.render(target)
    first_pad = pad[len(ctx.line_prefix) :] if pad.startswith(ctx.line_prefix) else ""
    return first_pad + body if body and not ctx.after_opener else body


def _indents_seen(lines: list[str], ctx: CompletionContext) -> bool:
    """Whether every indentation the reply's lines use is one the document's lines near
    the cursor use: then the model wrote them as in the file, tabs and spaces as they are
    (``\t\t  ``), and converting them could only lose that. In a file that mixes tabs and
    spaces the same column is the same indentation (GNU's ``\t`` and its 8 spaces)."""
    key = ctx.indent.columns if ctx.tab_width else leading_ws
    wanted = {key(line) for line in lines if line.strip()}
    if not wanted:
        return False
    seen = {key(line) for line in ctx.prefix[-8000:].split("\n")[1:] if line.strip()}
    seen |= {key(line) for line in ctx.suffix[:4000].split("\n") if line.strip()}
    return wanted <= seen


BRACKET_SCAN_LINES = 12
"""Lines above the cursor searched for a bracket left open."""


def in_open_bracket(ctx: CompletionContext) -> bool:
    """Whether the cursor is inside a ``(`` or ``[`` opened on a line above its own, or
    followed by text on its own line: lines there are aligned (a parameter list, the
    columns of a view), at any column, and an answer keeps the columns it wrote."""
    entry = language_for(ctx.language_id)
    lines = ctx.prefix[-4000:].split("\n")[-BRACKET_SCAN_LINES:]
    stack: list[tuple[str, int, bool]] = []  # (bracket, line index, text follows it)
    for i, line in enumerate(lines):
        code = mask_strings(entry.code_part(line))
        for pos, ch in enumerate(code):
            if ch in "([{":
                stack.append((ch, i, bool(code[pos + 1 :].strip())))
            elif ch in ")]}" and stack:
                stack.pop()
    if not stack or stack[-1][0] == "{":
        return False
    _bracket, opened_at, followed = stack[-1]
    return opened_at < len(lines) - 1 or followed


def _as_written(text: str, ctx: CompletionContext) -> str:
    """Where a tab and spaces mean different things (a Makefile's tab starts a recipe,
    spaces nest a conditional), the reply's lines stay as written: only its first line
    goes to the cursor, or below an opener at the body's indentation (a rule's tab)."""
    lines = text.split("\n")
    if ctx.after_opener and lines[0].strip() and _body_goes_below(ctx, lines[0]):
        return "\n" + ctx.enclosing_indent + text
    if continues_indentation(text, ctx):
        return text
    target = ctx.indent.columns(ctx.enclosing_indent)
    return "\n".join([_first_line(lines[0], target, ctx), *lines[1:]])


def _as_in_file(text: str, ctx: CompletionContext) -> str:
    """A reply whose lines are indented as in the file, in the document's unit."""
    lines = text.split("\n")
    if _indents_seen(lines[1:], ctx) or not ctx.indent_seen:
        return text
    unit_cols = _unit_columns(ctx)
    widths = [ctx.indent.columns(ln) for ln in lines[1:] if ln.strip()]
    step = _step_reader(ctx)(widths, unit_cols, absolute=True)
    out = [lines[0]]
    for line in lines[1:]:
        body = line.lstrip(" \t")
        columns = _convert(ctx.indent.columns(line), step, unit_cols)
        out.append(ctx.indent.render(columns) + body if body else "")
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
    following = {ln for ln in next_code_lines(ctx, 3) if not CLOSER_LINE.fullmatch(ln)}
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
