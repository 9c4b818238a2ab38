"""The Iskra token: where it comes from, where it is kept, how it is obtained.

Precedence (see :func:`resolve_token`): ``ISKRA_TOKEN`` in the environment,
then a token the editor hands over (the ``token`` setting or
``iskra.setToken``), then the token file that ``iskra-ls login`` writes.

Only a credential (a JWT, :mod:`iskra_ls.credential`) is ever a token: anything
else is refused, with a message naming where it came from.

The token file lives in :func:`config_dir` and is never readable by others,
not even for an instant: it is written to a temporary file created with mode
0600 and renamed over the old one. It is read only as a plain file in a folder
private to the user (:func:`folder_problem`): never through a symlink. A running
server follows the file with :class:`TokenWatcher`, so ``iskra-ls login``/``logout``
in a terminal reach open editors within a second, without a restart.

Every token this module accepts is registered with :mod:`iskra_ls.logs` so that
it is masked in all log output and every LSP message.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import secrets
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iskra_ls import errors
from iskra_ls.credential import NOT_A_CREDENTIAL, is_credential
from iskra_ls.logs import register_secret

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

TOKEN_FILE_NAME = "token"


def config_dir() -> Path:
    """``ISKRA_CONFIG_DIR``, else the platform's user config dir + ``iskra``."""
    env = os.environ.get("ISKRA_CONFIG_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs  # only needed when no directory is given

    return Path(platformdirs.user_config_dir("iskra", appauthor=False))


class TokenFileRefused(errors.IskraError):
    """The token file, or the folder it lives in, is not safe to use; nothing was read."""

    kind = "signedOut"


def folder_problem(directory: Path) -> str | None:
    """Why ``directory`` may not hold the token (or the quota ledger), or None.

    Refused: a symlink (the token would live wherever it points), a folder every user
    may write to (another user could swap the token file), one owned by someone else.
    A folder that does not exist yet is fine: it is created private.
    """
    try:
        st = directory.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"the config folder {directory} cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return (f"the config folder {directory} is a symlink; set ISKRA_CONFIG_DIR to the real "
                "folder (private to you)")
    if not stat.S_ISDIR(st.st_mode):
        return f"the config folder {directory} is not a folder"
    if os.name == "posix":
        if st.st_mode & 0o002:
            return (f"the config folder {directory} is writable by every user; use a private "
                    f"folder (chmod 700 {directory}, or another ISKRA_CONFIG_DIR)")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return f"the config folder {directory} belongs to another user"
    return None


def _clean(token: str | None) -> str | None:
    token = (token or "").strip()
    return token or None


ROOT_PREFIX = "api-root="
"""The token file's second line: the API root the token was issued for."""


class TokenStore:
    """The token file (``config_dir()/token`` unless ``path`` is given).

    Line one is the token; line two, ``api-root=<url>``, the API root it was
    issued for (``login`` writes it). A file without it (older versions) is
    tied to the API root in force when the server starts.

    The file is read only when it is a plain file of the user's in a safe folder
    (:func:`folder_problem`): a symlink is refused, never followed, and its target's
    mode is never changed.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.token_file: Path = path if path is not None else config_dir() / TOKEN_FILE_NAME
        """Where the token is kept."""
        self.api_root: str | None = None
        """The API root recorded with the token at the last :meth:`load`."""
        self.problem: str | None = None
        """Why the last :meth:`load` refused the file (None: read, or no file)."""

    @property
    def directory(self) -> Path:
        return self.token_file.parent

    def load(self) -> str | None:
        """The stored token, or ``None`` when there is none, or it is refused (``problem``)."""
        try:
            token = self.read()
        except TokenFileRefused as exc:
            self.problem = str(exc)
            return None
        self.problem = None
        return token

    def read(self) -> str | None:
        """The stored token or ``None``; raises :class:`TokenFileRefused` for an unsafe file."""
        self.api_root = None
        problem = folder_problem(self.directory)
        if problem is not None:
            raise TokenFileRefused(f"Iskra: {problem}; the token file there is not used.")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.token_file, flags)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if self.token_file.is_symlink():
                raise TokenFileRefused(
                    f"Iskra: the token file {self.token_file} is a symlink; it is not followed. "
                    "Remove it and sign in again (`iskra-ls login`)."
                ) from None
            log.warning("Cannot read the token file %s: %s", self.token_file, exc.strerror)
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > 64 << 10:
                raise TokenFileRefused(
                    f"Iskra: the token file {self.token_file} is not a small plain file; "
                    "it is not used.")
            self._tighten(fd, st)
            text = os.read(fd, 64 << 10).decode("utf-8", errors="replace")
        finally:
            os.close(fd)
        first, _, rest = text.partition("\n")
        token = _clean(first)
        if token is not None and not is_credential(token):
            raise TokenFileRefused(f"Iskra: the token in {self.token_file} {NOT_A_CREDENTIAL}")
        for line in rest.splitlines():
            if line.startswith(ROOT_PREFIX):
                self.api_root = line[len(ROOT_PREFIX):].strip().rstrip("/") or None
        register_secret(token)
        return token

    def _tighten(self, fd: int, st: os.stat_result) -> None:
        """Make a token file of ours that others can read private again (someone copied it in)."""
        if os.name != "posix" or not stat.S_IMODE(st.st_mode) & 0o077:
            return
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
            log.warning("The token file %s was readable by others; made it 0600",
                        self.token_file)

    def ensure_directory(self) -> None:
        """Create the config directory, private (0700), if it does not exist.

        Raises :class:`TokenFileRefused` when the folder exists but is not safe.
        """
        directory = self.directory
        problem = folder_problem(directory)
        if problem is not None:
            raise TokenFileRefused(f"Iskra: {problem}.")
        if directory.is_dir():
            return
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.name == "posix":
            directory.chmod(0o700)  # mkdir's mode is reduced by the umask

    def save(self, token: str, api_root: str | None = None) -> None:
        """Store ``token`` (issued for ``api_root``) atomically; 0600 from the moment it exists."""
        clean = _clean(token)
        if clean is None or "\n" in clean:
            raise ValueError("refusing to store an empty or multi-line token")
        if not is_credential(clean):
            raise errors.IskraError(f"That token {NOT_A_CREDENTIAL}")
        text = clean + "\n"
        if api_root:
            text += f"{ROOT_PREFIX}{api_root.strip().rstrip('/')}\n"
        register_secret(clean)
        self.ensure_directory()
        tmp = self.directory / f".{self.token_file.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        try:
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, 0o600)  # the umask may only remove bits; be exact anyway
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.token_file)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def clear(self) -> bool:
        """Forget the stored token; ``True`` when there was one."""
        try:
            self.token_file.unlink()
        except FileNotFoundError:
            return False
        return True


@dataclass
class TokenChoice:
    """The token in force, where it came from, and the tokens refused on the way."""

    token: str | None
    source: str
    """``"environment"``, ``"editor"``, ``"token file"`` or ``"none"``."""
    refused: list[str] = field(default_factory=list)
    """One message per source whose token was refused (not a JWT, an unsafe file)."""


def resolve_token(setting_token: str | None, store: TokenStore) -> TokenChoice:
    """The token to use: ``ISKRA_TOKEN`` > the editor's > the token file.

    A source whose token is no credential (not a JWT) is skipped with a message:
    ``{"token": "self"}`` must neither go out as ``Bearer self`` nor be masked.
    """
    refused: list[str] = []
    env = _clean(os.environ.get("ISKRA_TOKEN"))
    if env:
        if is_credential(env):
            register_secret(env)
            return TokenChoice(env, "environment", refused)
        refused.append(f"Iskra: ISKRA_TOKEN {NOT_A_CREDENTIAL}")
    editor = _clean(setting_token)
    if editor:
        if is_credential(editor):
            register_secret(editor)
            return TokenChoice(editor, "editor", refused)
        refused.append(f"Iskra: the token the editor handed over {NOT_A_CREDENTIAL}")
    stored = store.load()
    if store.problem:
        refused.append(store.problem)
    if stored:
        return TokenChoice(stored, "token file", refused)
    return TokenChoice(None, "none", refused)


TokenCallback = Callable[[str | None], Awaitable[Any] | Any]


class TokenWatcher:
    """Calls ``on_change(token)`` when the stored token changes (``None`` after logout).

    Watches the token file's directory with ``watchfiles``; a re-check every
    ``recheck_s`` seconds catches what a file-system event may miss (a
    recreated directory, network file systems).
    """

    def __init__(
        self,
        store: TokenStore,
        on_change: TokenCallback,
        *,
        debounce_ms: int = 50,
        recheck_s: float = 1.0,
    ) -> None:
        self.store = store
        self.on_change = on_change
        self.debounce_ms = debounce_ms
        self.recheck_s = recheck_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: str | None = None
        self._signature: tuple[int, int, int] | None = None

    @property
    def current(self) -> str | None:
        """The stored token as last seen."""
        return self._current

    async def start(self) -> None:
        """Begin watching; returns once changes from now on will be seen."""
        if self._task is not None:
            return
        self._stop.clear()
        try:
            self.store.ensure_directory()
        except (OSError, TokenFileRefused) as exc:
            log.warning("Cannot watch the token in %s: %s", self.store.directory, exc)
        self._current = self.store.load()
        self._signature = self._stat()
        self._task = asyncio.create_task(self._run(), name="iskra-token-watcher")
        # Let the task set up its watch, then look once more: a change made between
        # the first read and the watch being in place is not lost.
        for _ in range(3):
            await asyncio.sleep(0)
        await self._check()

    async def stop(self) -> None:
        """Stop watching (idempotent)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=2.0)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.store.token_file.lstat()  # the link itself: a symlink is never followed
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _is_token_file(self, _change: object, path: str) -> bool:
        return Path(path).name == self.store.token_file.name

    async def _run(self) -> None:
        from watchfiles import awatch  # heavy-ish; only a running server needs it

        timeout_ms = max(int(self.recheck_s * 1000), 100)
        while not self._stop.is_set():
            try:
                async for changes in awatch(
                    self.store.directory,
                    watch_filter=self._is_token_file,
                    debounce=self.debounce_ms,
                    step=50,
                    stop_event=self._stop,
                    rust_timeout=timeout_ms,
                    yield_on_timeout=True,
                    recursive=False,
                ):
                    if changes or self._stat() != self._signature:
                        await self._check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the directory vanished, permissions...
                log.debug("Token watch interrupted (%s); retrying", exc)
                await self._check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.recheck_s)
                with contextlib.suppress(OSError, TokenFileRefused):
                    self.store.ensure_directory()

    async def _check(self) -> None:
        self._signature = self._stat()
        token = self.store.load()
        if token == self._current:
            return
        self._current = token
        log.info("The stored Iskra token %s", "changed" if token else "was removed")
        try:
            result = self.on_change(token)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("Handling the token change failed")
