"""Real model answers, recorded, checked: what reaches the editor breaks no invariant.

The corpus (``tests/fixtures/real_completions/*.jsonl``) holds completion requests cut
from real code in every language of ``bench.sources`` and the raw answers a real chat
model gave (``bench/real_model``). Each raw answer is streamed in small pieces through
the server's own completion fetch and answer reader (``bench.real_model.replay``, shared
with the corpus figures of ``quality.py``): the line shown as soon as it has streamed,
the kept suggestion at the cursor, and the lines kept after it at the next line start.
Everything that would reach the editor is checked by the oracle in
``bench/real_model/invariants.py``, written apart from the post-processor.

Every case of every language runs: none is skipped or expected to fail. A language added
to the corpus before the post-processing handles it fails here until it does.

The ground truth (the real code that was cut out) passes the same oracle: that keeps
the oracle honest about real code.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.real_model.cases import LANGUAGES, kinds_for  # noqa: E402
from bench.real_model.corpus import RecordedCase, load_corpus  # noqa: E402
from bench.real_model.invariants import check  # noqa: E402
from bench.real_model.quality import violations  # noqa: E402
from bench.real_model.replay import context  # noqa: E402

CASES = load_corpus()
MIN_PER_LANGUAGE = 15


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 200
    languages = Counter(case.language_id for case in CASES)
    recorded = [language for language in LANGUAGES if language in languages]
    # Issue 18 item 1: every language of the ground-truth bench (bench.sources) is here.
    assert recorded == list(LANGUAGES), set(LANGUAGES) - set(recorded)
    assert all(languages[language] >= MIN_PER_LANGUAGE for language in recorded), languages
    for language in recorded:
        kinds = {case.kind for case in CASES if case.language_id == language}
        assert kinds == set(kinds_for(language)), (language, kinds)
    assert all(case.raw is not None for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_ground_truth_passes_the_oracle(case: RecordedCase) -> None:
    """The real code that was cut out breaks no invariant (the oracle has no false alarm)."""
    ctx = context(case)
    replace_after = len(ctx.line_suffix)  # the real code replaces the auto-closed brackets
    expected = case.expected if ctx.multiline else case.expected.split("\n", 1)[0]
    found = check(
        case.text, case.offset, case.language_id, expected, replace_after, multiline=ctx.multiline
    )
    assert not found, [f"{v.kind}: {v.detail}" for v in found]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_what_reaches_the_editor_breaks_no_invariant(case: RecordedCase) -> None:
    problems = [f"{label}: {v.kind}: {v.detail}" for label, v in violations(case)]
    assert not problems, problems


def test_cases_are_cut_only_from_files_valid_in_their_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test suites ship files that are invalid on purpose (JSON's ``fail*.json``): the real
    code cut out of them is an error, no right answer, so the corpus takes no case there
    (the ground-truth bench skips them the same way)."""
    from bench.real_model import cases

    body = "".join(f'    "key{n}": {{\n        "value": [{n}, {n + 1}]\n    }},\n'
                   for n in range(12))
    valid = tmp_path / "pass.json"
    valid.write_text("{\n" + body + '    "end": true\n}\n', encoding="utf-8")
    invalid = tmp_path / "fail.json"  # a trailing comma and an extra closer
    invalid.write_text("{\n" + body + "]]\n", encoding="utf-8")
    monkeypatch.setattr(cases, "source_files", lambda language: [str(invalid), str(valid)])
    cut = cases.cases_for("json", 8)
    assert cut, "the valid file gives cases"
    assert {case.source for case in cut} == {str(valid)}, [case.id for case in cut]
