"""The ``iskra/status`` payload, built from the day the quota ledger knows.

Every editor window shows the same day: the figures come from the machine's ledger
(:mod:`iskra_ls.account.budget`), so ``requestsToday``, ``remaining`` and ``byKind``
count every iskra-ls on the machine. ``planKnown`` says whether ``/auth/me`` has answered
today; until then the free plan's 20 is assumed for the automatic share
(``automaticLeft``), and ``tier``, ``limit``, ``remaining`` and ``requestsToday`` are
null (unknown) rather than a guess. Also here: the idle state
(why suggestions stopped) and the once-a-minute limit on error messages.

Pure: no LSP, no network, no disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from iskra_ls.account.budget import DayUsage, iso_utc
from iskra_ls.errors import IskraError

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


class QuotaView(Protocol):
    """What the status needs of the quota (:class:`iskra_ls.account.quota.AccountQuota`)."""

    usage: DayUsage
    account: str | None
    signed_in: bool
    signed_out_reason: str | None
    exhausted_message: str | None

    def clock(self) -> float: ...

    def is_paused(self) -> bool: ...


@dataclass
class StatusReporter:
    """Builds ``iskra/status`` payloads and rate-limits user-facing error messages."""

    quota: QuotaView
    model: str = ""
    auto_budget: float = 0.5
    clock: Callable[[], float] = time.monotonic
    repeat_after_s: float = 60.0
    _last_shown: dict[str, float] = field(default_factory=dict)

    def payload(self, state: str, message: str = "") -> dict[str, Any]:
        assert state in STATES, state
        quota = self.quota
        usage = quota.usage
        known = quota.account is not None
        plan = known and usage.plan_known  # the service's figures, not the assumed plan's
        return {
            "state": state,
            "tier": usage.tier if plan else None,
            "requestsToday": usage.used if plan else None,
            "limit": usage.limit if plan else None,
            "remaining": usage.remaining if plan else None,
            "model": self.model,
            "message": message,
            "planKnown": usage.plan_known,
            "byKind": dict(usage.by_kind) if known else None,
            "automaticLeft": usage.automatic_left(self.auto_budget) if known else None,
            "resetsAt": iso_utc(usage.resets_at) if known else None,
        }

    def idle_state(self, *, enabled: bool) -> tuple[str, str]:
        """The state to show when nothing is running, and why suggestions stopped."""
        quota = self.quota
        usage = quota.usage
        if not quota.signed_in or usage.token_rejected:
            return "signedOut", quota.signed_out_reason or "Not signed in to Iskra."
        if quota.is_paused() or usage.exhausted:
            return "quotaExhausted", quota.exhausted_message or "Daily quota spent."
        if not enabled:
            return "disabled", "Inline completions are off."
        if not usage.automatic_allowed(self.auto_budget, quota.clock()):
            share = f"{self.auto_budget:.0%}"
            basis = "" if usage.plan_known else (
                " (of the free plan's 20, until Iskra tells the plan)")
            return "paused", (
                f"Automatic suggestions paused: they have used their share ({share}) of "
                f"today's requests on this machine{basis}. Ask for one explicitly."
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
