"""The worst event-loop stall while some work runs: what "nothing blocks the loop" measures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def stall_during(work: Awaitable[T]) -> tuple[T, float]:
    """``work``'s result and the worst gap between ticks of a 1 ms ticker, in ms."""
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    tick = asyncio.ensure_future(ticker())
    try:
        result = await work
    finally:
        done = True
        await tick
    return result, worst * 1000
