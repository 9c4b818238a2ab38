"""The real-model bench's own parts: the cases cut from real code, the proxy, the corpus format.

The recorder (``bench/real_model/record.py``) needs a model and is not run here; what it is
built from is: the cases must be the same every run and each kind's document, cursor and
ground truth must put the real file back together; the proxy must give Iskra's paths
(``/auth/me`` in Iskra's shape, ``/ai/v1/*`` forwarded, streamed chunk by chunk) and record
the model's whole answer even when iskra-ls leaves early. A tiny aiohttp app stands in
for llama-server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.real_model.cases import (  # noqa: E402
    KINDS,
    LANGUAGES,
    Case,
    cases_for,
    kinds_for,
    source_files,
)
from bench.real_model.corpus import RecordedCase, load_corpus, write_corpus  # noqa: E402
from bench.real_model.oracle_layout import code_part, opens_block  # noqa: E402
from bench.real_model.oracle_syntax import syntax  # noqa: E402
from bench.real_model.proxy import ModelProxy  # noqa: E402
from bench.real_model.record import DEFAULT_COUNTS  # noqa: E402

HERE = [language for language in LANGUAGES if source_files(language)]
"""Languages whose sources this machine has (``bench.sources``; Python's stdlib always)."""
COUNT = 12


def _reassembled(case: Case) -> str:
    """The document with the cut code put back (and the auto-closed bracket taken out)."""
    after = case.offset + (1 if case.kind == "in_brackets" else 0)
    return case.text[: case.offset] + case.expected + case.text[after:]


@pytest.fixture(scope="module")
def generated() -> dict[str, list[Case]]:
    return {language: cases_for(language, DEFAULT_COUNTS.get(language, COUNT))
            for language in HERE}


def test_python_sources_are_found() -> None:
    assert "python" in HERE


def test_every_language_of_the_benches_is_recorded() -> None:
    """The corpus covers the languages ``bench.sources`` gives files for, each >= 15 cases."""
    assert set(DEFAULT_COUNTS) == set(LANGUAGES)
    assert min(DEFAULT_COUNTS.values()) >= 15


@pytest.mark.parametrize("language", HERE)
def test_cases_are_the_same_every_run(language: str) -> None:
    assert cases_for(language, 12) == cases_for(language, 12)
    assert cases_for(language, 12, seed=15) != cases_for(language, 12)


def test_enough_cases_of_every_kind(generated: dict[str, list[Case]]) -> None:
    for language, cases in generated.items():
        assert len(cases) == DEFAULT_COUNTS.get(language, COUNT), language
        assert len({case.id for case in cases}) == len(cases)
        kinds = [case.kind for case in cases]
        assert set(kinds) <= set(kinds_for(language)), language
        share = len(cases) // len(kinds_for(language))
        # Each kind its share, unless the files have too few of one (then the others fill in).
        assert all(kinds.count(kind) >= share // 3 for kind in kinds_for(language)), (
            language, kinds)


def test_each_document_is_real_code_with_a_piece_cut_out(
    generated: dict[str, list[Case]],
) -> None:
    for cases in generated.values():
        for case in cases:
            source = Path(case.source).read_text(encoding="utf-8")
            whole = _reassembled(case)
            assert whole in source, case.id
            start = source.index(whole)
            assert start == 0 or source[start - 1] == "\n", case.id  # whole lines
            assert len(case.text) <= 8200, case.id
            assert case.expected.strip(), case.id
            assert case.path.endswith(Path(case.source).suffix or case.path[-3:]), case.id


def test_each_kind_puts_the_cursor_where_its_name_says(
    generated: dict[str, list[Case]],
) -> None:
    for cases in generated.values():
        for case in cases:
            line_before = case.text[: case.offset].rsplit("\n", 1)[-1]
            line_after = case.text[case.offset :].split("\n", 1)[0]
            if case.kind == "line_start":
                assert line_before and not line_before.strip(), case.id
                assert not line_after.strip() and "\n" not in case.expected, case.id
            elif case.kind == "mid_line":
                assert line_before.strip() and not line_after, case.id
                assert "\n" not in case.expected, case.id
            elif case.kind == "after_opener":
                table = syntax(case.language_id)
                assert opens_block(code_part(line_before, case.language_id), table), case.id
                assert not line_after and case.expected.startswith("\n"), case.id
            else:
                assert line_before[-1] in "([{", case.id
                assert line_after in ")]}" and line_after, case.id
                assert case.expected.rstrip().endswith(line_after) or line_after in case.expected


# -------------------------------------------------------------------------- the proxy

ANSWER = ["def f", "(x):\n", "    return", " x + 1\n"]


class FakeModel:
    """llama-server's two routes, streaming ``ANSWER``; the rest waits for ``release``."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.release = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.post("/v1/chat/completions", self._chat),
                        web.get("/v1/models", self._models)])
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "smol.gguf"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(ANSWER)}
            return web.json_response({"choices": [{"message": message}]})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for n, piece in enumerate(ANSWER):
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if n == 0:
                await self.release.wait()
        await response.write(b"data: [DONE]\n\n")
        return response


@pytest.fixture
async def model_and_proxy() -> Any:
    model = FakeModel()
    await model.start()
    proxy = ModelProxy(model.url)
    await proxy.start()
    try:
        yield model, proxy
    finally:
        await proxy.stop()
        assert model.runner is not None
        await model.runner.cleanup()


AUTH = {"Authorization": "Bearer any-token-at-all"}
CHAT = {"model": "qwen3-coder-flash", "max_tokens": 64, "stream": True,
        "messages": [{"role": "user", "content": "complete"}]}


async def test_proxy_answers_auth_me_in_iskras_shape(model_and_proxy: Any) -> None:
    _, proxy = model_and_proxy
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proxy.url}/auth/me", headers=AUTH) as answer:
            assert answer.status == 200
            me = await answer.json()
        async with http.get(f"{proxy.url}/auth/me") as answer:
            assert answer.status == 401
    assert set(me) == {"user", "usage"}
    assert me["user"]["tier"] == "pro"
    assert me["usage"]["remaining"] >= 10**8  # quotas never get in the way


async def test_proxy_maps_the_ai_paths_to_the_models(model_and_proxy: Any) -> None:
    model, proxy = model_and_proxy
    model.release.set()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{proxy.url}/ai/v1/models", headers=AUTH) as answer:
            assert (await answer.json())["data"][0]["id"] == "smol.gguf"
        async with http.post(
            f"{proxy.url}/ai/v1/chat/completions", json=CHAT, headers=AUTH
        ) as answer:
            assert answer.headers["Content-Type"].startswith("text/event-stream")
            events = [line async for line in answer.content if line.strip()]
        plain = dict(CHAT, stream=False)
        async with http.post(
            f"{proxy.url}/ai/v1/chat/completions", json=plain, headers=AUTH
        ) as answer:
            content = (await answer.json())["choices"][0]["message"]["content"]
    assert len(events) == len(ANSWER) + 1  # chunk by chunk, then [DONE]
    assert content == "".join(ANSWER)
    assert model.requests[0]["messages"] == CHAT["messages"]
    assert "any-token-at-all" not in json.dumps(model.headers)  # the token stays here
    first = proxy.exchanges[0]
    assert first.raw == "".join(ANSWER)
    assert first.delivered_chars == len(first.raw) and not first.client_left
    assert first.request["max_tokens"] == 64


async def test_proxy_reads_the_whole_answer_after_the_client_left(
    model_and_proxy: Any,
) -> None:
    model, proxy = model_and_proxy
    async with aiohttp.ClientSession() as http:
        answer = await http.post(f"{proxy.url}/ai/v1/chat/completions", json=CHAT, headers=AUTH)
        assert (await answer.content.readline()).startswith(b"data:")
        answer.close()  # iskra-ls stops reading after the first piece
    exchange = proxy.exchanges[0]
    await asyncio.wait_for(exchange.left.wait(), 30)
    model.release.set()
    await asyncio.wait_for(exchange.done.wait(), 30)
    assert exchange.raw == "".join(ANSWER)
    assert exchange.delivered_chars == len(ANSWER[0])
    assert exchange.error is None


# -------------------------------------------------------------------------- the corpus

def test_committed_corpus_has_every_field() -> None:
    fields = {f.name for f in dataclasses.fields(RecordedCase)}
    rows = [
        json.loads(line)
        for path in sorted((ROOT / "tests/fixtures/real_completions").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert rows and all(set(row) == fields for row in rows)
    cases = load_corpus()
    assert len(cases) == len(rows)
    assert len({case.id for case in cases}) == len(cases)
    for case in cases:
        assert case.kind in KINDS and case.language_id in LANGUAGES
        assert 0 <= case.offset <= len(case.text) and case.expected
        assert case.raw is None or isinstance(case.raw, str)
        assert case.returned is None or isinstance(case.returned, str)
        assert isinstance(case.returned_replace_after, int)
        assert all(set(m) >= {"role", "content"} for m in case.prompt)
        assert case.model


def test_corpus_round_trips(tmp_path: Path) -> None:
    case = RecordedCase(
        id="lua/a.lua:3:mid_line", language_id="lua", path="a.lua", source="/x/a.lua",
        kind="mid_line", text="local x = \n", offset=10, expected="1", raw="```lua\n1\n```",
        delivered_chars=5, returned="1", returned_replace_after=0,
        prompt=[{"role": "user", "content": "é"}], max_tokens=32, model="m",
    )
    write_corpus([case], tmp_path)
    assert load_corpus(tmp_path) == [case]
    line = (tmp_path / "lua.jsonl").read_text(encoding="utf-8")
    assert "é" in line and list(json.loads(line)) == sorted(json.loads(line))
