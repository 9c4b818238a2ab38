"""What the machine-wide quota ledger costs a completion (issue 19).

Every paid request is reserved in ``quota.sqlite3`` first (one SQLite transaction in the
server's ledger thread) and marked sent when it goes out. This measures, in a temporary
config folder:

- a reservation as a completion waits for it (``AccountQuota.reserve``), alone and while
  other processes (other editor windows) reserve and send as fast as they can;
- the worst stall of the event loop meanwhile (the ledger must never block it);
- that the budget held: automatic reservations granted across every process (at most 10:
  ``autoBudget`` 0.5 of the assumed 20; the measuring process's invoked requests shrink it).

    python -m bench.ledger [--reservations N] [--others K]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from iskra_ls.account.budget import INVOKED
from iskra_ls.account.ledger import ledger_in
from iskra_ls.account.quota import AccountQuota

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaEBleGFtcGxlLmNvbSJ9.YmVuY2gtbGVkZ2Vy"
ROOT = "https://iskra.example"

_OTHER = textwrap.dedent("""
    import sys, time, uuid
    from pathlib import Path
    from iskra_ls.account.ledger import account_of, ledger_in
    ledger = ledger_in(Path(sys.argv[1]))
    account, mark = account_of(sys.argv[2], sys.argv[3])
    end = time.time() + float(sys.argv[4])
    granted = 0
    while time.time() < end:
        row = uuid.uuid4().hex
        ok, _ = ledger.reserve(account, sys.argv[3], "automatic", row=row, budget=0.5,
                               fingerprint=mark, now=time.time())
        if ok:
            granted += 1
            ledger.mark_sent(row, time.time())
        ledger.usage(account, mark, time.time())
    print(granted)
""")


async def _reservations(folder: Path, count: int) -> tuple[list[float], float, int]:
    """Reservation latencies (ms), the worst loop stall (ms), automatic ones granted."""
    quota = AccountQuota(ledger_in(folder))
    quota.use(TOKEN, ROOT)
    stall = 0.0
    running = True

    async def ticker() -> None:
        nonlocal stall
        loop = asyncio.get_running_loop()
        while running:
            before = loop.time()
            await asyncio.sleep(0.001)
            stall = max(stall, (loop.time() - before - 0.001) * 1000)

    tick = asyncio.ensure_future(ticker())
    times: list[float] = []
    granted = 0
    for i in range(count):
        started = time.perf_counter()
        if i % 2:
            held = await quota.reserve(INVOKED)
        else:
            held = await quota.reserve_automatic(0.5)
            granted += held is not None
        times.append((time.perf_counter() - started) * 1000)
        if held is not None:
            with held:
                held.sending()
    running = False
    await tick
    await asyncio.get_running_loop().run_in_executor(None, quota.close)
    return times, stall, granted


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def run(reservations: int = 200, others: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as name:
        alone, alone_stall, _ = await _reservations(Path(name) / "alone", reservations)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "shared"
        folder.mkdir(mode=0o700)
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", _OTHER, str(folder), TOKEN, ROOT, "3",
                stdout=asyncio.subprocess.PIPE)
            for _ in range(others)
        ]
        await asyncio.sleep(0.3)  # let them start hammering
        busy, busy_stall, granted_here = await _reservations(folder, reservations)
        outs = [await proc.communicate() for proc in procs]
        granted_others = sum(int(out.decode().split()[-1] or 0) for out, _ in outs)
    return {
        "reservations": reservations,
        "other_processes": others,
        "reserve_alone_median_ms": statistics.median(alone),
        "reserve_alone_p95_ms": _pct(alone, 0.95),
        "reserve_contended_median_ms": statistics.median(busy),
        "reserve_contended_p95_ms": _pct(busy, 0.95),
        "loop_stall_alone_max_ms": alone_stall,
        "loop_stall_contended_max_ms": busy_stall,
        "automatic_granted_all_processes": granted_here + granted_others,
        "automatic_allowed_at_most": 10,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reservations", type=int, default=200)
    parser.add_argument("--others", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.reservations, args.others)), indent=2))


if __name__ == "__main__":
    main()
