"""One action's file tools, and the edits they have made so far, as ONE workspace edit.

The model works through file tools; nothing it does touches the disk. Reads
see the editor's unsaved text for open documents, the disk otherwise, with
this action's earlier edits applied (:mod:`iskra_ls.actions.vfs`); edits are
recorded there and, at the end, become ONE ``WorkspaceEdit``
(:meth:`ChangeSet.to_workspace_edit`) that the editor applies -- so the user
can undo or review it as one change. Just before, every file the action used
is checked against what the model saw and every target path is resolved again
(:mod:`iskra_ls.actions.snapshot`).

Each file is tracked by its *origin* (the path it had before the action), so
"edit, then rename, then edit again" becomes one versioned text edit against
the text the editor has, followed by one rename. Renaming or deleting folders
is refused; so is any resource operation the editor cannot apply.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence

from lsprotocol import types
from pygls.uris import from_fs_path

from iskra_ls.actions.fileio import scan_directory
from iskra_ls.actions.matching import conform_text, line_of, replace_unique
from iskra_ls.actions.paths import PathRefused, ResolvedPath
from iskra_ls.actions.snapshot import ApplyRefused, changed_paths, refused_targets
from iskra_ls.actions.tools import (
    CreateFileOrFolder,
    DeleteFile,
    ListDirectory,
    ReadFile,
    RenameFile,
    ReplaceInFile,
    ToolArgs,
    ToolError,
    WriteFile,
)
from iskra_ls.actions.vfs import Entry, OpenDocument, VirtualWorkspace, child_of, path_of_uri
from iskra_ls.edits import FileChange, build_workspace_edit, changed_spans
from iskra_ls.plain_text import short_name
from iskra_ls.textdoc import split_lines

__all__ = ["ChangeSet", "OpenDocument"]

log = logging.getLogger(__name__)

MAX_LISTED = 500


class ChangeSet(VirtualWorkspace):
    """The workspace as the model sees it during one action, plus its pending edits."""

    # -- tools ---------------------------------------------------------------

    def run(self, args: ToolArgs) -> str:
        """Carry out one tool call; reads return text, edits a short confirmation."""
        try:
            if isinstance(args, ReadFile):
                return self._read(args)
            if isinstance(args, ListDirectory):
                return self._list(args)
            if isinstance(args, CreateFileOrFolder):
                return self._create(args)
            if isinstance(args, WriteFile):
                return self._write(args)
            if isinstance(args, ReplaceInFile):
                return self._replace(args)
            if isinstance(args, DeleteFile):
                return self._delete(args)
            if isinstance(args, RenameFile):
                return self._rename(args)
        except PathRefused as error:
            raise ToolError(f"Refused: {error}") from None
        raise ToolError(f"Unsupported tool arguments: {type(args).__name__}.")

    def _check_change(self, target: ResolvedPath) -> None:
        """Refuse a change the user must consent to but cannot be asked about."""
        if self._guard is None:
            return
        reason = self._guard(target)
        if reason is not None:
            self.refusals.append(reason)
            raise ToolError(f"Refused: {reason}")

    def _read(self, args: ReadFile) -> str:
        target = self._policy.resolve(args.uri)
        self._require_file(target)
        text = self._text(target)
        if text == "":
            return "[empty file]"
        lines = split_lines(text)
        if lines[-1] == "":
            lines.pop()
        total = len(lines)
        first = args.start_line or 1
        last = min(args.end_line or total, total)
        if first > total:
            raise ToolError(
                f"start_line {first} is past the end of {target.display} ({total} lines)."
            )
        shown: list[str] = []
        size = 0
        for number in range(first, last + 1):
            line = lines[number - 1]
            if size + len(line) > self._max_answer and shown:
                break
            shown.append(line[: self._max_answer])
            size += len(line)
        end = first + len(shown) - 1
        body = "".join(shown)
        if end < last or len(shown[-1]) < len(lines[end - 1]):
            cut = " (a long line was cut)" if len(shown[-1]) < len(lines[end - 1]) else ""
            return (
                f"{_ensure_newline(body)}[truncated{cut}: lines {first}-{end} of {total} shown; "
                f"read on with start_line={end + 1}]"
            )
        if args.start_line or args.end_line:
            return f"{_ensure_newline(body)}[lines {first}-{end} of {total}]"
        return body

    def _list(self, args: ListDirectory) -> str:
        target = self._policy.resolve(args.uri)
        kind = self._kind(str(target.path))
        if kind is None:
            raise ToolError(f"{target.display} does not exist.")
        if kind == "file":
            raise ToolError(f"{target.display} is a file; use read_file.")
        folder = str(target.path)
        scanned, more = scan_directory(folder)
        entries: dict[str, bool] = {}
        secret = self._policy.secret_entries(
            folder, {name: is_link for name, _is_dir, is_link in scanned})
        for entry_name, is_dir, is_link in scanned:
            if entry_name in secret or (is_link and not self._policy.allows(
                    os.path.join(folder, entry_name))):
                continue  # a secret, or a link out of the workspace: not shown
            entries[entry_name] = is_dir
        for path, entry in self._overlay.items():
            name, deeper = child_of(folder, path)
            if name is None:
                continue
            if deeper:
                if entry is not None:
                    entries[name] = True
            elif entry is None:
                if self._kind(path) is None:
                    entries.pop(name, None)
            else:
                entries[name] = False
        for path in self._folders:
            name, _ = child_of(folder, path)
            if name is not None:
                entries[name] = True
        on_disk = {name for name, _is_dir, _is_link in scanned}
        secret |= self._policy.secret_entries(  # names this action created
            folder, {name: False for name in entries if name not in on_disk})
        visible = sorted(
            (name + "/" if is_dir else name)
            for name, is_dir in entries.items()
            if name not in secret
        )
        partial = (
            f"\n[the folder is large: only the first {len(scanned)} entries were looked at; "
            "list sub-folders or read files you know by name]" if more else ""
        )
        if not visible:
            return "[empty folder]" + partial
        if len(visible) > MAX_LISTED:
            hidden = len(visible) - MAX_LISTED
            return ("\n".join(visible[:MAX_LISTED]) + f"\n[{hidden} more entries not shown]"
                    + partial)
        return "\n".join(visible) + partial

    def _create(self, args: CreateFileOrFolder) -> str:
        target = self._policy.resolve(args.uri)
        path = str(target.path)
        if target.is_root:
            raise ToolError("The workspace root already exists.")
        kind = self._kind(path)
        if kind is not None:
            what = "folder" if kind == "dir" else "file"
            hint = "" if kind == "dir" else "; use write_file or replace_in_file to change it"
            raise ToolError(f"{target.display} already exists as a {what}{hint}.")
        self._require_parent(target)
        self._check_change(target)
        if target.trailing_slash:
            if args.content:
                raise ToolError("A folder (uri ending with '/') cannot have content.")
            self._folders.append(path)
            return f"Created folder {target.display}/."
        content = args.content or ""
        self._put_new(path, content)
        return f"Created {target.display} ({_lines(content)})."

    def _write(self, args: WriteFile) -> str:
        target = self._policy.resolve(args.uri)
        path = str(target.path)
        kind = self._kind(path)
        if kind == "dir":
            raise ToolError(f"{target.display} is a folder.")
        self._check_change(target)
        if kind is None:
            self._require_parent(target)
            self._put_new(path, args.content)
            return f"Created {target.display} ({_lines(args.content)})."
        old = self._text(target)
        new = conform_text(args.content, old)
        if new == old:
            return f"{target.display} already has this content; nothing changed."
        changed_spans(old, new)  # the diff the edit needs: bounded here, in the worker
        self._put(path, new)
        return f"Wrote {target.display} ({_lines(new)})."

    def _replace(self, args: ReplaceInFile) -> str:
        target = self._policy.resolve(args.uri)
        self._require_file(target)
        self._check_change(target)
        old = self._text(target)
        new, match = replace_unique(old, args.search, args.replace, name=target.display)
        line = line_of(old, match.start)
        if new == old:
            return f"replace equals the text at line {line} of {target.display}; nothing changed."
        self._put(str(target.path), new)
        how = "" if match.tier == "exact" else f" (matched ignoring {match.tier.replace('-', ' ')})"
        return f"Replaced 1 place in {target.display} at line {line}{how}."

    def _delete(self, args: DeleteFile) -> str:
        target = self._policy.resolve(args.uri)
        if self._kind(str(target.path)) == "dir":
            raise ToolError(f"{target.display} is a folder; delete_file removes files only.")
        self._require_file(target)
        self._require_operation("delete", "delete files")
        self._check_change(target)
        path = str(target.path)
        entry = self._overlay.get(path)
        origin = path if entry is None else entry.origin
        if origin is not None and origin not in self._originals:
            self.snapshots.saw_file(origin)
        self._overlay[path] = None
        self._vacated.add(path)
        return f"Deleted {target.display}."

    def _rename(self, args: RenameFile) -> str:
        source = self._policy.resolve(args.uri, allow_link=False)  # a moved link re-points
        target = self._policy.resolve(args.new_uri)
        if self._kind(str(source.path)) == "dir":
            raise ToolError(f"{source.display} is a folder; only files can be renamed.")
        self._require_file(source)
        if source.path == target.path:
            raise ToolError("uri and new_uri are the same file.")
        if target.trailing_slash or target.is_root:
            raise ToolError("new_uri must be a file path (including the file name).")
        if self._kind(str(target.path)) is not None:
            raise ToolError(f"{target.display} already exists; choose another name.")
        self._require_parent(target)
        self._require_operation("rename", "rename files")
        self._check_change(source)
        self._check_change(target)
        if os.path.islink(str(source.path)):
            raise ToolError(f"{source.display} is a symbolic link; links are not moved.")
        old, new = str(source.path), str(target.path)
        entry = self._overlay.get(old) or Entry(origin=old, text=None)
        if entry.origin is not None and entry.origin not in self._originals:
            self.snapshots.saw_file(entry.origin)
        if not self._existed(new):
            self.snapshots.saw_absent(new)
        self._overlay[old] = None
        self._vacated.add(old)
        self._overlay[new] = entry
        return f"Renamed {source.display} to {target.display}."

    # -- results ------------------------------------------------------------

    def changes(self, open_now: Mapping[str, OpenDocument] | None = None) -> list[FileChange]:
        """The net change of every file, against the text the model saw.

        ``open_now`` (by absolute path) are the documents open at apply time: their
        current versions and URIs go into the edit (checked to match the snapshots by
        :func:`~iskra_ls.actions.snapshot.changed_paths` first).
        """
        documents = self._open if open_now is None else open_now

        def uri(path: str) -> str:
            document = documents.get(path)
            return document.uri if document is not None else str(from_fs_path(path))

        alive = {p: e for p, e in self._overlay.items() if e is not None}
        origins = {e.origin for e in alive.values() if e.origin is not None}
        out: list[FileChange] = []
        for path, entry in alive.items():
            if entry.origin is None:
                out.append(FileChange("create", uri(path), new_text=entry.text))
                continue
            old = self._originals.get(entry.origin)
            if old is None and entry.text is not None:
                old = self._original(entry.origin, self._policy.display_of(entry.origin))
            new = entry.text if entry.text is not None and entry.text != old else None
            document = documents.get(entry.origin)
            version = document.version if document is not None else None
            if path != entry.origin:
                source = uri(entry.origin)
                out.append(FileChange("rename", source, old, new, version, uri(path)))
            elif new is not None:
                out.append(FileChange("edit", uri(path), old, new, version))
        for path in sorted(self._vacated - origins):
            if self._existed(path):
                out.append(FileChange("delete", uri(path)))
        return out

    def target_real_paths(self) -> list[str]:
        """The real paths of :meth:`target_paths`, as the edit coordinator knows files."""
        return sorted({os.path.realpath(path) for path in self.target_paths()})

    def target_paths(self) -> set[str]:
        """Every path the edit will touch: sources, targets, created and deleted files."""
        paths = set(self._vacated)
        for path, entry in self._overlay.items():
            if entry is not None:
                paths.add(path)
                if entry.origin is not None:
                    paths.add(entry.origin)
        return paths

    @property
    def empty(self) -> bool:
        """True when there is nothing to send to the editor."""
        return not self.changes()

    def summary(self) -> list[str]:
        """One line per change, for the user: ``edit a.py``, ``create tests/test_a.py``..."""
        lines: list[str] = []
        for change in self.changes():
            name = self._display_uri(change.uri)
            if change.kind == "rename":
                edited = " (edited)" if change.new_text is not None else ""
                lines.append(f"rename {name} → {self._display_uri(change.new_uri or '')}{edited}")
            else:
                lines.append(f"{change.kind} {name}")
        for folder in self._folders:
            display = self._policy.display_of(folder)
            has_files = any(
                p.startswith(folder + os.sep) and e is not None for p, e in self._overlay.items()
            )
            note = "" if has_files else " (empty: LSP cannot create empty folders, not created)"
            lines.append(f"create folder {display}/{note}")
        return lines

    def to_workspace_edit(
        self,
        *,
        encoding: str,
        document_changes: bool,
        resource_operations: Sequence[str] = ("create", "rename", "delete"),
        annotation: str | None = None,
        open_now: Mapping[str, OpenDocument] | None = None,
        confirm: Callable[[str], bool] | None = None,
    ) -> types.WorkspaceEdit:
        """All edits as one ``WorkspaceEdit``, checked against the workspace as it is now.

        ``open_now`` (by URI) are the editor's documents at apply time. Raises
        :class:`~iskra_ls.actions.snapshot.ApplyRefused` naming the files that
        changed since the model saw them or whose path the policy now refuses,
        ``UnsupportedEdit`` if the client cannot apply it. ``confirm(uri)`` marks
        the changes of that file ``needsConfirmation``. Blocking: run it in a worker.
        """
        current: dict[str, OpenDocument] | None = None
        if open_now is not None:
            current = {}
            for uri, document in open_now.items():
                path = path_of_uri(uri)
                if path is not None:
                    current[path] = document
            stale = changed_paths(self.snapshots, current, self._policy.max_read_bytes)
            if stale:
                names = ", ".join(self._policy.display_of(p) for p in stale)
                raise ApplyRefused(
                    f"{names} changed while Iskra worked (in the editor or on disk); "
                    "nothing was applied. Run the action again."
                )
        refused = refused_targets(self._policy, self.target_paths(), self._guard)
        if refused:
            names = ", ".join(short_name(self._policy.display_of(path)) for path, _ in refused)
            log.warning("targets refused at apply time: %s",
                        [short_name(reason, 300) for _, reason in refused])
            raise ApplyRefused(
                f"{names} can no longer be written safely (it changed while Iskra worked: "
                f"{short_name(refused[0][1], 200)}); nothing was applied."
            )
        return build_workspace_edit(
            self.changes(current),
            encoding=encoding,
            document_changes=document_changes,
            resource_operations=resource_operations,
            annotation=annotation,
            confirm=confirm,
            is_free=self._is_free,
        )

    def _is_free(self, uri: str) -> bool:
        """Whether a temporary name for a rename cycle is used by nothing, on disk or here."""
        path = path_of_uri(uri)
        if path is None or path in self._overlay or path in self._open or os.path.lexists(path):
            return False
        try:
            self._policy.resolve(path)  # inside the workspace, not secret, no link out
        except PathRefused:
            return False
        return True

    def _display_uri(self, uri: str) -> str:
        path = path_of_uri(uri)
        return self._policy.display_of(path) if path else uri


def _ensure_newline(text: str) -> str:
    return text if text.endswith(("\n", "\r")) else text + "\n"


def _lines(text: str) -> str:
    lines = split_lines(text)
    count = len(lines) - (1 if lines[-1] == "" else 0)
    return "1 line" if count == 1 else f"{count} lines"
