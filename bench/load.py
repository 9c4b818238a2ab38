"""Load: completions keep flowing while an action runs, and memory stays flat over many requests.

Part 1 -- concurrency. An ``iskra.ask`` action takes several tool-call rounds
(read_file, read_file, replace_in_file, then the final answer) against a stub
that waits ``latency_s`` before every answer. While it runs, 20 other documents are
edited concurrently, each asking for an invoked completion after each edit. Every
request has a deadline; the figures are the completions answered during the
action, their worst latency (compare with the stub's own ``latency_s``), and
whether anything timed out (a deadlock would).

Part 2 -- memory. ``requests`` invoked completions, real round trips through the
server to the stub (each after a new last line, so the cache cannot answer), from
4 documents of 2 KB at once; the server's VmRSS after a warm-up, every so often, and at the
end.

Part 3 -- flood (issue 10.9). ``flood_requests`` inline requests (invoked and automatic
alternately, none cancelled) for one 20 KB document within about two seconds, twice: the
server's VmRSS growth once the first flood is answered, how many reached the model, and
how long ``shutdown`` takes when sent right after the second flood.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.lsp_driver import Driver, TimedStub, running_stub
from iskra_ls.stub import Reply

DEADLINE_S = 15.0
TARGET = "target.py"
TARGET_TEXT = 'def greet(name):\n    return "Hello " + name\n'


def model(body: dict[str, Any]) -> Reply:
    """Completions get a line; the action reads two files, edits one, then answers."""
    if not body.get("tools"):
        return Reply.text("compute(a, b)")
    rounds = sum(1 for m in body["messages"] if m.get("role") == "tool")
    if rounds == 0:
        return Reply.tool_calls([("read_file", {"uri": TARGET})])
    if rounds == 1:
        return Reply.tool_calls([("read_file", {"uri": "doc_1.py"})])
    if rounds == 2:
        return Reply.tool_calls(
            [("replace_in_file", {"uri": TARGET, "search": '"Hello "', "replace": '"Hi "'})]
        )
    return Reply.text("Done: the greeting is shorter.")


async def _editor(driver: Driver, uri: str, stop: asyncio.Event, out: list[float]) -> int:
    """Edit ``uri`` and ask for a completion, again and again until ``stop``."""
    timeouts = 0
    n = 0
    while not stop.is_set():
        driver.append(uri, f"\nvalue_{n} = ")
        n += 1
        started = time.perf_counter()
        try:
            await asyncio.wait_for(driver.inline(uri), DEADLINE_S)
            out.append((time.perf_counter() - started) * 1000)
        except TimeoutError:
            timeouts += 1
        await asyncio.sleep(0.05)
    return timeouts


async def concurrency(latency_s: float = 0.25, editors: int = 20) -> dict[str, Any]:
    async with running_stub(latency=latency_s) as stub:
        stub.reply_function = model
        with tempfile.TemporaryDirectory() as folder:
            async with Driver(Path(folder), stub) as driver:
                target = driver.open(TARGET, TARGET_TEXT)
                uris = [
                    driver.open(f"doc_{i}.py", f"# document {i}\nimport math\n")
                    for i in range(1, editors + 1)
                ]
                await driver.inline(uris[0])  # warm up: SDK imported, connection pooled
                stop = asyncio.Event()
                latencies: list[float] = []
                tasks = [asyncio.ensure_future(_editor(driver, u, stop, latencies)) for u in uris]
                await asyncio.sleep(0.3)
                before = len(latencies)
                started = time.perf_counter()
                action_timed_out = False
                result: Any = None
                try:
                    result = await asyncio.wait_for(
                        driver.command(
                            "iskra.ask", {"uri": target, "instruction": "Shorten the greeting."}
                        ),
                        DEADLINE_S * 2,
                    )
                except TimeoutError:
                    action_timed_out = True
                action_s = time.perf_counter() - started
                during = latencies[before:]
                stop.set()
                timeouts = sum(await asyncio.gather(*tasks))
                edited = driver.text(target) == TARGET_TEXT.replace('"Hello "', '"Hi "')
    answer = result if isinstance(result, dict) else {}
    return {
        "editors": editors,
        "stub_latency_ms": latency_s * 1000,
        "action_s": action_s,
        "action_applied": bool(answer.get("applied")) and edited,
        "action_message": str(answer.get("message", ""))[:300],
        "action_timed_out": action_timed_out,
        "completions_during_action": len(during),
        "completion_latency_during_action_median_ms": statistics.median(during)
        if during
        else None,
        "completion_latency_during_action_max_ms": max(during, default=None),
        "completion_timeouts": timeouts,
        "deadlock": action_timed_out or timeouts > 0,
    }


async def _requester(driver: Driver, stub: TimedStub, uri: str, count: int) -> int:
    """``count`` invoked completions at new places; returns how many the stub answered."""
    answered = 0
    for n in range(count):
        text = driver.text(uri)  # the last line is rewritten: the document keeps its size
        driver.change(uri, text.rfind("\n") + 1, len(text), f"value_{n} = ")
        before = len(stub.requests)
        items = await asyncio.wait_for(driver.inline(uri), DEADLINE_S)
        answered += bool(items) and len(stub.requests) > before
        if len(stub.requests) > 2000:
            stub.requests.clear()  # the benchmark's own memory, not the server's
            stub.timings.clear()
    return answered


async def memory(requests: int = 10_000, workers: int = 4, samples: int = 10) -> dict[str, Any]:
    async with running_stub() as stub:
        stub.reply_function = model
        with tempfile.TemporaryDirectory() as folder:
            async with Driver(Path(folder), stub) as driver:
                body = "".join(f"def f_{k}(a, b):\n    return a * {k} + b\n\n" for k in range(60))
                uris = [
                    driver.open(f"mem_{i}.py", f"# memory {i}\n{body}\n") for i in range(workers)
                ]
                warm = max(workers, min(200, requests // 20))
                await asyncio.gather(*(_requester(driver, stub, u, warm // workers) for u in uris))
                await asyncio.sleep(0.3)
                start_rss = driver.rss_mb()
                trace = [round(start_rss, 1)]
                started = time.perf_counter()
                per_sample = requests // samples // workers
                answered = 0
                for _ in range(samples):
                    done = await asyncio.gather(
                        *(_requester(driver, stub, u, per_sample) for u in uris)
                    )
                    answered += sum(done)
                    trace.append(round(driver.rss_mb(), 1))
                elapsed = time.perf_counter() - started
                await asyncio.sleep(0.3)
                end_rss = driver.rss_mb()
    sent = per_sample * samples * workers
    return {
        "requests": sent,
        "answered_by_backend": answered,
        "requests_per_s": sent / elapsed,
        "rss_start_mb": start_rss,
        "rss_end_mb": end_rss,
        "rss_growth_mb": end_rss - start_rss,
        "rss_trace_mb": trace,
    }


async def _flood_once(driver: Driver, uri: str, count: int) -> list[asyncio.Future[Any]]:
    futures = []
    for n in range(count):
        futures.append(driver.inline_request(uri, invoked=n % 2 == 0)[1])
        if n % 100 == 99:
            await asyncio.sleep(0.04)  # ~5 000 in 2 s
    return futures


async def flood(requests: int = 5_000) -> dict[str, Any]:
    """A flood of inline requests: memory, model requests and shutdown stay flat."""
    async with running_stub() as stub:
        stub.reply_function = lambda _body: Reply.text("compute(a, b)", stall_seconds=0.3)
        with tempfile.TemporaryDirectory() as folder:
            driver = Driver(Path(folder), stub)
            await driver.start()
            try:
                body = "".join(f"def f_{k}(a, b):\n    return a * {k} + b\n\n" for k in range(500))
                uri = driver.open("flood.py", body + "value = ")
                await asyncio.sleep(1.0)
                start_rss = driver.rss_mb()
                started = time.perf_counter()
                futures = await _flood_once(driver, uri, requests)
                await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 60)
                answered_s = time.perf_counter() - started
                await asyncio.sleep(0.3)
                end_rss = driver.rss_mb()
                backend = len(stub.requests)
                await _flood_once(driver, uri, requests)
                started = time.perf_counter()
                await asyncio.wait_for(driver.client.shutdown_async(None), 30)
                shutdown_s = time.perf_counter() - started
                driver.client.exit(None)
            finally:
                await driver.stop()
    return {
        "requests": requests,
        "backend_requests": backend,
        "all_answered_s": answered_s,
        "rss_start_mb": start_rss,
        "rss_end_mb": end_rss,
        "rss_growth_mb": end_rss - start_rss,
        "shutdown_after_flood_ms": 1000 * shutdown_s,
    }


async def run(
    requests: int = 10_000, editors: int = 20, latency_s: float = 0.25,
    flood_requests: int = 5_000,
) -> dict[str, Any]:
    return {
        "concurrency": await concurrency(latency_s, editors),
        "memory": await memory(requests),
        "flood": await flood(flood_requests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.requests)), indent=2))


if __name__ == "__main__":
    main()
