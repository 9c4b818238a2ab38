"""A small LSP client for the benchmarks: the real server as a subprocess, the stub in-process.

The benchmarks measure what an editor would see, so they talk to ``python -m iskra_ls``
over stdio with pygls's ``LanguageClient`` and a VS Code-like set of capabilities
(inline completion, ``workspace/configuration``, versioned ``documentChanges``, utf-16
by default). The Iskra stub runs in the benchmark's own event loop, which lets a
benchmark answer as a "model" (``reply_function``) from its own state and time the
stub's handler (:class:`TimedStub`) without touching ``iskra_ls``.

The client keeps its own copy of every open document, applies ``workspace/applyEdit``
like an editor and drains the server's stderr (pygls pipes it; an unread pipe would
block a chatty server).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from iskra_ls.stub import StubIskra
from iskra_ls.textdoc import LineIndex

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaEBleGFtcGxlLmNvbSJ9.YmVuY2gtdG9rZW4tN2M0MWU5"
"""The JWT the server gets through ``ISKRA_TOKEN``; the stub accepts any token."""

UNLIMITED = 10**9
"""Daily request limit of the benchmark's stub account: quotas are not what is measured."""


@dataclass
class ChatTiming:
    """One chat request as the stub's handler saw it (``time.perf_counter`` seconds)."""

    start: float
    end: float = 0.0
    disconnected: bool = False

    @property
    def seconds(self) -> float:
        return self.end - self.start


class TimedStub(StubIskra):
    """The bundled stub, timing its chat handler from request arrival to the last byte.

    A client that leaves mid-answer cancels the handler (aiohttp handler cancellation);
    that moment is recorded as the end, with ``disconnected`` set.
    """

    def __init__(self, **knobs: Any) -> None:
        knobs.setdefault("limit", UNLIMITED)
        super().__init__(**knobs)
        self.timings: list[ChatTiming] = []

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        timing = ChatTiming(time.perf_counter())
        self.timings.append(timing)
        try:
            return await super()._chat(request)
        except asyncio.CancelledError:
            timing.disconnected = True
            raise
        finally:
            timing.end = time.perf_counter()


def capabilities(encoding: str = "utf-16") -> types.ClientCapabilities:
    """What a VS Code-like editor with inline completion declares (the parts that matter)."""
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind(encoding)]
        ),
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            configuration=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[
                    types.ResourceOperationKind.Create,
                    types.ResourceOperationKind.Rename,
                    types.ResourceOperationKind.Delete,
                ],
            ),
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(
                dynamic_registration=True
            ),
            execute_command=types.ExecuteCommandClientCapabilities(),
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(),
            inline_completion=types.InlineCompletionClientCapabilities(),
            code_action=types.CodeActionClientCapabilities(),
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
    )


@dataclass
class Driver:
    """The server under test, started against ``stub``; use as ``async with``."""

    root: Path
    stub: StubIskra
    settings: dict[str, Any] = field(default_factory=dict)
    encoding: str = "utf-16"
    docs: dict[str, tuple[str, int]] = field(default_factory=dict)
    """uri -> (text, version): the client's copy of each open document."""
    statuses: list[Any] = field(default_factory=list)
    edits_applied: int = 0
    startup_s: float = 0.0
    """Seconds from spawning the server to its InitializeResult."""
    stderr_tail: deque[bytes] = field(default_factory=lambda: deque(maxlen=50))
    server_command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "iskra_ls"])
    """How to start the server (e.g. under a profiler)."""

    def __post_init__(self) -> None:
        self.client = LanguageClient("iskra-bench", "1")
        self._tasks: list[asyncio.Task[Any]] = []
        self._register_handlers()

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> float:
        """Spawn, initialize; returns (and keeps) the spawn → InitializeResult time."""
        workspace = self.root / "ws"
        workspace.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
        env.update(
            ISKRA_API_URL=self.stub.url,
            ISKRA_TOKEN=TOKEN,
            ISKRA_CONFIG_DIR=str(self.root / "config"),
            PYTHONUNBUFFERED="1",
        )
        folder = str(from_fs_path(str(workspace)))
        started = time.perf_counter()
        await self.client.start_io(*self.server_command, env=env)
        process = self.client._server
        if process is not None and process.stderr is not None:
            self._tasks.append(asyncio.ensure_future(self._drain(process.stderr)))
        result = await asyncio.wait_for(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=capabilities(self.encoding),
                    root_uri=folder,
                    workspace_folders=[types.WorkspaceFolder(uri=folder, name="ws")],
                    initialization_options={"iskra": self.settings},
                )
            ),
            30,
        )
        self.startup_s = time.perf_counter() - started
        self.encoding = str(result.capabilities.position_encoding or "utf-16")
        self.client.initialized(types.InitializedParams())
        return self.startup_s

    async def stop(self) -> None:
        """Shut the server down politely; kill it if it does not go."""
        process = self.client._server
        try:
            if process is not None and process.returncode is None:
                await asyncio.wait_for(self.client.shutdown_async(None), 10)
                self.client.exit(None)
                await asyncio.wait_for(process.wait(), 10)
        except (TimeoutError, Exception):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await self.client.stop()
        for task in self._tasks:
            task.cancel()

    async def __aenter__(self) -> Driver:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def pid(self) -> int:
        assert self.client._server is not None
        return self.client._server.pid

    def rss_mb(self) -> float:
        """Resident memory of the server process (VmRSS), in MB."""
        return rss_mb(self.pid)

    # -- documents -------------------------------------------------------------------

    def uri(self, name: str) -> str:
        return str(from_fs_path(str(self.root / "ws" / name)))

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
        """Replace ``text[start:end]`` (string offsets) with one incremental didChange."""
        text, version = self.docs[uri]
        index = LineIndex(text, self.encoding)
        self._send_change(
            uri,
            text[:start] + new_text + text[end:],
            version + 1,
            types.TextDocumentContentChangePartial(
                range=index.range_at(start, end), text=new_text
            ),
        )

    def append(self, uri: str, chars: str) -> None:
        """Type ``chars`` at the end of the document."""
        text, _ = self.docs[uri]
        self.change(uri, len(text), len(text), chars)

    def text(self, uri: str) -> str:
        return self.docs[uri][0]

    def position(self, uri: str, offset: int | None = None) -> types.Position:
        text, _ = self.docs[uri]
        return LineIndex(text, self.encoding).position_at(len(text) if offset is None else offset)

    def offsets(self, uri: str, range_: types.Range) -> tuple[int, int]:
        return LineIndex(self.text(uri), self.encoding).offsets_of(range_)

    def _send_change(
        self, uri: str, new_text: str, version: int, change: types.TextDocumentContentChangeEvent
    ) -> None:
        self.docs[uri] = (new_text, version)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )

    # -- requests --------------------------------------------------------------------

    def inline_request(
        self, uri: str, offset: int | None = None, *, invoked: bool = True
    ) -> tuple[str, asyncio.Future[Any]]:
        """Send an inline completion request now; ``(message id, future)`` for cancelling."""
        kind = (
            types.InlineCompletionTriggerKind.Invoked
            if invoked
            else types.InlineCompletionTriggerKind.Automatic
        )
        msg_id = uuid.uuid4().hex
        future = self.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=self.position(uri, offset),
                context=types.InlineCompletionContext(trigger_kind=kind),
            ),
            msg_id=msg_id,
        )
        return msg_id, future

    def cancel(self, msg_id: str) -> None:
        """``$/cancelRequest``, as VS Code sends for a superseded inline request."""
        self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    async def inline(
        self, uri: str, offset: int | None = None, *, invoked: bool = True
    ) -> list[types.InlineCompletionItem]:
        _, future = self.inline_request(uri, offset, invoked=invoked)
        return items_of(await future)

    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args))
        )

    # -- server -> client ------------------------------------------------------------

    def _register_handlers(self) -> None:
        client = self.client

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(_c: LanguageClient, params: types.ConfigurationParams) -> list[Any]:
            return [self.settings if i.section == "iskra" else None for i in params.items]

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def progress(_c: LanguageClient, _params: Any) -> None:
            return None

        @client.feature(types.PROGRESS)
        def on_progress(_c: LanguageClient, _params: Any) -> None:
            return None

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(_c: LanguageClient, _params: Any) -> None:
            return None

        @client.feature("iskra/status")
        def status(_c: LanguageClient, params: Any) -> None:
            self.statuses.append(params)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def message(_c: LanguageClient, params: Any) -> None:
            self.statuses.append(params)

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply(
            _c: LanguageClient, params: types.ApplyWorkspaceEditParams
        ) -> types.ApplyWorkspaceEditResult:
            self._apply(params.edit)
            self.edits_applied += 1
            return types.ApplyWorkspaceEditResult(applied=True)

    def _apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply the text edits of open documents (the benchmarks create no files)."""
        for change in edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit) and change.text_document.uri in self.docs:
                uri = change.text_document.uri
                text, version = self.docs[uri]
                new = self._edited(text, change.edits)
                self._send_change(
                    uri, new, version + 1, types.TextDocumentContentChangeWholeDocument(text=new)
                )
        for uri, text_edits in (edit.changes or {}).items():
            if uri in self.docs:
                text, version = self.docs[uri]
                new = self._edited(text, text_edits)
                self._send_change(
                    uri, new, version + 1, types.TextDocumentContentChangeWholeDocument(text=new)
                )

    def _edited(self, text: str, edits: Any) -> str:
        index = LineIndex(text, self.encoding)
        spans = sorted(
            ((*index.offsets_of(e.range), e.new_text) for e in edits), reverse=True
        )
        for start, end, new_text in spans:
            text = text[:start] + new_text + text[end:]
        return text

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        with contextlib.suppress(Exception):
            while line := await stream.readline():
                self.stderr_tail.append(line)


def items_of(result: Any) -> list[types.InlineCompletionItem]:
    """The items of an inline completion result (list, ``InlineCompletionList`` or None)."""
    if result is None:
        return []
    if isinstance(result, types.InlineCompletionList):
        return list(result.items)
    return list(result)


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` from /proc, in MB (MiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


@contextlib.asynccontextmanager
async def running_stub(**knobs: Any) -> Any:
    """A started :class:`TimedStub`, stopped afterwards."""
    stub = TimedStub(**knobs)
    await stub.start()
    try:
        yield stub
    finally:
        await stub.stop()
