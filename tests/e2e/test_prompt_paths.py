"""The completion prompt names files by their workspace-relative path (issue 18.7).

An absolute path tells the service the user's home folder and name on every request;
the model needs only where the file sits in the project. A file outside every
workspace folder is named by its base name.
"""

from __future__ import annotations

from pathlib import Path

from harness import lsp_session

from iskra_ls.stub import Reply


def _prompt(request: dict[str, object]) -> str:
    messages = request["messages"]
    assert isinstance(messages, list)
    return "\n".join(str(message["content"]) for message in messages)


async def test_prompt_carries_the_workspace_relative_path(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"completion": {"debounceMs": 0}}) as s:
        (s.root / "pkg").mkdir()
        other = s.open("pkg/helpers.py", "def helper():\n    return 1\n")
        s.type_text(other, "\n\ndef second():\n    return 2\n")  # a recently edited neighbour
        uri = s.open("pkg/main.py", "from pkg.helpers import helper\n\nvalue = ")
        s.stub.script(Reply.text("helper()"))
        result = await s.inline(uri)
        assert result is not None and [i.insert_text for i in result.items] == ["helper()"]
        prompt = _prompt(s.stub.requests[-1])
        assert "File: pkg/main.py" in prompt
        assert "--- pkg/helpers.py ---" in prompt
        assert str(tmp_path) not in prompt


async def test_a_file_without_a_workspace_is_named_by_its_base_name(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, folders=False,
                           settings={"completion": {"debounceMs": 0}}) as s:
        uri = s.open("deep/inside/loose.py", "total = ")
        s.stub.script(Reply.text("0"))
        result = await s.inline(uri)
        assert result is not None and [i.insert_text for i in result.items] == ["0"]
        prompt = _prompt(s.stub.requests[-1])
        assert "File: loose.py" in prompt
        assert str(tmp_path) not in prompt
