"""Plain JSON values from what pygls hands over.

pygls structures the params of custom methods and command arguments as
namedtuples (and lsprotocol results as attrs objects); :func:`plain` turns
namedtuples back into dicts and lists, so code can read them one way.
"""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """``value`` with every namedtuple turned into a dict (recursively)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
