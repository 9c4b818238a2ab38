"""`iskra-ls demo` (the README's "run it" command) works with no account and no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_shows_ghost_text_and_a_workspace_edit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
    env["ISKRA_CONFIG_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "iskra_ls", "demo"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "return total / len(values)" in out
    assert "Iskra: Write tests for this" in out
    assert '"kind": "create"' in out and "test_stats.py" in out
    assert "requests left today" in out
    assert "Traceback" not in result.stderr
