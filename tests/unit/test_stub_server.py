"""The stub Iskra server speaks the real wire format: the official OpenAI SDK is the judge.

Every other test of the project talks to this stub instead of Iskra, so these tests pin
down what it promises: OpenAI-shaped answers (plain, streamed, tool calls, usage), the
documented errors (400, 401, 429 with Retry-After, 500), faults on demand, disconnect
accounting, quotas, the sign-in flow, the admin endpoints and the process entry point.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openai
import pytest

from iskra_ls.stub import MODELS, Reply, StubIskra
from iskra_ls.stub.accounts import Account

TOKEN = "test-token"
MODEL = "qwen3-coder-flash"
MESSAGES: list[Any] = [{"role": "user", "content": "def add(a, b):"}]


@pytest.fixture
async def stub() -> AsyncIterator[StubIskra]:
    async with StubIskra() as server:
        yield server


@pytest.fixture
async def client(stub: StubIskra) -> AsyncIterator[openai.AsyncOpenAI]:
    sdk = openai.AsyncOpenAI(base_url=stub.url + "/ai/v1", api_key=TOKEN, max_retries=0)
    yield sdk
    await sdk.close()


async def ask(client: openai.AsyncOpenAI, **kwargs: Any) -> Any:
    params: dict[str, Any] = {"model": MODEL, "messages": MESSAGES, **kwargs}
    return await client.chat.completions.create(**params)


async def collect(stream: Any) -> list[Any]:
    return [chunk async for chunk in stream]


async def wait_for(condition: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def merge_tool_calls(chunks: list[Any]) -> dict[int, dict[str, str]]:
    merged: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            entry = merged.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.id or ""
            if call.function is not None:
                entry["name"] += call.function.name or ""
                entry["arguments"] += call.function.arguments or ""
    return merged


# ------------------------------------------------------------------------ answers
async def test_plain_text_answer_has_content_finish_reason_and_usage(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.text("    return a + b\n"))
    answer = await ask(client, temperature=0.2, max_tokens=64)
    assert answer.object == "chat.completion"
    assert answer.model == MODEL
    assert answer.choices[0].message.content == "    return a + b\n"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.prompt_tokens == 4  # 14 characters of prompt
    assert answer.usage.completion_tokens == 5  # 17 characters of answer
    assert answer.usage.total_tokens == 9
    assert stub.requests[0]["messages"] == MESSAGES
    assert stub.requests[0]["temperature"] == 0.2


async def test_streamed_text_arrives_in_chunks_and_reassembles(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    text = "for i in range(10):\n    print(i)\n"
    stub.script(Reply.text(text))
    chunks = await collect(await ask(client, stream=True))
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert "".join(pieces) == text
    assert len(pieces) == 9  # 34 characters, 4 per chunk
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 9


async def test_stream_options_include_usage_adds_a_usage_chunk(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.text("x = 1"))
    stream = await ask(client, stream=True, stream_options={"include_usage": True})
    chunks = await collect(stream)
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + 2
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-2].usage is None


async def test_streamed_tool_calls_merge_by_index_to_the_original_arguments(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    first = {"uri": "/test.py", "content": "print('hello')\n"}
    stub.script(Reply.tool_calls([("create_file_or_folder", first), ("read_file", '{"uri": "a"}')]))
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {}}}]
    chunks = await collect(await ask(client, stream=True, tools=tools))
    merged = merge_tool_calls(chunks)
    assert merged[0]["name"] == "create_file_or_folder"
    assert json.loads(merged[0]["arguments"]) == first
    assert merged[1] == {"id": merged[1]["id"], "name": "read_file", "arguments": '{"uri": "a"}'}
    assert merged[0]["id"].startswith("call_") and merged[0]["id"] != merged[1]["id"]
    fragments = [
        c
        for c in chunks
        if c.choices
        and c.choices[0].delta.tool_calls
        and c.choices[0].delta.tool_calls[0].index == 0
    ]
    assert len(fragments) > 3  # the name, then the arguments in several pieces
    assert all(f.choices[0].delta.tool_calls[0].id is None for f in fragments[1:])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_plain_tool_call_has_null_content_and_string_arguments(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.tool_calls([("read_file", {"uri": "main.py"})]))
    answer = await ask(client)
    message = answer.choices[0].message
    assert message.content is None
    assert message.tool_calls[0].type == "function"
    assert message.tool_calls[0].function.name == "read_file"
    assert json.loads(message.tool_calls[0].function.arguments) == {"uri": "main.py"}
    assert answer.choices[0].finish_reason == "tool_calls"
    assert answer.usage.completion_tokens > 0


async def test_default_answers_and_reply_function(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {}}}]
    assert (await ask(client)).choices[0].message.content == "pass"
    assert (await ask(client, tools=tools)).choices[0].message.content == "Done."
    stub.reply_function = lambda body: Reply.text(body["messages"][-1]["content"].upper())
    stub.script(Reply.text("scripted first"))
    assert (await ask(client)).choices[0].message.content == "scripted first"
    assert (await ask(client)).choices[0].message.content == "DEF ADD(A, B):"


# ------------------------------------------------------------------------- errors
async def test_missing_token_is_401_with_an_openai_error_body(stub: StubIskra) -> None:
    body = {"model": MODEL, "messages": MESSAGES}
    async with aiohttp.ClientSession() as http:
        async with http.post(stub.url + "/ai/v1/chat/completions", json=body) as resp:
            assert resp.status == 401
            error = (await resp.json())["error"]
        async with http.get(stub.url + "/auth/me") as me:
            assert me.status == 401
    assert set(error) >= {"message", "type", "code"}
    assert error["type"] == "authentication_error"


async def test_revoked_token_raises_authentication_error(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    await ask(client)
    stub.revoke(TOKEN)
    with pytest.raises(openai.AuthenticationError) as caught:
        await ask(client)
    assert caught.value.status_code == 401
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        pytest.param({"model": "gpt-4o"}, "model", id="unknown-model"),
        pytest.param({"temperature": 3}, "temperature", id="temperature-3"),
        pytest.param({"top_p": 1.5}, "top_p", id="top_p"),
        pytest.param({"max_tokens": 0}, "max_tokens", id="max_tokens"),
        pytest.param({"messages": []}, "messages", id="no-messages"),
    ],
)
async def test_malformed_requests_are_400_naming_the_field(
    stub: StubIskra, client: openai.AsyncOpenAI, extra: dict[str, Any], field: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await ask(client, **extra)
    assert field in caught.value.message
    assert stub.account(TOKEN).requests_today == 0


async def test_quota_429_after_the_limit_with_retry_after(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.set_account(TOKEN, limit=2)
    await ask(client)
    await ask(client, stream=True)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(client)
    retry_after = int(caught.value.response.headers["Retry-After"])
    assert 1 <= retry_after <= 86400
    assert stub.account(TOKEN).requests_today == 2
    stub.set_account(TOKEN, tier="pro")
    assert stub.account(TOKEN).limit == 500
    await ask(client)


async def test_error_replies_keep_their_status_and_retry_after(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.error(500, "model crashed"), Reply.error(429, "busy", retry_after=7))
    with pytest.raises(openai.InternalServerError, match="model crashed"):
        await ask(client)
    with pytest.raises(openai.RateLimitError) as caught:
        await ask(client, stream=True)
    assert caught.value.response.headers["Retry-After"] == "7"


# ------------------------------------------------------------------------- faults
async def test_drop_mid_stream_ends_without_finish_reason(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.text("abcdefghijklmnop", drop_after_chunks=2))
    chunks: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in await ask(client, stream=True):
            chunks.append(chunk)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "abcdefgh"
    assert all(c.choices[0].finish_reason is None for c in chunks)
    assert stub.disconnects == 0  # the stub's own drop is not the client leaving


async def test_malformed_chunk_makes_the_sdk_raise(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.text("abcdefgh", malformed_chunk_at=2))
    with pytest.raises(json.JSONDecodeError):
        await collect(await ask(client, stream=True))


async def test_error_event_mid_stream_raises_api_error(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.script(Reply.text("abcdefgh", error_event="overloaded"))
    with pytest.raises(openai.APIError, match="overloaded"):
        await collect(await ask(client, stream=True))


async def test_latency_delays_first_byte_and_stall_pauses_the_stream(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.latency = 0.2
    stub.script(Reply.text("abcdefgh", stall_seconds=0.3))
    start = time.monotonic()
    stream = await ask(client, stream=True)
    times = [(time.monotonic() - start, chunk) async for chunk in stream]
    content_times = [t for t, c in times if c.choices and c.choices[0].delta.content]
    assert times[0][0] >= 0.2
    # The second chunk cannot leave before latency + stall; measured from the start, not as the
    # gap after the first chunk (which shrinks when a loaded machine reads chunk 1 late).
    assert content_times[1] >= 0.2 + 0.3
    assert "".join(c.choices[0].delta.content or "" for _, c in times if c.choices) == "abcdefgh"


async def test_faults_on_plain_requests(stub: StubIskra, client: openai.AsyncOpenAI) -> None:
    stub.script(
        Reply.text("x", drop_after_chunks=0),
        Reply.text("x", malformed_chunk_at=1),
        Reply.text("x", stall_seconds=0.2),
    )
    with pytest.raises(openai.APIConnectionError):
        await ask(client)
    with pytest.raises(json.JSONDecodeError):
        await ask(client)
    start = time.monotonic()
    assert (await ask(client)).choices[0].message.content == "x"
    assert time.monotonic() - start >= 0.2


async def test_client_closing_a_stream_early_counts_one_disconnect(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    stub.tokens_per_second = 200
    stub.script(Reply.text("x" * 400))
    stream = await ask(client, stream=True)
    async with stream:
        async for _chunk in stream:
            assert stub.active_streams == 1
            break
    await wait_for(lambda: stub.disconnects == 1 and stub.active_streams == 0)


async def test_client_timeout_during_a_stall_counts_a_disconnect(stub: StubIskra) -> None:
    sdk = openai.AsyncOpenAI(
        base_url=stub.url + "/ai/v1", api_key=TOKEN, max_retries=0, timeout=openai.Timeout(0.3)
    )
    stub.script(Reply.text("abcdefgh", stall_seconds=5))
    with pytest.raises(openai.APITimeoutError):
        await collect(await ask(sdk, stream=True))
    await sdk.close()
    await wait_for(lambda: stub.disconnects == 1 and stub.active_streams == 0)


async def test_stop_ends_open_streams_quickly_without_counting_them() -> None:
    server = StubIskra()
    await server.start()
    sdk = openai.AsyncOpenAI(base_url=server.url + "/ai/v1", api_key=TOKEN, max_retries=0)
    server.script(Reply.text("abcdefgh", stall_seconds=30))
    stream = await ask(sdk, stream=True)
    await stream.__anext__()
    start = time.monotonic()
    await server.stop()
    assert time.monotonic() - start < 2
    assert server.disconnects == 0 and server.active_streams == 0
    await sdk.close()


# ------------------------------------------------------------------ accounts, auth
async def test_auth_me_reports_usage_and_does_not_count(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    first = await ask(client)
    second = await ask(client, stream=True, stream_options={"include_usage": True})
    usage = next(c.usage for c in await collect(second) if c.usage)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for _ in range(2):
            async with http.get(stub.url + "/auth/me") as resp:
                me = await resp.json()
    assert me == {
        "user": {"email": "user@example.com", "tier": "free"},
        "usage": {
            "requestsToday": 2,
            "tokensToday": first.usage.total_tokens + usage.total_tokens,
            "limit": 20,
            "remaining": 18,
        },
    }


async def test_sign_in_flow_issues_a_working_token(
    stub: StubIskra, capsys: pytest.CaptureFixture[str]
) -> None:
    email = "dev@example.org"
    async with aiohttp.ClientSession() as http:

        async def post(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            async with http.post(stub.url + path, json=body) as resp:
                return resp.status, await resp.json()

        assert (await post("/auth/send-code", {"email": "not-an-email"}))[0] == 400
        assert (await post("/auth/complete-registration", {"email": email}))[0] == 400
        status, sent = await post("/auth/send-code", {"email": "Dev@Example.org"})
        assert status == 200 and sent["ok"] is True
        code = stub.codes[email]
        assert len(code) == 6 and code.isdigit()
        assert f"Iskra stub: code for {email} is {code}" in capsys.readouterr().err
        wrong = "000000" if code != "000000" else "111111"
        assert (await post("/auth/verify-email", {"email": email, "code": wrong}))[0] == 400
        assert await post("/auth/verify-email", {"email": email, "code": code}) == (
            200,
            {"ok": True, "verified": True},
        )
        status, done = await post("/auth/complete-registration", {"email": email, "code": code})
        assert status == 200
        token = done["token"]
        assert len(token.split(".")) == 3
        assert (await post("/auth/complete-registration", {"email": email}))[0] == 400  # used up
        auth = {"Authorization": f"Bearer {token}"}
        async with http.get(stub.url + "/auth/me", headers=auth) as resp:
            me = await resp.json()
    assert me["user"] == {"email": email, "tier": "free"}
    assert [path for path, _ in stub.auth_requests] == [
        "/auth/send-code",
        "/auth/complete-registration",
        "/auth/send-code",
        "/auth/verify-email",
        "/auth/verify-email",
        "/auth/complete-registration",
        "/auth/complete-registration",
    ]
    assert token not in capsys.readouterr().err


def test_account_day_rolls_over_at_utc_midnight() -> None:
    account = Account(tier="free", limit=20, requests_today=20, tokens_today=99)
    account.day = account.day.replace(year=account.day.year - 1)
    account.roll_over()
    assert (account.requests_today, account.tokens_today, account.remaining) == (0, 0, 20)


# -------------------------------------------------------------------------- admin
async def test_admin_endpoints_script_and_inspect_the_stub(
    stub: StubIskra, client: openai.AsyncOpenAI
) -> None:
    replies = [
        {"content": "hello"},
        {"tool_calls": [{"name": "read_file", "arguments": {"uri": "a.py"}}]},
        {"error": {"status": 429, "message": "slow down", "retry_after": 3}},
    ]
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, stub.url + path, json=body) as resp:
                return resp.status, await resp.json()

        assert (await call("POST", "/_stub/script", {"replies": replies}))[1]["queued"] == 3
        assert (await call("POST", "/_stub/script", {"replies": [{"bogus": 1}]}))[0] == 400
        assert (await ask(client)).choices[0].message.content == "hello"
        call_args = (await ask(client)).choices[0].message.tool_calls[0].function.arguments
        assert json.loads(call_args) == {"uri": "a.py"}
        with pytest.raises(openai.RateLimitError):
            await ask(client)
        assert len((await call("GET", "/_stub/requests"))[1]) == 3

        config = {"latency": 0, "tokens_per_second": 500, "chunk_chars": 2, "tier": "pro"}
        assert (await call("POST", "/_stub/config", config))[0] == 200
        assert (stub.tokens_per_second, stub.chunk_chars) == (500, 2)
        assert (stub.account(TOKEN).tier, stub.account(TOKEN).limit) == ("pro", 500)
        assert stub.account("someone-new").limit == 500
        assert (await call("POST", "/_stub/config", {"chunk_chars": 0}))[0] == 400

        status, me = await call("POST", "/_stub/account", {"token": TOKEN, "requests_today": 500})
        assert status == 200 and me["usage"]["remaining"] == 0
        with pytest.raises(openai.RateLimitError):
            await ask(client)
        assert (await call("POST", "/_stub/revoke", {"token": TOKEN}))[0] == 200
        with pytest.raises(openai.AuthenticationError):
            await ask(client)
        stats = (await call("GET", "/_stub/stats"))[1]
        assert stats == {"requests": 5, "disconnects": 0, "connections": 1, "active_streams": 0,
                         "queued": 0}

        assert (await call("POST", "/_stub/reset"))[0] == 200
        assert stub.requests == [] and stub.chunk_chars == 4 and stub.limit == 20
        assert (await ask(client)).choices[0].message.content == "pass"


def test_reply_from_json_rejects_bad_shapes() -> None:
    assert Reply.from_json({"content": "a", "stall_seconds": 1}) == Reply.text("a", stall_seconds=1)
    bad: dict[str, Any]
    for bad in ({}, {"content": 3}, {"tool_calls": []}, {"content": "a", "drop": 1}):
        with pytest.raises(ValueError):
            Reply.from_json(bad)
    assert len(MODELS) == 7


# -------------------------------------------------------------------- as a process
async def test_run_stub_server_as_a_process_prints_its_url_and_serves() -> None:
    code = "from iskra_ls.stub import run_stub_server; run_stub_server('127.0.0.1', 0, limit=3)"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert line.startswith("Iskra stub server listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        headers = {"Authorization": "Bearer process-token"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(url + "/auth/me") as resp:
                me = await resp.json()
        assert me["usage"]["limit"] == 3
    finally:
        proc.terminate()
        out, err = await asyncio.wait_for(proc.communicate(), 5)
    assert proc.returncode == 0
    assert out == b""
    assert b"process-token" not in err
