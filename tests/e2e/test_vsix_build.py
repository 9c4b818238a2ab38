"""Building the VS Code extension: `npm run package` makes the platform VSIX, quietly.

`npm run package` runs scripts/build-vsix.sh: the VSIX it makes carries the frozen server and
the esbuild bundle (no node_modules). The build prints no warning that does not matter:
PyInstaller's circular-import warning (openai's agents helpers) and missing shell32/ole32
(platformdirs' Windows backend) are gone with those parts, and vsce's advice to bundle is
followed. `.ci/run` builds the VSIX this way once and hands its path and log over
(ISKRA_VSIX, ISKRA_VSIX_BUILD_LOG); run alone, the test builds it (a few minutes).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"
ALARMS = (
    "Failed to collect submodules",
    "required via ctypes not found",
    "you should bundle your extension",
)


def _build() -> tuple[Path, str]:
    """The VSIX and everything its build printed on stderr."""
    given, log = os.environ.get("ISKRA_VSIX"), os.environ.get("ISKRA_VSIX_BUILD_LOG")
    if given and log:
        return Path(given), Path(log).read_text(errors="replace")
    if shutil.which("npm") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("npm (Node 20) is needed to build the VSIX")
        pytest.skip("building the VSIX needs npm (Node 20)")
    proc = subprocess.run(["npm", "run", "--silent", "package"], cwd=EXTENSION,
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Path(proc.stdout.strip().splitlines()[-1]), proc.stderr


@pytest.mark.timeout(1600)  # a first build: the build venv, PyInstaller, npm ci
def test_npm_run_package_builds_the_platform_vsix_without_alarms() -> None:
    vsix, printed = _build()
    for alarm in ALARMS:
        assert alarm not in printed, printed[-4000:]
    pyinstaller_warnings = re.findall(r"^\d+ WARNING: .*$", printed, re.M)
    assert not pyinstaller_warnings, pyinstaller_warnings
    names = zipfile.ZipFile(vsix).namelist()
    assert "extension/server/iskra-ls" in names or "extension/server/iskra-ls.exe" in names
    assert "extension/dist/extension.js" in names
    assert not [n for n in names if n.startswith("extension/node_modules/")]
    # The definitions index reads each grammar wheel's queries/tags.scm: the frozen server
    # must carry every one the wheels ship (data files are not collected with submodules).
    from iskra_ls.symbols.tags import grammars_with_wheel_tags

    for module in grammars_with_wheel_tags():
        assert any(n.endswith(f"/{module}/queries/tags.scm") for n in names), module
