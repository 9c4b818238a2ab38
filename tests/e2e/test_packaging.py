"""What editors learn about the installed server: its name and version in ``serverInfo``.

The VS Code extension compares ``serverInfo.version`` with its own version and warns when a
server of another version runs (a stale ``iskra.server.path`` or ``PATH`` install);
``:checkhealth iskra`` shows it. So the InitializeResult must carry the package version.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from iskra_ls import __version__
from iskra_ls.demo import server_command


async def test_initialize_result_names_the_server_and_its_version(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
    env["ISKRA_CONFIG_DIR"] = str(tmp_path / "config")
    client = LanguageClient("packaging-test", "1")
    await client.start_io(*server_command(), env=env)
    try:
        root = str(from_fs_path(str(tmp_path)))
        result = await client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root)
        )
        assert result.server_info is not None
        assert result.server_info.name == "iskra-ls"
        assert result.server_info.version == __version__
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()


def test_the_demo_starts_this_interpreter_or_the_frozen_build() -> None:
    """A frozen build (the VSIX's) has no ``-m``: it starts itself with ``serve``."""
    assert server_command() == [sys.executable, "-m", "iskra_ls"]
    sys.frozen = True  # type: ignore[attr-defined]
    try:
        assert server_command() == [sys.executable, "serve"]
    finally:
        del sys.frozen  # type: ignore[attr-defined]
