"""Code actions and instructions over stdio: tool loop → one workspace/applyEdit."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from harness import Session, lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from iskra_ls.stub import Reply


def _range(s: Session, uri: str, start: int, end: int) -> dict[str, Any]:
    from iskra_ls.textdoc import LineIndex

    rng = LineIndex(s.text(uri), s.encoding).range_at(start, end)
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


async def _actions(s: Session, uri: str, start: int, end: int,
                   diagnostics: list[types.Diagnostic] | None = None) -> list[types.CodeAction]:
    from iskra_ls.textdoc import LineIndex

    rng = LineIndex(s.text(uri), s.encoding).range_at(start, end)
    result = await s.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=diagnostics or [])))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def _tool_results(s: Session) -> list[str]:
    """Every tool result the server sent back to the model, in order."""
    out: list[str] = []
    for body in s.stub.requests:
        out.extend(m["content"] for m in body["messages"] if m["role"] == "tool")
    return list(dict.fromkeys(out))


async def test_listing_actions_never_calls_the_model(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        text = "def f(x):\n    # TODO: handle negatives\n    return x\n"
        uri = s.open("m.py", text)
        diag = types.Diagnostic(
            range=types.Range(start=types.Position(line=2, character=4),
                              end=types.Position(line=2, character=12)),
            message="missing return type", source="mypy")
        actions = await _actions(s, uri, 0, len(text), [diag])
        titles = {a.title for a in actions}
        assert {"Iskra: Fix with Iskra", "Iskra: Refactor selection",
                "Iskra: Add docstrings and comments", "Iskra: Add type hints",
                "Iskra: Write tests for this", "Iskra: Implement this"} <= titles
        fix = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix)
        assert fix.command is not None and fix.command.command == "iskra.runAction"
        assert s.stub.requests == []
        none_selected = await _actions(s, uri, 0, 0)
        assert "Iskra: Fix with Iskra" not in {a.title for a in none_selected}
        assert "Iskra: Refactor selection" not in {a.title for a in none_selected}


async def test_custom_actions_come_from_settings(tmp_path: Path) -> None:
    settings = {"actions": {"custom": [{"title": "Translate comments", "instruction":
                                        "Translate comments to English", "kinds": ["refactor"]}]}}
    async with lsp_session(tmp_path, settings=settings) as s:
        uri = s.open("m.py", "x = 1  # один\n")
        await s.settings_applied()
        actions = await _actions(s, uri, 0, 5)
        custom = next(a for a in actions if a.title == "Iskra: Translate comments")
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "m.py", "search": "один",
                                                             "replace": "one"})]),
                      Reply.text("Translated."))
        assert custom.command is not None
        await s.command(custom.command.command, *(custom.command.arguments or []))
        assert s.text(uri) == "x = 1  # one\n"
        assert "Translate comments to English" in s.stub.requests[0]["messages"][1]["content"]


async def test_multi_step_read_replace_create(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "util.py").write_text("def helper():\n    return 1\n", encoding="utf-8")
        uri = s.open("main.py", "from util import helper\n\nprint(helper())\n")
        s.stub.script(
            Reply.tool_calls([("read_file", {"uri": "util.py"})]),
            Reply.tool_calls([("replace_in_file", {"uri": "util.py", "search": "return 1",
                                                   "replace": "return 2"}),
                              ("create_file_or_folder", {"uri": "/tests/test_util.py",
                                                         "content": "def test_x():\n    pass\n"})]),
            Reply.text("Changed helper and added a test."),
        )
        answer = await s.command("iskra.runAction", {"action": "tests", "uri": uri,
                                                      "range": _range(s, uri, 0, 0)})
        assert answer.applied is True
        assert "Changed helper" in answer.message
        assert len(s.edits) == 1  # one WorkspaceEdit for the whole action
        assert (s.root / "util.py").read_text() == "def helper():\n    return 2\n"
        assert (s.root / "tests" / "test_util.py").read_text() == "def test_x():\n    pass\n"
        assert "return 1" in _tool_results(s)[0]  # read_file answered from disk
        reports = [v for values in s.client.progress_reports.values() for v in values]
        kinds = [type(v).__name__ for v in reports]
        assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
        assert any("replace_in_file" in (getattr(v, "message", "") or "") for v in reports)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
async def test_unicode_before_the_edit(tmp_path: Path, encoding: str) -> None:
    async with lsp_session(tmp_path, encoding=encoding) as s:
        text = "s = '😀 Привет'; value = compute(1)\n"
        uri = s.open("u.py", text)
        s.stub.script(Reply.tool_calls([("replace_in_file", {
            "uri": "u.py", "search": "compute(1)", "replace": "compute(2)"})]),
            Reply.text("ok"))
        await s.command("iskra.ask", {"uri": uri, "instruction": "use 2"})
        assert s.text(uri) == "s = '😀 Привет'; value = compute(2)\n"


async def test_crlf_file_keeps_its_line_endings(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("w.py", "a = 1\r\nb = 2\r\nc = 3\r\n")
        s.stub.script(Reply.tool_calls([("write_file", {
            "uri": "w.py", "content": "a = 1\nb = 20\nc = 3\n"})]), Reply.text("ok"))
        await s.command("iskra.ask", {"uri": uri, "instruction": "b=20"})
        assert s.text(uri) == "a = 1\r\nb = 20\r\nc = 3\r\n"
        edit = s.edits[0]
        text_edits = edit.document_changes[0].edits  # type: ignore[index,union-attr]
        assert len(text_edits) == 1  # a minimal diff, not the whole file


async def test_unsaved_buffer_wins_over_disk(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "b.py").write_text("on_disk = True\n", encoding="utf-8")
        uri = s.open("b.py", "in_editor = True\n")
        s.stub.script(Reply.tool_calls([("read_file", {"uri": "b.py"})]), Reply.text("seen"))
        await s.command("iskra.ask", {"uri": uri, "instruction": "read"})
        assert "in_editor" in _tool_results(s)[0]
        assert "on_disk" not in _tool_results(s)[0]


async def test_stale_document_applies_nothing(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("st.py", "x = 1\n")
        s.stub.latency = 0.4
        s.stub.script(Reply.tool_calls([("replace_in_file", {
            "uri": "st.py", "search": "x = 1", "replace": "x = 2"})]), Reply.text("ok"))
        s.open("elsewhere.py", "")
        s.type_text(s.uri("elsewhere.py"), "z")
        pending = asyncio.ensure_future(s.command("iskra.ask", {"uri": uri, "instruction": "2"}))
        await s.wait_for(lambda: len(s.stub.requests) >= 1)  # the model is at work (0.4 s)
        s.type_text(uri, "y = 3\n")  # the user keeps typing while the model works
        answer = await pending
        assert answer.applied is False
        assert "changed while Iskra worked" in answer.message
        assert s.edits == []
        assert s.text(uri) == "x = 1\ny = 3\n"
        assert "elsewhere.py" not in answer.message


async def test_typing_in_another_document_does_not_block_the_edit(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("st.py", "x = 1\n")
        other = s.open("other.py", "")
        s.stub.latency = 0.4
        s.stub.script(Reply.tool_calls([("replace_in_file", {
            "uri": "st.py", "search": "x = 1", "replace": "x = 2"})]), Reply.text("ok"))
        pending = asyncio.ensure_future(s.command("iskra.ask", {"uri": uri, "instruction": "2"}))
        await s.wait_for(lambda: len(s.stub.requests) >= 1)  # the model is at work (0.4 s)
        s.type_text(other, "typing elsewhere\n")
        answer = await pending
        assert answer.applied is True and s.text(uri) == "x = 2\n"


ESCAPES = [
    "../outside.txt", "/etc/passwd", "file:///etc/passwd", "%2e%2e/outside.txt",
    "..\\outside.txt", "sub/../../outside.txt", "link/secret.txt", ".env", ".git/config",
    "keys/id_rsa", "cert.pem", "a\x00b.py",
]


@pytest.mark.parametrize("target", ESCAPES)
async def test_escapes_and_secrets_are_refused(tmp_path: Path, target: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP-SECRET-MARKER", encoding="utf-8")
    async with lsp_session(tmp_path) as s:
        os.symlink(outside, s.root / "link")
        (s.root / ".env").write_text("API_KEY=TOP-SECRET-MARKER\n", encoding="utf-8")
        uri = s.open("ok.py", "pass\n")
        s.stub.script(
            Reply.tool_calls([("read_file", {"uri": target}),
                              ("write_file", {"uri": target, "content": "pwned"})]),
            Reply.text("tried"),
        )
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "x"})
        results = _tool_results(s)
        assert all(r.startswith("Error") for r in results), results
        assert answer.applied is False and s.edits == []
        assert "TOP-SECRET-MARKER" not in json.dumps(s.stub.requests)
        assert (outside / "secret.txt").read_text() == "TOP-SECRET-MARKER"


async def test_invalid_json_and_unknown_tool_go_back_to_the_model(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("j.py", "pass\n")
        s.stub.script(
            Reply.tool_calls([("replace_in_file", '{"uri": "j.py", "search": '),
                              ("run_shell", {"command": "rm -rf /"})]),
            Reply.text("gave up"),
        )
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "x"})
        results = _tool_results(s)
        assert len(results) == 2 and all(r.startswith("Error") for r in results)
        assert "run_shell" in results[1]
        assert answer.applied is False and answer.message == "gave up"


async def test_max_steps_stops_the_loop(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"actions": {"maxSteps": 2}}) as s:
        uri = s.open("loop.py", "pass\n")
        await s.settings_applied()
        s.stub.script(*[Reply.tool_calls([("read_file", {"uri": "loop.py"})])] * 5)
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "loop"})
        assert len(s.stub.requests) == 2
        assert "maxSteps" in answer.message


async def test_cancel_request_stops_the_loop_and_applies_nothing(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("c.py", "x = 1\n")
        s.stub.script(
            Reply.tool_calls([("replace_in_file", {"uri": "c.py", "search": "x = 1",
                                                   "replace": "x = 2"})]),
            Reply.text("never", stall_seconds=5),
        )
        s.stub.latency = 0.3
        future = asyncio.ensure_future(s.client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="iskra.ask",
                                       arguments=[{"uri": uri, "instruction": "x"}])))
        await s.wait_for(lambda: len(s.stub.requests) >= 2)
        msg_id = next(reversed(s.client.protocol._request_futures))
        s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(future, 3)
        await s.round_trip()  # an edit sent before this answer would be here
        assert s.edits == [] and s.text(uri) == "x = 1\n"
        # the server is alive and answers the next request
        assert (await s.command("iskra.completion.toggle")).enabled is False


async def test_quota_ends_mid_loop_nothing_partial(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("q.py", "x = 1\n")
        s.stub.script(
            Reply.tool_calls([("replace_in_file", {"uri": "q.py", "search": "x = 1",
                                                   "replace": "x = 2"})]),
            Reply.error(429, "daily limit reached", retry_after=3600),
        )
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "x"})
        assert answer.applied is False
        assert "limit" in answer.message
        assert s.edits == [] and s.text(uri) == "x = 1\n"
        await s.wait_for(lambda: s.statuses[-1]["state"] == "quotaExhausted")


async def test_client_without_document_changes_gets_changes(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, editor="emacs", document_changes=False) as s:
        uri = s.open("e.py", "x = 1\n")
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "e.py", "search": "1",
                                                             "replace": "2"})]),
                      Reply.text("ok"))
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "x"})
        assert answer.applied is True
        assert s.edits[0].document_changes is None and s.edits[0].changes
        assert s.text(uri) == "x = 2\n"


async def test_editor_refusal_is_reported(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("r.py", "x = 1\n")
        s.apply_result = False
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "r.py", "search": "1",
                                                             "replace": "2"})]),
                      Reply.text("ok"))
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "x"})
        assert answer.applied is False and "user said no" in answer.message


async def test_progress_cancel_stops_the_action(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("p.py", "x = 1\n")
        s.stub.script(
            Reply.tool_calls([("replace_in_file", {"uri": "p.py", "search": "x = 1",
                                                   "replace": "x = 2"})]),
            Reply.text("never", stall_seconds=5),
        )
        s.stub.latency = 0.3
        pending = asyncio.ensure_future(s.command("iskra.ask", {"uri": uri, "instruction": "x"}))
        await s.wait_for(lambda: len(s.stub.requests) >= 2)
        token = next(iter(s.client.progress_reports))
        s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        answer = await asyncio.wait_for(pending, 5)
        assert answer.applied is False and "Cancelled" in answer.message
        assert s.edits == [] and s.text(uri) == "x = 1\n"
        assert (await s.command("iskra.completion.toggle")).enabled is False


async def test_list_delete_and_rename(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "old.py").write_text("OLD = 1\n", encoding="utf-8")
        (s.root / "gone.py").write_text("GONE = 1\n", encoding="utf-8")
        (s.root / ".env").write_text("SECRET=1\n", encoding="utf-8")
        uri = s.open("main.py", "import old\n")
        s.stub.script(
            Reply.tool_calls([("list_directory", {"uri": "/"})]),
            Reply.tool_calls([("rename_file", {"uri": "old.py", "new_uri": "new.py"}),
                              ("delete_file", {"uri": "gone.py"}),
                              ("replace_in_file", {"uri": "main.py", "search": "import old",
                                                   "replace": "import new"})]),
            Reply.text("Renamed old to new."),
        )
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "rename"})
        listing = _tool_results(s)[0]
        assert "old.py" in listing and "gone.py" in listing and ".env" not in listing
        assert answer.applied is True
        assert not (s.root / "old.py").exists() and not (s.root / "gone.py").exists()
        assert (s.root / "new.py").read_text() == "OLD = 1\n"
        assert s.text(uri) == "import new\n"
        assert len(s.edits) == 1
