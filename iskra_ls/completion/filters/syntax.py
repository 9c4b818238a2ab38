"""The grammar's verdict: does a suggestion bring a syntax error the document did not have?

For a language with a grammar (``iskra_ls.languages``), a bounded window around the
cursor is parsed twice with tree-sitter: as the document is, and with the suggestion in
place. Error and missing nodes near the cursor (from the start of the cursor's line to
a few lines past the suggestion) are counted in both; a suggestion that brings more of
them than the document had there is not shown, or, for a block, is cut before the line
where its first new error starts. An error the document already had (a line the user is
still typing, the body of a header not written yet) is not the suggestion's fault.

The same parse says whether the cursor sits in a comment, a string or markup text,
where prose is the content. A language without a grammar gets no verdict here.
Windows are a few KB: a parse costs a few ms at most, on any document size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.prose import is_prose, keywords
from iskra_ls.languages import Language, language_for, new_parser

if TYPE_CHECKING:
    import tree_sitter

WINDOW_BEFORE = 2400
"""Characters before the cursor that are parsed (from a line start)."""
WINDOW_AFTER = 1000
"""Characters after the cursor that are parsed (to a line end)."""
WINDOW_AFTER_MAX = 3000
"""Past :data:`WINDOW_AFTER`, the window goes on to where the code is at the top level
again (a line at column 0), at most this far."""
NEAR_LINES = 3
"""Lines after the suggestion whose errors count as its own (an opener with no body)."""
MAX_CUTS = 3
"""A block is cut before a new error at most this often before it is dropped."""
MISREAD_MARGIN_LINES = 6
"""An error this many lines above the cursor is the grammar misreading the file, not a
line being written."""
MAX_OPENERS = 20
"""Openers of a comment or string looked at, from the cursor back (each costs a lookup)."""

CODE, COMMENT, STRING, MARKUP = "code", "comment", "string", "markup"
_INDENTED_WORD = re.compile(r"([ \t]*)([A-Za-z_]\w*)")
_UTF8, _KEEP = "utf-8", "surrogatepass"
"""Byte offsets for tree-sitter: a lone surrogate (a document that is not valid Unicode)
is encoded as its three bytes, never an error, so offsets on both parses agree."""
_CLOSERS = frozenset({"}", ")", "]", "end", "fi", "done", "esac", "until", "dedent"})


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
    head = before.encode(_UTF8, _KEEP)
    tree = _parse(language_id, head + after.encode(_UTF8, _KEEP))
    return 0 if tree is None else len([e for e in _errors(tree, 0, len(head)) if e[0] < len(head)])


def _line_starts(text: str, limit: int) -> Iterator[int]:
    pos = 0
    while 0 <= pos <= limit:
        yield pos
        pos = text.find("\n", pos) + 1 or -1


@lru_cache(maxsize=16)
def _parse(language_id: str, source: bytes) -> tree_sitter.Tree | None:
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


def _errors(tree: tree_sitter.Tree, start: int, end: int,
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


def _tail(after: str) -> str:
    """The rest of the cursor's line and the next :data:`NEAR_LINES` non-blank lines."""
    pos, seen = after.find("\n"), 0
    while pos >= 0 and seen < NEAR_LINES:
        nxt = after.find("\n", pos + 1)
        if after[pos + 1 : nxt if nxt >= 0 else None].strip():
            seen += 1
        pos = nxt
    return after if pos < 0 else after[:pos]


def new_error_line(ctx: CompletionContext, text: str, replace_after: int = 0) -> int | None:
    """The line of ``text`` where the first error it brings starts (0 for an error that
    starts before it), or None when it brings none or the language has no grammar.

    A suggestion brings an error when, near the cursor, the document has more error
    and missing nodes with it than without it; when an error node starts inside it that
    the document did not have; or when the typed rest of the line ends up in a comment
    or string it was not in (``heap[`` + ``# index`` before the typed ``]``).
    """
    win = window_of(ctx)
    before, rest = win.before.encode(_UTF8, _KEEP), win.after.encode(_UTF8, _KEEP)
    replaced = len(win.after[:replace_after].encode(_UTF8, _KEEP))
    old = _parse(win.language_id, before + rest)
    if old is None:
        return None
    inserted = text.encode(_UTF8, _KEEP)
    new = _parse(win.language_id, before + inserted + rest[replaced:])
    if new is None:
        return None
    line_start = before.rfind(b"\n") + 1
    cursor, end = len(before), len(before) + len(inserted)
    tail_text = _tail(win.after[replace_after:])
    tail = len(tail_text.encode(_UTF8, _KEEP))
    closer = open_long_text(old, before, win.language_id) if old.root_node.has_error else None
    if closer is not None:
        # The docstring or comment being written has no closer yet: the document's error
        # is its own; only code the suggestion writes after closing it can break.
        closed = inserted.find(closer)
        if closed < 0:
            return None
        after = cursor + closed + len(closer)
        blank_rest = not win.after[replace_after:].split("\n", 1)[0].strip()
        errors = [e for e in _errors(new, after, end + tail) if not (
            blank_rest and e[0] >= end and e[2].split(" ", 1)[-1] in _CLOSERS)]
        return None if not errors else inserted[: errors[0][0] - cursor].count(b"\n")
    following = _first_code(tail_text.split("\n", 1)[1] if "\n" in tail_text else "")
    if following is not None:
        first_tail_line = tail_text[: tail_text.index("\n")]
        old_at = cursor + replaced + len(first_tail_line.encode(_UTF8, _KEEP)) + 1
        new_at = end + (old_at - cursor - replaced)
        was_text = _in_text(old, old_at + following)
        if not was_text and _in_text(new, new_at + following) and not _closes_open_quote(
            old, new, new_at + following, len(inserted) - replaced
        ):
            return len(text.split("\n")) - 1  # a comment or string swallows what follows
        if was_text:
            tail = 0  # it closes the comment the cursor was in: what follows is new code
    if _misread_above(old, before):
        # The grammar cannot read this document (a dialect, macros): it counts no errors,
        # only what needs no parse of the whole: English where code goes (in a comment
        # or string English is the content), a swallowed rest of the line.
        if _swallows_rest(old, new, win.after[replace_after:], cursor + replaced, end):
            return len(text.split("\n")) - 1
        return None if in_prose(ctx) else _first_english(text, win.language_id)
    near = before.rfind(b"\n", 0, max(line_start - 1, 0))
    near = before.rfind(b"\n", 0, max(near, 0)) + 1  # two lines above the cursor's line
    was = [e for e in _errors(old, line_start, cursor + replaced + tail,
                              (cursor, cursor + replaced)) if e[0] >= near]
    now = [e for e in _errors(new, line_start, end + tail, (cursor, end)) if e[0] >= near]
    if not win.after[replace_after:].split("\n", 1)[0].strip():
        # At the end of the line, a closer missing after the suggestion is the body still
        # to be written (``{``); before typed text (``)``) the suggestion must close it.
        now = [e for e in now if not (e[0] >= end and e[2].split(" ", 1)[-1] in _CLOSERS)]
    if in_prose(ctx):  # text in an unfinished docstring or comment: its error goes on
        was = [error for error in was if error[0] >= cursor]
        now = [error for error in now if error[0] >= cursor]
    if _restarts_file(new, cursor, end, win.language_id) or _only_comment_where_code_goes(
        old, new, cursor, end, line_start
    ):
        return 0
    shift = len(inserted) - replaced

    def moved(pos: int) -> int:
        return pos if pos < cursor else pos + shift

    old_places = {(moved(pos), moved(stop), kind) for pos, stop, kind in was}
    fresh = [(pos, stop, kind) for pos, stop, kind in now if (pos, stop, kind) not in old_places]
    misread = _misread_alike(old, new, fresh, (before + rest, before + inserted + rest[replaced:]),
                             (line_start, cursor, end))
    now = [error for error in now if error not in misread]
    fresh = [error for error in fresh if error not in misread]
    inside = [pos for pos, stop, kind in fresh
              if kind == "ERROR" and pos < end and stop > cursor]
    if len(now) > len(was):
        first = (fresh or now)[0][0]
    elif inside:
        first = max(inside[0], cursor)
    elif _swallows_rest(old, new, win.after[replace_after:], cursor + replaced, end):
        return len(text.split("\n")) - 1
    elif not in_prose(ctx) and (misread or _error_reaches(new, cursor + 1, cursor)
                                or _opaque(new, cursor)
                                or _in_value_list(new, cursor, win.language_id)):
        # The grammar misreads the suggestion's form of line wherever the document has
        # it, or the document's own error took the suggestion in, or the grammar reads no syntax
        # there (a macro's token tree), or only short values go there (a YAML flow list):
        # English in it is no code.
        return _first_english(text, win.language_id)
    else:
        return None
    return 0 if first < cursor else inserted[: first - cursor].count(b"\n")


def _misread_alike(old: tree_sitter.Tree, new: tree_sitter.Tree,
                   fresh: list[tuple[int, int, str]], sources: tuple[bytes, bytes],
                   places: tuple[int, int, int]) -> set[tuple[int, int, str]]:
    """The ``fresh`` errors (with the suggestion, not without) inside the suggestion whose
    text is that of an error the document has on lines of its own (above or below): the
    grammar misreads this form of line wherever the document writes it (Linux's
    ``cpuflags-$(CONFIG_X)\t:= -mcpu=y``), it is no error the suggestion brings."""
    line_start, cursor, end = places
    old_source, new_source = sources
    forms = {old_source[pos:stop].strip() for pos, stop, kind in _errors(old, 0, len(old_source))
             if kind == "ERROR" and (stop < line_start or pos > cursor)}
    forms.discard(b"")
    return {(pos, stop, kind) for pos, stop, kind in fresh
            if kind == "ERROR" and cursor <= pos and stop <= end
            and new_source[pos:stop].strip() in forms}


def _opaque(tree: tree_sitter.Tree, at: int) -> bool:
    """Whether ``at`` lies in a stretch the grammar takes as raw tokens (a macro body)."""
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(at, at)
    while node is not None:
        if "token_tree" in node.type:
            return True
        node = node.parent
    return False


def _in_value_list(tree: tree_sitter.Tree, at: int, language_id: str) -> bool:
    """Whether ``at`` lies in a node whose items are short values (``value_lists``)."""
    kinds = language_for(language_id).value_lists
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(at, at)
    while kinds and node is not None:
        if node.type in kinds:
            return True
        node = node.parent
    return False


def _restarts_file(tree: tree_sitter.Tree, start: int, end: int, language_id: str) -> bool:
    """Whether a node that stands only at a file's top level (``package``, ``import``)
    starts in ``start..end`` below the top level, or one that only opens a file starts
    there after other code: the model restarted the file."""
    entry = language_for(language_id)
    kinds = entry.top_level_only
    if not kinds and not entry.file_head:
        return False
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            continue
        if node.start_byte >= start and node.parent is not None and (
            (node.type in kinds and node.parent.parent is not None)
            or (node.type in entry.file_head and _code_before(node))
        ):
            return True
        stack.extend(node.children)
    return False


def _code_before(node: tree_sitter.Node) -> bool:
    """Whether a sibling before ``node`` is code (not a comment)."""
    sibling = node.prev_sibling
    while sibling is not None:
        if "comment" not in sibling.type:
            return True
        sibling = sibling.prev_sibling
    return False


def _error_reaches(tree: tree_sitter.Tree, line_start: int, at: int) -> bool:
    """Whether an error or missing node starts by ``at`` and reaches the cursor's line
    (which starts at ``line_start``): the code before the cursor is unfinished."""
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.start_byte > at or node.end_byte < line_start - 1:
            continue
        if node.is_error or node.is_missing:
            return True
        if node.has_error:
            stack.extend(node.children)
    return False


def _only_comment_where_code_goes(old: tree_sitter.Tree, new: tree_sitter.Tree, start: int,
                                  end: int, line_start: int) -> bool:
    """Whether the suggestion is only a comment, at the end of a line that still needs
    code (``package `` + ``// Copyright``): the document's error there stays."""
    if end <= start or not _error_reaches(old, line_start, start):
        return False
    node = new.root_node.descendant_for_byte_range(end - 1, end)
    while node is not None and "comment" not in node.type:
        node = node.parent
    if node is None or node.start_byte < start:
        return False
    text = new.root_node.text or b""
    return not text[start : node.start_byte].strip()


def _first_english(text: str, language_id: str) -> int | None:
    """The first line of ``text`` that reads as English, if any."""
    return next((i for i, line in enumerate(text.split("\n")) if is_prose(line, language_id)),
                None)


def _misread_above(tree: tree_sitter.Tree, before: bytes) -> bool:
    """Whether the code above the cursor, as it is, has an error node that ends a few
    lines before the cursor's line: the grammar does not read this file (a SQL dialect, C
    macros), so it cannot judge a suggestion. An error where the window begins (a
    construct cut in two) does not count."""
    limit = len(before)
    for _ in range(MISREAD_MARGIN_LINES + 1):
        limit = before.rfind(b"\n", 0, max(limit, 1))
        if limit <= 0:
            return False
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if not node.has_error or node.start_byte >= limit:
            continue
        if node.is_error and 0 < node.start_byte and node.end_byte < limit:
            return True
        stack.extend(node.children)
    return False


def _first_code(text: str) -> int | None:
    """Byte offset of the first non-blank character of ``text``, if any."""
    stripped = text.lstrip()
    if not stripped:
        return None
    return len(text[: len(text) - len(stripped)].encode(_UTF8, _KEEP))


def _swallows_rest(old: tree_sitter.Tree, new: tree_sitter.Tree, rest: str, old_at: int,
                   new_at: int) -> bool:
    """Whether the typed rest of the cursor's line is in a comment or string only with
    the suggestion in place."""
    line = rest.split("\n", 1)[0]
    if not line.strip():
        return False
    skip = len(line[: len(line) - len(line.lstrip())].encode(_UTF8, _KEEP))
    return _in_text(new, new_at + skip) and not _in_text(old, old_at + skip)


def _text_node(tree: tree_sitter.Tree, at: int) -> tree_sitter.Node | None:
    """The comment or string that ``at`` lies in (after its opener), if any."""
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(at, at + 1)
    while node is not None:
        if "comment" in node.type or ("string" in node.type and node.start_byte < at):
            return node
        node = node.parent
    return None


CLOSER_BYTES = 3
"""The longest closer of a string or comment looked for (``-->``; ``*/``, a quote)."""


def _closes_open_quote(old: tree_sitter.Tree, new: tree_sitter.Tree, at: int,
                       shift: int) -> bool:
    """Whether the string or comment that takes in ``at`` (with the suggestion, which
    moved the text after it by ``shift``) ends at a closer that, without the suggestion,
    began a string of its own or an error: the document's unmatched closer (a line
    continued with ``\\`` whose string the user cut, the ``*/`` of a doc comment whose
    opener the user cut), which the suggestion's opener pairs again."""
    node = _text_node(new, at)
    if node is None or node.end_byte - 1 - shift < 0:
        return False
    if "comment" in node.type:  # ``*/`` outside a comment is no code: the document's error
        last = node.end_byte - 1 - shift
        found = old.root_node.descendant_for_byte_range(last, last + 1)
        while found is not None and "comment" not in found.type:
            found = found.parent
        return found is None
    for size in range(1, CLOSER_BYTES + 1):
        closer = node.end_byte - size - shift
        if closer < 0:
            break
        found = old.root_node.descendant_for_byte_range(closer, closer + 1)
        while found is not None and found.start_byte == closer:
            if "string" in found.type or found.is_error:  # to the next quote, or none
                return True
            found = found.parent
    return False


def _in_text(tree: tree_sitter.Tree, at: int) -> bool:
    return _text_node(tree, at) is not None


def _strands_body_below(ctx: CompletionContext, text: str, replace_after: int) -> bool:
    """Where blocks are made by indentation, whether the code line below the suggestion is
    deeper than the suggestion's last line, which opens nothing: the indented body below
    needed the opener the suggestion did not write (``import os`` above ``    return``)."""
    entry = language_for(ctx.language_id)
    if not entry.body_needs_opener or ctx.line_suffix[replace_after:].strip():
        return False
    last = (ctx.line_prefix + text).rstrip().split("\n")[-1]
    below = next((ln for ln in ctx.suffix[:WINDOW_AFTER].split("\n")[1:] if ln.strip()), "")
    if not below or not last.strip() or entry.opens_block(last):
        return False
    return ctx.indent.columns(below) > ctx.indent.columns(last)


def keep_parseable(text: str, ctx: CompletionContext, replace_after: int = 0) -> str:
    """``text`` if it brings no new syntax error; a block cut before its first line that
    does; "" when even its first line does."""
    if _strands_body_below(ctx, text, replace_after):
        return ""
    for _ in range(MAX_CUTS):
        line = new_error_line(ctx, text, replace_after)
        if line is None:
            return text
        if line == 0:
            return ""
        text = "\n".join(text.split("\n")[:line]).rstrip()
        if not text.strip():
            return ""
    return text if new_error_line(ctx, text, replace_after) is None else ""


_CODE_AGAIN = ("interpolation", "substitution", "interpolated_expression",
               "template_expression")
_TEXT_NODES = ("text", "pod", "heredoc_body", "heredoc_content")


def cursor_region(ctx: CompletionContext) -> str:
    """Whether the cursor is in ``code``, a ``comment``, a ``string`` or ``markup`` text.

    From the grammar where the language has one; otherwise from the line alone (a line
    that starts with the language's line comment marker is a comment).
    """
    entry = language_for(ctx.language_id)
    if entry.is_prose:
        return MARKUP
    return _region(window_of(ctx), ctx.line_prefix, len(ctx.prefix))


@lru_cache(maxsize=8)
def _region(win: Window, line_prefix: str, prefix_chars: int) -> str:
    entry = language_for(win.language_id)
    before = win.before.encode(_UTF8, _KEEP)
    tree = _parse(win.language_id, before + win.after.encode(_UTF8, _KEEP))
    if tree is None:
        stripped = line_prefix.lstrip()
        return COMMENT if entry.line_comments and stripped.startswith(entry.line_comments) \
            else CODE
    cursor = len(before)
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(
        max(cursor - 1, 0), cursor
    )
    broken = None
    while node is not None:
        if node.is_error and broken is None:
            broken = node
        kind = node.type
        inside = node.start_byte < cursor < node.end_byte
        at_end = node.start_byte < cursor == node.end_byte
        if any(part in kind for part in _CODE_AGAIN):
            return CODE
        if kind.endswith("comment") or kind in ("comment_content", "pod"):
            if inside or (at_end and b"\n" not in before[node.start_byte : cursor]
                          and not kind.startswith(("block", "multiline"))):
                return COMMENT
        elif ("string" in kind and "system_lib" not in kind) or kind in _TEXT_NODES:
            if inside:
                return MARKUP if kind == "text" else STRING
        node = node.parent
    if tree.root_node.has_error and open_long_text(tree, before, win.language_id) is not None:
        return STRING  # a docstring or comment being written, its closer not typed yet
    if broken is None and tree.root_node.has_error:
        errors = [pos for pos, _end, kind in _errors(tree, 0, cursor) if kind == "ERROR"]
        start = errors[-1] if errors else None
    else:
        start = None if broken is None else broken.start_byte
    if start is not None and (start > 0 or len(win.before) == prefix_chars):
        # The parser gave up here (not merely where the window begins): an unclosed
        # string or comment?
        return _unclosed(before[start:cursor].decode(_UTF8, "replace"), line_prefix, entry)
    return CODE


def open_long_text(tree: tree_sitter.Tree, before: bytes, language_id: str) -> bytes | None:
    """The closer of a comment or string that runs over lines (``/*``, triple quotes) and
    is still open at the end of ``before`` (the cursor), or None.

    A file typed from its top has no closer yet below the cursor: the grammar reads the
    opener as an error, not as a comment or string. An opener counts when it stands
    in no comment or string node (its own or one it is quoted in) and no closer follows;
    quotes that open and close alike also need text after them that is not code.
    """
    found: tuple[int, bytes] | None = None
    for opener, closer in language_for(language_id).long_texts:
        start, end = opener.encode(_UTF8), closer.encode(_UTF8)
        pos = len(before)
        for _ in range(MAX_OPENERS):
            pos = before.rfind(start, 0, pos)
            if pos < 0 or (found is not None and pos < found[0]):
                break
            if _in_text_node(tree, pos, pos + len(start)):
                continue  # a closed comment or string, or an opener quoted in one
            if before.find(end, pos + len(start)) < 0 and (
                start != end or _reads_as_text(before[pos + len(start) :], language_id)
            ):
                found = (pos, end)
            break
    return None if found is None else found[1]


def _reads_as_text(text: bytes, language_id: str) -> bool:
    """Whether ``text`` is no code the grammar can read: after quotes that open and close
    alike, code means they closed a docstring that began above the window."""
    tree = _parse(language_id, text)
    return tree is None or tree.root_node.has_error


def _in_text_node(tree: tree_sitter.Tree, start: int, end: int) -> bool:
    """Whether ``start..end`` lies in a comment or string node larger than itself (not
    only the opener's token, which an unterminated string leaves in an error)."""
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None:
        if ("comment" in node.type or "string" in node.type) and (
            node.end_byte - node.start_byte > end - start
        ):
            return True
        node = node.parent
    return False


def _unclosed(text: str, line_prefix: str, entry: Language) -> str:
    """Where a stretch the parser could not read leaves the cursor: in a comment the
    cursor's line starts, or in code."""
    stripped = line_prefix.lstrip()
    if entry.line_comments and stripped.startswith(entry.line_comments):
        return COMMENT
    return CODE


def in_prose(ctx: CompletionContext) -> bool:
    """Whether prose is the content at the cursor (a comment, a string, markup text)."""
    return cursor_region(ctx) != CODE
