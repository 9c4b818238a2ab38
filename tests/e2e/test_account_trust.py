"""What the server accepts from whom (issue 20, items 2, 6, 7 and 8), over stdio.

A repository's own settings (``.vscode/settings.json``, Emacs ``.dir-locals.el``) reach
the server as ``workspace/configuration`` answers and ``didChangeConfiguration`` pushes,
so they may not choose the token nor switch off consent for files that run code: those two
come only from ``initializationOptions``, which editors build from the user's own settings.
Only a credential-shaped token (a JWT) is used, and only a used token is masked; a token
file behind a symlink is refused. Odd ``/auth/me`` figures are answered plainly. (The
command line's side of item 7 is in ``test_cli.py``.)
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from harness import TOKEN, Session, lsp_session

from iskra_ls.api.auth import TokenStore
from iskra_ls.stub import Reply, StubIskra

FAST = {"completion": {"debounceMs": 0, "adaptiveDebounce": False}}


async def _settled(s: Session) -> None:
    await s.wait_for(lambda: any(st["state"] not in ("starting", "working")
                                 for st in s.statuses), timeout=20)
    await asyncio.sleep(0)


def _errors_in_server(s: Session) -> list[str]:
    return [m.message for m in s.client.messages if "Error in server" in m.message]


# -- item 6: only a credential is masked ------------------------------------------------------


async def test_a_workspace_token_is_not_used_and_nothing_is_masked(tmp_path: Path) -> None:
    """``workspace/configuration`` answering ``{"token": "self"}`` changes nothing."""
    async with StubIskra() as stub:
        TokenStore(tmp_path / "config" / "token").save(TOKEN, stub.url)  # the user's login
        settings = {**FAST, "token": "self"}
        async with lsp_session(tmp_path, stub=stub, token=None, settings=settings) as s:
            await s.wait_for(lambda: any(st["state"] == "ready" for st in s.statuses), 20)
            uri = s.open("a.py", "class A:\n    def get(self):\n        return \n")
            stub.script(Reply.text("self.value"))
            result = await s.inline(uri, offset=len("class A:\n    def get(self):\n"
                                                    "        return "))
            assert result is not None
            assert [i.insert_text for i in result.items] == ["self.value"]
            stub.script(
                Reply.tool_calls([("replace_in_file", {"uri": "a.py", "search": "return ",
                                                       "replace": "return self.x"})]),
                Reply.text("Done: returns self.x."),
            )
            answer = await s.command("iskra.ask", {"uri": uri, "instruction": "return x"})
            assert answer.applied is True
            assert "return self.x" in s.text(uri)
            assert "self.x" in answer.message
            assert stub.account(TOKEN).requests_today == 3
            assert "self" not in stub._accounts  # "Bearer self" never went out


async def test_a_token_that_is_no_credential_is_refused_plainly(tmp_path: Path) -> None:
    """A user-level ``token`` setting that is no JWT: one clear message, nothing masked."""
    options = {"iskra": {**FAST, "token": "self"}}
    async with lsp_session(tmp_path, token=None, initialization_options=options) as s:
        await _settled(s)
        shown = [m.message for m in s.client.messages]
        assert any("token" in m and "JWT" in m for m in shown), shown
        status = await s.command("iskra.status")
        assert status.state == "signedOut"
        assert "self" not in s.stub._accounts
        assert not any("****" in m.message for m in s.client.messages)


async def test_set_token_refuses_what_is_no_credential(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, token=None) as s:
        await _settled(s)
        answer = await s.command("iskra.setToken", {"token": "hunter2 is my password"})
        assert answer.signedIn is False
        assert "JWT" in answer.message
        answer = await s.command("iskra.setToken", {"token": TOKEN})
        assert answer.signedIn is True


# -- item 2: allowSensitiveWrites only from the user's own settings ---------------------------


CI = (".github/workflows/ci.yml", "on: push\n")


async def _write_ci(s: Session) -> bool:
    uri = s.open("main.py", "x = 1\n")
    s.stub.script(
        Reply.tool_calls([("create_file_or_folder", {"uri": CI[0], "content": CI[1]})]),
        Reply.text("Added CI."),
    )
    await s.command("iskra.ask", {"uri": uri, "instruction": "ci"})
    return (s.root / CI[0]).exists()


async def test_a_repository_cannot_switch_consent_off(tmp_path: Path) -> None:
    """``allowSensitiveWrites`` from ``workspace/configuration`` (or a push) is ignored."""
    settings = {"actions": {"allowSensitiveWrites": True}}
    async with lsp_session(tmp_path, editor="neovim", settings=settings) as s:
        await _settled(s)
        assert await _write_ci(s) is False
        shown = [m.message for m in s.client.messages]
        assert any("allowSensitiveWrites" in m and "initializationOptions" in m
                   for m in shown), shown


async def test_the_users_own_launch_settings_can_switch_consent_off(tmp_path: Path) -> None:
    options = {"iskra": {"actions": {"allowSensitiveWrites": True}}}
    async with lsp_session(tmp_path, editor="neovim", initialization_options=options) as s:
        await _settled(s)
        assert await _write_ci(s) is True


# -- item 8: odd /auth/me figures --------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"user": {"email": "a@b.c", "tier": "free"},'
        ' "usage": {"requestsToday": 1, "limit": 20, "remaining": Infinity}}',
        '{"user": {"email": 5, "tier": ["free"]},'
        ' "usage": {"requestsToday": NaN, "limit": 1e400, "remaining": -3}}',
        '{"user": "nobody", "usage": [1, 2]}',
    ],
    ids=["infinity", "wrong-types", "wrong-shapes"],
)
async def test_odd_usage_figures_are_answered_plainly(tmp_path: Path, body: str) -> None:
    async with StubIskra() as stub:
        stub.me_body = body
        async with lsp_session(tmp_path, stub=stub, settings=FAST) as s:
            await _settled(s)
            status = await s.command("iskra.status")
            assert status.state in ("ready", "error"), status
            for key in ("remaining", "limit", "requestsToday"):
                value = getattr(status, key)
                assert value is None or (isinstance(value, int) and 0 <= value < 10**9), status
            assert not _errors_in_server(s)


# -- item 7: the token file ---------------------------------------------------------------------


def _link(link: Path, target: Path) -> None:
    link.symlink_to(target)


async def test_the_server_refuses_a_symlinked_token_file(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.write_text(f"{TOKEN}\n")
    other.chmod(0o644)
    config = tmp_path / "config"
    config.mkdir(mode=0o700)
    _link(config / "token", other)
    async with lsp_session(tmp_path, token=None) as s:
        await s.wait_for(lambda: any(st["state"] == "signedOut" for st in s.statuses), 20)
        shown = [m.message for m in s.client.messages]
        assert any("symlink" in m for m in shown), shown
        assert s.stub.me_requests == 0
    assert stat.S_IMODE(other.stat().st_mode) == 0o644
    assert os.readlink(config / "token") == str(other)
