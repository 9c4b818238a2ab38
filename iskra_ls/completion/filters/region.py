"""Where the cursor is: in code, a comment, a string or markup text.

Prose is the content in a comment, a string or markup text, and no chatter is stripped
there; in code, English is what a chat model says around its answer. The grammar of the
parse window (``parse_window``) says which: the node at the cursor and its parents, or,
in a file typed from its top, a comment or string opened above and not closed yet. A
language without a grammar is told from the line alone (a line comment marker).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from iskra_ls.completion.context import CompletionContext
from iskra_ls.completion.filters.parse_window import (
    KEEP,
    UTF8,
    Window,
    error_nodes,
    parse_source,
    window_of,
)
from iskra_ls.languages import Language, language_for

if TYPE_CHECKING:
    import tree_sitter

MAX_OPENERS = 20
"""Openers of a comment or string looked at, from the cursor back (each costs a lookup)."""

CODE, COMMENT, STRING, MARKUP = "code", "comment", "string", "markup"
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
    before = win.before.encode(UTF8, KEEP)
    tree = parse_source(win.language_id, before + win.after.encode(UTF8, KEEP))
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
        errors = [pos for pos, _end, kind in error_nodes(tree, 0, cursor) if kind == "ERROR"]
        start = errors[-1] if errors else None
    else:
        start = None if broken is None else broken.start_byte
    if start is not None and (start > 0 or len(win.before) == prefix_chars):
        # The parser gave up here (not merely where the window begins): an unclosed
        # string or comment?
        return _unclosed(before[start:cursor].decode(UTF8, "replace"), line_prefix, entry)
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
        start, end = opener.encode(UTF8), closer.encode(UTF8)
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
    tree = parse_source(language_id, text)
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
