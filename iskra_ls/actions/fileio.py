"""Disk access for the model's file tools: regular files only, bounded, fingerprinted.

Everything here is blocking and meant to run in a worker thread (the runner
calls the tools through :mod:`iskra_ls.actions.worker`), never on the event
loop. The limits are total: one read returns at most ``limit`` bytes, one
listing looks at no more than :data:`MAX_SCANNED` entries *before* any
filtering (a 50 000-file folder costs the same as a 2 000-file one), and
anything that is not a regular file -- a FIFO, a socket, a device -- is refused
without being opened for a blocking read.

:class:`Fingerprint` is what the apply-time check compares: the text's hash
when the file was read, its ``stat`` identity when it was only deleted or
renamed, or its absence when the action creates it.

Pure: no server; only ``os``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

from iskra_ls.actions.tools import ToolError

MAX_SCANNED = 2_000
"""Directory entries looked at by one ``list_directory`` (before secrets are hidden)."""


@dataclass(frozen=True)
class Fingerprint:
    """What a path looked like when the action first used it."""

    kind: str
    """``text`` (read: ``digest`` of its text), ``stat`` (not read) or ``absent``."""
    digest: str = ""
    identity: tuple[int, int, int] = (0, 0, 0)
    """``(size, mtime_ns, inode)`` for ``stat`` fingerprints."""


def text_digest(text: str) -> str:
    """The hash two texts are compared by (buffers and disk files alike)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read_text(path: str, display: str, limit: int) -> str:
    """A regular file's UTF-8 text; :class:`ToolError` (worded for the model) otherwise."""
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ToolError(f"{display} does not exist.") from None
    except IsADirectoryError:
        raise ToolError(f"{display} is a folder; use list_directory.") from None
    except OSError as error:
        raise ToolError(f"{display} cannot be read ({error.strerror or error}).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ToolError(f"{display} is a folder; use list_directory.")
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"{display} is not a regular file (a pipe, socket or device); "
                            "it cannot be read or edited.")
        if info.st_size > limit:
            raise ToolError(
                f"{display} is too large to read ({info.st_size} bytes; limit {limit}). "
                "It cannot be read or edited with these tools."
            )
        data = _read_up_to(fd, limit + 1)
    except OSError as error:
        raise ToolError(f"{display} cannot be read ({error.strerror or error}).") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ToolError(f"{display} is too large to read (limit {limit} bytes).")
    if b"\x00" in data:
        raise ToolError(f"{display} is a binary file; it cannot be read or edited.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ToolError(f"{display} is not UTF-8 text (binary?); it cannot be read.") from None


def _read_up_to(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def fingerprint_disk(path: str, limit: int) -> Fingerprint:
    """The disk's current fingerprint of ``path``, comparable to one taken earlier.

    A file that can no longer be read as text gets a digest that matches nothing.
    """
    if not os.path.lexists(path):
        return Fingerprint("absent")
    try:
        text = read_text(path, path, limit)
    except ToolError:
        return Fingerprint("text", digest="unreadable")
    return Fingerprint("text", digest=text_digest(text))


def stat_identity(path: str) -> Fingerprint:
    """A file's identity without reading it (for a delete or rename of an unread file)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Fingerprint("absent")
    except OSError:
        return Fingerprint("stat", identity=(-1, -1, -1))
    return Fingerprint("stat", identity=(info.st_size, info.st_mtime_ns, info.st_ino))


def scan_directory(
    folder: str, cap: int = MAX_SCANNED
) -> tuple[list[tuple[str, bool, bool]], bool]:
    """Up to ``cap`` entries of ``folder`` as ``(name, is_folder, is_link)``, and whether
    it had more. Callers decide what to hide (links out, secrets) after the cap."""
    entries: list[tuple[str, bool, bool]] = []
    more = False
    try:
        with os.scandir(folder) as scan:
            for item in scan:
                if len(entries) >= cap:
                    more = True
                    break
                try:
                    entries.append((item.name, item.is_dir(), item.is_symlink()))
                except OSError:
                    entries.append((item.name, False, False))
    except OSError:
        pass
    return entries, more
