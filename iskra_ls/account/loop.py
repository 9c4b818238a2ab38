"""Whether an event loop runs here: background work is started only inside one."""

from __future__ import annotations

import asyncio


def loop_running() -> bool:
    """True inside a running event loop (the server); False in plain calls (tests, the CLI)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
