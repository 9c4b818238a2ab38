"""Inline completions over stdio: correctness, encodings and request economy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from harness import lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from iskra_ls.stub import Reply
from iskra_ls.textdoc import LineIndex

FAST = {"completion": {"debounceMs": 60, "adaptiveDebounce": False}}


def _items(result: types.InlineCompletionList | None) -> list[types.InlineCompletionItem]:
    return list(result.items) if result is not None else []


async def test_invoked_completion_inserts_at_the_cursor(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("a.py", "def add(a, b):\n    ")
        s.stub.script(Reply.text("```python\nreturn a + b\n```"))
        items = _items(await s.inline(uri))
        assert [i.insert_text for i in items] == ["return a + b"]
        assert items[0].command is not None
        assert items[0].command.command == "iskra.completion.accepted"
        prompt = s.stub.requests[0]
        assert prompt["model"] == "qwen3-coder-flash"
        assert prompt["stream"] is True


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
async def test_ranges_under_every_encoding(tmp_path: Path, encoding: str) -> None:
    async with lsp_session(tmp_path, encoding=encoding) as s:
        text = "greet('😀 Привет', "
        uri = s.open("e.py", text + ")\n")
        s.stub.script(Reply.text("name)"))
        items = _items(await s.inline(uri, len(text)))
        assert items and items[0].insert_text == "name)"
        index = LineIndex(s.text(uri), s.encoding)
        start, end = index.offsets_of(items[0].range)  # type: ignore[arg-type]
        assert (start, end) == (len(text), len(text) + 1)  # the auto-closed ")" is replaced


async def test_typing_through_a_suggestion_sends_no_request(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("t.py", "def total(xs):\n    ")
        await s.settings_applied()
        s.stub.script(Reply.text("result = sum(xs)\n    return result"))
        first = _items(await s.inline(uri))
        assert first and first[0].insert_text.startswith("result = sum(xs)")
        for char in "result = s":
            s.type_text(uri, char)
            items = _items(await s.inline(uri, invoked=False))
            assert items, f"no suggestion after typing {char!r}"
        assert items[0].insert_text.startswith("um(xs)")
        s.type_text(uri, "um(xs)\n    ")  # through the line end, with the editor's indent
        items = _items(await s.inline(uri, invoked=False))
        assert items and items[0].insert_text == "return result"
        assert len(s.stub.requests) == 1


async def test_debounce_sends_one_request_for_a_burst(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("d.py", "value = ")
        await s.settings_applied()
        s.stub.script(Reply.text("+ compute()"))  # valid Python after "value = ab "
        pending = []
        for char in "abc":
            s.type_text(uri, char if char != "c" else " ")
            pending.append(asyncio.ensure_future(s.inline(uri, invoked=False)))
            await asyncio.sleep(0.01)
        results = await asyncio.gather(*pending)
        assert len(s.stub.requests) == 1
        assert _items(results[-1]) and not _items(results[0]) and not _items(results[1])


async def test_superseded_request_finishes_into_the_cache(tmp_path: Path) -> None:
    """A paid answer is kept: typing through it after a newer keystroke costs nothing."""
    async with lsp_session(tmp_path) as s:
        uri = s.open("s.py", "x = ")
        s.stub.script(Reply.text("1 + 2 + 3", stall_seconds=1), Reply.text("42"))
        older = asyncio.ensure_future(s.inline(uri))
        await s.wait_for(lambda: s.stub.active_streams == 1)
        s.type_text(uri, "1")
        newer = await s.inline(uri)
        assert not _items(await older)
        assert [i.insert_text for i in _items(newer)] == [" + 2 + 3"]
        assert len(s.stub.requests) == 1 and s.stub.disconnects == 0


async def test_cancel_request_answers_at_once_and_keeps_the_answer(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("c.py", "x = ")
        s.stub.script(Reply.text("1 + 2", stall_seconds=1))
        future = asyncio.ensure_future(s.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=s.position(uri),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked))))
        await s.wait_for(lambda: s.stub.active_streams == 1)
        msg_id = next(reversed(s.client.protocol._request_futures))
        s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        with pytest.raises(JsonRpcException):
            await asyncio.wait_for(future, 3)
        assert s.stub.active_streams == 1  # the HTTP stream is still open
        await s.wait_for(lambda: s.stub.active_streams == 0)
        assert s.stub.disconnects == 0
        items = _items(await s.inline(uri))  # the same spot again: served from the cache
        assert [i.insert_text for i in items] == ["1 + 2"] and len(s.stub.requests) == 1


async def test_one_line_completion_stops_the_stream_early(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("o.py", "print()\n")
        s.stub.tokens_per_second = 50
        s.stub.script(Reply.text('"hello")\nprint("more")\n' + "# padding\n" * 40))
        items = _items(await s.inline(uri, offset=6))
        assert [i.insert_text for i in items] == ['"hello")']
        await s.wait_for(lambda: s.stub.disconnects == 1)


async def test_automatic_budget_and_invoked_still_served(tmp_path: Path) -> None:
    settings = {"completion": {"debounceMs": 0, "autoBudget": 0.5, "adaptiveDebounce": False}}
    async with lsp_session(tmp_path, settings=settings) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        uri = s.open("b.py", "")
        for i in range(30):
            s.type_text(uri, f"v{i} = ")
            await s.inline(uri, invoked=False)
            s.type_text(uri, "0\n")
        assert len(s.stub.requests) <= 10
        await s.wait_for(lambda: s.statuses[-1]["state"] == "paused")
        assert "Automatic suggestions paused" in s.statuses[-1]["message"]
        s.type_text(uri, "w = ")
        s.stub.script(Reply.text("1"))  # the stub's default "pass" is no Python after "w = "
        before = len(s.stub.requests)
        items = _items(await s.inline(uri, invoked=True))
        assert len(s.stub.requests) == before + 1 and items


async def test_429_pauses_automatic_then_recovers(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("q.py", "a = ")
        await s.settings_applied()
        s.stub.script(Reply.error(429, "Daily request limit reached", retry_after=3))
        assert not _items(await s.inline(uri, invoked=False))
        await s.wait_for(lambda: s.statuses[-1]["state"] == "quotaExhausted")
        messages = [m for m in s.client.messages if "limit" in m.message]
        assert len(messages) == 1
        s.type_text(uri, "1")
        s.type_text(uri, " + ")
        assert not _items(await s.inline(uri, invoked=False))  # paused: no request
        assert len(s.stub.requests) == 1
        await asyncio.sleep(3.1)  # sleep-ok: Retry-After (3 s) passes on the wall clock
        s.stub.script(Reply.text("2"))
        assert _items(await s.inline(uri, invoked=False))
        assert len(s.stub.requests) == 2


async def test_no_request_inside_a_word(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("w.py", "value = compute_total(x)\n")
        assert not _items(await s.inline(uri, offset=12, invoked=False))
        assert s.stub.requests == []


async def test_acceptance_is_counted(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("acc.py", "x = ")
        s.stub.script(Reply.text("1"))
        item = _items(await s.inline(uri))[0]
        assert item.command is not None
        await s.command(item.command.command, *(item.command.arguments or []))
        stats = (await s.command("iskra.status")).completions
        assert stats.accepted == 1 and stats.shown == 1 and stats.requestsPerAccepted == 1


async def test_completion_items_for_clients_without_inline(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, editor="emacs") as s:
        uri = s.open("em.py", "def sq(x):\n    ")
        s.stub.script(Reply.text("return x * x"))
        result = await s.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=s.position(uri),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
        assert isinstance(result, types.CompletionList)
        item = result.items[0]
        assert isinstance(item.text_edit, types.TextEdit)
        assert item.text_edit.new_text == "return x * x"
        assert item.command is not None


async def test_toggle_and_mode_off(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("off.py", "x = ")
        assert (await s.command("iskra.completion.toggle")).enabled is False
        assert not _items(await s.inline(uri))
        assert s.stub.requests == []
        await s.wait_for(lambda: s.statuses[-1]["state"] == "disabled")




async def test_status_follows_every_request_even_one_sent_before_usage_was_known(
    tmp_path: Path,
) -> None:
    """A request made while the first /auth/me is still out must still show up (19 of 20)."""
    async with lsp_session(tmp_path) as s:
        uri = s.open("st.py", "x = ")
        s.stub.script(Reply.text("1"))
        assert _items(await s.inline(uri))  # possibly before the first usage look-up answered
        await s.wait_for(lambda: s.statuses[-1]["remaining"] == 19)
        assert s.statuses[-1]["requestsToday"] == 1
