"""The edit-fidelity corpus: every case lands exactly or is refused, under every encoding."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("edit_corpus")
fidelity = _load("edit_fidelity")


def test_corpus_is_big_and_varied() -> None:
    cases = corpus.CASES
    assert len(cases) >= 60
    assert len({case.id for case in cases}) == len(cases)
    tags = {tag for case in cases for tag in case.tags}
    assert {"crlf", "tabs", "trailing", "repeated", "unicode", "absent", "partial", "write"} <= tags
    assert sum(case.expected is None for case in cases) >= 15


def test_no_corrupting_edits() -> None:
    result = fidelity.run_corpus()
    assert result["corrupting_edits"] == 0, result["failures"]
    assert result["missed_edits"] == 0, result["failures"]
    assert result["applied_exactly_share"] == 1.0
    assert result["refused_correctly_share"] == 1.0


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.id)
def test_case_outcome(case: Any, tmp_path: Path) -> None:
    for encoding in fidelity.ENCODINGS:
        folder = tmp_path / encoding
        folder.mkdir()
        outcome, text = fidelity.run_case(case, folder, encoding)
        if case.expected is None:
            assert outcome == "refused"
            assert text  # the model is told why
        else:
            assert outcome == "applied", text
            assert text == case.expected
