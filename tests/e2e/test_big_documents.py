"""Odd and large documents over stdio: lone surrogates, a minified megabyte, long typing.

Issue 11 item 8: a lone surrogate (JSON allows ``"\\ud800"``) crashed position
conversion, so completions and actions in such a file failed. Issue 10 items 1 and 3:
a 1 MB single-line document and typing into a large one must keep the server answering
(no timing is asserted here; ``bench/bounded_work.py`` measures).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Session, lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply
from iskra_ls.textdoc import LineIndex


async def _titles(s: Session, uri: str, start: int, end: int) -> set[str]:
    rng = LineIndex(s.text(uri), s.encoding).range_at(start, end)
    result = await s.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=[])))
    return {a.title for a in result or [] if isinstance(a, types.CodeAction)}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
async def test_a_document_with_lone_surrogates_gets_completions_and_actions(
        tmp_path: Path, encoding: str) -> None:
    async with lsp_session(tmp_path, encoding=encoding) as s:
        uri = s.open("s.py", "bad = '\ud800'  # broken\ndef f(x):\n    ")
        s.type_text(uri, "re")
        s.stub.script(Reply.text("turn x"))
        result = await s.inline(uri)
        assert result is not None and [i.insert_text for i in result.items] == ["turn x"]
        assert "Iskra: Refactor selection" in await _titles(s, uri, 0, len(s.text(uri)))


@pytest.mark.timeout(60)
async def test_a_minified_megabyte_on_one_line_keeps_the_server_answering(
        tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        text = "var a=1;" * 131_072  # 1 MB, no line break
        uri = s.open("bundle.min.js", text, language="javascript")
        middle = len(text) // 2
        for _ in range(20):  # code actions follow the cursor
            assert "Iskra: Refactor selection" in await _titles(s, uri, middle - 8, middle)
            middle += 8
        s.type_text(uri, "var b=2;")
        assert "Iskra: Refactor selection" in await _titles(s, uri, len(text), len(text) + 8)


async def test_an_action_on_a_document_with_a_lone_surrogate_runs(tmp_path: Path) -> None:
    """The request body used to fail to encode: "answer that could not be read"."""
    async with lsp_session(tmp_path) as s:
        (s.root / "s.py").write_text("x = 1\n", encoding="utf-8")
        uri = s.open("s.py", "bad = '\ud800'\nx = 1\n")
        s.stub.script(Reply.tool_calls([("replace_in_file", {
            "uri": "s.py", "search": "x = 1", "replace": "x = 2"})]), Reply.text("Done."))
        await s.command("iskra.ask", {"uri": uri, "instruction": "set x to 2"})
        assert s.text(uri) == "bad = '\ud800'\nx = 2\n"
        sent = str(s.stub.requests[0]["messages"])
        assert "\ufffd" in sent and "\ud800" not in sent
