"""The edit coordinator: one ``workspace/applyEdit`` at a time, each checked after the last."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from lsprotocol import types

import iskra_ls
from iskra_ls.actions.coordinator import EditCapabilities, EditCoordinator, Prepared

CAPS = EditCapabilities(True, ("create", "rename", "delete"), True, "utf-16")


class Editor:
    """Answers each edit when the test says so, and records the order of events."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.answers: dict[str, asyncio.Future[tuple[bool, str | None]]] = {}
        self.sent: dict[str, asyncio.Event] = {}

    def was_sent(self, label: str) -> asyncio.Event:
        return self.sent.setdefault(label, asyncio.Event())

    async def send(self, label: str, _edit: types.WorkspaceEdit) -> tuple[bool, str | None]:
        self.events.append(f"sent {label}")
        self.was_sent(label).set()
        future = self.answers.setdefault(label, asyncio.get_running_loop().create_future())
        return await future

    def answer(self, label: str, applied: bool = True) -> None:
        self.events.append(f"answered {label}")
        self.answers.setdefault(label, asyncio.get_running_loop().create_future()).set_result(
            (applied, None))


def prepared_by(editor: Editor, label: str, targets: list[str]) -> Prepared:
    editor.events.append(f"prepared {label}")
    return Prepared(types.WorkspaceEdit(document_changes=[]), targets)


async def test_the_next_edit_is_prepared_only_after_the_previous_one_is_answered() -> None:
    editor = Editor()
    coordinator = EditCoordinator(editor.send, CAPS)
    seen_by_b = {"/ws/a.py": coordinator.now()}  # B's model read a.py before A landed
    waited: list[str] = []

    async def prepare_b() -> Prepared:
        stale = coordinator.landed_since(seen_by_b)
        editor.events.append(f"B sees {stale}")
        return prepared_by(editor, "B", ["/ws/a.py"])

    async def prepare_a() -> Prepared:
        return prepared_by(editor, "A", ["/ws/a.py"])

    a = asyncio.ensure_future(coordinator.apply("A", prepare_a, timeout=10))
    await editor.was_sent("A").wait()
    assert coordinator.in_flight == {"/ws/a.py": "A"}
    b = asyncio.ensure_future(coordinator.apply("B", prepare_b, timeout=10,
                                                waiting=waited.append))
    for _ in range(20):
        await asyncio.sleep(0)
    assert "prepared B" not in editor.events and waited == ["A"]
    editor.answer("A")
    await editor.was_sent("B").wait()
    editor.answer("B")
    assert (await a).applied and (await b).applied
    assert editor.events == ["prepared A", "sent A", "answered A", "B sees ['/ws/a.py']",
                             "prepared B", "sent B", "answered B"]
    assert coordinator.in_flight == {}
    assert coordinator.landed_since({"/ws/a.py": coordinator.now()}) == []


async def test_a_cancel_while_waiting_sends_nothing() -> None:
    editor = Editor()
    coordinator = EditCoordinator(editor.send, CAPS)

    async def prepare(label: str) -> Prepared:
        return prepared_by(editor, label, ["/ws/x.py"])

    a = asyncio.ensure_future(coordinator.apply("A", lambda: prepare("A"), timeout=10))
    await editor.was_sent("A").wait()
    b = asyncio.ensure_future(coordinator.apply("B", lambda: prepare("B"), timeout=10))
    await asyncio.sleep(0)
    b.cancel()
    with pytest.raises(asyncio.CancelledError):
        await b
    editor.answer("A")
    assert (await a).applied
    assert "prepared B" not in editor.events and "sent B" not in editor.events


async def test_an_unanswered_edit_counts_as_landed_and_frees_the_turn() -> None:
    editor = Editor()
    coordinator = EditCoordinator(editor.send, CAPS)
    seen = {"/ws/y.py": coordinator.now()}

    async def prepare() -> Prepared:
        return prepared_by(editor, "A", ["/ws/y.py"])

    answer = await coordinator.apply("A", prepare, timeout=0.05)
    assert answer.applied is None
    assert coordinator.landed_since(seen) == ["/ws/y.py"]  # the editor may still apply it
    assert coordinator.in_flight == {}


def test_the_coordinator_is_the_only_sender_of_apply_edit() -> None:
    """Only editor.py sends pygls's applyEdit, in the transport it hands the coordinator
    (demo.py is a client: it receives applyEdit)."""
    package = Path(iskra_ls.__file__).parent
    senders = []
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"workspace_apply_edit|send_request\w*\([^)]*(?:APPLY_EDIT|applyEdit)", text):
            senders.append(path.relative_to(package).as_posix())
        if "_send_apply_edit" in text:
            assert path.name == "editor.py", path
            assert text.count("_send_apply_edit") == 2, "defined once, given to the coordinator"
    assert senders == ["editor.py"], senders
