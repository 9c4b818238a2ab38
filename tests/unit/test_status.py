"""Quota tracking, the automatic budget, the post-429 pause and the status payload."""

from __future__ import annotations

from iskra_ls.errors import QuotaExhausted, TokenRejected
from iskra_ls.status import QuotaTracker, StatusReporter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _tracker(remaining: int = 20, limit: int = 20) -> tuple[QuotaTracker, Clock]:
    clock = Clock()
    quota = QuotaTracker(clock=clock)
    quota.update_account(email="a@b", tier="free", limit=limit,
                         requests_today=limit - remaining, remaining=remaining)
    return quota, clock


def test_budget_half_of_twenty_allows_ten_automatic_requests() -> None:
    quota, _ = _tracker()
    sent = 0
    for _ in range(30):
        if quota.auto_allowed(0.5):
            quota.record_request(automatic=True)
            sent += 1
    assert sent == 10
    assert quota.remaining == 10  # invoked requests still have the rest


def test_invoked_requests_shrink_the_automatic_share() -> None:
    quota, _ = _tracker()
    for _ in range(10):
        quota.record_request(automatic=False)
    sent = 0
    while quota.auto_allowed(0.5):
        quota.record_request(automatic=True)
        sent += 1
    assert sent == 5


def test_unknown_figures_allow_and_budget_zero_forbids() -> None:
    quota = QuotaTracker()
    assert quota.auto_allowed(0.5)
    known, _ = _tracker()
    assert not known.auto_allowed(0.0)


def test_pause_after_429_until_retry_after() -> None:
    quota, clock = _tracker(remaining=3)
    quota.pause(60)
    assert quota.is_paused() and not quota.auto_allowed(1.0)
    assert quota.remaining == 0
    clock.now += 61
    assert not quota.is_paused()
    assert quota.remaining is None  # unknown until /auth/me answers
    assert quota.auto_allowed(1.0)


def test_auth_me_with_requests_left_ends_the_pause() -> None:
    quota, _ = _tracker()
    quota.pause(None)
    assert quota.is_paused()
    quota.update_account(email=None, tier="pro", limit=500, requests_today=20, remaining=480)
    assert not quota.is_paused()


def test_auth_me_with_nothing_left_pauses() -> None:
    quota, _ = _tracker(remaining=0)
    assert quota.is_paused()


def test_payload_and_states() -> None:
    quota, _ = _tracker(remaining=15)
    reporter = StatusReporter(quota, model="qwen3-coder-flash")
    assert reporter.payload("ready") == {
        "state": "ready", "tier": "free", "requestsToday": 5, "limit": 20, "remaining": 15,
        "model": "qwen3-coder-flash", "message": "",
    }
    assert reporter.idle_state(enabled=True)[0] == "ready"
    assert reporter.idle_state(enabled=False)[0] == "disabled"
    quota.auto_spent = 10
    assert reporter.idle_state(enabled=True, auto_budget=0.2)[0] == "paused"
    quota.pause(3600)
    state, message = reporter.idle_state(enabled=True)
    assert state == "quotaExhausted" and "resets in 1 h" in message
    quota.signed_in = False
    assert reporter.idle_state(enabled=True)[0] == "signedOut"


def test_each_error_kind_shown_at_most_once_a_minute() -> None:
    quota, clock = _tracker()
    reporter = StatusReporter(quota, clock=clock)
    assert reporter.should_show(QuotaExhausted(10))
    assert not reporter.should_show(QuotaExhausted(5))
    assert reporter.should_show(TokenRejected())
    clock.now += 61
    assert reporter.should_show(QuotaExhausted(10))
