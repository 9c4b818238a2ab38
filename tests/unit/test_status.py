"""The day's arithmetic, the idle states and the status payload (pure parts)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from iskra_ls.account.budget import (
    ACTION,
    AUTOMATIC,
    INVOKED,
    DayUsage,
    Figures,
    day_start,
    iso_utc,
    next_reset,
)
from iskra_ls.account.quota import usable_retry_after
from iskra_ls.errors import QuotaExhausted, TokenRejected
from iskra_ls.status import StatusReporter

NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC


def _day(automatic: int = 0, invoked: int = 0, action: int = 0, **kwargs: object) -> DayUsage:
    return DayUsage(now=NOW, by_kind={AUTOMATIC: automatic, INVOKED: invoked, ACTION: action},
                    **kwargs)  # type: ignore[arg-type]


def _figures(used: int = 0, limit: int = 20, remaining: int | None = None) -> Figures:
    return Figures(NOW - 10, "a@b", "free", limit, used,
                   limit - used if remaining is None else remaining)


def test_until_the_plan_is_known_the_smallest_is_assumed() -> None:
    day = _day()
    assert not day.plan_known and day.limit == 20 and day.remaining == 20
    assert day.automatic_share(0.5) == 10
    assert _day(automatic=10).automatic_allowed(0.5) is False
    assert _day(automatic=9).automatic_allowed(0.5) is True


def test_automatic_requests_never_pass_the_budget_times_the_limit() -> None:
    for invoked in range(21):
        spent = 0
        while _day(automatic=spent, invoked=invoked).automatic_allowed(0.5):
            spent += 1
        assert spent == (20 - invoked) // 2 <= 10


def test_explicit_requests_shrink_the_automatic_share() -> None:
    day = _day(invoked=10)
    spent = 0
    while _day(automatic=spent, invoked=10).automatic_allowed(0.5):
        spent += 1
    assert spent == 5 and day.automatic_left(0.5) == 5


def test_the_services_count_wins_and_what_it_has_not_seen_is_added() -> None:
    day = _day(automatic=2, figures=_figures(used=15), since_figures=2)
    assert day.plan_known and day.used == 17 and day.remaining == 3
    other_machine = _day(automatic=2, figures=_figures(used=1), since_figures=0)
    assert other_machine.used == 2  # never below what this machine sent


def test_a_bigger_plan_from_auth_me() -> None:
    day = _day(figures=Figures(NOW, None, "pro", 500, 20, 480))
    assert day.limit == 500 and day.remaining == 480 and day.automatic_share(0.5) == 240


def test_a_429_leaves_nothing_and_pauses_automatic_requests() -> None:
    day = _day(automatic=1, exhausted=True, paused_until=NOW + 30)
    assert day.remaining == 0 and day.paused() and not day.automatic_allowed(1.0)
    assert not day.paused(NOW + 31)


def test_a_rejected_token_stops_automatic_requests() -> None:
    assert not _day(token_rejected=True).automatic_allowed(1.0)


def test_the_day_is_iskras_utc_day() -> None:
    assert day_start(NOW) == 1_799_971_200.0 and next_reset(NOW) == 1_800_057_600.0
    assert iso_utc(next_reset(NOW)) == "2027-01-16T00:00:00Z"


@dataclass
class FakeQuota:
    """A quota holding a fixed day (the status is pure: any :class:`QuotaView` will do)."""

    usage: DayUsage = field(default_factory=lambda: _day(figures=_figures(used=5)))
    account: str | None = "acct"
    signed_in: bool = True
    signed_out_reason: str | None = None
    exhausted_message: str | None = None

    def clock(self) -> float:
        return NOW

    def is_paused(self) -> bool:
        return self.usage.paused(NOW)


def test_payload_and_states() -> None:
    quota = FakeQuota()
    reporter = StatusReporter(quota, model="qwen3-coder-flash", auto_budget=0.5)
    assert reporter.payload("ready") == {
        "state": "ready", "tier": "free", "requestsToday": 5, "limit": 20, "remaining": 15,
        "model": "qwen3-coder-flash", "message": "", "planKnown": True,
        "byKind": {"automatic": 0, "invoked": 0, "action": 0}, "automaticLeft": 7,
        "resetsAt": "2027-01-16T00:00:00Z",
    }
    assert reporter.idle_state(enabled=True)[0] == "ready"
    assert reporter.idle_state(enabled=False)[0] == "disabled"
    quota.usage = _day(automatic=10, figures=_figures(used=10))
    assert reporter.idle_state(enabled=True)[0] == "paused"
    quota.usage = _day(exhausted=True, paused_until=NOW + 3600)
    quota.exhausted_message = str(QuotaExhausted(3600))
    state, message = reporter.idle_state(enabled=True)
    assert state == "quotaExhausted" and "resets in 1 h" in message
    quota.signed_in = False
    assert reporter.idle_state(enabled=True)[0] == "signedOut"


def test_until_the_plan_is_known_only_the_machine_figures_are_shown() -> None:
    reporter = StatusReporter(FakeQuota(usage=_day(automatic=3)), auto_budget=0.5)
    payload = reporter.payload("ready")
    assert payload["planKnown"] is False and payload["limit"] is None
    assert payload["remaining"] is None and payload["tier"] is None
    assert payload["byKind"] == {"automatic": 3, "invoked": 0, "action": 0}
    assert payload["automaticLeft"] == 7  # of the assumed free plan's 10


def test_signed_out_payload_has_no_figures() -> None:
    reporter = StatusReporter(FakeQuota(account=None, signed_in=False))
    payload = reporter.payload("signedOut", "Not signed in to Iskra.")
    assert payload["remaining"] is None and payload["byKind"] is None


def test_each_error_kind_shown_at_most_once_a_minute() -> None:
    now = [100.0]
    reporter = StatusReporter(FakeQuota(), clock=lambda: now[0])
    assert reporter.should_show(QuotaExhausted(10))
    assert not reporter.should_show(QuotaExhausted(5))
    assert reporter.should_show(TokenRejected())
    now[0] += 61
    assert reporter.should_show(QuotaExhausted(10))


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -5.0])
def test_unusable_retry_after_means_until_the_reset(value: float) -> None:
    assert usable_retry_after(value) is None
    assert "429" in str(QuotaExhausted(value))
