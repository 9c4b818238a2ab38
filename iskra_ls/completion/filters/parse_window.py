"""The text the grammar reads around the cursor, and its error nodes.

A parse of a whole document would cost per keystroke what the document weighs; the
syntax filter parses a bounded window instead: from a line where the code is at the top
level again above the cursor (a keyword line at column 0, or the shallowest member), to
where it is at the top level again below it. A window cut inside a construct made the
grammar read everything after the cut as one error, which then looked like the
suggestion's. Parses are cached by the window's bytes: both verdicts of one suggestion
(the document as it is, and with the suggestion) share the document's parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.prose import keywords
from iskra_ls.languages import language_for, new_parser

if TYPE_CHECKING:
    import tree_sitter

WINDOW_BEFORE = 2400
"""Characters before the cursor that are parsed (from a line start)."""
WINDOW_AFTER = 1000
"""Characters after the cursor that are parsed (to a line end)."""
WINDOW_AFTER_MAX = 3000
"""Past :data:`WINDOW_AFTER`, the window goes on to where the code is at the top level
again (a line at column 0), at most this far."""

_INDENTED_WORD = re.compile(r"([ \t]*)([A-Za-z_]\w*)")
UTF8, KEEP = "utf-8", "surrogatepass"
"""Byte offsets for tree-sitter: a lone surrogate (a document that is not valid Unicode)
is encoded as its three bytes, never an error, so offsets on both parses agree."""



@dataclass(frozen=True)
class Window:
    """The text parsed around the cursor: ``before`` it (from a line start), ``after`` it."""

    language_id: str
    before: str
    after: str


def window_of(ctx: CompletionContext) -> Window:
    """The bounded text parsed around the cursor (cached by the text near the cursor only:
    hashing a 20 MB prefix would cost more than the parse)."""
    return _window(ctx.language_id, ctx.prefix[-WINDOW_BEFORE - 1 :],
                   ctx.suffix[: WINDOW_AFTER_MAX + 1])


@lru_cache(maxsize=8)
def _window(language_id: str, prefix: str, suffix: str) -> Window:
    before = prefix[-WINDOW_BEFORE:]
    if len(before) < len(prefix):
        newline = before.find("\n")
        before = before[newline + 1 :] if newline >= 0 else before
        # Start at a top-level line that begins with one of the language's keywords
        # (``def``, ``function``, ``package``): a parse that starts inside a nested
        # block, or inside a docstring or comment the cut fell into, reads the whole
        # window inside out. In a long class or namespace no line near the cursor is at
        # the top level: if the cut fell deeper, start at the least indented keyword
        # line above that depth (a member's first line, ``    public ...``) when the
        # grammar reads it with fewer errors.
        words = keywords(language_id) - set(language_for(language_id).closers)
        words -= {"else", "elif", "elsif", "except", "finally", "catch", "case", "when"}
        cut = before.lstrip("\n")
        best = (len(cut[: len(cut) - len(cut.lstrip(" \t"))].expandtabs(8)), 0)
        for line_start in _line_starts(before, limit=before.rfind("\n")):
            first = _INDENTED_WORD.match(before, line_start)
            if first is None or first.group(2) not in words:
                continue
            depth = len(first.group(1).expandtabs(8))
            if not depth:
                best = (0, line_start)
                break
            if depth < best[0]:
                best = (depth, line_start)
        if best[0] and best[1] and _misreads(language_id, before[best[1] :], suffix) > (
            _misreads(language_id, before, suffix)
        ):
            best = (best[0], 0)  # a member alone is no code in this grammar (PHP's ``public``)
        if best[0]:
            # No keyword line at the top level (CSS rules start with selectors): the first
            # line at column 0 that closes nothing, where the grammar reads it better (the
            # cut fell in a rule, whose ``}`` then stood alone).
            top = _top_level_line(before, language_id)
            if top is not None and _misreads(language_id, before[top:], suffix) < (
                _misreads(language_id, before[best[1] :], suffix)
            ):
                best = (0, top)
        before = before[best[1] :]
        # Code that sits inside a tag (PHP's ``<?php``) is text to the grammar until
        # the tag opens it: a window cut below the tag starts with it again.
        before = language_for(language_id).code_tag + before
    return Window(language_id, before, _window_end(language_id, suffix))


def _window_end(language_id: str, suffix: str) -> str:
    """The text after the cursor that is parsed: to a line end past :data:`WINDOW_AFTER`,
    then on to the code's top level (before a line at column 0, or through it when it
    only closes, ``}``), so that a construct is not cut in two there: the function
    left open at the window's end read as one error from its first line, which took in
    every suggestion that reopened a block (within :data:`WINDOW_AFTER_MAX`)."""
    if len(suffix) <= WINDOW_AFTER:
        return suffix
    cut = suffix.rfind("\n", 0, WINDOW_AFTER) + 1
    if not cut:
        return suffix[:WINDOW_AFTER]
    closers = _line_closers(language_id)
    pos = cut
    while pos < min(len(suffix), WINDOW_AFTER_MAX):
        end = suffix.find("\n", pos)
        if end < 0 or end >= WINDOW_AFTER_MAX:
            break
        line = suffix[pos:end]
        if line.strip() and not line[0].isspace():
            return suffix[: end + 1] if line.startswith(closers) else suffix[:pos]
        pos = end + 1
    return suffix[:cut]


def _line_closers(language_id: str) -> tuple[str, ...]:
    """What a line that only closes starts with (``}``, ``end``)."""
    return (*language_for(language_id).closers, ")", "]", "}")


def _top_level_line(before: str, language_id: str) -> int | None:
    """Start of the first line of ``before`` (not its first, which may be cut) at column 0
    that is no closer (``}``, ``end``), or None."""
    closers = _line_closers(language_id)
    for line_start in _line_starts(before, limit=before.rfind("\n")):
        line = before[line_start : before.find("\n", line_start)]
        if line_start and line.strip() and not line[0].isspace() and (
            not line.startswith(closers)
        ):
            return line_start
    return None


def _misreads(language_id: str, before: str, after: str) -> int:
    """Error nodes the grammar finds before the cursor in a window of ``before`` + ``after``."""
    head = before.encode(UTF8, KEEP)
    tree = parse_source(language_id, head + after.encode(UTF8, KEEP))
    if tree is None:
        return 0
    return len([e for e in error_nodes(tree, 0, len(head)) if e[0] < len(head)])


def _line_starts(text: str, limit: int) -> Iterator[int]:
    pos = 0
    while 0 <= pos <= limit:
        yield pos
        pos = text.find("\n", pos) + 1 or -1


@lru_cache(maxsize=16)
def parse_source(language_id: str, source: bytes) -> tree_sitter.Tree | None:
    parser = new_parser(language_id)
    return None if parser is None else parser.parse(_blank_template_tags(language_id, source))


def _blank_template_tags(language_id: str, source: bytes) -> bytes:
    """``source`` with the template tags its grammar does not read (Django's and Jinja's
    ``{% %}``, ``{{ }}`` in HTML) blanked byte for byte to a word (``xxxx``, still text
    where the tag was text): quotes in a tag in an attribute (``src="{% static "a.js"
    %}"``) made the grammar misread the whole tag."""
    pattern = language_for(language_id).pattern("template_tags")
    if pattern is None:
        return source
    text = source.decode("latin-1")  # one character per byte: offsets stay
    return pattern.sub(lambda m: "x" * len(m.group(0)), text).encode("latin-1")


def error_nodes(tree: tree_sitter.Tree, start: int, end: int,
            touching: tuple[int, int] | None = None) -> list[tuple[int, int, str]]:
    """(start, end byte, kind) of each error or missing node that starts in ``start..end``.

    An error node that starts before the region (the window began inside a construct
    the parser could not place) is the window's, not the suggestion's, unless it takes
    in the ``touching`` range (the suggestion).
    """
    found: list[tuple[int, int, str]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte < start or node.start_byte > end:
            continue
        reaches = touching is not None and node.start_byte <= touching[1] and (
            node.end_byte >= touching[0]
        )
        if (node.is_error or node.is_missing) and (node.start_byte >= start or reaches):
            kind = "ERROR" if node.is_error else f"MISSING {node.type}"
            found.append((node.start_byte, node.end_byte, kind))
        if node.has_error:
            stack.extend(node.children)
    return sorted(found)
