"""Protocol robustness (issue 10.8): every request is answered, odd input never breaks the server.

- A client that never answers ``workspace/configuration`` must not leave the server at
  "starting": it goes on with what it has (``/auth/me``, the status).
- A ``didChange`` for a document that was never opened is logged, not shown as
  "Error in server: KeyError".
- A request with a negative position, or a line past the end, gets an answer
  (``InvalidParams`` where the input is wrong) instead of silence.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from harness import TOKEN, capabilities, lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from iskra_ls.lsp_values import plain
from iskra_ls.stub import Reply, StubIskra

HANG_GUARD_S = 20.0
"""Only guards against a hang; no test measures time."""

INVALID_PARAMS = -32602


async def test_a_client_that_never_answers_configuration_does_not_block_start(
    tmp_path: Path,
) -> None:
    statuses: list[dict[str, Any]] = []
    pending: list[asyncio.Future[Any]] = []
    async with StubIskra() as stub:
        config = ClientServerConfig(
            server_command=[sys.executable, "-m", "iskra_ls"],
            server_env={
                "PATH": "",
                "ISKRA_API_URL": stub.url,
                "ISKRA_TOKEN": TOKEN,
                "ISKRA_CONFIG_DIR": str(tmp_path / "config"),
            },
        )
        client = await config.start()

        async def never(_params: Any) -> Any:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            pending.append(future)
            return await future  # never answered while the test runs

        client.protocol.fm.features[types.WORKSPACE_CONFIGURATION] = never

        @client.feature("iskra/status")
        def on_status(_client: LanguageClient, params: Any) -> None:
            statuses.append(plain(params))

        root = tmp_path / "ws"
        root.mkdir()
        try:
            await client.initialize_session(
                types.InitializeParams(
                    capabilities=capabilities("vscode"),
                    root_uri=str(from_fs_path(str(root))),
                    workspace_folders=[
                        types.WorkspaceFolder(uri=str(from_fs_path(str(root))), name="ws")
                    ],
                )
            )
            deadline = asyncio.get_running_loop().time() + HANG_GUARD_S
            while not any(st["state"] == "ready" for st in statuses):
                assert asyncio.get_running_loop().time() < deadline, statuses
                await asyncio.sleep(0.05)
            assert pending, "the server never asked for its configuration"
            assert stub.account(TOKEN).me()["user"] is not None
            for future in pending:
                future.set_result([{}])
            await asyncio.wait_for(client.shutdown_session(), 10)
        finally:
            if client._server is not None and client._server.returncode is None:
                client._server.kill()
            await client.stop()


async def test_a_change_to_a_document_never_opened_is_logged_not_an_error(
    tmp_path: Path,
) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.uri("never-opened.py")
        s.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
            )
        )
        status = await asyncio.wait_for(s.command("iskra.status"), HANG_GUARD_S)
        assert status.state in ("ready", "working")
        shown = [m.message for m in s.client.messages]
        assert not any("Error in server" in m or "KeyError" in m for m in shown), shown
        # Opening it afterwards works as usual.
        opened = s.open("never-opened.py", "y = 2\n")
        actions = await s.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=opened),
                range=types.Range(start=types.Position(0, 0), end=types.Position(0, 1)),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert actions


async def raw_request(client: LanguageClient, method: str, params: Any) -> Any:
    """Send a request as raw JSON (the typed client would refuse a negative position)."""
    protocol = client.protocol
    msg_id = str(uuid.uuid4())
    future: Future[Any] = Future()
    protocol._request_futures[msg_id] = future
    body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    assert protocol.writer is not None
    result = protocol.writer.write(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
    if asyncio.iscoroutine(result):
        await result
    return await asyncio.wait_for(asyncio.wrap_future(future), HANG_GUARD_S)


def _position_params(uri: str, line: int, character: int) -> dict[str, Any]:
    return {
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 1},
    }


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("textDocument/inlineCompletion", lambda uri: _position_params(uri, -1, 0)),
        ("textDocument/inlineCompletion", lambda uri: _position_params(uri, 0, -5)),
        (
            "textDocument/codeAction",
            lambda uri: {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": -3, "character": 0},
                          "end": {"line": 0, "character": 1}},
                "context": {"diagnostics": []},
            },
        ),
    ],
)
async def test_a_negative_position_gets_invalid_params(
    tmp_path: Path, method: str, params: Any
) -> None:
    async with lsp_session(tmp_path, editor="vscode") as s:
        uri = s.open("a.py", "def f():\n    return 1\n")
        with pytest.raises(JsonRpcException) as caught:
            await raw_request(s.client, method, params(uri))
        assert caught.value.code == INVALID_PARAMS
        # The server is still there and answers the next request.
        status = await asyncio.wait_for(s.command("iskra.status"), HANG_GUARD_S)
        assert status.state in ("ready", "working")


async def test_a_line_past_the_end_is_answered(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, editor="vscode") as s:
        uri = s.open("a.py", "def f():\n    return 1\n")
        for method, params in (
            ("textDocument/inlineCompletion", _position_params(uri, 999, 0)),
            (
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": 500, "character": 0},
                              "end": {"line": 900, "character": 3}},
                    "context": {"diagnostics": []},
                },
            ),
        ):
            try:
                await raw_request(s.client, method, params)
            except JsonRpcException as error:
                assert error.code == INVALID_PARAMS, error
        status = await asyncio.wait_for(s.command("iskra.status"), HANG_GUARD_S)
        assert status.state in ("ready", "working")


# -- the lifecycle's odd input (issue 20.8) ----------------------------------------------

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600


async def raw_notify(client: LanguageClient, method: str, params: Any) -> None:
    protocol = client.protocol
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params})
    assert protocol.writer is not None
    result = protocol.writer.write(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
    if asyncio.iscoroutine(result):
        await result


async def test_a_request_before_initialize_gets_server_not_initialized(tmp_path: Path) -> None:
    """The spec's answer is -32002 for every request but ``initialize``; notifications drop."""
    async with StubIskra() as stub:
        config = ClientServerConfig(
            server_command=[sys.executable, "-m", "iskra_ls"],
            server_env={"PATH": "", "ISKRA_API_URL": stub.url, "ISKRA_TOKEN": TOKEN,
                        "ISKRA_CONFIG_DIR": str(tmp_path / "config")},
        )
        client = await config.start()
        root = tmp_path / "ws"
        root.mkdir()
        uri = str(from_fs_path(str(root / "a.py")))
        try:
            await raw_notify(client, "textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}})
            for method, params in (
                ("workspace/executeCommand", {"command": "iskra.status"}),
                ("textDocument/inlineCompletion", _position_params(uri, 0, 0)),
                ("textDocument/hover", {"textDocument": {"uri": uri},
                                        "position": {"line": 0, "character": 0}}),
            ):
                with pytest.raises(JsonRpcException) as caught:
                    await raw_request(client, method, params)
                assert caught.value.code == SERVER_NOT_INITIALIZED, (method, caught.value)
            await client.initialize_session(types.InitializeParams(
                capabilities=capabilities("vscode"), root_uri=str(from_fs_path(str(root))),
                workspace_folders=[types.WorkspaceFolder(uri=str(from_fs_path(str(root))),
                                                         name="ws")]))
            status = await asyncio.wait_for(raw_request(client, "workspace/executeCommand",
                                                        {"command": "iskra.status"}),
                                            HANG_GUARD_S)
            assert plain(status)["state"] in ("starting", "ready", "working", "signedOut")
            assert stub.requests == []
            await asyncio.wait_for(client.shutdown_session(), 10)
        finally:
            if client._server is not None and client._server.returncode is None:
                client._server.kill()
            await client.stop()


async def test_requests_after_shutdown_get_invalid_request(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, editor="vscode") as s:
        uri = s.open("a.py", "x = 1\n")
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        assert await asyncio.wait_for(s.client.shutdown_async(None), HANG_GUARD_S) is None
        for method, params in (
            ("workspace/executeCommand", {"command": "iskra.status"}),
            ("textDocument/codeAction", {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0},
                          "end": {"line": 0, "character": 1}},
                "context": {"diagnostics": []}}),
            ("textDocument/inlineCompletion", _position_params(uri, 0, 0)),
        ):
            with pytest.raises(JsonRpcException) as caught:
                await raw_request(s.client, method, params)
            assert caught.value.code == INVALID_REQUEST, (method, caught.value)
        s.client.exit(None)
        server = s.client._server
        assert server is not None
        await asyncio.wait_for(server.wait(), HANG_GUARD_S)
        assert server.returncode == 0
        s.client.capabilities = None  # the harness must not shut down a second time


async def test_a_did_change_with_a_null_range_replaces_the_text_without_an_error(
    tmp_path: Path,
) -> None:
    """``"range": null`` is read as no range (the whole text), not an "Error in server" popup."""
    settings = {"completion": {"debounceMs": 0}}
    async with lsp_session(tmp_path, editor="vscode", settings=settings,
                           initialization_options={"iskra": settings}) as s:
        uri = s.open("a.py", "old_text = 1\n")
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        await raw_notify(s.client, "textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": None, "text": "new_text = 2\nvalue = "}]})
        s.docs[uri] = ("new_text = 2\nvalue = ", 2)
        s.stub.script(Reply.text("3"))
        await s.inline(uri)
        shown = [m.message for m in s.client.messages]
        assert not any("Error in server" in m for m in shown), shown
        prompt = json.dumps(s.stub.requests[-1]["messages"])
        assert "new_text = 2" in prompt and "old_text" not in prompt
