"""Document + cursor -> the prompt for an inline completion (pure).

Inline completions use ``qwen3-coder-flash``, a *chat* model: there is no
fill-in-the-middle endpoint, so the prompt shows the code around the cursor, in a
Markdown fence with an explicit marker, after one worked example, and asks for the
inserted text only. Every request costs one of the
user's few daily requests, so the prompt is built to get a usable answer first time:
it names the language, path and indentation style, keeps the line that opens the
enclosing scope even when it lies outside the size budget, and tells the model
whether one line or a block is wanted (with a matching ``max_tokens``).

Pure: strings in, values out; nothing here touches the server or the network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from iskra_ls.completion.indentation import (
    IndentStyle,
    code_part,
    indent_style,
    leading_ws,
    opens_block,
)
from iskra_ls.languages import Language, language_for
from iskra_ls.snapshot import cut_window
from iskra_ls.textdoc import split_lines, strip_line_ending

CURSOR_MARKER = "<CURSOR>"
"""Marks the cursor in the prompt; ``postprocess`` removes it if the model echoes it."""

SINGLE_LINE_MAX_TOKENS = 64
"""A line whose rest is code after the cursor: only the line is asked for."""
LOOKAHEAD_MAX_TOKENS = 160
"""The rest of the line and the next lines of its block (kept for the next line starts)."""
BLOCK_MAX_TOKENS = 320
ANSWER_MAX_LINES = 10
"""Lines a block or a line and its next lines may bring, asked for in the prompt: Iskra's
quota counts requests, not tokens, so a longer answer costs nothing more and each later
line start it covers is a request saved; ``max_tokens`` still bounds it."""

_SCOPE_LINES = 4
_SCOPE_LINE_CHARS = 160
_MAX_NEIGHBOURS = 3
_MIN_NEIGHBOUR_CHARS = 80
_SCAN_LINES = 800

_COMMENT_STARTS = ("#", "//", "/*", "*", "--", ";")
_CLOSERS_ONLY = re.compile(r"[\s)\]}\"'`;:,.]*")


@dataclass(frozen=True)
class CompletionContext:
    """What the prompt builder and the post-processor know about the cursor.

    ``prefix`` and ``suffix`` are a bounded window, whatever the document's size: at
    most :data:`~iskra_ls.snapshot.WINDOW_BEFORE` characters before the cursor (from a
    line start when cut) and :data:`~iskra_ls.snapshot.WINDOW_AFTER` after it. Work on
    them (splitting, parsing, scanning) therefore costs the same on a 20 MB file as on
    a 40 KB one; nothing downstream may assume it sees the start or end of the file
    unless the window is shorter than its bound.
    """

    prefix: str
    """The text before the cursor (a window, see above)."""
    suffix: str
    """The text after the cursor (a window, see above)."""
    line_prefix: str
    """The cursor's line before the cursor (no line ending)."""
    line_suffix: str
    """The cursor's line after the cursor (no line ending)."""
    language_id: str
    path: str
    indent_unit: str
    """One indentation level of this document: ``"    "``, ``"  "``, ``"\\t"``, ..."""
    multiline: bool
    """True when a block is wanted, False for the rest of one line."""
    enclosing_indent: str
    """Indentation that lines of the cursor's block have (the body, after an opener)."""
    eol: str = "\n"
    """The document's line ending, used for the inserted text."""
    indent_seen: bool = True
    """Whether ``indent_unit`` is the one the document's code lines show; False when it is
    a guess (nothing indented yet, or only comments): then an answer's own indentation
    is as good a guess, and is not converted to it."""
    style: IndentStyle | None = None
    """The document's indentation as read (unit, tab width where tabs and spaces mix);
    None: ``indent_unit`` alone (see :attr:`indent`)."""

    @property
    def indent(self) -> IndentStyle:
        """The document's indentation: measure and write columns through this."""
        return self.style if self.style is not None else IndentStyle(self.indent_unit)

    @property
    def tab_width(self) -> int:
        """Columns of a tab where the document mixes tabs and spaces, else 0."""
        return self.indent.tab_width

    @property
    def after_opener(self) -> bool:
        """The cursor ends a line that opens a block (``def f():|``, ``{|}``)."""
        return bool(self.line_prefix.strip())

    @property
    def line_indent(self) -> str:
        """Leading whitespace of the cursor's line."""
        return leading_ws(self.line_prefix + self.line_suffix)

    @property
    def lines_after(self) -> bool:
        """A one-line request whose suggestion may end the line (only closers follow the
        cursor): the lines after it are asked for too, and kept for the next line starts."""
        return not self.multiline and bool(_CLOSERS_ONLY.fullmatch(self.line_suffix))


def _detect_eol(text: str) -> str:
    match = re.search(r"\r\n|\r|\n", text)
    return match.group(0) if match else "\n"


def _previous_code_line(prefix_lines: Sequence[str]) -> str | None:
    """The nearest non-blank complete line before the cursor's line."""
    for line in reversed(prefix_lines[:-1]):
        body = strip_line_ending(line)
        if body.strip():
            return body
    return None


def _wants_block(line_prefix: str, line_suffix: str, language: Language) -> bool:
    if not line_prefix.strip() or language.is_prose:  # in text, the next lines may follow
        return not line_suffix.strip()
    if not language.opens_block(line_prefix):  # the language's openers: ``{``, ``then``...
        return False
    if not line_suffix.strip():
        return True
    # An auto-closed block: ``function f() {|}`` or ``foo(() => {|});``.
    return code_part(line_prefix).endswith("{") and bool(
        re.fullmatch(r"\s*\}[)\];,]*\s*", line_suffix)
    )


def _well_formed(text: str) -> str:
    """``text`` encodable as UTF-8: a lone surrogate (JSON allows ``"\\ud800"`` in a
    document) becomes U+FFFD, or the request body cannot be encoded at all."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def wants_block(prefix: str, suffix: str, language_id: str) -> bool:
    """Whether the cursor between ``prefix`` and ``suffix`` asks for a block (a line start,
    after an opener), read from the cursor's line alone."""
    line_prefix = prefix[max(prefix.rfind("\n"), prefix.rfind("\r")) + 1 :]
    end = min((at for at in (suffix.find("\n"), suffix.find("\r")) if at >= 0), default=-1)
    line_suffix = suffix if end < 0 else suffix[:end]
    return _wants_block(line_prefix, line_suffix, language_for(language_id))


def build_context(text: str, offset: int, *, language_id: str, path: str) -> CompletionContext:
    """Cut ``text`` at ``offset`` (a Python string index) and classify the cursor.

    ``text`` may be a whole document or a request's window; either way the context
    holds a bounded window (see :class:`CompletionContext`).
    """
    text, _start, offset = cut_window(len(text), offset, lambda a, b: text[a:b])
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        offset -= 1  # never split a CRLF: the cursor is at the end of that line
    prefix, suffix = text[:offset], text[offset:]
    prefix_lines = split_lines(prefix)
    line_prefix = prefix_lines[-1]
    line_suffix = strip_line_ending(split_lines(suffix[: suffix.find("\n") + 1 or None])[0])
    indent = leading_ws(line_prefix + line_suffix)
    # A document with nothing indented yet goes by the cursor's own line.
    evidence = indent_style(text)
    indent_unit = evidence.unit if evidence else ("\t" if "\t" in indent else "    ")
    style = evidence if evidence is not None else IndentStyle(indent_unit)

    def deeper_than(ws: str) -> str:
        if not style.tab_width:
            return ws + indent_unit
        return style.render(style.columns(ws) + style.unit_columns)  # GNU: 6 + 2 is a tab

    language = language_for(language_id)
    multiline = _wants_block(line_prefix, line_suffix, language)
    if line_prefix.strip():
        deeper = multiline and language.indents_body(line_prefix)  # not after ``#ifdef``
        enclosing = deeper_than(indent) if deeper else indent
    elif line_prefix + line_suffix == "":
        # An empty line the editor did not auto-indent: a body after an opener goes deeper;
        # otherwise the answer's own indentation decides (completion/lookahead.py).
        above = _previous_code_line(prefix_lines)
        enclosing = ""
        if above is not None and language.opens_indented_block(above):
            enclosing = deeper_than(leading_ws(above))
    else:
        enclosing = line_prefix
    return CompletionContext(
        prefix=prefix,
        suffix=suffix,
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        language_id=language_id,
        path=path,
        indent_unit=indent_unit,
        multiline=multiline,
        enclosing_indent=enclosing,
        eol=_detect_eol(text),
        indent_seen=evidence is not None or "\t" in indent,
        style=style,
    )


def prompt_path(path: str, folders: Sequence[Path]) -> str:
    """How the prompt names a file: relative to the innermost workspace folder holding it,
    else by its base name. The service never learns the user's home folder or name."""
    if not path:
        return ""
    pure = PurePath(path)
    inside = [pure.relative_to(folder) for folder in folders if pure.is_relative_to(folder)]
    if inside:
        return min(inside, key=lambda relative: len(relative.parts)).as_posix()
    return pure.name


@dataclass(frozen=True)
class Prompt:
    """A chat request for one completion."""

    messages: list[dict[str, str]]
    max_tokens: int


def to_lf(text: str) -> str:
    """``text`` with every LSP line ending turned into ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _take_tail_lines(lines: list[str], budget: int) -> int:
    """How many of the last ``lines`` (the final one always) fit in ``budget`` chars."""
    used = len(lines[-1])
    count = 1
    for line in reversed(lines[:-1]):
        if used + len(line) > budget:
            break
        used += len(line)
        count += 1
    return count


def _take_head_lines(lines: list[str], budget: int) -> int:
    """How many of the first ``lines`` (the first one always) fit in ``budget`` chars."""
    used = len(lines[0])
    count = 1
    for line in lines[1:]:
        if used + len(line) > budget:
            break
        used += len(line)
        count += 1
    return count


def _is_comment(stripped: str) -> bool:
    return stripped.startswith(_COMMENT_STARTS)


def enclosing_scope_lines(lines: Sequence[str], cursor_indent: int,
                          unit: str | IndentStyle) -> list[int]:
    """Indexes (outermost first) of the lines opening the blocks around the last line.

    ``lines`` are the lines up to and including the cursor's; walking up, each
    non-comment line indented less than everything seen so far that opens a block
    encloses the cursor. A signature split over lines (``def f(\\n  a,\\n):``) is
    reported by its first line.
    """
    style = unit if isinstance(unit, IndentStyle) else IndentStyle(unit)
    found: list[int] = []
    current = cursor_indent
    start = max(0, len(lines) - 1 - _SCAN_LINES)
    i = len(lines) - 2
    while i >= start and current > 0:
        body = lines[i].rstrip("\n")
        stripped = body.strip()
        width = style.columns(body)
        if stripped and not _is_comment(stripped) and width < current:
            current = width
            if opens_block(body):
                head = i
                if stripped.startswith((")", "]")):
                    # Climb to the line the bracket closes: the next one no deeper.
                    head -= 1
                    while head > start and (
                        not lines[head].strip() or style.columns(lines[head]) > width
                    ):
                        head -= 1
                found.append(head)
                i = head
        i -= 1
    return found[::-1]


def _fit_snippet(text: str, budget: int) -> str:
    lines = split_lines(to_lf(text).strip("\n"))
    if not lines or budget <= 0:
        return ""
    if len(lines[0]) > budget:
        return lines[0][:budget]
    return "".join(lines[: _take_head_lines(lines, budget)]).rstrip("\n")


def _indent_description(style: IndentStyle) -> str:
    if style.unit == "\t":
        return "tabs"
    if style.tab_width:
        return f"{len(style.unit)} spaces, a tab for every {style.tab_width} columns"
    return f"{len(style.unit)} spaces"


def _neighbour_section(neighbours: Sequence[tuple[str, str]], own_path: str, budget: int) -> str:
    parts: list[str] = []
    remaining = budget
    chosen = [(p, s) for p, s in neighbours if p != own_path and s.strip()][:_MAX_NEIGHBOURS]
    for index, (path, snippet) in enumerate(chosen):
        share = remaining // (len(chosen) - index)
        if share < _MIN_NEIGHBOUR_CHARS:
            break
        fitted = _fit_snippet(snippet, share - len(path) - 10)
        if fitted:
            parts.append(f"--- {path} ---\n{fitted}")
            remaining -= len(parts[-1])
    if not parts:
        return ""
    return "Recently edited files (for reference only):\n" + "\n".join(parts) + "\n\n"


def build_prompt(
    ctx: CompletionContext,
    *,
    budget_chars: int = 6000,
    neighbours: Sequence[tuple[str, str]] = (),
    neighbour_budget_chars: int = 1500,
    related: str = "",
) -> Prompt:
    """The chat messages, ``max_tokens`` and stops for one completion at ``ctx``.

    ``budget_chars`` bounds the code shown around the cursor (about 70 % before it),
    trimmed at whole lines; ``neighbours`` are ``(path, snippet)`` of other recently
    edited documents, most relevant first, sharing ``neighbour_budget_chars``;
    ``related`` is the rendered section of :mod:`~iskra_ls.completion.related` (it takes
    the neighbours' place).
    """
    prefix_lines = split_lines(to_lf(ctx.prefix))
    suffix_lines = split_lines(to_lf(ctx.suffix))
    cursor_indent = ctx.indent.columns(
        ctx.enclosing_indent if not ctx.after_opener else ctx.line_indent
    )
    scope = enclosing_scope_lines(prefix_lines, cursor_indent, ctx.indent)[-_SCOPE_LINES:]

    budget = max(budget_chars, 1)
    prefix_share = (budget * 7) // 10
    suffix_len = sum(map(len, suffix_lines))
    prefix_len = sum(map(len, prefix_lines))
    prefix_share = max(prefix_share, budget - suffix_len)
    suffix_share = max(budget - min(prefix_len, prefix_share), 0)

    tail = prefix_lines[-1][-prefix_share:] if prefix_share else ""
    kept_before = _take_tail_lines([*prefix_lines[:-1], tail], prefix_share) - 1
    first_kept = len(prefix_lines) - 1 - kept_before
    shown_prefix = "".join(prefix_lines[first_kept:-1]) + tail
    head = suffix_lines[0][:suffix_share]
    kept_after = _take_head_lines([head, *suffix_lines[1:]], suffix_share) - 1
    shown_suffix = head + "".join(suffix_lines[1 : 1 + kept_after])

    header = [prefix_lines[i].rstrip("\n")[:_SCOPE_LINE_CHARS] for i in scope if i < first_kept]
    sections = [
        f"Language: {ctx.language_id}\nFile: {ctx.path}\n"
        f"Indentation: {_indent_description(ctx.indent)}\n\n",
        related or _neighbour_section(neighbours, ctx.path, neighbour_budget_chars),
    ]
    if header:
        sections.append("Enclosing scope (lines above the excerpt):\n" + "\n".join(header) + "\n\n")
    code = f"{shown_prefix}{CURSOR_MARKER}{shown_suffix}"
    fence = code_fence(code)
    sections.append(f"{fence}{ctx.language_id}\n{code}\n{fence}\n\n")
    if ctx.multiline:
        sections.append(
            f"Write the code that belongs at {CURSOR_MARKER}: at most {ANSWER_MAX_LINES} lines, "
            "ending where the enclosing block ends. The first line starts at the cursor; indent "
            f"each following line as it must appear in the file, using "
            f"{_indent_description(ctx.indent)}."
        )
        max_tokens = BLOCK_MAX_TOKENS
    elif ctx.lines_after:
        sections.append(
            f"Write the rest of the current line at {CURSOR_MARKER}, then the lines that "
            f"follow it in the same block (at most {ANSWER_MAX_LINES} lines in all, none past "
            "the block's end), each "
            f"indented as it must appear in the file, using {_indent_description(ctx.indent)}."
        )
        max_tokens = LOOKAHEAD_MAX_TOKENS
    else:
        sections.append(
            f"Write the rest of the current line at {CURSOR_MARKER}: one line, no line break."
        )
        max_tokens = SINGLE_LINE_MAX_TOKENS
    system = (
        "You are a code completion engine in a code editor. The user shows a file with "
        f"the cursor marked {CURSOR_MARKER}. Reply with only the text to insert at the "
        "cursor: no explanation, no Markdown fences, no cursor marker, and do not repeat "
        "the code before or after the cursor."
    )
    return Prompt(
        messages=[
            {"role": "system", "content": system},
            *EXAMPLE,
            {"role": "user", "content": _well_formed("".join(sections))},
        ],
        max_tokens=max_tokens,
    )


_BACKTICKS = re.compile(r"`{3,}")


def code_fence(code: str) -> str:
    """A Markdown fence longer than any run of backticks in ``code`` (one linear scan)."""
    longest = max((run.end() - run.start() for run in _BACKTICKS.finditer(code)), default=2)
    return "`" * (longest + 1)


EXAMPLE: tuple[dict[str, str], ...] = (
    {
        "role": "user",
        "content": (
            "Language: python\nFile: example.py\nIndentation: 4 spaces\n\n"
            f"```python\ndef area(width, height):\n    return {CURSOR_MARKER}\n```\n\n"
            f"Write the rest of the current line at {CURSOR_MARKER}: one line, no line break."
        ),
    },
    {"role": "assistant", "content": "width * height"},
)
"""One worked exchange before the real one: the answer is bare code and nothing else.

Measured on the recorded real-model corpus (``bench/real_model/prompts.py``), this and
the code in a Markdown fence (the form chat models are trained on, instead of ``<code>``
tags they echoed back) doubled the share of answers that reach the editor as clean code.
"""
