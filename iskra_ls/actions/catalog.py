"""The Iskra code-action catalogue: which actions to offer where. Never calls the model.

Built-in actions are data (:data:`BUILTIN_ACTIONS`); users add their own with
the ``actions.custom`` setting. Each offered ``CodeAction`` carries the
command ``iskra.runAction`` with everything the runner needs, so listing is
cheap and running happens only when the user picks one.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from iskra_ls.settings import CustomAction

RUN_ACTION_COMMAND = "iskra.runAction"

ACTION_KINDS: tuple[str, ...] = (
    types.CodeActionKind.QuickFix,
    types.CodeActionKind.RefactorRewrite,
    types.CodeActionKind.Refactor,
    types.CodeActionKind.Source,
)

_STUB = re.compile(
    r"\bTODO\b|\bFIXME\b|^\s*pass\s*$|^\s*\.\.\.\s*$|NotImplementedError|todo!\(|unimplemented!\("
    r"|not implemented",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: str
    kind: str
    instruction: str
    when: str = "always"
    """``always``, ``selection`` (non-empty range), ``diagnostics`` or ``stub``.
    ``always`` actions are listed only when the user asked (trigger kind Invoked):
    otherwise they would put a light bulb on every line."""
    needs: frozenset[str] = frozenset()
    """Resource operations the action cannot succeed without (``create``...)."""


BUILTIN_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "fix",
        "Fix with Iskra",
        types.CodeActionKind.QuickFix,
        "Fix the problems reported by these diagnostics with the smallest correct change.",
        when="diagnostics",
    ),
    ActionSpec(
        "refactor",
        "Refactor selection",
        types.CodeActionKind.RefactorRewrite,
        "Refactor the selected code for clarity and maintainability without changing "
        "its behaviour.",
        when="selection",
    ),
    ActionSpec(
        "document",
        "Add docstrings and comments",
        types.CodeActionKind.RefactorRewrite,
        "Add concise docstrings and comments (why, not what) to the selected code or the "
        "code at the cursor. Do not change behaviour.",
    ),
    ActionSpec(
        "types",
        "Add type hints",
        types.CodeActionKind.RefactorRewrite,
        "Add precise type hints / annotations to the selected code or the function at the "
        "cursor. Do not change behaviour.",
    ),
    ActionSpec(
        "tests",
        "Write tests for this",
        types.CodeActionKind.Source,
        "Write unit tests for the selected code or the function at the cursor, in the "
        "project's test layout and framework. Create the test file, or extend it if it "
        "exists (read it first).",
        needs=frozenset({"create"}),
    ),
    ActionSpec(
        "implement",
        "Implement this",
        types.CodeActionKind.RefactorRewrite,
        "Implement the TODO or stub at the cursor, following the surrounding code's style.",
        when="stub",
    ),
)


def find_action(action_id: str) -> ActionSpec | None:
    return next((a for a in BUILTIN_ACTIONS if a.id == action_id), None)


def _kind_wanted(kind: str, only: Sequence[str]) -> bool:
    if not only:
        return True
    return any(kind == o or kind.startswith(f"{o}.") for o in only)


def _applies(spec: ActionSpec, *, selection: str, diagnostics: Sequence[Any], context: str,
             invoked: bool, operations: Collection[str]) -> bool:
    if not spec.needs <= set(operations):
        return False
    if spec.when == "diagnostics":
        return bool(diagnostics)
    if spec.when == "selection":
        return bool(selection.strip())
    if spec.when == "stub":
        return bool(_STUB.search(context))
    return invoked


def list_actions(
    *,
    uri: str,
    range_: types.Range,
    selection: str,
    diagnostics: Sequence[types.Diagnostic],
    only: Sequence[str],
    custom: Sequence[CustomAction],
    converter: Any,
    context: str | None = None,
    invoked: bool = True,
    operations: Collection[str] = ("create", "rename", "delete"),
) -> list[types.CodeAction]:
    """The Iskra actions for this range; ``context`` is the text around the cursor.

    ``invoked``: the user asked for code actions (not an automatic light-bulb
    query); ``operations``: the resource operations the editor can apply, so an
    action that cannot succeed is not offered. No action is ``isPreferred``:
    each one spends quota and must not be picked by an editor's auto-fix.
    """
    context_text = selection if context is None else context
    unstructured_range = converter.unstructure(range_)
    unstructured_diags = [converter.unstructure(d) for d in diagnostics]
    offered: list[types.CodeAction] = []

    def offer(action_id: str, title: str, kind: str, extra: dict[str, Any]) -> None:
        if not _kind_wanted(kind, only):
            return
        argument = {
            "action": action_id,
            "uri": uri,
            "range": unstructured_range,
            "diagnostics": unstructured_diags,
            **extra,
        }
        full_title = f"Iskra: {title}"
        offered.append(
            types.CodeAction(
                title=full_title,
                kind=kind,
                diagnostics=list(diagnostics) if kind == types.CodeActionKind.QuickFix else None,
                command=types.Command(
                    title=full_title, command=RUN_ACTION_COMMAND, arguments=[argument]
                ),
            )
        )

    for spec in BUILTIN_ACTIONS:
        if _applies(spec, selection=selection, diagnostics=diagnostics, context=context_text,
                    invoked=invoked, operations=operations):
            offer(spec.id, spec.title, spec.kind, {})
    for index, action in enumerate(custom if invoked else ()):
        kind = action.kinds[0] if action.kinds else types.CodeActionKind.Refactor
        offer(
            f"custom:{index}",
            action.title,
            kind,
            {"title": action.title, "instruction": action.instruction},
        )
    return offered
