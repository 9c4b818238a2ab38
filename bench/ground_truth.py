"""Right answers kept: real files, cursors cut from them, the model answers the true text.

The right-answer side of post-processing. Cursors are cut from real files of every
language in ``bench/sources.py`` (seeded, the same every run), of four kinds:

- ``mid_line``: a line cut at a token boundary, the rest of the line gone;
- ``line_start``: the cursor after an indented line's indentation, the rest of its
  block (up to a few lines) gone;
- ``in_indent``: the same, with only part of the indentation typed;
- ``after_opener``: the end of a line whose next line is deeper, the body gone.

The scripted model answers exactly the text that was cut out (the truth), bare and
wrapped the way chat models wrap (a fence; a preamble and a fence). Each answer is read
as the server's fetch reads it while it streams (``AnswerReader``: the early first line,
the early stop, the lines kept below a line end, all through ``postprocess``). An
outcome is *kept* when everything shown is the truth or the truth cut at one of its
line ends; *wrong* when something shown is not the start of the truth (target 0).

Per filter of the pipeline, the bare answers it changed or dropped are counted (the
filter's cost in right answers), in the context where the reader shapes each part (the
lines after a first line at the next line start).

    python -m bench.ground_truth [--per-language N] [--language ID ...]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import sources
from bench.sources import in_language
from iskra_ls.completion.context import CompletionContext, build_context, to_lf
from iskra_ls.completion.lookahead import AnswerReader, LineStart, next_line
from iskra_ls.completion.postprocess import Suggestion, postprocess

KINDS = ("mid_line", "line_start", "in_indent", "after_opener")
WRAPS = ("bare", "fenced", "preamble")
MAX_BLOCK_LINES = 8
CHUNK_CHARS = 7
EXCERPT_BEFORE = 6000
EXCERPT_AFTER = 2500
KEPT_TARGET = 98.0
PER_LANGUAGE_TARGET = 95.0


@dataclass(frozen=True)
class Case:
    id: str
    language_id: str
    kind: str
    text: str
    offset: int
    truth: str


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _excerpt(lines: list[str], first: int, last: int) -> tuple[int, int]:
    """Lines [a, b) around lines first..last: whole lines, bounded on both sides."""
    a, used = first, 0
    while a > 0 and used + len(lines[a - 1]) + 1 <= EXCERPT_BEFORE:
        a -= 1
        used += len(lines[a]) + 1
    b, used = last + 1, 0
    while b < len(lines) and used + len(lines[b]) + 1 <= EXCERPT_AFTER:
        used += len(lines[b]) + 1
        b += 1
    return a, b


def _cut(lines: list[str], a: int, b: int, start: tuple[int, int],
         end: tuple[int, int]) -> tuple[str, int, str]:
    """(document, cursor offset, truth): lines a..b with start..end taken out."""
    part = lines[a:b]
    text = "\n".join(part) + ("\n" if b < len(lines) else "")

    def at(pos: tuple[int, int]) -> int:
        return sum(len(x) + 1 for x in part[: pos[0] - a]) + pos[1]

    begin, stop = at(start), at(end)
    return text[:begin] + text[stop:], begin, text[begin:stop]


def _block_end(lines: list[str], i: int, base: int) -> int:
    """The first line after ``i`` (at most :data:`MAX_BLOCK_LINES` on) shallower than ``base``."""
    j = i + 1
    while j < len(lines) and j - i < MAX_BLOCK_LINES and (
        not lines[j].strip() or _indent(lines[j]) >= base
    ):
        j += 1
    while j - 1 > i and not lines[j - 1].strip():
        j -= 1
    return j


def _next_code(lines: list[str], i: int) -> int | None:
    for j in range(i + 1, min(len(lines), i + 4)):
        if lines[j].strip():
            return j
    return None


_BOUNDARY = re.compile(r"(?<=[\w)\]'\"}])(?:\s*[=(.,:\[{]\s*|\s+)|(?<=[(\[{.,:=])(?=\S)")


def _build(lines: list[str], i: int, kind: str, rng: random.Random) -> tuple[str, int, str] | None:
    line = lines[i]
    indent = _indent(line)
    if not line.strip() or len(line) > 200:
        return None
    if kind == "mid_line":
        body = line[indent:].rstrip()
        cuts = [m.end() for m in _BOUNDARY.finditer(body)]
        cuts = [c for c in cuts if 0.2 * len(body) <= c <= 0.85 * len(body) and c < len(body)]
        if not cuts:
            return None
        a, b = _excerpt(lines, i, i)
        return _cut(lines, a, b, (i, indent + rng.choice(cuts)), (i, len(line.rstrip())))
    if kind in ("line_start", "in_indent"):
        if indent == 0 or i == 0 or not lines[i - 1].strip():
            return None
        end = _block_end(lines, i, indent)
        a, b = _excerpt(lines, i, end - 1)
        col = indent if kind == "line_start" else rng.randrange(1, indent) if indent > 1 else -1
        if col < 0 or (kind == "in_indent" and "\t" in line[:indent]):
            return None
        return _cut(lines, a, b, (i, col), (end - 1, len(lines[end - 1].rstrip())))
    nxt = _next_code(lines, i)
    if nxt is None or _indent(lines[nxt]) <= indent:
        return None
    end = _block_end(lines, nxt, _indent(lines[nxt]))
    if end >= len(lines) or _indent(lines[end]) > indent:
        return None  # the body goes on past what the case can cut: not a whole body
    a, b = _excerpt(lines, i, end - 1)
    return _cut(lines, a, b, (i, len(line.rstrip())), (end - 1, len(lines[end - 1].rstrip())))


def cases_for(language_id: str, count: int, seed: int = 18) -> list[Case]:
    """``count`` cases of ``language_id`` (kinds in turn), from its files in a seeded order."""
    rng = random.Random(f"{seed}-{language_id}")
    paths = sources.files(language_id)
    rng.shuffle(paths)
    out: list[Case] = []
    want = {kind: count // len(KINDS) + (k < count % len(KINDS)) for k, kind in enumerate(KINDS)}
    have: Counter[str] = Counter()
    for per_file in (2, 6, 20):
        for path in paths:
            if len(out) >= count:
                return out
            source = Path(path).read_text(encoding="utf-8")
            if not in_language(language_id, source):
                continue
            lines = source.split("\n")
            taken = sum(c.id.startswith(f"{language_id}/{path}:") for c in out)
            order = list(range(len(lines)))
            rng.shuffle(order)
            for i in order:
                kinds = [k for k in KINDS if have[k] < want[k]]
                if not kinds or taken >= per_file:
                    break
                kind = rng.choice(kinds)
                built = _build(lines, i, kind, rng)
                if built is None or not built[2].strip():
                    continue
                case_id = f"{language_id}/{path}:{i + 1}:{kind}"
                if any(c.id == case_id for c in out):
                    continue
                text, offset, truth = built
                out.append(Case(case_id, language_id, kind, text, offset, truth))
                have[kind] += 1
                taken += 1
    return out


# -- judging -------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in to_lf(text).split("\n"))


def verdict(shown: str, truth: str) -> str:
    """``kept`` (the truth), ``cut`` (the truth up to one of its line ends), ``partial``
    (the truth cut inside a line) or ``wrong``."""
    text, want = _norm(shown).rstrip(), _norm(truth).rstrip()
    if text == want:
        return "kept"
    if want.startswith(text) and text.strip():
        return "cut" if want[len(text)] == "\n" else "partial"
    return "wrong"


def _wrap(truth: str, wrap: str, language_id: str) -> str:
    if wrap == "fenced":
        return f"```{language_id}\n{truth}\n```"
    if wrap == "preamble":
        return f"Here is the code:\n\n```{language_id}\n{truth}\n```\n"
    return truth


def _served(raw: str, ctx: CompletionContext) -> list[Suggestion | None]:
    """What the server keeps for ``raw`` (first) and shows early while it streams, read
    by the same :class:`AnswerReader` as the server's fetch: at the end of a line, an
    answer that goes on on the next line is kept for that line, not dropped."""
    reader = AnswerReader(ctx)
    shown: list[Suggestion | None] = []
    for end in range(CHUNK_CHARS, len(raw) + CHUNK_CHARS, CHUNK_CHARS):
        early, stop = reader.feed(raw[:end])
        if early is not None:
            shown.append(early)
        if stop is not None:
            return [reader.finish(stop), *shown]
    return [reader.finish(raw), *shown]


def outcome(case: Case, wrap: str = "bare") -> str:
    """The case's outcome: ``kept``, ``cut``, ``partial``, ``dropped`` or ``wrong``
    (everything the server keeps and shows early is judged)."""
    ctx = _context(case)
    results = _served(_wrap(case.truth, wrap, case.language_id), ctx)
    final = results[0]
    verdicts = []
    for suggestion in results:
        if suggestion is None:
            continue
        truth = case.truth
        if suggestion.replace_after:
            truth += ctx.line_suffix[: suggestion.replace_after]
        verdicts.append(verdict(suggestion.text, truth))
    if "wrong" in verdicts:
        return "wrong"
    if final is None:
        return "dropped"
    return verdicts[0]


def _context(case: Case) -> CompletionContext:
    return build_context(case.text, case.offset, language_id=case.language_id,
                         path=f"file.{case.language_id}")


def _filter_costs_by_language(cases: list[Case]) -> dict[str, dict[str, dict[str, int]]]:
    """Per language, per pipeline filter: bare right answers it changed into something not
    right, or dropped, among those the server does not keep (a first line dropped at the end
    of a line whose answer goes on below is served from the lines after it)."""
    try:
        from iskra_ls.completion.filters import trace_pipeline
    except ImportError:
        return {}
    costs: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for case in cases:
        if outcome(case) in ("kept", "cut"):
            continue
        for ctx, truth in _shaped_parts(case):
            for name, before, after in trace_pipeline(truth, ctx):
                if before == after:
                    continue
                if not after.strip():
                    costs[case.language_id][name]["dropped"] += 1
                elif verdict(after, truth) not in ("kept", "cut") and verdict(
                    before, truth
                ) in ("kept", "cut"):
                    costs[case.language_id][name]["changed"] += 1
    return {language: {name: dict(counter) for name, counter in sorted(per.items())}
            for language, per in sorted(costs.items())}


def _filter_costs(cases: list[Case]) -> dict[str, dict[str, int]]:
    """Per pipeline filter, all languages together (see :func:`_filter_costs_by_language`)."""
    return _summed(_filter_costs_by_language(cases))


def _shaped_parts(case: Case) -> list[tuple[CompletionContext, str]]:
    """(context, text) of each part of the true answer as the server's reader shapes it:
    a block at a line start in the context its indentation settles; in the middle of a
    line the first line at the cursor and the lines after it at the next line start."""
    ctx = _context(case)
    if ctx.multiline:
        start = LineStart(ctx)
        start.settle(case.truth + "\n")
        return [(start.ctx, start.text_of(case.truth))]
    if not ctx.lines_after or "\n" not in case.truth:
        return [(ctx, case.truth)]
    first, rest = case.truth.split("\n", 1)
    shown = postprocess(first, ctx) if first.strip() else None
    after = next_line(ctx, shown or Suggestion("", 0))
    if after is None or not rest.strip():
        return [(ctx, first)]
    start = LineStart(after)
    start.settle(rest + "\n")
    return [(ctx, first), (start.ctx, start.text_of(rest))]


def junk_stopped() -> dict[str, dict[str, int]]:
    """Per language of the real-model corpus (``tests/fixtures/real_completions``), per
    pipeline filter: recorded answers whose suggestion breaks an invariant of
    ``bench/real_model/invariants.py`` when that filter alone is left out (the junk it
    stops, plus ``all``); ``all``: with every filter in (target 0)."""
    from bench.real_model.corpus import load_corpus
    from bench.real_model.invariants import check
    from iskra_ls.completion import filters

    cases = load_corpus()
    contexts = [build_context(c.text, c.offset, language_id=c.language_id, path=c.path)
                for c in cases]

    def broken(pipeline: tuple[filters.Filter, ...]) -> Counter[str]:
        count: Counter[str] = Counter()
        for case, ctx in zip(cases, contexts, strict=True):
            result = filters.run(case.raw or "", ctx, pipeline)
            if result is not None and check(case.text, case.offset, case.language_id,
                                            result.text, result.replace_after,
                                            multiline=ctx.multiline):
                count[case.language_id] += 1
        return count

    found = {"all": broken(filters.PIPELINE)}
    for step in filters.PIPELINE:
        found[step.name] = broken(tuple(f for f in filters.PIPELINE if f is not step))
    languages = sorted({case.language_id for case in cases})
    return {language: {name: count[language] for name, count in found.items()}
            for language in languages}


def _summed(per_language: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The per-language counts added up (nested dicts of counts stay nested)."""
    total: dict[str, Any] = {}
    for per in per_language.values():
        for key, value in per.items():
            if isinstance(value, dict):
                inner = total.setdefault(key, {})
                for k, n in value.items():
                    inner[k] = inner.get(k, 0) + n
            else:
                total[key] = total.get(key, 0) + value
    return total


def run_sync(per_language: int = 60, languages: list[str] | None = None,
             examples: int = 3, *, junk: bool = True) -> dict[str, Any]:
    chosen = languages or list(sources.LANGUAGES)
    per: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    wrapped: Counter[bool] = Counter()
    all_cases: list[Case] = []
    failures: dict[str, list[dict[str, str]]] = {}
    for language_id in chosen:
        cases = cases_for(language_id, per_language)
        if not cases:
            continue
        all_cases += cases
        counts: Counter[str] = Counter()
        for case in cases:
            result = outcome(case)
            counts[result] += 1
            shown_so_far = failures.setdefault(language_id, [])
            if result not in ("kept", "cut") and len(shown_so_far) < examples:
                failures[language_id].append({"id": case.id, "outcome": result,
                                              "truth": case.truth[:160]})
            for wrap in WRAPS[1:]:
                wrapped[outcome(case, wrap) in ("kept", "cut")] += 1
        totals.update(counts)
        n = len(cases)
        per[language_id] = {
            "cases": n,
            **{k: counts[k] for k in ("kept", "cut", "partial", "dropped", "wrong")},
            "kept_share": round(100 * (counts["kept"] + counts["cut"]) / n, 1),
        }
    n = sum(totals.values())
    costs = _filter_costs_by_language(all_cases)
    junk_found = junk_stopped() if junk else {}
    return {
        "cases": n,
        "languages": len(per),
        "kept_share": round(100 * (totals["kept"] + totals["cut"]) / n, 1) if n else None,
        "worst_language_share": min((p["kept_share"] for p in per.values()), default=None),
        "wrong": totals["wrong"],
        "dropped": totals["dropped"],
        "wrapped_kept_share": round(100 * wrapped[True] / max(sum(wrapped.values()), 1), 1),
        "per_language": per,
        "filter_costs": _summed(costs),
        "junk_stopped": _summed(junk_found),
        "filter_costs_by_language": costs,
        "junk_stopped_by_language": junk_found,
        "examples": failures,
    }


async def run(per_language: int = 60, *, junk: bool = True) -> dict[str, Any]:
    return await asyncio.to_thread(run_sync, per_language, junk=junk)


def filters_by_language(result: dict[str, Any]) -> dict[str, str]:
    """Per language: each filter that changed or dropped a right answer or stops junk, as
    ``name changed/dropped, stopped`` (``bench.run`` prints the same rows); ``shown`` is
    the corpus junk every filter together lets through (target 0)."""
    costs = result.get("filter_costs_by_language") or {}
    junk = result.get("junk_stopped_by_language") or {}
    out: dict[str, str] = {}
    for language in sorted(set(result.get("per_language") or {}) | set(costs) | set(junk)):
        cost, found = costs.get(language, {}), junk.get(language, {})
        parts = []
        for name in sorted(set(cost) | set(found) - {"all"}):
            changed, dropped = cost.get(name, {}).get("changed", 0), cost.get(name, {}).get(
                "dropped", 0)
            stopped = found.get(name, 0) - found.get("all", 0)
            if changed or dropped or stopped:
                parts.append(f"{name} {changed}/{dropped}, {stopped}")
        shown = f"shown {found['all']}; " if found else "no corpus; "
        out[language] = shown + ("; ".join(parts) or "no filter changed anything")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-language", type=int, default=60)
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("language", nargs="*")
    args = parser.parse_args(argv)
    result = run_sync(args.per_language, args.language or None, args.examples)
    print(f"{'language':12} {'cases':>5} {'kept':>5} {'cut':>4} {'part':>4} {'drop':>4} "
          f"{'wrong':>5} {'kept %':>7}")
    for language_id, p in result["per_language"].items():
        print(f"{language_id:12} {p['cases']:5} {p['kept']:5} {p['cut']:4} {p['partial']:4} "
              f"{p['dropped']:4} {p['wrong']:5} {p['kept_share']:7.1f}")
    print(f"overall: {result['kept_share']} % kept (target >= {KEPT_TARGET}), worst language "
          f"{result['worst_language_share']} % (>= {PER_LANGUAGE_TARGET}), wrong "
          f"{result['wrong']} (0); wrapped answers kept {result['wrapped_kept_share']} %")
    junk_found = result["junk_stopped"]
    if junk_found:
        print(f"real-model corpus: suggestions breaking an invariant {junk_found['all']} "
              "(target 0); per filter, right answers changed/dropped and the corpus "
              "suggestions that break an invariant without it:")
    names = sorted(set(result["filter_costs"]) | set(junk_found) - {"all"})
    for name in names:
        cost = result["filter_costs"].get(name, {})
        print(f"  filter {name:22} right answers changed {cost.get('changed', 0):4}, "
              f"dropped {cost.get('dropped', 0):4}; junk stopped "
              f"{junk_found.get(name, 0) - junk_found.get('all', 0):4}")
    print("per language: corpus junk shown; per filter right answers changed/dropped, "
          "junk stopped")
    for language, line in filters_by_language(result).items():
        print(f"  {language:12} {line}")
    for items in result["examples"].values():
        for item in items:
            print(f"  {item['outcome']:8} {item['id']}: {item['truth']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
