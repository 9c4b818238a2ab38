"""The definitions a cursor needs, from the workspace index, for the prompt.

Two ways in: the names used around the cursor (calls, attribute chains, types, the
file's imports), ranked by how near the cursor they are; and, when the cursor follows a
module the file imports and a dot (``utils.``), that module's definitions, because the
name to come is not typed yet. Each definition is one part: its signature and first doc
line, labelled with its workspace-relative path. Pure: values in, values out.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
MIN_PART_CHARS = 60
"""A part shorter than this is not worth its label."""


@dataclass(frozen=True)
class ContextPart:
    """One piece of text the prompt carries besides the code around the cursor."""

    kind: str
    """``definition``, ``edited`` or ``similar``."""
    source: str
    """Where it came from: workspace-relative path (and line)."""
    text: str


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
    before = last_lines(prefix, SCAN_LINES_BEFORE)
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


def last_lines(text: str, count: int) -> list[str]:
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
    seen: set[tuple[str, int]] | None = None,
) -> list[ContextPart]:
    """Definitions in other files of the names, most relevant name first, within
    ``budget`` characters (labels included); one part per definition, none of ``seen``."""
    place = _Places(label, own_path)
    seen = set() if seen is None else seen
    parts: list[ContextPart] = []
    used = 0
    for name in names:
        if budget - used < MIN_PART_CHARS:
            break
        defined = lookup(name)
        if len(defined) > MAX_SAME_NAME:
            continue  # asked before the definitions are made: a common name has thousands
        found = [d for d in defined if d.path != own_path]
        if not found:
            continue
        if len(found) > 1:  # most names have one definition: no order to find
            found.sort(key=lambda d: (place(d.path), d.line))
        chosen = _parts_of(found[:MAX_DEFINITIONS_PER_NAME], own_path, place, language_of,
                           budget - used, seen)
        parts += chosen
        used += cost_of(chosen)
    return parts


MODULE_SHARE = 0.5
"""Of the definitions' budget, what the module before the cursor (``utils.``) may take:
the name to come is one of its definitions, but which one is not typed yet."""
MAX_MODULE_DEFINITIONS = 500
"""Of a module's definitions, those considered (in file order; a generated module may
have thousands, and each request orders them)."""
_RECEIVER = re.compile(r"([^\W\d]\w*)(?:\.|::)[^\W\d]?\w*$")
_RECEIVER_SCAN = 200


def module_before_cursor(prefix: str, imports: Sequence[str]) -> str | None:
    """The name before the ``.`` or ``::`` the cursor follows (a word already begun after
    it is allowed), when the file imports that name: ``utils`` in ``return utils.co``."""
    found = _RECEIVER.search(prefix, max(len(prefix) - _RECEIVER_SCAN, 0))
    return found.group(1) if found is not None and found.group(1) in imports else None


def module_parts(
    module: Sequence[Definition],
    own_path: str,
    label: Callable[[str], str],
    language_of: Callable[[str], str],
    budget: int,
    seen: set[tuple[str, int]],
    names: Sequence[str] = (),
) -> list[ContextPart]:
    """The definitions of the module the cursor reaches into, within ``budget``: first
    those the file already uses (``names``, most relevant first: its own uses of the
    module say which of its names it needs), then its top level (functions, classes),
    then their members, each in file order."""
    rank = {name: index for index, name in enumerate(names)}
    ordered = sorted(module[:MAX_MODULE_DEFINITIONS],
                     key=lambda d: (rank.get(d.name, len(rank)), d.kind == "method"))
    return _parts_of(ordered, own_path, _Places(label, own_path), language_of, budget, seen)


LABEL_CHARS = 9
"""What a part's label line adds around its source (``--- `` ``source`` `` ---`` and two
line breaks, as :func:`~iskra_ls.completion.related.render` writes it)."""


def part_cost(text: str, source: str) -> int:
    """The characters one part takes in the prompt, its label line included."""
    return len(text) + len(source) + LABEL_CHARS


def cost_of(parts: Sequence[ContextPart]) -> int:
    """The characters ``parts`` take in the prompt (each with its label line)."""
    return sum(part_cost(p.text, p.source) for p in parts)


class _Places:
    """Each path's workspace label and its folder distance from the cursor's file."""

    def __init__(self, label: Callable[[str], str], own_path: str) -> None:
        self.label = label
        self.own_label = label(own_path)
        self.known: dict[str, tuple[int, str]] = {}

    def __call__(self, path: str) -> tuple[int, str]:
        found = self.known.get(path)
        if found is None:
            shown = self.label(path)
            found = self.known[path] = (_folder_distance(shown, self.own_label), shown)
        return found


def _parts_of(definitions: Sequence[Definition], own_path: str, place: _Places,
              language_of: Callable[[str], str], budget: int,
              seen: set[tuple[str, int]]) -> list[ContextPart]:
    """One part per definition in order, those of other files not ``seen`` yet, while
    they fit ``budget`` (a long one left out may leave room for a short one)."""
    parts: list[ContextPart] = []
    used = 0
    for definition in definitions:
        if budget - used < MIN_PART_CHARS:
            break
        if definition.path == own_path or (definition.path, definition.line) in seen:
            continue
        seen.add((definition.path, definition.line))
        text = render_definition(definition, language_of(definition.path))
        source = f"{place(definition.path)[1]}:{definition.line + 1}"
        cost = part_cost(text, source)
        if used + cost <= budget:
            parts.append(ContextPart("definition", source, text))
            used += cost
    return parts
