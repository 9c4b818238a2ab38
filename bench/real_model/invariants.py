"""What a suggestion must never be, checked from outside iskra-ls (an oracle for real model output).

Issue 14's invariants on what reaches the editor, written independently of
``iskra_ls.completion.postprocess`` so that the corpus test does not grade the
post-processor with its own rules. Each check looks at the document as it would be
after the editor applied the suggestion:

- ``fence`` / ``marker`` / ``wrapper``: Markdown fences, the cursor marker, the
  prompt's own ``<code>`` wrapper, headers or instructions echoed back;
- ``prose``: English instead of code (strings and comments excluded, and nothing is
  prose when the cursor sits inside a docstring or a comment);
- ``multi_line``: more than one line when one line was asked for;
- ``indent``: a line indented off the document's unit, deeper than one level past
  the line before it, or a first line that adds indentation the cursor already has;
- ``duplicate``: the suggestion repeats the code after the cursor (the rest of the
  line, an auto-closed bracket it closes again, or the following lines);
- ``swallowed_closer``: a trailing comment that turns the already-typed rest of the
  line (``heap[# index]``) into comment;
- ``past_block``: a block suggestion that leaves the enclosing block and runs into
  the code that follows.

``python_parses`` is a figure, not an invariant: whether the enclosing top-level
definition still parses after the insertion.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from iskra_ls.completion.context import build_context
from iskra_ls.completion.indentation import indent_columns, indent_evidence, leading_ws

KINDS = (
    "fence",
    "marker",
    "wrapper",
    "prose",
    "multi_line",
    "indent",
    "duplicate",
    "swallowed_closer",
    "past_block",
)

_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)
_MARKER = re.compile(r"<\s*/?\s*\|?\s*cursor\s*\|?\s*>", re.I)
_WRAPPER = re.compile(
    r"</?code>|Write the (?:rest of the current line|code that belongs)|no line break"
    r"|Enclosing scope \(|Recently edited files|^\s*(?:Language|File|Indentation):\s",
    re.I | re.M,
)

_COMMON_WORDS = {"true", "false", "null", "nil", "none", "self", "this", "super"}
_KEYWORDS: dict[str, set[str]] = {
    "python": set(
        "False None True and as assert async await break case class continue def del elif else "
        "except finally for from global if import in is lambda match nonlocal not or pass raise "
        "return try type while with yield print exec".split()
    ),
    "javascript": set(
        "abstract as async await break case catch class const continue debugger declare default "
        "delete do else enum export extends false finally for from function get if implements "
        "import in infer instanceof interface is keyof let module namespace new null of override "
        "package private protected public readonly return satisfies set static super switch this "
        "throw true try type typeof undefined unique var void while with yield asserts accessor "
        "global require".split()
    ),
    "go": set(
        "break case chan const continue default defer else fallthrough for func go goto if import "
        "interface map package range return select struct switch type var nil true false iota "
        "make new len cap append".split()
    ),
    "rust": set(
        "as async await break const continue crate dyn else enum extern false fn for if impl in "
        "let loop match mod move mut pub ref return self Self static struct super trait true type "
        "union unsafe use where while macro_rules".split()
    ),
    "lua": set(
        "and break do else elseif end false for function goto if in local nil not or repeat "
        "return then true until while".split()
    ),
}
_KEYWORDS["typescript"] = _KEYWORDS["javascript"]
_KEYWORDS["javascriptreact"] = _KEYWORDS["javascript"]
_KEYWORDS["typescriptreact"] = _KEYWORDS["javascript"]

_LINE_COMMENT = {
    "python": ("#",),
    "lua": ("--",),
}
_BLOCK_COMMENT = {"javascript", "typescript", "javascriptreact", "typescriptreact", "go", "rust"}
_BRACES = {"javascript", "typescript", "javascriptreact", "typescriptreact", "go", "rust"}
_WORD_RUN = re.compile(r"[A-Za-z][A-Za-z']*(?: [A-Za-z][A-Za-z']*)+")
_SENTENCE = re.compile(r"^\s*[A-Z][a-z']+(?:,? [A-Za-z'-]+){3,}[.!?:]?\s*$")
_MARKDOWN = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,4})\s+[A-Za-z]+(?: [A-Za-z]+){2,}")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_CLOSER_ONLY = re.compile(r"[)\]}][)\]};,]*|end[),;]*|until\b.*")
_LUA_OPEN = re.compile(r"\b(function|do|if|repeat)\b")
_LUA_CLOSE = re.compile(r"\b(end|until)\b")
_DOC_OPEN = ('"""', "'''")
_LEX_CHARS = 60_000


@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str


Report = Callable[[str, str], None]
"""``(kind, detail)``: record one violation."""


def _comment_starts(language: str) -> tuple[str, ...]:
    if language in _BLOCK_COMMENT:
        return ("//",)
    return _LINE_COMMENT.get(language, ("#", "//", "--"))


def code_mask(text: str, language: str) -> list[bool]:
    """For each character of ``text``: True when it is code, False inside a string or comment."""
    return _lex(text, language)[0]


def _lex(text: str, language: str) -> tuple[list[bool], bool]:
    """The code mask of ``text``, and whether a string or comment is still open at its end.

    A small lexer, good enough for the line or two around a suggestion: line comments,
    C block comments, Lua long comments/strings, quotes (triple quotes in Python, backtick
    templates in JS/TS and raw strings in Go spanning lines), Rust char literals.
    """
    mask = [True] * len(text)
    line_comments = _comment_starts(language)
    i, n = 0, len(text)
    open_at_end = False

    def blank(a: int, b: int, closed: bool = True) -> None:
        nonlocal open_at_end
        for k in range(a, min(b, n)):
            mask[k] = False
        open_at_end = not closed and b >= n

    while i < n:
        ch = text[i]
        if any(text.startswith(c, i) for c in line_comments):
            if language == "lua" and re.match(r"--\[=*\[", text[i:]):
                close = "]" + re.match(r"--\[(=*)\[", text[i:]).group(1) + "]"  # type: ignore[union-attr]
                found = text.find(close, i)
                end = n if found < 0 else found + len(close)
                blank(i, end, found >= 0)
            else:
                found = text.find("\n", i)
                end = n if found < 0 else found
                blank(i, end, found >= 0)
            i = end
            continue
        if language in _BLOCK_COMMENT and text.startswith("/*", i):
            found = text.find("*/", i + 2)
            end = n if found < 0 else found + 2
            blank(i, end, found >= 0)
            i = end
            continue
        if language == "lua" and re.match(r"\[=*\[", text[i:]):
            opener = re.match(r"\[(=*)\[", text[i:])
            assert opener is not None
            close = "]" + opener.group(1) + "]"
            found = text.find(close, i)
            end = n if found < 0 else found + len(close)
            blank(i, end, found >= 0)
            i = end
            continue
        if language == "python" and text.startswith(_DOC_OPEN, i):
            quote = text[i : i + 3]
            found = text.find(quote, i + 3)
            end = n if found < 0 else found + 3
            blank(i, end, found >= 0)
            i = end
            continue
        if language == "rust" and ch == "'":
            literal = re.match(r"'(?:\\.[^']*|[^'\\])'", text[i:])
            if literal:
                blank(i, i + literal.end())
                i += literal.end()
                continue
            i += 1  # a lifetime
            continue
        if ch in "\"'`":
            multi = ch == "`" or (language == "rust" and ch == '"')
            j = i + 1
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == ch or (text[j] == "\n" and not multi):
                    break
                j += 1
            end = min(j + 1, n)
            blank(i, end, j < n and text[j] == ch)
            i = end
            continue
        i += 1
    return mask, open_at_end


def _masked(text: str, language: str, start: int, end: int) -> str:
    """``text[start:end]`` with strings and comments turned into ``§``."""
    mask = code_mask(text, language)
    return "".join(ch if mask[k] or ch == "\n" else "§" for k, ch in enumerate(text[:end]))[start:]


def _recent(prefix: str) -> str:
    """The text before the cursor the lexer reads: all of it up to 60 KB (a window could
    start inside a docstring and read everything inside out), else a tail from a line start."""
    if len(prefix) <= _LEX_CHARS:
        return prefix
    tail = prefix[-_LEX_CHARS:]
    return tail[tail.find("\n") + 1 :]


def _cursor_in_prose(prefix: str, language: str) -> bool:
    """Whether the cursor is inside a string, docstring or comment (prose is content there)."""
    return _lex(_recent(prefix), language)[1]


def _is_prose_line(line: str, language: str) -> str | None:
    keywords = _KEYWORDS.get(language, set())
    code = line.replace("§", " § ")
    if _MARKDOWN.match(code) and language != "python":
        return "markdown"
    for run in _WORD_RUN.finditer(code):
        words = run.group(0).split(" ")
        streak = best = 0
        for word in words:
            if word in keywords or word.lower() in _COMMON_WORDS:
                streak = 0
            else:
                streak += 1
                best = max(best, streak)
        if best >= 3:
            return run.group(0)
    if _SENTENCE.match(code):
        words = re.findall(r"[A-Za-z']+", code)
        if sum(w in keywords for w in words) * 2 < len(words):
            return code.strip()
    return None


def _mixed_indent(text: str) -> bool:
    """Whether code lines start with tabs and with spaces alike (each on >= 10 %)."""
    tabs = spaces = 0
    for line in text.split("\n")[:800]:
        if line[:1] == "\t":
            tabs += 1
        elif line[:1] == " " and line.strip():
            spaces += 1
    return min(tabs, spaces) * 10 >= tabs + spaces > 0


def _bracket_matches(opened: list[str], rest: str) -> int:
    """How many leading closers of ``rest`` close brackets left open in ``opened``."""
    stack = list(opened)
    matched = 0
    for ch in rest:
        if ch in _CLOSERS:
            if stack and stack[-1] == _CLOSERS[ch]:
                stack.pop()
                matched += 1
            else:
                break
        elif ch in "([{":
            stack.append(ch)
    return matched


def _open_stack(code: str) -> list[str]:
    stack: list[str] = []
    for ch in code:
        if ch in "([{":
            stack.append(ch)
        elif ch in _CLOSERS and stack and stack[-1] == _CLOSERS[ch]:
            stack.pop()
    return stack


def _stray_closer(opened: list[str], span: str) -> bool:
    """Whether ``span`` closes a bracket that is not open before it (nor by itself)."""
    stack = list(opened)
    for ch in span:
        if ch in "([{":
            stack.append(ch)
        elif ch in _CLOSERS:
            if not stack:
                return ch != "}"  # a block's own closing brace is judged by the block checks
            if stack[-1] != _CLOSERS[ch]:
                return True
            stack.pop()
    return False


def _following_code_lines(after: str, limit: int) -> list[str]:
    lines = after.split("\n")[1:]
    found = [ln.strip() for ln in lines if ln.strip()]
    return found[:limit]


def check(
    text: str,
    offset: int,
    language_id: str,
    suggestion: str | None,
    replace_after: int = 0,
    *,
    multiline: bool | None = None,
) -> list[Violation]:
    """The invariants ``suggestion`` (inserted at ``offset``, LF line endings) breaks.

    ``multiline`` is whether a block was asked for; by default iskra-ls's own
    reading of the cursor (``build_context``), which is what the request asked.
    """
    if suggestion is None or not suggestion.strip():
        return []
    text = text.replace("\r\n", "\n")
    suggestion = suggestion.replace("\r\n", "\n")
    ctx = build_context(text, offset, language_id=language_id, path="doc")
    if multiline is None:
        multiline = ctx.multiline
    unit = ctx.indent_unit
    prefix, after = text[:offset], text[offset + replace_after :]
    line_prefix = prefix[prefix.rfind("\n") + 1 :]
    rest_of_line = after.split("\n", 1)[0]
    found: list[Violation] = []

    def add(kind: str, detail: str) -> None:
        found.append(Violation(kind, detail[:120]))

    if _FENCE.search(suggestion):
        add("fence", suggestion)
    if _MARKER.search(suggestion):
        add("marker", suggestion)
    if _WRAPPER.search(suggestion):
        add("wrapper", _WRAPPER.search(suggestion).group(0))  # type: ignore[union-attr]
    if not multiline and "\n" in suggestion.strip("\n"):
        add("multi_line", suggestion)
    elif not multiline and "\n" in suggestion:
        add("multi_line", repr(suggestion))

    # What the suggestion's span looks like as code, with strings and comments masked.
    joined = line_prefix + suggestion + rest_of_line
    span = _masked(joined, language_id, len(line_prefix), len(line_prefix) + len(suggestion))
    in_prose = _cursor_in_prose(prefix, language_id)
    if not in_prose:
        for line in span.split("\n"):
            prose = _is_prose_line(line, language_id)
            if prose:
                add("prose", prose)
                break

    # A trailing comment must not swallow the rest of the line that was already typed.
    if rest_of_line.strip() and not in_prose:
        last_mask = code_mask(joined, language_id)
        tail_start = len(line_prefix) + len(suggestion)
        if tail_start < len(joined) and not any(last_mask[tail_start:]):
            add("swallowed_closer", rest_of_line)

    if not in_prose:
        recent = _recent(prefix)
        _check_duplicates(add, suggestion, span, recent, rest_of_line, after, language_id)
    if multiline:
        widths_known = indent_evidence(text) is not None and not _mixed_indent(text)
        _check_block(
            add, suggestion, span, line_prefix, ctx.enclosing_indent, unit, language_id,
            widths_known,
        )
    return found


def _check_duplicates(
    report: Report,
    suggestion: str,
    span: str,
    recent: str,
    rest_of_line: str,
    after: str,
    language: str,
) -> None:
    rest = rest_of_line.strip()
    last_line = suggestion.rstrip().rsplit("\n", 1)[-1]
    if len(rest) >= 2 and last_line.rstrip().endswith(rest) and rest.strip(")]};,"):
        report("duplicate", f"repeats the rest of the line {rest!r}")
    # An auto-closed bracket closed twice: the rest's closers lose their openers, or the
    # suggestion closes a bracket nothing before it opened.
    before_code = _masked(recent, language, 0, len(recent))
    before_stack = _open_stack(before_code)
    after_stack = _open_stack(before_code + span)
    rest_code = _masked(rest_of_line, language, 0, len(rest_of_line))
    if _bracket_matches(after_stack, rest_code) < _bracket_matches(before_stack, rest_code):
        report("duplicate", f"closes what {rest_of_line.strip()!r} closes")
    elif _stray_closer(before_stack, span):
        report("duplicate", f"closes a bracket nothing opened {suggestion!r}")
    # Running into the lines after the cursor.
    following = _following_code_lines(after, 3)
    lines = [ln.strip() for ln in suggestion.split("\n")[1:] if ln.strip()]
    if not following or not lines:
        return
    head = following[0]
    if _CLOSER_ONLY.fullmatch(head) or len(head) < 6:
        return
    for i, line in enumerate(lines):
        if line == head:
            tail = lines[i + 1 :]
            if tail == following[1 : 1 + len(tail)]:
                report("duplicate", f"repeats the next line {head!r}")
                return


def _check_block(
    report: Report,
    suggestion: str,
    span: str,
    line_prefix: str,
    enclosing_indent: str,
    unit: str,
    language: str,
    widths_known: bool,
) -> None:
    """Block shape. Without indentation evidence in the document, or in a document that
    mixes tabs and spaces, widths prove nothing: only the bracket/keyword depth counts."""
    unit_cols = indent_columns(unit, unit) or 4
    floor = indent_columns(enclosing_indent, unit)
    lines = suggestion.split("\n")
    code_lines = span.split("\n")
    # The first line lands at the cursor: on a blank indented line it adds no indentation.
    if not line_prefix.strip() and lines[0].strip() and leading_ws(lines[0]):
        report("indent", f"first line adds indentation {lines[0]!r}")
    depth_stack = _open_stack(_masked(line_prefix, language, 0, len(line_prefix)))
    previous = indent_columns(line_prefix, unit) if line_prefix.strip() else floor
    previous_code = line_prefix
    lua_depth = 0
    brace_depth = 0
    closed_at: int | None = None
    for i, (line, code) in enumerate(zip(lines, code_lines, strict=False)):
        in_brackets = bool(depth_stack) and depth_stack[-1] in "(["
        if i > 0 and line.strip():
            width = indent_columns(line, unit)
            ws = leading_ws(line)
            continuation = in_brackets or previous_code.rstrip().endswith(("\\", ",", "+", "&&"))
            starts_chain = line.strip().startswith((".", "?", ":", "|", "&", "+", "-", "*", "/"))
            if widths_known and not continuation and not starts_chain:
                off_grid = width % unit_cols and (width - floor) % unit_cols
                if unit == "\t" and ws.startswith(" "):
                    report("indent", f"spaces in a tab-indented file {line!r}")
                elif unit != "\t" and ("\t" in ws or off_grid):
                    report("indent", f"not a multiple of {unit_cols} {line!r}")
                if width > previous + unit_cols:
                    report("indent", f"jumps more than one level {line!r}")
                closer_only = bool(_CLOSER_ONLY.fullmatch(line.strip()))
                if width < floor and not (closer_only and width >= floor - unit_cols):
                    report("past_block", f"dedents out of the block {line!r}")
                    return
            if closed_at is not None:
                report("past_block", f"continues after closing the block {line!r}")
                return
            previous = width
        if line.strip():
            previous_code = code
        for ch in code:
            if ch in "([{":
                depth_stack.append(ch)
                brace_depth += ch == "{"
            elif ch in _CLOSERS:
                if depth_stack and depth_stack[-1] == _CLOSERS[ch]:
                    depth_stack.pop()
                if ch == "}":
                    brace_depth -= 1
        if language in _BRACES and brace_depth < 0 and closed_at is None:
            closed_at = i
            if brace_depth < -1:
                report("past_block", f"closes more than its block {line!r}")
                return
        if language == "lua":
            lua_depth += len(_LUA_OPEN.findall(code)) - len(_LUA_CLOSE.findall(code))
            if lua_depth < 0 and closed_at is None:
                closed_at = i
                if lua_depth < -1:
                    report("past_block", f"closes more than its block {line!r}")
                    return


def first_tokens(text: str, count: int = 3) -> list[str]:
    """The first ``count`` tokens of ``text`` (words and single punctuation)."""
    return re.findall(r"\w+|\S", text)[:count]


def python_parses(text: str, offset: int, inserted: str, replace_after: int = 0) -> bool:
    """Whether the top-level statement around ``offset`` parses with ``inserted`` in place."""
    new = text[:offset] + inserted + text[offset + replace_after :]
    end_of_insert = offset + len(inserted)
    lines = new.split("\n")
    starts: list[int] = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    cursor_line = max(i for i, s in enumerate(starts) if s <= offset)
    last_line = max(i for i, s in enumerate(starts) if s <= end_of_insert)

    def top_level(i: int) -> bool:
        line = lines[i]
        return bool(line.strip()) and not line[0].isspace() and not line.startswith(("#", ")"))

    first = cursor_line
    while first > 0 and not top_level(first):
        first -= 1
    while first > 0 and lines[first - 1].startswith("@"):
        first -= 1
    stop = last_line + 1
    while stop < len(lines) and not (top_level(stop) and not lines[stop].startswith(("@",))):
        stop += 1
    if stop < len(lines) and lines[stop].lstrip().startswith(("else", "elif", "except", "finally")):
        return True
    chunk = "\n".join(lines[first:stop])
    try:
        ast.parse(chunk)
    except (SyntaxError, ValueError):
        return False
    return True


def kinds_of(violations: Iterable[Violation]) -> set[str]:
    return {v.kind for v in violations}
