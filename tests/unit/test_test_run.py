"""The test run a newcomer starts: fast by default, slow tests named and reachable.

A plain ``pytest`` deselects the tests that start real editors or build packages (marked
``real_editor`` / ``packaging``) and says how to run them; ``.ci/run`` runs everything; the
README's command and ``.ci/run`` show why a test was skipped (``-rs``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _collect(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_real_editor_tests_are_deselected_by_default_and_run_with_all() -> None:
    fast = _collect("tests/e2e")
    full = _collect("--all", "tests/e2e")
    for module in ("test_neovim.py", "test_vscode.py", "test_emacs.py"):
        assert f"tests/e2e/{module}::" in full, f"{module} is not collected with --all"
        assert f"tests/e2e/{module}::" not in fast, f"{module} runs in the default run"
    assert "deselected" in fast and "pytest --all" in fast
    assert "tests/e2e/test_cli.py::" in fast


def test_a_named_file_runs_its_slow_tests() -> None:
    out = _collect("tests/e2e/test_vscode.py")
    assert "tests/e2e/test_vscode.py::test_vscode_extension_end_to_end" in out


def test_readme_and_ci_show_skip_reasons_and_ci_runs_everything() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"python -m pytest[^\n`]*", readme)
    assert commands, "the README has no test command"
    assert all("-rs" in c for c in commands), commands
    ci = (ROOT / ".ci" / "run").read_text()
    runs = [line for line in ci.splitlines() if "-m pytest" in line]
    assert runs and all("-rs" in r and "--all" in r for r in runs), runs


def test_every_test_module_has_a_name_of_its_own() -> None:
    """pytest imports test files by basename (no packages under tests/): two modules of one
    name stop the whole run at collection, in CI too."""
    seen: dict[str, Path] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        assert path.name not in seen, (path, seen.get(path.name))
        seen[path.name] = path
