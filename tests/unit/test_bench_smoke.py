"""Smoke test of the benchmark suite: every benchmark runs in a tiny size and yields figures.

No timing is asserted -- benchmarks report, they do not judge; this only checks
that each one still runs end to end against the real server and the stub, and that
the table and the JSON come out.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402
from bench.typing_replay import ReplayConfig  # noqa: E402

TINY = bench_run.Plan(
    "tiny",
    replay=ReplayConfig(lines=6, key_ms=20, pause_s=(0.9, 0.9), pause_every=1),
    overhead_requests=4,
    overhead_big_doc=2,
    early_stop_runs=1,
    startup_runs=1,
    memory_docs=4,
    memory_doc_size=5_000,
    load_editors=3,
    load_latency_s=0.05,
    load_requests=40,
    flood_requests=50,
    latency_lines=4,
    latency_pause_every=1,
    latency_variants=("asked",),
    fidelity_cases=4,
    bounded_doc_mb=1,
    ledger_reservations=20,
    real_model_cases=12,  # enough Python cases for the parse figure
    ground_truth_cases=2,
    ground_truth_junk=False,
    file_rules_runs=50,
    file_rules_paths=2_000,
    context_cases=2,
    context_files=30,
    context_packages=2,
)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@pytest.mark.timeout(180)  # a hang guard: ten benchmarks and the corpus figures
async def test_every_benchmark_produces_its_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No VSIX here: the bundled-server benchmark must say so rather than fail (building one
    # takes minutes; `python -m bench.bundled_server` measures a real one).
    monkeypatch.setenv("ISKRA_VSIX", str(tmp_path / "missing.vsix"))
    results = await bench_run.run_all(TINY, progress=lambda _text: None)
    benches = results["benchmarks"]
    assert set(benches) == {
        "typing_replay", "overhead", "early_stop", "startup_memory", "load", "edit_fidelity",
        "action_io", "bundled_server", "bounded_work", "latency", "real_model_corpus",
        "real_model_context", "ground_truth",
        "file_rules", "ledger", "context_recall",
    }
    for name, figures in benches.items():
        assert "error" not in figures, f"{name}: {figures.get('traceback')}"

    context = benches["context_recall"]
    assert context["cases"] > 0 and _number(context["recall_share"])
    assert _number(context["context_build_ms_p95"]) and _number(context["index_mb"])

    replay = benches["typing_replay"]
    assert replay["keystrokes"] > 0 and replay["document_matches_source"]
    assert _number(replay["backend_requests_per_100_keystrokes"])
    assert replay["pauses"] > 0 and _number(replay["pauses_showing_share"])
    assert _number(benches["overhead"]["overhead_median_ms"])
    assert _number(benches["overhead"]["overhead_p95_ms"])
    assert _number(benches["early_stop"]["difference_ms_max"])
    assert isinstance(benches["early_stop"]["all_saw_disconnect"], bool)
    assert _number(benches["startup_memory"]["startup_median_ms"])
    assert _number(benches["startup_memory"]["rss_with_documents_mb"])
    assert benches["load"]["concurrency"]["completions_during_action"] > 0
    assert isinstance(benches["load"]["concurrency"]["deadlock"], bool)
    assert _number(benches["load"]["memory"]["rss_growth_mb"])
    assert benches["load"]["flood"]["backend_requests"] >= 1
    assert _number(benches["load"]["flood"]["shutdown_after_flood_ms"])
    assert benches["latency"]["keystrokes"] > 0 and benches["latency"]["stub_connections"] >= 1
    assert benches["edit_fidelity"]["cases"] == 4
    assert benches["ledger"]["automatic_granted_all_processes"] <= 10
    truth = benches["ground_truth"]
    assert truth["cases"] > 0 and "python" in truth["per_language"]  # the stdlib is always here
    assert _number(truth["kept_share"]) and truth["wrong"] >= 0
    assert _number(benches["edit_fidelity"]["corrupting_edits"])
    assert _number(benches["action_io"]["list_50k_loop_stall_ms"])
    assert "build-vsix.sh" in benches["bundled_server"]["skipped"]
    assert benches["file_rules"]["hostile_caught"] == benches["file_rules"]["hostile_total"]
    assert _number(benches["file_rules"]["document_check_us_median"])
    assert benches["real_model_corpus"]["cases"] > 0
    assert _number(benches["real_model_corpus"]["kept_share"])
    assert benches["real_model_context"]["python with"]["cases"] > 0

    table = bench_run.table(results)
    assert "overhead per invoked completion, median" in table
    assert all(row["value"] is not None for row in results["rows"]), [
        row["figure"] for row in results["rows"] if row["value"] is None
    ]
    out = tmp_path / "latest.json"
    out.write_text(json.dumps(results, default=str))
    assert json.loads(out.read_text())["machine"]["cores"] >= 1
