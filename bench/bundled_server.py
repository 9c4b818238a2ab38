"""The VS Code extension's bundled (PyInstaller) server next to the pip-installed one.

Figures: the VSIX's size and the unpacked server's; start-up from spawn to InitializeResult
for both, measured in the same run with the starts interleaved (so machine load hits both
alike), and their ratio; resident memory (VmRSS) of each after one completion, with the
Iskra client loaded.

The VSIX is ``$ISKRA_VSIX``, else the newest ``editors/vscode/iskra-vscode-<target>-*.vsix``
(``bash editors/vscode/scripts/build-vsix.sh`` builds it). The server is taken out of the
VSIX itself, as VS Code installs it. Without a VSIX the benchmark says so and measures
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.lsp_driver import Driver, running_stub
from iskra_ls.stub import Reply

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "editors" / "vscode"
EXE = "iskra-ls.exe" if sys.platform == "win32" else "iskra-ls"


def find_vsix() -> Path | None:
    """The VSIX to measure: ``$ISKRA_VSIX`` or the newest platform VSIX in the extension."""
    if os.environ.get("ISKRA_VSIX"):
        return Path(os.environ["ISKRA_VSIX"])
    found = sorted(EXTENSION.glob("iskra-vscode-*-*.vsix"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def unpack_server(vsix: Path, into: Path) -> Path:
    """Extract ``extension/server/`` of the VSIX; returns the server executable."""
    with zipfile.ZipFile(vsix) as archive:
        members = [n for n in archive.namelist() if n.startswith("extension/server/")]
        archive.extractall(into, members)
    exe = into / "extension" / "server" / EXE
    exe.chmod(0o755)  # zip keeps no mode here; VS Code's installer sets it the same way
    return exe


def pip_server() -> list[str]:
    """The pip-installed server of the running interpreter (its console script)."""
    script = Path(sys.executable).with_name(EXE)
    if script.exists():
        return [str(script)]
    found = shutil.which("iskra-ls")
    return [found] if found else [sys.executable, "-m", "iskra_ls"]


def dir_size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


async def _start_once(command: list[str], stub: Any) -> float:
    with tempfile.TemporaryDirectory() as folder:
        driver = Driver(Path(folder), stub, server_command=command)
        try:
            return await driver.start()
        finally:
            await driver.stop()


async def _rss_after_completion(command: list[str], stub: Any) -> float:
    stub.reply_function = lambda _body: Reply.text("return result")
    with tempfile.TemporaryDirectory() as folder:
        async with Driver(Path(folder), stub, server_command=command) as driver:
            uri = driver.open("first.py", "def f(result):\n    ")
            await driver.inline(uri)  # the OpenAI SDK is imported, a connection pooled
            await asyncio.sleep(0.5)
            return driver.rss_mb()


async def run(startup_runs: int = 7) -> dict[str, Any]:
    vsix = find_vsix()
    if vsix is None or not vsix.exists():
        return {"skipped": "no VSIX: run bash editors/vscode/scripts/build-vsix.sh"}
    with tempfile.TemporaryDirectory() as unpacked:
        bundled = [str(unpack_server(vsix, Path(unpacked)))]
        pip = pip_server()
        times: dict[str, list[float]] = {"bundled": [], "pip": []}
        async with running_stub() as stub:
            # One warm-up each (page cache), then interleaved starts.
            for command in (bundled, pip):
                await _start_once(command, stub)
            for _ in range(startup_runs):
                times["bundled"].append(await _start_once(bundled, stub))
                times["pip"].append(await _start_once(pip, stub))
            rss_bundled = await _rss_after_completion(bundled, stub)
            rss_pip = await _rss_after_completion(pip, stub)
        server_mb = dir_size_mb(Path(unpacked) / "extension" / "server")
    bundled_ms = statistics.median(times["bundled"]) * 1000
    pip_ms = statistics.median(times["pip"]) * 1000
    return {
        "vsix": vsix.name,
        "vsix_size_mb": round(vsix.stat().st_size / 1e6, 1),
        "bundled_server_unpacked_mb": round(server_mb, 1),
        "startup_bundled_median_ms": round(bundled_ms, 1),
        "startup_pip_median_ms": round(pip_ms, 1),
        "startup_ratio_bundled_to_pip": round(bundled_ms / pip_ms, 2),
        "startup_bundled_runs_ms": [round(t * 1000, 1) for t in times["bundled"]],
        "startup_pip_runs_ms": [round(t * 1000, 1) for t in times["pip"]],
        "rss_bundled_after_completion_mb": round(rss_bundled, 1),
        "rss_pip_after_completion_mb": round(rss_pip, 1),
        "pip_server": " ".join(pip),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.runs)), indent=2))


if __name__ == "__main__":
    main()
