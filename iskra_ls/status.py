"""What we know of the user's quota, and the ``iskra/status`` payload built from it.

Iskra allows 20 requests a day on the free tier, so the server keeps its own
count between ``/auth/me`` look-ups: every request sent takes one from
``remaining`` at once, and ``/auth/me`` corrects the figures when it answers.
The same object decides whether an automatic (typing-triggered) completion may
still go out (``completion.autoBudget``) and whether we are paused after a 429.

Under concurrency the check and the count are one step (:meth:`QuotaTracker.reserve`):
requests that wake together cannot all pass a check made before any of them was
counted. Every HTTP attempt is counted (:meth:`QuotaTracker.request_sent`), so a
retried round costs two. The day's automatic spending starts again when
``/auth/me`` shows a new day (``requestsToday`` falls or ``remaining`` rises) or
the known reset time passes.

Pure: no LSP, no network.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iskra_ls.errors import IskraError, QuotaExhausted

STATES = (
    "starting",
    "ready",
    "working",
    "signedOut",
    "quotaExhausted",
    "paused",
    "offline",
    "error",
    "disabled",
)


@dataclass
class QuotaTracker:
    """Quota figures, the automatic budget and the post-429 pause."""

    clock: Callable[[], float] = time.monotonic
    email: str | None = None
    tier: str | None = None
    limit: int | None = None
    requests_today: int | None = None
    remaining: int | None = None
    auto_spent: int = 0
    """Automatic completion requests sent today by this server."""
    paused_until: float | None = None
    """Monotonic deadline of the post-429 pause; ``inf`` when no reset time is known."""
    exhausted_message: str | None = None
    signed_in: bool = False
    signed_out_reason: str | None = None
    """Why we are signed out (e.g. the token was rejected), for the status."""
    _seen_at: float = field(default=0.0)
    _unsent: int = 0
    """Requests counted (reserved) whose HTTP attempt has not been made yet."""
    _me_figures: tuple[int | None, int | None] | None = None
    """``(requestsToday, remaining)`` of the last ``/auth/me``, to notice a new day."""
    resets_at: float | None = None
    """Monotonic time of the next quota reset, when the service told us (``Retry-After``)."""

    def update_account(self, *, email: str | None, tier: str | None, limit: int | None,
                       requests_today: int | None, remaining: int | None) -> None:
        """Figures from ``/auth/me``: they win over our own count."""
        self.signed_in = True
        self.signed_out_reason = None
        if self._me_figures is not None and _new_day(self._me_figures, requests_today, remaining):
            self.new_day()
        self._me_figures = (requests_today, remaining)
        self.email, self.tier, self.limit = email, tier, limit
        self.requests_today, self.remaining = requests_today, remaining
        self._seen_at = self.clock()
        if remaining is not None and remaining > 0 and self.paused_until is not None:
            self.resume()
        if remaining == 0 and self.paused_until is None:
            self.pause(None)

    def record_request(self, *, automatic: bool) -> None:
        """One request about to be sent: count it before the answer arrives."""
        self._check_reset()
        self._unsent += 1
        if self.remaining is not None:
            self.remaining = max(self.remaining - 1, 0)
        if self.requests_today is not None:
            self.requests_today += 1
        if automatic:
            self.auto_spent += 1

    def reserve(self, *, automatic: bool, budget: float = 1.0) -> bool:
        """Check and count in one step; False when an automatic request may not go out."""
        if automatic and not self.auto_allowed(budget):
            return False
        self.record_request(automatic=automatic)
        return True

    def request_sent(self) -> None:
        """The client made an HTTP attempt: it uses a reservation, or costs one more (a retry)."""
        if self._unsent > 0:
            self._unsent -= 1
        else:
            self.record_request(automatic=False)
            self._unsent -= 1

    def release(self, *, automatic: bool) -> None:
        """A reserved request was never sent (it failed before reaching the network)."""
        if self._unsent <= 0:
            return
        self._unsent -= 1
        if self.remaining is not None:
            self.remaining += 1
        if self.requests_today:
            self.requests_today -= 1
        if automatic and self.auto_spent:
            self.auto_spent -= 1

    def auto_allowed(self, budget: float) -> bool:
        """May an automatic completion spend a request now?

        Automatic requests may use ``budget`` of what the day offered them:
        ``auto_spent < budget * (auto_spent + remaining)``. Unknown figures
        (not looked up yet) allow it; the pause after a 429 forbids it.
        """
        if self.is_paused():
            return False
        if self.remaining is None:
            return True
        return self.auto_spent < math.floor(budget * (self.auto_spent + self.remaining))

    def pause(self, retry_after: float | None) -> None:
        """A 429: stop automatic requests until the reset (or ``/auth/me`` says so)."""
        retry_after = usable_retry_after(retry_after)
        self.paused_until = math.inf if retry_after is None else self.clock() + retry_after
        if retry_after is not None:
            self.resets_at = self.paused_until
        self.remaining = 0
        self.exhausted_message = str(QuotaExhausted(retry_after))

    def resume(self) -> None:
        """The pause is over: figures are unknown until ``/auth/me`` answers again."""
        if self.remaining == 0:
            self.remaining = None
        self.paused_until = None
        self.exhausted_message = None

    def is_paused(self) -> bool:
        self._check_reset()
        if self.paused_until is None:
            return False
        if self.clock() >= self.paused_until:
            self.resume()
            return False
        return True

    def new_day(self) -> None:
        """Forget the day's spending (the service reset the quota)."""
        self.auto_spent = 0
        self.resets_at = None

    def _check_reset(self) -> None:
        if self.resets_at is not None and self.clock() >= self.resets_at:
            self.new_day()
            if self.remaining == 0:
                self.remaining = None  # unknown until /auth/me answers


def usable_retry_after(value: float | None) -> float | None:
    """A ``Retry-After`` we can wait for: finite and not negative, else None ("until the reset")."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if value >= 0 else None


def _new_day(
    before: tuple[int | None, int | None], requests_today: int | None, remaining: int | None
) -> bool:
    """``/auth/me`` shows the quota was reset: fewer requests today, or more remaining."""
    old_used, old_remaining = before
    if old_used is not None and requests_today is not None and requests_today < old_used:
        return True
    return old_remaining is not None and remaining is not None and remaining > old_remaining


@dataclass
class StatusReporter:
    """Builds ``iskra/status`` payloads and rate-limits user-facing error messages."""

    quota: QuotaTracker
    model: str = ""
    clock: Callable[[], float] = time.monotonic
    repeat_after_s: float = 60.0
    _last_shown: dict[str, float] = field(default_factory=dict)

    def payload(self, state: str, message: str = "") -> dict[str, Any]:
        assert state in STATES, state
        quota = self.quota
        return {
            "state": state,
            "tier": quota.tier,
            "requestsToday": quota.requests_today,
            "limit": quota.limit,
            "remaining": quota.remaining,
            "model": self.model,
            "message": message,
        }

    def idle_state(self, *, enabled: bool, auto_budget: float = 1.0) -> tuple[str, str]:
        """The state to show when nothing is running, and why suggestions stopped."""
        if not self.quota.signed_in:
            return "signedOut", self.quota.signed_out_reason or "Not signed in to Iskra."
        if self.quota.is_paused():
            return "quotaExhausted", self.quota.exhausted_message or "Daily quota spent."
        if not enabled:
            return "disabled", "Inline completions are off."
        if not self.quota.auto_allowed(auto_budget):
            return "paused", (
                "Automatic suggestions paused: they have used their share "
                f"({auto_budget:.0%}) of today's requests. Ask for one explicitly."
            )
        return "ready", ""

    def should_show(self, error: IskraError) -> bool:
        """Show each kind of error at most once a minute (no message storms)."""
        key = f"{type(error).__name__}"
        now = self.clock()
        last = self._last_shown.get(key)
        if last is not None and now - last < self.repeat_after_s:
            return False
        self._last_shown[key] = now
        return True
