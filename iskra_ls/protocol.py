"""pygls protocol fixes this server needs.

- Documents use :class:`~iskra_ls.textdoc.LspTextDocument` (LSP line breaks
  only; pygls 2.1.1 splits on ``\\f``, ``\\u2028``... and corrupts edits).
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
  message it cannot structure), and a ``didChange`` for a document that was
  never opened is logged instead of surfacing as "Error in server: KeyError".
- The ``workDoneToken`` a client sends with ``workspace/executeCommand`` is
  kept for the command (pygls drops it), so its progress uses the client's token.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

from iskra_ls.logs import mask_secret_bytes
from iskra_ls.textdoc import LspTextDocument

log = logging.getLogger(__name__)


class IskraWorkspace(Workspace):
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
        """As pygls, but a request whose params cannot be read is answered, not dropped."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" not in data or "method" not in data or "result" in data:
                raise
            reason = _first_reason(error.__cause__) or error.message
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


def _first_reason(error: BaseException | None) -> str:
    """The first leaf message of a cattrs validation error (e.g. a negative line)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return str(error) if error is not None else ""
