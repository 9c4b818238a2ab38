"""Suggestions kept for revisits and for typing through them (pure).

With 20 requests a day on the free tier, a request must not be spent on a
suggestion the user already has: when they come back to the same place, or type
the first characters of the ghost text, the cache answers. Typing through works
across line ends, tolerating the indentation an editor inserts after Enter (or
does not), and keeps the "replace the auto-closed characters" arithmetic right
when the editor auto-closes or over-types brackets and quotes.

An entry may hold more than a spot shows: automatic suggestions are shown a line at
a time (:func:`~iskra_ls.completion.lookahead.on_this_line`), and the lines after it
(a block, or the lines a one-line request brought along) wait for the next line
starts; a requested block is shown whole. What a spot shows whole is kept apart from
what waits for later line starts (``whole_chars``): an automatic block's answer brings
the lines after the block (a dedent out of it) for their own line start, and a requested
completion at the spot shows only the block, never past it. A spot whose answer was unusable is
remembered too (:data:`NOTHING`) for a while, so asking there again costs nothing.

Entries hold only the last ``PREFIX_KEEP`` characters before the cursor and the
first ``SUFFIX_KEEP`` after it, never whole documents, in a bounded LRU.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from iskra_ls.completion.lookahead import on_this_line, shown_whole
from iskra_ls.completion.postprocess import Suggestion

PREFIX_KEEP = 2000
SUFFIX_KEEP = 500
NOTHING_TTL_S = 300.0
"""How long a spot whose answer was unusable is not asked about again."""
NOTHING = Suggestion("")
"""What :meth:`SuggestionCache.lookup` answers for a spot known to have nothing to show."""
_INDENT_SLACK = 200
_MAX_ANCHORS = 4
_NEWLINE = re.compile(r"\r\n|\r|\n")
_BLANKS = re.compile(r"[ \t]*")

_Key = tuple[str, str, str]


@dataclass(frozen=True)
class _Entry:
    prefix_tail: str
    prefix_whole: bool
    """``prefix_tail`` is the whole text before the cursor."""
    suffix_head: str
    suffix_whole: bool
    """``suffix_head`` is the whole text after the cursor."""
    suggestion: Suggestion
    expires: float | None = None
    """A remembered :data:`NOTHING`: until when (``time.monotonic``)."""
    whole_chars: int | None = None
    """How much of ``suggestion`` the spot shows whole (None: all of it); the rest waits
    for the line starts after it and is never shown from here."""

    def at_spot(self, whole: bool) -> Suggestion:
        """What the exact spot shows."""
        if self.expires is not None:
            return self.suggestion
        if whole:
            return shown_whole(self.suggestion, self.whole_chars)
        return Suggestion(on_this_line(self.suggestion.text), self.suggestion.replace_after)


def _newline_length(text: str, at: int) -> int:
    match = _NEWLINE.match(text, at)
    return match.end() - at if match else 0


def consume_typed(typed: str, text: str) -> int | None:
    """Where ``text`` continues once ``typed`` (what the user typed) is taken off it.

    Any line ending matches any other. After one, the editor's auto-indent may be
    shorter than the suggestion's indentation only if nothing was typed after it.
    None when the typed characters leave the suggestion.
    """
    if text.startswith(typed):
        return len(typed)  # typed exactly as suggested: no per-character walk
    i = j = 0
    while i < len(typed):
        typed_nl = _newline_length(typed, i)
        if typed_nl:
            text_nl = _newline_length(text, j)
            if not text_nl:
                return None
            i, j = i + typed_nl, j + text_nl
            typed_ws = _BLANKS.match(typed, i).group(0)  # type: ignore[union-attr]
            text_ws = _BLANKS.match(text, j).group(0)  # type: ignore[union-attr]
            if typed_ws == text_ws:
                i, j = i + len(typed_ws), j + len(text_ws)
            elif text_ws.startswith(typed_ws) and i + len(typed_ws) == len(typed):
                return j + len(typed_ws)
            else:
                return None
        elif j < len(text) and typed[i] == text[j]:
            i, j = i + 1, j + 1
        else:
            return None
    return j


class SuggestionCache:
    """Bounded LRU of suggestions by document and cursor surroundings."""

    def __init__(self, lru_size: int = 64) -> None:
        self._size = max(lru_size, 1)
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, uri: str, prefix: str, suffix: str, suggestion: Suggestion, *,
                 whole_chars: int | None = None) -> None:
        """Keep ``suggestion`` for the cursor between ``prefix`` and ``suffix`` in ``uri``;
        only its first ``whole_chars`` are ever shown whole there (None: all)."""
        if not suggestion.text.strip():
            return
        if whole_chars is not None and whole_chars >= len(suggestion.text):
            whole_chars = None
        self._put(uri, prefix, suffix, suggestion, whole_chars=whole_chars)

    def remember_nothing(self, uri: str, prefix: str, suffix: str, now: float) -> None:
        """This spot's answer was unusable: answer :data:`NOTHING` there for a while."""
        self._put(uri, prefix, suffix, NOTHING, expires=now + NOTHING_TTL_S)

    def _put(self, uri: str, prefix: str, suffix: str, suggestion: Suggestion, *,
             expires: float | None = None, whole_chars: int | None = None) -> None:
        key = (uri, prefix[-PREFIX_KEEP:], suffix[:SUFFIX_KEEP])
        self._entries[key] = _Entry(
            prefix_tail=key[1],
            prefix_whole=len(prefix) <= PREFIX_KEEP,
            suffix_head=key[2],
            suffix_whole=len(suffix) <= SUFFIX_KEEP,
            suggestion=suggestion,
            expires=expires,
            whole_chars=whole_chars,
        )
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def lookup(
        self, uri: str, prefix: str, suffix: str, now: float = 0.0, *, whole: bool = False
    ) -> Suggestion | None:
        """A suggestion for this cursor without asking the model, :data:`NOTHING` where
        asking is known to bring nothing, or None (ask).

        An exact revisit answers the remembered suggestion; having typed the start of
        one answers the rest of it. Only the current line of it unless ``whole``; at the
        end of one of its lines, the next waits for Enter (:data:`NOTHING`).
        """
        key = (uri, prefix[-PREFIX_KEEP:], suffix[:SUFFIX_KEEP])
        hit = self._entries.get(key)
        if hit is not None and hit.expires is not None and hit.expires <= now:
            del self._entries[key]
            hit = None
        if hit is not None:
            self._entries.move_to_end(key)
            return hit.at_spot(whole)
        for other in reversed(self._entries):
            entry = self._entries[other]
            if other[0] != uri or entry.expires is not None:
                continue
            found = _type_through(entry, prefix, suffix, whole)
            if found is not None:
                self._entries.move_to_end(other)
                return found
        return None


def _anchors(entry: _Entry, prefix: str, longest: int) -> list[int]:
    """Cursor offsets in ``prefix`` where the remembered prefix could end."""
    tail = entry.prefix_tail
    if entry.prefix_whole:
        return [len(tail)] if len(prefix) > len(tail) and prefix.startswith(tail) else []
    found: list[int] = []
    low = max(0, len(prefix) - longest - len(tail))
    end = len(prefix) - 1
    while len(found) < _MAX_ANCHORS:
        at = prefix.rfind(tail, low, end)
        if at < 0:
            break
        found.append(at + len(tail))
        end = at + len(tail) - 1
    return found


def _type_through(entry: _Entry, prefix: str, suffix: str, whole: bool) -> Suggestion | None:
    text = entry.suggestion.text
    for anchor in _anchors(entry, prefix, len(text) + _INDENT_SLACK):
        taken = consume_typed(prefix[anchor:], text)
        if taken is None:
            continue
        rest = text[taken:]
        if not rest.strip():
            return None
        if not whole and not _NEWLINE.split(rest, 1)[0].strip():
            return NOTHING  # a line of it is typed: the next one waits for Enter
        if whole:
            rest = shown_whole(entry.suggestion, entry.whole_chars, taken=taken).text
        found = _with_suffix(entry, rest, suffix)
        if found is None or whole:
            return found
        return Suggestion(on_this_line(found.text), found.replace_after)
    return None


def _with_suffix(entry: _Entry, rest: str, suffix: str) -> Suggestion | None:
    """``rest`` with the characters it now replaces, if the suffix still fits.

    Accepting ``rest`` must leave the same text after the cursor as accepting the
    remembered suggestion would have: whatever appeared before the old text after
    the cursor (auto-closed brackets) is replaced by ``rest``.
    """
    replaced = entry.suggestion.replace_after
    if replaced > len(entry.suffix_head):
        return None
    kept = entry.suffix_head[replaced:]
    if entry.suffix_whole:
        extra = len(suffix) - len(kept)
        if extra < 0 or suffix[extra:] != kept:
            return None
    else:
        extra = suffix.find(kept, 0, len(rest) + len(kept) + SUFFIX_KEEP)
        if extra < 0:
            return None
    inserted = suffix[:extra]
    if not _NEWLINE.search(inserted):
        return Suggestion(rest, extra)
    if rest.endswith(inserted) and rest[: len(rest) - extra].strip():
        return Suggestion(rest[: len(rest) - extra], 0)
    return None
