"""A fix for Python LSP clients of this server (the demo, tests, benchmarks).

lsprotocol 2025.0.0 structures every element of a ``textDocument/codeAction``
result that has a ``command`` key as a ``Command`` — even a ``CodeAction``
whose ``command`` is an object. This hook picks ``Command`` only when
``command`` is a string.
"""

from __future__ import annotations

from typing import Any, Union

from lsprotocol import types


def fix_code_action_structuring(converter: Any) -> None:
    """Register the structure hook on a pygls client's converter."""

    def structure(obj: Any, _type: Any) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    for union in (
        types.Command | types.CodeAction,
        Union[types.Command, types.CodeAction],  # noqa: UP007 - lsprotocol's own spelling
    ):
        converter.register_structure_hook(union, structure)
