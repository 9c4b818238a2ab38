"""The service's model list (``GET /ai/v1/models``) names a model setting it does not serve.

A model the settings know can still be retired by the service (or a misspelt one let
through with ``allowUnknownModels``): the user hears once which setting it is and which
models the service has; completions are still sent as configured (the service has the
last word on the request itself).
"""

from __future__ import annotations

from pathlib import Path

from harness import lsp_session
from lsprotocol import types

from iskra_ls.settings import KNOWN_MODELS
from iskra_ls.stub import Reply, StubIskra


def _texts(result: types.InlineCompletionList | None) -> list[str]:
    return [str(i.insert_text) for i in result.items] if result is not None else []


def _model_warnings(messages: list[str]) -> list[str]:
    return [m for m in messages if "model" in m and "available" in m]


async def test_a_retired_completion_model_is_named_once(tmp_path: Path) -> None:
    served = [m for m in KNOWN_MODELS if m != "qwen3-coder-flash"]
    async with StubIskra() as stub:
        stub.models = served
        settings = {"completion": {"model": "qwen3-coder-flash"}}
        async with lsp_session(tmp_path, stub=stub, settings=settings) as s:
            await s.wait_for(lambda: bool(_model_warnings([m.message for m in s.client.messages])))
            uri = s.open("a.py", "x = \n")
            s.stub.script(Reply.text("41 + 1"))
            assert _texts(await s.inline(uri, len("x = "))) == ["41 + 1"]
            assert [r["model"] for r in s.stub.requests] == ["qwen3-coder-flash"]
            # The same models again: no repeat (a completion after it waits for the change).
            s.client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings=None)
            )
            await s.inline(uri, len("x = "))
            warnings = _model_warnings([m.message for m in s.client.messages])
    assert len(warnings) == 1, warnings
    assert "completion.model" in warnings[0]
    assert "qwen3-coder-flash" in warnings[0]
    assert "qwen3-coder-plus" in warnings[0]  # the ones it does serve are named


async def test_served_models_give_no_warning(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        await s.wait_for(lambda: s.stub.models_requests >= 1)
        uri = s.open("a.py", "x = \n")
        s.stub.script(Reply.text("1"))
        assert _texts(await s.inline(uri, len("x = "))) == ["1"]
        assert not _model_warnings([m.message for m in s.client.messages])
