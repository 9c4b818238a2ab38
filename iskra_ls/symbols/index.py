"""The workspace's definitions by name, built in a thread and kept current by a watcher.

Bounded in total: at most :attr:`Limits.files` files, :attr:`Limits.total_bytes` read
and :attr:`Limits.seconds` for the first index; a file over :attr:`Limits.file_bytes`
is skipped. Whatever the limits cut, the index holds what it read and says so
(:attr:`SymbolIndex.complete`). Only files the ``admit`` callback accepts enter it: the
server passes the workspace's file-policy service, so a secret file, a file outside
the workspace folders or leading outside them is never read, and a watched change
re-asks the policy for that file alone.

The index never runs on the event loop: :meth:`SymbolIndex.start` runs the first walk
and then :func:`watchfiles.watch` in one daemon thread; lookups take a lock that is
held only to swap one file's entries.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from iskra_ls.symbols.tags import Definition, definitions, language_of_path

log = logging.getLogger(__name__)

SKIPPED_FOLDERS = frozenset({
    "node_modules", "__pycache__", "venv", "site-packages", "dist", "build", "target",
    "vendor", "third_party",
})
"""Folders of generated or downloaded code (besides hidden ones): the workspace's own
code is what the cursor needs, and these would eat the file budget first."""

WATCH_WAKE_MS = 300
"""The watcher's thread wakes this often when nothing changes (to see a stop)."""
WATCH_DEBOUNCE_MS = 400
"""Changes arriving within this are read together (a save writes a file in steps)."""


@dataclass(frozen=True)
class Limits:
    """Total limits of one index."""

    files: int = 5000
    file_bytes: int = 512 * 1024
    total_bytes: int = 64 * 1024 * 1024
    seconds: float = 20.0
    """The first walk's time limit (a workspace on a slow disk keeps what it read)."""


@dataclass
class IndexStats:
    files: int = 0
    bytes_read: int = 0
    definitions: int = 0
    skipped: int = 0
    seconds: float = 0.0


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class SymbolIndex:
    """Definitions of the workspace's files, by name."""

    def __init__(
        self,
        folders: Sequence[str],
        admit: Callable[[str], bool],
        limits: Limits | None = None,
    ) -> None:
        self.folders = [os.path.normpath(f) for f in folders]
        self.admit = admit
        self.limits = limits or Limits()
        self.stats = IndexStats()
        self.complete = False
        """True once the first walk read every file it was allowed to."""
        self.ready = threading.Event()
        """Set when the first walk has ended (complete or cut by a limit)."""
        self._lock = threading.Lock()
        self._by_path: dict[str, tuple[Definition, ...]] = {}
        self._by_name: dict[str, list[Definition]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lookups (any thread) -------------------------------------------------------------

    def lookup(self, name: str) -> list[Definition]:
        with self._lock:
            return list(self._by_name.get(name, ()))

    def names(self) -> int:
        with self._lock:
            return len(self._by_name)

    def files(self) -> list[str]:
        with self._lock:
            return list(self._by_path)

    # -- building ---------------------------------------------------------------------------

    def index_file(self, path: str, text: str | None = None, room: int | None = None) -> bool:
        """(Re-)index one file; False (and its old entries gone) when it may not be read
        or is longer than ``room`` (the bytes the first walk has left)."""
        path = os.path.normpath(path)
        most = self.limits.file_bytes if room is None else min(room, self.limits.file_bytes)
        language = language_of_path(path)
        if language is None or not self._inside(path) or not self.admit(path):
            self.remove(path)
            return False
        if text is None:
            try:
                if os.path.getsize(path) > most:
                    self.remove(path)
                    return False
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read(most + 1)
            except OSError:
                self.remove(path)
                return False
        if len(text) > most:
            self.remove(path)
            return False
        found = tuple(definitions(text, language, path))
        self.stats.bytes_read += len(text)
        with self._lock:
            self._drop(path)
            self._by_path[path] = found
            for definition in found:
                self._by_name.setdefault(definition.name, []).append(definition)
            self.stats.files = len(self._by_path)
            self.stats.definitions += len(found)
        return True

    def remove(self, path: str) -> None:
        with self._lock:
            self._drop(os.path.normpath(path))
            self.stats.files = len(self._by_path)

    def _drop(self, path: str) -> None:
        old = self._by_path.pop(path, ())
        self.stats.definitions -= len(old)
        for definition in old:
            same = self._by_name.get(definition.name)
            if same is not None:
                same[:] = [d for d in same if d.path != path]
                if not same:
                    del self._by_name[definition.name]

    def _inside(self, path: str) -> bool:
        return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in self.folders)

    def _skipped_folder(self, path: str) -> bool:
        """Whether ``path`` lies in a folder the walk skips (hidden or generated)."""
        for folder in self.folders:
            if path.startswith(folder.rstrip(os.sep) + os.sep):
                parts = os.path.relpath(path, folder).split(os.sep)[:-1]
                return any(p.startswith(".") or p in SKIPPED_FOLDERS for p in parts)
        return False

    def _candidates(self, folders: Sequence[str] | None = None) -> Iterator[str]:
        for folder in self.folders if folders is None else folders:
            for root, dirs, files in os.walk(folder):  # never follows links to folders
                dirs[:] = sorted(d for d in dirs
                                 if not d.startswith(".") and d not in SKIPPED_FOLDERS)
                for name in sorted(files):
                    if language_of_path(name) is not None:
                        yield os.path.join(root, name)

    def build(self) -> None:
        """The first walk: every admitted source file, within the total limits."""
        started = time.monotonic()
        limits = self.limits
        cut = False
        for path in self._candidates():
            if self._stop.is_set():
                cut = True
                break
            if (self.stats.files >= limits.files or self.stats.bytes_read >= limits.total_bytes
                    or time.monotonic() - started > limits.seconds):
                cut = True
                break
            room = limits.total_bytes - self.stats.bytes_read
            if not self.index_file(path, room=room):
                self.stats.skipped += 1
                cut = cut or _size(path) > room  # a smaller file may still fit
        self.stats.seconds = time.monotonic() - started
        self.complete = not cut
        self.ready.set()
        log.info("symbol index: %d files, %d definitions in %.2f s%s", self.stats.files,
                 self.stats.definitions, self.stats.seconds, "" if not cut else " (cut)")

    # -- the thread ---------------------------------------------------------------------------

    def start(self, watch: bool = True) -> None:
        """Build in a daemon thread, then follow the folders' changes there."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, args=(watch,), name="iskra-symbols", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self, watch: bool) -> None:
        try:
            changes = self._watcher() if watch else None
            self.build()
            for batch in changes or ():
                for change, path in batch:
                    if self._skipped_folder(path):
                        continue  # the walk's own rule: hidden and generated folders stay out
                    if change.name != "deleted" and os.path.isdir(path) \
                            and not os.path.islink(path):
                        # A new folder: files written into it before its watch began
                        # sent no event of their own.
                        if not self._skipped_folder(os.path.join(path, "")):
                            for found in self._candidates([path]):
                                self.index_file(found)
                        continue
                    if language_of_path(path) is None:
                        continue
                    if change.name == "deleted":
                        self.remove(path)
                    else:
                        self.index_file(path)  # that file only; the policy is asked again
        except Exception:  # the index is a help: losing it must not take the server down
            log.exception("the symbol index stopped")
        finally:
            self.ready.set()

    def _watcher(self) -> Iterator[set[tuple[Any, str]]] | None:
        """A watcher of the folders, already listening (so nothing saved during the first
        walk is missed): its first, empty, batch has been taken."""
        import watchfiles

        existing = [f for f in self.folders if os.path.isdir(f)]
        if not existing or self._stop.is_set():
            return None
        changes = watchfiles.watch(*existing, stop_event=self._stop, raise_interrupt=False,
                                   yield_on_timeout=True, rust_timeout=WATCH_WAKE_MS,
                                   debounce=WATCH_DEBOUNCE_MS)
        next(changes, None)
        return changes
