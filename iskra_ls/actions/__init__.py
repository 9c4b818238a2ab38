"""Code actions: the model edits files through tools; the edits become one WorkspaceEdit.

The pure parts live here: which paths are allowed (:mod:`.paths`), the tool
schemas and argument parsing (:mod:`.tools`), tolerant search-and-replace
(:mod:`.matching`) and the action's pending changes (:mod:`.changeset`),
turned into a ``WorkspaceEdit`` by :mod:`iskra_ls.edits`.
"""

from iskra_ls.actions.changeset import ChangeSet, OpenDocument
from iskra_ls.actions.paths import PathRefused, ResolvedPath, WorkspacePolicy
from iskra_ls.actions.tools import TOOL_SPECS, ToolArgs, ToolError, parse_tool_call
from iskra_ls.edits import UnsupportedEdit

__all__ = [
    "TOOL_SPECS",
    "ChangeSet",
    "OpenDocument",
    "PathRefused",
    "ResolvedPath",
    "ToolArgs",
    "ToolError",
    "UnsupportedEdit",
    "WorkspacePolicy",
    "parse_tool_call",
]
