"""Answers are placed in the text they were asked for (issue 18.4).

A completion works on a snapshot of the document taken when the editor asked; an edit
that lands while the model streams moves the answer with the text it belongs to, and an
edit that touches the spot itself leaves nothing to show. Every completion path: the
inline request, the completion item and ``iskra.complete``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import Session, lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply

SOURCE = "def double(x):\n    y = x\n    z = y\n    return "
"""The cursor ends line 3, ``    return `` (3:11)."""


def _insert_top_line(s: Session, uri: str) -> None:
    s.change(uri, 0, 0, "import math\n")


async def _inline(s: Session, uri: str, position: types.Position) -> list[Any]:
    result = await s.client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    if result is None:
        return []
    items = result.items if isinstance(result, types.InlineCompletionList) else result
    return [(item.insert_text, item.range) for item in items]


async def _item(s: Session, uri: str, position: types.Position) -> list[Any]:
    result = await s.client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=position,
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    items = [] if result is None else (
        result.items if isinstance(result, types.CompletionList) else result)
    out = []
    for item in items:
        assert isinstance(item.text_edit, types.TextEdit)
        out.append((item.text_edit.new_text, item.text_edit.range))
    return out


async def _command(s: Session, uri: str, position: types.Position) -> list[Any]:
    result = await s.command("iskra.complete", {"uri": uri, "position": position})
    out = []
    for item in result.items:
        r = item.range
        out.append((item.insertText, types.Range(
            start=types.Position(line=r.start.line, character=r.start.character),
            end=types.Position(line=r.end.line, character=r.end.character))))
    return out


PATHS = {"inline": _inline, "item": _item, "command": _command}


def _span(line: int, start: int, end: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=start),
                       end=types.Position(line=line, character=end))


async def _answers_after_an_edit(
    tmp_path: Path, path: str, edit: Callable[[Session, str], None]
) -> tuple[list[Any], Session, str]:
    """Ask at the end of ``    return `` (3:11) on ``path``; ``edit`` lands while the model
    streams; what the editor got back."""
    editor = "emacs" if path == "item" else "neovim"
    async with lsp_session(tmp_path, editor=editor, inline=path != "item",
                           settings={"completion": {"debounceMs": 0}}) as s:
        uri = s.open("placed.py", SOURCE)
        s.stub.script(Reply.text("x * 2", stall_seconds=1.0))
        asked = asyncio.ensure_future(PATHS[path](s, uri, types.Position(line=3, character=11)))
        await s.wait_for(lambda: s.stub.active_streams == 1, timeout=30)  # a cold start
        edit(s, uri)
        answers = await asyncio.wait_for(asked, 10)
        assert len(s.stub.requests) == 1
        return answers, s, uri


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_answer_follows_a_line_inserted_above_while_the_model_streams(
    tmp_path: Path, path: str
) -> None:
    answers, s, uri = await _answers_after_an_edit(tmp_path, path, _insert_top_line)
    assert answers == [("x * 2", _span(4, 11, 11))]  # was 4:0-4:0 or 3:9-3:9
    assert s.text(uri).splitlines()[4] == "    return "


@pytest.mark.parametrize("path", sorted(PATHS))
async def test_an_edit_at_the_spot_while_the_model_streams_leaves_nothing_to_show(
    tmp_path: Path, path: str
) -> None:
    """The user typed at the cursor meanwhile: the old answer has no place any more."""

    def type_at_the_cursor(s: Session, uri: str) -> None:
        s.change(uri, len(SOURCE) - 1, len(SOURCE), " None")  # "    return" + " None"

    answers, _s, _uri = await _answers_after_an_edit(tmp_path, path, type_at_the_cursor)
    assert answers == []
