"""Keystroke to suggestion over a simulated network (issue 11.3).

The typing replay (:mod:`bench.typing_replay`) against the bundled stub with a
simulated network: a 60 ms round trip on every answer, 150 ms more on a new
connection (TCP + TLS), and a model that streams 3 characters every 10 ms.
Figures: the time from the last keystroke before a pause to the suggestion
being ready (median, p90), connections opened per model request, model
requests per pause, and the share of pauses that showed a suggestion.

Targets: median <= 400 ms, connections/request <= 0.2, requests/pause <= 0.9
with >= 98 % of pauses served.
"""

from __future__ import annotations

import argparse
import asyncio
import colorsys
import json
from typing import Any

from bench import typing_replay

RTT_S = 0.06
CONNECT_S = 0.15
CHUNK_CHARS = 3
CHUNK_S = 0.01


def config(
    lines: int = 80, pause_every: int = 3, *, answers: str = "line_and_next",
    auto_indent: bool = True,
) -> typing_replay.ReplayConfig:
    """The replay over the simulated network: issue 18's side by side with tabby-agent
    (``colorsys.py``, the rest of the line plus the next line as every answer)."""
    return typing_replay.ReplayConfig(
        source=colorsys.__file__,
        lines=lines,
        pause_every=pause_every,
        latency_s=0.0,
        tokens_per_second=1 / CHUNK_S,
        chunk_chars=CHUNK_CHARS,
        rtt_s=RTT_S,
        connect_delay_s=CONNECT_S,
        answers=answers,
        auto_indent=auto_indent,
    )


async def run(lines: int = 80, pause_every: int = 3) -> dict[str, Any]:
    replay = await typing_replay.run(config(lines, pause_every))
    keys = (
        "ready_after_ms_median", "ready_after_ms_p90", "connections_per_request",
        "requests_per_pause", "pauses_showing_share", "backend_requests", "stub_connections",
        "pauses", "keystrokes", "document_matches_source",
    )
    return {
        "network": {"rtt_ms": 1000 * RTT_S, "connect_ms": 1000 * CONNECT_S,
                    "ms_per_chunk": 1000 * CHUNK_S, "chars_per_chunk": CHUNK_CHARS},
        **{key: replay.get(key) for key in keys},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=80)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.lines)), indent=2))


if __name__ == "__main__":
    main()
