"""The server's lifecycle: messages before ``initialize`` and after ``shutdown``, and
stopping the work in flight when ``shutdown`` comes (:func:`stop_in_flight`).

pygls 2.1.1 answers ``shutdown`` by cancelling every pending request future
while iterating ``_request_futures``; a cancelled ``workspace/executeCommand``
removes itself from that dict on the spot, so the iteration fails with
"dictionary changed size during iteration", ``shutdown`` gets an error and
``exit`` returns 1. Closing the HTTP client while a request still streams
would also fail it with a false "answer stopped" error.

So the shutdown handler cancels the pending requests itself, from a copy of
the dict, together with our own tasks (commands, background work), awaits
them within one time limit, and only then closes the client (``Session.stop``).
pygls's own loop finds nothing left to cancel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcServerNotInitialized
from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 2.0
"""Total time the cancelled tasks get to finish (they answer "Cancelled" at once)."""


async def stop_in_flight(
    protocol: JsonRPCProtocol,
    own_tasks: Iterable[asyncio.Future[Any]],
    grace_s: float = SHUTDOWN_GRACE_S,
) -> int:
    """Cancel and await pending work except the running shutdown; how many were stopped.

    Request futures are cancelled before the handler tasks inside them: a
    built-in handler (``executeCommand``, notifications) wraps ours in a future
    of its own, and once that one is cancelled pygls ignores how ours ends.
    """
    tasks = _cancel_requests(protocol)
    for task in own_tasks:
        if not task.done() and task is not asyncio.current_task():
            task.cancel()
            tasks.add(task)
    if tasks:
        _done, late = await asyncio.wait(tasks, timeout=grace_s)
        if late:
            log.warning("%d task(s) did not stop within %.1f s", len(late), grace_s)
    await asyncio.sleep(0)  # let pygls's done-callbacks answer the cancelled requests
    _cancel_requests(protocol)  # anything started meanwhile
    return len(tasks)


def _cancel_requests(protocol: JsonRPCProtocol) -> set[asyncio.Future[Any]]:
    """Cancel pending request futures from a copy of pygls's dict; the asyncio ones."""
    current = asyncio.current_task()
    shutdown_id = protocol.msg_id
    cancelled: set[asyncio.Future[Any]] = set()
    for msg_id, future in list(protocol._request_futures.items()):
        if msg_id == shutdown_id or future is current or future.done():
            continue
        future.cancel()
        if isinstance(future, asyncio.Future):
            cancelled.add(future)
    return cancelled


class LifecycleGate:
    """What the spec says to do with a message before ``initialize`` and after ``shutdown``.

    pygls 2.1.1 runs a request that comes before ``initialize`` (``iskra.status``
    answered as if the server were ready), and after ``shutdown`` it drops every
    request unanswered -- and only once our asynchronous shutdown handler has
    finished, so a request arriving meanwhile still runs. The spec: before
    ``initialize`` a request gets ``ServerNotInitialized`` (-32002) and a
    notification is dropped; once ``shutdown`` has arrived, a request gets
    ``InvalidRequest`` (-32600); ``exit`` always passes.
    """

    def __init__(self) -> None:
        self.initialized = False
        """``initialize`` has arrived."""
        self.shutting_down = False
        """``shutdown`` has arrived."""

    def refusal(self, method: str, is_request: bool) -> JsonRpcException | None:
        """The error to answer (requests) or a generic one (notifications to drop); None: pass."""
        if method == types.EXIT:
            return None
        if not self.initialized:
            if method == types.INITIALIZE and is_request:
                self.initialized = True
                return None
            return JsonRpcServerNotInitialized(
                f"The server is not initialized: {method[:100]} came before initialize."
            )
        if self.shutting_down:
            return JsonRpcInvalidRequest(
                f"The server is shutting down: {method[:100]} came after shutdown."
            )
        if method == types.SHUTDOWN and is_request:
            self.shutting_down = True
        return None
