"""The quota ledger: one per config folder, shared by every iskra-ls on the machine.

Editor windows, restarted servers and ``iskra-ls status`` all read and write one SQLite
database (``quota.sqlite3`` in ``ISKRA_CONFIG_DIR``) in WAL mode; SQLite's own locking
(``BEGIN IMMEDIATE``) makes "check the budget and take a request" one step across
processes, so two windows typing at once cannot both take the last automatic request.

Per account (an API root and the user its token was issued to) it keeps:

- every request of the day, by kind, from the moment it is reserved: held until the
  request goes out (then sent), or deleted when it never reached the service; a hold
  left by a process that died is ignored after :data:`HOLD_S`;
- the last ``/auth/me`` figures and when they were asked, the time the service last
  reset the quota (a fall in ``requestsToday``), a 429 and the pause it asked for;
- tokens the service rejected (by fingerprint, never the token).

Synchronous and blocking: the server calls it from one worker thread
(:class:`iskra_ls.account.quota.AccountQuota`), the command line directly.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from iskra_ls.account.budget import AUTOMATIC, KINDS, DayUsage, Figures, day_start
from iskra_ls.api.roots import normalise_root
from iskra_ls.credential import fingerprint, subject

log = logging.getLogger(__name__)

FILE_NAME = "quota.sqlite3"
HOLD_S = 120.0
"""A reservation not sent within this long belongs to a process that died: not counted."""
KEEP_DAYS = 3
"""Requests older than this are deleted."""
BUSY_TIMEOUT_S = 5.0
"""How long a write waits for another process's transaction (they last microseconds)."""
_NEVER = 1e18

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spends (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    at REAL NOT NULL,
    sent_at REAL,
    pid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spends_by_account ON spends (account, at);
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    api_root TEXT NOT NULL DEFAULT '',
    period_start REAL NOT NULL DEFAULT 0,
    asked_at REAL,
    email TEXT,
    tier TEXT,
    quota_limit INTEGER,
    requests_today INTEGER,
    remaining INTEGER,
    exhausted_at REAL,
    paused_until REAL,
    auto_budget REAL
);
CREATE TABLE IF NOT EXISTS rejected_tokens (
    fingerprint TEXT PRIMARY KEY,
    at REAL NOT NULL
);
"""


def account_key(api_root: str, user: str) -> str:
    """The ledger's name for one account: an API root and the user (hashed: no e-mails kept)."""
    return hashlib.sha256(f"{api_root}\n{user}".encode()).hexdigest()[:32]


def account_of(token: str, api_root: str) -> tuple[str, str]:
    """``(account key, token fingerprint)`` of a token used at ``api_root``.

    The user is the JWT's ``sub``: two tokens of one user (signed in twice) share a day.
    """
    mark = fingerprint(token)
    return account_key(normalise_root(api_root), subject(token) or f"token:{mark}"), mark


class QuotaLedger:
    """Today's requests and figures per account, in one SQLite file (or in memory)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        """The database file; None keeps the ledger in memory (this process only)."""
        self.problem: str | None = None
        """Why the file could not be used (the ledger then counts in memory)."""
        self._db: sqlite3.Connection | None = None

    @property
    def shared(self) -> bool:
        return self.path is not None and self.problem is None

    def _connect(self) -> sqlite3.Connection:
        """The connection, opened on first use (in the caller's thread: the server's worker)."""
        if self._db is None:
            try:
                self._db = _open(self.path)
            except (OSError, sqlite3.Error) as exc:
                if self.path is None:
                    raise
                self.problem = f"the quota ledger {self.path} cannot be used ({exc})"
                log.warning("%s; counting in memory, for this process only", self.problem)
                self._db = _open(None)
        return self._db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that holds the write lock from its start (check-and-take is atomic)."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- reading --------------------------------------------------------------------------

    def usage(self, account: str, fingerprint: str | None, now: float) -> DayUsage:
        """Today's usage of ``account`` (``fingerprint``: the token in use, for rejections)."""
        return self._usage(self._connect(), account, fingerprint, now)

    def _usage(
        self, db: sqlite3.Connection, account: str, fingerprint: str | None, now: float
    ) -> DayUsage:
        row = db.execute(
            "SELECT period_start, asked_at, email, tier, quota_limit, requests_today, remaining,"
            " exhausted_at, paused_until FROM accounts WHERE account = ?",
            (account,),
        ).fetchone()
        start = day_start(now)
        figures: Figures | None = None
        exhausted = False
        paused_until: float | None = None
        if row is not None:
            period, asked, email, tier, limit, used, remaining, exhausted_at, paused = row
            start = max(start, period or 0.0)
            if asked is not None and asked >= start:
                figures = Figures(asked, email, tier, limit, used, remaining)
            exhausted = exhausted_at is not None and exhausted_at >= start and (
                figures is None or exhausted_at > figures.asked_at
            )
            paused_until = paused if paused is not None and paused > now else None
        since = figures.asked_at if figures is not None else _NEVER
        by_kind = dict.fromkeys(KINDS, 0)
        newer = 0
        for kind, count, after in db.execute(
            "SELECT kind, COUNT(*), SUM(COALESCE(sent_at, at) >= ?) FROM spends"
            " WHERE account = ? AND at >= ? AND (sent_at IS NOT NULL OR at >= ?)"
            " GROUP BY kind",
            (since, account, start, now - HOLD_S),
        ):
            if kind in by_kind:
                by_kind[kind] = int(count)
                newer += int(after or 0)
        rejected = fingerprint is not None and db.execute(
            "SELECT 1 FROM rejected_tokens WHERE fingerprint = ?", (fingerprint,)
        ).fetchone() is not None
        return DayUsage(
            now=now,
            by_kind=by_kind,
            since_figures=newer,
            figures=figures,
            exhausted=exhausted,
            paused_until=paused_until,
            token_rejected=rejected,
        )

    def auto_budget(self, account: str) -> float | None:
        """The ``autoBudget`` the last automatic reservation was made with (for the CLI)."""
        row = self._connect().execute(
            "SELECT auto_budget FROM accounts WHERE account = ?", (account,)
        ).fetchone()
        return float(row[0]) if row is not None and row[0] is not None else None

    # -- writing --------------------------------------------------------------------------

    def reserve(
        self,
        account: str,
        api_root: str,
        kind: str,
        *,
        row: str,
        budget: float,
        fingerprint: str | None,
        now: float,
    ) -> tuple[bool, DayUsage]:
        """Take one request of the day for ``kind``; an automatic one only within the budget."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO accounts (account, api_root) VALUES (?, ?)",
                       (account, api_root))
            usage = self._usage(db, account, fingerprint, now)
            if kind == AUTOMATIC:
                db.execute("UPDATE accounts SET auto_budget = ? WHERE account = ?",
                           (budget, account))
                if not usage.automatic_allowed(budget, now):
                    return False, usage
            db.execute(
                "INSERT INTO spends (id, account, kind, at, sent_at, pid) "
                "VALUES (?, ?, ?, ?, NULL, ?)",
                (row, account, kind, now, os.getpid()),
            )
            return True, self._usage(db, account, fingerprint, now)

    def mark_sent(self, row: str, now: float) -> None:
        """The reserved request went out."""
        with self._write() as db:
            db.execute("UPDATE spends SET sent_at = ? WHERE id = ? AND sent_at IS NULL",
                       (now, row))

    def record_sent(self, account: str, kind: str, row: str, now: float) -> None:
        """One more attempt of a request (a retry): paid without a reservation."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO spends (id, account, kind, at, sent_at, pid) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (row, account, kind, now, now, os.getpid()),
            )

    def release(self, row: str) -> None:
        """The request never reached the service: it is given back."""
        with self._write() as db:
            db.execute("DELETE FROM spends WHERE id = ?", (row,))

    def record_figures(
        self, account: str, api_root: str, figures: Figures, fingerprint: str | None, now: float
    ) -> DayUsage:
        """A ``/auth/me`` answer: the service's count wins; a fall in it starts a new day.

        An answer older than the one stored (another window asked later) is ignored.
        A token the service just answered for is no longer rejected.
        """
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO accounts (account, api_root) VALUES (?, ?)",
                       (account, api_root))
            if fingerprint is not None:
                db.execute("DELETE FROM rejected_tokens WHERE fingerprint = ?", (fingerprint,))
            old = self._usage(db, account, fingerprint, now).figures
            if old is not None and figures.asked_at < old.asked_at:
                return self._usage(db, account, fingerprint, now)
            old_used, new_used = (old.used() if old else None), figures.used()
            reset = old_used is not None and new_used is not None and new_used < old_used
            db.execute(
                "UPDATE accounts SET asked_at = ?, email = ?, tier = ?, quota_limit = ?,"
                " requests_today = ?, remaining = ?,"
                " period_start = CASE WHEN ? THEN ? ELSE period_start END,"
                " paused_until = CASE WHEN ? THEN NULL ELSE paused_until END"
                " WHERE account = ?",
                (figures.asked_at, figures.email, figures.tier, figures.limit,
                 figures.requests_today, figures.remaining, reset, figures.asked_at,
                 bool(figures.remaining), account),
            )
            return self._usage(db, account, fingerprint, now)

    def record_exhausted(
        self, account: str, api_root: str, paused_until: float, fingerprint: str | None,
        now: float,
    ) -> DayUsage:
        """A 429: nothing remains until ``/auth/me`` says otherwise; automatic requests pause."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO accounts (account, api_root) VALUES (?, ?)",
                       (account, api_root))
            db.execute("UPDATE accounts SET exhausted_at = ?, paused_until = ? WHERE account = ?",
                       (now, paused_until, account))
            return self._usage(db, account, fingerprint, now)

    def reject(self, fingerprint: str, now: float) -> None:
        """The service answered 401 to this token (every window stops automatic requests)."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO rejected_tokens (fingerprint, at) VALUES (?, ?)",
                       (fingerprint, now))

    def purge(self, now: float) -> None:
        """Forget requests older than :data:`KEEP_DAYS` and holds of dead processes."""
        with self._write() as db:
            db.execute("DELETE FROM spends WHERE at < ? OR (sent_at IS NULL AND at < ?)",
                       (now - KEEP_DAYS * 86_400.0, now - HOLD_S))
            db.execute("DELETE FROM rejected_tokens WHERE at < ?", (now - 30 * 86_400.0,))


def _open(path: Path | None) -> sqlite3.Connection:
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Private from its first byte (the folder is 0700 too); never through a symlink.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.close(fd)
    db = sqlite3.connect(
        str(path) if path is not None else ":memory:",
        timeout=BUSY_TIMEOUT_S,
        isolation_level=None,
        check_same_thread=False,
    )
    # Switching a new file to WAL takes an exclusive lock, and SQLite does not wait for it:
    # servers starting together retry (in the ledger thread) within the busy time-out.
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if path is not None:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            return db
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or (
                time.monotonic() > deadline
            ):
                db.close()
                raise
            time.sleep(0.02)
        except BaseException:
            db.close()
            raise


def ledger_in(directory: Path | None) -> QuotaLedger:
    """The machine's ledger in ``directory`` (a folder checked safe), else one in memory."""
    return QuotaLedger(directory / FILE_NAME if directory is not None else None)
