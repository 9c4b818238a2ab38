"""Early stop: a one-line completion returns when the model's first line is in, not at its end.

The stub streams a 200-token (4 characters per token) multi-line answer at 50
tokens/s -- four seconds in full. The cursor sits mid-line (``print(|)``), so the
server wants one line; it should answer within the time the first line takes to
arrive plus a little, and close the stream (the stub counts the disconnect).

The first line's time is taken on the stub's clock: when its chat handler started
(``TimedStub``) plus the pacing of the chunks up to the one holding the first line
break; both are measured from the client sending its request.

The block case (issue 14.3): a requested completion after ``def area(...):`` gets
a one-line body followed by a ``BLOCK_TOKENS``-chunk tail that runs into the next
definitions. The figure is the chunks the stub had sent when the final suggestion
reached the editor, and in all (the drain included), against the answer's length.
Read to the end before the block early stop; the block's chunks plus the drain now.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.lsp_driver import Driver, running_stub
from iskra_ls.stub import Reply

TOKENS = 200
TOKENS_PER_SECOND = 50.0
CHUNK_CHARS = 4
FIRST_LINE = '"hello, world")\n'


BLOCK_TOKENS = 200
BLOCK_TOKENS_PER_SECOND = 100.0
BLOCK_HEAD = "def area(width, height):\n    "
BLOCK_BODY = "return width * height\n"


BLOCK_BEFORE = {"chunks_until_final": 200, "chunks_in_all": 200, "code": "2dbb13d"}
"""This case on the code before the block early stop (74d9cca's parent), 3 runs: every run."""


def block_answer(run_no: int) -> str:
    """The body, then the model running on into the following code: ``BLOCK_TOKENS`` chunks."""
    text = BLOCK_BODY + "\n\ndef other():\n    pass\n"
    line = 0
    while len(text) < BLOCK_TOKENS * CHUNK_CHARS:
        text += f"\nvalue_{run_no}_{line} = {line}\n"
        line += 1
    return text[: BLOCK_TOKENS * CHUNK_CHARS]


async def run_block(runs: int = 3) -> dict[str, Any]:
    """Chunks sent per block request until the final suggestion arrived, and in all."""
    rows: list[dict[str, Any]] = []
    async with running_stub(
        tokens_per_second=BLOCK_TOKENS_PER_SECOND, chunk_chars=CHUNK_CHARS
    ) as stub:
        with tempfile.TemporaryDirectory() as folder:
            async with Driver(Path(folder), stub) as driver:
                for i in range(runs + 1):  # the first run warms up
                    uri = driver.open(f"block{i}.py", BLOCK_HEAD + "\n\ndef other():\n    pass\n")
                    stub.script(Reply.text(block_answer(i)))
                    before = stub.chunks_sent
                    items = await driver.inline(uri, len(BLOCK_HEAD))
                    at_answer = stub.chunks_sent - before
                    for _ in range(1000):  # up to 5 s for the stream to end or be closed
                        if stub.active_streams == 0:
                            break
                        await asyncio.sleep(0.005)
                    if i == 0:
                        continue
                    rows.append(
                        {
                            "chunks_until_final": at_answer,
                            "chunks_in_all": stub.chunks_sent - before,
                            "suggestion": items[0].insert_text if items else None,
                        }
                    )
    return {
        "runs": len(rows),
        "answer_chunks": BLOCK_TOKENS,
        "chunks_until_final_median": statistics.median(r["chunks_until_final"] for r in rows),
        "chunks_in_all_median": statistics.median(r["chunks_in_all"] for r in rows),
        "all_right_suggestion": all(r["suggestion"] == BLOCK_BODY.rstrip("\n") for r in rows),
        "before_block_early_stop": BLOCK_BEFORE,
        "per_run": rows,
    }


def answer(run_no: int) -> str:
    """A multi-line answer of exactly ``TOKENS`` chunks whose first line completes ``print(``."""
    text = FIRST_LINE
    line = 0
    while len(text) < TOKENS * CHUNK_CHARS:
        text += f"print('more output {run_no}-{line}')\n"
        line += 1
    return text[: TOKENS * CHUNK_CHARS]


async def run(runs: int = 5) -> dict[str, Any]:
    """First-line time, completion latency and their difference (ms), median and worst."""
    chunks_to_first_line = FIRST_LINE.index("\n") // CHUNK_CHARS + 1
    pacing_s = chunks_to_first_line / TOKENS_PER_SECOND
    rows: list[dict[str, Any]] = []
    async with running_stub(
        tokens_per_second=TOKENS_PER_SECOND, chunk_chars=CHUNK_CHARS
    ) as stub:
        with tempfile.TemporaryDirectory() as folder:
            async with Driver(Path(folder), stub) as driver:
                lines = [f"print()  # call {i}" for i in range(runs + 1)]
                uri = driver.open("early.py", "\n".join(lines) + "\n")
                for i in range(runs + 1):  # the first run warms up (imports, connection)
                    offset = sum(len(line) + 1 for line in lines[:i]) + len("print(")
                    stub.script(Reply.text(answer(i)))
                    before, disconnects = len(stub.timings), stub.disconnects
                    sent = time.perf_counter()
                    items = await driver.inline(uri, offset)
                    latency = time.perf_counter() - sent
                    timing = stub.timings[before]
                    first_line = timing.start - sent + pacing_s
                    for _ in range(400):  # up to 2 s for the stub to notice the close
                        if stub.disconnects > disconnects:
                            break
                        await asyncio.sleep(0.005)
                    if i == 0:
                        continue
                    rows.append(
                        {
                            "first_line_ms": first_line * 1000,
                            "latency_ms": latency * 1000,
                            "difference_ms": (latency - first_line) * 1000,
                            "stub_saw_disconnect": stub.disconnects > disconnects,
                            "stream_closed_after_ms": (timing.end - timing.start) * 1000
                            if timing.end
                            else None,
                            "suggestion": items[0].insert_text if items else None,
                        }
                    )
    differences = [r["difference_ms"] for r in rows]
    block = await run_block(max(1, runs // 2))
    return {
        "runs": len(rows),
        "full_answer_ms": TOKENS / TOKENS_PER_SECOND * 1000,
        "first_line_ms_median": statistics.median(r["first_line_ms"] for r in rows),
        "latency_ms_median": statistics.median(r["latency_ms"] for r in rows),
        "difference_ms_median": statistics.median(differences),
        "difference_ms_max": max(differences),
        "all_saw_disconnect": all(r["stub_saw_disconnect"] for r in rows),
        "all_right_suggestion": all(r["suggestion"] == FIRST_LINE.rstrip("\n") for r in rows),
        "per_run": [
            {k: (round(v, 2) if isinstance(v, float) and math.isfinite(v) else v)
             for k, v in r.items()}
            for r in rows
        ],
        "block": block,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.runs)), indent=2))


if __name__ == "__main__":
    main()
