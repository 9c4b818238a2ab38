"""Run every benchmark, print one table (figure, value, target, met?) and write JSON.

    python -m bench.run [--quick] [--json PATH]

Benchmarks print figures; they never assert targets -- the table says which are
met. A benchmark that fails is reported as an error row and the rest still run.
The full run takes a few minutes on a 2-core machine; ``--quick`` about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import (
    action_io,
    bounded_work,
    bundled_server,
    context_recall,
    early_stop,
    file_rules,
    ground_truth,
    latency,
    ledger,
    load,
    overhead,
    startup_memory,
    typing_replay,
)
from bench.edit_fidelity import run_corpus
from bench.real_model import context_ab as real_model_context
from bench.real_model import quality as real_model_quality

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass
class Plan:
    """How big each benchmark runs."""

    name: str
    replay: typing_replay.ReplayConfig = field(default_factory=typing_replay.ReplayConfig)
    overhead_requests: int = 200
    overhead_big_doc: int = 30
    early_stop_runs: int = 5
    startup_runs: int = 5
    memory_docs: int = 200
    memory_doc_size: int = 50_000
    load_editors: int = 20
    load_latency_s: float = 0.25
    load_requests: int = 10_000
    latency_lines: int = 80
    """Lines typed in the keystroke-to-suggestion replay over the simulated network."""
    latency_pause_every: int = 3
    latency_variants: tuple[str, ...] = tuple(latency.VARIANTS)
    """Replays over the simulated network (``bench.latency.VARIANTS``)."""
    flood_requests: int = 5_000
    fidelity_cases: int | None = None
    """None runs the whole corpus."""
    bounded_doc_mb: int = 20
    """Size of the document the keystroke figure types into."""
    ledger_reservations: int = 200
    """Quota reservations timed, alone and beside other processes."""
    real_model_cases: int | None = None
    """Recorded real-model cases per language graded (None: the whole corpus)."""
    ground_truth_cases: int = 60
    """Cursors cut per language for the right-answers bench."""
    ground_truth_junk: bool = True
    """Also count, per filter, the real-model junk it stops (the corpus once per filter)."""
    file_rules_runs: int = 2_000
    file_rules_paths: int | None = None
    """None: every file of the running Python's library folder."""
    context_cases: int = 40
    """Cursors per package for the context-recall bench."""
    context_files: int = 2000
    """Files of the workspace the context costs are measured on."""
    context_packages: int | None = None
    """None: every package of the context-recall bench."""


FULL = Plan("full", replay=typing_replay.ReplayConfig(lines=80))
QUICK = Plan(
    "quick",
    replay=typing_replay.ReplayConfig(lines=24),
    overhead_requests=40,
    overhead_big_doc=10,
    early_stop_runs=2,
    startup_runs=3,
    load_requests=1_000,
    latency_lines=24,
    latency_variants=("asked",),
    flood_requests=1_000,
    ground_truth_cases=20,
    context_cases=15,
    context_files=500,
)


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


async def _fidelity(plan: Plan) -> dict[str, Any]:
    from bench.edit_corpus import CASES

    cases = CASES if plan.fidelity_cases is None else CASES[: plan.fidelity_cases]
    result = await asyncio.to_thread(run_corpus, cases)
    return {k: v for k, v in result.items() if k != "failures"} | {
        "failures": result["failures"][:10]
    }


def _steps(plan: Plan) -> list[tuple[str, Callable[[], Any]]]:
    return [
        ("typing_replay", lambda: typing_replay.run(plan.replay)),
        ("overhead", lambda: overhead.run(plan.overhead_requests, big_n=plan.overhead_big_doc)),
        ("early_stop", lambda: early_stop.run(plan.early_stop_runs)),
        (
            "startup_memory",
            lambda: startup_memory.run(plan.startup_runs, plan.memory_docs, plan.memory_doc_size),
        ),
        ("latency", lambda: latency.run(plan.latency_lines, plan.latency_pause_every,
                                        plan.latency_variants)),
        (
            "load",
            lambda: load.run(
                plan.load_requests, plan.load_editors, plan.load_latency_s, plan.flood_requests
            ),
        ),
        ("edit_fidelity", lambda: _fidelity(plan)),
        ("bundled_server", lambda: bundled_server.run(plan.startup_runs)),
        ("action_io", lambda: action_io.run()),
        ("ledger", lambda: ledger.run(plan.ledger_reservations)),
        ("file_rules", lambda: file_rules.run(plan.file_rules_runs, plan.file_rules_paths)),
        ("real_model_corpus", lambda: real_model_quality.run(plan.real_model_cases)),
        ("real_model_context", real_model_context.run),
        ("ground_truth",
         lambda: ground_truth.run(plan.ground_truth_cases, junk=plan.ground_truth_junk)),
        ("context_recall", lambda: context_recall.run(
            plan.context_cases, plan.context_files, packages=plan.context_packages)),
        (
            "bounded_work",
            lambda: bounded_work.run(doc_mb=plan.bounded_doc_mb, cases=plan.fidelity_cases),
        ),
    ]


async def run_all(plan: Plan, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Every benchmark's figures, the machine, and the table rows."""
    results: dict[str, Any] = {"plan": plan.name, "machine": machine(), "benchmarks": {}}
    for name, step in _steps(plan):
        progress(f"running {name} ...")
        started = time.perf_counter()
        try:
            figures = await step()
        except Exception as error:  # one broken benchmark must not hide the others
            figures = {"error": f"{type(error).__name__}: {error}",
                       "traceback": traceback.format_exc()}
        figures["seconds"] = round(time.perf_counter() - started, 1)
        results["benchmarks"][name] = figures
    results["rows"] = rows(results["benchmarks"])
    return results


# -- the table ---------------------------------------------------------------------------

Row = dict[str, Any]


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _row(
    bench: dict[str, Any], figure: str, path: str, unit: str = "", target: str = "",
    check: Callable[[Any], bool] | None = None, scale: float = 1.0,
) -> Row:
    value = _get(bench, path)
    if isinstance(value, int | float) and not isinstance(value, bool) and scale != 1.0:
        value = value * scale
    met: bool | None = None
    if check is not None and value is not None:
        met = bool(check(value))
    return {"figure": figure, "value": value, "unit": unit, "target": target, "met": met}


def _latency_rows(la: dict[str, Any]) -> list[Row]:
    """Issues 11.3, 18.2: the colorsys replay over 60 ms RTT, 150 ms set-up, 10 ms per 3 chars."""
    out = [
        _row(la, "network: model requests per pause", "requests_per_pause", "", "<= 0.35",
             lambda v: v <= 0.35),
        _row(la, "network: pauses served", "pauses_showing_share", "%", ">= 98 %",
             lambda v: v >= 98, scale=100),
        _row(la, "network: pauses served right", "pauses_showing_right_share", "%", scale=100),
        _row(la, "network: last keystroke -> suggestion, median", "ready_after_ms_median", "ms",
             "<= 250 ms", lambda v: v <= 250),
        _row(la, "network: last keystroke -> suggestion, p90", "ready_after_ms_p90", "ms"),
        _row(la, "network: connections per model request", "connections_per_request", "",
             "<= 0.1", lambda v: v <= 0.1),
        _row(la, "network: tokens per model request", "tokens_per_request", "tokens"),
    ]
    names = {"line_and_next": "answers = line + next (tabby-agent: 0.39, 100 %, 278 ms)",
             "no_auto_indent": "no auto-indent"}
    for variant, label in names.items():
        if variant not in (la.get("variants") or {}):
            continue
        path = f"variants.{variant}."
        out += [
            _row(la, f"  {label}: requests per pause", path + "requests_per_pause"),
            _row(la, f"  {label}: pauses served", path + "pauses_showing_share", "%",
                 scale=100),
            _row(la, f"  {label}: pauses served right", path + "pauses_showing_right_share",
                 "%", scale=100),
            _row(la, f"  {label}: median to suggestion", path + "ready_after_ms_median", "ms"),
            _row(la, f"  {label}: tokens per request", path + "tokens_per_request", "tokens"),
        ]
    return out


def _bundled_rows(bs: dict[str, Any]) -> list[Row]:
    """The VS Code extension's frozen server next to the pip-installed one (same run)."""
    if "skipped" in bs:
        return [{"figure": "bundled server (VSIX)", "value": bs["skipped"], "unit": "",
                 "target": "", "met": None}]
    return [
        _row(bs, "VSIX size (linux-x64, server inside)", "vsix_size_mb", "MB", "<= 40 MB",
             lambda v: v <= 40),
        _row(bs, "bundled server unpacked", "bundled_server_unpacked_mb", "MB"),
        _row(bs, "start-up, bundled server, median", "startup_bundled_median_ms", "ms"),
        _row(bs, "start-up, pip-installed server, median (same run)", "startup_pip_median_ms",
             "ms"),
        _row(bs, "start-up, bundled / pip", "startup_ratio_bundled_to_pip", "x", "<= 1.2",
             lambda v: v <= 1.2),
        _row(bs, "memory after a completion, bundled", "rss_bundled_after_completion_mb", "MB"),
        _row(bs, "memory after a completion, pip-installed", "rss_pip_after_completion_mb",
             "MB"),
    ]


def _bounded_rows(bw: dict[str, Any]) -> list[Row]:
    """Big documents and big edits (issue 10 items 1, 3, 4)."""
    return [
        _row(bw, "1 MB one-line document: index build", "one_line_1mb_index_ms", "ms",
             "< 50 ms", lambda v: v < 50),
        _row(bw, "1 MB one-line document: code-action listing, median",
             "one_line_1mb_code_actions_ms", "ms", "< 50 ms", lambda v: v < 50),
        _row(bw, "  first listing (after the 1 MB didOpen)",
             "one_line_1mb_code_actions_first_ms", "ms"),
        _row(bw, "keystroke on a 20 MB document, median", "keystroke_20mb_median_ms", "ms",
             "< 5 ms", lambda v: v < 5),
        _row(bw, "keystroke on a 20 MB document, worst", "keystroke_20mb_max_ms", "ms",
             "< 5 ms", lambda v: v < 5),
        _row(bw, "  first keystroke (cuts the text into pieces once)",
             "keystroke_20mb_first_ms", "ms"),
        _row(bw, "  first full read of the text after typing", "keystroke_20mb_read_ms", "ms"),
        _row(bw, "worst loop stall: edit-fidelity corpus", "stall_fidelity_corpus_ms", "ms"),
        _row(bw, "worst loop stall: 4000-line write_file + edit", "stall_write_4000_lines_ms",
             "ms"),
        _row(bw, "4000-line write_file + edit, wall time", "write_4000_lines_ms", "ms"),
        _row(bw, "keystroke + inline request, 20 MB document, median",
             "keystroke_request_20mb_median_ms", "ms", "<= 1 ms", lambda v: v <= 1),
        _row(bw, "keystroke + inline request, 20 MB document, p90",
             "keystroke_request_20mb_p90_ms", "ms"),
        _row(bw, "  context + prompt when a model request goes out", "fetch_start_20mb_ms",
             "ms"),
        _row(bw, "worst loop stall: completions on hostile inputs", "stall_hostile_worst_ms",
             "ms", "<= 50 ms", lambda v: v <= 50),
    ]


def _ledger_rows(lg: dict[str, Any]) -> list[Row]:
    """Issue 19: the machine-wide quota ledger on a completion's path."""
    return [
        _row(lg, "quota ledger: reservation, median", "reserve_alone_median_ms", "ms",
             "< 5 ms", lambda v: v < 5),
        _row(lg, "quota ledger: reservation beside 3 busy processes, median",
             "reserve_contended_median_ms", "ms", "< 5 ms", lambda v: v < 5),
        _row(lg, "  same, p95", "reserve_contended_p95_ms", "ms"),
        _row(lg, "quota ledger: worst loop stall while reserving", "loop_stall_alone_max_ms",
             "ms"),
        _row(lg, "quota ledger: automatic requests granted, 4 processes",
             "automatic_granted_all_processes", "", "<= 10", lambda v: v <= 10),
    ]


def _file_rules_rows(fr: dict[str, Any]) -> list[Row]:
    """Issue 20: the file rules on both sides, and the cached file-policy service's cost."""
    return [
        _row(fr, "file rules: hostile names caught", "hostile_caught", "",
             f"{fr.get('hostile_total', '?')} of {fr.get('hostile_total', '?')}",
             lambda v: v == fr.get("hostile_total")),
        _row(fr, "file rules: library files looked at", "ordinary_paths"),
        _row(fr, "file rules: ordinary files flagged (right answers dropped)",
             "ordinary_flagged", "", "0", lambda v: v == 0),
        _row(fr, "file policy: completion-context check, cached, median",
             "document_check_us_median", "us", "<= 100 us", lambda v: v <= 100),
        _row(fr, "file policy: same check building the policy each time (before)",
             "document_check_new_policy_us_median", "us"),
        _row(fr, "file policy: 2 000-entry listing, secret check", "list_2000_names_ms", "ms"),
    ]


def _real_model_rows(rm: dict[str, Any]) -> list[Row]:
    """Issue 14: recorded real-model answers through today's post-processing."""
    raw = rm.get("raw_violations") or {}
    returned = rm.get("returned_violations") or {}
    out = [
        _row(rm, "real model: corpus cases", "cases"),
        _row(rm, "real model: raw answers breaking an invariant", "raw_with_violation_share",
             "%", scale=100),
        _row(rm, "real model: suggestions breaking an invariant", "returned_with_violation",
             "", "0", lambda v: v == 0),
        _row(rm, "real model: answers kept as a suggestion", "kept_share", "%", scale=100),
        _row(rm, "real model: kept, first token exact", "first_token_exact_share", "%",
             scale=100),
        _row(rm, "real model: Python kept, statement still parses", "python_kept_parse_share",
             "%", ">= 90 %", lambda v: v >= 90, scale=100),
        _row(rm, "real model: block answer tokens read, no block stop", "block_reading."
             "tokens_read_before", "tokens"),
        _row(rm, "real model: block answer tokens read until final", "block_reading."
             "tokens_read_after", "tokens"),
        _row(rm, "real model: block answers stopped early", "block_reading.stopped_early_share",
             "%", scale=100),
    ]
    for kind, count in raw.items():
        out.append({"figure": f"  raw / returned: {kind}", "value": f"{count} / "
                    f"{returned.get(kind, 0)}", "unit": "", "target": "", "met": None})
    # Issue 18: each language's cases whose shown suggestions break an invariant, by kind.
    for language, figures in (rm.get("by_language") or {}).items():
        bad = figures.get("returned_with_violation", 0)
        kinds = ", ".join(f"{k} {n}" for k, n in (figures.get("returned_violations") or {})
                          .items() if n)
        out.append({"figure": f"  {language}: cases breaking an invariant"
                    + (f" ({kinds})" if kinds else ""),
                    "value": f"{bad} of {figures.get('cases')}", "unit": "", "target": "0",
                    "met": bad == 0})
    return out


def _real_model_context_rows(ab: dict[str, Any]) -> list[Row]:
    """Issue 22: the real model on the same cursors, prompts without / with the new context."""
    out = []
    for language in sorted({key.split()[0] for key in ab if key.endswith(" with")}):
        without, with_ = ab.get(f"{language} without", {}), ab.get(f"{language} with", {})
        for title, key, share in real_model_context.FIGURES:
            values = [side.get(key) for side in (without, with_)]
            out.append({"figure": f"real model, {language} ({without.get('cases')} cursors, "
                        f"name from another file): {title}, without / with the new context",
                        "value": " / ".join(real_model_context.shown(v, share) for v in values),
                        "unit": "",
                        "target": "0" if key == "returned_with_violation" else "",
                        "met": values == [0, 0] if key == "returned_with_violation" else None})
    return out


def _context_rows(cr: dict[str, Any]) -> list[Row]:
    """Issue 22: the definition the cursor needs, in the prompt; what building it costs."""
    out = [
        _row(cr, "context: prompts carrying the needed definition", "recall_share", "%",
             ">= 80 %", lambda v: v >= 80, scale=100),
        _row(cr, "  before (defining file open and edited last)", "before_open_share", "%",
             scale=100),
        _row(cr, "  before (defining file closed)", "before_closed_share", "%", scale=100),
        _row(cr, "context: cursors (packages)", "cases"),
        _row(cr, "context: workspace files indexed", "workspace_files"),
        _row(cr, "context: first index, wall time", "first_index_s", "s", "<= 5 s",
             lambda v: v <= 5),
        _row(cr, "  server's CPU", "first_index_server_cpu_s", "s"),
        _row(cr, "  parsing workers' CPU", "first_index_worker_cpu_s", "s"),
        _row(cr, "context: worst loop stall during the first index", "first_index_loop_stall_ms",
             "ms", "<= 50 ms", lambda v: v <= 50),
        _row(cr, "  p99 loop tick lateness during it", "first_index_loop_p99_ms", "ms"),
        _row(cr, "  worst tick with nothing running (the load alone)", "idle_loop_stall_ms",
             "ms"),
        _row(cr, "  p99 with nothing running", "idle_loop_p99_ms", "ms"),
        _row(cr, "  load average", "load_average"),
        _row(cr, "context: index memory", "index_mb", "MB", "<= 50 MB", lambda v: v <= 50),
        _row(cr, "  each parsing worker's resident memory", "index_worker_rss_mb", "MB"),
        _row(cr, "context: choosing the parts, p95", "context_build_ms_p95", "ms", "<= 5 ms",
             lambda v: v <= 5),
        _row(cr, "context: whole prompt with the parts, p95", "whole_prompt_ms_p95", "ms"),
    ]
    for package, figures in (cr.get("per_package") or {}).items():
        share = figures.get("recall_share")
        out.append({"figure": f"  recall: {package}",
                    "value": figures.get("skipped") if share is None else round(share * 100, 1),
                    "unit": "" if share is None else "%", "target": "", "met": None})
    return out


def _ground_truth_rows(gt: dict[str, Any]) -> list[Row]:
    """Issue 18.1: real files, the model answers the true text; kept per language."""
    out = [
        _row(gt, "right answers kept (true text, all languages)", "kept_share", "%", ">= 98 %",
             lambda v: v >= 98),
        _row(gt, "right answers kept, worst language", "worst_language_share", "%", ">= 95 %",
             lambda v: v >= 95),
        _row(gt, "right answers: wrong text shown", "wrong", "", "0", lambda v: v == 0),
        _row(gt, "right answers wrapped in a fence / preamble, kept", "wrapped_kept_share", "%"),
        _row(gt, "right answers: cases (languages)", "cases"),
    ]
    for language, figures in (gt.get("per_language") or {}).items():
        share = figures.get("kept_share")
        out.append({"figure": f"  kept: {language}", "value": share, "unit": "%",
                    "target": ">= 95 %", "met": None if share is None else share >= 95})
    junk = gt.get("junk_stopped") or {}
    for name, cost in (gt.get("filter_costs") or {}).items():
        stopped = junk.get(name, 0) - junk.get("all", 0)
        out.append({"figure": f"  filter {name}: right changed/dropped, junk stopped",
                    "value": f"{cost.get('changed', 0)}/{cost.get('dropped', 0)}, {stopped}",
                    "unit": "", "target": "", "met": None})
    for language, line in ground_truth.filters_by_language(gt).items():
        out.append({"figure": f"  filters, {language}: corpus junk shown; right changed/"
                    "dropped, junk stopped", "value": line, "unit": "", "target": "",
                    "met": None})
    return out


def rows(b: dict[str, Any]) -> list[Row]:
    """The table: one row per figure, with the issue's target where it has one."""
    t, o, e = b.get("typing_replay", {}), b.get("overhead", {}), b.get("early_stop", {})
    s, lo, f = b.get("startup_memory", {}), b.get("load", {}), b.get("edit_fidelity", {})
    out = [
        _row(t, "typing: backend requests / 100 keystrokes",
             "backend_requests_per_100_keystrokes", "", "<= 3", lambda v: v <= 3),
        _row(t, "typing: naive baseline (one per keystroke)",
             "naive_requests_per_100_keystrokes", ""),
        _row(t, "typing: keystrokes", "keystrokes"),
        _row(t, "typing: backend requests", "backend_requests"),
        _row(t, "typing: pauses >= 0.9 s showing a suggestion", "pauses_showing_share", "%",
             ">= 98 %", lambda v: v >= 98, scale=100),
        _row(t, "typing: pauses showing the right suggestion",
             "pauses_showing_right_share", "%", scale=100),
        _row(t, "typing: characters typed", "chars_typed"),
        _row(t, "typing: characters accepted", "chars_accepted"),
        _row(t, "typing: acceptance rate (accepted / shown)", "acceptance_rate", "%", scale=100),
        _row(o, "overhead per invoked completion, median", "overhead_median_ms", "ms",
             "<= 3 ms", lambda v: v <= 3),
        _row(o, "overhead per invoked completion, p95", "overhead_p95_ms", "ms",
             "<= 10 ms", lambda v: v <= 10),
        _row(o, "overhead, 50 KB document, median", "overhead_50kb_doc_median_ms", "ms"),
        _row(o, "  part: LSP round trip answered by the cache", "lsp_roundtrip_cached_median_ms",
             "ms"),
        _row(o, "  part: same chat request sent with the SDK directly",
             "sdk_direct_roundtrip_median_ms", "ms"),
        _row(e, "early stop: first line arrives after", "first_line_ms_median", "ms"),
        _row(e, "early stop: one-line completion latency", "latency_ms_median", "ms"),
        _row(e, "early stop: latency - first line (worst run)", "difference_ms_max", "ms",
             "<= 20 ms", lambda v: v <= 20),
        _row(e, "early stop: stub saw the stream closed", "all_saw_disconnect", "", "yes",
             lambda v: v is True),
        _row(e, "early stop: block chunks until final (of 200; before: 200)",
             "block.chunks_until_final_median", "", "< 200", lambda v: v < 200),
        _row(e, "early stop: block chunks sent in all, drain included (before: 200)",
             "block.chunks_in_all_median", ""),
        _row(s, "start-up: spawn -> InitializeResult, median", "startup_median_ms", "ms",
             "<= 500 ms", lambda v: v <= 500),
        _row(s, "memory: idle, Iskra client loaded", "rss_idle_with_client_mb", "MB"),
        _row(s, "memory: 200 x 50 KB documents open", "rss_with_documents_mb", "MB",
             "<= 100 MB", lambda v: v <= 100),
        _row(lo, "load: completions answered during the action",
             "concurrency.completions_during_action"),
        _row(lo, "load: worst completion latency during the action",
             "concurrency.completion_latency_during_action_max_ms", "ms"),
        _row(lo, "load: stub latency per answer", "concurrency.stub_latency_ms", "ms"),
        _row(lo, "load: deadlock or timeout", "concurrency.deadlock", "", "no",
             lambda v: v is False),
        _row(lo, "load: action applied its edit", "concurrency.action_applied"),
        _row(lo, "load: completion round trips", "memory.requests"),
        _row(lo, "load: RSS at start", "memory.rss_start_mb", "MB"),
        _row(lo, "load: RSS at end", "memory.rss_end_mb", "MB"),
        _row(lo, "load: RSS growth", "memory.rss_growth_mb", "MB"),
        _row(lo, "flood: inline requests in ~2 s (none cancelled)", "flood.requests"),
        _row(lo, "flood: model requests sent", "flood.backend_requests", "", "<= 2",
             lambda v: v <= 2),
        _row(lo, "flood: RSS growth", "flood.rss_growth_mb", "MB", "<= 20 MB",
             lambda v: v <= 20),
        _row(lo, "flood: shutdown right after a flood", "flood.shutdown_after_flood_ms", "ms",
             "<= 500 ms", lambda v: v <= 500),
        *_latency_rows(b.get("latency", {})),
        _row(f, "edit fidelity: applied exactly", "applied_exactly_share", "%", scale=100),
        _row(f, "edit fidelity: refused correctly", "refused_correctly_share", "%", scale=100),
        _row(f, "edit fidelity: corrupting edits", "corrupting_edits", "", "0",
             lambda v: v == 0),
        _row(b.get("action_io", {}), "actions: list_directory of 50 000 files", "list_50k_ms",
             "ms"),
        _row(b.get("action_io", {}), "actions: worst loop stall during that listing",
             "list_50k_loop_stall_ms", "ms"),
        _row(b.get("action_io", {}), "actions: one round of 100 x 40 KB reads sent back",
             "round_100_reads_chars", "chars", "<= 200000", lambda v: v <= 200_000),
        *_bounded_rows(b.get("bounded_work", {})),
        *_ledger_rows(b.get("ledger", {})),
        *_file_rules_rows(b.get("file_rules", {})),
        *_real_model_rows(b.get("real_model_corpus", {})),
        *_ground_truth_rows(b.get("ground_truth", {})),
        *_context_rows(b.get("context_recall", {})),
        *_real_model_context_rows(b.get("real_model_context", {})),
        *_bundled_rows(b.get("bundled_server", {})),
    ]
    for name, bench in b.items():
        if "error" in bench:
            out.append({"figure": f"{name}: FAILED", "value": bench["error"], "unit": "",
                        "target": "", "met": False})
    return out


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "-"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"iskra-ls benchmarks ({results['plan']}) {m['date']}: {m['cores']} cores, {m['cpu']}, "
        f"Python {m['python']}, load {m['load_average']}",
        f"{'figure':<52} {'value':>12}  {'target':<10} met",
    ]
    for r in results["rows"]:
        value = f"{_show(r['value'])} {r['unit']}".strip()
        met = {True: "yes", False: "NO", None: ""}[r["met"]]
        lines.append(f"{r['figure']:<52} {value:>12}  {r['target']:<10} {met}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = asyncio.run(run_all(plan, lambda text: print(text, file=sys.stderr, flush=True)))
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(table(results))
    print(f"total {results['seconds']} s; figures in {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
