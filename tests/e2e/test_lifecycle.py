"""Lifecycle over stdio: ``shutdown`` and ``exit`` while work is in flight."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from harness import Session, lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply


async def _shutdown_and_exit(s: Session) -> tuple[object, int | None]:
    """Send ``shutdown`` then ``exit`` by hand; the server's answer and exit code."""
    result = await asyncio.wait_for(s.client.shutdown_async(None), 10)
    s.client.exit(None)
    server = s.client._server
    assert server is not None
    await asyncio.wait_for(server.wait(), 10)
    s.client.capabilities = None  # the harness must not shut down a second time
    return result, server.returncode


@pytest.mark.parametrize("editor", ["vscode", "emacs"])
async def test_shutdown_with_a_completion_and_an_action_in_flight(
    tmp_path: Path, editor: str
) -> None:
    async with lsp_session(tmp_path, editor=editor) as s:
        uri = s.open("a.py", "def add(a, b):\n    return ")
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        s.stub.latency = 30  # the stub holds both answers: they are in flight at shutdown
        if editor == "vscode":
            completion = asyncio.ensure_future(s.inline(uri))
        else:
            completion = asyncio.ensure_future(s.client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=s.position(uri),
                    context=types.CompletionContext(
                        trigger_kind=types.CompletionTriggerKind.Invoked),
                )))
        action = asyncio.ensure_future(s.command("iskra.ask", {"uri": uri, "instruction": "x"}))
        await s.wait_for(lambda: len(s.stub.requests) >= 2)
        messages_before = len(s.client.messages)

        result, code = await _shutdown_and_exit(s)

        assert result is None
        assert code == 0
        await asyncio.gather(completion, action, return_exceptions=True)
        late = s.client.messages[messages_before:]
        assert not [m.message for m in late if m.type == types.MessageType.Error], late
        assert not any("stopped" in m.message for m in late), late


async def test_shutdown_when_idle_exits_zero(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        result, code = await _shutdown_and_exit(s)
        assert result is None and code == 0


async def test_shutdown_while_a_cancelled_completion_still_streams(tmp_path: Path) -> None:
    """A fetch left to finish into the cache after ``$/cancelRequest`` ends quietly too."""
    async with lsp_session(tmp_path, editor="vscode") as s:
        uri = s.open("c.py", "x = ")
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        s.stub.script(Reply.text("1 + 2", stall_seconds=30))
        pending = asyncio.ensure_future(s.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=s.position(uri),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked))))
        await s.wait_for(lambda: s.stub.active_streams == 1)
        msg_id = next(reversed(s.client.protocol._request_futures))
        s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        await asyncio.gather(pending, return_exceptions=True)
        messages_before = len(s.client.messages)

        result, code = await _shutdown_and_exit(s)

        assert result is None and code == 0
        late = s.client.messages[messages_before:]
        assert not [m.message for m in late if m.type == types.MessageType.Error], late
