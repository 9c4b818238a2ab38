"""Old text + new text -> minimal LSP ``TextEdit`` s, and applying them back.

A whole-file replacement would move the user's cursor, scroll the view, lose
folds and make the undo step and the review diff useless, so a file's new
text is sent as the few ranges that changed: a line diff of bounded cost
(:mod:`iskra_ls.linediff`) finds the changed hunks, then the common prefix and
suffix inside each hunk are trimmed away. Positions come from
:class:`iskra_ls.textdoc.LineIndex` in the client's position encoding, against
the text the editor has.

:func:`apply_text_edits` is the client side of the same contract (used by the
edit-fidelity benchmark and the tests): it applies edits by position in a
given encoding and refuses overlapping ones, as editors do.

Pure: strings and lsprotocol types only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from lsprotocol import types

from iskra_ls.errors import ToolError
from iskra_ls.linediff import line_hunks
from iskra_ls.textdoc import LineIndex, split_lines


def changed_spans(old: str, new: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` spans of ``old`` that turn it into ``new``.

    Spans are in ascending order, never overlap and never split a ``\\r\\n``.
    The line diff is :func:`iskra_ls.linediff.line_hunks`: bounded cost, always exact.
    """
    if old == new:
        return []
    old_lines = split_lines(old)
    new_lines = split_lines(new)
    old_starts = _starts(old_lines)
    new_starts = _starts(new_lines)
    spans: list[tuple[int, int, str]] = []
    for i1, i2, j1, j2 in line_hunks(old_lines, new_lines):
        start, end = old_starts[i1], old_starts[i2]
        chunk_old = old[start:end]
        chunk_new = new[new_starts[j1] : new_starts[j2]]
        prefix = _common_prefix(chunk_old, chunk_new)
        if prefix and chunk_old[prefix - 1] == "\r" and prefix < len(chunk_old) and (
            chunk_old[prefix] == "\n"
        ):
            prefix -= 1
        limit = min(len(chunk_old), len(chunk_new)) - prefix
        suffix = _common_suffix(chunk_old, chunk_new, limit)
        cut = len(chunk_old) - suffix
        if suffix and cut > 0 and chunk_old[cut - 1] == "\r" and chunk_old[cut] == "\n":
            suffix -= 1
        spans.append(
            (
                start + prefix,
                end - suffix,
                chunk_new[prefix : len(chunk_new) - suffix],
            )
        )
    return spans


def minimal_text_edits(old: str, new: str, encoding: str) -> list[types.TextEdit]:
    """The edits that turn ``old`` (the editor's text) into ``new``."""
    index = LineIndex(old, encoding)
    return [
        types.TextEdit(range=index.range_at(start, end), new_text=text)
        for start, end, text in changed_spans(old, new)
    ]


def apply_text_edits(
    text: str, edits: Sequence[types.TextEdit | types.AnnotatedTextEdit], encoding: str
) -> str:
    """Apply edits given against ``text`` in ``encoding``, as an editor does.

    Raises ``ValueError`` when two edits overlap.
    """
    index = LineIndex(text, encoding)
    located = sorted(
        ((*index.offsets_of(edit.range), n, edit.new_text) for n, edit in enumerate(edits)),
        key=lambda item: (item[0], item[1], item[2]),
    )
    previous_end = -1
    for start, end, _, _ in located:
        if start < previous_end:
            raise ValueError("overlapping text edits")
        previous_end = end
    out = text
    for start, end, _, new_text in reversed(located):
        out = out[:start] + new_text + out[end:]
    return out


def _starts(lines: list[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix: a binary search of slice comparisons (in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the common suffix, at most ``limit``."""
    lo, hi = 0, max(min(limit, len(a), len(b)), 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


# -- whole workspace edits ---------------------------------------------------


class UnsupportedEdit(ToolError):
    """The client cannot apply this change (no documentChanges / resource operation)."""


@dataclass(frozen=True)
class FileChange:
    """One file's net change in an action, against what the editor has now.

    ``edit``: ``uri`` gets ``new_text`` (``old_text`` is the editor's text).
    ``rename``: like ``edit`` (``new_text`` None when unchanged), then moves to
    ``new_uri``. ``delete``: ``uri`` goes. ``create``: ``uri`` is created with
    ``new_text``.
    """

    kind: Literal["edit", "rename", "delete", "create"]
    uri: str
    old_text: str | None = None
    new_text: str | None = None
    version: int | None = None
    new_uri: str | None = None


_ANNOTATION_ID = "iskra"
_CONFIRM_ID = "iskra-confirm"
_TEMPORARY_TRIES = 50
_RENAME_OPTIONS = types.RenameFileOptions(overwrite=False, ignore_if_exists=False)
_CREATE_OPTIONS = types.CreateFileOptions(overwrite=False, ignore_if_exists=False)
_DELETE_OPTIONS = types.DeleteFileOptions(recursive=False, ignore_if_not_exists=False)

DocumentChange = types.TextDocumentEdit | types.CreateFile | types.RenameFile | types.DeleteFile


def build_workspace_edit(
    changes: Sequence[FileChange],
    *,
    encoding: str,
    document_changes: bool,
    resource_operations: Sequence[str] = ("create", "rename", "delete"),
    annotation: str | None = None,
    confirm: Callable[[str], bool] | None = None,
    is_free: Callable[[str], bool] = lambda _uri: False,
) -> types.WorkspaceEdit:
    """One ``WorkspaceEdit`` whose operations apply correctly in sequence.

    Order: text edits of existing files (at their current URI, versioned),
    then deletions, then renames (ordered so no target is still taken; a
    cycle goes through a temporary name that ``is_free(uri)`` says nothing
    uses), then creations with their content. No operation may overwrite or
    silently skip: every resource operation says so in its options, for
    clients that would otherwise rename over an existing file as POSIX does.
    Without ``document_changes`` only text edits of existing files can be
    expressed (``changes``); anything else raises :class:`UnsupportedEdit`.
    With an ``annotation`` (the client supports change annotations), every
    change of a file for which ``confirm(uri)`` is true gets a second annotation
    with ``needsConfirmation: true``, so the editor asks the user first.
    """
    needed = sorted({c.kind for c in changes} - {"edit"})
    if needed and not document_changes:
        raise UnsupportedEdit(
            f"The editor cannot {_verbs(needed)} files through LSP workspace edits "
            "(it does not support documentChanges); only edits of existing files can be applied."
        )
    missing = [kind for kind in needed if kind not in resource_operations]
    if missing:
        raise UnsupportedEdit(
            f"The editor does not allow language servers to {_verbs(missing)} files "
            "(workspace.workspaceEdit.resourceOperations)."
        )
    annotation_id = _ANNOTATION_ID if annotation and document_changes else None
    confirmed: set[str] = set()

    def annotate(*uris: str) -> str | None:
        if annotation_id is None or confirm is None or not any(confirm(u) for u in uris):
            return annotation_id
        confirmed.add(_CONFIRM_ID)
        return _CONFIRM_ID
    text_edits: list[DocumentChange] = []
    changes_map: dict[str, Sequence[types.TextEdit]] = {}
    for change in changes:
        if change.kind not in ("edit", "rename") or change.new_text is None:
            continue
        if not document_changes:
            plain = minimal_text_edits(change.old_text or "", change.new_text, encoding)
            if plain:
                changes_map[change.uri] = plain
            continue
        edits = _edits(change.old_text or "", change.new_text, encoding,
                       annotate(change.uri, change.new_uri or change.uri))
        if edits:
            text_edits.append(_document_edit(change.uri, change.version, edits))
    if not document_changes:
        return types.WorkspaceEdit(changes=changes_map)
    ops: list[DocumentChange] = list(text_edits)
    ops += [
        types.DeleteFile(uri=c.uri, annotation_id=annotate(c.uri), options=_DELETE_OPTIONS)
        for c in changes
        if c.kind == "delete"
    ]
    renames = [(c.uri, c.new_uri or c.uri) for c in changes if c.kind == "rename"]
    sensitive = {
        uri for old, new in renames if annotate(old, new) == _CONFIRM_ID for uri in (old, new)
    }
    ops += [
        types.RenameFile(
            old_uri=old, new_uri=new,
            annotation_id=_CONFIRM_ID if old in sensitive or new in sensitive else annotation_id,
            options=_RENAME_OPTIONS,
        )
        for old, new in order_renames(renames, is_free)
    ]
    for change in changes:
        if change.kind != "create":
            continue
        annotation_of = annotate(change.uri)
        ops.append(types.CreateFile(uri=change.uri, annotation_id=annotation_of,
                                    options=_CREATE_OPTIONS))
        if change.new_text:
            edits = _edits("", change.new_text, encoding, annotation_of)
            ops.append(_document_edit(change.uri, None, edits))
    if not ops:
        return types.WorkspaceEdit(document_changes=[])
    annotations = (
        {annotation_id: types.ChangeAnnotation(label=annotation or "", needs_confirmation=False)}
        if annotation_id
        else None
    )
    if annotations is not None and confirmed:
        annotations[_CONFIRM_ID] = types.ChangeAnnotation(
            label=f"{annotation}: files that make tools run code",
            needs_confirmation=True,
            description="Editor, CI or git-hook configuration: review before applying.",
        )
    return types.WorkspaceEdit(document_changes=ops, change_annotations=annotations)


def order_renames(
    renames: Sequence[tuple[str, str]], is_free: Callable[[str], bool]
) -> list[tuple[str, str]]:
    """Renames in an order where each target is free; a cycle goes through a temporary
    name next to its file that ``is_free`` says nothing uses (nor this edit)."""
    pending = [(old, new) for old, new in renames if old != new]
    taken = {uri for pair in pending for uri in pair}
    ordered: list[tuple[str, str]] = []
    while pending:
        sources = {old for old, _ in pending}
        ready = [pair for pair in pending if pair[1] not in sources]
        if ready:
            ordered.append(ready[0])
            pending.remove(ready[0])
            continue
        old, new = pending[0]  # every target is still a source: a cycle
        temporary = _free_name(old, taken, is_free)
        taken.add(temporary)
        ordered.append((old, temporary))
        pending[0] = (temporary, new)
    return ordered


def _free_name(uri: str, taken: set[str], is_free: Callable[[str], bool]) -> str:
    for number in range(1, _TEMPORARY_TRIES + 1):
        candidate = f"{uri}.iskra-rename" + (f"-{number}" if number > 1 else "")
        if candidate not in taken and is_free(candidate):
            return candidate
    raise UnsupportedEdit(
        f"No free temporary name next to {uri} for a swap of names; nothing was applied."
    )


def _edits(
    old: str, new: str, encoding: str, annotation_id: str | None
) -> list[types.TextEdit | types.AnnotatedTextEdit]:
    edits = minimal_text_edits(old, new, encoding)
    if annotation_id is None:
        return list(edits)
    return [
        types.AnnotatedTextEdit(annotation_id=annotation_id, range=e.range, new_text=e.new_text)
        for e in edits
    ]


def _document_edit(
    uri: str, version: int | None, edits: Sequence[types.TextEdit | types.AnnotatedTextEdit]
) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=list(edits),
    )


def _verbs(kinds: Sequence[str]) -> str:
    words = {"create": "create", "rename": "rename", "delete": "delete"}
    return " or ".join(words[k] for k in kinds)
