"""The request economy on every path (issue 11.1, 11.2, 11.4, 11.5; issue 10.6).

Each test drives the real server over stdio under a real editor's capabilities and
counts what reached the stub Iskra: requests, connections, disconnects, statuses.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from harness import TOKEN, Session, lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply, StubIskra
from iskra_ls.textdoc import LineIndex

FAST = {"completion": {"debounceMs": 60, "adaptiveDebounce": False}}
POLL = {"ISKRA_QUOTA_POLL_S": "0.2"}


async def _complete(s: Session, uri: str, offset: int | None = None) -> list[types.CompletionItem]:
    """``textDocument/completion`` as idle completion sends it: trigger kind Invoked."""
    result = await s.client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=s.position(uri, offset),
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    if result is None:
        return []
    return list(result.items) if isinstance(result, types.CompletionList) else list(result)


async def _ready(s: Session) -> None:
    await s.wait_for(lambda: any(st["remaining"] is not None for st in s.statuses), timeout=20)


async def _own_stub(**account: Any) -> StubIskra:
    stub = StubIskra()
    await stub.start()
    if account:
        stub.set_account(TOKEN, **account)
    return stub


# -- 11.1 completion items are automatic ---------------------------------------------------


async def test_invoked_completion_items_follow_manual_mode(tmp_path: Path) -> None:
    """eglot/company idle completion sends Invoked after each key: manual mode sends nothing."""
    settings = {"completion": {"mode": "manual"}}
    async with lsp_session(tmp_path, editor="emacs", settings=settings) as s:
        await _ready(s)
        uri = s.open("m.py", "def add(a, b):\n    ")
        for char in "return":
            s.type_text(uri, char)
            assert await _complete(s, uri) == []
        assert s.stub.requests == []
        s.type_text(uri, " ")
        s.stub.script(Reply.text("a + b"))
        result = await s.command("iskra.complete", {"uri": uri, "position": s.position(uri)})
        assert [item.insertText for item in result.items] == ["a + b"]
        assert len(s.stub.requests) == 1


@pytest.mark.parametrize("editor", ["emacs", "neovim"])
async def test_completion_item_replay_stays_within_the_inline_bound(
    tmp_path: Path, editor: str
) -> None:
    """A completion request after every keystroke, as idle completion does: <= 3 per 100 keys."""
    source = (
        "def area(width, height):\n"
        "    result = width * height\n"
        "    return result\n"
        "print(area(3, 4), area(5, 6), area(7, 8))\n"
    )
    async with lsp_session(tmp_path, editor=editor, inline=False) as s:
        await _ready(s)
        uri = s.open("r.py", "")
        pending = []
        for key in source:
            s.type_text(uri, key)
            pending.append(asyncio.ensure_future(_complete(s, uri)))
            await asyncio.sleep(0.02)
        await asyncio.gather(*pending)
        await asyncio.sleep(0.5)  # sleep-ok: the pause after the last key is what is measured
        await _complete(s, uri)
        assert 100 * len(s.stub.requests) / len(source) <= 3


@pytest.mark.parametrize("editor", ["emacs", "helix", "vscode"])
@pytest.mark.parametrize(
    ("before", "reply", "after"),
    [("y = ad", "d(3, 4)", "y = add(3, 4)"), ("return a", " + b", "return a + b")],
)
async def test_completion_item_replaces_the_whole_word(
    tmp_path: Path, editor: str, before: str, reply: str, after: str
) -> None:
    """The edit starts at the word; label and newText are word + suggestion (eglot-safe)."""
    async with lsp_session(tmp_path, editor=editor, inline=False, settings=FAST) as s:
        await _ready(s)
        uri = s.open("w.py", f"def f(a, b):\n    {before}")
        s.stub.script(Reply.text(reply))
        items = await _complete(s, uri)
        assert len(items) == 1
        item = items[0]
        assert isinstance(item.text_edit, types.TextEdit)
        word = before.rsplit(" ", 1)[-1]
        index = LineIndex(s.text(uri), s.encoding)
        start, end = index.offsets_of(item.text_edit.range)
        assert (start, end) == (len(s.text(uri)) - len(word), len(s.text(uri)))
        assert item.text_edit.new_text == item.label == item.filter_text == word + reply
        # As eglot does: put the label over the word, then apply the edit over the label.
        text = s.text(uri)[:start] + item.label
        text = text[:start] + item.text_edit.new_text
        assert text.endswith(after)


async def test_failed_action_is_shown_every_time(tmp_path: Path) -> None:
    """eglot ignores command results: every failed action shows a message."""
    async with lsp_session(tmp_path, editor="emacs") as s:
        uri = s.open("a.py", "x = 1\n")
        for _ in range(2):
            s.stub.script(Reply.error(400, "bad things"))
            await s.command("iskra.ask", {"uri": uri, "instruction": "add a docstring"})
        await s.round_trip()  # the messages sent with the answers have arrived
        shown = [m for m in s.client.messages if "bad things" in m.message]
        assert len(shown) == 2


# -- 11.2 a paid request is never thrown away ---------------------------------------------


async def test_short_stream_is_drained_and_its_connection_kept(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        await _ready(s)
        uri = s.open("o.py", "print()\nx = \n")
        looked_up = s.stub.me_requests
        s.stub.script(Reply.text('"hello")\nprint("more")\nprint("and more")\n'), Reply.text("1"))
        items = list((await s.inline(uri, offset=6) or types.InlineCompletionList(items=[])).items)
        assert [i.insert_text for i in items] == ['"hello")']
        await s.wait_for(lambda: s.stub.active_streams == 0)
        connections = s.stub.connections
        await s.wait_for(lambda: s.stub.me_requests > looked_up)  # the usage look-up after it
        items = list((await s.inline(uri, offset=12) or types.InlineCompletionList(items=[])).items)
        assert [i.insert_text for i in items] == ["1"]
        assert s.stub.disconnects == 0 and s.stub.connections == connections


async def test_invoked_request_rechecks_supersession_after_the_quota_lookup(
    tmp_path: Path,
) -> None:
    stub = await _own_stub(requests_today=20)
    try:
        async with lsp_session(tmp_path, stub=stub) as s:
            await s.wait_for(lambda: any(st["remaining"] == 0 for st in s.statuses))
            stub.set_account(TOKEN, requests_today=10)  # the quota came back
            uri = s.open("q.py", "x = ")
            stub.script(Reply.text("1"))  # the default "pass" is no Python after "x = "
            first = asyncio.ensure_future(s.inline(uri))
            second = asyncio.ensure_future(s.inline(uri))
            await asyncio.gather(first, second)
            assert len(stub.requests) == 1
    finally:
        await stub.stop()


async def test_action_round_retried_after_a_server_error_counts_twice(tmp_path: Path) -> None:
    # A 500 is retried once within the round (a time-out ends the whole action: actions.timeoutS).
    async with lsp_session(tmp_path) as s:
        await _ready(s)
        uri = s.open("t.py", "x = 1\n")
        s.stub.script(Reply.error(500, "Internal failure"), Reply.text("Done."))
        before = s.statuses[-1]["requestsToday"]
        seen = len(s.statuses)
        await s.command("iskra.ask", {"uri": uri, "instruction": "explain"})
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses[seen:]))
        first_idle = next(st for st in s.statuses[seen:] if st["state"] == "ready")
        assert len(s.stub.requests) == 2
        assert first_idle["requestsToday"] == before + 2


# -- 10.6 quota arithmetic under concurrency ----------------------------------------------


async def test_automatic_requests_waking_together_stay_within_the_budget(
    tmp_path: Path,
) -> None:
    settings = {"completion": {"debounceMs": 200, "adaptiveDebounce": False, "autoBudget": 0.5}}
    async with lsp_session(tmp_path, settings=settings) as s:
        await _ready(s)
        uris = [s.open(f"d{i}.py", f"v{i} = ") for i in range(30)]
        await asyncio.gather(*(s.inline(uri, invoked=False) for uri in uris))
        assert len(s.stub.requests) <= 10


@pytest.mark.parametrize("value", ["inf", "nan", "soon", "-1"])
async def test_unusable_retry_after_means_until_the_reset(tmp_path: Path, value: str) -> None:
    async with lsp_session(tmp_path) as s:
        uri = s.open("r.py", "x = ")
        s.stub.script(Reply.error(429, "Daily request limit reached", retry_after=value))
        result = await s.inline(uri)
        assert result is not None and list(result.items) == []
        await s.wait_for(lambda: any(st["state"] == "quotaExhausted" for st in s.statuses))
        assert not [st for st in s.statuses if "Error" in st["message"]]


# -- 11.4 the budget resets every day; 11.5 back after a 429 by itself --------------------


async def _spend_automatic(s: Session, uri: str, tries: int) -> int:
    """Type statements with an automatic request after each; how many reached the stub."""
    before = len(s.stub.requests)
    for i in range(tries):
        s.type_text(uri, f"v{len(s.text(uri))}_{i} = ")
        await s.inline(uri, invoked=False)
        s.type_text(uri, "0\n")
    return len(s.stub.requests) - before


async def test_automatic_budget_resets_each_day(tmp_path: Path) -> None:
    settings = {"completion": {"debounceMs": 0, "adaptiveDebounce": False, "autoBudget": 0.5}}
    async with lsp_session(tmp_path, settings=settings, env=POLL) as s:
        await _ready(s)
        uri = s.open("days.py", "")
        per_day = []
        for _day in range(3):
            per_day.append(await _spend_automatic(s, uri, 14))
            await s.wait_for(lambda: s.statuses[-1]["state"] == "paused")
            target = s.stub.me_requests + 2
            await s.wait_for(lambda t=target: s.stub.me_requests >= t)  # today's figures seen
            s.stub.set_account(TOKEN, requests_today=0)  # midnight: the service resets
            await s.wait_for(lambda: s.statuses[-1]["state"] == "ready")
        assert per_day == [10, 10, 10]


async def test_429_without_retry_after_resumes_when_requests_remain(tmp_path: Path) -> None:
    stub = await _own_stub(requests_today=19)
    settings = {"completion": {**FAST["completion"], "autoBudget": 1.0}}
    try:
        async with lsp_session(tmp_path, stub=stub, settings=settings, env=POLL) as s:
            await _ready(s)
            uri = s.open("p.py", "x = ")
            stub.script(Reply.error(429, "Daily request limit reached"))  # the 20th of 20
            await s.inline(uri, invoked=False)
            assert len(stub.requests) == 1
            await s.wait_for(lambda: s.statuses[-1]["state"] == "quotaExhausted")
            looked_up = stub.me_requests
            await s.wait_for(lambda: stub.me_requests >= looked_up + 2)  # a few look-ups
            await s.round_trip()  # and the statuses they led to: still spent
            assert s.statuses[-1]["state"] == "quotaExhausted"
            stub.set_account(TOKEN, requests_today=0)  # the next day
            await s.wait_for(lambda: s.statuses[-1]["state"] == "ready")
            s.type_text(uri, "2\nz = ")
            stub.script(Reply.text("3"))
            result = await s.inline(uri, invoked=False)
            assert result is not None and [i.insert_text for i in result.items] == ["3"]
    finally:
        await stub.stop()


# -- 10.9 a flood stays cheap -------------------------------------------------------------


async def test_a_flood_of_requests_is_dropped_at_the_door(tmp_path: Path) -> None:
    """5 000 inline requests at once: one model request, every request answered, flat state."""
    async with lsp_session(tmp_path) as s:
        await _ready(s)
        uri = s.open("f.py", "def f(x):\n    return ")
        s.stub.script(Reply.text("x + 1", stall_seconds=0.5))
        kinds = [True, False] * 2500
        requests = [asyncio.ensure_future(s.inline(uri, invoked=k)) for k in kinds]
        results = await asyncio.gather(*requests)
        assert len(results) == 5000
        assert len(s.stub.requests) == 1
        stats = (await s.command("iskra.status")).completions
        assert stats.waiting == 0
        assert stats.superseded + stats.shown + stats.cacheHits >= 4999


# -- 18.6 an unusable answer is remembered ------------------------------------------------

UNUSABLE = "Here is the completed code. It sums the values that the caller gave us."
"""English where code must go: post-processing drops it, and the same spot would get it again."""


async def test_asking_again_where_the_answer_was_dropped_costs_nothing(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        await _ready(s)
        uri = s.open("u.py", "def total(values):\n    return ")
        s.stub.script(Reply.text(UNUSABLE))  # and the stub's default "pass" after it
        for _ in range(3):
            result = await s.inline(uri)
            assert result is not None and list(result.items) == []
        command = await s.command("iskra.complete", {"uri": uri, "position": s.position(uri)})
        assert command.items == []
        assert len(s.stub.requests) == 1
        s.type_text(uri, "sum(")  # a new spot: worth a new request
        s.stub.script(Reply.text("values)"))
        result = await s.inline(uri)
        assert result is not None and [i.insert_text for i in result.items] == ["values)"]
        assert len(s.stub.requests) == 2


@pytest.mark.parametrize("inline_first", [True, False])
async def test_both_transports_at_one_spot_cost_one_request(
    tmp_path: Path, inline_first: bool
) -> None:
    """``transport: both``: VS Code asks for the inline item and the completion list at once."""
    options = {"iskra": {"completion": {"transport": "both"}}}
    async with lsp_session(tmp_path, editor="vscode", settings=FAST,
                           initialization_options=options) as s:
        await _ready(s)
        uri = s.open("both.py", "def area(width, height):\n    return ")
        s.stub.script(Reply.text("width * height", stall_seconds=0.3))
        inline = asyncio.ensure_future(s.inline(uri, invoked=False))
        item = asyncio.ensure_future(_complete(s, uri))
        first, second = (inline, item) if inline_first else (item, inline)
        await asyncio.sleep(0)
        results = await asyncio.gather(first, second)
        inline_result, items = (results if inline_first else results[::-1])
        assert inline_result is not None
        assert [i.insert_text for i in inline_result.items] == ["width * height"]
        assert [i.text_edit.new_text for i in items if i.text_edit] == ["width * height"]
        assert len(s.stub.requests) == 1


async def test_both_transports_after_a_dropped_answer_cost_one_request(tmp_path: Path) -> None:
    options = {"iskra": {"completion": {"transport": "both"}}}
    async with lsp_session(tmp_path, editor="vscode", settings=FAST,
                           initialization_options=options) as s:
        await _ready(s)
        uri = s.open("drop.py", "def area(width, height):\n    return ")
        s.stub.script(Reply.text(UNUSABLE), Reply.text(UNUSABLE))
        result = await s.inline(uri, invoked=False)
        assert result is not None and list(result.items) == []
        assert await _complete(s, uri) == []
        assert len(s.stub.requests) == 1
