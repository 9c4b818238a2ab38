"""Document-sync fuzzing: the server's copy of a document equals the editor's, always.

Hypothesis draws random incremental edits (several changes per ``didChange``,
whole-document replacements, text full of line breaks LSP does not count --
``\\f \\v \\x85 \\u2028`` -- next to CRLF, lone CR, emoji and Cyrillic) and
out-of-range positions (a line past the end, a character past the line end,
which the specification says clamp to the line end). After each sequence the
server's copy is read back through ``iskra.ask`` (the first chat request
carries the file between ``<file>`` tags) and compared with the client's.

One server per position encoding serves the whole Hypothesis run: it lives in
its own event loop on a background thread, so the test functions stay sync and
Hypothesis can shrink freely. Positions are computed here by a reference
implementation that does not use :mod:`iskra_ls.textdoc`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from harness import Session, lsp_session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from iskra_ls.stub import Reply, StubIskra

T = TypeVar("T")
ENCODINGS = ["utf-8", "utf-16", "utf-32"]
PIECES = ["a", "bc", " ", "\t", "Ж", "ёж", "😀", "👩‍💻", "é", "e\u0301", "\r", "\n", "\r\n",
          "\f", "\v", "\x1c", "\x85", "\u2028", "\u2029", "x = 1", "\n\r"]
"""Insertable fragments: every LSP line break and every break only ``splitlines`` knows."""
_BREAK = re.compile(r"\r\n|\r|\n")


# -- a reference position model, independent of iskra_ls.textdoc -------------------------


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _BREAK.finditer(text)]


def content_end(text: str, starts: list[int], line: int) -> int:
    """Offset where ``line``'s content ends (before its line break)."""
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    segment = text[starts[line]:end]
    if segment.endswith("\r\n"):
        return end - 2
    return end - 1 if segment.endswith(("\r", "\n")) else end


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def to_position(text: str, offset: int, encoding: str) -> types.Position:
    starts = line_starts(text)
    line = max(i for i, s in enumerate(starts) if s <= offset)
    return types.Position(line=line, character=units(text[starts[line]:offset], encoding))


def valid_offset(text: str, offset: int) -> int:
    """Offsets between ``\\r`` and ``\\n`` have no LSP position: step back before the ``\\r``."""
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return offset - 1
    return offset


@dataclass(frozen=True)
class Edit:
    """One content change: offsets into the text it applies to, or a whole-document text."""

    start: int
    end: int
    text: str
    whole: bool = False
    past_line_end: int = 0
    """Extra units added to the end position's character (it then clamps to the line end)."""
    past_last_line: int = 0
    """Extra lines added to the end position's line (it then clamps to the end of text)."""


def apply(text: str, edit: Edit, encoding: str
          ) -> tuple[str, types.TextDocumentContentChangeEvent]:
    """The client's side of one change: the new text and the event that says so."""
    if edit.whole:
        return edit.text, types.TextDocumentContentChangeWholeDocument(text=edit.text)
    start_pos = to_position(text, edit.start, encoding)
    end_pos = to_position(text, edit.end, encoding)
    end = edit.end
    starts = line_starts(text)
    if edit.past_last_line:
        end_pos = types.Position(line=len(starts) - 1 + edit.past_last_line, character=3)
        end = len(text)
    elif edit.past_line_end:
        line_end = content_end(text, starts, end_pos.line)
        end_pos = types.Position(line=end_pos.line, character=units(
            text[starts[end_pos.line]:line_end], encoding) + edit.past_line_end)
        end = line_end
    new = text[: edit.start] + edit.text + text[end:]
    return new, types.TextDocumentContentChangePartial(
        range=types.Range(start=start_pos, end=end_pos), text=edit.text)


# -- strategies ----------------------------------------------------------------------------

fragments = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)


@st.composite
def edits_for(draw: st.DrawFn, text: str) -> Edit:
    if draw(st.integers(0, 19)) == 0:
        return Edit(0, 0, draw(fragments), whole=True)
    a = valid_offset(text, draw(st.integers(0, len(text))))
    b = valid_offset(text, draw(st.integers(0, len(text))))
    start, end = min(a, b), max(a, b)
    kind = draw(st.integers(0, 9))
    return Edit(start, end, draw(fragments),
                past_line_end=draw(st.integers(1, 40)) if kind == 0 else 0,
                past_last_line=draw(st.integers(1, 5)) if kind == 1 else 0)


# -- one server per encoding, in a background loop ----------------------------------------


class BackgroundSession:
    """An ``lsp_session`` kept open in its own thread's event loop."""

    def __init__(self, root: Path, encoding: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._stack = contextlib.AsyncExitStack()
        self.session: Session = self.run(self._open(root, encoding), timeout=30)
        self.count = 0

    async def _open(self, root: Path, encoding: str) -> Session:
        stub = await self._stack.enter_async_context(StubIskra(limit=1_000_000))
        s = await self._stack.enter_async_context(
            lsp_session(root, encoding=encoding, stub=stub))
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses), 10)
        return s

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def close(self) -> None:
        try:
            self.run(self._stack.aclose(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture(scope="module", params=ENCODINGS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[BackgroundSession]:
    background = BackgroundSession(tmp_path_factory.mktemp(f"fuzz-{request.param}"),
                                   request.param)
    try:
        assert background.session.encoding == request.param
        yield background
    finally:
        background.close()


async def server_text(s: Session, uri: str) -> str:
    """The server's copy, read from the prompt of an ``iskra.ask``."""
    s.stub.script(Reply.text("Nothing to change."))
    before = len(s.stub.requests)
    answer = await s.command("iskra.ask", {"uri": uri, "instruction": "echo"})
    assert answer.message == "Nothing to change.", answer
    user = s.stub.requests[before]["messages"][1]["content"]
    start = user.index("<file>\n") + len("<file>\n")
    return str(user[start : user.rindex("\n</file>")])


async def replay(s: Session, uri: str, text: str, events: list[list[Edit]]) -> str:
    """Open ``uri`` with ``text``, send ``events`` (several changes each), read it back."""
    s.open(uri.rsplit("/", 1)[-1], text)
    version = 1
    for event in events:
        changes = []
        for edit in event:
            text, change = apply(text, edit, s.encoding)
            changes.append(change)
        version += 1
        s.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=changes))
    s.docs[uri] = (text, version)
    got = await server_text(s, uri)
    s.client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    del s.docs[uri]
    assert got == text, f"server {got!r} != client {text!r}"
    return got


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[list[Edit]]]:
    """An initial text and up to 4 didChange events of 1-3 changes each."""
    initial = draw(fragments)
    text = initial
    events: list[list[Edit]] = []
    for _ in range(draw(st.integers(1, 4))):
        event = []
        for _ in range(draw(st.integers(1, 3))):
            edit = draw(edits_for(text))
            text, _change = apply(text, edit, "utf-32")
            event.append(edit)
        events.append(event)
    return initial, events


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=scenarios())
def test_server_copy_matches_client(server: BackgroundSession,
                                    scenario: tuple[str, list[list[Edit]]]) -> None:
    initial, events = scenario
    server.count += 1
    uri = server.session.uri(f"fuzz{server.count}.py")
    server.run(replay(server.session, uri, initial, events))


def test_out_of_range_positions_in_requests_keep_the_server_answering(
        server: BackgroundSession) -> None:
    """Positions past the end in completion, code action and ask requests never crash it."""
    s = server.session
    far = [types.Position(line=10_000, character=0), types.Position(line=0, character=10_000),
           types.Position(line=1, character=2**31 - 1)]

    async def probe() -> None:
        text = "a = 'Ж😀'\r\nb\u2028 = 2\n"
        uri = s.open("far.py", text)
        for position in far:
            s.stub.script(Reply.text("1"))
            await s.client.text_document_inline_completion_async(types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=position,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
            await s.client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(start=types.Position(line=0, character=0), end=position),
                context=types.CodeActionContext(diagnostics=[])))
            rng = {"start": {"line": 0, "character": 0},
                   "end": {"line": position.line, "character": position.character}}
            s.stub.script(Reply.text("ok"))
            answer = await s.command("iskra.ask", {"uri": uri, "range": rng, "instruction": "x"})
            assert answer.message == "ok"
        assert await server_text(s, uri) == text
        s.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        del s.docs[uri]

    server.run(probe())
