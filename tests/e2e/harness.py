"""Drive the real server over stdio, as editors do, against the bundled Iskra stub.

``lsp_session`` starts a :class:`~iskra_ls.stub.StubIskra` in the test's own
loop, then ``python -m iskra_ls`` as a subprocess with pytest-lsp's client,
under the recorded capabilities of a real editor. The client applies
``workspace/applyEdit`` to its own copy of the documents (and to disk for
files it has not opened), like an editor would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from iskra_ls.client_fixes import fix_code_action_structuring
from iskra_ls.lsp_values import plain
from iskra_ls.stub import StubIskra
from iskra_ls.textdoc import LineIndex

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlMmVAZXhhbXBsZS5jb20ifQ.ZTJlLW1hcmtlci10b2tlbi01ZjFjMmE"
"""A JWT (only a credential-shaped token is used); its signature part reads as a marker."""
SECOND_TOKEN = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNvbmRAZXhhbXBsZS5jb20ifQ.ZTJlLXNlY29uZC10b2tlbi05Yjdk"
)
"""Another user's JWT (a sign-in to another account)."""

converter = get_converter()

CLIENTS = {
    "neovim": "neovim@v0.11.0",
    "vscode": "visual_studio_code@v1.65.2",
    "emacs": "emacs@v29.1",
}

HAND_WRITTEN = {"helix": "helix@23.10.json"}
"""Editors pytest-lsp has no recorded capabilities for (``tests/e2e/clients/``)."""


def _hand_written(editor: str) -> types.ClientCapabilities:
    data = json.loads((Path(__file__).parent / "clients" / HAND_WRITTEN[editor]).read_text())
    data.pop("_comment", None)
    caps: types.ClientCapabilities = converter.structure(data, types.ClientCapabilities)
    return caps


def capabilities(editor: str, encoding: str | None = None, inline: bool | None = None,
                 ) -> types.ClientCapabilities:
    """A real editor's capabilities; Neovim 0.12 and VS Code have inline completion."""
    caps = _hand_written(editor) if editor in HAND_WRITTEN else client_capabilities(CLIENTS[editor])
    if inline is None:
        inline = editor in ("neovim", "vscode")
    if inline:
        assert caps.text_document is not None
        caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    if encoding is not None:
        caps.general = caps.general or types.GeneralClientCapabilities()
        caps.general.position_encodings = [types.PositionEncodingKind(encoding)]
    return caps


@dataclass
class Session:
    client: LanguageClient
    stub: StubIskra
    root: Path
    encoding: str
    docs: dict[str, tuple[str, int]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    edits: list[types.WorkspaceEdit] = field(default_factory=list)
    apply_result: bool = True
    capabilities: types.ServerCapabilities | None = None

    def uri(self, name: str) -> str:
        return str(from_fs_path(str(self.root / name)))

    def open(self, name: str, text: str, language: str = "python") -> str:
        uri = self.uri(name)
        self.docs[uri] = (text, 1)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )
        return uri

    def change(self, uri: str, start: int, end: int, new_text: str) -> None:
        """Replace ``text[start:end]`` (offsets) with an incremental didChange."""
        text, version = self.docs[uri]
        index = LineIndex(text, self.encoding)
        self.docs[uri] = (text[:start] + new_text + text[end:], version + 1)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=index.range_at(start, end), text=new_text
                    )
                ],
            )
        )

    def type_text(self, uri: str, chars: str) -> None:
        """Type at the end of the document's current text."""
        text, _ = self.docs[uri]
        self.change(uri, len(text), len(text), chars)

    def position(self, uri: str, offset: int | None = None) -> types.Position:
        text, _ = self.docs[uri]
        return LineIndex(text, self.encoding).position_at(len(text) if offset is None else offset)

    def text(self, uri: str) -> str:
        return self.docs[uri][0]

    async def inline(self, uri: str, offset: int | None = None, *, invoked: bool = True,
                     ) -> types.InlineCompletionList | None:
        kind = (types.InlineCompletionTriggerKind.Invoked if invoked
                else types.InlineCompletionTriggerKind.Automatic)
        result = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=self.position(uri, offset),
                context=types.InlineCompletionContext(trigger_kind=kind),
            )
        )
        return result if isinstance(result, types.InlineCompletionList) or result is None else (
            types.InlineCompletionList(items=list(result)))

    async def command(self, name: str, *args: Any) -> Any:
        """Run a server command; the result's fields read as attributes."""
        result = await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args))
        )
        return _namespace(plain(result))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Until ``predicate()`` holds; the time limit only bounds a failure (a loaded
        machine may take seconds to start a server), it never decides a pass."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.02)

    async def settings_applied(self, timeout: float = 10.0) -> None:
        """Until the server has read the editor's settings.

        The server pulls ``workspace/configuration`` in ``initialized`` and only then asks
        ``/auth/me`` and publishes a status other than ``starting``: that status is the event.
        """
        await self.wait_for(
            lambda: any(st.get("state") != "starting" for st in self.statuses), timeout
        )

    async def round_trip(self) -> None:
        """Until the server has read everything sent before, and we have read its messages.

        Messages travel in order both ways: once the server answers a request sent after our
        notifications (``didChange``, ``$/cancelRequest``, a progress cancel), it has received
        them, and every notification it sent before the answer has reached us.
        """
        # Code actions for a document that is not open: answered at once, nothing changes.
        await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri(".round-trip")),
                range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )

    def apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply a workspace edit the way an editor does."""
        if edit.document_changes:
            for change in edit.document_changes:
                if isinstance(change, types.TextDocumentEdit):
                    self._apply_text_edits(change.text_document.uri, list(change.edits),
                                           change.text_document.version)
                elif isinstance(change, types.CreateFile):
                    path = Path(to_fs_path(change.uri) or "")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch()
                elif isinstance(change, types.RenameFile):
                    Path(to_fs_path(change.old_uri) or "").rename(to_fs_path(change.new_uri) or "")
                elif isinstance(change, types.DeleteFile):
                    Path(to_fs_path(change.uri) or "").unlink()
        for uri, text_edits in (edit.changes or {}).items():
            self._apply_text_edits(uri, list(text_edits), None)

    def _apply_text_edits(self, uri: str, edits: list[Any], version: int | None) -> None:
        if uri in self.docs:
            text, current = self.docs[uri]
            if version is not None and version != current:
                raise AssertionError(f"stale edit for {uri}: {version} != {current}")
        else:
            text, current = Path(to_fs_path(uri) or "").read_text(encoding="utf-8"), 0
        index = LineIndex(text, self.encoding)
        spans = sorted(((*index.offsets_of(e.range), e.new_text) for e in edits), reverse=True)
        for start, end, new_text in spans:
            text = text[:start] + new_text + text[end:]
        if uri in self.docs:
            self.docs[uri] = (text, current + 1)
            self.client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri,
                                                                        version=current + 1),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
        else:
            Path(to_fs_path(uri) or "").write_text(text, encoding="utf-8")


@contextlib.asynccontextmanager
async def lsp_session(
    root: Path,
    *,
    editor: str = "neovim",
    encoding: str | None = None,
    inline: bool | None = None,
    settings: dict[str, Any] | None = None,
    token: str | None = TOKEN,
    env: dict[str, str] | None = None,
    stub: StubIskra | None = None,
    initialization_options: dict[str, Any] | None = None,
    document_changes: bool = True,
    folders: bool = True,
    server_command: list[str] | None = None,
) -> AsyncIterator[Session]:
    """A started stub + server + initialized client; shut down cleanly afterwards.

    ``folders=False`` opens no workspace (an editor started on a lone file);
    ``server_command`` runs another build of the server (the frozen one)."""
    own_stub = stub is None
    stub = stub or StubIskra()
    if own_stub:
        await stub.start()
    workspace = root / "ws"
    workspace.mkdir(exist_ok=True)
    server_env = {
        "PATH": os.environ.get("PATH", ""),
        "ISKRA_API_URL": stub.url,
        "ISKRA_CONFIG_DIR": str(root / "config"),
        "PYTHONUNBUFFERED": "1",
        **({"ISKRA_TOKEN": token} if token else {}),
        **(env or {}),
    }
    config = ClientServerConfig(
        server_command=server_command or [sys.executable, "-m", "iskra_ls"],
        server_env=server_env
    )
    client = await config.start()
    fix_code_action_structuring(client.protocol._converter)
    caps = capabilities(editor, encoding, inline)
    if not document_changes and caps.workspace and caps.workspace.workspace_edit:
        caps.workspace.workspace_edit.document_changes = False
        caps.workspace.workspace_edit.resource_operations = None
    negotiated = (caps.general.position_encodings or ["utf-16"])[0] if caps.general else "utf-16"
    session = Session(client=client, stub=stub, root=workspace, encoding=str(negotiated))
    client.set_configuration({"iskra": settings or {}})

    @client.feature("iskra/status")
    def on_status(_client: LanguageClient, params: Any) -> None:
        session.statuses.append(plain(params))

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(_client: LanguageClient, params: types.ApplyWorkspaceEditParams,
                 ) -> types.ApplyWorkspaceEditResult:
        session.edits.append(params.edit)
        if not session.apply_result:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="user said no")
        session.apply(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    try:
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=caps,
                root_uri=str(from_fs_path(str(workspace))) if folders else None,
                workspace_folders=[
                    types.WorkspaceFolder(uri=str(from_fs_path(str(workspace))), name="ws")
                ] if folders else None,
                initialization_options=initialization_options,
            )
        )
        session.encoding = str(result.capabilities.position_encoding or "utf-16")
        session.capabilities = result.capabilities
        yield session
        await asyncio.wait_for(client.shutdown_session(), 10)
    except BaseException:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        raise
    finally:
        await client.stop()
        if own_stub:
            await stub.stop()


def _namespace(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_namespace(v) for v in value]
    return value

