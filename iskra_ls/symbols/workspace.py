"""The workspace's context sources for completions: its symbol index and recent edits.

One instance per server. It keeps one :class:`SymbolIndex` for the current workspace
folders and secret rules (new folders or rules start a new index and stop the old), and
the lines of the person's latest edits per document. :meth:`chooser` is asked on the
event loop when a model request goes out: it gathers the other open documents the file
policy allows (never a secret, never a file outside the folders, never an untitled
buffer) and returns the function that picks the parts, which may run anywhere.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from iskra_ls.completion.context import prompt_path
from iskra_ls.completion.related import ContextPart, OpenText, choose_parts
from iskra_ls.symbols.index import Limits, SymbolIndex
from iskra_ls.symbols.tags import language_of_path

MAX_OTHER_DOCUMENTS = 12
"""Open documents compared with the cursor's code (the most recently edited first)."""
_EDITS_KEPT = 8

PartsChooser = Callable[..., list[ContextPart]]
"""``chooser(prefix=..., suffix=..., budget=...)`` -> the parts for one prompt."""


class OpenDocumentLike(Protocol):
    uri: str
    path: str

    @property
    def source(self) -> str: ...


def workspace_label(path: str, folders: Sequence[Path]) -> str:
    """How the prompt names ``path`` (:func:`~iskra_ls.completion.context.prompt_path`),
    kept: the same few files are named on every request."""
    return _label(path, tuple(folders))


_label = functools.lru_cache(maxsize=4096)(prompt_path)


class WorkspaceSymbols:
    """The symbol index of the current folders and the record of recent edits."""

    def __init__(self, limits: Limits | None = None, watch: bool = True) -> None:
        self.limits = limits
        self.watch = watch
        self._index: tuple[tuple[object, ...], SymbolIndex] | None = None
        self.enabled = True
        """``completion.workspaceIndex`` as last asked."""
        self._edits: OrderedDict[str, deque[int]] = OrderedDict()

    def index(self, folders: Sequence[Path], admit: Callable[[str], bool],
              key: tuple[object, ...],
              near: Callable[[], Iterable[str]] | None = None) -> SymbolIndex:
        """The index for ``key`` (folders and secret rules), started on first use."""
        self.enabled = True
        if self._index is None or self._index[0] != key:
            if self._index is not None:
                self._index[1].stop()
            index = SymbolIndex([str(f) for f in folders], admit, self.limits, near=near)
            index.start(watch=self.watch)
            self._index = (key, index)
        return self._index[1]

    def close(self) -> None:
        """The index is switched off: stop it (walk, watcher, workers) and forget it."""
        self.enabled = False
        self.stop()
        self._index = None

    def stop(self) -> None:
        if self._index is not None:
            self._index[1].stop()

    def status(self) -> dict[str, object]:
        if self._index is None:
            return {"enabled": self.enabled, "ready": False, "files": 0, "definitions": 0}
        index = self._index[1]
        return {"enabled": self.enabled, "ready": index.ready.is_set(),
                "complete": index.complete, "files": index.stats.files,
                "definitions": index.stats.definitions, "workers": len(index.worker_pids())}

    def note_edit(self, uri: str, lines: Iterable[int]) -> None:
        """The person changed ``uri`` at ``lines`` (most recent last)."""
        kept = self._edits.pop(uri, None) or deque(maxlen=_EDITS_KEPT)
        kept.extend(lines)
        self._edits[uri] = kept  # the most recently edited document last

    def forget(self, uri: str) -> None:
        self._edits.pop(uri, None)

    def chooser(
        self,
        own_uri: str,
        own_path: str,
        documents: Iterable[OpenDocumentLike],
        allowed: Callable[[str], bool],
        folders: Sequence[Path],
        index: SymbolIndex | None,
    ) -> PartsChooser:
        """The function that picks this request's parts (see module doc)."""
        label = functools.partial(workspace_label, folders=folders)
        recency = {uri: rank for rank, uri in enumerate(reversed(self._edits))}
        others: list[OpenText] = []
        candidates = [d for d in documents if d.uri != own_uri and d.uri.startswith("file:")
                      and d.path]
        candidates.sort(key=lambda d: recency.get(d.uri, len(recency)))
        for doc in candidates:
            if len(others) == MAX_OTHER_DOCUMENTS:
                break
            if not allowed(doc.path):
                continue
            edits = tuple(reversed(self._edits.get(doc.uri, ())))
            others.append(OpenText(label(doc.path), doc.source, edits))
        return functools.partial(
            choose_parts,
            own_path=own_path,
            lookup=index.lookup if index is not None else (lambda _name: []),
            label=label,
            language_of=lambda path: language_of_path(path) or "",
            others=others,
            imports=index.imports(own_path) if index is not None else (),
            modules=(functools.partial(index.module_definitions, near=own_path)
                     if index is not None else (lambda _name: ())),
        )
