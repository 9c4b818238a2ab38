"""Files whose URIs need percent-encoding work like any other (issue 10 item 2).

pygls keys open documents by the decoded URI, and the server used to look them
up by the editor's encoded one: ``my file.py``, ``проект/main.py``, ``c#/x.py``
and every Windows file (``file:///c%3A/...``) got no completion and no action.
Replies must carry the URI exactly as the editor sent it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Session, lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply
from iskra_ls.textdoc import LineIndex

NAMES = ["my file.py", "проект/main.py", "c#/x.py", "100% done.py", "a%20b.py"]


def _open_uri(s: Session, uri: str, text: str) -> str:
    """Open a document under exactly this URI, as an editor that spells it so would."""
    s.docs[uri] = (text, 1)
    s.client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                             text=text)))
    return uri


async def _completes_and_lists_actions(s: Session, uri: str) -> None:
    s.stub.script(Reply.text("return a + b"))
    result = await s.inline(uri)
    assert result is not None and [item.insert_text for item in result.items] == [
        "return a + b"]
    text = s.text(uri)
    rng = LineIndex(text, s.encoding).range_at(0, len(text))
    actions = await s.client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=[])))
    titles = {a.title for a in actions or [] if isinstance(a, types.CodeAction)}
    assert "Iskra: Refactor selection" in titles
    for action in actions or []:
        assert isinstance(action, types.CodeAction) and action.command is not None
        assert uri in str(action.command.arguments)  # the editor's own spelling


@pytest.mark.parametrize("name", NAMES)
async def test_names_that_need_encoding_get_completions_and_actions(tmp_path: Path,
                                                                    name: str) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / name).parent.mkdir(parents=True, exist_ok=True)
        uri = s.open(name, "def add(a, b):\n    ")
        assert "%" in uri  # the harness spells URIs the way editors do
        await _completes_and_lists_actions(s, uri)


@pytest.mark.parametrize("uri", [
    "file:///c%3A/Users/me/proj/app.py",  # VS Code on Windows
    "file:///C:/Users/me/proj/app.py",  # Neovim on Windows
])
async def test_a_windows_drive_uri_gets_completions_and_actions(tmp_path: Path,
                                                                uri: str) -> None:
    # No workspace folder: with one open, a file outside it is never sent (issue 20);
    # an editor started on a lone Windows file still gets everything.
    async with lsp_session(tmp_path, editor="vscode", folders=False) as s:
        _open_uri(s, uri, "def add(a, b):\n    ")
        await _completes_and_lists_actions(s, uri)


async def test_an_action_edits_the_open_document_under_the_editors_uri(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        (s.root / "проект").mkdir()
        (s.root / "проект" / "my file.py").write_text("x = 1\n", encoding="utf-8")
        uri = s.open("проект/my file.py", "x = 1  # unsaved\n")
        s.stub.script(Reply.tool_calls([("replace_in_file", {
            "uri": "проект/my file.py", "search": "x = 1", "replace": "x = 2"})]),
            Reply.text("Done."))
        await s.command("iskra.ask", {"uri": uri, "instruction": "set x to 2"})
        assert s.text(uri) == "x = 2  # unsaved\n"  # the open buffer, not the disk file
        touched = [change.text_document.uri for edit in s.edits
                   for change in edit.document_changes or []
                   if isinstance(change, types.TextDocumentEdit)]
        assert touched == [uri]
        assert (s.root / "проект" / "my file.py").read_text(encoding="utf-8") == "x = 1\n"
