"""The file-policy service: the secret and consent rules, applied where a file really is.

:mod:`iskra_ls.file_policy` says which *names* are secret or need consent. A file
has more than one name: the path as written, the path it resolves to, and every
path a link in the workspace makes for it. A hostile repository ships
``.vscode -> tools/vscode`` and asks for ``tools/vscode/tasks.json``; it ships
``ci -> .github/workflows`` and asks for ``ci/ci.yml``. So :class:`FilePolicy`
asks both rules of **every** name (:meth:`FilePolicy.names`):

* the name as written, relative to its workspace folder;
* the resolved name (``realpath``, every component), relative to the folder's real
  path as it was when the policy was made -- a folder that is a link re-pointed
  later leads outside (:meth:`FilePolicy.leads_outside`, :meth:`moved_folders`);
* the names links give it: links at the places tools read -- a workspace folder's
  root, the folders above the file, and inside folders whose names the rules
  mention (``.github/``, ``.git/``, ``.vscode/``...) -- whose target is the file or a
  folder above it. Those places are listed with ``scandir`` once and re-listed when
  a directory's ``mtime`` changes, so a link planted later is seen at the next
  question and the usual question costs a few ``stat`` calls.

One instance per workspace (folders, ``actions.secretGlobs``, Iskra's token file),
cached by the server and used by completions (:meth:`document_is_secret`) and by
the action tools (:class:`iskra_ls.actions.paths.WorkspacePolicy`) alike.

Pure: no server, no network; reads the filesystem (``realpath``, ``stat``,
``scandir``), bounded per question.
"""

from __future__ import annotations

import ntpath
import os
import stat
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

from iskra_ls import file_policy

MAX_SCANNED = 2_000
"""Entries looked at in one directory when looking for links."""
SCAN_DEPTH = 3
"""How deep below a place tools read the search for links goes (``.git/hooks/x``)."""
_SCAN_CACHE = 4_096
"""Directories whose listing is remembered (per policy)."""


class FilePolicy:
    """Secret and consent rules for one workspace, asked of every name a file has."""

    def __init__(
        self,
        folders: Sequence[Path | str],
        secret_globs: Sequence[str] = (),
        *,
        private: Iterable[str] | None = None,
        pathmod: ModuleType = os.path,
    ) -> None:
        self._pm = pathmod
        self.native = pathmod is os.path
        """Filesystem checks only for the running OS's paths (tests pass ``ntpath``)."""
        self.folders: tuple[str, ...] = tuple(
            pathmod.normpath(pathmod.abspath(str(f)) if self.native else str(f)) for f in folders
        )
        self.real: tuple[str, ...] = tuple(self._realpath(f) for f in self.folders)
        """The folders' real paths when the policy was made: what "inside" means."""
        self.extra_globs: tuple[str, ...] = tuple(secret_globs)
        if private is None:
            private = [p for p in (token_file(),) if p] if self.native else []
        self.private: frozenset[str] = frozenset(self._realpath(p) for p in private)
        """Real paths of Iskra's own private files (the token file, wherever it is)."""
        self._scans: dict[str, tuple[tuple[int, int, int], tuple[tuple[str, str], ...],
                                     tuple[str, ...]]] = {}
        self._trees: dict[str, tuple[tuple[tuple[str, tuple[int, int, int] | None], ...],
                                     tuple[tuple[str, str], ...]]] = {}
        self._lock = threading.Lock()

    # -- the questions -------------------------------------------------------------

    def is_secret(self, path: str) -> bool:
        """Whether ``path`` (absolute) is secret by any of its names, or Iskra's own file.

        A path outside every folder is matched as a whole, so ``~/.aws/credentials``
        is secret too.
        """
        real = self._realpath(path)
        if real in self.private:
            return True
        names = self.names(path, real)
        if not names:
            whole = self._pm.normpath(path).replace(self._pm.sep, "/").lstrip("/")
            return file_policy.is_secret(whole, self.extra_globs)
        return any(file_policy.is_secret(name, self.extra_globs) for name in names)

    def needs_consent(self, path: str) -> bool:
        """Whether changing ``path`` (absolute) needs the user's consent, by any of its names."""
        return any(file_policy.needs_consent(name) for name in self.names(path))

    def leads_outside(self, path: str) -> bool:
        """Whether ``path`` really lies outside the folders as they were when the policy was
        made: through a link on the way, or a folder re-pointed since (every component,
        missing ones too: ``realpath`` of the whole path)."""
        return self.native and self._inside_real(self._realpath(path)) is None

    def moved_folders(self) -> list[str]:
        """Folders whose real path is no longer the one recorded (a re-pointed link)."""
        return [f for f, r in zip(self.folders, self.real, strict=True) if self._realpath(f) != r]

    def document_is_secret(self, path: str) -> bool:
        """Whether an editor document's text must never be sent to Iskra.

        True for a secret (by any name) and, with folders open, for every file
        outside them or leading outside them, and for a file with a second hard link
        (its other name may be a secret). A path that is not absolute (``file:.env``)
        cannot be placed: secret; a Windows drive path (``c:/Users/me/app.py``, an editor on
        Windows) is absolute, whatever OS the server runs on. An empty path (an untitled
        buffer) is the user's own typing: not secret.
        """
        if not path:
            return False
        if not (self._pm.isabs(path) or ntpath.isabs(path)):
            return True
        path = self._pm.normpath(path)
        real = self._realpath(path)
        if real in self.private:
            return True
        if not self.folders:
            wholes = {p.replace(self._pm.sep, "/").lstrip("/") for p in (path, real)}
            return any(file_policy.is_secret(whole, self.extra_globs) for whole in wholes)
        if self._written(path) is None or (self.native and self._inside_real(real) is None):
            return True
        if self.native and _hard_linked(path):
            return True
        return any(file_policy.is_secret(n, self.extra_globs) for n in self.names(path, real))

    def refresh(self) -> None:
        """Forget every listing and link target (the next question reads them again)."""
        with self._lock:
            self._scans.clear()
            self._trees.clear()

    # -- names ------------------------------------------------------------------------

    def names(self, path: str, real: str | None = None) -> list[str]:
        """Every workspace-relative name ``path`` (absolute) has: as written, resolved, and
        through links; empty when it is outside every folder."""
        path = self._pm.normpath(path)
        if not self.native:
            written = self._written(path)
            return [written[1]] if written is not None and written[1] else []
        real = self._realpath(path) if real is None else real
        return self._names_from(path, real, self._links_for(path, real))

    def secret_entries(self, folder: str, entries: Mapping[str, bool]) -> set[str]:
        """The names of ``entries`` (name -> is a link) of ``folder`` that are secret: one
        look at the links around the folder for all of them (a listing)."""
        folder = self._pm.normpath(folder)
        if not self.native:
            return {n for n in entries if self.is_secret(self._pm.join(folder, n))}
        real_folder = self._realpath(folder)
        links = self._links_for(self._pm.join(folder, "-"), self._pm.join(real_folder, "-"))
        secret: set[str] = set()
        for name, is_link in entries.items():
            path = self._pm.join(folder, name)
            real = self._realpath(path) if is_link else self._pm.join(real_folder, name)
            names = self._names_from(path, real, links)
            if real in self.private or any(
                file_policy.is_secret(n, self.extra_globs) for n in names
            ) or (not names and self.is_secret(path)):
                secret.add(name)
        return secret

    def _links_for(self, path: str, real: str) -> list[tuple[str, str]]:
        """The links that can name ``path``: at the folder roots and in every folder
        above it (as written and as resolved)."""
        bases = set(self.folders) | set(self.real)
        for found in (self._written(path), self._inside_real(real)):
            if found is not None:
                index, relative = found
                for top in (self.folders[index], self.real[index]):
                    bases.update(_ancestors(top, relative, self._pm))
        return [link for base in sorted(bases) for link in self._links(base)]

    def _names_from(self, path: str, real: str, links: list[tuple[str, str]]) -> list[str]:
        written = self._written(path)
        resolved = self._inside_real(real)
        names = [found[1] for found in (written, resolved) if found is not None]
        for link_name, target in links:
            rest = _relative_inside(real, target, self._pm)
            if rest is not None:
                names.append(f"{link_name}/{rest}" if rest else link_name)
        return list(dict.fromkeys(n for n in names if n))

    def _written(self, path: str) -> tuple[int, str] | None:
        """The folder and the ``/``-separated relative path, lexically (or via a real folder)."""
        for index, folder in enumerate(self.folders):
            for base in (folder, self.real[index]):
                relative = _relative_inside(path, base, self._pm)
                if relative is not None:
                    return index, relative
        return None

    def _inside_real(self, real: str) -> tuple[int, str] | None:
        for index, base in enumerate(self.real):
            relative = _relative_inside(real, base, self._pm)
            if relative is not None:
                return index, relative
        return None

    # -- links at the places tools read ----------------------------------------------

    def _links(self, base: str) -> tuple[tuple[str, str], ...]:
        """``(name, real target)`` of the links in ``base`` and below it (to
        :data:`SCAN_DEPTH`) whose place can name a file secret or consent-needing; the
        walk is remembered and used again while no directory on it changed."""
        with self._lock:
            tree = self._trees.get(base)
        if tree is not None and all(_identity(d) == key for d, key in tree[0]):
            return tree[1]
        visited: list[tuple[str, tuple[int, int, int] | None]] = []
        found: list[tuple[str, str]] = []
        pending = [(base, 0)]
        while pending:
            folder, depth = pending.pop()
            visited.append((folder, _identity(folder)))
            links, places = self._scan(folder)
            found.extend(links)
            if depth + 1 < SCAN_DEPTH:
                pending.extend((self._pm.join(folder, name), depth + 1) for name in places)
        with self._lock:
            if len(self._trees) >= _SCAN_CACHE:
                self._trees.clear()
            self._trees[base] = (tuple(visited), tuple(found))
        return tuple(found)

    def _scan(self, folder: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
        """``((link name, link target)..., sub-folders to look in)`` of ``folder``: only
        entries whose place can name a file (:func:`iskra_ls.file_policy.names_a_place`);
        remembered while the folder's identity and mtime stay (a link made, removed or
        re-pointed in it changes its mtime)."""
        key = _identity(folder)
        if key is None:
            return (), ()
        with self._lock:
            cached = self._scans.get(folder)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        place = self._written(folder)
        links: list[tuple[str, str]] = []
        places: list[str] = []
        if place is not None:
            prefix = f"{place[1]}/" if place[1] else ""
            try:
                with os.scandir(folder) as entries:
                    for count, entry in enumerate(entries):
                        if count >= MAX_SCANNED:
                            break
                        name = prefix + entry.name
                        try:
                            if entry.is_symlink():
                                if file_policy.names_a_place(name, self.extra_globs):
                                    links.append((name, self._realpath(entry.path)))
                            elif entry.is_dir(follow_symlinks=False) and (
                                file_policy.names_a_place(name, self.extra_globs)
                            ):
                                places.append(entry.name)
                        except OSError:
                            continue
            except OSError:
                return (), ()
        with self._lock:
            if len(self._scans) >= _SCAN_CACHE:
                self._scans.clear()
            self._scans[folder] = (key, tuple(links), tuple(places))
        return tuple(links), tuple(places)

    def _realpath(self, path: str) -> str:
        return os.path.realpath(path) if self.native else self._pm.normpath(path)


def token_file() -> str | None:
    """Where Iskra keeps its token (``ISKRA_CONFIG_DIR`` may put it in a workspace)."""
    return _token_file_for(os.environ.get("ISKRA_CONFIG_DIR", ""))


_TOKEN_FILES: dict[str, str | None] = {}


def _token_file_for(config_dir_setting: str) -> str | None:
    if config_dir_setting not in _TOKEN_FILES:
        from iskra_ls.api.auth import TOKEN_FILE_NAME, config_dir

        try:
            _TOKEN_FILES[config_dir_setting] = str(config_dir() / TOKEN_FILE_NAME)
        except Exception:  # no usable config directory: nothing to protect there
            _TOKEN_FILES[config_dir_setting] = None
    return _TOKEN_FILES[config_dir_setting]


def _relative_inside(path: str, base: str, pathmod: ModuleType = os.path) -> str | None:
    """``path`` relative to ``base`` (``/``-separated, ``""`` for base itself), or None.

    Both must be normalised absolute paths of ``pathmod``'s flavour; Windows
    compares without case.
    """
    sep = pathmod.sep
    folded, folded_base = pathmod.normcase(path), pathmod.normcase(base)
    if folded == folded_base:
        return ""
    prefix = folded_base if folded_base.endswith(sep) else folded_base + sep
    if not folded.startswith(prefix):
        return None
    return path[len(prefix) :].replace(sep, "/")


def _ancestors(top: str, relative: str, pathmod: ModuleType) -> list[str]:
    """``top`` and every folder between it and ``relative`` (the file itself excluded)."""
    names = relative.split("/")[:-1] if relative else []
    base = top.rstrip(pathmod.sep) + pathmod.sep
    return [top] + [base + pathmod.sep.join(names[: i + 1]) for i in range(len(names))]


def _identity(folder: str) -> tuple[int, int, int] | None:
    """What changes when a directory's entries change (or it is replaced)."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_ino, info.st_dev


def _hard_linked(path: str) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink > 1
