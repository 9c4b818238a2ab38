"""The real model with and without the new context (issue 22), recorded, checked.

``tests/fixtures/context_ab/*.jsonl`` holds, for cursors where the true continuation
uses a name defined in another file of the same package, the real model's answers to
the prompt without the definitions section and to the prompt with it
(``bench/real_model/context_ab.py``). No model is needed here: the answers are replayed
through the server's own fetch and answer reader, like the corpus's.
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

from bench.real_model.context_ab import SIDES, figures, load  # noqa: E402
from bench.real_model.corpus import RecordedCase  # noqa: E402
from bench.real_model.quality import violations  # noqa: E402
from iskra_ls.completion.related import HEADINGS  # noqa: E402

ROWS = load()
FIELDS = {f.name for f in dataclasses.fields(RecordedCase)}


def _case(row: dict[str, object]) -> RecordedCase:
    return RecordedCase(**{k: v for k, v in row.items() if k in FIELDS})  # type: ignore[arg-type]


def test_both_sides_hold_the_same_cases() -> None:
    sides = Counter((row["language_id"], row["side"]) for row in ROWS)
    assert sides[("python", "with")] >= 20, sides
    for language in {row["language_id"] for row in ROWS}:
        ids = [{row["id"].rsplit(":", 1)[0] for row in ROWS
                if row["language_id"] == language and row["side"] == side} for side in SIDES]
        assert ids[0] == ids[1], language


def test_only_the_with_side_carries_the_new_context() -> None:
    for row in ROWS:
        sent = row["prompt"][-1]["content"]
        carries = any(heading in sent for heading in HEADINGS.values())
        if row["side"] == "without":
            assert not carries, row["id"]
    with_side = [row for row in ROWS if row["side"] == "with"]
    carried = sum(row["carries_definition"] for row in with_side)
    assert carried >= len(with_side) // 2  # the recall bench's >= 80 %, on these cursors


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_what_reaches_the_editor_breaks_no_invariant(row: dict[str, object]) -> None:
    problems = [f"{label}: {v.kind}: {v.detail}" for label, v in violations(_case(row))]
    assert not problems, problems


def test_figures_side_by_side() -> None:
    result = figures(ROWS)
    assert {"python without", "python with"} <= set(result)
    for side in SIDES:
        assert result[f"python {side}"]["cases"] >= 20
        assert result[f"python {side}"]["prompt_tokens_mean"] > 0
