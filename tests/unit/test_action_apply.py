"""Pure parts of the apply step: worker time limit and rollback, snapshots, summaries."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from iskra_ls.actions.apply import summarise
from iskra_ls.actions.changeset import ChangeSet, OpenDocument
from iskra_ls.actions.paths import WorkspacePolicy
from iskra_ls.actions.snapshot import ApplyRefused
from iskra_ls.actions.tools import CreateFileOrFolder, ReplaceInFile, ToolError
from iskra_ls.actions.worker import WorkerTimeout, run_in_worker


def _changes(root: Path) -> ChangeSet:
    return ChangeSet(WorkspacePolicy([root]), {})


async def test_worker_returns_the_result(tmp_path: Path) -> None:
    changes = _changes(tmp_path)
    answer = await run_in_worker(
        changes, lambda: changes.run(CreateFileOrFolder(uri="a.py", content="x\n")),
        timeout=5, what="create")
    assert answer.startswith("Created a.py")
    assert changes.summary() == ["create a.py"]


async def test_an_abandoned_call_is_rolled_back_when_it_finishes(tmp_path: Path) -> None:
    changes = _changes(tmp_path)
    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return changes.run(CreateFileOrFolder(uri="late.py", content="x\n"))

    with pytest.raises(WorkerTimeout) as raised:
        await run_in_worker(changes, slow, timeout=0.05, what="write_file")
    assert "write_file" in str(raised.value) and "smaller" in str(raised.value)
    release.set()
    await asyncio.to_thread(changes.lock.acquire, True, 10)
    changes.lock.release()
    assert changes.summary() == []  # what the abandoned call did is undone


async def test_a_failing_tool_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    changes = _changes(tmp_path)
    with pytest.raises(ToolError):
        await run_in_worker(changes, lambda: changes.run(
            ReplaceInFile(uri="a.py", search="nope", replace="y")), timeout=5, what="replace")
    assert changes.summary() == []


def test_disk_change_after_the_read_refuses_the_edit(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("a = 1\nb = 2\n", encoding="utf-8")
    changes = _changes(tmp_path)
    changes.run(ReplaceInFile(uri="a.py", search="b = 2", replace="b = 3"))
    target.write_text("import os\na = 1\nb = 2\n", encoding="utf-8")
    with pytest.raises(ApplyRefused, match=r"a\.py changed"):
        changes.to_workspace_edit(encoding="utf-16", document_changes=True, open_now={})


def test_buffer_opened_with_the_same_text_gets_its_version(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text("a = 1\n", encoding="utf-8")
    changes = _changes(tmp_path)
    changes.run(ReplaceInFile(uri="a.py", search="1", replace="2"))
    uri = target.as_uri()
    edit = changes.to_workspace_edit(encoding="utf-16", document_changes=True,
                                     open_now={uri: OpenDocument(uri, "a = 1\n", 9)})
    (change,) = edit.document_changes or []
    assert change.text_document.version == 9  # type: ignore[union-attr]


def test_a_created_file_that_appeared_meanwhile_refuses_the_edit(tmp_path: Path) -> None:
    changes = _changes(tmp_path)
    changes.run(CreateFileOrFolder(uri="new.py", content="x\n"))
    (tmp_path / "new.py").write_text("someone else's\n", encoding="utf-8")
    with pytest.raises(ApplyRefused, match=r"new\.py"):
        changes.to_workspace_edit(encoding="utf-16", document_changes=True, open_now={})


@pytest.mark.parametrize(("text", "expected"), [
    ("Renamed the helper.", "Renamed the helper."),
    ("First paragraph\nstill first.\n\nSecond one.", "First paragraph still first."),
    ("```python\nx = 1\n```\nChanged `x`.", "Changed x."),
    ("Did it:\n```\ncode\n```\nmore", "Did it:"),
    ("", ""),
])
def test_summarise_takes_the_first_prose_paragraph(text: str, expected: str) -> None:
    assert summarise(text).removesuffix(" (full answer in the log)") == expected


def test_summarise_caps_a_huge_answer() -> None:
    said = summarise("word " * 1_000_000)
    assert len(said) <= 330 and said.endswith("(full answer in the log)")


def test_confirm_marks_only_the_sensitive_files_changes() -> None:
    from lsprotocol import types

    from iskra_ls.edits import FileChange, build_workspace_edit

    changes = [
        FileChange("edit", "file:///ws/a.py", "x = 1\n", "x = 2\n", 3),
        FileChange("create", "file:///ws/.vscode/tasks.json", new_text="{}\n"),
        FileChange("rename", "file:///ws/b.py", None, None, None, "file:///ws/.githooks/b"),
        FileChange("delete", "file:///ws/.gitlab-ci.yml"),
    ]
    edit = build_workspace_edit(changes, encoding="utf-16", document_changes=True,
                                annotation="Iskra: Ask",
                                confirm=lambda uri: "/." in uri)
    annotations = edit.change_annotations or {}
    confirm = {k for k, a in annotations.items() if a.needs_confirmation}
    assert len(confirm) == 1 and len(annotations) == 2
    for op in edit.document_changes or []:
        if isinstance(op, types.TextDocumentEdit):
            sensitive = "/." in op.text_document.uri
            ids = {e.annotation_id for e in op.edits}  # type: ignore[union-attr]
            assert (ids <= confirm) == sensitive
        else:
            uri = getattr(op, "uri", None) or getattr(op, "new_uri", "")
            assert (op.annotation_id in confirm) == ("/." in uri)
    plain = build_workspace_edit(changes[:1], encoding="utf-16", document_changes=True,
                                 annotation="Iskra: Ask", confirm=lambda uri: False)
    assert all(not a.needs_confirmation for a in (plain.change_annotations or {}).values())


def test_a_symlink_is_never_moved(tmp_path: Path) -> None:
    from iskra_ls.actions.tools import RenameFile

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "dl").symlink_to("../outside")  # dangling, relative: moved, it points out
    changes = _changes(tmp_path)
    with pytest.raises(ToolError):
        changes.run(RenameFile(uri="a/dl", new_uri="dist"))
    assert changes.summary() == []
