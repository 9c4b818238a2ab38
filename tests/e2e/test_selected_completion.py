"""Inline completion while VS Code's suggest widget is open (``selectedCompletionInfo``).

VS Code hides an inline item that does not extend the selected completion item, so
the suggestion must start at the item's range with the item's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply
from iskra_ls.textdoc import LineIndex


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
async def test_the_suggestion_extends_the_selected_item(tmp_path: Path, encoding: str) -> None:
    async with lsp_session(tmp_path, editor="vscode", encoding=encoding) as s:
        text = "names = ['Ёж']\nnames.ap"
        uri = s.open("a.py", text + "\n")
        index = LineIndex(s.text(uri), s.encoding)
        word = text.rindex("ap")
        s.stub.script(Reply.text("('x')"))
        result = await s.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=index.position_at(len(text)),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic,
                selected_completion_info=types.SelectedCompletionInfo(
                    range=index.range_at(word, len(text)), text="append"),
            ),
        ))
        items = list(result.items if isinstance(result, types.InlineCompletionList)
                     else result or [])
        assert len(items) == 1
        item = items[0]
        assert item.insert_text == "append('x')"
        assert item.range is not None
        assert index.offsets_of(item.range) == (word, len(text))
        # the model saw the document with the item accepted
        prompt = str(s.stub.requests[-1]["messages"])
        assert "names.append" in prompt
