"""What every touched file looked like to the model, and the check made at apply time.

An action's edits are positions computed against the text the model saw. If
that text changed while the model worked -- the user typed in the file, a
formatter or ``git checkout`` rewrote it on disk, it was opened and edited --
the positions land on the wrong lines. So every file the action reads, edits,
deletes, renames or creates gets a :class:`~iskra_ls.actions.fileio.Fingerprint`
the first time it is used, and just before the edit is built
:func:`changed_paths` compares each one with what is there *now*:

* a file open in the editor now: its buffer text must still be the text the
  model saw (from the buffer or the disk); the edit then carries the buffer's
  current version, so the editor itself refuses it if the user types after
  the check;
* a closed file: its disk text must still hash the same (or, for a file only
  deleted or renamed, keep its size, mtime and inode);
* a file the action creates must still not exist.

Any mismatch means nothing is applied. :func:`refused_targets` re-runs the
workspace policy on every target path for the same reason: a folder swapped
for a symlink out of the workspace after the model looked, a workspace folder
re-pointed, a link that now gives a target a name needing consent, are caught here.

Pure: no server; reads the disk, so call it from a worker thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from iskra_ls.actions.fileio import Fingerprint, fingerprint_disk, stat_identity, text_digest
from iskra_ls.actions.paths import PathRefused, ResolvedPath, WorkspacePolicy

if TYPE_CHECKING:
    from iskra_ls.actions.vfs import OpenDocument


class ApplyRefused(Exception):
    """The edit may not be applied; ``str(error)`` names the files, for the user."""


class Snapshots:
    """First-seen fingerprints of the paths one action uses, by absolute path, and when
    (by the workspace's edit coordinator's clock, by real path) each was first seen."""

    def __init__(self, clock: Callable[[], int] = lambda: 0) -> None:
        self.by_path: dict[str, Fingerprint] = {}
        self.clock = clock
        self.seen_at: dict[str, int] = {}
        """Real path -> the coordinator's tick when the action first saw it."""
        self.real_to_path: dict[str, str] = {}

    def copy(self) -> Snapshots:
        other = Snapshots(self.clock)
        other.by_path = dict(self.by_path)
        other.seen_at = dict(self.seen_at)
        other.real_to_path = dict(self.real_to_path)
        return other

    def saw_text(self, path: str, text: str) -> None:
        """The model was shown (or edits are computed against) ``text``."""
        current = self.by_path.get(path)
        if current is None or current.kind == "stat":
            self.by_path[path] = Fingerprint("text", digest=text_digest(text))
        self._stamp(path)

    def saw_file(self, path: str) -> None:
        """The action deletes or renames ``path`` without reading it."""
        self.by_path.setdefault(path, stat_identity(path))
        self._stamp(path)

    def saw_absent(self, path: str) -> None:
        """The action creates ``path``, which does not exist yet."""
        self.by_path.setdefault(path, Fingerprint("absent"))
        self._stamp(path)

    def _stamp(self, path: str) -> None:
        real = os.path.realpath(path)
        if real not in self.seen_at:
            self.seen_at[real] = self.clock()
            self.real_to_path[real] = path


def changed_paths(
    snapshots: Snapshots, open_now: Mapping[str, OpenDocument], limit: int
) -> list[str]:
    """Paths whose current state differs from what the action saw, sorted."""
    changed: list[str] = []
    for path, seen in snapshots.by_path.items():
        document = open_now.get(path)
        if document is not None:
            now = Fingerprint("text", digest=text_digest(document.text))
            if seen.kind == "stat":
                now = stat_identity(path)  # not read: only the disk identity is known
        elif seen.kind == "stat":
            now = stat_identity(path)
        else:
            now = fingerprint_disk(path, limit)
        if now != seen:
            changed.append(path)
    return sorted(changed)


def refused_targets(
    policy: WorkspacePolicy,
    paths: Iterable[str],
    guard: Callable[[ResolvedPath], str | None] | None = None,
) -> list[tuple[str, str]]:
    """``(path, reason)`` for every target the workspace policy refuses now.

    The filesystem is read afresh: a workspace folder re-pointed since the action
    started refuses every target (each component is resolved, missing ones too), and
    ``guard`` (the consent rule, when the editor cannot ask) is asked again of every
    target's names as they are now (a ``.vscode`` link planted meanwhile).
    """
    targets = sorted(set(paths))
    moved = policy.files.moved_folders()
    if moved:
        return [(path, f"the workspace folder {moved[0]} now points elsewhere") for path in targets]
    policy.files.refresh()
    refused: list[tuple[str, str]] = []
    for path in targets:
        try:
            target = policy.resolve(path)
        except PathRefused as error:
            refused.append((path, str(error)))
            continue
        reason = guard(target) if guard is not None else None
        if reason is not None:
            refused.append((path, reason))
    return refused
