"""editors/emacs/iskra.el in real Emacs (Debian's emacs-nox 28 + elpa-eglot), end to end.

The buffer runs two language servers: eglot with pylsp (Debian's python3-pylsp, the user's
own server) and iskra-mode with iskra-ls on its own connection, against the bundled stub.
The Lisp script (tests/editors/emacs/test_iskra.el) types with `execute-kbd-macro` and writes
a JSON report whose "result" must be "PASS". Outside CI the test skips, saying what is
missing; in CI (`.ci/run` installs the packages) a missing piece fails it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from harness import TOKEN
from test_neovim import communicate_or_fail

from iskra_ls.stub import Reply, StubIskra

pytestmark = pytest.mark.real_editor

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO / "editors" / "emacs"
SCRIPTS = REPO / "tests" / "editors" / "emacs"
BIN_DIR = Path(sys.executable).parent
TIMEOUT_S = 120.0


def emacs_with_eglot() -> str:
    """The `emacs` to run, once it is known to have eglot and pylsp beside it."""
    missing = []
    emacs = shutil.which("emacs")
    if emacs is None:
        missing.append("Emacs (apt-get install emacs-nox)")
    else:
        probe = subprocess.run(
            [emacs, "--batch", "--no-init-file", "--eval", "(require 'eglot)"],
            capture_output=True, text=True, timeout=60,
        )
        if probe.returncode != 0:
            missing.append("eglot (apt-get install elpa-eglot)")
    if shutil.which("pylsp") is None:
        missing.append("pylsp (apt-get install python3-pylsp)")
    if missing:
        why = "the Emacs test needs " + "; ".join(missing)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why)
        pytest.skip(why)
    assert emacs is not None
    return emacs


def emacs_env(tmp: Path, stub: StubIskra) -> dict[str, str]:
    """iskra-ls from this virtualenv on PATH, the stub's URL, nothing in the home folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ISKRA_", "XDG_", "EMACS"))}
    env["PATH"] = os.pathsep.join([str(BIN_DIR), env.get("PATH", "")])
    env["HOME"] = str(tmp / "home")
    (tmp / "home").mkdir(exist_ok=True)
    env["ISKRA_API_URL"] = stub.url
    env["ISKRA_TOKEN"] = TOKEN  # JWT-shaped: anything else is refused (issue 20.6)
    env["ISKRA_CONFIG_DIR"] = str(tmp / "iskra-config")
    env["ISKRA_TEST_TMP"] = str(tmp)
    env["ISKRA_TEST_RESULT"] = str(tmp / "result.json")
    return env


async def run_emacs(emacs: str, script: Path, tmp: Path, stub: StubIskra,
                    extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Runs one Lisp test script in batch Emacs; fails unless its report says PASS."""
    proc = await asyncio.create_subprocess_exec(
        emacs, "--batch", "--no-init-file", "-L", str(PACKAGE_DIR), "-l", str(script),
        cwd=tmp, env={**emacs_env(tmp, stub), **(extra_env or {})},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await communicate_or_fail(proc, TIMEOUT_S, f"{script.name}: Emacs")
    result = tmp / "result.json"
    report = json.loads(result.read_text()) if result.exists() else {}
    if report.get("result") != "PASS" or proc.returncode != 0:
        pytest.fail(f"{script.name} did not pass (exit {proc.returncode})\n"
                    f"report: {json.dumps(report, indent=1)}\n"
                    f"output: {out.decode(errors='replace')[-3000:]}")
    return report


@pytest.fixture
async def stub() -> Any:
    async with StubIskra() as s:
        yield s


async def test_iskra_el_beside_eglot_and_pylsp(stub: StubIskra, tmp_path: Path) -> None:
    emacs = emacs_with_eglot()
    stub.script(
        Reply.text("a + b"),
        Reply.text("add(1, 2) + add(3, 4)"),
        Reply.text("3"),
        Reply.tool_calls([
            ("replace_in_file", {"uri": "calc.py", "search": "x = 1", "replace": "x = 2"}),
            ("create_file_or_folder", {"uri": "helpers.py", "content": "HELPER = 1\n"}),
        ]),
        Reply.text("Moved the helper out and set x to 2."),
        Reply.tool_calls([
            ("replace_in_file", {"uri": "calc.py", "search": "x = 2", "replace": "x = 10"}),
        ]),
        Reply.text("Set x to 10."),
    )
    report = await run_emacs(emacs, SCRIPTS / "test_iskra.el", tmp_path, stub)
    root = Path(report["workspace"])
    assert (root / "calc.py").read_text() == (
        "def add(a, b):\n    return a + b\ny = add(1, 2) + add(3, 4)\nz = \n\nx = 10\n"
    ), report
    assert (root / "helpers.py").read_text() == "HELPER = 1\n"
    completions = [r for r in stub.requests if r["model"] == "qwen3-coder-flash"]
    assert len(completions) == 3, "one model request per suggestion"
    assert "Iskra:" in report["lighter"]


def test_iskra_el_byte_compiles_without_warnings(tmp_path: Path) -> None:
    emacs = emacs_with_eglot()
    shutil.copy(PACKAGE_DIR / "iskra.el", tmp_path / "iskra.el")
    proc = subprocess.run(
        [emacs, "--batch", "-Q", "--eval", "(setq byte-compile-error-on-warn t)",
         "-f", "batch-byte-compile", str(tmp_path / "iskra.el")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
