"""pygls protocol fixes this server needs.

- Documents use :class:`~iskra_ls.textdoc.LspTextDocument` (LSP line breaks
  only; pygls 2.1.1 splits on ``\\f``, ``\\u2028``... and corrupts edits).
- Open documents are found by any spelling of their URI: pygls keys them by
  the decoded URI and callers looked them up by the editor's encoded one, so
  ``my file.py``, ``проект/main.py``, ``c#/x.py`` and every Windows file
  (``file:///c%3A/...``) had no completion and no action. One key function,
  :func:`uri_key`, is used for every lookup; each document keeps the URI the
  editor opened it with, which is what replies carry.
- ``$/cancelRequest`` for a ``workspace/executeCommand`` cancels the command's
  own task: pygls only cancels its wrapper, so the command would keep running
  and could still apply edits after the user cancelled.
- A client reply that arrives after we stopped waiting for it (its waiter was
  cancelled) is dropped quietly instead of surfacing as "Error in server".
- pygls 2.1.1 keeps the future of every notification handler (and of every
  handler a built-in generator calls) in ``_request_futures`` under a fresh
  uuid and never removes it: about 2 KB per ``didChange``. Finished ones are
  dropped here.
- Every outgoing message passes :func:`iskra_ls.logs.mask_secret_bytes` at the
  writer: results, errors, notifications and progress, so the token never
  reaches the editor even when the service echoes it in an error body.
- Every request is answered: one whose params do not fit the method (a
  negative position) gets ``InvalidParams`` instead of silence (pygls drops a
  message it cannot structure); one before ``initialize`` gets
  ``ServerNotInitialized`` and one after ``shutdown`` ``InvalidRequest``
  (:mod:`iskra_ls.lifecycle`). No notification pops up "Error in server": a
  ``didChange`` for a document that was never opened is logged, one whose change
  has ``"range": null`` replaces the whole text, one that cannot be read is logged.
- The ``workDoneToken`` a client sends with ``workspace/executeCommand`` is
  kept for the command (pygls drops it), so its progress uses the client's token.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

from iskra_ls.lifecycle import LifecycleGate
from iskra_ls.logs import mask_secret_bytes
from iskra_ls.textdoc import LspTextDocument

log = logging.getLogger(__name__)


_DRIVE = re.compile(r"^/[A-Za-z]:")


def uri_key(uri: str) -> str:
    """One spelling per document URI: decoded once, re-encoded one fixed way.

    ``file:///c%3A/a%20b.py``, ``file:///C:/a b.py`` and ``FILE:///c:/a%20b.py``
    share a key; ``a%2520b.py`` (a file really named ``a%20b.py``) keeps its own.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    path = unquote(parts.path)
    if scheme == "file":
        netloc = "" if netloc.lower() == "localhost" else netloc.lower()
        if _DRIVE.match(path):
            path = "/" + path[1].lower() + path[2:]
    return urlunsplit((
        scheme,
        netloc,
        quote(path, safe="/"),
        quote(unquote(parts.query), safe="=&"),
        quote(unquote(parts.fragment), safe=""),
    ))


class DocumentMap(dict[str, TextDocument]):
    """Open documents by :func:`uri_key`: any spelling of a URI finds its document."""

    def __getitem__(self, uri: str) -> TextDocument:
        return super().__getitem__(uri_key(uri))

    def __setitem__(self, uri: str, document: TextDocument) -> None:
        super().__setitem__(uri_key(uri), document)

    def __delitem__(self, uri: str) -> None:
        super().__delitem__(uri_key(uri))

    def __contains__(self, uri: object) -> bool:
        return isinstance(uri, str) and super().__contains__(uri_key(uri))

    def get(self, uri: str, default: Any = None) -> Any:
        return super().get(uri_key(uri), default)

    def pop(self, uri: str, *default: Any) -> Any:
        return super().pop(uri_key(uri), *default)


class IskraWorkspace(Workspace):
    """pygls's workspace with :class:`LspTextDocument` and URI-spelling-proof lookups.

    pygls's own methods key by ``unquote(uri)``; they are replaced so that a URI
    is decoded exactly once (``a%2520b.py`` is not ``a b.py``).
    """

    @property
    def _text_documents(self) -> DocumentMap:
        # A property, because the protocol turns a plain Workspace into this class
        # after pygls has filled the instance's plain dict.
        documents = self.__dict__.get("_text_documents")
        if not isinstance(documents, DocumentMap):
            adopted = DocumentMap()
            for document in (documents or {}).values():
                adopted[document.uri] = document
            self.__dict__["_text_documents"] = documents = adopted
        return documents

    @_text_documents.setter
    def _text_documents(self, documents: dict[str, TextDocument]) -> None:
        adopted = DocumentMap()
        for document in documents.values():
            adopted[document.uri] = document
        self.__dict__["_text_documents"] = adopted

    def find_text_document(self, uri: str) -> TextDocument | None:
        """The open document with this URI (in any spelling), or None."""
        document: TextDocument | None = self._text_documents.get(uri)
        return document

    def get_text_document(self, doc_uri: str) -> TextDocument:
        return self._text_documents.get(doc_uri) or self._create_text_document(doc_uri)

    def put_text_document(
        self, text_document: types.TextDocumentItem, notebook_uri: str | None = None
    ) -> None:
        self._text_documents[text_document.uri] = self._create_text_document(
            text_document.uri,
            source=text_document.text,
            version=text_document.version,
            language_id=text_document.language_id,
        )
        if notebook_uri:
            self._cell_in_notebook[unquote(text_document.uri)] = unquote(notebook_uri)

    def remove_text_document(self, doc_uri: str) -> None:
        self._text_documents.pop(doc_uri, None)
        self._cell_in_notebook.pop(unquote(doc_uri), None)

    def update_text_document(
        self,
        text_doc: types.VersionedTextDocumentIdentifier,
        change: types.TextDocumentContentChangeEvent,
    ) -> None:
        document = self._text_documents[text_doc.uri]
        document.apply_change(change)
        document.version = text_doc.version

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


_COMMAND_TOKEN: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "iskra_command_work_done_token", default=None
)
"""(request id, ``workDoneToken``) of the ``executeCommand`` being handled; the command's
task inherits it, as it inherits pygls's request id."""

_ANSWERED = object()
"""What :meth:`IskraProtocol.structure_message` returns for a request it already answered."""


class MaskingWriter:
    """Wraps pygls's writer: every byte that goes to the editor is masked first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def write(self, data: bytes) -> Any:
        return self.inner.write(mask_secret_bytes(data))

    def close(self) -> Any:
        return self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class IskraProtocol(LanguageServerProtocol):
    """LanguageServerProtocol with the fixes above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.command_tasks: dict[Any, asyncio.Task[Any]] = {}
        """Running command tasks by request id, so ``$/cancelRequest`` reaches them."""
        self.lifecycle = LifecycleGate()
        """Answers requests before ``initialize`` and after ``shutdown`` as the spec says."""
        super().__init__(*args, **kwargs)

    @property
    def _workspace(self) -> Workspace | None:
        return self.__dict__.get("_iskra_workspace")

    @_workspace.setter
    def _workspace(self, workspace: Workspace | None) -> None:
        if workspace is not None and type(workspace) is Workspace:
            workspace.__class__ = IskraWorkspace
        self.__dict__["_iskra_workspace"] = workspace

    def set_writer(self, writer: Any, include_headers: bool = True) -> None:
        """The one send path: wrap the transport so nothing leaves unmasked."""
        if not isinstance(writer, MaskingWriter):
            writer = MaskingWriter(writer)
        super().set_writer(writer, include_headers)

    def structure_message(self, data: dict[str, Any]) -> Any:
        """As pygls, but every request is answered and no notification pops up an error.

        A request before ``initialize`` or after ``shutdown`` gets the spec's error
        (:class:`~iskra_ls.lifecycle.LifecycleGate`); one whose params cannot be read
        gets ``InvalidParams`` (pygls would drop it); a notification that cannot be
        read is logged (pygls would show "Error in server").
        """
        method = data.get("method") if "jsonrpc" in data else None
        if isinstance(method, str) and "result" not in data and "error" not in data:
            refusal = self.lifecycle.refusal(method, "id" in data)
            if refusal is not None:
                if "id" in data:
                    self._send_response(data["id"], error=refusal.to_response_error())
                else:
                    log.info("dropping %s: %s", method[:100], refusal.message)
                return _ANSWERED
            if method == types.TEXT_DOCUMENT_DID_CHANGE:
                _no_null_ranges(data)
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "method" not in data or "result" in data:
                raise
            reason = _first_reason(error.__cause__) or error.message
            if "id" not in data:
                log.warning("ignoring %s: its params cannot be read (%s)", data["method"], reason)
                return _ANSWERED
            log.warning("invalid params for %s: %s", data.get("method"), reason)
            answer = (
                JsonRpcInvalidParams(f"Invalid params for {data['method']}: {reason}")
                if isinstance(error, JsonRpcInvalidParams)
                else error
            )
            self._send_response(data["id"], error=answer.to_response_error())
            return _ANSWERED

    def handle_message(self, message: Any) -> None:
        if message is _ANSWERED:
            return
        super().handle_message(message)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        """pygls's handler, but a change to a document never opened is logged and ignored."""
        try:
            yield from super().lsp_text_document__did_change(params)
        except KeyError:
            log.warning(
                "ignoring a change to %s: the editor never opened it", params.text_document.uri
            )

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams) -> Any:
        """pygls's handler; the client's ``workDoneToken`` is kept for the command's progress."""
        _COMMAND_TOKEN.set((self.msg_id, params.work_done_token))
        return (yield from super().lsp_workspace__execute_command(params))

    def client_work_done_token(self) -> Any:
        """The ``workDoneToken`` the client sent with the command being run, if any."""
        current = _COMMAND_TOKEN.get()
        if current is None or current[0] != self.msg_id:
            return None
        return current[1]

    def track_command(self, task: asyncio.Task[Any]) -> None:
        """Remember the running command under the current request id."""
        msg_id = self.msg_id
        if msg_id is None:
            return
        self.command_tasks[msg_id] = task
        task.add_done_callback(lambda _t: self.command_tasks.pop(msg_id, None))

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        task = self.command_tasks.pop(msg_id, None)
        if task is not None and not task.done():
            log.info("cancelling command of request %s", msg_id)
            task.cancel()
        super()._handle_cancel_notification(msg_id)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any,
                         args: Any = None, kwargs: Any = None) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: Any, future: Any) -> None:
        # Later, not now: pygls may be iterating the dict (shutdown cancels them all).
        try:
            asyncio.get_running_loop().call_soon(self._drop, msg_id, future)
        except RuntimeError:  # a worker thread: leave it (we run no thread handlers)
            pass

    def _drop(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            self._request_futures.pop(msg_id, None)
            log.debug("dropping a late reply to request %s", msg_id)
            return
        super()._handle_response(msg_id, result, error)


def _no_null_ranges(data: dict[str, Any]) -> None:
    """``"range": null`` in a ``didChange`` means no range: the change is the whole text."""
    params = data.get("params")
    changes = params.get("contentChanges") if isinstance(params, dict) else None
    for change in changes if isinstance(changes, list) else []:
        if isinstance(change, dict) and "range" in change and change["range"] is None:
            del change["range"]
            change.pop("rangeLength", None)


def _first_reason(error: BaseException | None) -> str:
    """The first leaf message of a cattrs validation error (e.g. a negative line)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return str(error) if error is not None else ""
