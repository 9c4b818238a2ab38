"""The symbol index's parsing, in worker processes.

A tree-sitter parse of a whole file, and a definitions query's compile, hold the
interpreter's lock for tens to hundreds of milliseconds: in a thread of the server that
is a stall of the event loop (hover, completions, cancellations wait). In another process
it is not. The server keeps every decision: it walks the folders, asks the file policy
(secret by any name, outside the folders or leading outside them) and the limits for each
path, and sends out only the paths that passed, each with the most characters it may read;
a worker opens exactly those, parses them and answers with compact tuples.

Workers are started with ``spawn`` (a fork would copy the server's threads, locks and
sockets mid-flight; spawn is also what Windows and macOS do), run at a lower priority than
the editor, and end when the server ends: a worker watches its parent and leaves the moment
it is gone, so even a killed server leaves no parser behind.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from iskra_ls.symbols.tags import definitions, language_of_path

log = logging.getLogger(__name__)

WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Parsing is CPU-bound: two workers halve the first index on a two-core machine. More
would take cores the editor and the other tools need for a job that happens once, and each
worker is a Python with the grammars loaded (~40 MB)."""

WORKER_NICENESS = 5
"""Workers run a little below the editor's priority: when both want a core the editor and
the server get about three times the workers' share. (At 10 the first index took 3x longer
on a machine busy with other work: 79.5 s against 25.5 s at nice 0, load 7.)"""

Row = tuple[str, str, int, str, str]
"""One definition: name, kind, 0-based line, signature, first doc line."""
Answer = tuple[str, int, tuple[Row, ...]]
"""One file: its path, the characters read (-1: not readable or longer than allowed), its
definitions."""
Job = tuple[str, int]
"""A path the server admitted and the most characters the worker may read from it."""


def parse_files(jobs: Sequence[Job]) -> list[Answer]:
    """Each job's definitions (runs in a worker; importable so ``spawn`` can find it)."""
    return [parse_file(path, most) for path, most in jobs]


def parse_file(path: str, most: int) -> Answer:
    """One admitted file's definitions; a file that cannot be read answers -1."""
    language = language_of_path(path)
    if language is None:
        return (path, -1, ())
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(most + 1)
        if len(text) > most:
            return (path, -1, ())
        found = definitions(text, language, path)
    except Exception:  # a file no grammar can take must not lose the rest of the batch
        return (path, -1, ())
    return (path, len(text), tuple((d.name, d.kind, d.line, d.signature, d.doc) for d in found))


def _worker_started(niceness: int) -> None:
    """Set up one worker: its output away from the LSP stream, a lower priority, and an
    end when its parent ends."""
    # stdout is inherited from the server, whose stdout is the LSP stream: anything a
    # library prints goes to stderr (the log) instead.
    with contextlib.suppress(OSError):
        os.dup2(2, 1)
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(niceness)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True,
                         name="iskra-parent-watch").start()


def _end_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)  # the server is gone: nobody will read this worker's answers


class ParsePool:
    """The index's worker processes, started on the first job, ended by :meth:`close`."""

    def __init__(self, workers: int = WORKERS, niceness: int = WORKER_NICENESS) -> None:
        self.workers = workers
        self.niceness = niceness
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def submit(self, jobs: Sequence[Job]) -> Future[list[Answer]]:
        """Parse ``jobs`` in a worker. A pool a crash broke is replaced on the next call."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the parsing workers have been stopped")
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_started, initargs=(self.niceness,))
            return self._executor.submit(parse_files, list(jobs))

    def discard(self) -> None:
        """Forget a broken pool (a worker crashed): the next job starts new workers."""
        with self._lock:
            executor, self._executor = self._executor, None
        _end(executor)

    def pids(self) -> list[int]:
        with self._lock:
            processes = getattr(self._executor, "_processes", None) or {}
            return sorted(processes)

    def close(self) -> None:
        """End the workers now (a half-parsed batch is worth nothing to a stopped index)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        _end(executor)


def _end(executor: ProcessPoolExecutor | None) -> None:
    if executor is None:
        return
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
