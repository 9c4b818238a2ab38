"""Real model answers, recorded, checked: what reaches the editor breaks no invariant.

The corpus (``tests/fixtures/real_completions/*.jsonl``) holds completion requests cut
from real code in several languages and the raw answers a real chat model gave
(``bench/real_model``). Each raw answer goes through today's post-processing twice:
once whole (``postprocess``) and once as a stream fed in small pieces with the early
stop the server uses (the block's first line shown early, the final suggestion when
the stream may stop). Everything that would reach the editor is checked by the
oracle in ``bench/real_model/invariants.py``, written apart from the post-processor.

The ground truth (the real code that was cut out) passes the same oracle: that keeps
the oracle honest about real code.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.real_model.corpus import RecordedCase, load_corpus  # noqa: E402
from bench.real_model.invariants import check  # noqa: E402
from iskra_ls.completion.context import CompletionContext, build_context  # noqa: E402
from iskra_ls.completion.postprocess import Suggestion, early_stop_text, postprocess  # noqa: E402

CASES = load_corpus()
CHUNK_CHARS = 7
"""Stream piece size of the simulated stream (a token is ~4 characters; pieces vary)."""


def _ctx(case: RecordedCase) -> CompletionContext:
    return build_context(case.text, case.offset, language_id=case.language_id, path=case.path)


def _streamed(raw: str, ctx: CompletionContext) -> list[tuple[str, Suggestion | None]]:
    """What the editor would be shown while ``raw`` streams in: (label, suggestion)."""
    shown: list[tuple[str, Suggestion | None]] = []
    first_ctx = dataclasses.replace(ctx, multiline=False) if ctx.multiline else None
    first_shown = False
    for end in range(CHUNK_CHARS, len(raw) + CHUNK_CHARS, CHUNK_CHARS):
        joined = raw[:end]
        if first_ctx is not None and not first_shown:
            first = early_stop_text(joined, first_ctx)
            if first is not None:
                first_shown = True
                shown.append(("first line", postprocess(first, first_ctx)))
        early = early_stop_text(joined, ctx)
        if early is not None:
            shown.append(("early stop", postprocess(early, ctx)))
            return shown
    return shown


def _report(
    case: RecordedCase, label: str, suggestion: Suggestion | None, multiline: bool
) -> list[str]:
    if suggestion is None:
        return []
    violations = check(
        case.text,
        case.offset,
        case.language_id,
        suggestion.text,
        suggestion.replace_after,
        multiline=multiline,
    )
    return [f"{label}: {v.kind}: {v.detail}" for v in violations]


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 200
    languages = Counter(case.language_id for case in CASES)
    assert len({"python", "go", "rust", "lua"} & set(languages)) == 4
    assert {"javascript", "typescript"} & set(languages)
    assert set(Counter(case.kind for case in CASES)) >= {
        "line_start",
        "mid_line",
        "after_opener",
        "in_brackets",
    }
    assert all(case.raw is not None for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_ground_truth_passes_the_oracle(case: RecordedCase) -> None:
    """The real code that was cut out breaks no invariant (the oracle has no false alarm)."""
    ctx = _ctx(case)
    replace_after = len(ctx.line_suffix)  # the real code replaces the auto-closed brackets
    expected = case.expected if ctx.multiline else case.expected.split("\n", 1)[0]
    violations = check(
        case.text, case.offset, case.language_id, expected, replace_after, multiline=ctx.multiline
    )
    assert not violations, [f"{v.kind}: {v.detail}" for v in violations]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_what_reaches_the_editor_breaks_no_invariant(case: RecordedCase) -> None:
    ctx = _ctx(case)
    raw = case.raw or ""
    problems = _report(case, "whole", postprocess(raw, ctx), ctx.multiline)
    for label, suggestion in _streamed(raw, ctx):
        multiline = ctx.multiline and label != "first line"
        problems += _report(case, label, suggestion, multiline)
    assert not problems, problems
