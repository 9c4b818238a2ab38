"""The real model with and without the new context (issue 22): the same cases, both prompts.

The corpus recorder (``record.py``) drives iskra-ls over stdio in an empty temporary
workspace, one in-memory document at a time: its prompts carry the code around the
cursor only (no definitions, no edited ranges, no similar documents). This bench asks
what the definitions from the workspace index change on the cases they are for:
cursors where the true continuation uses a name defined in *another* file of the same
package (``bench.context_recall``'s cursor picker, on packages of the Python stdlib and
of Go's stdlib), the rest of the line not typed yet.

For each case both prompts are built by the server's own functions, as
``CompletionService._prepare`` builds them: ``build_context``, then ``choose_parts``
over the package's ``SymbolIndex`` (no other open documents, as in the recorder),
``render`` and ``build_prompt`` within ``completion.budgetChars``; once with that
section ("with") and once without it ("without": what the corpus was recorded with).
The real model answers both (the request iskra-ls makes: ``max_tokens`` of the prompt,
temperature 0.2), and the rows are written like the corpus's
(``tests/fixtures/context_ab/<language>.jsonl``, one row per case and side, plus the
name, where it is defined, whether the prompt carried its definition, and the prompt's
tokens as llama-server counted them). Grading needs no model: each answer is replayed
through the server's fetch and answer reader (``replay.py``) and graded like the corpus
(``quality.py``).

    python -m bench.real_model.context_ab --record --languages python go --cases 24
    python -m bench.real_model.context_ab            # the figures, from the fixtures
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import random
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import sources
from bench.context_recall import BUDGET_CHARS, STDLIB, cases_in
from bench.real_model.corpus import RecordedCase
from bench.real_model.invariants import first_tokens
from bench.real_model.model import MODEL_NAME, running_model
from bench.real_model.quality import score
from bench.real_model.replay import replay
from iskra_ls.completion.context import Prompt, build_context, build_prompt, to_lf
from iskra_ls.completion.related import choose_parts, render
from iskra_ls.symbols.index import SymbolIndex
from iskra_ls.symbols.tags import language_of_path, outline
from iskra_ls.symbols.workspace import workspace_label

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "context_ab"
GO_SRC = sources.CACHE / "debian" / "golang-1.19-src" / "usr" / "share" / "go-1.19" / "src"
PACKAGES: dict[str, list[Path]] = {
    "python": [STDLIB / name for name in (
        "email", "json", "http", "asyncio", "logging", "importlib", "urllib",
        "concurrent/futures", "xml/etree", "unittest", "multiprocessing")],
    "go": [GO_SRC / name for name in (
        "net/http", "encoding/json", "strings", "bytes", "bufio", "time", "go/types",
        "compress/flate", "archive/tar", "text/template", "image/png", "net/url")],
}
SIDES = ("without", "with")
TEMPERATURE = 0.2
"""What iskra-ls asks with when no temperature is set (``completion.fetch``)."""


@dataclasses.dataclass(frozen=True)
class Cursor:
    """One cursor of the picker: the document with the rest of the line not typed yet."""

    id: str
    language_id: str
    folder: Path
    path: str
    label: str
    document: str
    offset: int
    expected: str
    name: str
    defined_in: list[str]


def _is_test(path: str) -> bool:
    return path.endswith("_test.go") or "/testdata/" in path


def cursors(language: str, count: int, seed: int = 22) -> list[Cursor]:
    """``count`` cursors of ``language``, taken in turn from each package (seeded)."""
    rng = random.Random(seed)
    per_package: list[list[Cursor]] = []
    for folder in PACKAGES[language]:
        if not folder.is_dir():
            continue
        picked = []
        for case in cases_in(folder, 4 * count, rng):
            defined = [p for p in case["defined_in"] if not _is_test(p)]
            if _is_test(case["path"]) or not defined:
                continue
            text = Path(case["path"]).read_text(encoding="utf-8")
            label = workspace_label(case["path"], [folder])
            line = text.count("\n", 0, case["cut"]) + 1
            picked.append(Cursor(
                id=f"{language}/{folder.name}/{label}:{line}", language_id=language,
                folder=folder, path=case["path"], label=label,
                document=text[:case["cut"]] + text[case["line_end"]:], offset=case["cut"],
                expected=text[case["cut"]:case["line_end"]], name=case["name"],
                defined_in=[workspace_label(p, [folder]) for p in defined]))
        per_package.append(picked)
    out: list[Cursor] = []
    while len(out) < count and any(per_package):
        for picked in per_package:
            if picked and len(out) < count:
                out.append(picked.pop(0))
    return out


def prompts(cursor: Cursor, index: SymbolIndex) -> tuple[dict[str, Prompt], bool]:
    """The prompt without and with the definitions section (as the service builds them),
    and whether the "with" prompt carries the wanted name's definition."""
    ctx = build_context(cursor.document, cursor.offset, language_id=cursor.language_id,
                        path=cursor.label)
    parts = choose_parts(prefix=ctx.prefix, suffix=ctx.suffix, own_path=cursor.path,
                         lookup=index.lookup,
                         label=functools.partial(workspace_label, folders=[cursor.folder]),
                         language_of=lambda p: language_of_path(p) or "", others=[],
                         budget=BUDGET_CHARS // 3,
                         imports=outline(cursor.document, cursor.language_id).imports,
                         modules=functools.partial(index.module_definitions, near=cursor.path))
    section = render(parts)
    with_prompt = build_prompt(ctx, budget_chars=max(BUDGET_CHARS - len(section), 1),
                               related=section)
    without = build_prompt(ctx, budget_chars=BUDGET_CHARS)
    sent = with_prompt.messages[-1]["content"]
    carried = any(d.signature in sent for d in index.lookup(cursor.name)
                  if workspace_label(d.path, [cursor.folder]) in cursor.defined_in)
    return {"without": without, "with": with_prompt}, carried


def _ask(url: str, prompt: Prompt) -> tuple[str, int]:
    """The model's whole answer and the prompt's tokens (llama-server's count)."""
    body = json.dumps({"messages": prompt.messages, "max_tokens": prompt.max_tokens,
                       "temperature": TEMPERATURE, "stream": False}).encode()
    request = urllib.request.Request(f"{url}/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=900) as response:
        answer = json.load(response)
    return answer["choices"][0]["message"]["content"] or "", answer["usage"]["prompt_tokens"]


def _row(cursor: Cursor, side: str, prompt: Prompt, raw: str, tokens: int,
         carried: bool) -> dict[str, Any]:
    case = RecordedCase(
        id=f"{cursor.id}:{side}", language_id=cursor.language_id, path=cursor.label,
        source=cursor.path, kind="mid_line", text=cursor.document, offset=cursor.offset,
        expected=cursor.expected, raw=raw, prompt=prompt.messages,
        max_tokens=prompt.max_tokens, model=MODEL_NAME)
    return dataclasses.asdict(case) | {"side": side, "name": cursor.name,
                                       "defined_in": cursor.defined_in,
                                       "carries_definition": carried and side == "with",
                                       "prompt_tokens": tokens}


def load(directory: Path = FIXTURES) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(directory.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    return rows


def _write(rows: list[dict[str, Any]], language: str, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows
             if r["language_id"] == language]
    (directory / f"{language}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


async def record(languages: list[str], count: int, directory: Path = FIXTURES,
                 start: int = 0) -> None:
    """Ask the model both prompts of ``count`` cursors per language (those not yet recorded;
    from the ``start``-th on: a second recorder can take the end of the list)."""
    rows = load(directory)
    done = {r["id"] for r in rows}
    async with running_model() as url:
        for language in languages:
            chosen = cursors(language, count)
            indexes: dict[Path, SymbolIndex] = {}
            for n, cursor in enumerate(chosen):
                if n < start or all(f"{cursor.id}:{side}" in done for side in SIDES):
                    continue
                if cursor.folder not in indexes:
                    indexes[cursor.folder] = SymbolIndex([str(cursor.folder)], lambda _p: True)
                    indexes[cursor.folder].build()
                both, carried = prompts(cursor, indexes[cursor.folder])
                started = time.perf_counter()
                new = []
                for side in SIDES:
                    raw, tokens = await asyncio.to_thread(_ask, url, both[side])
                    new.append(_row(cursor, side, both[side], raw, tokens, carried))
                rows = [r for r in rows if not r["id"].startswith(cursor.id + ":")] + new
                done |= {r["id"] for r in new}
                _write(rows, language, directory)  # a case costs minutes on busy cores
                print(f"[{n + 1}/{len(chosen)}] {cursor.id} {cursor.name!r} "
                      f"carried={carried} {time.perf_counter() - started:.0f}s", flush=True)


def _right_line(row: dict[str, Any], final: str | None) -> bool:
    """The kept suggestion is the true rest of the line (or a part of it ending at a
    token boundary: a line end cut short is still right)."""
    if final is None:
        return False
    line = to_lf(final).split("\n", 1)[0].rstrip()
    want = row["expected"].rstrip()
    return bool(line.strip()) and want.startswith(line) and (
        len(line) == len(want) or not want[len(line)].isalnum())


def figures(rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Per language and side: the corpus figures of ``quality.score`` plus the exact
    line, the name, the definition carried and the prompt's tokens."""
    rows = load() if rows is None else rows
    fields = {f.name for f in dataclasses.fields(RecordedCase)}
    out: dict[str, Any] = {}
    for language in sorted({r["language_id"] for r in rows}):
        ids = [{r["id"].rsplit(":", 1)[0] for r in rows
                if r["language_id"] == language and r["side"] == side} for side in SIDES]
        paired = ids[0] & ids[1]  # the same cases on both sides
        for side in SIDES:
            group = [r for r in rows if r["language_id"] == language and r["side"] == side
                     and r["id"].rsplit(":", 1)[0] in paired]
            cases = [RecordedCase(**{k: v for k, v in r.items() if k in fields})
                     for r in group]
            graded = score(cases)
            finals = [replay(c).final for c in cases]
            texts = [f.text if f is not None else None for f in finals]
            n = len(group) or 1
            out[f"{language} {side}"] = {
                "cases": len(group),
                "carries_definition_share": sum(r["carries_definition"] for r in group) / n,
                "kept_share": graded["kept_share"],
                "kept_right_share": sum(_right_line(r, t) for r, t in zip(group, texts,
                                                                          strict=True)) / n,
                "name_right_share": sum(
                    t is not None and first_tokens(to_lf(t), 1) == [r["name"]]
                    for r, t in zip(group, texts, strict=True)) / n,
                "first_token_exact_share": graded["first_token_exact_share"],
                "returned_with_violation": graded["returned_with_violation"],
                "prompt_tokens_mean": statistics.mean(r["prompt_tokens"] for r in group)
                if group else None,
            }
    return out


async def run() -> dict[str, Any]:
    """For ``bench.run``: the figures of the recorded answers (no model), in a worker."""
    return await asyncio.to_thread(figures)


FIGURES = (
    ("definition in the prompt", "carries_definition_share", True),
    ("answers kept", "kept_share", True),
    ("kept, the true rest of the line", "kept_right_share", True),
    ("kept, starting with the name", "name_right_share", True),
    ("kept, first token exact", "first_token_exact_share", True),
    ("shown breaking an invariant", "returned_with_violation", False),
    ("prompt tokens, mean", "prompt_tokens_mean", False),
)
"""(title, key of :func:`figures`, whether a share): what is shown, here and in ``bench.run``."""


def shown(value: float | None, share: bool) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f} %" if share else f"{value:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="ask the real model (slow)")
    parser.add_argument("--languages", nargs="+", default=list(PACKAGES))
    parser.add_argument("--cases", type=int, default=24, help="cursors per language")
    parser.add_argument("--out", type=Path, default=FIXTURES)
    parser.add_argument("--start", type=int, default=0, help="skip the first cursors")
    args = parser.parse_args(argv)
    if args.record:
        asyncio.run(record(args.languages, args.cases, args.out, args.start))
    result = figures(load(args.out))
    columns = list(result)
    print(f"{'':<32}" + "".join(f"{c:>16}" for c in columns))
    print(f"{'cases':<32}" + "".join(f"{result[c]['cases']:>16}" for c in columns))
    for title, key, share in FIGURES:
        print(f"{title:<32}" + "".join(f"{shown(result[c][key], share):>16}" for c in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
