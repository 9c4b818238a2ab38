"""The server skeleton over stdio: capabilities, status, settings, document sync."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import SECOND_TOKEN, lsp_session
from lsprotocol import types

from iskra_ls.api.auth import TokenStore


@pytest.mark.parametrize("editor", ["neovim", "vscode", "emacs"])
async def test_initialize_advertises_the_interface(tmp_path: Path, editor: str) -> None:
    async with lsp_session(tmp_path, editor=editor) as s:
        caps = s.capabilities
        assert caps is not None
        commands = set(caps.execute_command_provider.commands)
        assert {"iskra.runAction", "iskra.ask", "iskra.status", "iskra.setToken",
                "iskra.logout", "iskra.completion.toggle"} <= commands
        assert not caps.code_action_provider.resolve_provider  # listed actions are complete
        assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
        if editor == "emacs":  # no inlineCompletion capability: completion items instead
            assert caps.inline_completion_provider is None
            assert caps.completion_provider is not None
        else:
            assert caps.inline_completion_provider is not None
            assert caps.completion_provider is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
async def test_position_encoding_is_negotiated(tmp_path: Path, encoding: str) -> None:
    async with lsp_session(tmp_path, encoding=encoding) as s:
        assert s.encoding == encoding


async def test_status_after_initialized_has_usage(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses))
        ready = [st for st in s.statuses if st["state"] == "ready"][-1]
        assert ready["limit"] == 20
        assert ready["remaining"] == 20
        assert ready["tier"] == "free"
        assert ready["model"] == "qwen3-coder-flash"


async def test_without_token_status_says_signed_out(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, token=None) as s:
        await s.wait_for(lambda: any(st["state"] == "signedOut" for st in s.statuses))
        result = await s.command("iskra.status")
        assert result.state == "signedOut"


async def test_bad_setting_is_named_and_previous_value_kept(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"temperature": 7, "completion": {"mode": "manual"}},
                           ) as s:
        await s.wait_for(lambda: any("temperature" in m.message for m in s.client.messages))
        s.client.set_configuration({"iskra": {"completion": {"mode": "manual",
                                                             "debounceMs": -5}}})
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        await s.wait_for(lambda: any("completion.debounceMs" in m.message
                                     for m in s.client.messages))
        # mode=manual, still in the section, is in force: automatic requests are ignored
        uri = s.open("a.py", "def f():\n    ")
        result = await s.inline(uri, invoked=False)
        assert result is not None and list(result.items) == []
        assert s.stub.requests == []


async def test_token_file_login_and_logout_reach_a_running_server(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, token=None) as s:
        await s.wait_for(lambda: any(st["state"] == "signedOut" for st in s.statuses))
        store = TokenStore(tmp_path / "config" / "token")
        store.save(SECOND_TOKEN)  # only a JWT is a token
        await s.wait_for(lambda: s.statuses[-1]["state"] == "ready")
        assert s.statuses[-1]["limit"] == 20
        store.clear()
        await s.wait_for(lambda: s.statuses[-1]["state"] == "signedOut")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
async def test_document_sync_survives_unicode_line_separators(tmp_path: Path,
                                                             encoding: str) -> None:
    """pygls 2.1.1 splits lines on \\f, \\u2028, \\x85...; LSP does not (the patch under test)."""
    text = "a = 1\f# form feed\nb = '\u2028x'  # sep\n\x85c = '😀Ж'\r\nd = 4\n"
    async with lsp_session(tmp_path, encoding=encoding) as s:
        uri = s.open("sep.py", text)
        start = text.index("d = 4")
        s.change(uri, start, start + 1, "D")
        emoji = text.index("Ж") + 1
        s.change(uri, emoji, emoji, "!")
        result = await s.command("iskra.status")
        assert result is not None
        # the server's copy matches ours: ask for a completion right after the edited text
        server_text = await _server_text(s, uri)
        assert server_text == s.text(uri)


async def _server_text(s, uri: str) -> str:  # type: ignore[no-untyped-def]
    """Read the server's copy of a document through a code action's prompt."""
    from iskra_ls.stub import Reply

    s.stub.script(Reply.text("Nothing to change."))
    await s.command("iskra.ask", {"uri": uri, "instruction": "echo"})
    body = s.stub.requests[-1]
    user = body["messages"][1]["content"]
    start = user.index("<file>\n") + len("<file>\n")
    return str(user[start : user.rindex("\n</file>")])


async def test_shutdown_and_exit_are_clean(tmp_path: Path) -> None:
    async with lsp_session(tmp_path) as s:
        pass
    assert s.client._server is not None
    assert s.client._server.returncode == 0
