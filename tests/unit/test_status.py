"""Quota tracking, the automatic budget, the post-429 pause and the status payload."""

from __future__ import annotations

import math

import pytest

from iskra_ls.errors import QuotaExhausted, TokenRejected
from iskra_ls.status import QuotaTracker, StatusReporter, usable_retry_after


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


def test_reserve_checks_and_counts_in_one_step() -> None:
    quota, _ = _tracker()
    granted = sum(quota.reserve(automatic=True, budget=0.5) for _ in range(60))
    assert granted == 10 and quota.auto_spent == 10 and quota.remaining == 10


def test_every_http_attempt_counts_and_a_retry_costs_one_more() -> None:
    quota, _ = _tracker()
    quota.record_request(automatic=False)
    quota.request_sent()  # the first attempt uses the reservation
    quota.request_sent()  # the retry after a time-out is paid too
    assert quota.remaining == 18 and quota.requests_today == 2


def test_a_reservation_never_sent_is_given_back() -> None:
    quota, _ = _tracker()
    assert quota.reserve(automatic=True, budget=0.5)
    quota.release(automatic=True)
    assert quota.remaining == 20 and quota.auto_spent == 0 and quota.requests_today == 0


def test_new_day_when_auth_me_shows_fewer_requests_or_more_remaining() -> None:
    for used, left in ((0, 20), (10, 20)):
        quota, _ = _tracker()
        while quota.reserve(automatic=True, budget=0.5):
            quota.request_sent()
        quota.update_account(email=None, tier="free", limit=20, requests_today=10, remaining=10)
        assert not quota.auto_allowed(0.5)
        quota.update_account(email=None, tier="free", limit=20, requests_today=used,
                             remaining=left)
        assert quota.auto_spent == 0 and quota.auto_allowed(0.5)


def test_new_day_when_the_known_reset_time_passes() -> None:
    quota, clock = _tracker()
    while quota.reserve(automatic=True, budget=0.5):
        pass
    quota.pause(3600)
    clock.now += 3601
    assert not quota.is_paused() and quota.auto_spent == 0


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -5.0])
def test_unusable_retry_after_pauses_until_the_reset(value: float) -> None:
    assert usable_retry_after(value) is None
    quota, _ = _tracker()
    quota.pause(value)
    assert quota.is_paused() and quota.paused_until == math.inf
    assert "429" in str(QuotaExhausted(value))
