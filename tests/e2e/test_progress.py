"""Work-done progress as the LSP spec has it.

Server-initiated progress only for a client that announces
``window.workDoneProgress``, and only with a token the client accepted through
``window/workDoneProgress/create``; a ``workDoneToken`` the client put in the
``executeCommand`` params carries the progress instead (no create needed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import harness
import pytest
from harness import Session, lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError

from iskra_ls.stub import Reply


def _edit_reply() -> tuple[Reply, Reply]:
    return (Reply.tool_calls([("replace_in_file", {"uri": "p.py", "search": "x = 1",
                                                   "replace": "x = 2"})]),
            Reply.text("done"))


def _record_progress(s: Session) -> list[Any]:
    """Record every ``$/progress`` token, known to the client or not."""
    tokens: list[Any] = []
    s.client.protocol.fm.features[types.PROGRESS] = lambda params: tokens.append(params.token)
    return tokens


async def test_no_progress_for_a_client_without_the_capability(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = harness.capabilities

    def without_progress(*args: Any, **kwargs: Any) -> types.ClientCapabilities:
        caps = real(*args, **kwargs)
        caps.window = types.WindowClientCapabilities(work_done_progress=False)
        return caps

    monkeypatch.setattr(harness, "capabilities", without_progress)
    async with lsp_session(tmp_path) as s:
        sent = _record_progress(s)
        uri = s.open("p.py", "x = 1\n")
        s.stub.script(*_edit_reply())
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "2"})
        assert answer.applied is True
        assert s.client.progress_reports == {}  # no workDoneProgress/create either
        assert sent == []


async def test_no_progress_after_the_client_refuses_the_token(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        asked: list[Any] = []

        def refuse(params: types.WorkDoneProgressCreateParams) -> None:
            asked.append(params.token)
            raise JsonRpcInternalError("no progress here")

        s.client.protocol.fm.features[types.WINDOW_WORK_DONE_PROGRESS_CREATE] = refuse
        sent = _record_progress(s)
        uri = s.open("p.py", "x = 1\n")
        s.stub.script(*_edit_reply())
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "2"})
        assert answer.applied is True
        assert len(asked) == 1
        assert sent == []


async def test_a_client_supplied_work_done_token_carries_the_progress(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        created: list[Any] = []
        s.client.protocol.fm.features[types.WINDOW_WORK_DONE_PROGRESS_CREATE] = (
            lambda params: created.append(params.token))
        s.client.progress_reports["client-token-7"] = []  # the client's own token
        uri = s.open("p.py", "x = 1\n")
        s.stub.script(*_edit_reply())
        result = await s.client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="iskra.ask", arguments=[{"uri": uri, "instruction": "2"}],
            work_done_token="client-token-7"))
        assert result["applied"] is True
        assert created == []
        assert list(s.client.progress_reports) == ["client-token-7"]
        kinds = [type(v).__name__ for v in s.client.progress_reports["client-token-7"]]
        assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"


async def test_cancel_through_the_client_supplied_token(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        s.client.progress_reports["client-token-8"] = []
        uri = s.open("p.py", "x = 1\n")
        s.stub.script(_edit_reply()[0], Reply.text("never", stall_seconds=5))
        pending = asyncio.ensure_future(s.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="iskra.ask",
                                       arguments=[{"uri": uri, "instruction": "2"}],
                                       work_done_token="client-token-8")))
        await s.wait_for(lambda: len(s.stub.requests) >= 2)
        s.client.window_work_done_progress_cancel(
            types.WorkDoneProgressCancelParams(token="client-token-8"))
        result = await asyncio.wait_for(pending, 5)
        assert result["applied"] is False and "Cancelled" in result["message"]
        assert s.edits == [] and s.text(uri) == "x = 1\n"
