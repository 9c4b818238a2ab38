"""Filter: the typed rest of the line is replaced where the reply really closes it, never
doubled (every language)."""

from __future__ import annotations

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.text import BRACKET_PAIRS, QUOTES


def _closing_counts(
    line_prefix: str, text: str
) -> tuple[dict[str, int], set[str], list[tuple[str, bool]]]:
    """Brackets in ``text`` that close ones opened before it, quotes it closes, and the
    brackets still open after it (``(opener, opened by text)``, innermost last)."""
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
        elif ch in QUOTES and quote is None:
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
    return closes, closed_quotes, stack


def closes_typed_closer(text: str, ctx: CompletionContext) -> bool:
    """Whether ``text`` closes a bracket whose closer is already typed after the cursor.

    ``import {`` + ``Name} from "x";`` before the auto-closed ``}`` leaves that ``}``
    with nothing to close (``match_suffix`` replaces it only when the text ends there).
    """
    rest = ctx.line_suffix.lstrip()
    typed = rest[: len(rest) - len(rest.lstrip(")]}"))]
    if not typed:
        return False
    closes, _, _ = _closing_counts(ctx.line_prefix, text)
    return any(ch in typed for ch in closes)


def leaves_other_bracket_open(text: str, ctx: CompletionContext) -> bool:
    """Whether a one-line ``text`` leaves a bracket open that the typed closer after the
    cursor does not close (``while (`` + ``# [22.2.1`` before ``)``, ``elts[`` +
    ``join(b) {`` before ``]``): the line would end with brackets crossed."""
    rest = ctx.line_suffix.lstrip()
    if "\n" in text or not rest or rest[0] not in BRACKET_PAIRS:
        return False
    _, _, still_open = _closing_counts(ctx.line_prefix, text)
    return bool(still_open) and still_open[-1][1] and (
        still_open[-1][0] != BRACKET_PAIRS[rest[0]]
    )


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
    closes, quotes, _ = _closing_counts(ctx.line_prefix, text)
    for k in range(len(rest), 0, -1):
        part = rest[:k]
        if not text.endswith(part):
            continue
        special = [c for c in part if c in BRACKET_PAIRS or c in QUOTES]
        if not special and (not part.strip() or part.strip(";:, ")):
            continue
        if all(c in quotes for c in part if c in QUOTES) and all(
            closes.get(c, 0) >= part.count(c) for c in BRACKET_PAIRS if c in part
        ):
            return text, k
    if ctx.multiline and ctx.after_opener and "\n" in text:
        return text.rstrip() + "\n" + ctx.line_indent, 0
    return text, 0
