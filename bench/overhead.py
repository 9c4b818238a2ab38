"""Server overhead per invoked inline completion: what the server adds to the model's time.

Against a stub that answers at once (no latency, no pacing), the client times N
invoked completions, each at a new line end so neither the exact-revisit nor the
typing-through cache can answer, and subtracts the time the stub's chat handler
spent on the same request (arrival to last byte, see ``TimedStub``). What is left
is the server's own work -- JSON-RPC, document lookup, prompt, the OpenAI SDK,
post-processing -- plus the loopback HTTP hop, which a real deployment also pays.

Requests go one after another with a short gap (a person does not invoke
completions back to back); the server's background ``/auth/me`` refresh after each
request happens in that gap or overlaps the next request, as it would in use.
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

from bench.lsp_driver import TOKEN, Driver, TimedStub, percentile, running_stub
from iskra_ls.completion.context import CURSOR_MARKER
from iskra_ls.stub import Reply

GAP_S = 0.02


async def _measure(
    driver: Driver, stub: TimedStub, uri: str, offsets: list[int], warmup: int
) -> tuple[list[float], list[float], int]:
    """(client latencies, stub handler times) in ms for requests at ``offsets``."""
    latencies: list[float] = []
    service: list[float] = []
    unmeasured = 0
    for i, offset in enumerate(offsets):
        before = len(stub.timings)
        started = time.perf_counter()
        items = await driver.inline(uri, offset)
        elapsed = time.perf_counter() - started
        if len(stub.timings) != before + 1 or not items:
            unmeasured += 1  # answered without the stub: not what is measured here
        elif i >= warmup:
            latencies.append(elapsed * 1000)
            service.append(stub.timings[-1].seconds * 1000)
        await asyncio.sleep(GAP_S)
    return latencies, service, unmeasured


def _line_ends(lines: list[str]) -> list[int]:
    ends, offset = [], 0
    for line in lines:
        offset += len(line)
        ends.append(offset)
        offset += 1
    return ends


async def _lsp_only(driver: Driver, uri: str, offset: int, count: int) -> list[float]:
    """Round trips answered from the server's cache: JSON-RPC and handler, no HTTP."""
    await driver.inline(uri, offset)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await driver.inline(uri, offset)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _sdk_direct(stub: TimedStub, body: dict[str, Any], count: int) -> list[float]:
    """The same streamed chat request sent straight to the stub with the OpenAI SDK."""
    import openai

    client = openai.AsyncOpenAI(base_url=f"{stub.url}/ai/v1", api_key=TOKEN, max_retries=0)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model=body["model"], messages=body["messages"], stream=True,
                max_tokens=body.get("max_tokens"),
            )
            async for _chunk in stream:
                pass
            times.append((time.perf_counter() - started) * 1000)
    finally:
        await client.close()
    return times


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


async def run(n: int = 200, warmup: int = 10, big_n: int = 30) -> dict[str, Any]:
    """Median and p95 of client latency minus stub handler time, in milliseconds.

    Also: the same on a 50 KB document (``big_n`` requests), and two parts of the
    path measured alone -- an LSP round trip the cache answers, and the chat
    request sent directly with the OpenAI SDK -- to tell where the time goes.
    """
    async with running_stub() as stub:
        counter = iter(range(10**9))

        def answer(body: dict[str, Any]) -> Reply:
            """Valid Python at the cursor (the server drops what would not parse): a call
            at a line's end, a factor in front of the code that follows the cursor."""
            user = str(body["messages"][-1]["content"])
            at_line_end = user.split(CURSOR_MARKER, 1)[-1].startswith("\n")
            n = next(counter)
            return Reply.text(f"compute_{n}(a, b)" if at_line_end else f"{n + 2} * ")

        stub.reply_function = answer
        with tempfile.TemporaryDirectory() as folder:
            async with Driver(Path(folder), stub) as driver:
                lines = [f"value_{i} = " for i in range(n + warmup)]
                uri = driver.open("overhead.py", "\n".join(lines) + "\n")
                latencies, service, unmeasured = await _measure(
                    driver, stub, uri, _line_ends(lines), warmup
                )
                big_lines = [f"value_{i} = compute(a, b)  # {'x' * 20}" for i in range(1000)]
                big_lines = big_lines[: 50_000 // (len(big_lines[0]) + 1)]
                big_uri = driver.open("big.py", "\n".join(big_lines) + "\n")
                cut = [f"{line[: line.index('=') + 2]}" for line in big_lines]
                big_offsets = [
                    end - (len(full) - len(part))
                    for end, full, part in zip(_line_ends(big_lines), big_lines, cut, strict=True)
                ]
                step = max(1, len(big_offsets) // (big_n + 3))
                big_lat, big_service, _ = await _measure(
                    driver, stub, big_uri, big_offsets[::step][: big_n + 3], 3
                )
                lsp_only = await _lsp_only(driver, uri, _line_ends(lines)[0], 50)
                body = stub.requests[-1]
        sdk = await _sdk_direct(stub, body, 40)
    overheads = [a - b for a, b in zip(latencies, service, strict=True)]
    big_over = [a - b for a, b in zip(big_lat, big_service, strict=True)]
    return {
        "requests": len(overheads),
        "not_measured": unmeasured,
        "overhead_median_ms": _median(overheads),
        "overhead_p95_ms": percentile(overheads, 0.95),
        "overhead_max_ms": max(overheads, default=None),
        "client_latency_median_ms": _median(latencies),
        "stub_handler_median_ms": _median(service),
        "overhead_50kb_doc_median_ms": _median(big_over),
        "overhead_50kb_doc_p95_ms": percentile(big_over, 0.95),
        "lsp_roundtrip_cached_median_ms": _median(lsp_only),
        "sdk_direct_roundtrip_median_ms": _median(sdk[5:]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.n)), indent=2))


if __name__ == "__main__":
    main()
