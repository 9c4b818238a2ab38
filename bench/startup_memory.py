"""Start-up time and resident memory of the server.

Start-up: from spawning ``python -m iskra_ls`` to receiving its InitializeResult
(what an editor waits for before anything works), the median of several starts.

Memory: VmRSS of the server (from ``/proc/PID/status``) with 200 documents of
50 KB open and the Iskra client loaded -- after one completion, so the OpenAI SDK
is imported and a connection is pooled. The documents are real Python (the
running interpreter's ``textwrap.py``, repeated to size, each one different).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from bench.lsp_driver import Driver, running_stub
from iskra_ls.stub import Reply


async def startup_times(runs: int) -> list[float]:
    """Seconds from spawn to InitializeResult, one per fresh server."""
    times = []
    async with running_stub() as stub:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as folder:
                driver = Driver(Path(folder), stub)
                try:
                    times.append(await driver.start())
                finally:
                    await driver.stop()
    return times


def documents(count: int, size: int) -> list[str]:
    """``count`` different Python documents of about ``size`` characters."""
    base = Path(textwrap.__file__).read_text(encoding="utf-8")
    body = (base * (size // len(base) + 1))[:size]
    body = body[: body.rfind("\n") + 1]
    return [f"# document {i}\nDOC_ID = {i}\n{body}" for i in range(count)]


async def memory(count: int = 200, size: int = 50_000) -> dict[str, float]:
    """RSS (MB) idle after start-up, and with ``count`` x ``size`` documents open."""
    async with running_stub() as stub:
        stub.reply_function = lambda _body: Reply.text("return result")
        with tempfile.TemporaryDirectory() as folder:
            async with Driver(Path(folder), stub) as driver:
                uri = driver.open("first.py", "def f(result):\n    ")
                await driver.inline(uri)  # the OpenAI SDK is imported, a connection pooled
                await asyncio.sleep(0.5)
                idle = driver.rss_mb()
                last = ""
                for i, text in enumerate(documents(count, size)):
                    last = driver.open(f"doc_{i}.py", text)
                    if i % 20 == 19:
                        await asyncio.sleep(0)  # let the writer drain
                await driver.inline(last, len(driver.text(last)))
                await asyncio.sleep(0.5)
                loaded = driver.rss_mb()
                opened = sum(len(driver.text(u)) for u in driver.docs)
    return {
        "rss_idle_with_client_mb": idle,
        "rss_with_documents_mb": loaded,
        "documents": count,
        "document_chars_total": opened,
    }


async def run(startup_runs: int = 5, docs: int = 200, size: int = 50_000) -> dict[str, Any]:
    times = await startup_times(startup_runs)
    result: dict[str, Any] = {
        "startup_median_ms": statistics.median(times) * 1000,
        "startup_runs_ms": [round(t * 1000, 1) for t in times],
    }
    result.update(await memory(docs, size))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.runs, args.docs)), indent=2))


if __name__ == "__main__":
    main()
