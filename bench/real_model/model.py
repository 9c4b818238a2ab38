"""The real model as a local OpenAI-compatible server (llama.cpp's ``llama-server``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("REALMODEL_DIR", "/work/realmodel"))
MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"
THREADS = int(os.environ.get("REALMODEL_THREADS", "2"))
"""llama-server's threads. On a busy shared machine use 1: two threads wait for each other
at every step, and under a lower priority a step waits for both to be scheduled (0.3 token/s
with two at nice 10 under a load of 7, against ~100 on an idle machine)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.asynccontextmanager
async def running_model(
    directory: Path = DEFAULT_DIR, threads: int = THREADS
) -> AsyncIterator[str]:
    """Start ``llama-server`` with the SmolLM2 GGUF; yield its base URL; stop it."""
    server = directory / "build" / "bin" / "llama-server"
    model = directory / "model.gguf"
    if not server.exists() or not model.exists():
        raise SystemExit(
            f"no model in {directory}: run bench/real_model/setup.sh first (about 10 minutes)"
        )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (directory / "llama-server.log").open("ab")  # the process writes to it until stopped
    process = await asyncio.create_subprocess_exec(
        str(server), "-m", str(model), "--jinja", "-c", "8192", "-t", str(threads),
        "--host", "127.0.0.1", "--port", str(port),
        stdout=log, stderr=log,
    )
    try:
        for _ in range(600):
            if process.returncode is not None:
                raise SystemExit(f"llama-server exited ({process.returncode}); see its log")
            if await asyncio.to_thread(_healthy, url):
                break
            await asyncio.sleep(0.1)
        else:
            raise SystemExit("llama-server did not become healthy in 60 s")
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
        log.close()
