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

from typing import TYPE_CHECKING

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.parse_window import (
    KEEP,
    UTF8,
    WINDOW_AFTER,
    error_nodes,
    parse_source,
    window_of,
)
from iskra_ls.completion.filters.region import in_prose, open_long_text
from iskra_ls.completion.prose import is_prose
from iskra_ls.languages import language_for

if TYPE_CHECKING:
    import tree_sitter

NEAR_LINES = 3
"""Lines after the suggestion whose errors count as its own (an opener with no body)."""
MAX_CUTS = 3
"""A block is cut before a new error at most this often before it is dropped."""
MISREAD_MARGIN_LINES = 6
"""An error this many lines above the cursor is the grammar misreading the file, not a
line being written."""

_CLOSERS = frozenset({"}", ")", "]", "end", "fi", "done", "esac", "until", "dedent"})


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
    before, rest = win.before.encode(UTF8, KEEP), win.after.encode(UTF8, KEEP)
    replaced = len(win.after[:replace_after].encode(UTF8, KEEP))
    old = parse_source(win.language_id, before + rest)
    if old is None:
        return None
    inserted = text.encode(UTF8, KEEP)
    new = parse_source(win.language_id, before + inserted + rest[replaced:])
    if new is None:
        return None
    line_start = before.rfind(b"\n") + 1
    cursor, end = len(before), len(before) + len(inserted)
    tail_text = _tail(win.after[replace_after:])
    tail = len(tail_text.encode(UTF8, KEEP))
    closer = open_long_text(old, before, win.language_id) if old.root_node.has_error else None
    if closer is not None:
        # The docstring or comment being written has no closer yet: the document's error
        # is its own; only code the suggestion writes after closing it can break.
        closed = inserted.find(closer)
        if closed < 0:
            return None
        after = cursor + closed + len(closer)
        blank_rest = not win.after[replace_after:].split("\n", 1)[0].strip()
        errors = [e for e in error_nodes(new, after, end + tail) if not (
            blank_rest and e[0] >= end and e[2].split(" ", 1)[-1] in _CLOSERS)]
        return None if not errors else inserted[: errors[0][0] - cursor].count(b"\n")
    following = _first_code(tail_text.split("\n", 1)[1] if "\n" in tail_text else "")
    if following is not None:
        first_tail_line = tail_text[: tail_text.index("\n")]
        old_at = cursor + replaced + len(first_tail_line.encode(UTF8, KEEP)) + 1
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
    was = [e for e in error_nodes(old, line_start, cursor + replaced + tail,
                              (cursor, cursor + replaced)) if e[0] >= near]
    now = [e for e in error_nodes(new, line_start, end + tail, (cursor, end)) if e[0] >= near]
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
    forms = {old_source[pos:stop].strip()
             for pos, stop, kind in error_nodes(old, 0, len(old_source))
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
    return len(text[: len(text) - len(stripped)].encode(UTF8, KEEP))


def _swallows_rest(old: tree_sitter.Tree, new: tree_sitter.Tree, rest: str, old_at: int,
                   new_at: int) -> bool:
    """Whether the typed rest of the cursor's line is in a comment or string only with
    the suggestion in place."""
    line = rest.split("\n", 1)[0]
    if not line.strip():
        return False
    skip = len(line[: len(line) - len(line.lstrip())].encode(UTF8, KEEP))
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
