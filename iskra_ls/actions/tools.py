"""The file tools offered to the model: schemas, and parsing of its calls.

Names and arguments are fixed by the project's interface page. Each tool's
arguments are a pydantic model with extra fields forbidden, so a misspelt or
invented argument comes back to the model as an error it can fix instead of
being silently dropped. :data:`TOOL_SPECS` is what goes into the request's
``tools`` field; :func:`parse_tool_call` turns the model's call (a name and a
JSON *string*) into one of the argument models or raises :class:`ToolError`.

Pure: no server, no filesystem.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from iskra_ls.errors import ToolError as ToolError  # re-exported for the action modules

_URI = (
    "File path: workspace-relative ('src/app.py'), '/'-rooted at the workspace "
    "('/src/app.py'), or a file:// URI inside the workspace."
)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    tool_name: ClassVar[str] = ""
    description: ClassVar[str] = ""


class ReadFile(_Args):
    tool_name: ClassVar[str] = "read_file"
    description: ClassVar[str] = (
        "Read a text file of the workspace (the editor's unsaved text if the file is open, "
        "with your earlier edits in this task applied). Returns the text exactly as it is, "
        "without line numbers. When start_line/end_line are given (1-based, inclusive) or the "
        "file is too long to return whole, only those lines are returned and a last line in "
        "square brackets says which lines were shown and how many the file has."
    )
    uri: str = Field(description=_URI)
    start_line: int | None = Field(default=None, ge=1, description="First line, 1-based.")
    end_line: int | None = Field(
        default=None, ge=1, description="Last line, 1-based, inclusive."
    )

    @model_validator(mode="after")
    def _ordered(self) -> ReadFile:
        if self.start_line and self.end_line and self.end_line < self.start_line:
            raise ValueError("end_line must not be before start_line")
        return self


class ListDirectory(_Args):
    tool_name: ClassVar[str] = "list_directory"
    description: ClassVar[str] = (
        "List a folder of the workspace: sub-folders end with '/'. Use '/' for the "
        "workspace root. Files created in this task are included; secret files are hidden."
    )
    uri: str = Field(description=_URI)


class CreateFileOrFolder(_Args):
    tool_name: ClassVar[str] = "create_file_or_folder"
    description: ClassVar[str] = (
        "Create a new file with the given content, or a folder when uri ends with '/'. "
        "Fails if it already exists (use write_file or replace_in_file to change a file)."
    )
    uri: str = Field(description=_URI + " End with '/' to create a folder.")
    content: str | None = Field(default=None, description="Text of the new file.")


class WriteFile(_Args):
    tool_name: ClassVar[str] = "write_file"
    description: ClassVar[str] = (
        "Replace the whole text of a file (created if missing) with content. For small "
        "changes to an existing file prefer replace_in_file."
    )
    uri: str = Field(description=_URI)
    content: str = Field(description="The complete new text of the file.")


class ReplaceInFile(_Args):
    tool_name: ClassVar[str] = "replace_in_file"
    description: ClassVar[str] = (
        "Replace one occurrence of search with replace in a file. search must be copied "
        "from the file and match exactly one place: include a few surrounding lines if "
        "needed. Small differences in indentation, trailing spaces or line endings are "
        "tolerated when the match is still unique."
    )
    uri: str = Field(description=_URI)
    search: str = Field(description="Exact text to find (one place only).")
    replace: str = Field(description="Text that replaces it.")


class DeleteFile(_Args):
    tool_name: ClassVar[str] = "delete_file"
    description: ClassVar[str] = "Delete one file of the workspace (not a folder)."
    uri: str = Field(description=_URI)


class RenameFile(_Args):
    tool_name: ClassVar[str] = "rename_file"
    description: ClassVar[str] = (
        "Rename or move one file (not a folder) to new_uri, which must not exist yet."
    )
    uri: str = Field(description=_URI)
    new_uri: str = Field(description="The new path, in the same forms as uri.")


ToolArgs = (
    ReadFile
    | ListDirectory
    | CreateFileOrFolder
    | WriteFile
    | ReplaceInFile
    | DeleteFile
    | RenameFile
)
"""The validated arguments of any tool."""

TOOL_MODELS: dict[str, type[_Args]] = {
    model.tool_name: model
    for model in (
        ReadFile,
        ListDirectory,
        CreateFileOrFolder,
        WriteFile,
        ReplaceInFile,
        DeleteFile,
        RenameFile,
    )
}

def _clean_schema(node: Any) -> Any:
    """Drop titles, and turn ``anyOf [T, null]`` with a None default into ``T``."""
    if isinstance(node, list):
        return [_clean_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        out[key] = _clean_schema(value)
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        out.update(kept)
        if out.get("default", 0) is None:
            del out["default"]
    return out


def _spec(model: type[_Args]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": model.tool_name,
            "description": model.description,
            "parameters": _clean_schema(model.model_json_schema()),
        },
    }


TOOL_SPECS: list[dict[str, Any]] = [_spec(model) for model in TOOL_MODELS.values()]
"""OpenAI ``tools`` entries for every file tool."""

_NEEDS: dict[str, str] = {
    "create_file_or_folder": "create",
    "delete_file": "delete",
    "rename_file": "rename",
}
"""The LSP resource operation a tool's edit needs from the editor."""


def available_tools(operations: Collection[str]) -> list[str]:
    """Tool names the editor can apply, given its ``resourceOperations``
    (empty when it has no ``documentChanges``: then only existing files change)."""
    return [name for name in TOOL_MODELS if _NEEDS.get(name, "") in ("", *operations)]


def tool_specs(names: Collection[str]) -> list[dict[str, Any]]:
    """The ``tools`` entries for ``names``; ``write_file`` says when it cannot create."""
    specs = [spec for spec in TOOL_SPECS if spec["function"]["name"] in names]
    if "create_file_or_folder" not in names:
        for index, spec in enumerate(specs):
            if spec["function"]["name"] == "write_file":
                function = dict(spec["function"])
                function["description"] = (
                    "Replace the whole text of an existing file with content (this editor "
                    "does not let Iskra create files). For small changes prefer replace_in_file."
                )
                specs[index] = {**spec, "function": function}
    return specs


MAX_ARGUMENT_CHARS = 2_000_000
"""Arguments longer than this are refused unread (one file's whole text fits easily)."""


def parse_tool_call(
    name: str, arguments: str, allowed: Collection[str] | None = None
) -> ToolArgs:
    """Validate one tool call from the model; raise :class:`ToolError` if it is wrong.

    ``allowed`` are the tools offered to the model in this action.
    """
    model = TOOL_MODELS.get(name) if isinstance(name, str) else None
    offered = list(TOOL_MODELS) if allowed is None else [n for n in TOOL_MODELS if n in allowed]
    if not isinstance(name, str) or not name:
        raise ToolError("The tool call has no tool name (it must be a string, such as "
                        f"'read_file'). Available tools: {', '.join(offered)}.")
    if model is None or name not in offered:
        shown = name[:80]
        raise ToolError(f"Unknown tool '{shown}'. Available tools: {', '.join(offered)}.")
    text = arguments if isinstance(arguments, str) else ""
    if len(text) > MAX_ARGUMENT_CHARS:
        raise ToolError(
            f"{name}: the arguments are too long ({len(text)} characters; limit "
            f"{MAX_ARGUMENT_CHARS}). Change the file in smaller pieces."
        )
    if not text.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ToolError(
                f"{name}: the arguments are not valid JSON ({error.msg} at character "
                f"{error.pos}). Send a JSON object."
            ) from None
        except RecursionError:
            raise ToolError(
                f"{name}: the arguments are nested too deeply. Send a flat JSON object."
            ) from None
    if not isinstance(data, dict):
        raise ToolError(
            f"{name}: the arguments must be a JSON object, not {type(data).__name__}."
        )
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as error:
        raise ToolError(f"{name}: {_describe(error, model)}") from None


def _describe(error: ValidationError, model: type[_Args]) -> str:
    allowed = ", ".join(model.model_fields)
    problems: list[str] = []
    for item in error.errors()[:4]:
        field = ".".join(str(part) for part in item["loc"]) or "arguments"
        kind = item["type"]
        if kind == "missing":
            problems.append(f"missing required argument '{field}'")
        elif kind == "extra_forbidden":
            problems.append(f"unexpected argument '{field}'")
        else:
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"'{field}': {message}" if item["loc"] else message)
    return "; ".join(problems) + f" (arguments: {allowed})."
