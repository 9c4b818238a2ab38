"""Requests to one API root share its keep-alive connection: who waits for whom.

HTTP/1.1 carries one request at a time, so a request sent while another is open takes a
second connection, and its TCP + TLS set-up (several round trips) is paid by the next
completion. Waiting costs less where the other request is short:

- every request waits for an open **look-up** (``/auth/me``, the model list, a sign-in
  step: one round trip) to end, at most ``LOOKUP_WAIT_S``;
- a **background** look-up (the usage refresh after a request) also waits for open
  model requests (a completion still streaming or draining its answer) to end, at
  most ``BACKGROUND_WAIT_S``: it is never urgent;
- two model requests at once (an action while a completion streams) each get a
  connection: waiting for a stream could take its whole length.

Past its limit a request goes out anyway: this decides only the order, never whether.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from enum import Enum

LOOKUP_WAIT_S = 1.0
"""Longest wait for an open look-up (it takes one round trip)."""
BACKGROUND_WAIT_S = 5.0
"""Longest wait of a background look-up for open model requests."""


class Kind(Enum):
    LOOKUP = "lookup"
    MODEL = "model"


class Traffic:
    """The requests open on one client, and the waits that keep them on one connection."""

    def __init__(self) -> None:
        self._open = {Kind.LOOKUP: 0, Kind.MODEL: 0}
        self._waiters: list[asyncio.Future[None]] = []

    def open_count(self, kind: Kind) -> int:
        return self._open[kind]

    async def enter(self, kind: Kind, *, background: bool = False) -> Ticket:
        """Wait for this request's turn (bounded), then count it open until released."""
        await self._turn(kind, background)
        self._open[kind] += 1
        return Ticket(self, kind)

    @contextlib.asynccontextmanager
    async def request(self, kind: Kind, *, background: bool = False) -> AsyncIterator[None]:
        ticket = await self.enter(kind, background=background)
        try:
            yield
        finally:
            ticket.release()

    def _blocked(self, background: bool) -> bool:
        return self._open[Kind.LOOKUP] > 0 or (background and self._open[Kind.MODEL] > 0)

    async def _turn(self, kind: Kind, background: bool) -> None:
        background = background and kind is Kind.LOOKUP
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (BACKGROUND_WAIT_S if background else LOOKUP_WAIT_S)
        while self._blocked(background):
            left = deadline - loop.time()
            if left <= 0:
                return
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, left)
            except TimeoutError:
                return
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def _release(self, kind: Kind) -> None:
        self._open[kind] = max(self._open[kind] - 1, 0)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_result(None)


class Ticket:
    """One open request; :meth:`release` (idempotent) when its response is read or closed."""

    def __init__(self, traffic: Traffic, kind: Kind) -> None:
        self._traffic: Traffic | None = traffic
        self._kind = kind

    def release(self) -> None:
        traffic, self._traffic = self._traffic, None
        if traffic is not None:
            traffic._release(self._kind)
