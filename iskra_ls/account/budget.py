"""The day's quota arithmetic, from what the ledger holds (pure: no I/O, no clock).

Iskra counts requests per account per day (00:00 UTC) against the plan's limit. Every
server on the machine reserves through one ledger (:mod:`iskra_ls.account.ledger`), so
the figures here are the machine's, not one process's:

- ``by_kind``: today's requests of every editor on this machine (held or sent), by kind;
- ``figures``: the service's own count from the last ``/auth/me`` of the day (it also
  sees other machines), plus what this machine sent since it was asked;
- until ``/auth/me`` has answered today the plan is unknown and the smallest one is
  assumed (free, 20 requests): a server never spends on a guess of a bigger plan.

Automatic (typing-triggered) requests may use ``autoBudget`` of what the day offers
them: ``automatic < floor(budget × (automatic + remaining))``, which is at most
``budget × limit`` however many servers type at once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

AUTOMATIC = "automatic"
INVOKED = "invoked"
ACTION = "action"
KINDS = (AUTOMATIC, INVOKED, ACTION)
"""Typing-triggered completions; completions the user asked for; code-action rounds."""

ASSUMED_TIER = "free"
ASSUMED_LIMIT = 20
"""The smallest plan: what is assumed until ``/auth/me`` tells the real one."""


def day_start(now: float) -> float:
    """00:00 UTC of ``now``'s day (wall-clock seconds): when Iskra's quota day began."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return dt.datetime.combine(today, dt.time(), dt.UTC).timestamp()


def next_reset(now: float) -> float:
    """The next 00:00 UTC after ``now``."""
    return day_start(now) + 86_400.0


def iso_utc(timestamp: float) -> str:
    """``2026-12-02T00:00:00Z``."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Figures:
    """What ``/auth/me`` said, and when it was asked (wall clock)."""

    asked_at: float
    email: str | None = None
    tier: str | None = None
    limit: int | None = None
    requests_today: int | None = None
    remaining: int | None = None

    def used(self) -> int | None:
        """Requests the service counted today (from the limit when only that is given)."""
        if self.requests_today is not None:
            return self.requests_today
        if self.limit is not None and self.remaining is not None:
            return max(self.limit - self.remaining, 0)
        return None


@dataclass(frozen=True)
class DayUsage:
    """Today's quota as this machine knows it."""

    now: float
    by_kind: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    """Today's requests on this machine, held (about to be sent) or sent."""
    since_figures: int = 0
    """Of those, the ones sent after ``figures`` were asked (the service may not count them yet)."""
    figures: Figures | None = None
    """Today's last ``/auth/me`` answer; None: the plan is not known."""
    exhausted: bool = False
    """A 429 came after the last ``/auth/me``: nothing remains until the service says so."""
    paused_until: float | None = None
    """After a 429, automatic requests wait until then (wall clock)."""
    token_rejected: bool = False
    """The service answered 401 to this token: automatic requests stop until it changes."""

    @property
    def plan_known(self) -> bool:
        return self.figures is not None and self.figures.limit is not None

    @property
    def limit(self) -> int:
        if self.figures is not None and self.figures.limit is not None:
            return self.figures.limit
        return ASSUMED_LIMIT

    @property
    def tier(self) -> str | None:
        return self.figures.tier if self.figures is not None else None

    @property
    def email(self) -> str | None:
        return self.figures.email if self.figures is not None else None

    @property
    def automatic(self) -> int:
        return self.by_kind.get(AUTOMATIC, 0)

    @property
    def machine_total(self) -> int:
        return sum(self.by_kind.values())

    @property
    def used(self) -> int:
        """Requests spent today: the service's count plus what it has not seen yet."""
        used = self.machine_total
        service = self.figures.used() if self.figures is not None else None
        if service is not None:
            used = max(used, service + self.since_figures)
        return used

    @property
    def remaining(self) -> int:
        if self.exhausted:
            return 0
        left = max(self.limit - self.used, 0)
        if self.figures is not None and self.figures.remaining is not None:
            left = min(left, max(self.figures.remaining - self.since_figures, 0))
        return left

    @property
    def resets_at(self) -> float:
        return next_reset(self.now)

    def paused(self, now: float | None = None) -> bool:
        """Whether a 429 still holds automatic requests back."""
        return self.paused_until is not None and (self.now if now is None else now) < (
            self.paused_until
        )

    def automatic_share(self, budget: float) -> int:
        """How many automatic requests today may have in all: ``budget`` of what it offers."""
        return math.floor(budget * (self.automatic + self.remaining) + 1e-9)

    def automatic_left(self, budget: float) -> int:
        return max(self.automatic_share(budget) - self.automatic, 0)

    def automatic_allowed(self, budget: float, now: float | None = None) -> bool:
        """May one more automatic request be reserved?"""
        if self.paused(now) or self.token_rejected:
            return False
        return self.automatic < self.automatic_share(budget)
