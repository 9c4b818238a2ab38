"""Issue 22: the prompt carries what the cursor needs from the rest of the workspace.

Through the real server and the stub: a definition in a workspace file that is not open
reaches the prompt (its signature and first doc line, under its workspace-relative path);
an edit in another document reaches it as the edited range; ``iskra.showLastContext``
lists each part that was sent, where it came from and its size, never the token.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from harness import TOKEN, Session, lsp_session

from iskra_ls.stub import Reply

SETTINGS = {"completion": {"debounceMs": 0}}

HEADERS = '''"""Header parsing."""


def parse_header(data: bytes, strict: bool = False) -> dict[str, str]:
    """Split one header block into its fields.

    Longer text that the prompt does not need.
    """
    fields = {}
    for line in data.splitlines():
        fields[line] = line
    return fields


class HeaderError(ValueError):
    """A header that cannot be read."""
'''

MAIN = "from pkg.headers import parse_header\n\n\ndef load(data):\n    fields = parse_header("


async def symbols_ready(s: Session, timeout: float = 60.0) -> None:
    """Until the server's first index of the workspace has ended (``iskra.status`` says);
    the time limit only bounds a failure (a loaded machine indexes slowly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await s.command("iskra.status")
        if getattr(getattr(status, "symbols", None), "ready", False):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the workspace index never became ready")


def user_prompt(s: Session) -> str:
    return str(s.stub.requests[-1]["messages"][-1]["content"])


def write_package(ws: Path) -> None:
    (ws / "pkg").mkdir(parents=True, exist_ok=True)
    (ws / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (ws / "pkg" / "headers.py").write_text(HEADERS, encoding="utf-8")


async def test_a_definition_in_a_closed_file_reaches_the_prompt(tmp_path: Path) -> None:
    write_package(tmp_path / "ws")
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        await symbols_ready(s)
        main = s.open("pkg/main.py", MAIN)
        s.stub.script(Reply.text("data, strict=True)"))
        await s.inline(main)
        prompt = user_prompt(s)
        assert "def parse_header(data: bytes, strict: bool = False) -> dict[str, str]:" \
            in prompt, prompt
        assert "Split one header block into its fields." in prompt
        assert "Longer text that the prompt does not need" not in prompt
        assert "--- pkg/headers.py:4 ---" in prompt  # workspace-relative, with the line


async def test_an_edited_range_of_another_document_reaches_the_prompt(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        body = "".join(f"def filler_{i}():\n    return {i}\n\n" for i in range(120))
        other = s.open("other.py", body)
        middle = body.index("def filler_60")
        s.change(other, middle, middle, "def freshly_edited_helper(total, count):\n"
                                        "    return total / count\n\n")
        main = s.open("main.py", "value = ")
        s.stub.script(Reply.text("1"))
        await s.inline(main)
        prompt = user_prompt(s)
        assert "def freshly_edited_helper(total, count):" in prompt, prompt


async def test_show_last_context_lists_each_part_and_never_the_token(tmp_path: Path) -> None:
    write_package(tmp_path / "ws")
    async with lsp_session(tmp_path, settings=SETTINGS,
                           initialization_options={"iskra": SETTINGS}) as s:
        await symbols_ready(s)
        empty = await s.command("iskra.showLastContext")
        assert empty.parts == []
        main = s.open("pkg/main.py", MAIN)
        s.stub.script(Reply.text("data)"))
        await s.inline(main)
        shown = await s.command("iskra.showLastContext")
        sources = [part.source for part in shown.parts]
        assert [part.kind for part in shown.parts][:2] == ["instructions", "code"]
        assert sources[1].endswith("pkg/main.py") and "pkg/headers.py:4" in sources, sources
        for part in shown.parts:
            assert part.chars == len(part.text) and part.kind
        sent = sum(len(m["content"]) for m in s.stub.requests[-1]["messages"])
        assert shown.totalChars == sent
        assert TOKEN not in json.dumps([vars(p) for p in shown.parts])
