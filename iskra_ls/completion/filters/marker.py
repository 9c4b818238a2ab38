"""Filter: an echoed cursor marker (``<CURSOR>``, ``<cursor>``, ``<|cursor|>``) goes."""

from __future__ import annotations

import re

from iskra_ls.completion.context import CURSOR_MARKER

_MARKER = re.compile(re.escape(CURSOR_MARKER) + r"|<\|?cursor\|?>|</cursor>", re.I)


def strip_cursor_marker(text: str) -> str:
    """Remove an echoed cursor marker (``<CURSOR>``, ``<cursor>``, ``<|cursor|>``)."""
    return _MARKER.sub("", text)
