"""The last step of an action: in the workspace's turn, check, build and send ONE
``workspace/applyEdit`` (through the edit coordinator), then say truthfully what happened.

* The edit is built in a worker thread (:mod:`iskra_ls.actions.worker`), right
  after every touched file was checked against what the model saw and every
  target path was resolved again (:mod:`iskra_ls.actions.snapshot`): a file that
  changed means nothing is applied, and the message names it.
* One edit at a time per workspace (:mod:`iskra_ls.actions.coordinator`): an
  action whose turn comes after another's edit landed on one of its files is
  refused, even when the disk still shows the old text.
* Sending the edit is the point of no return. Once ``workspace/applyEdit`` is
  out, a cancel (``$/cancelRequest`` or the progress's cancel button) no longer
  stops anything: the answer is awaited (shielded) and reported as it is.
* An error reply is "not applied" with its reason; an editor that never answers
  gets ``actions.applyTimeoutS`` seconds, then a message that says the outcome is
  unknown and which files to check.
* The model's final answer is summarised for the message (first paragraph, no
  code, plain text: no control or bidirectional characters, no link; capped), and
  the whole message -- the model's words, the changed files, what was refused --
  is capped (:data:`MESSAGE_CHARS`); the full answer goes to the editor's log
  (``window/logMessage``).

The editor is reached through :class:`EditorPort`; no pygls server import here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from iskra_ls.actions.changeset import ChangeSet, OpenDocument
from iskra_ls.actions.coordinator import EditCoordinator, Prepared
from iskra_ls.actions.snapshot import ApplyRefused
from iskra_ls.actions.tools import ToolError
from iskra_ls.actions.worker import BUILD_TIME_LIMIT_S, run_in_worker
from iskra_ls.file_service import FilePolicy
from iskra_ls.plain_text import model_text, short_name, visible

log = logging.getLogger(__name__)

SUMMARY_CHARS = 300
"""The model's final answer as shown in the message (the log has the rest)."""

MESSAGE_CHARS = 800
"""The whole final message: the model's words, the changed files and what was refused."""

FILES_CHARS = 300
"""The list of changed files in the final message (the rest are counted)."""

LOG_CHARS = 100_000
"""The model's final answer as written to the editor's log."""


class EditorPort(Protocol):
    """What the runner needs from the editor connection."""

    def open_documents(self) -> Mapping[str, OpenDocument]: ...
    def workspace_folders(self) -> list[Path]: ...
    def file_policy(self) -> FilePolicy:
        """The workspace's secret and consent rules (one per workspace, cached)."""
        ...
    def edit_coordinator(self) -> EditCoordinator:
        """The workspace's one sender of ``workspace/applyEdit`` (and its capabilities)."""
        ...
    async def progress_begin(self, title: str) -> Any: ...
    def progress_report(self, token: Any, message: str, percentage: int | None) -> None: ...
    def progress_end(self, token: Any, message: str) -> None: ...
    def log_message(self, text: str) -> None:
        """Write to the editor's log (output channel, ``:LspLog``), not a popup."""
        ...


@dataclass
class ActionOutcome:
    applied: bool
    message: str
    changes: list[str] = field(default_factory=list)
    steps: int = 0
    reported: bool = False
    """The session already showed this failure (rate-limited): don't show it again."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "message": self.shown(),
            "changes": [short_name(line, 300) for line in self.changes],
            "steps": self.steps,
        }

    def shown(self) -> str:
        """The message as the user sees it: plain, one line, at most ``MESSAGE_CHARS``."""
        return visible(self.message, MESSAGE_CHARS)


async def apply_changes(
    editor: EditorPort,
    changes: ChangeSet,
    *,
    title: str,
    final_text: str,
    steps: int,
    apply_timeout: float,
    confirm: Callable[[str], bool] | None,
    waiting: Callable[[str], None] | None = None,
) -> ActionOutcome:
    """Wait for the workspace's turn, check, build, send; ``confirm(uri)`` marks a file's
    changes needsConfirmation, ``waiting(what)`` is told when another edit is out first."""
    said = summarise(final_text)
    if said.endswith(_IN_LOG):
        editor.log_message(f"Iskra: {title}: the model's full answer:\n{final_text[:LOG_CHARS]}")
    refused = _refusals(changes)
    summary: list[str] = []
    coordinator = editor.edit_coordinator()
    caps = coordinator.capabilities

    async def prepare() -> Prepared:
        """Runs in the workspace's turn: after the previous edit's answer came."""
        stale = coordinator.landed_since(changes.snapshots.seen_at)
        if stale:
            names = ", ".join(short_name(changes.display_of(changes.snapshots.real_to_path[p]))
                              for p in stale)
            raise ApplyRefused(f"{names} changed (another Iskra action edited it) while this "
                               "one worked; nothing was applied. Run the action again.")
        open_now = dict(editor.open_documents())

        def build() -> Prepared:
            edit = changes.to_workspace_edit(
                encoding=caps.encoding,
                document_changes=caps.document_changes,
                resource_operations=caps.resource_operations,
                annotation=f"Iskra: {title}" if caps.change_annotations else None,
                open_now=open_now,
                confirm=confirm if caps.change_annotations else None,
            )
            return Prepared(edit, changes.target_real_paths())

        return await run_in_worker(changes, build, timeout=BUILD_TIME_LIMIT_S,
                                   what="Preparing the edit")

    try:
        summary = await run_in_worker(changes, changes.summary, timeout=BUILD_TIME_LIMIT_S,
                                      what="Listing the changes")
        if not summary or all(line.startswith("create folder") for line in summary):
            message = _join(said or "The model made no changes.", refused)
            return ActionOutcome(False, message, summary, steps)
        answer = await coordinator.apply(f"Iskra: {title}", prepare, timeout=apply_timeout,
                                         waiting=waiting)
    except (ApplyRefused, ToolError) as error:  # stale, unsupported, too slow
        text = str(error)
        if "nothing was applied" not in text.lower():
            text += " Nothing was applied."
        return ActionOutcome(False, _join(text, refused), summary, steps)
    except Exception:  # a bug must not leave the action without an answer
        log.exception("building the workspace edit failed")
        return ActionOutcome(False, "Iskra could not prepare the edit (see the log); nothing "
                             "was applied.", summary, steps)
    applied, reason, cancelled = answer.applied, answer.reason, answer.cancelled
    files = listed(summary)
    late = "You cancelled after the edit had been sent to the editor. " if cancelled else ""
    if applied is None:
        what = (f"The edit request failed ({reason})" if reason else
                f"The editor did not answer the edit request within {apply_timeout:g} s")
        return ActionOutcome(False, _join(
            f"{late}{what}; it may or may not have applied it. Check: {files}.", refused),
            summary, steps)
    if not applied:
        why = f": {reason[:300]}" if reason else ""
        return ActionOutcome(
            False, _join(f"{late}The editor did not apply the edit{why}.", refused), summary, steps
        )
    done = f"{late}The edit was applied. " if cancelled else ""
    message = f"{done}{said or 'Done.'} ({files})"
    return ActionOutcome(True, _join(message, refused), summary, steps)


_FENCE = re.compile(r"^\s*(```|~~~)")
_IN_LOG = " (full answer in the log)"


def summarise(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The first paragraph of prose, on one line, without code; at most ``limit`` chars."""
    paragraph: list[str] = []
    in_code = False
    for line in text.strip().splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            if paragraph:
                break
            continue
        if in_code:
            continue
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
        if sum(map(len, paragraph)) > limit:
            break
    said = model_text(" ".join(paragraph).replace("`", ""), 4 * limit)
    if len(said) > limit:
        cut = said[: limit - 1]
        said = (cut[: cut.rfind(" ")] if " " in cut[limit // 2 :] else cut).rstrip() + "…"
    if said and len(text.strip()) > len(said) + 20:
        said += _IN_LOG
    return said


def _refusals(changes: ChangeSet) -> str:
    if not changes.refusals:
        return ""
    reasons = list(dict.fromkeys(changes.refusals))
    return f"Not changed: {listed(reasons, limit=FILES_CHARS, item=lambda r: visible(r, 300))}"


def listed(lines: list[str], limit: int = FILES_CHARS,
           item: Callable[[str], str] = lambda line: short_name(line, 120)) -> str:
    """Lines for a message, ``; ``-joined: each shortened, as many as fit, the rest counted."""
    shown: list[str] = []
    used = 0
    for position, line in enumerate(lines):
        text = item(line)
        if shown and used + len(text) > limit:
            return "; ".join(shown) + f" (+{len(lines) - position} more)"
        shown.append(text)
        used += len(text) + 2
    return "; ".join(shown)


def _join(message: str, refused: str) -> str:
    return f"{message} {refused}".strip() if refused else message
