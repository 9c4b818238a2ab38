"""Completion requests cut from real code on this machine, the same every run.

Four kinds of cursor, as an editor user meets them:

- ``line_start``: an indented line inside a block whose code is gone; the cursor sits
  after the indentation (iskra-ls asks for a block);
- ``mid_line``: a code line cut after a few tokens, the rest of the line gone (one line);
- ``after_opener``: the end of a line that opens a block, its body gone and the
  following code (the closer, the next definition) kept;
- ``in_brackets``: the user typed up to an opening bracket and the editor closed it:
  what was inside, and the rest of the line, is gone.

The document is an excerpt of the file around the cursor (whole lines, <= 8 KB,
about 70 % before the cursor, starting at a top-level line where one is near);
``expected`` is the real code that was cut out.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import sources
from bench.real_model.oracle_layout import code_part, content_width, opens_block
from bench.real_model.oracle_lexer import lex
from bench.real_model.oracle_syntax import Syntax, syntax

EXCERPT_CHARS = 8000
_TRIPLE = ('"' * 3, "'" * 3)
KINDS = ("line_start", "mid_line", "after_opener", "in_brackets")
LANGUAGES = tuple(sources.LANGUAGES)
"""Every language ``bench.sources`` has real files for (the same files as the other benches)."""


def source_files(language: str) -> list[str]:
    """The real files of ``language`` on this machine (``bench.sources``)."""
    return sources.files(language)


def kinds_for(language: str) -> tuple[str, ...]:
    """The cursor kinds a language has: prose (Markdown) has no brackets to auto-close."""
    if syntax(language).lexer == "markdown":
        return tuple(kind for kind in KINDS if kind != "in_brackets")
    return KINDS


@dataclass(frozen=True)
class Case:
    id: str
    language_id: str
    path: str
    source: str
    kind: str
    text: str
    offset: int
    expected: str


@dataclass
class _File:
    path: str
    language: str
    lines: list[str]
    code_start: list[bool]
    """Whether each line's first non-blank character is code (not string or comment); in a
    language whose content is prose (Markdown, HTML text) the text counts too."""
    outside: list[bool]
    """Whether each line starts outside any string or comment an earlier line opened."""

    @classmethod
    def read(cls, path: str, language: str) -> _File | None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if not text or len(text) > sources.MAX_FILE_BYTES or "\r" in text:
            return None
        if not sources.in_language(language, text):
            return None  # invalid on purpose (a test suite's fail*.json): no right answer
        lines = text.split("\n")
        if max(map(len, lines)) > sources.MAX_LINE_CHARS:
            return None  # minified or generated
        content = syntax(language).prose == "content"
        mask = lex(text, language)[0]
        starts: list[bool] = []
        outside: list[bool] = []
        pos = 0
        for line in lines:
            indent = len(line) - len(line.lstrip())
            body = line[indent:]
            out = pos == 0 or bool(mask[pos - 1])
            # A line may start a one-line string (a JSON key, a Go import path), not a
            # docstring.
            opens_string = out and body[:1] in "\"'" and not body.startswith(_TRIPLE)
            starts.append(bool(body) and (content or bool(mask[pos + indent]) or opens_string))
            outside.append(out)
            pos += len(line) + 1
        return cls(path, language, lines, starts, outside)

    @property
    def table(self) -> Syntax:
        return syntax(self.language)

    def indent(self, i: int) -> int:
        line = self.lines[i]
        return len(line) - len(line.lstrip(" \t"))

    def is_code(self, i: int) -> bool:
        line = self.lines[i].strip()
        skip = self.table.comment_line + (("@",) if self.table.decorators else ())
        return self.code_start[i] and 6 <= len(line) <= 160 and not (
            skip and line.startswith(skip)
        )

    def is_closer(self, i: int) -> bool:
        return bool(self.table.closer_line.fullmatch(self.lines[i].strip()))


def _opens_block(f: _File, i: int) -> bool:
    return opens_block(code_part(f.lines[i], f.language), f.table)


def _fence_opens(f: _File, i: int) -> bool:
    """Whether line ``i`` (a fence) opens a fenced block in Markdown (an even count above)."""
    fences = sum(bool(_FENCE.match(line)) for line in f.lines[:i])
    return fences % 2 == 0


_FENCE = re.compile(r"\s*(?:```|~~~)")
_TOML_HEADER = re.compile(r"\s*\[\[?[^\]]+\]\]?\s*(?:#.*)?")
_MAKE_RULE = re.compile(r"[^\s=:#][^=:#]*::?(?!=)[^=]*")


def _body_end(f: _File, i: int) -> int | None:
    """Index of the first line after the block opened at line ``i`` (its closer, or next code).

    The body is what is indented deeper than the opener; in Markdown, TOML and Makefiles,
    whose blocks are not indented, what the block's own syntax says: a fenced block up to
    its closing fence, a paragraph or list up to the blank line, a table up to the blank
    line or the next header, a rule's recipe (the tab-indented lines)."""
    lines = f.lines
    j = i + 1
    if f.table.lexer == "markdown":
        if _FENCE.match(lines[i]):
            if not _fence_opens(f, i):
                return None
            while j < len(lines) and not _FENCE.match(lines[j]):
                j += 1
        else:
            while j < len(lines) and lines[j].strip():
                j += 1
    elif f.table.lexer == "toml" and _TOML_HEADER.fullmatch(lines[i]):
        while j < len(lines) and lines[j].strip() and not _TOML_HEADER.fullmatch(lines[j]):
            j += 1
    elif f.table.lexer == "make" and _MAKE_RULE.fullmatch(lines[i].rstrip()):
        while j < len(lines) and lines[j].startswith("\t"):
            j += 1
    else:
        base = content_width(lines[i], " ", f.table)  # YAML: a ``- key:`` line's key column
        while j < len(lines) and (not lines[j].strip() or f.indent(j) > base):
            j += 1
    if j == i + 1 or j - i > 16 or j >= len(lines):
        return None
    while not lines[j - 1].strip():
        j -= 1  # blank lines after the body stay in the document
    return j if j > i + 1 else None


def _excerpt(f: _File, first_cut: int, last_cut: int) -> tuple[int, int]:
    """Lines [a, b) of the excerpt around lines first_cut..last_cut (whole lines, <= 8 KB)."""
    before_budget = int(EXCERPT_CHARS * 0.7)
    a, used = first_cut, 0
    while a > 0 and used + len(f.lines[a - 1]) + 1 <= before_budget:
        a -= 1
        used += len(f.lines[a]) + 1
    # Start at a top-level line near the start of the window when there is one, and never
    # inside a comment or string (the document would read inside out).
    for k in range(a, min(first_cut, a + 40)):
        if f.lines[k].strip() and f.indent(k) == 0 and f.code_start[k] and f.outside[k]:
            a = k
            break
    else:
        while a < first_cut and not f.outside[a]:
            a += 1
    after_budget = EXCERPT_CHARS - sum(len(x) + 1 for x in f.lines[a:last_cut + 1])
    b, used = last_cut + 1, 0
    while b < len(f.lines) and used + len(f.lines[b]) + 1 <= after_budget:
        used += len(f.lines[b]) + 1
        b += 1
    return a, b


def _document(f: _File, a: int, b: int, start: int, cut_from: tuple[int, int],
              cut_to: tuple[int, int], keep: str = "") -> tuple[str, int, str]:
    """(text, offset, expected): lines a..b with (line, col)..(line, col) removed.

    ``keep`` is inserted at the cursor after the cut (an auto-closed bracket)."""
    del start
    lines = f.lines[a:b]
    text = "\n".join(lines) + ("\n" if b < len(f.lines) else "")
    def at(pos: tuple[int, int]) -> int:
        line, col = pos
        return sum(len(x) + 1 for x in lines[: line - a]) + col
    begin, end = at(cut_from), at(cut_to)
    expected = text[begin:end]
    return text[:begin] + keep + text[end:], begin, expected


Cut = tuple[tuple[int, int], tuple[int, int]]


def _mid_line(f: _File, i: int, rng: random.Random) -> Cut | None:
    line = f.lines[i]
    start = f.indent(i)
    body = line[start:]
    cuts = [m.end() for m in re.finditer(r"[\w)\]'\"]\s*(?:[=(.,:]|\s)\s*", body)]
    cuts = [c for c in cuts if 0.25 * len(body) <= c <= 0.75 * len(body) and c < len(body) - 2]
    if not cuts:
        return None
    col = start + rng.choice(cuts)
    return (i, col), (i, len(line.rstrip()))


def _in_brackets(f: _File, i: int, rng: random.Random) -> tuple[int, str] | None:
    """(column after the opener, the closers the editor auto-inserted) on line ``i``."""
    line = f.lines[i].rstrip()
    mask = lex(line, f.language)[0]
    options: list[tuple[int, str]] = []
    stack: list[tuple[int, str]] = []
    pairs = {"(": ")", "[": "]", "{": "}"}
    for k, ch in enumerate(line):
        if not mask[k]:
            continue
        if ch in pairs:
            stack.append((k, ch))
        elif ch in pairs.values() and stack and pairs[stack[-1][1]] == ch:
            opened, _ = stack.pop()
            if k > opened + 1 and not stack:
                options.append((opened + 1, ch))
    if not options:
        return None
    col, closer = rng.choice(options)
    return col, closer


def cases_for(language: str, count: int, seed: int = 14) -> list[Case]:
    """``count`` cases of ``language``, its kinds in turn, from files in a seeded order.

    A kind the files cannot give enough of (few indented lines in TOML) leaves its share
    to the others, so every language gets ``count`` cases when its files allow."""
    rng = random.Random(f"{seed}-{language}")
    files = source_files(language)
    rng.shuffle(files)
    kinds = kinds_for(language)
    per_kind = {kind: 0 for kind in kinds}
    want = {kind: count // len(kinds) + (k < count % len(kinds)) for k, kind in enumerate(kinds)}
    out: list[Case] = []
    seen: set[str] = set()
    for per_file, quota in ((2, want), (4, want), (8, want), (8, dict.fromkeys(kinds, count))):
        # Spread over many files first; small corpora get more per file.
        for path in files:
            f = _File.read(path, language)
            if f is None:
                continue
            taken_here = sum(case.source == path for case in out)
            for case in _cases_in_file(f, rng, per_kind, quota):
                if taken_here >= per_file or len(out) >= count:
                    break
                if case.id in seen:
                    continue
                seen.add(case.id)
                out.append(case)
                per_kind[case.kind] += 1
                taken_here += 1
            if len(out) >= count:
                return out
    return out


def document_name(path: str, language: str) -> str:
    """The name the document is opened as: the file's own when it says the language."""
    name = os.path.basename(path)
    table = syntax(language)
    if name.startswith(table.named_files or ("\0",)) or Path(name).suffix[1:] in table.extensions:
        return name
    return f"{name}.{table.extensions[0]}" if table.extensions else name


def _cases_in_file(f: _File, rng: random.Random, have: dict[str, int],
                   want: dict[str, int]) -> Iterator[Case]:
    order = list(range(len(f.lines)))
    rng.shuffle(order)
    name = document_name(f.path, f.language)
    for i in order:
        if not f.is_code(i):
            continue
        kinds = [k for k in want if have[k] < want[k]]
        if not kinds:
            return
        kind = rng.choice(kinds)
        built = _build(f, i, kind, rng)
        if built is None:
            continue
        text, offset, expected = built
        if not expected.strip():
            continue
        yield Case(
            id=f"{f.language}/{name}:{i + 1}:{kind}",
            language_id=f.language,
            path=name,
            source=f.path,
            kind=kind,
            text=text,
            offset=offset,
            expected=expected,
        )


def _build(f: _File, i: int, kind: str, rng: random.Random) -> tuple[str, int, str] | None:
    line = f.lines[i]
    if kind == "line_start":
        if f.indent(i) == 0 or f.is_closer(i):
            return None
        if i == 0 or not f.lines[i - 1].strip():
            return None
        a, b = _excerpt(f, i, i)
        return _document(f, a, b, i, (i, f.indent(i)), (i, len(line.rstrip())))
    if kind == "mid_line":
        cut = _mid_line(f, i, rng)
        if cut is None:
            return None
        a, b = _excerpt(f, i, i)
        return _document(f, a, b, i, cut[0], cut[1])
    if kind == "after_opener":
        if not _opens_block(f, i):
            return None
        end = _body_end(f, i)
        if end is None:
            return None
        a, b = _excerpt(f, i, end)
        last = end - 1
        return _document(f, a, b, i, (i, len(line.rstrip())), (last, len(f.lines[last])))
    found = _in_brackets(f, i, rng)
    if found is None:
        return None
    col, closer = found
    a, b = _excerpt(f, i, i)
    return _document(f, a, b, i, (i, col), (i, len(line.rstrip())), keep=closer)


def all_cases(per_language: dict[str, int], seed: int = 14) -> list[Case]:
    out: list[Case] = []
    for language, count in per_language.items():
        out += cases_for(language, count, seed)
    return out


def every_cut(language: str, max_lines: int, seed: int = 14) -> Iterator[Case]:
    """Each kind of cursor at each code line of the language's files, in a seeded file
    order, until ``max_lines`` lines were used: the oracle's false-alarm run (``alarms.py``)."""
    rng = random.Random(f"{seed}-{language}-every")
    files = source_files(language)
    rng.shuffle(files)
    used = 0
    for path in files:
        f = _File.read(path, language)
        if f is None:
            continue
        name = document_name(f.path, f.language)
        for i in range(len(f.lines)):
            if not f.is_code(i):
                continue
            used += 1
            for kind in kinds_for(language):
                built = _build(f, i, kind, rng)
                if built is None or not built[2].strip():
                    continue
                text, offset, expected = built
                yield Case(f"{language}/{name}:{i + 1}:{kind}", language, name, f.path, kind,
                           text, offset, expected)
            if used >= max_lines:
                return
