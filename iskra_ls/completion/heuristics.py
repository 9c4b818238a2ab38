"""Where an automatic suggestion is worth a request, where a pause is likely, and the counts.

Pure: the scheduler in :mod:`iskra_ls.completion.service` asks these questions on
every keystroke, so they look only at the text around the cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"\w")
_CLOSERS_ONLY = re.compile(r"^[\s)\]}\"'`;:,.]*$")
_STATEMENT_END = re.compile(r"[:;{]\s*$")


@dataclass
class CompletionStats:
    requests: int = 0
    """Model requests sent."""
    shown: int = 0
    accepted: int = 0
    cache_hits: int = 0
    skipped: int = 0
    superseded: int = 0
    errors: int = 0
    waiting: int = 0
    """Requests waiting right now (debounce, quota look-up, a fetch in flight)."""
    peak_waiting: int = 0
    background: int = 0
    """Fetches whose answer went to the cache after the editor stopped waiting."""

    def as_dict(self) -> dict[str, Any]:
        rate = self.accepted / self.shown if self.shown else None
        per_accept = self.requests / self.accepted if self.accepted else None
        return {
            "requests": self.requests,
            "shown": self.shown,
            "accepted": self.accepted,
            "cacheHits": self.cache_hits,
            "skipped": self.skipped,
            "superseded": self.superseded,
            "errors": self.errors,
            "waiting": self.waiting,
            "peakWaiting": self.peak_waiting,
            "background": self.background,
            "acceptanceRate": rate,
            "requestsPerAccepted": per_accept,
        }


def worth_asking(prefix: str, suffix: str) -> bool:
    """Heuristics: would an automatic suggestion here help?

    No when the cursor is inside a word, or when real code follows it on the
    line (only closers such as ``)`` or quotes may follow).
    """
    line_suffix = suffix.split("\n", 1)[0].rstrip("\r")
    if line_suffix and _WORD.match(line_suffix[0]):
        return False
    return bool(_CLOSERS_ONLY.match(line_suffix))


def pause_likely(prefix: str) -> bool:
    """Is the user likely to stop typing here? Right after Enter, or at a statement's end."""
    line = prefix.rsplit("\n", 1)
    if len(line) == 2 and not line[1].strip():
        return bool(line[0].strip())  # a fresh line below code
    return bool(_STATEMENT_END.search(line[-1]))
