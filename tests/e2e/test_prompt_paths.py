"""The completion prompt names files by their workspace-relative path (issue 18.7).

An absolute path tells the service the user's home folder and name on every request;
the model needs only where the file sits in the project. A file outside every
workspace folder is named by its base name.
"""

from __future__ import annotations

from pathlib import Path

from harness import Session, lsp_session

from iskra_ls.stub import Reply


async def _prompt_of_a_completion(s: Session, uri: str, reply: str) -> str:
    """Ask at the end of ``uri``; check the suggestion came; the prompt the model got."""
    s.stub.script(Reply.text(reply))
    result = await s.inline(uri)
    assert result is not None and [i.insert_text for i in result.items] == [reply]
    messages = s.stub.requests[-1]["messages"]
    assert isinstance(messages, list)
    return "\n".join(str(message["content"]) for message in messages)


async def test_prompt_carries_the_workspace_relative_path(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings={"completion": {"debounceMs": 0}}) as s:
        (s.root / "pkg").mkdir()
        other = s.open("pkg/helpers.py", "def helper():\n    return 1\n")
        s.type_text(other, "\n\ndef second():\n    return 2\n")  # a recently edited neighbour
        uri = s.open("pkg/main.py", "from pkg.helpers import helper\n\nvalue = ")
        prompt = await _prompt_of_a_completion(s, uri, "helper()")
        assert "File: pkg/main.py" in prompt
        assert "--- pkg/helpers.py ---" in prompt
        assert str(tmp_path) not in prompt


async def test_a_file_without_a_workspace_is_named_by_its_base_name(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, folders=False,
                           settings={"completion": {"debounceMs": 0}}) as s:
        uri = s.open("deep/inside/loose.py", "total = ")
        prompt = await _prompt_of_a_completion(s, uri, "0")
        assert "File: loose.py" in prompt
        assert str(tmp_path) not in prompt
