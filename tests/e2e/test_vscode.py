"""The VS Code extension end to end, in real VS Code (code-server 4.100.3) driven by Chromium.

The work is done by ``tests/editors/vscode/run.sh`` (build the VSIX, install it, run
``e2e.mjs``): sign in by pasting a token, ghost text accepted with Tab, an Iskra code action
picked with the keyboard, Ask, and the status bar's remaining requests.

Nothing is skipped: without code-server, Chromium or Node the test fails and says what to
install. CI installs them first (``editors/vscode/scripts/install-code-server.sh``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "tests" / "editors" / "vscode" / "run.sh"
TIMEOUT_S = 600
"""First run: npm ci of the extension and the harness, then about 30 s."""


def _iskra_ls() -> str:
    """The iskra-ls of the interpreter running the tests, else the one on PATH."""
    beside = Path(sys.executable).with_name("iskra-ls")
    if beside.exists():
        return str(beside)
    found = shutil.which("iskra-ls")
    assert found, "iskra-ls is not installed (pip install -e .)"
    return found


def test_vscode_extension_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "ISKRA_LS": _iskra_ls(), "ISKRA_E2E_ARTIFACTS": str(tmp_path)}
    proc = subprocess.Popen(
        ["bash", str(RUN)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # SIGTERM first: the harness then kills code-server's and the stub's process groups.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            stdout, stderr = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
        stderr += f"\n(stopped after {TIMEOUT_S} s)"
    output = f"--- stdout\n{stdout}\n--- stderr\n{stderr}"
    assert proc.returncode == 0, f"the VS Code e2e run failed (exit {proc.returncode}):\n{output}"
    assert "VS Code e2e OK" in stdout, output
