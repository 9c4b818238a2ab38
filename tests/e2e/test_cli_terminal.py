"""``iskra-ls`` typed in a terminal, as a new user does: stdin, stdout and stderr are a pty.

The language server waits for an editor on stdin; in a terminal it must say so in one line,
and one Ctrl-C (SIGINT, as the terminal sends it) must end it cleanly: no second Ctrl-C, no
"Fatal Python error" from the stdin reader thread, exit status 130.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")


def _read_until(fd: int, done: object, timeout: float) -> str:
    """Read the pty until ``done(text)`` is true or ``timeout`` passes (a bound, not a check)."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the pty
                break
            if not chunk:
                break
            out += chunk
            if done(out.decode(errors="replace")):  # type: ignore[operator]
                break
    return out.decode(errors="replace")


def test_bare_command_in_a_terminal_explains_itself_and_one_ctrl_c_quits() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISKRA_")}
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "iskra_ls"], stdin=slave, stdout=slave, stderr=slave,
        env=env, start_new_session=True,
    )
    os.close(slave)
    try:
        banner = _read_until(master, lambda text: "\n" in text, 60)
        lines = [line for line in banner.splitlines() if line.strip()]
        assert len(lines) == 1, banner
        assert "language server" in lines[0] and "editor" in lines[0], banner
        assert "Ctrl-C" in lines[0], banner

        os.kill(proc.pid, signal.SIGINT)  # one Ctrl-C
        code = proc.wait(timeout=30)
        rest = _read_until(master, lambda _text: False, 1)
        assert code == 130, (code, rest)
        assert "Fatal Python error" not in rest and "Traceback" not in rest, rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
