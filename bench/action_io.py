"""Action tool I/O: what a huge folder and a greedy model cost, and whether the loop stalls.

Figures (issue 9.5 / 10.4 / 10.5), in process, through the real tool path
(``parse_tool_call`` -> ``run_in_worker`` -> ``ChangeSet.run``):

* ``list_50k_ms``: one ``list_directory`` of a folder with 50 000 files (the
  scan stops at 2 000 entries before any filtering);
* ``list_50k_loop_stall_ms``: the longest the event loop went without running
  while that listing ran in its worker thread (a 1 ms ticker measures it);
* ``round_100_reads_chars``: what one round of 100 reads of a 40 KB file sends
  back to the model, against ``round_100_reads_uncapped_chars``.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.loop_stall import stall_during
from iskra_ls.actions.changeset import ChangeSet
from iskra_ls.actions.paths import WorkspacePolicy
from iskra_ls.actions.runner import OutputBudget
from iskra_ls.actions.tools import parse_tool_call
from iskra_ls.actions.worker import TOOL_TIME_LIMIT_S, run_in_worker


async def run(files: int = 50_000, reads: int = 100) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        big = root / "big"
        big.mkdir()
        for n in range(files):
            (big / f"f{n:05}.txt").touch()
        (root / "data.py").write_text(("y = 1  # " + "z" * 30 + "\n") * 1000, encoding="utf-8")
        changes = ChangeSet(WorkspacePolicy([root]), {})
        listing = parse_tool_call("list_directory", '{"uri": "big"}')
        started = time.perf_counter()
        answer, stall = await stall_during(run_in_worker(
            changes, lambda: changes.run(listing), timeout=TOOL_TIME_LIMIT_S, what="list"))
        list_ms = (time.perf_counter() - started) * 1000
        read = parse_tool_call("read_file", '{"uri": "data.py"}')
        budget = OutputBudget()
        sent = uncapped = 0
        for _ in range(reads):
            text = await run_in_worker(changes, lambda: changes.run(read),
                                       timeout=TOOL_TIME_LIMIT_S, what="read")
            uncapped += len(text)
            sent += len(budget.take(text))
    return {
        "list_50k_ms": round(list_ms, 1),
        "list_50k_loop_stall_ms": round(stall, 1),
        "list_50k_answer_chars": len(answer),
        "round_100_reads_chars": sent,
        "round_100_reads_uncapped_chars": uncapped,
    }


if __name__ == "__main__":
    print(asyncio.run(run()))
