"""Run a tool (or the edit build) in a worker thread, with a time limit, all or nothing.

File I/O, ``replace_in_file`` matching and ``write_file`` diffing can take long
on large or hostile input; on the event loop they would freeze completions and
every other request. :func:`run_in_worker` runs them with ``asyncio.to_thread``
while holding the change set's lock, and gives up after ``timeout`` seconds.

A thread cannot be stopped, so a call that is given up on is *abandoned*: when
it finishes, its effects on the change set are rolled back (state saved before,
restored after) instead of landing behind the model's back. The decision
"finished in time" versus "abandoned" is taken under one small lock, so a
result is either used or undone, never both.

Pure: no server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from iskra_ls.actions.tools import ToolError

if TYPE_CHECKING:
    from iskra_ls.actions.changeset import ChangeSet

T = TypeVar("T")

TOOL_TIME_LIMIT_S = 10.0
"""One tool call (read, list, match, diff)."""

BUILD_TIME_LIMIT_S = 20.0
"""The apply-time check and the building of the whole workspace edit."""


class WorkerTimeout(ToolError):
    """The work did not finish in time; ``str(error)`` is worded for the model and the user."""


class _Ticket:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.finished = False
        self.abandoned = False


def _call(changes: ChangeSet, fn: Callable[[], T], ticket: _Ticket, wait: float) -> T:
    if not changes.lock.acquire(timeout=wait):
        raise WorkerTimeout("an earlier file operation is still running")
    try:
        with ticket.lock:
            if ticket.abandoned:
                raise WorkerTimeout("abandoned before it started")
        state = changes.save()
        try:
            result = fn()
        except BaseException:
            changes.restore(state)
            raise
        with ticket.lock:
            if ticket.abandoned:
                changes.restore(state)
                raise WorkerTimeout("abandoned")
            ticket.finished = True
        return result
    finally:
        changes.lock.release()


async def run_in_worker(
    changes: ChangeSet, fn: Callable[[], T], *, timeout: float, what: str
) -> T:
    """``fn()`` in a worker thread under ``changes.lock``; :class:`WorkerTimeout` after
    ``timeout`` seconds (``what`` names the work in the message)."""
    ticket = _Ticket()
    task = asyncio.ensure_future(asyncio.to_thread(_call, changes, fn, ticket, timeout))
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        with ticket.lock:
            in_time = ticket.finished
            ticket.abandoned = not in_time
        if in_time:
            return await task
        task.add_done_callback(_consume)
        raise WorkerTimeout(
            f"{what} took longer than {timeout:g} s and was stopped; nothing of it was kept. "
            "The input is too large: work on a smaller part (replace_in_file with a short, "
            "unique search text, or read a line range)."
        ) from None
    except asyncio.CancelledError:
        with ticket.lock:
            ticket.abandoned = not ticket.finished
        task.add_done_callback(_consume)
        raise


def _consume(task: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned call's outcome so asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()
