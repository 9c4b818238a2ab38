"""Token hygiene: the Iskra token never leaves the server in logs or LSP messages.

One representative session at debug log level (``ISKRA_LOG_LEVEL=debug`` and
the ``logLevel`` setting, so pygls, openai and the server log every message):
completions, an action, 429, 400, 500, 401, an error event, the token handed
over four ways (initializationOptions and ``iskra.setToken``, which are used; a
``didChangeConfiguration`` carrying ``token`` and ``workspace/configuration``, which
are a repository's settings and ignored), status, logout and failing commands.
Afterwards none of the marker tokens may appear in the server's stderr (pytest-lsp
forwards it to ours: ``capfd``), in any raw message the client received (notifications,
``showMessage``, ``logMessage``, progress, command results, error responses), nor in
the exceptions the client raised.

Only a JWT is ever used as a token (issue 20.6); T4 is no credential at all, and must
not be echoed either.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from harness import Session, lsp_session
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from iskra_ls.stub import Reply

T1 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJoeWcxIn0.aHlnbWFya2VyQWxwaGE3UTJ4OQ"
T2 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJoeWdtYXJrZXIifQ.c2lnbmF0dXJlQmV0YTk4NzY1"
T3 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJoeWczIn0.aHlnbWFya2VyR2FtbWE1NWtQMw"
T4 = "hygmarkerDelta31vZ8"
MARKERS = [T1, T2, T3, T4]


def record_raw_messages(s: Session) -> list[str]:
    """Every JSON-RPC message the client receives from now on, as JSON text."""
    received: list[str] = []
    protocol = s.client.protocol
    original = protocol.structure_message

    def structure(data: dict[str, Any]) -> Any:
        if "jsonrpc" in data:
            received.append(json.dumps(data, ensure_ascii=False))
        return original(data)

    protocol.structure_message = structure  # type: ignore[method-assign]
    return received


async def completion(s: Session, uri: str, reply: Reply | None = None) -> None:
    if reply is not None:
        s.stub.script(reply)
    s.type_text(uri, " ")
    await s.inline(uri)


async def test_no_token_in_logs_or_messages(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                            ) -> None:
    settings = {"logLevel": "debug", "token": T1, "completion": {"debounceMs": 0}}
    results: list[Any] = []
    errors: list[str] = []
    async with lsp_session(tmp_path, token=None, settings=settings,
                           initialization_options={"iskra": settings},
                           env={"ISKRA_LOG_LEVEL": "debug"}) as s:
        received = record_raw_messages(s)
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses), 10)
        results.append(await s.command("iskra.status"))
        uri = s.open("a.py", "def add(a, b):\n    return")

        await completion(s, uri, Reply.text("a + b"))
        await s.inline(uri, invoked=False)
        s.stub.script(Reply.tool_calls([("replace_in_file", {"uri": "a.py", "search": "return",
                                                             "replace": "return a + b"})]),
                      Reply.text("Done."))
        results.append(await s.command("iskra.ask", {"uri": uri, "instruction": "finish"}))
        await completion(s, uri, Reply.error(400, "Unsupported value: top_p"))
        await completion(s, uri, Reply.error(500, "Internal failure"))
        await completion(s, uri, Reply.text("x" * 40, error_event="Model overloaded"))
        await completion(s, uri, Reply.error(429, "Too many requests", retry_after=1))

        s.stub.revoke(T1)  # 401 for the first token, in a completion and in an action
        await asyncio.sleep(1.05)  # sleep-ok: Retry-After (1 s) passes on the wall clock
        await completion(s, uri)
        results.append(await s.command("iskra.ask", {"uri": uri, "instruction": "again"}))

        results.append(await s.command("iskra.setToken", {"token": T2}))
        results.append(await s.command("iskra.status"))
        await completion(s, uri, Reply.text("1"))
        s.stub.revoke(T2)
        await completion(s, uri)

        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"iskra": {"token": T3}}))
        results.append(await s.command("iskra.status"))
        await completion(s, uri, Reply.text("2"))

        s.client.set_configuration({"iskra": {**settings, "token": T4}})
        published = len(s.statuses)
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None))
        await s.wait_for(lambda: len(s.statuses) > published)  # pulled, applied, published
        results.append(await s.command("iskra.status"))
        s.stub.revoke(T4)
        results.append(await s.command("iskra.ask", {"uri": uri, "instruction": "third"}))

        for bad in (("iskra.ask", {"uri": uri}), ("iskra.runAction", {"action": "nope"}),
                    ("iskra.setToken", T1)):
            try:
                results.append(await s.command(bad[0], bad[1]))
            except JsonRpcException as exc:
                errors.append(f"{exc!r} {exc}")
        results.append(await s.command("iskra.logout"))
        results.append(await s.command("iskra.status"))
        await s.round_trip()  # the last notifications (stderr is complete once the server exits)

        assert any(st["state"] == "signedOut" for st in s.statuses)
        assert any("401" in m.message for m in s.client.messages)
        assert any("429" in m.message for m in s.client.messages)
        assert len(s.stub.requests) >= 8
        seen = {
            "raw messages": received,
            "statuses": [json.dumps(st) for st in s.statuses],
            "showMessage": [m.message for m in s.client.messages],
            "logMessage": [m.message for m in s.client.log_messages],
            "progress": [repr(v) for v in s.client.progress_reports.values()],
            "command results": [repr(r) for r in results],
            "errors": errors,
        }

    stderr = capfd.readouterr().err
    assert "DEBUG" in stderr and "inlineCompletion" in stderr, "debug logs were not captured"
    seen["server stderr"] = [stderr]
    leaks = {where: [m for m in MARKERS if any(m in text for text in texts)]
             for where, texts in seen.items()}
    assert not any(leaks.values()), {k: v for k, v in leaks.items() if v}
