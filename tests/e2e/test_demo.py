"""`iskra-ls demo` (the README's "run it" command) works with no account and no network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def _demo(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`iskra-ls demo` as a user runs it: no ISKRA_ variables, a fresh config folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
    env["ISKRA_CONFIG_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "iskra_ls", "demo"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_demo_shows_ghost_text_and_a_workspace_edit(tmp_path: Path) -> None:
    result = _demo(tmp_path)
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


def test_demo_reads_in_order_and_says_each_thing_once(tmp_path: Path) -> None:
    out = _demo(tmp_path).stdout
    headers = [line for line in out.splitlines() if line.startswith("── ")]
    ruled = [h for h in headers if re.fullmatch(r"── .+ ─{3,}", h)]
    assert headers and ruled == headers, headers  # every title keeps its rule
    offered = out.index("── code actions offered")
    running = out.index("── running “Iskra: Write tests for this”")
    assert "[editor message]" not in out[offered:running], out  # not among the offered actions
    assert out.index("[editor message]") > running
    assert out.count("Added tests/test_stats.py with two tests for average()") == 1, out
