"""The language server object: pygls's server plus the Iskra services.

It owns the services (created on first use, after ``initialize`` has been
answered) and implements the :class:`~iskra_ls.actions.apply.EditorPort` the
action runner talks to: open documents, workspace folders, the file-policy
service, the edit coordinator (the only sender of ``workspace/applyEdit``),
progress and the log. Every text it sends the editor is made plain and capped
(:mod:`iskra_ls.plain_text`). It registers no handlers; :mod:`iskra_ls.server` does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from iskra_ls import __version__
from iskra_ls.plain_text import visible
from iskra_ls.protocol import IskraProtocol
from iskra_ls.textdoc import LspTextDocument

if TYPE_CHECKING:
    from iskra_ls.actions.changeset import OpenDocument
    from iskra_ls.actions.coordinator import EditCoordinator
    from iskra_ls.actions.runner import ActionRunner
    from iskra_ls.completion.service import CompletionRequest, CompletionService
    from iskra_ls.file_service import FilePolicy
    from iskra_ls.session import Session
    from iskra_ls.symbols.index import SymbolIndex
    from iskra_ls.symbols.workspace import WorkspaceSymbols

log = logging.getLogger(__name__)

STATUS_NOTIFICATION = "iskra/status"
PROGRESS_CREATE_TIMEOUT_S = 5.0
"""How long ``window/workDoneProgress/create`` may go unanswered before we do without."""
CONFIGURATION_TIMEOUT_S = 5.0
"""How long start-up waits for the editor's ``workspace/configuration`` answer."""
MESSAGE_CHARS = 1_000
PROGRESS_CHARS = 200
LOG_CHARS = 120_000
"""Caps on what one message, progress line or log entry may carry to the editor; every
text also loses control and bidirectional characters (:mod:`iskra_ls.plain_text`)."""


class IskraServer(LanguageServer):
    """pygls server plus the Iskra services."""

    def __init__(self) -> None:
        super().__init__(
            "iskra-ls",
            __version__,
            protocol_cls=IskraProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.initialization_options: dict[str, Any] | None = None
        self._session: Session | None = None
        self._completions: CompletionService | None = None
        self._actions: ActionRunner | None = None
        self._file_policy: tuple[tuple[Any, ...], FilePolicy] | None = None
        self._coordinator: EditCoordinator | None = None
        self._symbols: WorkspaceSymbols | None = None
        self.use_inline = True
        self.use_items = False
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def session(self) -> Session:
        """Settings, token, client, quota; created on first use (after ``initialize``)."""
        if self._session is None:
            from iskra_ls.session import Session

            self._session = Session(self.publish_status, self.show_message)
            if self.initialization_options is not None:
                self._session.apply_settings(
                    self.initialization_options, layer="initializationOptions"
                )
        return self._session

    @property
    def completions(self) -> CompletionService:
        if self._completions is None:
            from iskra_ls.completion.service import CompletionService

            self._completions = CompletionService(self.session)
            # A secret or a file outside the folders (by any name) never reaches Iskra.
            self._completions.is_secret = lambda path: self.file_policy().document_is_secret(path)
            self._completions.related = self.related_chooser
        return self._completions

    @property
    def symbols(self) -> WorkspaceSymbols:
        """The workspace's symbol index and record of recent edits (issue 22)."""
        if self._symbols is None:
            from iskra_ls.symbols.workspace import WorkspaceSymbols

            self._symbols = WorkspaceSymbols()
        return self._symbols

    def symbol_index(self) -> SymbolIndex | None:
        """The index of the current folders under the current file policy: a file the
        policy calls secret or outside the folders (by any name) never enters it. None
        when ``completion.workspaceIndex`` is off (then no walk, watcher or worker runs)."""
        if not self.session.settings.completion.workspace_index:
            self.symbols.close()
            return None
        policy = self.file_policy()
        key = (tuple(str(f) for f in self.workspace_folders()),
               tuple(self.session.settings.actions.secret_globs))
        return self.symbols.index(self.workspace_folders(),
                                  lambda path: not policy.document_is_secret(path), key,
                                  near=self._open_folders)

    def _open_folders(self) -> list[str]:
        """The folders of the open documents (asked from the index's thread: one copy of
        the documents' table, taken whole)."""
        documents = tuple(self.workspace.text_documents.values())
        return [os.path.dirname(d.path) for d in documents if getattr(d, "path", "")]

    def related_chooser(self, request: CompletionRequest) -> Any:
        """The parts from other files for ``request``: read on the loop, chosen anywhere."""
        policy = self.file_policy()
        folders = self.workspace_folders()
        return self.symbols.chooser(
            request.uri, request.snapshot.path,
            [d for d in self.workspace.text_documents.values() if isinstance(d, LspTextDocument)],
            lambda path: not policy.document_is_secret(path),
            folders,
            self.symbol_index() if folders else None,
        )

    @property
    def actions(self) -> ActionRunner:
        if self._actions is None:
            from iskra_ls.actions.runner import ActionRunner

            self._actions = ActionRunner(self.session)
        return self._actions

    @property
    def iskra_protocol(self) -> IskraProtocol:
        assert isinstance(self.protocol, IskraProtocol)
        return self.protocol

    # -- editor-facing helpers ----------------------------------------------------------

    def publish_status(self, payload: dict[str, Any]) -> None:
        if isinstance(payload.get("message"), str):
            payload = {**payload, "message": visible(payload["message"], MESSAGE_CHARS)}
        try:
            self.protocol.notify(STATUS_NOTIFICATION, payload)
        except Exception:  # the transport may be gone during shutdown
            log.debug("could not send status", exc_info=True)

    def show_message(self, level: str, text: str) -> None:
        kind = {
            "error": types.MessageType.Error,
            "warning": types.MessageType.Warning,
        }.get(level, types.MessageType.Info)
        text = visible(text, MESSAGE_CHARS)
        log.log(logging.ERROR if level == "error" else logging.INFO, "%s", text)
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=text))
        except Exception:
            log.debug("could not show a message", exc_info=True)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run a background task, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def document(self, uri: str) -> LspTextDocument | None:
        """The open document of ``uri`` in any spelling (see ``protocol.uri_key``)."""
        doc = self.workspace.text_documents.get(uri)
        return doc if isinstance(doc, LspTextDocument) else None

    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    # -- the runner's EditorPort ---------------------------------------------------------

    def file_policy(self) -> FilePolicy:
        """The workspace's file-policy service: one per folders, secret globs and token
        file (a workspace folder re-pointed elsewhere makes a new one); completions ask it
        which documents may be sent, actions which paths may be used and need consent."""
        from iskra_ls.file_service import FilePolicy, token_file

        folders = self.workspace_folders()
        key = (
            tuple(str(f) for f in folders),
            tuple(self.session.settings.actions.secret_globs),
            tuple(os.path.realpath(f) for f in folders),
            token_file(),
        )
        if self._file_policy is None or self._file_policy[0] != key:
            self._file_policy = (key, FilePolicy(folders, key[1]))
        return self._file_policy[1]

    def open_documents(self) -> dict[str, OpenDocument]:
        from iskra_ls.actions.changeset import OpenDocument

        # Keyed by the URI as the editor opened it: edits must come back in its spelling.
        return {
            doc.uri: OpenDocument(uri=doc.uri, text=doc.source, version=doc.version)
            for doc in self.workspace.text_documents.values()
        }

    def workspace_folders(self) -> list[Path]:
        paths = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        if not paths and self.workspace.root_path:
            paths = [self.workspace.root_path]
        return [Path(p) for p in paths if p]

    def edit_coordinator(self) -> EditCoordinator:
        """The workspace's one sender of ``workspace/applyEdit``; it reads the client's
        edit capabilities once, here (after ``initialize``)."""
        if self._coordinator is None:
            from iskra_ls.actions.coordinator import EditCapabilities, EditCoordinator

            caps = self.client_capabilities.workspace
            edit = caps.workspace_edit if caps else None
            operations = tuple(str(op.value) for op in (edit.resource_operations or [])) \
                if edit else ()
            self._coordinator = EditCoordinator(self._send_apply_edit, EditCapabilities(
                # Resource operations exist only inside documentChanges, so a client that
                # announces them accepts documentChanges (Neovim 0.11/0.12 omit the flag).
                document_changes=bool(edit and (edit.document_changes or operations)),
                resource_operations=operations,
                change_annotations=bool(edit and edit.change_annotation_support),
                encoding=self.encoding(),
            ))
        return self._coordinator

    async def progress_begin(self, title: str) -> Any:
        """Start a progress report as the spec allows; None when the client gets none.

        The client's own ``workDoneToken`` (sent with the command) is used as is.
        Otherwise a token of ours, only for a client with ``window.workDoneProgress``
        and only once it accepted ``window/workDoneProgress/create``.
        """
        token = self.iskra_protocol.client_work_done_token()
        if token is None:
            caps = self.client_capabilities.window
            if not (caps and caps.work_done_progress):
                return None
            token = f"iskra-{new_id()}"
            try:
                await asyncio.wait_for(
                    self.work_done_progress.create_async(token), PROGRESS_CREATE_TIMEOUT_S
                )
            except Exception as error:  # refused or unanswered: no progress, the work goes on
                log.info("no progress report: the client did not accept a token (%r)", error)
                self.work_done_progress.tokens.pop(token, None)
                return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=visible(title, PROGRESS_CHARS), cancellable=True, percentage=0))
        task = asyncio.current_task()
        cancelled = self.work_done_progress.tokens.get(token)
        if cancelled is not None and task is not None:
            cancelled.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)
        return token

    def progress_report(self, token: Any, message: str, percentage: int | None) -> None:
        if token is None:
            return
        self.work_done_progress.report(token, types.WorkDoneProgressReport(
            message=visible(message, PROGRESS_CHARS), percentage=percentage))

    def progress_end(self, token: Any, message: str) -> None:
        if token is None:
            return
        self.work_done_progress.end(
            token, types.WorkDoneProgressEnd(message=visible(message, PROGRESS_CHARS)))
        self.work_done_progress.tokens.pop(token, None)

    async def _send_apply_edit(
        self, label: str, edit: types.WorkspaceEdit
    ) -> tuple[bool, str | None]:
        """The transport of the edit coordinator (its only caller): the editor's answer;
        an error reply (the spec allows one) is "not applied"."""
        try:
            result = await self.workspace_apply_edit_async(
                types.ApplyWorkspaceEditParams(edit=edit, label=label)
            )
        except JsonRpcException as error:
            log.info("workspace/applyEdit answered with an error: %s", error)
            return False, str(getattr(error, "message", "") or error)[:500] or "an error reply"
        if result is None:
            return False, "the editor answered without a result"
        return bool(result.applied), result.failure_reason

    def log_message(self, text: str) -> None:
        """To the editor's log (VS Code's output channel, Neovim's ``:LspLog``)."""
        text = visible(text, LOG_CHARS, lines=True)
        log.info("%s", text)
        try:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Log,
                                                           message=text))
        except Exception:
            log.debug("could not send a log message", exc_info=True)

    async def pull_configuration(self) -> None:
        caps = self.client_capabilities.workspace
        if not (caps and caps.configuration):
            return
        try:
            # Time-limited: a client that never answers must not hold up the start-up
            # (/auth/me, the token watch); we go on with the settings we have.
            result = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section="iskra")])
                ),
                CONFIGURATION_TIMEOUT_S,
            )
        except TimeoutError:
            log.warning(
                "the editor did not answer workspace/configuration within %g s; "
                "going on with the settings we have", CONFIGURATION_TIMEOUT_S,
            )
            return
        except Exception:
            log.warning("workspace/configuration failed", exc_info=True)
            return
        if result and isinstance(result[0], dict):
            self.session.apply_settings(result[0])
        elif result and result[0] is None:  # no `iskra` section (any more): the lower layers
            self.session.apply_settings({})


def new_id() -> str:
    return uuid.uuid4().hex[:12]
