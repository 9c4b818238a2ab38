"""The virtual filesystem under one action's tools: overlay, origins, folders, snapshots.

Nothing here touches the disk except to read: the overlay records what the
action's tools did (by current path; each file remembers its *origin*, the
path it had before the action), reads see the editor's unsaved text for open
documents and the disk otherwise (:mod:`iskra_ls.actions.fileio`, regular files
only), and every file used is fingerprinted once in :attr:`snapshots` for the
apply-time check. :class:`~iskra_ls.actions.changeset.ChangeSet` builds the
seven tools and the final edit on top of it.

Folders: LSP has no operation that creates an empty folder. A folder created
with ``create_file_or_folder("x/")`` is remembered (listings and the summary
show it, files can be created inside it); it reaches the disk only through
the files created in it, because ``CreateFile`` makes missing parent folders.

:meth:`VirtualWorkspace.save` / :meth:`~VirtualWorkspace.restore` let a tool
that ran too long be undone (:mod:`iskra_ls.actions.worker`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pygls.uris import to_fs_path

from iskra_ls.actions.fileio import read_text
from iskra_ls.actions.paths import ResolvedPath, WorkspacePolicy
from iskra_ls.actions.snapshot import Snapshots
from iskra_ls.actions.tools import ToolError


@dataclass
class OpenDocument:
    """A document the editor has open (its text may be unsaved)."""

    uri: str
    text: str
    version: int | None


@dataclass
class Entry:
    origin: str | None
    """Path the file had before the action; None for a file this action creates."""
    text: str | None
    """Current text; None means the origin's text, unchanged (not loaded)."""


Kind = Literal["file", "dir"]


class VirtualWorkspace:
    """The workspace as the model sees it during one action."""

    def __init__(
        self,
        policy: WorkspacePolicy,
        open_documents: Mapping[str, OpenDocument],
        *,
        max_answer_chars: int = 48_000,
        operations: Collection[str] = ("create", "rename", "delete"),
        guard: Callable[[ResolvedPath], str | None] | None = None,
        clock: Callable[[], int] = lambda: 0,
    ) -> None:
        self._policy = policy
        self._max_answer = max_answer_chars
        self._operations = frozenset(operations)
        """Resource operations the editor can apply (``create``, ``rename``, ``delete``)."""
        self._guard = guard
        """Returns why a path may not be changed (consent needed), or None."""
        self.refusals: list[str] = []
        """Changes refused for the user's attention (shown with the final message)."""
        self.snapshots = Snapshots(clock)
        """What every used file looked like when the action first used it, and when
        (``clock``: the workspace's edit coordinator's)."""
        self.lock = threading.Lock()
        """Held by the worker thread running a tool, and while the edit is built."""
        self._open: dict[str, OpenDocument] = {}
        for uri, document in open_documents.items():
            path = path_of_uri(uri)
            if path is not None:
                self._open[path] = document
        self._overlay: dict[str, Entry | None] = {}
        """Files changed by this action, by current path; None: no longer there."""
        self._vacated: set[str] = set()
        """Paths this action deleted or renamed away (maybe re-used later)."""
        self._folders: list[str] = []
        self._originals: dict[str, str] = {}

    def display_of(self, path: str) -> str:
        """How to name an absolute path inside the workspace to the user and the model."""
        return self._policy.display_of(path)

    def save(self) -> tuple[Any, ...]:
        """The state a tool may change, to :meth:`restore` if its result is abandoned."""
        return (dict(self._overlay), set(self._vacated), list(self._folders),
                dict(self._originals), self.snapshots.copy())

    def restore(self, state: tuple[Any, ...]) -> None:
        """Undo a tool's effects (``refusals`` stay: the user is told about those)."""
        self._overlay, self._vacated, self._folders, self._originals, self.snapshots = state

    # -- virtual filesystem --------------------------------------------------

    def _kind(self, path: str) -> Kind | None:
        prefix = path + os.sep
        if path in self._folders or any(
            p.startswith(prefix) for p in self._folders
        ) or any(p.startswith(prefix) and e is not None for p, e in self._overlay.items()):
            return "dir"
        if path in self._overlay:
            return "file" if self._overlay[path] is not None else None
        if path in self._open:
            return "file"
        if os.path.isdir(path):
            return "dir"
        return "file" if os.path.lexists(path) else None

    def _require_file(self, target: ResolvedPath) -> None:
        kind = self._kind(str(target.path))
        if kind is None:
            raise ToolError(f"{target.display} does not exist.")
        if kind == "dir":
            raise ToolError(f"{target.display} is a folder; use list_directory.")

    def _require_parent(self, target: ResolvedPath) -> None:
        parent = os.path.dirname(str(target.path))
        while len(parent) > len(str(target.folder)):
            if self._kind(parent) == "file":
                raise ToolError(f"{self._policy.display_of(parent)} is a file, not a folder.")
            parent = os.path.dirname(parent)

    def _require_operation(self, operation: str, what: str) -> None:
        if operation not in self._operations:
            raise ToolError(f"The editor does not let Iskra {what}; change file contents only.")

    def _text(self, target: ResolvedPath) -> str:
        path = str(target.path)
        entry = self._overlay.get(path)
        if entry is not None:
            if entry.text is not None:
                return entry.text
            assert entry.origin is not None
            return self._original(entry.origin, target.display)
        return self._original(path, target.display)

    def _original(self, path: str, display: str) -> str:
        """The text the editor has (open document) or the disk has, once loaded."""
        if path in self._originals:
            return self._originals[path]
        limit = self._policy.max_read_bytes
        document = self._open.get(path)
        if document is not None:
            text = document.text
            if len(text.encode("utf-8", "surrogatepass")) > limit:
                raise ToolError(f"{display} is too large to read (limit {limit} bytes).")
        else:
            text = read_text(path, display, limit)
        if "\x00" in text:
            raise ToolError(f"{display} is a binary file; it cannot be read or edited.")
        self._originals[path] = text
        self.snapshots.saw_text(path, text)
        return text

    def _put(self, path: str, text: str) -> None:
        entry = self._overlay.get(path)
        origin = entry.origin if entry is not None else path
        self._overlay[path] = Entry(origin=origin, text=text)

    def _put_new(self, path: str, text: str) -> None:
        """A new file; one that replaces an original deleted earlier becomes its edit."""
        was_deleted = path in self._overlay and self._overlay[path] is None
        moved_away = any(e is not None and e.origin == path for e in self._overlay.values())
        origin: str | None = None
        if was_deleted and not moved_away and self._existed(path):
            try:
                self._original(path, self._policy.display_of(path))
            except ToolError:  # unreadable original: delete it, then create anew
                origin = None
            else:
                origin = path
        if origin is None:
            self._require_operation("create", "create files")
            if not self._existed(path):
                self.snapshots.saw_absent(path)
        self._overlay[path] = Entry(origin=origin, text=text)

    def _existed(self, path: str) -> bool:
        return path in self._open or (os.path.lexists(path) and not os.path.isdir(path))

def path_of_uri(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return os.path.normpath(path) if path else None


def child_of(folder: str, path: str) -> tuple[str | None, bool]:
    """The name of ``path``'s entry directly in ``folder``, and whether it is deeper."""
    prefix = folder.rstrip(os.sep) + os.sep
    if not path.startswith(prefix):
        return None, False
    rest = path[len(prefix) :]
    name, _, deeper = rest.partition(os.sep)
    return name, bool(deeper)
