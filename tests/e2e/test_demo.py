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
    # The edit reads as a diff, not 30 lines of JSON.
    assert "+++ b/tests/test_stats.py" in out and "+from stats import average" in out
    assert '"kind"' not in out
    assert "requests left today" in out
    # The user learns that the answers are scripted and what the demo cost.
    assert "scripted by this bundled server" in out
    assert "spent 4 of the day's 20 requests" in out
    assert "Traceback" not in result.stderr
