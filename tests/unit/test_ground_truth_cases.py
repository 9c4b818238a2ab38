"""The ground-truth bench cuts cursors only from files written in their language.

JSON test suites ship files that are invalid on purpose (``fail19.json``:
``{"Double colon":: null}``); their "true continuation" is an error the syntax filter
must stop, so as ground truth they counted junk stopped as right answers dropped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ground_truth import in_language  # noqa: E402


@pytest.mark.parametrize(
    ("language_id", "text", "expected"),
    [
        ("json", '{"Double colon":: null}\n', False),
        ("json", "['single quote']\n", False),
        ("json", '{\n    "extensions": [".py"]\n}\n', True),
        ("toml", "[tool]\nname = = 1\n", False),
        ("toml", '[tool]\nname = "x"\n', True),
        # No reference parser in the standard library: every file counts.
        ("cpp", "PYBIND11_TYPE_CASTER(Type, const_name(\"x\"))\n", True),
    ],
)
def test_only_files_valid_in_their_language_give_cases(language_id: str, text: str,
                                                       expected: bool) -> None:
    assert in_language(language_id, text) is expected


def test_the_junk_ablation_runs_only_when_asked() -> None:
    """The smoke plan asks for no per-filter corpus ablation (it is the slow part): the
    wrapped-answer tally once shadowed the ``junk`` flag and ran it anyway."""
    from bench.ground_truth import run_sync

    assert run_sync(1, ["python"], junk=False)["junk_stopped"] == {}


def test_a_drop_is_counted_against_the_filter_that_made_it() -> None:
    """At the end of a line the answer's first line is blank and its next line is shaped
    at the next line start (the lookahead), where the syntax filter drops pybind11's macro
    call: the per-filter cost traced only the cursor's context and blamed first_line."""
    import json

    from bench.ground_truth import Case, _filter_costs

    fixture = ROOT / "tests" / "fixtures" / "right_answers" / "dropped.jsonl"
    item = next(json.loads(line) for line in fixture.read_text(encoding="utf-8").splitlines()
                if "stl.h" in line)
    case = Case(item["source"], item["language_id"], item["kind"], item["text"],
                int(item["offset"]), item["truth"])
    assert _filter_costs([case]) == {"syntax": {"dropped": 1}}
