"""Model reply -> the text to insert at the cursor (pure).

A chat model answering "what goes at the cursor?" wraps code in fences, chats
before and after it, echoes the cursor marker, rewrites the current line, repeats
what follows the cursor, closes brackets the editor already closed and indents as
it likes. Each rule below undoes one of those habits and is public so it can be
tested alone; ``postprocess`` chains them, with the block shaping of ``blocks``,
the English and echo detection of ``prose`` and, for Python, the parser's verdict
(``syntax``). What cannot be repaired is dropped: no suggestion beats a wrong one.
Inside the chain the text uses ``\\n``; the document's line ending is applied last.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from iskra_ls.completion.blocks import (
    BRACKET_PAIRS,
    block_end_line,
    cut_at_block_end,
    drop_present_lines,
    keep_balanced_lines,
    normalise_indent,
)
from iskra_ls.completion.context import CURSOR_MARKER, CompletionContext, to_lf
from iskra_ls.completion.prose import (
    comment_start,
    expects_code,
    file_level_only,
    is_prose,
    mask_strings,
    opens_string,
    statement_in_expression,
    strip_prompt_echo,
)
from iskra_ls.completion.syntax import breaks_python


@dataclass(frozen=True)
class Suggestion:
    """Text to insert at the cursor, replacing ``replace_after`` characters after it.

    The replaced characters lie on the cursor's line (auto-closed brackets, quotes,
    ``;``); the LSP range is cursor..cursor+replace_after, in the server's codec.
    """

    text: str
    replace_after: int = 0


_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[^\n`]*$", re.M)
_LEAD_PHRASE = re.compile(
    r"^\s*(?:here(?:'s| is| are)\b.*"
    r"|(?:sure|certainly|of course|okay|absolutely|below is|the following)\b.*[:.!]"
    r"|(?:the )?(?:completed?|completion|inserted|missing|remaining|final)\s+"
    r"(?:code|text|lines?|completion|version)\b.*[:.]"
    r"|(?-i:Completion|Output|Answer|Insertion|Code)\s*:)\s*$",
    re.I,
)
_PROSE_COLON = re.compile(r"^\s*[A-Z][A-Za-z',-]*(?: [A-Za-z',-]+){2,}:\s*$")
_TRAIL_START = re.compile(
    r"^\s*(?:\*\*)?(?:This|These|The (?:above|code|function|completion|change|line)"
    r"|Explanation|Note|I(?:'ve| have| added| used| also)|In this|Let me|Hope|Feel free"
    r"|That|It (?:is|will|uses|adds|returns))\b"
)
_MARKER = re.compile(re.escape(CURSOR_MARKER) + r"|<\|?cursor\|?>|</cursor>", re.I)
_NO_BACKTICK_LANGUAGES = ("python", "c", "cpp", "java", "rust", "csharp", "ruby", "lua", "php")
_QUOTES = "\"'`"


def _last_lines(prefix: str, count: int) -> list[str]:
    """Up to ``count`` stripped complete lines that end just before the cursor's line."""
    window = (count + 1) * 400 + 4000
    parts = to_lf(prefix[-window:]).rsplit("\n", count + 1)
    complete = parts[:-1]
    if len(parts) == count + 2 or len(prefix) > window:
        complete = complete[1:]  # the first part is the rest of the text or a cut line
    return [line.strip() for line in complete]


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def is_chatter_line(line: str) -> bool:
    """Whether ``line`` is a model's preamble such as "Here is the code:"."""
    return bool(_LEAD_PHRASE.match(line) or _PROSE_COLON.match(line))


def _is_trailing_prose(line: str) -> bool:
    return (
        bool(_TRAIL_START.match(line)) and len(line.split()) >= 3 and not re.search(r"[=;{}]", line)
    )


def strip_fences(text: str) -> str:
    """The code inside the first Markdown fence (```lang ... ```), else ``text``.

    A lone fence is an unterminated opening one when only chatter precedes it,
    otherwise a stray closing one.
    """
    fences = list(_FENCE.finditer(text))
    if not fences:
        return text
    first = fences[0]
    before, after = text[: first.start()], text[first.end() + 1 :]
    if len(fences) == 1:
        if all(not ln.strip() or is_chatter_line(ln) for ln in before.split("\n")):
            return after
        return before.removesuffix("\n")
    return text[first.end() + 1 : fences[1].start()].removesuffix("\n")


def strip_inline_code(text: str, language_id: str) -> str:
    """A one-line reply wrapped in single backticks, unwrapped (not where ` is code)."""
    stripped = text.strip()
    if (
        language_id in _NO_BACKTICK_LANGUAGES
        and "\n" not in stripped
        and len(stripped) > 2
        and stripped[0] == stripped[-1] == "`"
        and "`" not in stripped[1:-1]
    ):
        return stripped[1:-1]
    return text


def strip_chatter(text: str) -> str:
    """Drop preamble lines ("Sure! Here is the code:") and trailing explanations."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and (not lines[start].strip() or is_chatter_line(lines[start])):
        start += 1
    if start and any(is_chatter_line(ln) for ln in lines[:start]):
        lines = lines[start:]
    for i, line in enumerate(lines):
        if i > 0 and _is_trailing_prose(line):
            return "\n".join(lines[:i]).rstrip()
    return "\n".join(lines)


def strip_cursor_marker(text: str) -> str:
    """Remove an echoed cursor marker (``<CURSOR>``, ``<cursor>``, ``<|cursor|>``)."""
    return _MARKER.sub("", text)


def _strip_line_echo(line: str, line_prefix: str) -> str | None:
    """``line`` minus a rewrite of ``line_prefix`` (whitespace-insensitive), or None."""
    want = line_prefix.strip()
    i = k = 0
    while k < len(want):
        if want[k].isspace():
            k += 1
        elif i < len(line) and line[i].isspace():
            i += 1
        elif i < len(line) and line[i] == want[k]:
            i += 1
            k += 1
        else:
            return None
    rest = line[i:]
    if line_prefix[-1:].isspace():
        if rest[:1] and not rest[0].isspace() and _is_word(line[i - 1]) and _is_word(rest[0]):
            return None
        rest = rest.lstrip(" \t")
    return rest


def _strip_token_overlap(line: str, line_prefix: str) -> str:
    """``line`` minus a leading repeat of the word(s) that end ``line_prefix``."""
    for k in range(min(len(line), len(line_prefix)), 0, -1):
        part = line[:k]
        if not line_prefix.endswith(part) or not any(_is_word(c) for c in part):
            continue
        before = line_prefix[-k - 1 : -k] if k < len(line_prefix) else ""
        if not (before and _is_word(before) and _is_word(part[0])):
            return line[k:]
    return line


def trim_prefix_overlap(text: str, ctx: CompletionContext) -> str:
    """Drop what repeats the text before the cursor.

    Handles a reply that starts by repeating the last lines before the cursor, one
    that rewrites the current line, and one that repeats the word being typed.
    """
    lines = text.split("\n")
    previous = _last_lines(ctx.prefix, len(lines))
    line_prefix = ctx.line_prefix
    echoed = 0
    for j in range(1, min(len(lines), len(previous)) + 1):
        head = [ln.strip() for ln in lines[:j]]
        if head != previous[len(previous) - j :] or len("".join(head)) < 4:
            continue
        if j == len(lines) or not line_prefix.strip():
            echoed = j
        elif _strip_line_echo(lines[j], line_prefix) is not None:
            echoed = j
    lines = lines[echoed:]
    if not lines:
        return ""
    if line_prefix.strip():
        rest = _strip_line_echo(lines[0], line_prefix)
        lines[0] = rest if rest is not None else _strip_token_overlap(lines[0], line_prefix)
    return "\n".join(lines)


def keep_first_line(text: str, ctx: CompletionContext) -> str:
    """The first line only, without whitespace doubled at either end."""
    line = text.split("\n", 1)[0]
    if not ctx.line_prefix or ctx.line_prefix[-1] in " \t":
        line = line.lstrip(" \t")
    if not ctx.line_suffix.strip():
        line = line.rstrip()
    return line


def _closing_counts(line_prefix: str, text: str) -> tuple[dict[str, int], set[str]]:
    """Brackets in ``text`` that close ones opened before it, and quotes it closes."""
    stack: list[tuple[str, bool]] = []
    quote: tuple[str, bool] | None = None
    closes: dict[str, int] = {}
    closed_quotes: set[str] = set()
    escaped = False
    for pos, ch in enumerate(line_prefix + text):
        ours = pos >= len(line_prefix)
        # Braces count inside strings too: f-strings and `${}` templates auto-close them.
        if quote is not None and ch not in "{}":
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote[0]:
                if ours and not quote[1]:
                    closed_quotes.add(ch)
                quote = None
        elif ch in _QUOTES and quote is None:
            quote = (ch, ours)
        elif ch in "([{":
            stack.append((ch, ours))
        elif ch in BRACKET_PAIRS:
            if stack and stack[-1][0] == BRACKET_PAIRS[ch]:
                opened_by_us = stack.pop()[1]
                if ours and not opened_by_us:
                    closes[ch] = closes.get(ch, 0) + 1
            elif ours:
                closes[ch] = closes.get(ch, 0) + 1
    return closes, closed_quotes


def _closes_typed_closer(text: str, ctx: CompletionContext) -> bool:
    """Whether ``text`` closes a bracket whose closer is already typed after the cursor.

    ``import {`` + ``Name} from "x";`` before the auto-closed ``}`` leaves that ``}``
    with nothing to close (``match_suffix`` replaces it only when the text ends there).
    """
    rest = ctx.line_suffix.lstrip()
    typed = rest[: len(rest) - len(rest.lstrip(")]}"))]
    if not typed:
        return False
    closes, _ = _closing_counts(ctx.line_prefix, text)
    return any(ch in typed for ch in closes)


def match_suffix(text: str, ctx: CompletionContext) -> tuple[str, int]:
    """How many characters after the cursor the reply replaces.

    When the reply ends with the start of the rest of the line, those characters
    (auto-closed brackets, quotes, ``;``) are replaced rather than doubled, but only
    if the reply really closes what they close. A block inserted before an
    auto-closed ``}`` ends on a new line so the ``}`` lands under its opener.
    """
    rest = ctx.line_suffix
    if not rest.strip():
        return text, 0
    closes, quotes = _closing_counts(ctx.line_prefix, text)
    for k in range(len(rest), 0, -1):
        part = rest[:k]
        if not text.endswith(part):
            continue
        special = [c for c in part if c in BRACKET_PAIRS or c in _QUOTES]
        if not special and (not part.strip() or part.strip(";:, ")):
            continue
        if all(c in quotes for c in part if c in _QUOTES) and all(
            closes.get(c, 0) >= part.count(c) for c in BRACKET_PAIRS if c in part
        ):
            return text, k
    if ctx.multiline and ctx.after_opener and "\n" in text:
        return text.rstrip() + "\n" + ctx.line_indent, 0
    return text, 0


def drop_prose(text: str, ctx: CompletionContext) -> str:
    """The code before the first line of English (all of it when the first line is).

    A sentence is never a suggestion: "The code is already correct." inserted into
    ``os.path.`` is worse than nothing.
    """
    return _before_first(text, lambda line: is_prose(line, ctx.language_id))


def _before_first(text: str, stops: Callable[[str], bool]) -> str:
    """``text`` up to (not including) its first line for which ``stops`` is true."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if stops(line):
            return "\n".join(lines[:i]).rstrip()
    return text


def drop_file_level_lines(text: str, ctx: CompletionContext) -> str:
    """The suggestion before a line that can only open a file (``package main``, an
    ``import``) when the cursor is inside a block or a line: the model restarted the file."""
    if not ctx.line_prefix.strip() and not ctx.enclosing_indent:
        return text
    return _before_first(text, lambda line: file_level_only(line, ctx.language_id))


def fit_before_rest(text: str, ctx: CompletionContext) -> str:
    """A one-line suggestion that leaves the typed rest of the line working, or "".

    ``heap[`` + ``# the index`` before the typed ``]`` would comment the ``]`` out: the
    comment goes. An unclosed string would swallow it, and a bracket the suggestion
    opens and leaves open would take the ``]`` for its own: such a suggestion goes.
    """
    masked = mask_strings(text)
    start = comment_start(masked, ctx.language_id)
    if start is not None and not text[:start].strip() and expects_code(ctx.line_prefix):
        return ""  # ``package `` + ``// Copyright ...``: a comment where code must go
    if statement_in_expression(ctx.line_prefix, text):
        return ""
    if not ctx.line_suffix.strip():
        return text
    if opens_string(text) and not opens_string(ctx.line_prefix):
        return ""
    if start is not None:
        text, masked = text[:start].rstrip(), masked[:start]
    opened: list[str] = []
    for ch in masked:
        if ch in "([{":
            opened.append(ch)
        elif ch in BRACKET_PAIRS and opened:
            if opened.pop() != BRACKET_PAIRS[ch]:
                return ""
    return "" if opened else text


_STATEMENT_LINE = re.compile(r"^(?:async def|def|class|import|from|@)\b.*$", re.M)


def in_prose(ctx: CompletionContext) -> bool:
    """Whether the cursor is inside a docstring / block string or a line comment.

    Triple quotes are counted from the last line that surely is code (a top-level
    ``def``/``class``/``import``): counted over a window that starts inside a long
    docstring, their parity would read the whole file inside out.
    """
    prefix = ctx.prefix[-20_000:]
    anchors = [match.start() for match in _STATEMENT_LINE.finditer(prefix)]
    if anchors:
        prefix = prefix[anchors[-1] :]
    if prefix.count('"""') % 2 or prefix.count("'''") % 2:
        return True
    line = ctx.line_prefix.lstrip()
    return line.startswith(("#", "//", "--", "/*", "* ", ";"))


def _clean(raw: str, ctx: CompletionContext) -> str:
    """The steps every reply goes through before it is shaped to one line or a block."""
    text = strip_fences(strip_prompt_echo(to_lf(raw), ctx.language_id))
    text = strip_inline_code(text, ctx.language_id)
    if not in_prose(ctx):  # inside a docstring or comment, prose is the content
        text = strip_chatter(text)
    text = strip_cursor_marker(text)
    if not (ctx.multiline and ctx.after_opener):
        text = re.sub(r"\A(?:[ \t]*\n)+", "", text)
    return trim_prefix_overlap(text, ctx)


def postprocess(raw: str, ctx: CompletionContext) -> Suggestion | None:
    """The suggestion to show for the model's ``raw`` reply, or None if nothing useful."""
    text = _clean(raw, ctx)
    if ctx.multiline:
        text = cut_at_block_end(normalise_indent(text, ctx), ctx)
        if ctx.language_id != "python":  # Python's parser judges it below
            text = keep_balanced_lines(text)
    else:
        text = keep_first_line(text, ctx)
    text = drop_present_lines(text, ctx)
    if not in_prose(ctx):
        text = drop_prose(text, ctx)
        text = drop_file_level_lines(text, ctx)
        if not ctx.multiline:
            text = fit_before_rest(text, ctx)
    if not text.strip():
        return None
    text, replace_after = match_suffix(text, ctx)
    if text == ctx.line_suffix[:replace_after]:
        return None
    if not replace_after and _closes_typed_closer(text, ctx):
        return None
    if (
        ctx.language_id == "python"
        and not in_prose(ctx)
        and breaks_python(ctx.prefix, ctx.suffix, text, replace_after)
    ):
        return None
    return Suggestion(text.replace("\n", ctx.eol), replace_after)


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
        if _FENCE.fullmatch(line) and not seen_fence:
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
        for _ in range(8):
            end = _first_code_line_end(text[pos:])
            if end is None:
                return None
            candidate = text[: pos + end]
            if postprocess(candidate, ctx) is not None:
                return candidate
            pos += end + 1
        return None
    fences = list(_FENCE.finditer(text))
    if len(fences) >= 2 and text[fences[0].end() : fences[1].start()].strip():
        return text[: fences[1].end()]
    complete = text[: text.rfind("\n") + 1] if "\n" in text else ""
    if not complete.strip():
        return None
    # The unfinished last line already shows its indentation once it has content.
    partial_line = text[len(complete) :]
    shaped = normalise_indent(_clean(text if partial_line.strip() else complete, ctx), ctx)
    end = block_end_line(shaped, ctx)
    if end is not None and end < len(shaped.split("\n")):
        return complete
    if not in_prose(ctx) and _cut_for_good(normalise_indent(_clean(complete, ctx), ctx), ctx):
        return complete
    return None


def _cut_for_good(shaped: str, ctx: CompletionContext) -> bool:
    """Whether complete lines already end the suggestion whatever follows: English, or a
    line that restarts the file (what comes after them is never shown)."""
    body = shaped.rstrip()
    return len(drop_file_level_lines(drop_prose(body, ctx), ctx)) < len(body)
