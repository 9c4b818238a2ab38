"""Keeps the account's figures fresh: ``/auth/me`` at start, after requests, while paused.

``/auth/me`` costs no request. Its answer goes into the ledger for every window
(:meth:`iskra_ls.account.quota.AccountQuota.record_figures`); until it has answered
today, the smallest plan is assumed. While automatic completions are paused (a 429, or
their share spent) it is asked every ``ISKRA_QUOTA_POLL_S`` seconds, so they resume by
themselves when the quota is back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from iskra_ls import errors
from iskra_ls.account.loop import loop_running
from iskra_ls.account.quota import AccountQuota
from iskra_ls.api.client import IskraClient

log = logging.getLogger(__name__)

QUOTA_POLL_S = 180.0
"""How often ``/auth/me`` is asked while automatic completions are paused (seconds)."""
REFRESH_AFTER_S = 5.0
"""An unforced look-up within this long of the last one reads only the ledger."""

ErrorReporter = Callable[[errors.IskraError, bool], None]
"""(error, explicit): show an error (the session's ``report_error``)."""


class AccountMonitor:
    """``/auth/me`` look-ups for the account in force, and the pause watch."""

    def __init__(
        self,
        quota: AccountQuota,
        client: Callable[[], IskraClient],
        *,
        auto_budget: Callable[[], float],
        publish: Callable[[], None],
        report: ErrorReporter,
    ) -> None:
        self.quota = quota
        self._client = client
        self._auto_budget = auto_budget
        self._publish = publish
        self._report = report
        self.refresh_delay_s = 0.25
        """A burst of requests within this long is followed by one look-up."""
        self.poll_s = _env_seconds("ISKRA_QUOTA_POLL_S", QUOTA_POLL_S)
        """While automatic completions are paused, ask ``/auth/me`` this often."""
        self._last = 0.0
        self._sent = 0
        self._applied = 0
        self._dirty = False
        self._refresh_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None

    async def refresh(self, *, force: bool = False, background: bool = False) -> None:
        """Read the ledger (other windows spend too), ask ``/auth/me``, publish the status.

        ``background``: after a request, nobody waits: the look-up lets an answer still
        streaming finish first, so it does not open a second connection beside it."""
        client = self._client()
        await self.quota.refresh()
        if not client.token:
            self.quota.signed_in = False
            self._publish()
            return
        if not force and time.monotonic() - self._last < REFRESH_AFTER_S:
            self._publish()
            return
        self._last = time.monotonic()
        self._sent += 1
        sequence = self._sent
        account = self.quota.account
        asked_at = self.quota.clock()
        try:
            answer = await client.me(background=background)
        except errors.IskraError as error:
            self._report(error, False)
            return
        if sequence < self._applied or account != self.quota.account:
            return  # a newer answer (or another account) is already in force
        self._applied = sequence
        await self.quota.record_figures(answer, asked_at)
        self._publish()

    def refresh_soon(self) -> None:
        """Refresh usage in the background after a request.

        One look-up runs at a time; a request made while one is under way asks
        for another afterwards, so an answer that predates the request never
        has the last word.
        """
        self._dirty = True
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.ensure_future(self._refresh_while_dirty())

    async def _refresh_while_dirty(self) -> None:
        # A short quiet period folds a burst of requests into one look-up, off the
        # completion's critical path.
        await asyncio.sleep(self.refresh_delay_s)
        while self._dirty:
            self._dirty = False
            await self.refresh(force=True, background=True)

    async def quota_for_explicit(self) -> bool:
        """Before a request the user asked for: re-check when we believe it is spent.

        Refused only when the service said so (a 429, or ``/auth/me`` showing nothing
        left); a count made on the assumed smallest plan never stops what a person asks for.
        """
        usage = self.quota.usage
        if usage.remaining == 0 or self.quota.is_paused():
            await self.refresh(force=True)
        usage = self.quota.usage
        return not (usage.remaining == 0 and (usage.plan_known or usage.exhausted))

    def seconds_to_reset(self) -> float | None:
        """Until the pause ends (a 429's ``Retry-After``) or the day resets."""
        usage = self.quota.usage
        now = self.quota.clock()
        until = usage.paused_until if usage.paused(now) else usage.resets_at
        return max((until or now) - now, 0.0)

    def watch_pause(self) -> None:
        """Automatic completions are paused: ask ``/auth/me`` now and then for the reset."""
        if not loop_running() or not self._client().token:
            return
        if self._poll_task is None or self._poll_task.done():
            self._poll_task = asyncio.ensure_future(self._poll())

    async def _poll(self) -> None:
        while self.paused():
            await asyncio.sleep(self.poll_s)
            if not self.paused():
                break
            try:
                await self.refresh(force=True)
            except Exception:
                log.debug("usage look-up while paused failed", exc_info=True)

    def paused(self) -> bool:
        """Signed in, and automatic completions may not go out (429 or their share spent)."""
        quota = self.quota
        usage = quota.usage
        return bool(self._client().token) and quota.signed_in and (
            quota.is_paused() or usage.exhausted
            or not usage.automatic_allowed(self._auto_budget(), quota.clock())
        )

    def tasks(self) -> list[asyncio.Task[Any]]:
        return [t for t in (self._refresh_task, self._poll_task) if t is not None]


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if 0 < value < float("inf") else default
