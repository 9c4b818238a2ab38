"""What else goes into the prompt: definitions the cursor needs, recent edits, similar code.

With a few paid requests a day, the prompt is the lever. Besides the code around the
cursor, three kinds of part compete for one budget, in this order:

1. **definitions** that live in other workspace files: of the module the cursor
   reaches into (``utils.``), and of the names used around the cursor (calls,
   attribute chains, types, the file's imports): the signature and the first doc line,
   from the workspace index (:mod:`.needed_definitions`, :mod:`iskra_ls.symbols`);
2. **edited ranges**: the lines around the person's latest edits in other documents;
3. **similar code**: the window of another open document most like the code around
   the cursor, by Jaccard similarity over identifiers (Copilot's neighbouring tabs).

Each part is labelled with its workspace-relative path; the caller decides which
documents may be used at all (secret files and files outside the folders never are).
Pure: values in, values out.
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from iskra_ls.completion.needed_definitions import (
    MIN_PART_CHARS,
    MODULE_SHARE,
    NEAR_LINES_AFTER,
    NEAR_LINES_BEFORE,
    SCAN_CHARS,
    ContextPart,
    cost_of,
    definition_parts,
    last_lines,
    module_before_cursor,
    module_parts,
    names_in,
    names_near_cursor,
    part_cost,
)
from iskra_ls.symbols.tags import Definition

__all__ = ["ContextPart", "OpenText", "choose_parts", "definition_parts", "edited_parts",
           "names_near_cursor", "render", "sent_parts", "similar_parts"]

EDIT_CONTEXT_LINES = 4
"""Lines shown above and below an edited line."""
SIMILAR_WINDOW_LINES = 30
MAX_SIMILAR_CHARS = 40_000
"""Of an open document, only the first this many characters are compared."""
MIN_SIMILARITY = 0.1


@dataclass(frozen=True)
class OpenText:
    """Another open document that may be used (the caller has asked the file policy)."""

    label: str
    """Its workspace-relative path."""
    text: str
    edited_lines: tuple[int, ...] = ()
    """Lines of the person's latest edits, most recent first."""


def identifiers(text: str) -> set[str]:
    return set(names_in(text))


def edited_parts(others: Sequence[OpenText], budget: int) -> list[ContextPart]:
    """The lines around the latest edit of each other document, most recent first."""
    parts: list[ContextPart] = []
    used = 0
    for other in others:
        if not other.edited_lines:
            continue
        compared = other.text[:MAX_SIMILAR_CHARS]
        starts = _windows(compared).line_starts
        if other.edited_lines[0] >= len(starts) - 1:  # an edit past the compared part
            compared = other.text
            starts = _line_starts(compared)
        count = len(starts) - 1
        line = min(other.edited_lines[0], max(count - 1, 0))
        start, end = max(0, line - EDIT_CONTEXT_LINES), min(line + EDIT_CONTEXT_LINES + 1, count)
        text = _lines_between(compared, starts, start, end)
        source = f"{other.label}:{start + 1}-{end}"
        room = budget - used - len(source) - 9
        if room < MIN_PART_CHARS or not text.strip():
            continue
        parts.append(ContextPart("edited", source, text[:room]))
        used += part_cost(parts[-1].text, source)
    return parts


@dataclass(frozen=True)
class _Windows:
    """An open document's windows of ``SIMILAR_WINDOW_LINES`` lines (overlapping by
    half), ready to be compared with the code around a cursor.

    Kept as postings -- each identifier with the windows it is in -- and not one set per
    window: a window's Jaccard needs only how many of the cursor's names it shares and
    how many names it has, and postings hold each name once per document (a set per
    window held each name twice, 7 MB for twelve 50 KB documents)."""

    line_starts: tuple[int, ...]
    """Where each line starts, and the end of the text last."""
    first_lines: tuple[int, ...]
    """The first line of each window."""
    sizes: tuple[int, ...]
    """How many different identifiers each window has."""
    postings: dict[str, tuple[int, ...]]
    """Each identifier and the windows it is in, in order."""

    def most_similar(self, names: set[str]) -> tuple[float, int]:
        """The best Jaccard similarity to ``names`` and its window's first line (the
        first window of the best score; ``(0.0, 0)`` when nothing is shared)."""
        shared: Counter[int] = Counter()
        for name in names:
            shared.update(self.postings.get(name, ()))
        best = (0.0, 0)
        for window in sorted(shared):
            common = shared[window]
            score = common / (self.sizes[window] + len(names) - common)
            if score > best[0]:
                best = (score, self.first_lines[window])
        return best


@functools.lru_cache(maxsize=16)
def _windows(text: str) -> _Windows:
    """``text``'s windows, kept for the next request: an open document that is not being
    edited is the same text, so the next request costs a few look-ups only. Sixteen
    entries cover the documents one request weighs (``MAX_OTHER_DOCUMENTS``) with room
    for the edited one."""
    starts = _line_starts(text)
    per_line = [names_in(text[a:b]) for a, b in itertools.pairwise(starts)]
    step = SIMILAR_WINDOW_LINES // 2
    first_lines = tuple(range(0, max(len(per_line) - step, 1), step))
    sizes = []
    postings: dict[str, list[int]] = {}
    for window, start in enumerate(first_lines):
        names = {n for words in per_line[start:start + SIMILAR_WINDOW_LINES] for n in words}
        sizes.append(len(names))
        for name in names:
            postings.setdefault(sys.intern(name), []).append(window)
    return _Windows(starts, first_lines, tuple(sizes),
                    {name: tuple(sorted(w)) for name, w in postings.items()})


def _line_starts(text: str) -> tuple[int, ...]:
    """Where each line of ``text`` starts, and its end last (lines as ``splitlines``)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return tuple(starts)


def _lines_between(text: str, starts: tuple[int, ...], first: int, end: int) -> str:
    """Lines ``first`` to ``end`` (exclusive) of ``text``, joined by newlines."""
    return "\n".join(text[starts[first]:starts[end]].splitlines()).strip("\n")


def similar_parts(
    others: Sequence[OpenText], around_cursor: set[str], budget: int
) -> list[ContextPart]:
    """Per other document, its window most similar to the code around the cursor; the
    documents ranked by that similarity (not by recency), within ``budget``."""
    scored: list[tuple[float, str, str]] = []
    for other in others:
        text = other.text[:MAX_SIMILAR_CHARS]
        windows = _windows(text)
        starts = windows.line_starts
        best = windows.most_similar(around_cursor)
        if best[0] >= MIN_SIMILARITY:
            start = best[1]
            end = min(start + SIMILAR_WINDOW_LINES, len(starts) - 1)
            window = _lines_between(text, starts, start, end)
            scored.append((best[0], f"{other.label}:{start + 1}-{end}", window))
    scored.sort(key=lambda item: -item[0])
    parts: list[ContextPart] = []
    used = 0
    for _score, source, text in scored:
        room = budget - used - len(source) - 9
        if room < MIN_PART_CHARS:
            break
        cut = text[:room].rsplit("\n", 1)[0] if len(text) > room else text
        parts.append(ContextPart("similar", source, cut))
        used += part_cost(cut, source)
    return parts


def choose_parts(
    *,
    prefix: str,
    suffix: str,
    own_path: str,
    lookup: Callable[[str], Sequence[Definition]],
    label: Callable[[str], str],
    language_of: Callable[[str], str],
    others: Sequence[OpenText],
    budget: int,
    imports: Sequence[str] = (),
    modules: Callable[[str], Sequence[Definition]] = lambda _name: (),
) -> list[ContextPart]:
    """All parts for one prompt within ``budget`` characters: definitions first (of the
    module the cursor reaches into, then of the names around it), then edited ranges,
    then similar windows of open documents. ``imports``: the names the cursor's file
    imports (:meth:`~iskra_ls.symbols.index.SymbolIndex.imports`); ``modules``: the
    definitions of the files a module name stands for
    (:meth:`~iskra_ls.symbols.index.SymbolIndex.module_definitions`)."""
    near_before = "\n".join(last_lines(prefix, NEAR_LINES_BEFORE))
    near_after = "\n".join(suffix[:SCAN_CHARS].splitlines()[:NEAR_LINES_AFTER])
    seen: set[tuple[str, int]] = set()
    parts: list[ContextPart] = []
    names = names_near_cursor(prefix, suffix, imports)
    module = module_before_cursor(prefix, imports)
    if module is not None:
        parts = module_parts(modules(module), own_path, label, language_of,
                             int(budget * MODULE_SHARE), seen, names)
    parts += definition_parts(names, lookup, own_path, label, language_of,
                              budget - cost_of(parts), seen)
    parts += edited_parts(others, budget - cost_of(parts))
    used = cost_of(parts)
    edited = {p.source.split(":")[0] for p in parts if p.kind == "edited"}
    rest = [o for o in others if o.label not in edited]
    parts += similar_parts(rest, identifiers(near_before + "\n" + near_after), budget - used)
    return parts


HEADINGS = {
    "definition": "Definitions from other files of the workspace (for reference only):",
    "edited": "Recently edited code in other files (for reference only):",
    "similar": "Similar code in other open files (for reference only):",
}


def render(parts: Sequence[ContextPart]) -> str:
    """The prompt section of ``parts``, grouped by kind under one heading each."""
    sections = []
    for kind, heading in HEADINGS.items():
        chosen = [p for p in parts if p.kind == kind]
        if chosen:
            body = "\n".join(f"--- {p.source} ---\n{p.text}" for p in chosen)
            sections.append(f"{heading}\n{body}\n\n")
    return "".join(sections)


def sent_parts(messages: Sequence[dict[str, str]], path: str, section: str,
               parts: Sequence[ContextPart]) -> dict[str, Any]:
    """What one request sent, part by part, for the person to see: the fixed
    instructions, the code around the cursor, and each part from another file, with
    its source and size (``totalChars`` counts every character of every message)."""
    fixed = "".join(m["content"] for m in messages[:-1])
    code = messages[-1]["content"].replace(section, "", 1) if section else messages[-1]["content"]
    shown = [{"kind": "instructions", "source": "iskra-ls", "text": fixed},
             {"kind": "code", "source": path, "text": code},
             *({"kind": p.kind, "source": p.source, "text": p.text} for p in parts)]
    return {"parts": [{**part, "chars": len(part["text"])} for part in shown],
            "totalChars": sum(len(m["content"]) for m in messages)}
