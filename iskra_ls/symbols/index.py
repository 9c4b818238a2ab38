"""The workspace's definitions by name, built in a thread and kept current by a watcher.

Bounded in total: at most :attr:`Limits.files` files, :attr:`Limits.total_bytes` read
and :attr:`Limits.seconds` for the first index; a file over :attr:`Limits.file_bytes`
is skipped. Whatever the limits cut, the index holds what it read and says so
(:attr:`SymbolIndex.complete`). Only files the ``admit`` callback accepts enter it: the
server passes the workspace's file-policy service, so a secret file, a file outside
the workspace folders or leading outside them is never read, and a watched change
re-asks the policy for that file alone.

The index never runs on the event loop: :meth:`SymbolIndex.start` runs the first walk
and then :func:`watchfiles.watch` in one daemon thread, which asks the policy and the
limits and sends the admitted paths to parsing worker processes (:mod:`.worker`: a parse
holds the interpreter's lock, so in a thread of the server it would stall the loop);
lookups take a lock that is held only to swap one file's entries.
"""

from __future__ import annotations

import itertools
import logging
import os
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from iskra_ls.symbols.tags import Definition, language_of_path, module_name
from iskra_ls.symbols.worker import (
    WORKERS,
    Answer,
    Job,
    ParsePool,
    Ticket,
    WorkerCrashed,
    parse_files,
)

log = logging.getLogger(__name__)

SKIPPED_FOLDERS = frozenset({
    "node_modules", "__pycache__", "venv", "site-packages", "dist", "build", "target",
    "vendor", "third_party",
})
"""Folders of generated or downloaded code (besides hidden ones): the workspace's own
code is what the cursor needs, and these would eat the file budget first."""

BATCH_FILES = 16
BATCH_BYTES = 256 * 1024
"""One job for a worker: big enough that sending it costs little beside parsing it, small
enough that a stop or the time limit waits for one batch at most."""
REREAD_SECONDS = 30.0
"""A watched change's re-read waits this long for its worker at most (then the workers
are replaced: one that does not answer is stuck)."""
CANDIDATES = 2
"""The walk lists at most this many times :attr:`Limits.files` candidates before ordering
them (a huge tree is not listed whole to index a few thousand files of it)."""

MODULE_FILES = 2
"""Files a module name brings at most (``utils`` names a file in many folders of a big
repository: the nearest are the ones meant)."""

IDLE_SECONDS = 30.0
"""Parsing workers end after this long without a batch: each holds ~60 MB, and the index
they built lives in the server. A later save starts one again (about half a second)."""
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


_Entry = tuple[str, str, str, int, str, str]
"""One stored definition: :class:`Definition`'s fields in order (name, kind, path, line,
signature, doc)."""


class Definitions(Sequence[Definition]):
    """The definitions of one name, made as they are read: a caller that looks at how
    many there are first (``__init__`` has 2 000 in the standard library) makes none."""

    def __init__(self, entries: tuple[_Entry, ...]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> Definition: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Definition]: ...
    def __getitem__(self, index: int | slice) -> Definition | Sequence[Definition]:
        if isinstance(index, slice):
            return [Definition(*entry) for entry in self._entries[index]]
        return Definition(*self._entries[index])

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


class _Cut(Exception):
    """The first walk ends early (a worker crashed or the index is stopping)."""


def _distance(path: str, folders: list[list[str]]) -> int:
    """Folder steps from ``path``'s folder to the nearest of ``folders`` (split paths)."""
    parts = path.split(os.sep)[:-1]
    best = len(parts) + 64
    for folder in folders:
        shared = 0
        for mine, theirs in zip(parts, folder, strict=False):
            if mine != theirs:
                break
            shared += 1
        best = min(best, len(parts) + len(folder) - 2 * shared)
    return best


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
        workers: int | None = None,
        near: Callable[[], Iterable[str]] | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.folders = [os.path.normpath(f) for f in folders]
        self.admit = admit
        self.limits = limits or Limits()
        self.near = near
        """The folders of the open documents: their neighbours are indexed first."""
        count = WORKERS if workers is None else workers
        self._pool = ParsePool(count) if count > 0 else None
        """The parsing processes; None (``workers=0``) parses in the calling thread, for
        tools that run off any event loop (the benchmark's recall)."""
        self.idle_seconds = idle_seconds
        self._last_batch = time.monotonic()
        self.stats = IndexStats()
        self.complete = False
        """True once the first walk read every file it was allowed to."""
        self.ready = threading.Event()
        """Set when the first walk has ended (complete or cut by a limit)."""
        self._lock = threading.Lock()
        self._by_path: dict[str, tuple[_Entry, ...]] = {}
        self._by_name: dict[str, tuple[_Entry, ...]] = {}
        self._imports: dict[str, tuple[str, ...]] = {}
        """Per file, the names its import statements bring (from the same parse)."""
        self._by_module: dict[str, tuple[str, ...]] = {}
        """The files each module name stands for (:func:`module_name`)."""
        """Both hold plain tuples of strings and numbers, which the garbage collector stops
        tracking: 77 000 definitions as objects made one full collection during the first
        index hold the interpreter for 76 ms (a stall of the server's loop)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lookups (any thread) -------------------------------------------------------------

    def lookup(self, name: str) -> Definitions:
        with self._lock:
            return Definitions(self._by_name.get(name, ()))

    def module_definitions(self, name: str, near: str | None = None) -> Definitions:
        """The definitions of the files a module ``name`` stands for (``utils`` for
        ``utils.py``, ``email`` for ``email/__init__.py``), each file in its order: of
        the :data:`MODULE_FILES` nearest ``near`` (the cursor's file) when many folders
        have one."""
        with self._lock:
            paths = self._by_module.get(name, ())
            if len(paths) > MODULE_FILES:
                around = [os.path.dirname(near or "").split(os.sep)]
                paths = tuple(sorted(paths, key=lambda p: _distance(p, around))[:MODULE_FILES])
            return Definitions(tuple(itertools.chain.from_iterable(
                self._by_path.get(path, ()) for path in paths)))

    def imports(self, path: str) -> tuple[str, ...]:
        """The names ``path``'s imports bring, as its grammar reads them (as of its last
        indexing: the saved file); () for a file the index has not read."""
        with self._lock:
            return self._imports.get(os.path.normpath(path), ())

    def names(self) -> int:
        with self._lock:
            return len(self._by_name)

    def files(self) -> list[str]:
        with self._lock:
            return list(self._by_path)

    # -- building ---------------------------------------------------------------------------

    def _admitted(self, path: str, room: int | None = None) -> Job | None:
        """The job that lets a worker read ``path``: the most characters it may read and
        the identity (device, inode) the file had before and after the policy was asked
        (the worker reads it only if it opens that file); None when it may not be read.
        Asked here, in the server, before a path goes out to a worker."""
        most = self.limits.file_bytes if room is None else min(room, self.limits.file_bytes)
        if language_of_path(path) is None or not self._inside(path):
            return None
        try:
            before = os.stat(path)
            if not self.admit(path):
                return None
            after = os.stat(path)
        except OSError:
            return None
        identity = (after.st_dev, after.st_ino)
        if identity != (before.st_dev, before.st_ino) or not stat.S_ISREG(after.st_mode) \
                or after.st_size > most:
            return None  # re-pointed while it was checked, or not a file that fits
        return (path, most, *identity)

    def _send(self, jobs: list[Job]) -> Ticket | list[Answer]:
        """Hand ``jobs`` to a worker process (without workers: parse them here)."""
        if self._pool is None:
            return parse_files(jobs)
        self._last_batch = time.monotonic()
        return self._pool.send(jobs)

    def _answers(self, sent: Ticket | list[Answer], timeout: float | None = None,
                 ) -> list[Answer] | None:
        """A batch's answers; None when its worker crashed (said once in the log; the
        index keeps what it has, new workers take the next batch) or the index stops.
        :class:`TimeoutError` when ``timeout`` passes first."""
        if isinstance(sent, list) or self._pool is None:
            return sent if isinstance(sent, list) else None
        try:
            return self._pool.receive(sent, timeout)
        except WorkerCrashed as error:
            self._crashed(error)
            return None

    def _crashed(self, error: WorkerCrashed) -> None:
        """One log line; the index keeps what it has and new workers take the next batch."""
        if not self._stop.is_set() and self._pool is not None:
            log.warning("symbol index: a parsing worker ended (%s); the index keeps its "
                        "%d files", error, self.stats.files)
            self._pool.discard()

    def index_file(self, path: str, room: int | None = None) -> bool:
        """(Re-)index one file; False (and its old entries gone) when it may not be read
        or is longer than ``room`` (the bytes the first walk has left)."""
        path = os.path.normpath(path)
        job = self._admitted(path, room)
        if job is None or self._stop.is_set():
            self.remove(path)
            return False
        try:
            answers = self._answers(self._send([job]), REREAD_SECONDS)
        except (WorkerCrashed, TimeoutError) as error:
            log.warning("symbol index: %s not re-read (%s)", os.path.basename(path), error)
            if self._pool is not None:
                self._pool.discard()  # a worker that does not answer is replaced
            return False
        return answers is not None and len(answers) == 1 and self._store(answers[0])

    def _store(self, answer: Answer) -> bool:
        path, chars, rows, imports = answer
        if chars < 0:
            self.remove(path)
            return False
        found = tuple((name, kind, path, line, signature, doc)
                      for name, kind, line, signature, doc in rows)
        imported = tuple(map(sys.intern, imports))  # the same few names in many files
        self.stats.bytes_read += chars
        with self._lock:
            self._drop(path)
            self._by_path[path] = found
            module = module_name(path)
            if path not in self._by_module.get(module, ()):
                self._by_module[module] = (*self._by_module.get(module, ()), path)
            if imported:
                self._imports[path] = imported
            for entry in found:
                self._by_name[entry[0]] = (*self._by_name.get(entry[0], ()), entry)
            self.stats.files = len(self._by_path)
            self.stats.definitions += len(found)
        return True

    def remove(self, path: str) -> None:
        with self._lock:
            self._drop(os.path.normpath(path))
            self.stats.files = len(self._by_path)

    def _drop(self, path: str) -> None:
        self._imports.pop(path, None)
        module = module_name(path)
        others = tuple(p for p in self._by_module.get(module, ()) if p != path)
        if others:
            self._by_module[module] = others
        else:
            self._by_module.pop(module, None)
        old = self._by_path.pop(path, ())
        self.stats.definitions -= len(old)
        for name in {entry[0] for entry in old}:
            kept = tuple(e for e in self._by_name.get(name, ()) if e[2] != path)
            if kept:
                self._by_name[name] = kept
            else:
                self._by_name.pop(name, None)

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

    def _nearest_first(self) -> Iterator[str]:
        """The walk's files, those nearest the open documents first (re-ordered when the
        open documents change), so the definitions the person needs arrive early."""
        pending = list(itertools.islice(self._candidates(), CANDIDATES * self.limits.files))
        pending.reverse()  # taken from the end: the walk's order among equals
        seen: tuple[str, ...] | None = None
        taken = 0
        while pending:
            if self.near is not None and taken % BATCH_FILES == 0:
                near = tuple(sorted({os.path.normpath(f) for f in self.near()}))
                if near != seen and near:
                    folders = [f.split(os.sep) for f in near]
                    pending.sort(key=lambda p: _distance(p, folders), reverse=True)
                seen = near
            taken += 1
            yield pending.pop()

    def build(self) -> None:
        """The first walk: every admitted source file, within the total limits. The
        files go to the workers in batches, a few batches ahead."""
        started = time.monotonic()
        limits = self.limits
        deadline = started + limits.seconds
        cut = False
        sent_files = sent_bytes = 0
        batch: list[Job] = []
        batch_bytes = 0
        in_flight: deque[Ticket | list[Answer]] = deque()
        ahead = 2 * (self._pool.workers if self._pool is not None else 1)

        def take(oldest: Ticket | list[Answer]) -> bool:
            answers = self._answers(oldest, timeout=max(deadline - time.monotonic(), 0.0))
            for answer in answers or ():
                if not self._store(answer):
                    self.stats.skipped += 1
            return answers is not None

        try:
            if self._pool is not None:
                self._pool.start_all()  # their start-up overlaps the walk's listing
            for path in self._nearest_first():
                if self._stop.is_set() or sent_files >= limits.files \
                        or sent_bytes >= limits.total_bytes or time.monotonic() > deadline:
                    cut = True
                    break
                room = limits.total_bytes - sent_bytes
                job = self._admitted(path, room)
                if job is None:
                    self.stats.skipped += 1
                    cut = cut or _size(path) > room  # a smaller file may still fit
                    continue
                size = _size(path)
                sent_files, sent_bytes = sent_files + 1, sent_bytes + size
                batch.append(job)
                batch_bytes += size
                if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
                    in_flight.append(self._send(batch))
                    batch, batch_bytes = [], 0
                    while len(in_flight) >= ahead:
                        if not take(in_flight.popleft()):
                            raise _Cut
            if batch and not self._stop.is_set():  # what the limits let in is indexed
                in_flight.append(self._send(batch))
            while in_flight:
                if not take(in_flight.popleft()):
                    raise _Cut
        except (_Cut, TimeoutError, WorkerCrashed) as error:
            cut = True
            if isinstance(error, WorkerCrashed):
                self._crashed(error)
            if in_flight and self._pool is not None:
                self._pool.discard()  # their answers would come after the walk's end
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
        """Stop walking and watching, and end the parsing workers now."""
        self._stop.set()
        if self._pool is not None:
            self._pool.close()

    def worker_pids(self) -> list[int]:
        return self._pool.pids() if self._pool is not None else []

    @property
    def workers_started(self) -> int:
        return self._pool.started if self._pool is not None else 0

    def _end_idle_workers(self) -> None:
        """End the parsing workers once none has had a batch for ``idle_seconds``."""
        pool = self._pool
        if pool is not None and pool.pids() and not pool.busy() \
                and time.monotonic() - self._last_batch >= self.idle_seconds:
            pool.discard()

    def _run(self, watch: bool) -> None:
        try:
            changes = self._watcher() if watch else None
            self.build()
            self._last_batch = time.monotonic()
            for batch in changes or ():
                self._end_idle_workers()  # the watcher wakes every WATCH_WAKE_MS
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
