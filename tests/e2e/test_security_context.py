"""Security corpus, issue 22: definitions from secret files or from outside the workspace
folders never reach Iskra through the completion context.

The workspace holds a default secret (``.secrets_tools.py``), a file a configured secret
glob covers (``private_api.py``), a file and a folder linked from outside; each defines a
function whose name and signature carry a marker, and the open document calls all of
them. One ordinary definition must arrive (so the test sees the context work at all);
no marker may appear in any request the stub received.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness import lsp_session
from test_context_sources import symbols_ready

from iskra_ls.stub import Reply

SETTINGS = {"completion": {"debounceMs": 0}, "actions": {"secretGlobs": ["private_*.py"]}}


def define(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"def {name}(marker_arg_q7x2_{name}):\n    return 1\n", encoding="utf-8")


async def test_secret_and_outside_definitions_never_reach_iskra(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    define(ws / "ordinary.py", "ordinary_helper")
    define(ws / ".secrets_tools.py", "secret_default_helper")
    define(ws / "private_api.py", "secret_glob_helper")
    define(outside / "shared.py", "outside_file_helper")
    define(outside / "lib" / "tools.py", "outside_folder_helper")
    os.symlink(outside / "shared.py", ws / "shared.py")
    os.symlink(outside / "lib", ws / "lib")
    names = ["secret_default_helper", "secret_glob_helper", "outside_file_helper",
             "outside_folder_helper"]
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        await symbols_ready(s)
        calls = "".join(f"{name}(1)\n" for name in names)
        main = s.open("main.py", f"{calls}ordinary_helper(1)\nresult = ")
        s.stub.script(Reply.text("2"))
        await s.inline(main)
        sent = json.dumps(s.stub.requests, ensure_ascii=False)
        assert "marker_arg_q7x2_ordinary_helper" in sent  # the context works at all
        leaked = [name for name in names if f"marker_arg_q7x2_{name}" in sent]
        assert leaked == []
        shown = await s.command("iskra.showLastContext")
        sources = [p.source for p in shown.parts[2:]]  # after the instructions and the code
        assert sources == ["ordinary.py:1"], sources
