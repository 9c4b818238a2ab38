"""Where a model's ``replace_in_file`` search text sits in a file.

Models copy search text with small drift: ``\\n`` where the file has
``\\r\\n``, lost trailing spaces, four spaces where the file has a tab. An
exact, unique match is tried first; when the search matches nowhere, tolerant
tiers are tried in order and each is used only when it finds exactly one
place:

1. line endings normalised (``\\n`` matches ``\\r\\n``);
2. trailing whitespace of each line ignored;
3. leading indentation ignored as long as the *relative* indentation (the
   level structure) is the same; the replacement is then re-indented the
   same way, so a tab-indented file stays tab-indented.

More than one place is never guessed at: the model is told how many places
matched and where. When nothing matches, the model is shown the closest lines.

Cost is linear: each tolerant tier searches a normalised copy of the file (one
line per line, offsets mapped back) with ``str.find``, never a regex built from
the search (that took 12-14 s and 130 MB on a big file), counting stops past
:data:`MAX_PLACES`, and inputs over :data:`MAX_SEARCH_CHARS` or
:data:`MAX_TEXT_CHARS` raise :class:`EditTooLarge` (a :class:`ToolError`, so the
model is told to split the edit).

Pure: strings in, offsets out.
"""

from __future__ import annotations

import difflib
import math
import re
from bisect import bisect_right
from dataclasses import dataclass

from iskra_ls.actions.tools import ToolError
from iskra_ls.textdoc import line_starts, split_lines, strip_line_ending

TAB_WIDTH = 4
"""Columns a tab counts for when comparing indentation levels."""

MAX_SEARCH_CHARS = 200_000
"""Longest ``search`` accepted; larger edits go through ``write_file`` or in pieces."""

MAX_TEXT_CHARS = 16_000_000
"""Largest file searched."""

MAX_PLACES = 100
"""Places counted before "more than" is all the model needs to know."""

_NEAR_BUDGET = 2_000_000
"""Characters compared when looking for the lines closest to a missed search."""


class EditTooLarge(ToolError):
    """An edit over the explicit size limits; ``str(error)`` tells the model what to do."""


@dataclass(frozen=True)
class Indentation:
    """How the search's indentation maps onto the file's (tier 3)."""

    search_base: int
    search_unit: int | None
    file_base: int
    file_unit: int | None
    use_tabs: bool

    def convert(self, indent: str) -> str:
        width = _width(indent)
        delta = width - self.search_base
        if self.search_unit and self.file_unit:
            delta = round(delta * self.file_unit / self.search_unit)
        elif self.use_tabs:
            delta = round(delta / TAB_WIDTH) * TAB_WIDTH
        target = max(self.file_base + delta, 0)
        if self.use_tabs:
            return "\t" * (target // TAB_WIDTH) + " " * (target % TAB_WIDTH)
        return " " * target


@dataclass(frozen=True)
class Match:
    """One place in the text: ``text[start:end]`` is what gets replaced."""

    start: int
    end: int
    tier: str = "exact"
    """``exact``, ``line-endings``, ``trailing-whitespace`` or ``indentation``."""
    indentation: Indentation | None = None

    def adapt(self, replace: str, newline: str) -> str:
        """The replacement as it should be inserted at this match."""
        text = replace.replace("\r\n", "\n").replace("\r", "\n")
        if self.indentation is not None:
            lines = text.split("\n")
            out = []
            for line in lines:
                body = line.lstrip(" \t")
                if not body:
                    out.append("")
                    continue
                out.append(self.indentation.convert(line[: len(line) - len(body)]) + body)
            text = "\n".join(out)
        return text.replace("\n", newline) if newline != "\n" else text


def dominant_newline(text: str) -> str:
    """The line ending most used in ``text`` (``\\n`` when there is none)."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf > lf and crlf >= cr:
        return "\r\n"
    if cr > lf and cr > crlf:
        return "\r"
    return "\n"


def conform_text(content: str, old: str) -> str:
    """``content`` in ``old``'s line endings, keeping whether it ends with a newline."""
    if not old or not content:
        return content
    if any(c in old for c in "\r\n"):
        newline = dominant_newline(old)
        content = content.replace("\r\n", "\n").replace("\r", "\n")
        if newline != "\n":
            content = content.replace("\n", newline)
    else:
        newline = "\n"
    old_final = old.endswith(("\n", "\r"))
    new_final = content.endswith(("\n", "\r"))
    if old_final and not new_final:
        content += newline
    elif new_final and not old_final:
        content = content.removesuffix("\r\n") if content.endswith("\r\n") else content[:-1]
    return content


def find_unique(text: str, search: str, *, name: str = "the file") -> Match:
    """The one place where ``search`` occurs in ``text``, or a :class:`ToolError`."""
    if search == "":
        raise ToolError("search is empty: copy the exact text to replace from the file.")
    if len(search) > MAX_SEARCH_CHARS:
        raise EditTooLarge(
            f"search is too large ({len(search):,} characters; the limit is "
            f"{MAX_SEARCH_CHARS:,}): replace a smaller, unique piece, or several in turn, "
            "or rewrite the file with write_file."
        )
    if len(text) > MAX_TEXT_CHARS:
        raise EditTooLarge(
            f"{name} is too large to search ({len(text):,} characters; the limit is "
            f"{MAX_TEXT_CHARS:,})."
        )
    exact = _overlapping_starts(text, search)
    if len(exact) == 1:
        return Match(exact[0], exact[0] + len(search))
    if len(exact) > 1:
        raise ToolError(_ambiguous(text, exact, name, ""))
    ambiguous: tuple[str, list[int]] | None = None
    for tier, finder in (
        ("line-endings", _line_endings),
        ("trailing-whitespace", _trailing_whitespace),
        ("indentation", _indentation),
    ):
        found = finder(text, search, tier)
        if len(found) == 1:
            return found[0]
        if len(found) > 1 and ambiguous is None:
            ambiguous = (tier, [m.start for m in found])
    if ambiguous is not None:
        tier, starts = ambiguous
        raise ToolError(_ambiguous(text, starts, name, f" (ignoring {tier.replace('-', ' ')})"))
    raise ToolError(_not_found(text, search, name))


def replace_unique(
    text: str, search: str, replace: str, *, name: str = "the file"
) -> tuple[str, Match]:
    """``text`` with the one match of ``search`` replaced, in the file's line endings."""
    match = find_unique(text, search, name=name)
    newline = _newline_near(text, match) or dominant_newline(text)
    return text[: match.start] + match.adapt(replace, newline) + text[match.end :], match


def line_of(text: str, offset: int) -> int:
    """1-based line number of ``offset``."""
    crlf = text.count("\r\n", 0, offset)
    return text.count("\n", 0, offset) + text.count("\r", 0, offset) - crlf + 1


# -- tiers -------------------------------------------------------------------


def _overlapping_starts(text: str, needle: str, start: int = 0, end: int | None = None,
                        ) -> list[int]:
    """Where ``needle`` starts (overlaps included), at most ``MAX_PLACES + 1`` of them."""
    starts: list[int] = []
    index = text.find(needle, start, end)
    while index != -1 and len(starts) <= MAX_PLACES:
        starts.append(index)
        index = text.find(needle, index + 1, end)
    return starts


class _Lines:
    """``text`` one normalised line per line (joined by ``\\n``), offsets mapped back."""

    def __init__(self, text: str, normalise: str) -> None:
        starts = line_starts(text)
        ends = [*starts[1:], len(text)]
        self.starts = starts
        self.contents = [strip_line_ending(text[a:b]) for a, b in zip(starts, ends, strict=True)]
        if normalise == "rstrip":
            lines = [c.rstrip(" \t") for c in self.contents]
        elif normalise == "strip":
            lines = [c.strip(" \t") for c in self.contents]
        else:
            lines = self.contents
        self.view = "\n".join(lines)
        self.view_starts = [0]
        for line in lines[:-1]:
            self.view_starts.append(self.view_starts[-1] + len(line) + 1)

    def line(self, position: int) -> int:
        return bisect_right(self.view_starts, position) - 1

    def offset(self, position: int) -> int:
        """The offset in the original text of a position in :attr:`view`."""
        line = self.line(position)
        return self.starts[line] + position - self.view_starts[line]

    def content_end(self, line: int) -> int:
        return self.starts[line] + len(self.contents[line])


def _line_endings(text: str, search: str, tier: str) -> list[Match]:
    parts = re.split(r"\r\n|\r|\n", search)
    if len(parts) == 1:
        return []
    lines = _Lines(text, "keep")
    needle = "\n".join(parts)
    return [
        Match(lines.offset(p), lines.offset(p + len(needle)), tier)
        for p in _overlapping_starts(lines.view, needle)
    ]


def _trailing_whitespace(text: str, search: str, tier: str) -> list[Match]:
    parts = re.split(r"\r\n|\r|\n", search)
    stripped = [p.rstrip(" \t") for p in parts]
    if stripped == parts and len(parts) == 1:
        return []
    lines = _Lines(text, "rstrip")
    needle = "\n".join(stripped)
    if stripped[-1] == parts[-1]:
        return [
            Match(lines.offset(p), lines.offset(p + len(needle)), tier)
            for p in _overlapping_starts(lines.view, needle)
        ]
    # The search's last line had trailing blanks: it must end a line, and takes the file's.
    view = lines.view + "\n"
    found = []
    for p in _overlapping_starts(view, needle + "\n"):
        last = lines.line(p + len(needle))
        found.append(Match(lines.offset(p), lines.content_end(last), tier))
    return found


def _width(indent: str) -> int:
    return sum(TAB_WIDTH if c == "\t" else 1 for c in indent)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _levels(widths: list[int]) -> tuple[int, int | None, list[int]]:
    base = min(widths)
    unit = 0
    for w in widths:
        unit = math.gcd(unit, w - base)
    if unit == 0:
        return base, None, [0] * len(widths)
    return base, unit, [(w - base) // unit for w in widths]


def _indentation(text: str, search: str, tier: str) -> list[Match]:
    wanted = re.split(r"\r\n|\r|\n", search)
    ends_with_newline = wanted[-1] == ""
    if ends_with_newline:
        wanted = wanted[:-1]
    if not wanted or not any(w.strip() for w in wanted):
        return []
    lines = _Lines(text, "strip")
    needle = "\n" + "\n".join(w.strip(" \t") for w in wanted) + "\n"
    view = "\n" + lines.view + "\n"  # whole lines only: a match starts and ends at a break
    count = len(wanted)
    found: list[Match] = []
    for p in _overlapping_starts(view, needle):
        first = lines.line(p)  # p + 1 in ``lines.view`` is the first line's start
        last = first + count - 1
        indentation = _map_indentation(lines.contents[first : last + 1], wanted)
        if indentation is None:
            continue
        if ends_with_newline:
            end = lines.starts[last + 1] if last + 1 < len(lines.starts) else len(text)
        else:
            end = lines.content_end(last)
        found.append(Match(lines.starts[first], end, tier, indentation))
    return found


def _map_indentation(window: list[str], wanted: list[str]) -> Indentation | None:
    """The indentation mapping when both have the same level structure."""
    pairs = [
        (_indent_of(w), _indent_of(g))
        for w, g in zip(wanted, window, strict=True)
        if w.strip()
    ]
    s_base, s_unit, s_levels = _levels([_width(s) for s, _ in pairs])
    f_base, f_unit, f_levels = _levels([_width(f) for _, f in pairs])
    if s_levels != f_levels:
        return None
    file_indents = "".join(f for _, f in pairs)
    use_tabs = "\t" in file_indents and " " not in file_indents.replace("\t", "")
    return Indentation(s_base, s_unit, f_base, f_unit, use_tabs)


# -- messages ----------------------------------------------------------------


def _newline_near(text: str, match: Match) -> str | None:
    """The line ending used around the match, for files with mixed endings."""
    after = re.compile(r"\r\n|\r|\n").search(text, match.start)
    if after is not None:
        return after.group(0)
    at = max(text.rfind("\n", 0, match.start), text.rfind("\r", 0, match.start))
    if at == -1:
        return None
    if text[at] == "\n" and at > 0 and text[at - 1] == "\r":
        return "\r\n"
    return text[at]


def _ambiguous(text: str, starts: list[int], name: str, how: str) -> str:
    lines = sorted({line_of(text, s) for s in starts[:8]})
    shown = ", ".join(str(n) for n in lines) + (", ..." if len(starts) > 8 else "")
    places = f"more than {MAX_PLACES}" if len(starts) > MAX_PLACES else str(len(starts))
    return (
        f"search matches {places} places in {name}{how} (lines {shown}); include more "
        "surrounding lines so that it matches exactly one place."
    )


def _not_found(text: str, search: str, name: str) -> str:
    wanted = next((s.strip() for s in search.splitlines() if s.strip()), search.strip())[:200]
    bodies = [strip_line_ending(line) for line in split_lines(text)]
    scored: list[tuple[float, int]] = []
    budget = _NEAR_BUDGET
    # ratio = 2 * matches / total >= 0.6 needs the shorter to be >= 3/7 of the longer.
    shortest, longest = len(wanted) * 3 // 7, len(wanted) * 7 // 3 + 1
    for number, body in enumerate(bodies, start=1):
        candidate = body.strip()
        if not candidate or not shortest <= len(candidate) <= longest:
            continue
        budget -= len(candidate) + len(wanted)
        if budget < 0:
            break
        ratio = difflib.SequenceMatcher(None, wanted, candidate, autojunk=False).quick_ratio()
        if ratio >= 0.6:
            ratio = difflib.SequenceMatcher(None, wanted, candidate, autojunk=False).ratio()
        if ratio >= 0.6:
            scored.append((ratio, number))
    scored.sort(key=lambda item: (-item[0], item[1]))
    message = (
        f"search was not found in {name} (0 places, also when ignoring line endings, "
        "trailing spaces and indentation)."
    )
    if scored:
        near = "; ".join(f"line {n}: {bodies[n - 1].strip()[:120]!r}" for _, n in scored[:3])
        message += f" Closest lines: {near}. Read the file again and copy the text exactly."
    else:
        message += " Read the file again and copy the text exactly."
    return message
