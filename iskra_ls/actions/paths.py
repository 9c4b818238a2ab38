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
* ``file://`` URIs are percent-decoded exactly once; anything still encoded
  (``%2e``, ``%2f``, ``%5c``) afterwards is refused, as are backslashes,
  drive letters, NUL and control characters and over-long names.
* Secret files (``.env*``, keys, ``.git/``, ``.ssh/``, credentials files and
  configured globs) are refused for every tool and hidden from listings.

Pure: no server, only the filesystem (``realpath``/``lexists``) for checks.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pygls.uris import from_fs_path

from iskra_ls import file_policy
from iskra_ls.file_policy import SECRET_PATTERNS

DEFAULT_SECRET_GLOBS: tuple[str, ...] = SECRET_PATTERNS
"""The secret patterns (kept in :mod:`iskra_ls.file_policy`, the one list)."""

MAX_COMPONENT_BYTES = 255
MAX_PATH_CHARS = 4096

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_DRIVE = re.compile(r"^/?[A-Za-z]:($|[\\/])")
_ENCODED_TRICK = re.compile(r"%(2e|2f|5c|00)", re.IGNORECASE)


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
        folders: Sequence[Path],
        secret_globs: Sequence[str] = (),
        max_read_bytes: int = 256_000,
    ) -> None:
        if not folders:
            raise ValueError("a workspace policy needs at least one folder")
        self.folders: list[Path] = [Path(os.path.normpath(os.path.abspath(f))) for f in folders]
        self._real: list[str] = [os.path.realpath(f) for f in self.folders]
        self.extra_globs: tuple[str, ...] = tuple(secret_globs)
        self.secret_globs: tuple[str, ...] = DEFAULT_SECRET_GLOBS + self.extra_globs
        self.max_read_bytes = max_read_bytes

    # -- resolving ---------------------------------------------------------

    def resolve(self, uri_or_path: str) -> ResolvedPath:
        """Map what the model wrote to a path inside the workspace, or refuse."""
        raw = uri_or_path.strip() if isinstance(uri_or_path, str) else ""
        _check_characters(raw, uri_or_path)
        text = self._strip_file_uri(raw)
        _check_characters(text, uri_or_path)
        if "\\" in text:
            raise PathRefused(
                f"'{uri_or_path}': use '/' as the path separator (backslashes are refused)."
            )
        if _DRIVE.match(text):
            raise PathRefused(f"'{uri_or_path}' is a Windows drive path, not in this workspace.")
        if _ENCODED_TRICK.search(text):
            raise PathRefused(f"'{uri_or_path}' contains percent-encoded path characters.")
        _check_lengths(text, uri_or_path)
        trailing_slash = text.endswith("/") and text.strip("/") != ""
        index, relative = self._locate(text, uri_or_path)
        folder = self.folders[index]
        path = Path(os.path.join(folder, relative)) if relative else folder
        self._check_real(path, index, uri_or_path)
        resolved = ResolvedPath(
            path=path,
            folder=folder,
            relative=relative,
            display=self._display(index, relative),
            trailing_slash=trailing_slash,
        )
        if self.is_secret(path):
            raise PathRefused(f"'{resolved.display}' is a secret file; it cannot be used.")
        return resolved

    def _strip_file_uri(self, text: str) -> str:
        match = _SCHEME.match(text)
        if not match or _DRIVE.match(text):
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
        if text.startswith("/"):
            absolute = posixpath.normpath(text)
            if absolute.startswith("//"):
                absolute = "/" + absolute.lstrip("/")
            for index, folder in enumerate(self.folders):
                for base in (str(folder), self._real[index]):
                    rel = _relative_inside(absolute, base)
                    if rel is not None:
                        return index, rel
            first = absolute.lstrip("/").split("/", 1)[0]
            if first and os.path.lexists("/" + first) and not os.path.lexists(
                os.path.join(self.folders[0], first)
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
                if folder.name == parts[0] and not os.path.lexists(
                    os.path.join(self.folders[0], parts[0])
                ):
                    index, parts = i, parts[1:]
                    break
        joined = "/".join(parts)
        normal = posixpath.normpath(joined) if joined else "."
        if normal == ".." or normal.startswith("../") or normal.startswith("/"):
            raise PathRefused(f"'{original}' leads outside the workspace.")
        return index, "" if normal == "." else normal

    def _check_real(self, path: Path, index: int, original: str) -> None:
        """Every existing component must stay inside a workspace folder."""
        folder = str(self.folders[index])
        rel = os.path.relpath(path, folder)
        current = folder
        components = [] if rel == "." else rel.split(os.sep)
        for name in components:
            current = os.path.join(current, name)
            if not os.path.lexists(current):
                break
            real = os.path.realpath(current)
            if not any(_relative_inside(real, base) is not None for base in self._real):
                raise PathRefused(f"'{original}' leads outside the workspace (through a link).")
            if self._secret_relative(real):
                raise PathRefused(f"'{original}' leads to a secret file; it cannot be used.")

    def _display(self, index: int, relative: str) -> str:
        if len(self.folders) == 1:
            return relative or "."
        name = self.folders[index].name
        return f"{name}/{relative}" if relative else name

    def allows(self, path: Path | str) -> bool:
        """Whether an absolute path inside a folder may be used (not secret, no link out)."""
        try:
            self.resolve(str(path))
        except PathRefused:
            return False
        return True

    # -- secrets -----------------------------------------------------------

    def is_secret(self, path: Path | str) -> bool:
        """Whether ``path`` (absolute inside a folder, or folder-relative) is secret."""
        text = str(path)
        if os.path.isabs(text):
            absolute = os.path.normpath(text)
            for index, folder in enumerate(self.folders):
                for base in (str(folder), self._real[index]):
                    rel = _relative_inside(absolute, base)
                    if rel is not None:
                        return self._secret_match(rel)
            return self._secret_match(absolute.lstrip("/"))
        return self._secret_match(posixpath.normpath(text.replace(os.sep, "/")))

    def _secret_relative(self, real: str) -> bool:
        for base in self._real:
            rel = _relative_inside(real, base)
            if rel is not None:
                return self._secret_match(rel)
        return False

    def _secret_match(self, relative: str) -> bool:
        return file_policy.is_secret(relative, self.extra_globs)

    def display_of(self, path: Path | str) -> str:
        """The display name of an absolute path inside a folder."""
        absolute = os.path.normpath(str(path))
        for index, folder in enumerate(self.folders):
            rel = _relative_inside(absolute, str(folder))
            if rel is not None:
                return self._display(index, rel)
        return absolute


def _relative_inside(path: str, base: str) -> str | None:
    """``path`` relative to ``base`` (POSIX, ``""`` for base itself), or None."""
    if path == base:
        return ""
    prefix = base if base.endswith("/") else base + "/"
    if path.startswith(prefix):
        return path[len(prefix) :]
    return None


def _check_characters(text: str, original: object) -> None:
    if not isinstance(original, str):
        raise PathRefused("the path must be a string.")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise PathRefused(f"{original!r} contains NUL or control characters.")


def _check_lengths(text: str, original: str) -> None:
    if len(text) > MAX_PATH_CHARS:
        raise PathRefused(f"the path is too long ({len(text)} characters; limit {MAX_PATH_CHARS}).")
    for part in text.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
            raise PathRefused(
                f"a name in '{original[:80]}...' is longer than {MAX_COMPONENT_BYTES} bytes."
            )
