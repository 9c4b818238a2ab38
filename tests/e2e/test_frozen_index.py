"""The frozen server (PyInstaller, as the VS Code extension carries it) indexes the workspace
in its worker processes: ``multiprocessing.freeze_support()`` in its entry point lets a
spawned worker start as a worker instead of a second server.

The frozen server comes from ``ISKRA_FROZEN_SERVER`` (its executable), else from the VSIX
``.ci/run`` hands over (``ISKRA_VSIX``), else the VSIX is built here (a few minutes).
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from harness import lsp_session
from test_context_sources import MAIN, SETTINGS, symbols_ready, write_package
from test_index_workers import children

from iskra_ls.stub import Reply

pytestmark = pytest.mark.packaging


def _frozen_server(into: Path) -> Path:
    given = os.environ.get("ISKRA_FROZEN_SERVER")
    if given:
        return Path(given)
    if os.environ.get("ISKRA_VSIX"):
        vsix = Path(os.environ["ISKRA_VSIX"])
    else:
        from test_vsix_build import _build

        vsix = _build()[0]
    with zipfile.ZipFile(vsix) as archive:
        members = [m for m in archive.namelist() if m.startswith("extension/server/")]
        archive.extractall(into, members)
    for name in ("iskra-ls", "iskra-ls.exe"):
        exe = into / "extension" / "server" / name
        if exe.is_file():
            exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
            return exe
    raise AssertionError(f"no server in {vsix}")


@pytest.mark.timeout(1700)  # building the VSIX when none is given
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes in /proc")
async def test_the_frozen_server_puts_definitions_in_the_prompt_from_its_workers(
        tmp_path: Path) -> None:
    server = _frozen_server(tmp_path / "frozen")
    write_package(tmp_path / "ws")
    async with lsp_session(tmp_path, settings=SETTINGS, initialization_options={"iskra": SETTINGS},
                           server_command=[str(server)]) as s:
        await symbols_ready(s)
        status = await s.command("iskra.status")
        assert status.symbols.files >= 2 and status.symbols.workers > 0, status.symbols
        process = s.client._server
        assert process is not None and children(process.pid)  # the workers, alive and idle
        main = s.open("pkg/main.py", MAIN)
        s.stub.script(Reply.text("data, strict=True)"))
        await s.inline(main)
        shown = await s.command("iskra.showLastContext")
        sources = [part.source for part in shown.parts]
        assert "pkg/headers.py:4" in sources, sources
        assert any("def parse_header(data: bytes" in part.text for part in shown.parts)
