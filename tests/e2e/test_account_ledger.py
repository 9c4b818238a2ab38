"""One account, one budget: every iskra-ls on the machine shares the day's quota (issue 19).

Each test runs real server processes over stdio (several where the case is about
several: editor windows open at once, or a server restarted) against one bundled stub
with the free tier's 20 requests and ``autoBudget`` 0.5, so at most 10 automatic
(typing-triggered) requests may reach the service in a day, whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from harness import SECOND_TOKEN, TOKEN, Session, lsp_session
from lsprotocol import types
from test_economy import _spend_automatic

from iskra_ls.api.auth import TokenStore
from iskra_ls.stub import Reply, StubIskra

AUTO = {"completion": {"debounceMs": 0, "adaptiveDebounce": False, "autoBudget": 0.5}}
POLL = {"ISKRA_QUOTA_POLL_S": "0.2"}
DAY_BUDGET = 10
"""``autoBudget`` 0.5 of the free tier's 20 requests."""


async def _ready(s: Session) -> None:
    await s.wait_for(lambda: any(st["remaining"] is not None for st in s.statuses), timeout=20)


@contextlib.asynccontextmanager
async def _servers(
    root: Path, count: int, stub: StubIskra, **kwargs: Any
) -> AsyncIterator[list[Session]]:
    """``count`` servers at once: editor windows sharing one config folder (one account)."""
    async with contextlib.AsyncExitStack() as stack:
        sessions = [
            await stack.enter_async_context(lsp_session(root, stub=stub, **kwargs))
            for _ in range(count)
        ]
        yield sessions


@contextlib.asynccontextmanager
async def _stub(**knobs: Any) -> AsyncIterator[StubIskra]:
    stub = StubIskra(**knobs)
    await stub.start()
    try:
        yield stub
    finally:
        await stub.stop()


# -- 1. one ledger per account on the machine ------------------------------------------------


@pytest.mark.parametrize("count", [2, 3])
async def test_servers_typing_at_once_share_the_automatic_budget(
    tmp_path: Path, count: int
) -> None:
    async with _stub() as stub, _servers(tmp_path, count, stub, settings=AUTO) as group:
        await asyncio.gather(*(_ready(s) for s in group))
        uris = [s.open(f"window{i}.py", "") for i, s in enumerate(group)]
        await asyncio.gather(*(_spend_automatic(s, u, 14) for s, u in zip(group, uris,
                                                                             strict=True)))
        assert len(stub.requests) == DAY_BUDGET


async def test_three_restarts_in_a_row_share_the_automatic_budget(tmp_path: Path) -> None:
    async with _stub() as stub:
        per_run = []
        for _run in range(3):
            async with lsp_session(tmp_path, stub=stub, settings=AUTO) as s:
                await _ready(s)
                uri = s.open("restart.py", "")
                per_run.append(await _spend_automatic(s, uri, 14))
        assert sum(per_run) == DAY_BUDGET, per_run


# -- 2. no spending before the plan is known -------------------------------------------------


async def test_a_burst_right_after_start_stays_within_the_smallest_plan(tmp_path: Path) -> None:
    async with _stub() as stub, lsp_session(tmp_path, stub=stub, settings=AUTO) as s:
        uris = [s.open(f"burst{i}.py", f"v{i} = ") for i in range(50)]
        await asyncio.gather(*(s.inline(uri, invoked=False) for uri in uris))
        assert len(stub.requests) <= DAY_BUDGET


async def test_while_auth_me_fails_the_smallest_plan_is_assumed(tmp_path: Path) -> None:
    async with _stub() as stub:
        stub.me_status = 500  # the usage endpoint is broken; chat works
        async with lsp_session(tmp_path, stub=stub, settings=AUTO) as s:
            uri = s.open("blind.py", "")
            assert await _spend_automatic(s, uri, 25) == DAY_BUDGET
            status = await s.command("iskra.status")
            assert status.planKnown is False and status.limit is None
            assert status.automaticLeft == 0 and status.byKind.automatic == DAY_BUDGET


# -- 3. a rejected token stops automatic requests --------------------------------------------


async def test_a_rejected_token_stops_automatic_requests_until_it_changes(
    tmp_path: Path,
) -> None:
    async with _stub() as stub:
        TokenStore(tmp_path / "config" / "token").save(TOKEN, stub.url)
        async with lsp_session(tmp_path, stub=stub, token=None, settings=AUTO) as s:
            await _ready(s)
            uri = s.open("revoked.py", "")
            stub.revoke(TOKEN)
            assert await _spend_automatic(s, uri, 8) <= 1
            assert s.statuses[-1]["state"] == "signedOut"
            TokenStore(tmp_path / "config" / "token").save(SECOND_TOKEN, stub.url)  # login
            await s.wait_for(lambda: s.statuses[-1]["state"] == "ready", timeout=10)
            assert await _spend_automatic(s, uri, 2) == 2


async def test_a_token_rejected_in_one_window_stops_the_others(tmp_path: Path) -> None:
    async with _stub() as stub:
        TokenStore(tmp_path / "config" / "token").save(TOKEN, stub.url)
        async with _servers(tmp_path, 2, stub, token=None, settings=AUTO) as (a, b):
            await asyncio.gather(_ready(a), _ready(b))
            stub.revoke(TOKEN)
            assert await _spend_automatic(a, a.open("a.py", ""), 3) == 1
            assert await _spend_automatic(b, b.open("b.py", ""), 3) == 0


# -- 4. a reservation that never reached the service is given back ---------------------------


async def test_requests_that_never_left_are_given_back(tmp_path: Path) -> None:
    async with _stub() as stub, lsp_session(tmp_path, stub=stub, settings=AUTO, env=POLL) as s:
        await _ready(s)
        uri = s.open("offline.py", "x = 1\n")
        await stub.stop()  # the network goes down
        assert await _spend_automatic(s, uri, 10) == 0
        failed = await s.command("iskra.ask", {"uri": uri, "instruction": "add a docstring"})
        assert failed.applied is False
        await stub.start()  # back, on the same address
        status = await s.command("iskra.status")
        assert vars(status.byKind) == {"automatic": 0, "invoked": 0, "action": 0}
        assert status.state == "ready", status
        assert await _spend_automatic(s, uri, 14) == DAY_BUDGET


async def test_requests_refused_for_another_api_root_are_given_back(tmp_path: Path) -> None:
    async with _stub() as home, _stub() as other:
        async with lsp_session(tmp_path, stub=other, settings=AUTO,
                               env={"ISKRA_API_URL": home.url}) as s:
            await _ready(s)
            s.client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
                settings={"iskra": {**AUTO, "apiUrl": other.url}}))
            uri = s.open("elsewhere.py", "")
            assert await _spend_automatic(s, uri, 12) == 0
            assert s.statuses[-1]["state"] != "paused", s.statuses[-1]
            confirmed = await s.command("iskra.confirmApiUrl", {"apiUrl": other.url})
            assert confirmed.confirmed is True
            assert await _spend_automatic(s, uri, 14) == DAY_BUDGET


# -- 5. a short Retry-After is not a new day -------------------------------------------------


async def test_a_short_retry_after_is_not_a_new_day(tmp_path: Path) -> None:
    async with _stub() as stub, lsp_session(tmp_path, stub=stub, settings=AUTO, env=POLL) as s:
        await _ready(s)
        uri = s.open("retry.py", "")
        assert await _spend_automatic(s, uri, 5) == 5
        stub.script(Reply.error(429, "Too many requests", retry_after=1))
        assert await _spend_automatic(s, uri, 1) == 1
        await s.wait_for(lambda: s.statuses[-1]["state"] == "quotaExhausted")
        await s.wait_for(lambda: s.statuses[-1]["state"] == "ready", timeout=10)
        await _spend_automatic(s, uri, 14)
        assert len(stub.requests) == DAY_BUDGET
        await asyncio.sleep(1.5)  # sleep-ok: the Retry-After time passes, the day does not
        assert await _spend_automatic(s, uri, 14) == 0


# -- 6. an explicit request never waits long behind a background fetch -----------------------


async def test_an_explicit_request_does_not_wait_behind_a_stalled_fetch(tmp_path: Path) -> None:
    settings = {"completion": {"debounceMs": 0, "adaptiveDebounce": False}}
    async with _stub() as stub, lsp_session(tmp_path, stub=stub, settings=settings) as s:
        await _ready(s)
        uri = s.open("stall.py", "def f(a):\n    return ")
        stub.script(Reply.text("a", stall_seconds=8), Reply.text(" + 1"))
        background = asyncio.ensure_future(s.inline(uri, invoked=False))
        await s.wait_for(lambda: stub.active_streams == 1)
        s.type_text(uri, "a")  # typed on: the stalled answer may fit, but it does not come
        result = await s.inline(uri)
        assert result is not None and [i.insert_text for i in result.items] == [" + 1"]
        assert stub.active_streams == 1, "the explicit request waited for the stalled fetch"
        await background


async def test_an_explicit_request_elsewhere_goes_out_at_once(tmp_path: Path) -> None:
    settings = {"completion": {"debounceMs": 0, "adaptiveDebounce": False}}
    async with _stub() as stub, lsp_session(tmp_path, stub=stub, settings=settings) as s:
        await _ready(s)
        text = "def f(a):\n    return \n\ndef g(b):\n    return \n"
        uri = s.open("two.py", text)
        stub.script(Reply.text("a", stall_seconds=8), Reply.text("b"))
        first = text.index("return ") + len("return ")
        background = asyncio.ensure_future(s.inline(uri, first, invoked=False))
        await s.wait_for(lambda: stub.active_streams == 1)
        result = await s.inline(uri, len(text) - 1)  # in g(): the other answer cannot fit
        assert result is not None and [i.insert_text for i in result.items] == ["b"]
        assert stub.active_streams == 1
        await background


async def test_an_explicit_request_at_the_same_place_uses_the_running_answer(
    tmp_path: Path,
) -> None:
    settings = {"completion": {"debounceMs": 0, "adaptiveDebounce": False}}
    async with _stub() as stub, lsp_session(tmp_path, stub=stub, settings=settings) as s:
        await _ready(s)
        uri = s.open("same.py", "def f(a):\n    return ")
        stub.script(Reply.text("a * 2", stall_seconds=0.5))
        background = asyncio.ensure_future(s.inline(uri, invoked=False))
        await s.wait_for(lambda: stub.active_streams == 1)
        result = await s.inline(uri)
        assert result is not None and [i.insert_text for i in result.items] == ["a * 2"]
        assert len(stub.requests) == 1
        await background


# -- 7. per-document state ends with the document --------------------------------------------


async def test_closing_documents_forgets_their_completion_state(tmp_path: Path) -> None:
    async with _stub() as stub, lsp_session(tmp_path, stub=stub) as s:
        await _ready(s)
        for i in range(60):
            uri = s.open(f"tab{i}.py", "x = 1\n")
            s.type_text(uri, "y = ")
            if i < 3:
                await s.inline(uri)
            s.client.text_document_did_close(types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
        kept = s.open("kept.py", "z = 1\n")
        s.type_text(kept, "w = ")
        stats = (await s.command("iskra.status")).completions
        assert stats.trackedDocuments == 1


# -- 8. the quota, visible across every editor on the machine --------------------------------


async def test_status_shows_the_day_across_every_window_and_the_command_line(
    tmp_path: Path,
) -> None:
    async with _stub() as stub, _servers(tmp_path, 2, stub, settings=AUTO) as (a, b):
        await asyncio.gather(_ready(a), _ready(b))
        assert await _spend_automatic(a, a.open("a.py", ""), 2) == 2
        uri = b.open("b.py", "def f(a):\n    return ")
        stub.script(Reply.text("a"))
        await b.inline(uri)
        await b.command("iskra.ask", {"uri": uri, "instruction": "add a docstring"})
        status = await a.command("iskra.status")
        assert vars(status.byKind) == {"automatic": 2, "invoked": 1, "action": 1}
        # Automatic requests may have half of what the day offers them: 2 spent + 16 left.
        share = (2 + 16) // 2
        assert status.automaticLeft == share - 2
        assert status.resetsAt.endswith("Z")

        env = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
        env.update(ISKRA_CONFIG_DIR=str(tmp_path / "config"), ISKRA_API_URL=stub.url,
                   ISKRA_TOKEN=TOKEN)
        for args in (["status"], ["status", "--json"]):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "iskra_ls", *args, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
            assert proc.returncode == 0, err.decode()
            text = out.decode()
            if "--json" in args:
                machine = json.loads(text)["machine"]
                assert machine["byKind"] == {"automatic": 2, "invoked": 1, "action": 1}
                assert machine["automaticLeft"] == share - 2
            else:
                assert "2 automatic, 1 invoked, 1 action" in text, text
                assert f"{share - 2} of {share} left" in text, text
                assert "resets" in text, text
