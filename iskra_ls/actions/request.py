"""What the editor asked an action to do, read from ``workspace/executeCommand`` arguments.

``iskra.runAction`` carries what a listed code action put into its command;
``iskra.ask`` carries ``{uri, range?, instruction}``. Arguments that cannot be
read are answered with JSON-RPC ``InvalidParams`` (code -32602) naming what is
wrong -- not an internal error, and not an "Error in server" popup.

Pure: no server, no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from iskra_ls.actions.catalog import find_action
from iskra_ls.lsp_values import plain
from iskra_ls.settings import Settings


class BadArguments(JsonRpcInvalidParams):
    """Command arguments the server cannot use; answered as ``InvalidParams``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass
class ActionRequest:
    """What the editor asked for: a catalogue action or a free-form instruction."""

    uri: str
    instruction: str
    title: str
    range: types.Range | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_run_action(cls, args: Sequence[Any], settings: Settings) -> ActionRequest:
        data = _first_mapping(args)
        action_id = str(data.get("action", ""))
        if action_id.startswith("custom:"):
            title = str(data.get("title") or "")
            instruction = str(data.get("instruction") or "")
            if not instruction:
                index = _int(action_id.split(":", 1)[1])
                custom = settings.actions.custom
                if index is None or not 0 <= index < len(custom):
                    raise BadArguments(f"unknown custom action {action_id!r}")
                title, instruction = custom[index].title, custom[index].instruction
        else:
            spec = find_action(action_id)
            if spec is None:
                raise BadArguments(f"unknown Iskra action {action_id!r}")
            title, instruction = spec.title, spec.instruction
        diagnostics = data.get("diagnostics") or []
        if not isinstance(diagnostics, list):
            raise BadArguments("`diagnostics` must be a list")
        return cls(
            uri=_uri(data),
            instruction=instruction,
            title=title,
            range=_range(data.get("range")),
            diagnostics=[d for d in diagnostics if isinstance(d, dict)],
        )

    @classmethod
    def from_ask(cls, args: Sequence[Any]) -> ActionRequest:
        data = _first_mapping(args)
        instruction = data.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            raise BadArguments("iskra.ask needs a non-empty string `instruction`")
        return cls(
            uri=_uri(data),
            instruction=instruction.strip(),
            title="Ask",
            range=_range(data.get("range")),
        )


def _first_mapping(args: Sequence[Any]) -> dict[str, Any]:
    if args:
        first = plain(args[0])
        if isinstance(first, dict):
            return first
    raise BadArguments("expected one object argument")


def _uri(data: Mapping[str, Any]) -> str:
    uri = data.get("uri")
    if not isinstance(uri, str) or not uri:
        raise BadArguments("the action needs the document's `uri` (a string)")
    return uri


def _range(value: Any) -> types.Range | None:
    if value is None:
        return None
    try:
        start, end = value["start"], value["end"]
        numbers = [start["line"], start["character"], end["line"], end["character"]]
    except (KeyError, TypeError, IndexError):
        raise BadArguments("`range` must be {start: {line, character}, end: {...}}") from None
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**31
               for n in numbers):
        raise BadArguments("`range` positions must be non-negative integers")
    first = types.Position(line=numbers[0], character=numbers[1])
    last = types.Position(line=numbers[2], character=numbers[3])
    if (last.line, last.character) < (first.line, first.character):
        first, last = last, first
    return types.Range(start=first, end=last)


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
