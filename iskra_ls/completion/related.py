"""What else goes into the prompt: definitions the cursor needs, recent edits, similar code.

With a few paid requests a day, the prompt is the lever. Besides the code around the
cursor, three kinds of part compete for one budget, in this order:

1. **definitions** of the names used around the cursor (calls, attribute chains,
   types, the file's imports) that live in other workspace files: the signature and
   the first doc line, from the workspace index (:mod:`iskra_ls.symbols`);
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
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from iskra_ls.languages import language_for
from iskra_ls.symbols.tags import IDENTIFIER_CHARS, Definition

IDENTIFIER = IDENTIFIER_CHARS
_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_]\w*", re.ASCII)
"""The same words in text without a non-ASCII character: twice as fast to find (most
code), and ``str.isascii`` answers without reading the text."""


def names_in(text: str) -> list[str]:
    """The identifiers of ``text`` in order (:data:`IDENTIFIER`'s words)."""
    return (_ASCII_IDENTIFIER if text.isascii() else IDENTIFIER).findall(text)

NEAR_LINES_BEFORE = 40
NEAR_LINES_AFTER = 10
SCAN_LINES_BEFORE = 200
SCAN_LINES_AFTER = 50
MAX_NAMES = 400
"""Names looked up per request: the index is asked this many times at most."""
SCAN_CHARS = 20_000
MAX_SAME_NAME = 40
"""A name defined more often than this (``__init__``, ``get``) cannot tell which is meant."""
MAX_DEFINITIONS_PER_NAME = 3
"""A name defined in many files (``get``, ``run``) says little: at most this many, nearest
folder first."""
EDIT_CONTEXT_LINES = 4
"""Lines shown above and below an edited line."""
SIMILAR_WINDOW_LINES = 30
MAX_SIMILAR_CHARS = 40_000
"""Of an open document, only the first this many characters are compared."""
MIN_SIMILARITY = 0.1
_MIN_PART_CHARS = 60


@dataclass(frozen=True)
class ContextPart:
    """One piece of text the prompt carries besides the code around the cursor."""

    kind: str
    """``definition``, ``edited`` or ``similar``."""
    source: str
    """Where it came from: workspace-relative path (and line)."""
    text: str


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


IMPORT_WEIGHT = 1.0
"""The names the file imports (as its grammar reads them: the workspace index takes them
from its parse of the file) rank as if used a few lines above the cursor."""
FAR_WEIGHT = 0.05


BANDS_BEFORE = ((2, 3.0), (8, 2.0), (24, 1.0), (NEAR_LINES_BEFORE, 0.6), (SCAN_LINES_BEFORE, 0.08))
"""(lines above the cursor up to, weight): nearer lines say more about what comes next."""
BANDS_AFTER = ((3, 1.4), (NEAR_LINES_AFTER, 1.0), (SCAN_LINES_AFTER, 0.05))


def _add(score: dict[str, float], text: str, weight: float) -> None:
    for name, count in Counter(names_in(text)).items():
        score[name] = score.get(name, 0.0) + count * weight


def names_near_cursor(prefix: str, suffix: str, imports: Sequence[str] = ()) -> list[str]:
    """Names used around the cursor, most relevant first: by distance from the cursor's
    line (in bands), the lines before counting more than those after, and the names the
    file imports (``imports``) counting as if used a few lines away; every other name in
    the window follows."""
    before = _last_lines(prefix, SCAN_LINES_BEFORE)
    after = suffix[:SCAN_CHARS].splitlines()[:SCAN_LINES_AFTER]
    score: dict[str, float] = dict.fromkeys(imports, IMPORT_WEIGHT)
    done = 0
    for until, weight in BANDS_BEFORE:
        _add(score, "\n".join(before[max(len(before) - until, 0):len(before) - done]), weight)
        done = min(until, len(before))
    done = 0
    for until, weight in BANDS_AFTER:
        _add(score, "\n".join(after[done:until]), weight)
        done = until
    near_chars = sum(map(len, before)) + len(before)
    far = prefix[-SCAN_CHARS:-near_chars] if len(prefix) > near_chars else ""
    _add(score, far + "\n" + suffix[SCAN_CHARS // 4:SCAN_CHARS], FAR_WEIGHT)
    return sorted(score, key=lambda name: -score[name])[:MAX_NAMES]


def _last_lines(text: str, count: int) -> list[str]:
    """The last ``count`` lines of ``text`` (without scanning the rest)."""
    start = len(text)
    for _ in range(count):
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    return text[start + 1:].splitlines()[-count:] if start >= 0 else text.splitlines()


@functools.lru_cache(maxsize=8192)
def _folder_distance(a: str, b: str) -> int:
    pa, pb = a.split("/")[:-1], b.split("/")[:-1]
    common = 0
    for x, y in zip(pa, pb, strict=False):
        if x != y:
            break
        common += 1
    return len(pa) + len(pb) - 2 * common


def render_definition(definition: Definition, language_id: str) -> str:
    """The signature, with the first doc line as a comment of the language."""
    if not definition.doc:
        return definition.signature
    marker = (language_for(language_id).line_comments or ("//",))[0]
    return f"{definition.signature}\n    {marker} {definition.doc}"


def definition_parts(
    names: Sequence[str],
    lookup: Callable[[str], Sequence[Definition]],
    own_path: str,
    label: Callable[[str], str],
    language_of: Callable[[str], str],
    budget: int,
) -> list[ContextPart]:
    """Definitions in other files of the names, most relevant name first, within
    ``budget`` characters (labels included); one part per definition."""
    own_label = label(own_path)
    labels: dict[str, tuple[int, str]] = {}

    def place(path: str) -> tuple[int, str]:
        found = labels.get(path)
        if found is None:
            shown = label(path)
            found = labels[path] = (_folder_distance(shown, own_label), shown)
        return found

    parts: list[ContextPart] = []
    used = 0
    seen: set[tuple[str, int]] = set()
    for name in names:
        if budget - used < _MIN_PART_CHARS:
            break
        defined = lookup(name)
        if len(defined) > MAX_SAME_NAME:
            continue  # asked before the definitions are made: a common name has thousands
        found = [d for d in defined if d.path != own_path]
        if not found:
            continue
        if len(found) > 1:  # most names have one definition: no order to find
            found.sort(key=lambda d: (place(d.path), d.line))
        for definition in found[:MAX_DEFINITIONS_PER_NAME]:
            if (definition.path, definition.line) in seen:
                continue
            seen.add((definition.path, definition.line))
            text = render_definition(definition, language_of(definition.path))
            source = f"{place(definition.path)[1]}:{definition.line + 1}"
            cost = len(text) + len(source) + 9
            if used + cost <= budget:  # a long one left out may leave room for a short one
                parts.append(ContextPart("definition", source, text))
                used += cost
    return parts


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
        if room < _MIN_PART_CHARS or not text.strip():
            continue
        parts.append(ContextPart("edited", source, text[:room]))
        used += len(parts[-1].text) + len(source) + 9
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
        if room < _MIN_PART_CHARS:
            break
        cut = text[:room].rsplit("\n", 1)[0] if len(text) > room else text
        parts.append(ContextPart("similar", source, cut))
        used += len(cut) + len(source) + 9
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
) -> list[ContextPart]:
    """All parts for one prompt within ``budget`` characters: definitions first, then
    edited ranges, then similar windows of open documents. ``imports``: the names the
    cursor's file imports (:meth:`~iskra_ls.symbols.index.SymbolIndex.imports`)."""
    near_before = "\n".join(_last_lines(prefix, NEAR_LINES_BEFORE))
    near_after = "\n".join(suffix[:SCAN_CHARS].splitlines()[:NEAR_LINES_AFTER])
    parts = definition_parts(names_near_cursor(prefix, suffix, imports), lookup, own_path, label,
                             language_of, budget)
    used = sum(len(p.text) + len(p.source) + 9 for p in parts)
    parts += edited_parts(others, budget - used)
    used = sum(len(p.text) + len(p.source) + 9 for p in parts)
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
