"""Model ids are checked against the service's ``/ai/v1/models`` when it answers.

A small real HTTP server plays the service's model list (the bundled stub has no such
endpoint, so it also stands for "the service cannot tell": the check is skipped).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from iskra_ls.api.auth import TokenStore
from iskra_ls.api.client import IskraClient
from iskra_ls.api.models import available_models, model_ids
from iskra_ls.session import Session
from iskra_ls.settings import Settings
from iskra_ls.stub import StubIskra

SERVED = ["qwen3-coder-flash", "claude-sonnet-4-5"]


@pytest.fixture
async def models_service() -> AsyncIterator[str]:
    """``GET /ai/v1/models`` answered in OpenAI's list shape; everything else 404."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        line = request.split(b"\r\n", 1)[0].decode()
        seen.append(line)
        if line.startswith("GET /ai/v1/models "):
            body = json.dumps(
                {"object": "list", "data": [{"id": m, "object": "model"} for m in SERVED]}
            ).encode()
            status = b"200 OK"
        else:
            body, status = b"{}", b"404 Not Found"
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


def test_unserved_model_names_the_available_ones() -> None:
    settings = Settings(completion={"model": "qwen3-coder-plus"})
    problems = settings.unserved_models(SERVED)
    assert [p.key for p in problems] == ["completion.model", "actions.model"]
    text = str(problems[0])
    assert "qwen3-coder-plus" in text and "qwen3-coder-flash, claude-sonnet-4-5" in text
    assert Settings(
        completion={"model": "claude-sonnet-4-5"}, actions={"model": "qwen3-coder-flash"}
    ).unserved_models(SERVED) == []


def test_model_ids_read_the_openai_list_shape() -> None:
    assert model_ids({"data": [{"id": "a"}, {"id": "b"}, {"x": 1}]}) == ["a", "b"]
    assert model_ids({"detail": "no"}) is None
    assert model_ids({"data": []}) is None


async def test_available_models_from_the_service(models_service: str) -> None:
    client = IskraClient(models_service)
    assert await available_models(client) == SERVED
    await client.aclose()


async def test_no_model_list_means_no_check() -> None:
    async with StubIskra() as stub:
        stub.models = None  # a service without the endpoint
        client = IskraClient(stub.url, "tok")
        assert await available_models(client) is None
        await client.aclose()


async def test_session_warns_about_a_model_the_service_does_not_serve(
    models_service: str, tmp_path: Path
) -> None:
    shown: list[tuple[str, str]] = []
    session = Session(
        lambda _status: None,
        lambda level, text: shown.append((level, text)),
        token_store=TokenStore(tmp_path / "token"),
    )
    session.apply_settings({"apiUrl": models_service, "actions": {"model": "qwen3-coder-plus"}})
    problems = await session.check_models_with_service()
    assert [p.key for p in problems] == ["actions.model"]
    warnings = [text for level, text in shown if level == "warning" and "actions.model" in text]
    assert warnings and "qwen3-coder-flash, claude-sonnet-4-5" in warnings[-1]
    await session.stop()
