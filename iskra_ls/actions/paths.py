"""Which paths the model may touch: the workspace folders, minus secrets.

Every file tool goes through :meth:`WorkspacePolicy.resolve` before anything is
read. The model writes paths in many shapes (``src/a.py``, ``/test.py``,
``file:///ws/a.py``, ``/ws/a.py``); all of them land inside a workspace folder
or are refused with a :class:`PathRefused` whose message is meant for the
model, so it can correct itself.

Rules worth knowing:

* ``/x`` that is not inside a workspace folder means ``x`` under the first
  folder (the Iskra API's own example creates ``/test.py``) -- unless its
  first component exists at the filesystem root but not in the workspace
  (``/etc/passwd``, ``/home/...``): that is an absolute path elsewhere and is
  refused.
* ``..`` may move around inside a folder but never out of it; every existing
  component is checked with ``realpath``, so a symlink cannot lead outside.
* Only regular files and folders: a FIFO, socket or device is refused before
  anything opens it (opening a FIFO blocks), and so is a regular file with more
  than one hard link (its other name may be outside or a secret). A symlink
  cannot be renamed (``resolve(..., allow_link=False)``): a relative link means
  something else in its new place.
* ``file://`` URIs are percent-decoded exactly once; anything still encoded
  (``%2e``, ``%2f``, ``%5c``) afterwards is refused, as are NUL and control
  characters and over-long names.
* Windows (``pathmod=ntpath``; the default is the running OS's ``os.path``):
  ``\\`` is a separator, ``C:\\ws\\a.py``, ``/c:/ws/a.py`` and
  ``file:///c%3A/ws/a.py`` are absolute paths compared without case, UNC and
  drive-relative paths are refused unless inside a folder, and names Windows
  would open as something else (trailing dot or space, ``:stream``, ``CON``,
  ``nul.txt``) are refused. Elsewhere backslashes and drive letters are refused.
* Secret files (:data:`iskra_ls.file_policy.SECRET_PATTERNS` plus configured
  globs) are refused for every tool and hidden from listings -- by any name the file
  has: as written, resolved, or through a link (:class:`iskra_ls.file_service.FilePolicy`,
  which also answers :meth:`WorkspacePolicy.needs_consent`).
* "Inside" means inside the folders' real paths as they were when the policy was
  made (the action's start): a folder that is a link re-pointed since leads outside.

Pure: no server, only the filesystem (``realpath``/``lstat``) for checks.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

from pygls.uris import from_fs_path

from iskra_ls import file_policy
from iskra_ls.file_policy import SECRET_PATTERNS
from iskra_ls.file_service import FilePolicy
from iskra_ls.file_service import _relative_inside as _relative_inside

DEFAULT_SECRET_GLOBS: tuple[str, ...] = SECRET_PATTERNS
"""The secret patterns (kept in :mod:`iskra_ls.file_policy`, the one list)."""

MAX_COMPONENT_BYTES = 255
MAX_PATH_CHARS = 4096

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_DRIVE = re.compile(r"^/?[A-Za-z]:($|[\\/])")
_DRIVE_ANY = re.compile(r"^[A-Za-z]:")
_ROOTED_DRIVE = re.compile(r"^/[A-Za-z]:(/|$)")
_ENCODED_TRICK = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.I)
_WINDOWS_BAD = frozenset('<>"|?*:')


class PathRefused(ValueError):
    """A path the model may not use; ``str(error)`` is worded for the model."""


@dataclass(frozen=True)
class ResolvedPath:
    """A path inside one workspace folder, lexically normalised."""

    path: Path
    """Absolute path (not symlink-resolved: the editor knows files by this name)."""
    folder: Path
    """The workspace folder that holds it."""
    relative: str
    """POSIX path relative to ``folder``; ``""`` for the folder itself."""
    display: str
    """How to name it to the model and the user."""
    trailing_slash: bool = False
    """The model wrote the path with a trailing ``/`` (a folder, for create)."""

    @property
    def uri(self) -> str:
        return str(from_fs_path(str(self.path)))

    @property
    def is_root(self) -> bool:
        return self.relative == ""


class WorkspacePolicy:
    """The workspace folders and the rules for paths inside them."""

    def __init__(
        self,
        folders: Sequence[Path | str],
        secret_globs: Sequence[str] = (),
        max_read_bytes: int = 256_000,
        *,
        pathmod: ModuleType = os.path,
        files: FilePolicy | None = None,
    ) -> None:
        if not folders:
            raise ValueError("a workspace policy needs at least one folder")
        self._pm = pathmod
        self._native = pathmod is os.path
        """Filesystem checks only for the running OS's paths (tests pass ``ntpath``)."""
        self.windows = pathmod.sep == "\\"
        self.folders: list[Path] = [
            Path(pathmod.normpath(self._abspath(str(f)))) for f in folders
        ]
        self.files = files if files is not None else FilePolicy(
            self.folders, secret_globs, pathmod=pathmod)
        """The secret and consent rules on every name of a file (one per workspace)."""
        self._real: list[str] = list(self.files.real)
        self.extra_globs: tuple[str, ...] = tuple(secret_globs)
        self.secret_globs: tuple[str, ...] = DEFAULT_SECRET_GLOBS + self.extra_globs
        self.max_read_bytes = max_read_bytes

    # -- resolving ---------------------------------------------------------

    def resolve(self, uri_or_path: str, *, allow_link: bool = True) -> ResolvedPath:
        """Map what the model wrote to a path inside the workspace, or refuse.

        ``allow_link=False`` also refuses a symlink itself (the source of a
        rename). Safe to call again on its own result (``resolve(str(r.path))``
        or ``resolve(r.uri)`` give ``r``), which is what :meth:`recheck` does.
        """
        raw = uri_or_path.strip() if isinstance(uri_or_path, str) else ""
        _check_characters(raw, uri_or_path)
        text = self._strip_file_uri(raw)
        _check_characters(text, uri_or_path)
        if "\\" in text:
            if not self.windows:
                raise PathRefused(
                    f"'{uri_or_path}': use '/' as the path separator (backslashes are refused)."
                )
            text = text.replace("\\", "/")
        if self.windows:
            if _ROOTED_DRIVE.match(text):
                text = text[1:]  # "/c:/ws/a.py", as a file URI's path has it
            _check_windows_names(text, uri_or_path)
        elif _DRIVE.match(text):
            raise PathRefused(f"'{uri_or_path}' is a Windows drive path, not in this workspace.")
        if _ENCODED_TRICK.search(text):
            raise PathRefused(f"'{uri_or_path}' contains percent-encoded path characters.")
        _check_lengths(text, uri_or_path)
        trailing_slash = text.endswith("/") and text.strip("/") != ""
        index, relative = self._locate(text, uri_or_path)
        folder = self.folders[index]
        path = self._join(folder, relative)
        if self.files.leads_outside(str(path)):
            raise PathRefused(f"'{uri_or_path}' leads outside the workspace (through a link).")
        resolved = ResolvedPath(
            path=path,
            folder=folder,
            relative=relative,
            display=self._display(index, relative),
            trailing_slash=trailing_slash,
        )
        if self.files.is_secret(str(path)):
            raise PathRefused(f"'{resolved.display}' is a secret file (by its name, where it "
                              "leads, or a link to it); it cannot be used.")
        self._check_kind(str(path), resolved.display, allow_link)
        return resolved

    def recheck(self, resolved: ResolvedPath, *, allow_link: bool = True) -> ResolvedPath:
        """Resolve a target again right before its edit is built and sent.

        Between the model's tool call and the apply, a folder on the way may
        have become a symlink out of the workspace, the workspace folder itself
        re-pointed, a file a FIFO or a hard link: this repeats every check on the
        filesystem as it is now and raises :class:`PathRefused` (apply nothing) if
        the path no longer passes or no longer names the same file.
        """
        moved = self.files.moved_folders()
        if moved:
            raise PathRefused(f"the workspace folder {moved[0]} now points elsewhere.")
        again = self.resolve(str(resolved.path), allow_link=allow_link)
        if again.path != resolved.path:
            raise PathRefused(f"'{resolved.display}' now resolves elsewhere; nothing applied.")
        return again

    def contains(self, path: Path | str) -> bool:
        """Whether an absolute path lies (lexically) inside a workspace folder.

        Unlike :meth:`resolve` this never reads ``/x`` as ``x`` under a folder:
        it answers "is this editor document a workspace file".
        """
        text = str(path)
        if not text or not self._pm.isabs(text) or (self.windows and not _DRIVE_ANY.match(text)
                                                     and not text.startswith(("\\\\", "//"))):
            return False
        absolute = self._pm.normpath(text)
        return any(
            _relative_inside(absolute, base, self._pm) is not None
            for index, folder in enumerate(self.folders)
            for base in (str(folder), self._real[index])
        )

    def _strip_file_uri(self, text: str) -> str:
        match = _SCHEME.match(text)
        if not match or _DRIVE.match(text) or (self.windows and _DRIVE_ANY.match(text)):
            return text
        if match.group(1).lower() != "file":
            raise PathRefused(
                f"'{text}': only file:// URIs or workspace paths are accepted "
                f"(not {match.group(1)}:)."
            )
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise PathRefused(f"'{text}' points to another host ({parts.netloc}).")
        if parts.query or parts.fragment or text.endswith(("?", "#")):
            raise PathRefused(f"'{text}': a file URI may not have a query or fragment.")
        path = unquote(parts.path, errors="strict")
        if not path.startswith("/"):
            raise PathRefused(f"'{text}' is not an absolute file URI.")
        return path

    def _locate(self, text: str, original: str) -> tuple[int, str]:
        """Pick the folder and the normalised relative path."""
        if self.windows and (_DRIVE_ANY.match(text) or text.startswith("//")):
            if not _DRIVE.match(text) and not text.startswith("//"):
                raise PathRefused(f"'{original}' is relative to a drive; write a full path.")
            found = self._inside_folder(self._pm.normpath(text))
            if found is None:
                raise PathRefused(
                    f"'{original}' is outside the workspace; use a path relative to the "
                    "workspace root (such as 'src/app.py')."
                )
            return found
        if text.startswith("/"):
            absolute = posixpath.normpath(text)
            if absolute.startswith("//"):
                absolute = "/" + absolute.lstrip("/")
            if not self.windows:
                found = self._inside_folder(absolute)
                if found is not None:
                    return found
            first = absolute.lstrip("/").split("/", 1)[0]
            if first and self._lexists(self._pm.join(self._pm.sep, first)) and not self._lexists(
                self._pm.join(str(self.folders[0]), first)
            ):
                raise PathRefused(
                    f"'{original}' is outside the workspace; use a path relative to the "
                    "workspace root (such as 'src/app.py')."
                )
            text = text.lstrip("/")
        index = 0
        parts = [p for p in text.split("/") if p not in ("", ".")]
        if len(self.folders) > 1 and parts:
            for i, folder in enumerate(self.folders):
                if self._same_name(self._pm.basename(str(folder)), parts[0]) and not self._lexists(
                    self._pm.join(str(self.folders[0]), parts[0])
                ):
                    index, parts = i, parts[1:]
                    break
        joined = "/".join(parts)
        normal = posixpath.normpath(joined) if joined else "."
        if normal == ".." or normal.startswith("../") or normal.startswith("/"):
            raise PathRefused(f"'{original}' leads outside the workspace.")
        return index, "" if normal == "." else normal

    def _inside_folder(self, absolute: str) -> tuple[int, str] | None:
        for index, folder in enumerate(self.folders):
            for base in (str(folder), self._real[index]):
                rel = _relative_inside(absolute, base, self._pm)
                if rel is not None:
                    return index, posixpath.normpath(rel) if rel else ""
        return None

    def _check_kind(self, path: str, display: str, allow_link: bool) -> None:
        """Only folders and regular files with one name; never opens anything."""
        if not self._native:
            return
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                if not allow_link:
                    raise PathRefused(
                        f"'{display}' is a symbolic link; links cannot be renamed "
                        "(a relative link would point somewhere else)."
                    )
                info = os.stat(path)
        except OSError:
            return  # nothing there (yet), or a dangling link to a checked place
        if stat.S_ISDIR(info.st_mode):
            return
        if not stat.S_ISREG(info.st_mode):
            raise PathRefused(
                f"'{display}' is not a regular file (a FIFO, socket or device); it cannot be used."
            )
        if info.st_nlink > 1:
            raise PathRefused(
                f"'{display}' has more than one hard link (its other name may be outside the "
                "workspace); it cannot be used."
            )

    def _display(self, index: int, relative: str) -> str:
        if len(self.folders) == 1:
            return relative or "."
        name = self._pm.basename(str(self.folders[index]))
        return f"{name}/{relative}" if relative else name

    def allows(self, path: Path | str) -> bool:
        """Whether an absolute path inside a folder may be used (not secret, no link out)."""
        try:
            self.resolve(str(path))
        except PathRefused:
            return False
        return True

    # -- secrets and consent -----------------------------------------------

    def is_secret(self, path: Path | str) -> bool:
        """Whether ``path`` (absolute, or folder-relative) is secret by any of its names.

        An absolute path outside every folder is matched as a whole, so
        ``/home/me/.aws/credentials`` is secret too.
        """
        text = str(path)
        if self._pm.isabs(text):
            return self.files.is_secret(self._pm.normpath(text))
        return self._secret_match(posixpath.normpath(text.replace(self._pm.sep, "/")))

    def secret_entries(self, folder: Path | str, entries: dict[str, bool]) -> set[str]:
        """Which ``entries`` (name -> is a link) of a folder are secret (a listing hides them)."""
        return self.files.secret_entries(str(folder), entries)

    def needs_consent(self, target: ResolvedPath) -> bool:
        """Whether changing ``target`` needs the user's consent, by any name it has (as
        written, resolved, or through a link such as ``.vscode -> tools/vscode``)."""
        return self.files.needs_consent(str(target.path))

    def _secret_match(self, relative: str) -> bool:
        return file_policy.is_secret(relative, self.extra_globs)

    def display_of(self, path: Path | str) -> str:
        """The display name of an absolute path inside a folder."""
        absolute = self._pm.normpath(str(path))
        for index, folder in enumerate(self.folders):
            rel = _relative_inside(absolute, str(folder), self._pm)
            if rel is not None:
                return self._display(index, rel)
        return absolute

    # -- the path flavour --------------------------------------------------

    def _join(self, folder: Path, relative: str) -> Path:
        if not relative:
            return folder
        return Path(self._pm.join(str(folder), *relative.split("/")))

    def _abspath(self, path: str) -> str:
        return self._pm.abspath(path) if self._native else path

    def _realpath(self, path: str) -> str:
        return os.path.realpath(path) if self._native else self._pm.normpath(path)

    def _lexists(self, path: str) -> bool:
        return os.path.lexists(path) if self._native else False

    def _same_name(self, a: str, b: str) -> bool:
        return a.lower() == b.lower() if self.windows else a == b


def _check_characters(text: str, original: object) -> None:
    if not isinstance(original, str):
        raise PathRefused("the path must be a string.")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise PathRefused(f"{original!r} contains NUL or control characters.")


def _check_windows_names(text: str, original: str) -> None:
    """Names Windows would open as another file or a device."""
    for position, name in enumerate(text.split("/")):
        if position == 0 and _DRIVE_ANY.match(name):
            name = name[2:]  # "C:" or "C:a.py" (refused later as drive-relative)
        if name in ("", ".", ".."):
            continue
        if any(c in _WINDOWS_BAD for c in name):
            raise PathRefused(
                f"'{original}': '{name}' has a character Windows does not allow in names "
                "(< > \" | ? * or a ':stream')."
            )
        if name != name.rstrip(". "):
            raise PathRefused(f"'{original}': '{name}' ends with a dot or a space.")
        if _WINDOWS_RESERVED.match(name):
            raise PathRefused(f"'{original}': '{name}' is a reserved device name on Windows.")


def _check_lengths(text: str, original: str) -> None:
    if len(text) > MAX_PATH_CHARS:
        raise PathRefused(f"the path is too long ({len(text)} characters; limit {MAX_PATH_CHARS}).")
    for part in text.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
            raise PathRefused(
                f"a name in '{original[:80]}...' is longer than {MAX_COMPONENT_BYTES} bytes."
            )
