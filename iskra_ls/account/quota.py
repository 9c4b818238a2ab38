"""This process's handle on the account's day: reservations through the shared ledger.

Every paid request is reserved first (:meth:`AccountQuota.reserve`) and carried out as a
:class:`Reservation`, which the client tells about each attempt (it is a
:class:`~iskra_ls.api.results.RequestMeter`). The ledger is SQLite on disk, so its calls
run in one worker thread, in order, never on the event loop; :attr:`AccountQuota.usage`
is the last day's figures it returned, for the status.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import sqlite3
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

from iskra_ls.account.budget import AUTOMATIC, DayUsage, Figures, next_reset
from iskra_ls.account.ledger import QuotaLedger, account_of
from iskra_ls.api.account import Account
from iskra_ls.api.roots import normalise_root

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def usable_retry_after(value: float | None) -> float | None:
    """A ``Retry-After`` we can wait for: finite and not negative, else None ("until the reset")."""
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if value >= 0 else None


class Reservation:
    """One request of the day, held for a call about to go out.

    Use it as a context manager around the call. The call's first attempt sends it
    (spent for good), a retried attempt is paid again, an attempt that never reached the
    service (no connection) is given back, and leaving the block while the request is
    still held (refused before the network: not signed in, token not for this root, any
    error) gives it back.
    """

    def __init__(self, quota: AccountQuota | None, kind: str, account: str | None,
                 row: str | None) -> None:
        self.kind = kind
        self._quota = quota
        self._account = account
        self._held = row
        self._last: str | None = None

    def sending(self) -> None:
        quota = self._quota
        if quota is None or self._account is None:
            return
        now = quota.clock()
        if self._held is not None:
            row, self._held = self._held, None
            quota.submit(quota.ledger.mark_sent, row, now)
        else:  # a retry: one more request
            row = uuid.uuid4().hex
            quota.submit(quota.ledger.record_sent, self._account, self.kind, row, now)
            quota.count(self._account, self.kind, +1)
        self._last = row

    def not_sent(self) -> None:
        if self._quota is not None and self._last is not None:
            row, self._last = self._last, None
            self._quota.submit(self._quota.ledger.release, row)
            self._quota.count(self._account, self.kind, -1)

    def release(self) -> None:
        """Give the request back if it was never sent (idempotent)."""
        if self._quota is not None and self._held is not None:
            row, self._held = self._held, None
            self._quota.submit(self._quota.ledger.release, row)
            self._quota.count(self._account, self.kind, -1)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class AccountQuota:
    """The account in force and its day, read and written through the ledger."""

    def __init__(self, ledger: QuotaLedger, *, clock: Callable[[], float] = time.time) -> None:
        self.ledger = ledger
        self.clock = clock
        self.account: str | None = None
        """The ledger's key of the account in force (None: signed out)."""
        self.api_root = ""
        self.fingerprint: str | None = None
        self.usage = DayUsage(now=clock())
        """The day as the ledger last told it."""
        self.signed_in = False
        """``/auth/me`` answered for this token (or it is being tried)."""
        self.signed_out_reason: str | None = None
        self.exhausted_message: str | None = None
        """What the last 429 said, while its pause lasts."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iskra-ledger")
        self.submit(self.ledger.purge, clock())  # old days and holds of dead processes

    # -- plumbing -------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run a ledger write in order, without waiting; a returned day replaces ``usage``."""
        account = self.account
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._apply(account, _done(fn, *args))
            return
        future = self._executor.submit(fn, *args)

        def landed(done: Future[Any]) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._apply, account, done)

        future.add_done_callback(landed)

    def _apply(self, account: str | None, done: Future[Any]) -> None:
        if done.exception() is not None:
            log.warning("the quota ledger failed: %s", done.exception())
            return
        result = done.result()
        if isinstance(result, DayUsage) and account == self.account:
            self.usage = result

    def count(self, account: str | None, kind: str, delta: int) -> None:
        """Show a ledger write in ``usage`` at once (the status follows it without waiting)."""
        if account is None or account != self.account:
            return
        by_kind = dict(self.usage.by_kind)
        by_kind[kind] = max(by_kind.get(kind, 0) + delta, 0)
        self.usage = replace(self.usage, by_kind=by_kind)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.ledger.close()

    # -- the account ----------------------------------------------------------------------

    def use(self, token: str | None, api_root: str) -> bool:
        """The token and API root in force; True when that is another account or token."""
        account, mark = account_of(token, api_root) if token else (None, None)
        changed = (account, mark) != (self.account, self.fingerprint)
        self.account, self.fingerprint = account, mark
        self.api_root = normalise_root(api_root) if token else ""
        if changed:
            self.usage = DayUsage(now=self.clock())
            self.signed_in = bool(token)
            self.signed_out_reason = None
            self.exhausted_message = None
        return changed

    async def refresh(self) -> DayUsage:
        """Read the day again (other windows spend too)."""
        account = self.account
        if account is None:
            self.usage = DayUsage(now=self.clock())
            return self.usage
        try:
            usage = await self._run(self.ledger.usage, account, self.fingerprint, self.clock())
        except sqlite3.Error as exc:
            log.warning("the quota ledger cannot be read: %s", exc)
            return self.usage
        if account == self.account:
            self.usage = usage
        return usage

    async def reserve(self, kind: str, *, budget: float = 1.0) -> Reservation:
        """A request the user asked for (``invoked``, ``action``): never refused here."""
        reservation = await self._reserve(kind, budget)
        return reservation or Reservation(None, kind, None, None)

    async def reserve_automatic(self, budget: float) -> Reservation | None:
        """An automatic request; None when it may not go out now (share, pause, 401)."""
        return await self._reserve(AUTOMATIC, budget)

    async def _reserve(self, kind: str, budget: float) -> Reservation | None:
        account = self.account
        if account is None:
            return Reservation(None, kind, None, None)  # the client refuses: not signed in
        row = uuid.uuid4().hex
        try:
            granted, usage = await self._run(functools.partial(
                self.ledger.reserve, account, self.api_root, kind,
                row=row, budget=budget, fingerprint=self.fingerprint, now=self.clock(),
            ))
        except sqlite3.Error as exc:
            log.warning("the quota ledger cannot be written: %s", exc)
            if kind == AUTOMATIC:
                return None  # never spend on a guess
            return Reservation(None, kind, None, None)
        if account == self.account:
            self.usage = usage
        return Reservation(self, kind, account, row) if granted else None

    async def record_figures(self, account: Account, asked_at: float) -> None:
        """``/auth/me`` answered (asked at ``asked_at``): the service's figures, for everyone."""
        self.signed_in = True
        self.signed_out_reason = None
        key = self.account
        if key is None:
            return
        figures = Figures(asked_at, account.email, account.tier, account.limit,
                          account.requests_today, account.remaining)
        try:
            usage = await self._run(self.ledger.record_figures, key, self.api_root, figures,
                                    self.fingerprint, self.clock())
        except sqlite3.Error as exc:
            log.warning("the quota ledger cannot be written: %s", exc)
            return
        if key == self.account:
            self.usage = usage
            if not usage.exhausted and not usage.paused():
                self.exhausted_message = None

    def record_exhausted(self, retry_after: float | None, message: str) -> None:
        """A 429: automatic requests pause until ``retry_after`` (else the day's reset)."""
        now = self.clock()
        wait = usable_retry_after(retry_after)
        until = now + wait if wait is not None else next_reset(now)
        self.exhausted_message = message
        self.usage = replace(self.usage, exhausted=True, paused_until=until)
        if self.account is not None:
            self.submit(self.ledger.record_exhausted, self.account, self.api_root, until,
                        self.fingerprint, now)

    def record_rejected(self, reason: str) -> None:
        """A 401: automatic requests stop, in every window, until the token changes."""
        self.signed_in = False
        self.signed_out_reason = reason
        self.usage = replace(self.usage, token_rejected=True)
        if self.fingerprint is not None:
            self.submit(self.ledger.reject, self.fingerprint, self.clock())

    def is_paused(self) -> bool:
        return self.usage.paused(self.clock())


def _done(fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``fn(*args)`` run here and now, as a finished future."""
    future: Future[Any] = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future
