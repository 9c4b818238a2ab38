"""Figures for the recorded real-model corpus: what the model wrote, what the editor gets.

No model is needed: the raw answers are fixtures (``tests/fixtures/real_completions``).
For every case the raw answer and what today's iskra-ls would show are checked against
the invariants of ``bench/real_model/invariants.py``. What would be shown comes from
``replay.py``, as in ``tests/unit/test_real_corpus.py``: the answer streamed in small
pieces through the server's own completion fetch and answer reader (the line shown
early, the kept suggestion, the lines kept for the next line start). The figures are

- violations by kind in the raw answers and in what is shown (target 0), overall and
  per language (a case counts once per kind however many of its suggestions break it);
- the share of answers kept (the request ends with a suggestion);
- exact first token / first three tokens against the real code that was cut out;
- for Python, the share of kept suggestions after which the enclosing top-level
  definition still parses (target >= 90 %), counted over cases whose real code parses.

``python -m bench.real_model.quality`` prints them per language too;
``python -m bench.run`` includes them in its table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections import Counter, defaultdict
from typing import Any

from bench.real_model.corpus import RecordedCase, load_corpus
from bench.real_model.invariants import KINDS, Violation, check, first_tokens, python_parses
from bench.real_model.replay import Replayed, context, replay
from iskra_ls.completion.context import to_lf


def violations(
    case: RecordedCase, replayed: Replayed | None = None
) -> list[tuple[str, Violation]]:
    """(how it was shown, violation) for everything that reaches the editor and breaks an
    invariant (``replayed``: ``case`` already replayed)."""
    replayed = replay(case) if replayed is None else replayed
    return [
        (item.label, v)
        for item in replayed.shown
        for v in check(item.text, item.offset, case.language_id, to_lf(item.suggestion.text),
                       item.suggestion.replace_after, multiline=item.multiline)
    ]


@dataclasses.dataclass(frozen=True)
class _Graded:
    """One case's answer, replayed once and graded: the figures add these up."""

    language_id: str
    raw_kinds: frozenset[str]
    shown_kinds: frozenset[str]
    kept: bool
    first_exact: bool
    first3_exact: bool
    parses: bool | None
    """Python: whether the code still parses with the suggestion (None: not counted)."""
    replayed: Replayed


def _grade(case: RecordedCase) -> _Graded:
    ctx = context(case)
    raw = to_lf(case.raw or "")
    raw_kinds = frozenset(v.kind for v in check(case.text, case.offset, case.language_id, raw,
                                                multiline=ctx.multiline))
    replayed = replay(case)
    shown_kinds = frozenset(v.kind for _label, v in violations(case, replayed))
    suggestion = replayed.final
    if suggestion is None:
        return _Graded(case.language_id, raw_kinds, shown_kinds, False, False, False, None,
                       replayed)
    text = to_lf(suggestion.text)
    want = case.expected if ctx.multiline else case.expected.split("\n", 1)[0]
    parses = None
    if case.language_id == "python" and python_parses(
        case.text, case.offset, want, len(ctx.line_suffix)
    ):
        parses = python_parses(case.text, case.offset, text, suggestion.replace_after)
    return _Graded(
        case.language_id, raw_kinds, shown_kinds, True,
        first_tokens(text, 1) == first_tokens(want, 1),
        first_tokens(text, 3) == first_tokens(want, 3),
        parses, replayed,
    )


def _score(graded: list[_Graded]) -> dict[str, Any]:
    raw_kinds: Counter[str] = Counter()
    returned_kinds: Counter[str] = Counter()
    for g in graded:
        raw_kinds.update(g.raw_kinds)
        returned_kinds.update(g.shown_kinds)
    total = len(graded)
    kept = sum(g.kept for g in graded)
    parsed = [g.parses for g in graded if g.parses is not None]
    return {
        "cases": total,
        "raw_with_violation_share": sum(bool(g.raw_kinds) for g in graded) / total
        if total else None,
        "raw_violations": {k: raw_kinds[k] for k in KINDS},
        "returned_with_violation": sum(bool(g.shown_kinds) for g in graded),
        "returned_violations": {k: returned_kinds[k] for k in KINDS},
        "kept_share": kept / total if total else None,
        "first_token_exact_share": sum(g.first_exact for g in graded) / kept if kept else None,
        "first3_tokens_exact_share": sum(g.first3_exact for g in graded) / kept
        if kept else None,
        "python_kept_parse_share": sum(parsed) / len(parsed) if parsed else None,
        "python_parse_cases": len(parsed),
    }


def block_reading(graded: list[_Graded]) -> dict[str, Any]:
    """How much of each block answer is read before the suggestion is final.

    Each recorded block answer is replayed through the server's streaming code
    (:mod:`bench.real_model.replay`); the block early stop hands over the final
    suggestion before the answer's end (the rest is only drained). Without it, a block
    answer was read to its end. Tokens are counted as 4 characters.
    """
    blocks = [g.replayed for g in graded if g.replayed.multiline and g.replayed.answer_chars]
    n = len(blocks) or 1
    return {
        "block_answers": len(blocks),
        "tokens_read_before": sum(r.answer_chars for r in blocks) / n / 4,
        "tokens_read_after": sum(r.read_chars for r in blocks) / n / 4,
        "stopped_early_share": sum(r.read_chars < r.answer_chars for r in blocks) / n,
    }


def score(cases: list[RecordedCase] | None = None) -> dict[str, Any]:
    """The corpus figures, overall and per language (each answer replayed once)."""
    cases = load_corpus() if cases is None else cases
    graded = [_grade(case) for case in cases]
    by_language: dict[str, list[_Graded]] = defaultdict(list)
    for g in graded:
        by_language[g.language_id].append(g)
    result = _score(graded)
    result["block_reading"] = block_reading(graded)
    result["by_language"] = {
        lang: {k: v for k, v in _score(group).items() if k != "raw_violations"}
        for lang, group in sorted(by_language.items())
    }
    return result


async def run(per_language: int | None = None) -> dict[str, Any]:
    """For ``bench.run``: the figures, computed in a worker thread, of the first
    ``per_language`` cases of each language (None: all of them)."""
    cases = load_corpus()
    if per_language is not None:
        taken: Counter[str] = Counter()
        sample = []
        for case in cases:
            taken[case.language_id] += 1
            if taken[case.language_id] <= per_language:
                sample.append(case)
        cases = sample
    return await asyncio.to_thread(score, cases)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    figures = score()
    print(f"real-model corpus: {figures['cases']} cases")
    print(f"{'kind':<18} {'raw':>6} {'shown':>9}")
    for kind in KINDS:
        print(
            f"{kind:<18} {figures['raw_violations'][kind]:>6}"
            f" {figures['returned_violations'][kind]:>9}"
        )
    print(f"raw answers with a violation:  {_percent(figures['raw_with_violation_share'])}")
    print(f"returned with a violation:     {figures['returned_with_violation']}")
    print(f"answers kept:                  {_percent(figures['kept_share'])}")
    print(f"first token exact (kept):      {_percent(figures['first_token_exact_share'])}")
    print(f"first 3 tokens exact (kept):   {_percent(figures['first3_tokens_exact_share'])}")
    print(
        f"Python: kept and still parses: {_percent(figures['python_kept_parse_share'])}"
        f" of {figures['python_parse_cases']}"
    )
    reading = figures["block_reading"]
    print(
        f"block answers: {reading['block_answers']}; tokens read until the suggestion is final"
        f" {reading['tokens_read_before']:.0f} before the block early stop,"
        f" {reading['tokens_read_after']:.0f} after; stopped early"
        f" {_percent(reading['stopped_early_share'])}"
    )
    print(f"{'language':<12} {'cases':>5} {'kept':>8} {'bad':>4} {'first':>8} {'parses':>8}"
          "  shown breaking an invariant, by kind")
    for lang, f in figures["by_language"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in f["returned_violations"].items() if n)
        print(
            f"{lang:<12} {f['cases']:>5} {_percent(f['kept_share']):>8}"
            f" {f['returned_with_violation']:>4} {_percent(f['first_token_exact_share']):>8}"
            f" {_percent(f['python_kept_parse_share']):>8}  {kinds}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
