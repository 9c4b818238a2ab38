"""Context recall (issue 22 item 3): does the prompt carry the definition the cursor needs?

Real multi-file code on this machine: packages of the Python standard library and Node
packages from ``bench.sources`` (express, marked, rxjs; fetched with
``python -m bench.sources --fetch``). In each package, a cursor is cut where the true
continuation uses a name defined in another file of the package (the rest of that line
not typed yet); the figure is the share of prompts that carry that definition's
signature. Beside it, today's figure before issue 22: the prompt carried the last 1,500
characters of the two most recently edited open documents, so a definition arrived
only when its file was open, edited last, and the definition sat in its tail (counted
here as if the defining file were always open and edited last: the best case).

Costs, on a 2,000-file workspace (the standard library, cut at 2,000 files): the first
index (wall time; CPU time of the server's side and of its parsing worker processes; the
worst event-loop stall meanwhile), the index's
memory (traced allocations), and building one request's context (choosing the parts
among the index and 8 open documents, rendering them) at p95; beside it the whole
prompt (cutting the window, the parts, the prompt).

    python -m bench.context_recall [--cases N]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import sysconfig
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench import sources
from iskra_ls.completion.context import build_context, build_prompt
from iskra_ls.completion.related import OpenText, choose_parts, render
from iskra_ls.symbols.index import Limits, SymbolIndex
from iskra_ls.symbols.tags import IDENTIFIER_CHARS, definitions, language_of_path, outline
from iskra_ls.symbols.workspace import workspace_label

STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES: list[tuple[str, Path]] = [
    *((f"stdlib {name}", STDLIB / name) for name in (
        "email", "json", "http", "asyncio", "importlib", "logging", "concurrent/futures",
        "urllib", "xml/etree", "unittest", "multiprocessing", "tomllib")),
    *((f"npm {name}", sources.CACHE / "npm" / folder / "package" / sub) for name, folder, sub in (
        ("express", "express-4.19.2", "lib"), ("rxjs", "rxjs-7.8.1", "src/internal"))),
]
BUDGET_CHARS = 6000
"""``completion.budgetChars``'s default."""
OLD_NEIGHBOUR_CHARS = 1500


def _package_files(folder: Path) -> list[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "test")
        found += [os.path.join(root, f) for f in sorted(files) if language_of_path(f)]
    return found


def cases_in(folder: Path, per_package: int, rng: random.Random) -> list[dict[str, Any]]:
    """Cursors where the rest of a line uses a name defined in another package file."""
    texts = {}
    for path in _package_files(folder):
        try:
            texts[path] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    defined: dict[str, set[str]] = {}
    own: dict[str, set[str]] = {}
    for path, text in texts.items():
        names = {d.name for d in definitions(text, language_of_path(path) or "", path)}
        own[path] = names
        for name in names:
            defined.setdefault(name, set()).add(path)
    found = []
    for path, text in texts.items():
        offset = 0
        for line in text.splitlines(keepends=True):
            stripped = line.lstrip()
            if stripped.startswith(("import ", "from ", "#", "//", "*", "export ")) \
                    or "require(" in line:
                offset += len(line)
                continue
            for match in IDENTIFIER_CHARS.finditer(line):
                name = match.group(0)
                elsewhere = defined.get(name, set()) - {path}
                if len(name) > 3 and elsewhere and name not in own[path]:
                    found.append({"path": path, "cut": offset + match.start(),
                                  "line_end": offset + len(line.rstrip("\n")), "name": name,
                                  "defined_in": sorted(elsewhere)})
                    break
            offset += len(line)
    rng.shuffle(found)
    return found[:per_package]


def _label(path: str, folder: Path) -> str:
    return workspace_label(path, [folder])


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")


def _signatures(index: SymbolIndex, name: str, paths: list[str]) -> list[str]:
    return [d.signature for d in index.lookup(name) if d.path in paths]


def recall(per_package: int, packages: int | None = None) -> dict[str, Any]:
    rng = random.Random(22)
    per: dict[str, Any] = {}
    hits = old_hits = total = 0
    for label, folder in PACKAGES[:packages]:
        if not folder.is_dir():
            per[label] = {"skipped": "not on this machine (python -m bench.sources --fetch)"}
            continue
        index = SymbolIndex([str(folder)], lambda _p: True, workers=0)  # same parse, no spawn
        index.build()
        cases = cases_in(folder, per_package, rng)
        got = old = 0
        for case in cases:
            text = Path(case["path"]).read_text(encoding="utf-8")
            document = text[:case["cut"]] + text[case["line_end"]:]  # the rest not typed yet
            language = language_of_path(case["path"]) or ""
            relative = workspace_label(case["path"], [folder])
            ctx = build_context(document, case["cut"], language_id=language, path=relative)
            # The imports of the file as typed so far (the index has the whole file: a
            # cursor on an import's own line would find its answer there).
            parts = choose_parts(prefix=ctx.prefix, suffix=ctx.suffix, own_path=case["path"],
                                 lookup=index.lookup,
                                 label=functools.partial(_label, folder=folder),
                                 language_of=lambda p: language_of_path(p) or "", others=[],
                                 budget=BUDGET_CHARS // 3,
                                 imports=outline(document, language).imports,
                                 modules=functools.partial(index.module_definitions,
                                                           near=case["path"]))
            section = render(parts)
            prompt = build_prompt(ctx, budget_chars=BUDGET_CHARS - len(section), related=section)
            sent = prompt.messages[-1]["content"]
            wanted = _signatures(index, case["name"], case["defined_in"])
            got += any(signature in sent for signature in wanted)
            # Before issue 22, at best: the defining file open and edited last.
            defining = case["defined_in"][0]
            tail = Path(defining).read_text(encoding="utf-8")[-OLD_NEIGHBOUR_CHARS:]
            old_prompt = build_prompt(ctx, budget_chars=BUDGET_CHARS,
                                      neighbours=[(workspace_label(defining, [folder]), tail)])
            old += any(signature in old_prompt.messages[-1]["content"] for signature in wanted)
        per[label] = {"cases": len(cases), "recall_share": got / len(cases) if cases else None,
                      "before_open_share": old / len(cases) if cases else None}
        hits, old_hits, total = hits + got, old_hits + old, total + len(cases)
    return {"cases": total, "recall_share": hits / total if total else None,
            "before_open_share": old_hits / total if total else None,
            "before_closed_share": 0.0, "per_package": per}


async def _ticks(until: Any) -> list[float]:
    """The lateness of each 5 ms loop tick until ``until()``, sorted."""
    loop = asyncio.get_running_loop()
    late = []
    while not until():
        before = loop.time()
        await asyncio.sleep(0.005)
        late.append(loop.time() - before - 0.005)
    return sorted(late) or [0.0]


async def _index_in_thread(index: SymbolIndex) -> list[float]:
    """Run the first index (its thread and worker processes); the loop's tick lateness."""
    index.start(watch=False)
    return await _ticks(index.ready.is_set)


def _floor(seconds: float) -> list[float]:
    """The same ticks with nothing of ours running: what the machine's load alone costs."""
    end = time.monotonic() + seconds
    return asyncio.run(_ticks(lambda: time.monotonic() > end))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux's /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    """Resident memory of a live process (Linux's /proc; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def costs(files: int, samples: int) -> dict[str, Any]:
    limits = Limits(files=files, seconds=120.0)
    index = SymbolIndex([str(STDLIB)], lambda _p: True, limits)
    started, cpu_started = time.perf_counter(), time.process_time()
    ticks = asyncio.run(_index_in_thread(index))
    seconds = time.perf_counter() - started
    server_cpu = time.process_time() - cpu_started
    workers = index.worker_pids()
    worker_cpu = sum(_cpu_seconds(pid) for pid in workers)
    worker_rss = max((_rss_mb(pid) for pid in workers), default=0.0)
    index.stop()
    floor = _floor(min(seconds, 10.0))
    tracemalloc.start()
    measured = SymbolIndex([str(STDLIB)], lambda _p: True, limits)
    before = tracemalloc.get_traced_memory()[0]
    measured.build()  # the server's side only: what the workers answer, kept
    memory = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    measured.stop()
    del measured
    rng = random.Random(5)
    paths = index.files()
    open_docs = [OpenText(workspace_label(p, [STDLIB]), _read(p),
                          (rng.randrange(200),)) for p in rng.sample(paths, 8)]
    timings, cpu, whole = [], [], []
    for path in rng.sample(paths, min(samples, len(paths))):
        text = _read(path)
        cut = rng.randrange(len(text) + 1)
        start = time.perf_counter()
        ctx = build_context(text, cut, language_id="python", path="x.py")
        modules = functools.partial(index.module_definitions, near=path)
        chosen, chosen_cpu = time.perf_counter(), time.thread_time()
        parts = choose_parts(prefix=ctx.prefix, suffix=ctx.suffix, own_path=path,
                             lookup=index.lookup, label=lambda p: workspace_label(p, [STDLIB]),
                             language_of=lambda p: "python", others=open_docs,
                             budget=BUDGET_CHARS // 3, imports=index.imports(path),
                             modules=modules)
        section = render(parts)
        timings.append((time.perf_counter() - chosen) * 1000)
        cpu.append((time.thread_time() - chosen_cpu) * 1000)
        build_prompt(ctx, budget_chars=BUDGET_CHARS - len(section), related=section)
        whole.append((time.perf_counter() - start) * 1000)
    timings.sort()
    cpu.sort()
    whole.sort()
    return {
        "workspace_files": index.stats.files,
        "workspace_mb": round(index.stats.bytes_read / 1e6, 1),
        "definitions": index.stats.definitions,
        "first_index_s": round(seconds, 2),
        "first_index_server_cpu_s": round(server_cpu, 2),
        "first_index_worker_cpu_s": round(worker_cpu, 2),
        "index_workers": len(workers),
        "index_worker_rss_mb": round(worker_rss, 1),
        "first_index_loop_stall_ms": round(ticks[-1] * 1000, 1),
        "first_index_loop_p99_ms": round(ticks[int(len(ticks) * 0.99)] * 1000, 1),
        # the same ticks with nothing of ours running: the machine's load alone
        "idle_loop_stall_ms": round(floor[-1] * 1000, 1),
        "idle_loop_p99_ms": round(floor[int(len(floor) * 0.99)] * 1000, 1),
        "index_mb": round(memory / 1e6, 1),
        "context_build_ms_median": round(statistics.median(timings), 2),
        "context_build_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 2),
        "context_build_cpu_ms_p95": round(cpu[int(len(cpu) * 0.95) - 1], 2),
        # the thread's own CPU time: on a loaded machine the wall p95 adds waits for a core
        "load_average": round(os.getloadavg()[0], 1),
        "whole_prompt_ms_p95": round(whole[int(len(whole) * 0.95) - 1], 2),
    }


async def run(cases_per_package: int = 40, files: int = 2000, samples: int = 200,
              packages: int | None = None) -> dict[str, Any]:
    figures = await asyncio.to_thread(recall, cases_per_package, packages)
    figures |= await asyncio.to_thread(costs, files, samples)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=40, help="cursors per package")
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.cases, args.files)), indent=2))


if __name__ == "__main__":
    main()
