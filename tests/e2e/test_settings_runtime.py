"""Settings changed while the server runs: removed keys, transport, the completions toggle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import Session, lsp_session
from lsprotocol import types

SAMPLING = {"temperature": 0.7, "topP": 0.5, "maxTokens": 100, "completion": {"maxTokens": 50}}


async def _change(s: Session, how: str, section: dict[str, Any]) -> None:
    """Change the ``iskra`` section the way editors do, and wait until it is applied.

    ``gone``: the section is no longer there at all (the client answers null).
    """
    seen = len(s.statuses)
    s.client.set_configuration({} if how == "gone" else {"iskra": section})
    settings = {"iskra": section} if how == "push" else None
    s.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=settings))
    await s.wait_for(lambda: len(s.statuses) > seen)  # the handler publishes at its end


async def _bodies(s: Session) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request bodies of one invoked completion and one action, in a fresh document."""
    n = len(s.docs)
    uri = s.open(f"a{n}.py", f"def add{n}(a, b):\n    return ")
    before = len(s.stub.requests)
    await s.inline(uri)
    await s.command("iskra.ask", {"uri": uri, "instruction": "x"})
    new = s.stub.requests[before:]
    completion = next(b for b in new if not b.get("tools"))
    action = next(b for b in new if b.get("tools"))
    return completion, action


@pytest.mark.parametrize("how", ["pull", "push", "null", "gone"])
async def test_a_removed_setting_returns_to_its_default(tmp_path: Path, how: str) -> None:
    async with lsp_session(tmp_path, settings=SAMPLING) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        completion, action = await _bodies(s)
        assert (action["temperature"], action["top_p"], action["max_tokens"]) == (0.7, 0.5, 100)
        assert completion["temperature"] == 0.7 and completion["max_tokens"] == 50

        if how == "null":
            nulls = {"temperature": None, "topP": None, "maxTokens": None,
                     "completion": {"maxTokens": None}}
            await _change(s, "push", nulls)
        else:
            await _change(s, how, {})

        completion, action = await _bodies(s)
        assert not {"temperature", "top_p", "max_tokens"} & set(action), action
        assert completion["temperature"] == 0.2  # the completion default
        assert "top_p" not in completion
        assert completion["max_tokens"] != 50


async def test_a_removed_setting_returns_to_the_initialization_option(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"temperature": 0.9},
                           initialization_options={"iskra": {"temperature": 0.3}}) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        _, action = await _bodies(s)
        assert action["temperature"] == 0.9
        await _change(s, "pull", {})
        _, action = await _bodies(s)
        assert action["temperature"] == 0.3


async def test_transport_changed_at_run_time_says_it_needs_a_restart(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, editor="vscode") as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        await _change(s, "push", {"completion": {"transport": "completionItem"}})
        await s.wait_for(lambda: any("completion.transport" in m.message
                                     for m in s.client.messages))
        message = next(m.message for m in s.client.messages
                       if "completion.transport" in m.message)
        assert "restart" in message and "completionItem" in message


async def test_toggle_tells_the_truth_while_completion_mode_is_off(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"completion": {"mode": "off"}}) as s:
        await s.wait_for(lambda: any(st["state"] == "disabled" for st in s.statuses))
        for _ in range(2):
            answer = await s.command("iskra.completion.toggle")
            assert answer.enabled is False
            assert "completion.mode" in answer.message
        assert (await s.command("iskra.completion.toggle", {"enabled": True})).enabled is False
        await _change(s, "push", {"completion": {"mode": "auto"}})
        assert (await s.command("iskra.completion.toggle")).enabled is False  # on -> off
        assert (await s.command("iskra.completion.toggle")).enabled is True
