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

Pure: strings in, offsets out.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from iskra_ls.actions.tools import ToolError
from iskra_ls.textdoc import split_lines, strip_line_ending

TAB_WIDTH = 4
"""Columns a tab counts for when comparing indentation levels."""


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
    return len(split_lines(text[:offset]))


# -- tiers -------------------------------------------------------------------


def _overlapping_starts(text: str, search: str) -> list[int]:
    starts: list[int] = []
    index = text.find(search)
    while index != -1:
        starts.append(index)
        index = text.find(search, index + 1)
    return starts


def _regex_matches(text: str, pattern: str, tier: str) -> list[Match]:
    regex = re.compile(f"(?=({pattern}))")
    return [Match(m.start(1), m.end(1), tier) for m in regex.finditer(text)]


def _line_endings(text: str, search: str, tier: str) -> list[Match]:
    parts = re.split(r"\r\n|\r|\n", search)
    if len(parts) == 1:
        return []
    return _regex_matches(text, r"(?:\r\n|\r|\n)".join(re.escape(p) for p in parts), tier)


def _trailing_whitespace(text: str, search: str, tier: str) -> list[Match]:
    parts = re.split(r"\r\n|\r|\n", search)
    stripped = [p.rstrip(" \t") for p in parts]
    if stripped == parts and len(parts) == 1:
        return []
    pieces = [re.escape(p) + r"[ \t]*" for p in stripped[:-1]]
    last = re.escape(stripped[-1])
    if stripped[-1] != parts[-1]:
        last += r"[ \t]*(?=\r\n|\r|\n|\Z)"
    pattern = r"(?:\r\n|\r|\n)".join([*pieces, last])
    return _regex_matches(text, pattern, tier)


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
    lines = split_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    bodies = [strip_line_ending(line) for line in lines]
    want_bodies = [w.strip(" \t") for w in wanted]
    found: list[Match] = []
    count = len(wanted)
    for first in range(len(bodies) - count + 1):
        window = bodies[first : first + count]
        if any(got.strip(" \t") != want for got, want in zip(window, want_bodies, strict=True)):
            continue
        indentation = _map_indentation(window, wanted)
        if indentation is None:
            continue
        last = first + count - 1
        end = starts[last + 1] if ends_with_newline else starts[last] + len(bodies[last])
        found.append(Match(starts[first], end, tier, indentation))
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
    before = list(re.finditer(r"\r\n|\r|\n", text[: match.start]))
    return before[-1].group(0) if before else None


def _ambiguous(text: str, starts: list[int], name: str, how: str) -> str:
    lines = sorted({line_of(text, s) for s in starts})
    shown = ", ".join(str(n) for n in lines[:8]) + (", ..." if len(lines) > 8 else "")
    return (
        f"search matches {len(starts)} places in {name}{how} (lines {shown}); include more "
        "surrounding lines so that it matches exactly one place."
    )


def _not_found(text: str, search: str, name: str) -> str:
    wanted = next((s.strip() for s in search.splitlines() if s.strip()), search.strip())
    bodies = [strip_line_ending(line) for line in split_lines(text)]
    scored: list[tuple[float, int]] = []
    for number, body in enumerate(bodies, start=1):
        candidate = body.strip()
        if not candidate:
            continue
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
