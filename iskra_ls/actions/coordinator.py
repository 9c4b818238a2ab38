"""One edit coordinator per workspace: the only sender of ``workspace/applyEdit``.

Two actions may run at once (a quick fix while an instruction is still working).
Each one's edit is positions computed against the text its model saw, and the edit
of a closed file carries no version: the editor cannot tell that it was computed
before another edit of the same file landed, and applies it on the wrong lines.
The apply-time check alone does not help while the first edit waits for the
user's review -- the disk has not changed yet. So the coordinator:

* serialises the apply phase: one edit is out at a time; the next action waits
  (its progress says for what), and only then checks its files against what is
  there now and builds its edit;
* knows the targets of the edit in flight and, for every file, when an edit of it
  last landed (a tick of its own clock); an action whose model saw a file before
  such an edit landed is refused, whatever the disk says (the editor may hold the
  change unsaved);
* reads the client's edit capabilities once.

A cancel while an action waits its turn sends nothing. Once its edit is sent the
answer is awaited (shielded) and reported as it is, within ``timeout``; a file
whose edit got no answer counts as changed (the editor may still apply it).

No pygls server here: the transport is the ``send`` callable the server hands in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass

from lsprotocol import types

log = logging.getLogger(__name__)

Send = Callable[[str, types.WorkspaceEdit], Awaitable[tuple[bool, str | None]]]
"""``(label, edit) -> (applied, reason)``: one ``workspace/applyEdit``; an error reply is
``(False, its message)``."""


@dataclass(frozen=True)
class EditCapabilities:
    """What the editor can apply, read once from its ``initialize`` capabilities."""

    document_changes: bool
    resource_operations: tuple[str, ...]
    change_annotations: bool
    encoding: str
    """The negotiated position encoding."""


@dataclass(frozen=True)
class Prepared:
    """An edit ready to send, and the real paths of the files it touches."""

    edit: types.WorkspaceEdit
    targets: Collection[str]


@dataclass(frozen=True)
class Answer:
    """What became of a sent edit."""

    applied: bool | None
    """None: no answer within the time limit, or the transport failed."""
    reason: str | None
    cancelled: bool
    """The user cancelled after the edit had been sent."""


class EditCoordinator:
    """The workspace's apply phase: one edit at a time, each checked after the last landed."""

    def __init__(self, send: Send, capabilities: EditCapabilities) -> None:
        self._send = send
        self.capabilities = capabilities
        self._lock = asyncio.Lock()
        self._tick = 0
        self._landed: dict[str, int] = {}
        """Real path -> the tick at which an edit of it was last answered (or given up on)."""
        self.in_flight: dict[str, str] = {}
        """Real path -> the label of the edit that is out now."""

    def now(self) -> int:
        """The clock an action stamps each file with when its model first sees it."""
        return self._tick

    def landed_since(self, seen: Mapping[str, int]) -> list[str]:
        """Real paths (of ``seen``: real path -> tick) that an edit reached after that tick."""
        return sorted(path for path, tick in seen.items() if self._landed.get(path, -1) > tick)

    def waiting_for(self) -> str:
        """What an action waiting its turn waits for, for its progress line."""
        labels = sorted(set(self.in_flight.values()))
        return ", ".join(labels) if labels else "another Iskra edit"

    async def apply(
        self,
        label: str,
        prepare: Callable[[], Awaitable[Prepared]],
        *,
        timeout: float,
        waiting: Callable[[str], None] | None = None,
    ) -> Answer:
        """Wait for the turn, ``prepare()`` (check and build, raising to send nothing),
        send, and await the editor's answer; the targets then count as changed."""
        if self._lock.locked() and waiting is not None:
            waiting(self.waiting_for())
        async with self._lock:
            prepared = await prepare()
            for path in prepared.targets:
                self.in_flight[path] = label
            try:
                return await _send_and_wait(self._send, label, prepared.edit, timeout)
            finally:
                self._tick += 1
                for path in prepared.targets:
                    self._landed[path] = self._tick
                    self.in_flight.pop(path, None)


async def _send_and_wait(send: Send, label: str, edit: types.WorkspaceEdit,
                         timeout: float) -> Answer:
    """A cancel while the request is out is noted, not obeyed: the editor may be
    applying the edit at that very moment."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    task = asyncio.ensure_future(send(label, edit))
    cancelled = False
    while True:
        try:
            applied, reason = await asyncio.wait_for(
                asyncio.shield(task), max(deadline - loop.time(), 0.0)
            )
            return Answer(applied, reason, cancelled)
        except asyncio.CancelledError:
            if task.cancelled():  # the request itself was cancelled: the outcome is unknown
                return Answer(None, None, cancelled)
            cancelled = True
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except TimeoutError:
            task.cancel()
            return Answer(None, None, cancelled)
        except Exception as error:  # the transport failed: we cannot know either
            log.warning("workspace/applyEdit failed", exc_info=True)
            return Answer(None, str(error)[:200] or None, cancelled)
