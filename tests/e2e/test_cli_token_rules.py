"""The token file and the command line (issue 20, item 7), as a user runs them.

The token file is read only when it is a plain file in a config folder that only the user
can change: a symlinked token file (pointing at another file of the user's), or a folder
that others can write to or that is itself a symlink, is refused with one clear line and
left alone. The command line sends a token only to the API root it was issued for, and
without ``ISKRA_API_URL`` asks the root the token file records.
"""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import lsp_session
from test_cli import TOKEN, cli, token_file

from iskra_ls.api.auth import TokenStore
from iskra_ls.stub import StubIskra


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
    clean["ISKRA_CONFIG_DIR"] = str(tmp_path / "config")
    clean["PYTHONUNBUFFERED"] = "1"
    return clean


@pytest.fixture
async def stub(env: dict[str, str]) -> AsyncIterator[StubIskra]:
    async with StubIskra() as server:
        env["ISKRA_API_URL"] = server.url
        yield server


def _save(env: dict[str, str], url: str) -> None:
    TokenStore(token_file(env)).save(TOKEN, url)


def _link(link: Path, target: Path) -> None:
    link.symlink_to(target)


async def test_a_symlinked_token_file_is_refused(env: dict[str, str], stub: StubIskra,
                                                 tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"  # another file of the user's, readable by others
    other.write_text(f"{TOKEN}\nmy shopping list\n")
    other.chmod(0o644)
    folder = token_file(env).parent
    folder.mkdir(mode=0o700)
    _link(token_file(env), other)
    run = await cli(env, "status")
    line = run.one_error_line()
    assert "symlink" in line and str(token_file(env)) in line, line
    assert stat.S_IMODE(other.stat().st_mode) == 0o644  # not touched
    assert stub.me_requests == 0


async def test_a_world_writable_config_folder_is_refused(env: dict[str, str], stub: StubIskra,
                                                         ) -> None:
    _save(env, stub.url)
    folder = token_file(env).parent
    folder.chmod(0o777)
    run = await cli(env, "status")
    line = run.one_error_line()
    assert "writable" in line and str(folder) in line, line
    assert stub.me_requests == 0
    run = await cli(env, "login", "--token", TOKEN)
    assert "writable" in run.one_error_line()


async def test_a_symlinked_config_folder_is_refused(env: dict[str, str], stub: StubIskra,
                                                    tmp_path: Path) -> None:
    real = tmp_path / "shared-config"
    real.mkdir(mode=0o700)
    TokenStore(real / "token").save(TOKEN, stub.url)
    _link(Path(env["ISKRA_CONFIG_DIR"]), real)
    run = await cli(env, "status")
    line = run.one_error_line()
    assert "symlink" in line and env["ISKRA_CONFIG_DIR"] in line, line
    assert stub.me_requests == 0


async def test_status_never_sends_the_token_to_another_root(env: dict[str, str],
                                                           stub: StubIskra) -> None:
    _save(env, stub.url)
    async with StubIskra() as second:
        env["ISKRA_API_URL"] = second.url
        run = await cli(env, "status")
        line = run.one_error_line()
        assert stub.url in line and second.url in line, line
        assert second.me_requests == 0
        run = await cli(env, "--api-url", second.url, "status")
        run.one_error_line()
        assert second.me_requests == 0


async def test_status_asks_the_root_the_token_file_records(env: dict[str, str],
                                                           stub: StubIskra) -> None:
    _save(env, stub.url)
    del env["ISKRA_API_URL"]
    run = await cli(env, "status")
    assert run.code == 0, run
    assert stub.me_requests == 1
    assert "20 remaining" in run.out


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
