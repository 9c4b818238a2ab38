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
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from iskra_ls.symbols.tags import Row, language_of_path, outline

log = logging.getLogger(__name__)

WORKERS = max(1, min(2, os.cpu_count() or 1))
"""Parsing is CPU-bound: two workers halve the first index on a two-core machine. More
would take cores the editor and the other tools need for a job that happens once, and each
worker is a Python with the grammars loaded (~40 MB)."""

WORKER_NICENESS = 5
"""Workers run a little below the editor's priority: when both want a core the editor and
the server get about three times the workers' share. (At 10 the first index took 3x longer
on a machine busy with other work: 79.5 s against 25.5 s at nice 0, load 7.)"""

Answer = tuple[str, int, tuple[Row, ...], tuple[str, ...]]
"""One file: its path, the characters read (-1: not readable or longer than allowed), its
definitions (:data:`~iskra_ls.symbols.tags.Row`) and the names its imports bring."""
Job = tuple[str, int, int, int]
"""A path the server admitted, the most characters the worker may read from it, and the
device and inode of the file the server checked: the worker reads the file it opens only
if it is that file (a path re-pointed between the check and the open reads nothing)."""


def parse_files(jobs: Sequence[Job]) -> list[Answer]:
    """Each job's definitions (runs in a worker; importable so ``spawn`` can find it)."""
    return [parse_file(*job) for job in jobs]


def parse_file(path: str, most: int, device: int, inode: int) -> Answer:
    """One admitted file's definitions; a file that cannot be read, or that is not the
    file the server checked (``device``, ``inode``), answers -1."""
    language = language_of_path(path)
    if language is None:
        return (path, -1, (), ())
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            opened = os.fstat(handle.fileno())
            if (opened.st_dev, opened.st_ino) != (device, inode):
                return (path, -1, (), ())
            text = handle.read(most + 1)
        if len(text) > most:
            return (path, -1, (), ())
        found = outline(text, language)
    except Exception:  # a file no grammar can take must not lose the rest of the batch
        return (path, -1, (), ())
    return (path, len(text), found.rows, found.imports)


class WorkerCrashed(Exception):
    """A parsing worker ended without answering (killed, out of memory, a crash)."""


def _serve(conn: Connection, niceness: int) -> None:
    """A worker's life: batches in, answers out, until the pipe closes or the parent ends."""
    _worker_started(niceness)
    while True:
        try:
            jobs = conn.recv()
        except (EOFError, OSError):
            return
        if jobs is None:
            return
        conn.send(parse_files(jobs))


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


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    sent: int = 0
    received: int = 0
    answers: dict[int, list[Answer]] = field(default_factory=dict)


Ticket = tuple[int, int]
"""(worker number, batch number): where a batch's answers will come from."""


class ParsePool:
    """The index's worker processes, started on the first batch, ended by :meth:`close`.

    Each worker has a pipe of its own and answers its batches in order; the server keeps
    no end of a worker's side of the pipe, so a worker that dies mid-answer is an end of
    file here (:class:`WorkerCrashed`), never a read that waits forever."""

    def __init__(self, workers: int = WORKERS, niceness: int = WORKER_NICENESS) -> None:
        self.workers = workers
        self.niceness = niceness
        self._lock = threading.RLock()
        self._running: list[_Worker] = []
        self._closed = False
        self.started = 0
        """Worker processes started so far (a crashed or idle pool starts new ones)."""

    def send(self, jobs: Sequence[Job]) -> Ticket:
        """Hand ``jobs`` to the least busy worker. A worker is started only when every
        running one still has a batch to answer (up to ``workers``): the first walk
        starts them all, a saved file one."""
        with self._lock:
            if self._closed:
                raise WorkerCrashed("the parsing workers have been stopped")
            running = self._running
            if len(running) < self.workers and all(w.sent > w.received for w in running):
                running.append(self._start())
                if self._closed:  # closed (without the lock) while it started
                    self._running = []
                    _end(running)
                    raise WorkerCrashed("the parsing workers have been stopped")
            worker = min(running, key=lambda w: w.sent - w.received)
            try:
                worker.conn.send(list(jobs))
            except (OSError, ValueError) as error:
                raise WorkerCrashed(str(error)) from error
            worker.sent += 1
            return (id(worker), worker.sent - 1)

    def start_all(self) -> None:
        """Start every worker now (the first walk calls this before it lists the files,
        so the workers' start-up overlaps the walk instead of following its first batch)."""
        with self._lock:
            if self._closed:
                raise WorkerCrashed("the parsing workers have been stopped")
            while len(self._running) < self.workers:
                self._running.append(self._start())

    def receive(self, ticket: Ticket, timeout: float | None = None) -> list[Answer]:
        """The answers of one batch; :class:`TimeoutError` after ``timeout`` seconds,
        :class:`WorkerCrashed` when its worker is gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            worker = next((w for w in self._running if id(w) == ticket[0]), None)
            if worker is None:
                raise WorkerCrashed("the worker of this batch was replaced")
            while ticket[1] not in worker.answers:
                left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
                try:
                    if not worker.conn.poll(left):
                        raise TimeoutError("no answer from the parsing worker in time")
                    worker.answers[worker.received] = worker.conn.recv()
                except (EOFError, OSError) as error:
                    raise WorkerCrashed(f"exit code {worker.process.exitcode}") from error
                worker.received += 1
            return worker.answers.pop(ticket[1])

    def _start(self) -> _Worker:
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs, self.niceness),
                                  name="iskra-index-worker", daemon=True)
        with _main_module_unnamed():
            process.start()
        self.started += 1
        theirs.close()  # only the worker holds its end: its death is an end of file here
        return _Worker(process, mine)

    def pids(self) -> list[int]:
        """The workers' process ids. Takes no lock: the server's status asks it on the
        loop while a receive may be waiting for an answer."""
        return [w.process.pid for w in list(self._running) if w.process.pid is not None]

    def busy(self) -> bool:
        """Whether a worker still has a batch to answer."""
        return any(w.sent > w.received for w in list(self._running))

    def discard(self) -> None:
        """Forget the workers (one crashed, or all idle): the next batch starts new ones."""
        running, self._running = self._running, []  # no lock: a receive may hold it
        _end(running)

    def close(self) -> None:
        """End the workers now (a half-parsed batch is worth nothing to a stopped index).
        Takes no lock: it runs on the server's loop while a receive may be waiting."""
        self._closed = True
        running, self._running = self._running, []
        _end(running)


@contextlib.contextmanager
def _main_module_unnamed() -> Iterator[None]:
    """While a worker is spawned, the server's main module is not named to it.

    ``spawn`` tells a new process to run the parent's main module again (as
    ``__mp_main__``), so that objects defined there can be unpickled. A worker is sent
    nothing from it: re-running it (the ``iskra-ls`` script, a tool's module) would only
    cost each worker that start-up again and repeat what the module does at import. A
    frozen build is left alone: its bootloader decides how a child starts."""
    main = sys.modules.get("__main__")
    if main is None or getattr(sys, "frozen", False):
        yield
        return
    spec, had_file, file = getattr(main, "__spec__", None), hasattr(main, "__file__"), \
        getattr(main, "__file__", None)
    main.__spec__ = None
    if had_file:
        del main.__file__
    try:
        yield
    finally:
        main.__spec__ = spec
        if had_file:
            main.__file__ = file


def _end(workers: list[_Worker]) -> None:
    for worker in workers:
        with contextlib.suppress(Exception):
            worker.conn.close()
        with contextlib.suppress(Exception):
            worker.process.terminate()
