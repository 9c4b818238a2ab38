"""The Iskra client against the bundled stub: answers, streams, and every error mapped."""

from __future__ import annotations

import socket

import pytest

from iskra_ls import errors
from iskra_ls.api.client import Account, IskraClient, extract_token
from iskra_ls.stub import Reply, StubIskra

MESSAGES = [{"role": "user", "content": "hi"}]
MODEL = "qwen3-coder-flash"


async def test_plain_chat_records_usage_and_counts_the_request() -> None:
    async with StubIskra() as stub:
        client = IskraClient(stub.url, "tok")
        stub.script(Reply.text("hello"))
        result = await client.chat(model=MODEL, messages=MESSAGES)
        assert result.content == "hello" and result.finish_reason == "stop"
        assert result.usage is not None and result.usage.total_tokens > 0
        assert client.requests_sent == 1 and client.last_usage == result.usage
        await client.aclose()


async def test_streamed_tool_call_fragments_merge_by_index() -> None:
    async with StubIskra(chunk_chars=3) as stub:
        client = IskraClient(stub.url, "tok")
        stub.script(Reply.tool_calls([("read_file", {"uri": "a.py"}),
                                      ("list_directory", {"uri": "/"})]))
        async with client.stream_chat(model=MODEL, messages=MESSAGES) as stream:
            async for _ in stream:
                pass
        calls = stream.result.tool_calls
        assert [(c.name, c.arguments) for c in calls] == [
            ("read_file", '{"uri": "a.py"}'), ("list_directory", '{"uri": "/"}')]
        assert stream.result.finish_reason == "tool_calls"
        await client.aclose()


async def test_auth_me_and_account_shape() -> None:
    async with StubIskra() as stub:
        client = IskraClient(stub.url, "tok")
        account = await client.me()
        assert (account.tier, account.limit, account.remaining) == ("free", 20, 20)
        assert account.to_me()["usage"]["remaining"] == 20
        await client.aclose()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(Reply.error(429, "limit", retry_after=30), errors.QuotaExhausted, id="429"),
        pytest.param(Reply.error(400, "bad"), errors.BadRequest, id="400"),
        pytest.param(Reply.error(500, "boom"), errors.ServiceError, id="500"),
        pytest.param(Reply.text("abc", drop_after_chunks=1), errors.IskraError, id="dropped"),
        pytest.param(Reply.text("abcdefgh", malformed_chunk_at=1), errors.MalformedResponse,
                     id="malformed"),
        pytest.param(Reply.text("abcdefgh", error_event="overloaded"), errors.StreamEndedEarly,
                     id="error-event"),
    ],
)
async def test_stream_errors_are_typed(reply: Reply, error: type[errors.IskraError]) -> None:
    async with StubIskra(chunk_chars=2) as stub:
        client = IskraClient(stub.url, "tok")
        stub.script(reply)
        with pytest.raises(error) as caught:
            async with client.stream_chat(model=MODEL, messages=MESSAGES) as stream:
                async for _ in stream:
                    pass
        assert "Traceback" not in str(caught.value) and str(caught.value)
        if isinstance(caught.value, errors.QuotaExhausted):
            assert caught.value.retry_after == 30
        await client.aclose()


async def test_429_is_never_retried_but_5xx_is_when_allowed() -> None:
    async with StubIskra() as stub:
        client = IskraClient(stub.url, "tok")
        stub.script(Reply.error(429, "limit"), Reply.text("unused"))
        with pytest.raises(errors.QuotaExhausted):
            await client.chat(model=MODEL, messages=MESSAGES, retries=3)
        assert len(stub.requests) == 1
        stub.reset()
        stub.script(Reply.error(500, "boom"), Reply.text("second time lucky"))
        result = await client.chat(model=MODEL, messages=MESSAGES, retries=1)
        assert result.content == "second time lucky" and len(stub.requests) == 2
        stub.reset()
        stub.script(Reply.error(500, "boom"), Reply.text("never"))
        with pytest.raises(errors.ServiceError):
            await client.chat(model=MODEL, messages=MESSAGES)  # completions: no retries
        assert len(stub.requests) == 1
        await client.aclose()


async def test_no_token_revoked_token_timeout_and_unreachable() -> None:
    async with StubIskra() as stub:
        with pytest.raises(errors.NotSignedIn):
            await IskraClient(stub.url, None).me()
        stub.revoke("old")
        client = IskraClient(stub.url, "old")
        with pytest.raises(errors.TokenRejected):
            await client.chat(model=MODEL, messages=MESSAGES)
        await client.aclose()
        stub.latency = 2.0
        slow = IskraClient(stub.url, "tok", timeout=0.3)
        with pytest.raises(errors.TimedOut):
            await slow.chat(model=MODEL, messages=MESSAGES)
        await slow.aclose()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = IskraClient(f"http://127.0.0.1:{port}", "tok")
    with pytest.raises(errors.Unreachable) as caught:
        await closed.chat(model=MODEL, messages=MESSAGES)
    assert f"127.0.0.1:{port}" in str(caught.value)
    await closed.aclose()


async def test_login_steps_without_bearer() -> None:
    async with StubIskra() as stub:
        client = IskraClient(stub.url, None)
        await client.auth_step("send-code", {"email": "me@example.com"})
        code = stub.codes["me@example.com"]
        await client.auth_step("verify-email", {"email": "me@example.com", "code": code})
        answer = await client.auth_step("complete-registration", {"email": "me@example.com"})
        token = extract_token(answer)
        assert token and token.count(".") == 2
        with pytest.raises(errors.BadRequest):
            await client.auth_step("verify-email", {"email": "me@example.com", "code": "000"})
        await client.aclose()


@pytest.mark.parametrize(
    ("body", "token"),
    [
        ({"token": "a"}, "a"), ({"accessToken": "b"}, "b"), ({"access_token": "c"}, "c"),
        ({"jwt": "d"}, "d"), ({"data": {"token": "e"}}, "e"), ({"data": {"x": 1}}, None),
        ("nope", None),
    ],
)
def test_extract_token_is_tolerant(body: object, token: str | None) -> None:
    assert extract_token(body) == token


def test_account_from_partial_me() -> None:
    account = Account.from_me({"usage": {"limit": 20, "requestsToday": 5}})
    assert account.remaining == 15 and account.tier is None
