"""The quota ledger: one SQLite file shared by every process of the machine (issue 19.1).

Real files in a temporary folder, and real processes where the case is about several.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from iskra_ls.account.budget import ACTION, AUTOMATIC, INVOKED, Figures
from iskra_ls.account.ledger import HOLD_S, QuotaLedger, account_of, ledger_in
from iskra_ls.account.quota import AccountQuota
from iskra_ls.api.account import Account

NOW = 1_800_000_000.0
ROOT = "https://iskra.example"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1QGV4YW1wbGUuY29tIn0.c2lnbmF0dXJl"
ACCOUNT, MARK = account_of(TOKEN, ROOT)


@pytest.fixture
def ledger(tmp_path: Path) -> QuotaLedger:
    return ledger_in(tmp_path)


def _reserve(ledger: QuotaLedger, kind: str, row: str, now: float = NOW,
             budget: float = 0.5) -> bool:
    granted, _ = ledger.reserve(ACCOUNT, ROOT, kind, row=row, budget=budget,
                                fingerprint=MARK, now=now)
    return granted


def test_the_file_is_private_and_in_wal_mode(ledger: QuotaLedger, tmp_path: Path) -> None:
    assert _reserve(ledger, INVOKED, "r1")
    path = tmp_path / "quota.sqlite3"
    assert path.stat().st_mode & 0o777 == 0o600
    assert ledger._connect().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reserve_send_release(ledger: QuotaLedger) -> None:
    assert _reserve(ledger, AUTOMATIC, "a1")
    assert _reserve(ledger, INVOKED, "i1")
    ledger.mark_sent("a1", NOW + 1)
    ledger.release("i1")  # never reached the service
    ledger.record_sent(ACCOUNT, AUTOMATIC, "a1-retry", NOW + 2)  # a retry is paid again
    usage = ledger.usage(ACCOUNT, MARK, NOW + 3)
    assert dict(usage.by_kind) == {AUTOMATIC: 2, INVOKED: 0, ACTION: 0}


def test_a_hold_of_a_dead_process_stops_counting(ledger: QuotaLedger) -> None:
    assert _reserve(ledger, AUTOMATIC, "held")
    assert ledger.usage(ACCOUNT, MARK, NOW + 1).automatic == 1
    assert ledger.usage(ACCOUNT, MARK, NOW + HOLD_S + 1).automatic == 0


def test_the_budget_is_checked_and_taken_in_one_step(ledger: QuotaLedger) -> None:
    granted = [_reserve(ledger, AUTOMATIC, f"a{i}") for i in range(30)]
    assert sum(granted) == 10  # autoBudget 0.5 of the assumed free plan's 20


def test_yesterdays_requests_do_not_count(ledger: QuotaLedger) -> None:
    for i in range(10):
        assert _reserve(ledger, AUTOMATIC, f"y{i}", now=NOW - 86_400)
        ledger.mark_sent(f"y{i}", NOW - 86_400)
    assert _reserve(ledger, AUTOMATIC, "today")


def test_a_fall_in_requests_today_is_a_new_day_and_an_older_answer_loses(
    ledger: QuotaLedger,
) -> None:
    for i in range(10):
        assert _reserve(ledger, AUTOMATIC, f"a{i}")
        ledger.mark_sent(f"a{i}", NOW)
    ledger.record_figures(ACCOUNT, ROOT, Figures(NOW + 5, None, "free", 20, 10, 10), MARK, NOW + 5)
    assert not _reserve(ledger, AUTOMATIC, "no", now=NOW + 6)
    stale = Figures(NOW + 4, None, "free", 20, 0, 20)  # asked earlier, answered later
    ledger.record_figures(ACCOUNT, ROOT, stale, MARK, NOW + 7)
    assert not _reserve(ledger, AUTOMATIC, "still-no", now=NOW + 8)
    reset = Figures(NOW + 9, None, "free", 20, 0, 20)  # the service reset the quota
    usage = ledger.record_figures(ACCOUNT, ROOT, reset, MARK, NOW + 10)
    assert usage.automatic == 0 and usage.remaining == 20
    assert _reserve(ledger, AUTOMATIC, "yes", now=NOW + 11)


def test_a_429_pauses_until_auth_me_shows_requests(ledger: QuotaLedger) -> None:
    usage = ledger.record_exhausted(ACCOUNT, ROOT, NOW + 30, MARK, NOW)
    assert usage.exhausted and usage.remaining == 0 and usage.paused(NOW + 1)
    assert not _reserve(ledger, AUTOMATIC, "a", now=NOW + 40)  # nothing remains
    usage = ledger.record_figures(ACCOUNT, ROOT, Figures(NOW + 41, None, "free", 20, 6, 14),
                                  MARK, NOW + 41)
    assert not usage.exhausted and usage.paused_until is None and usage.automatic_left(0.5) == 7


def test_a_rejected_token_is_rejected_for_every_process(ledger: QuotaLedger,
                                                        tmp_path: Path) -> None:
    ledger.reject(MARK, NOW)
    other = ledger_in(tmp_path)
    assert not other.reserve(ACCOUNT, ROOT, AUTOMATIC, row="x", budget=1.0, fingerprint=MARK,
                             now=NOW)[0]
    assert other.reserve(ACCOUNT, ROOT, INVOKED, row="y", budget=1.0, fingerprint=MARK,
                         now=NOW)[0]
    ledger.record_figures(ACCOUNT, ROOT, Figures(NOW + 1), MARK, NOW + 1)  # accepted again
    assert other.reserve(ACCOUNT, ROOT, AUTOMATIC, row="z", budget=1.0, fingerprint=MARK,
                         now=NOW + 2)[0]


def test_an_unusable_folder_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    ledger = ledger_in(blocker)
    assert _reserve(ledger, AUTOMATIC, "a")
    assert not ledger.shared and ledger.problem is not None


_WORKER = textwrap.dedent("""
    import sys, time
    from iskra_ls.account.ledger import ledger_in, account_of
    from pathlib import Path
    ledger = ledger_in(Path(sys.argv[1]))
    account, mark = account_of(sys.argv[2], "https://iskra.example")
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    granted = 0
    for i in range(20):
        ok, _ = ledger.reserve(account, "https://iskra.example", "automatic",
                               row=f"{sys.argv[3]}-{i}", budget=0.5, fingerprint=mark,
                               now=time.time())
        granted += ok
    print(granted, flush=True)
""")


async def test_processes_reserving_at_once_never_pass_the_budget(tmp_path: Path) -> None:
    """Four processes, 20 automatic attempts each, released together: 10 granted in all."""
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WORKER, str(tmp_path), TOKEN, f"p{n}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        for n in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outs = [await asyncio.wait_for(proc.communicate(), 60) for proc in procs]
    granted = [int(out.decode().split()[-1]) for out, _ in outs]
    assert sum(granted) == 10, granted


async def test_account_quota_runs_the_ledger_off_the_loop(tmp_path: Path) -> None:
    quota = AccountQuota(ledger_in(tmp_path), clock=lambda: NOW)
    assert quota.use(TOKEN, ROOT)
    held = await quota.reserve_automatic(0.5)
    assert held is not None
    with held:
        held.sending()  # the first attempt: spent
        held.sending()  # a retry: one more
        held.not_sent()  # ...which never connected: given back
    explicit = await quota.reserve(INVOKED)
    with explicit:
        pass  # refused before the network: given back on leaving
    # Asked after the request went out: the service's 1 includes it.
    await quota.record_figures(Account(tier="free", limit=20, requests_today=1, remaining=19),
                               NOW + 1)
    usage = await quota.refresh()
    assert dict(usage.by_kind) == {AUTOMATIC: 1, INVOKED: 0, ACTION: 0}
    assert usage.plan_known and usage.remaining == 19
    await asyncio.get_running_loop().run_in_executor(None, quota.close)


def test_two_tokens_of_one_user_share_a_day() -> None:
    other = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1QGV4YW1wbGUuY29tIn0.YW5vdGhlci1zaWduYXR1cmU"
    assert account_of(other, ROOT)[0] == ACCOUNT and account_of(other, ROOT)[1] != MARK
    assert account_of(TOKEN, "https://other.example")[0] != ACCOUNT
