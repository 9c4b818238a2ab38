"""The layout follows the pipeline: low modules never import the layers above them.

``edits`` (the workspace-edit builder) sits below ``actions``; the pure modules import
neither pygls's server nor the network client nor the feature packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import iskra_ls

PACKAGE = Path(iskra_ls.__file__).parent

LOW = ["edits", "textdoc", "snapshot", "linediff", "errors", "file_policy", "settings", "schema",
       "logs", "plain_text", "file_service", "languages", "credential", "status",
       "account/budget", "account/ledger", "api/account", "api/sse", "api/results"]
HIGHER = (
    "iskra_ls.actions",
    "iskra_ls.completion",
    "iskra_ls.server",
    "iskra_ls.session",
    "iskra_ls.api.client",
    "pygls.server",
    "iskra_ls.editor",
)


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", LOW)
def test_low_module_imports_nothing_above_it(module: str) -> None:
    upward = sorted(
        name
        for name in _imports(module)
        if any(name == high or name.startswith(high + ".") for high in HIGHER)
    )
    assert upward == [], f"iskra_ls/{module}.py imports {upward}"


def test_completions_ask_the_file_policy_service_not_the_action_paths() -> None:
    """One file-policy service for completions and actions (issue 20, Shape): the server
    object and the completion path do not import the model's path resolver."""
    for module in ["editor", "server", *[f"completion/{p.stem}" for p in
                                           (PACKAGE / "completion").glob("*.py")]]:
        assert "iskra_ls.actions.paths" not in _imports(module), module
    assert "is_secret_path" not in (PACKAGE / "editor.py").read_text(encoding="utf-8")


def test_dead_names_are_gone() -> None:
    from iskra_ls.actions import tools

    assert not hasattr(tools, "EDIT_TOOLS")
    assert "_last_error" not in (PACKAGE / "session.py").read_text(encoding="utf-8")
    from iskra_ls.completion.context import Prompt

    assert "stop" not in Prompt.__dataclass_fields__


def test_indentation_helpers_sit_below_context_and_postprocess() -> None:
    """Prompt building and post-processing share the helpers; neither lends them to the other."""
    assert _imports("completion/indentation") <= {"__future__", "re", "collections",
                                                  "collections.abc", "dataclasses",
                                                  "itertools", "iskra_ls.textdoc"}
    source = (PACKAGE / "completion" / "postprocess.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    from_context = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "iskra_ls.completion.context"
        for alias in node.names
    }
    assert not from_context & {"leading_ws", "indent_columns", "render_indent", "code_part",
                               "opens_block", "detect_indent_unit"}, from_context


PURE_FILTER_IMPORTS = {
    "__future__", "re", "math", "collections", "collections.abc", "dataclasses", "functools",
    "typing", "tree_sitter", "iskra_ls.languages", "iskra_ls.textdoc",
    "iskra_ls.completion.context", "iskra_ls.completion.indentation",
    "iskra_ls.completion.prose", "iskra_ls.completion.filters",
}


def test_prose_rules_are_pure() -> None:
    """Telling English from code needs the text and the capability table, nothing else."""
    assert _imports("completion/prose") <= PURE_FILTER_IMPORTS | {
        "iskra_ls.completion.filters.text"}


@pytest.mark.parametrize(
    "module", sorted(p.stem for p in (PACKAGE / "completion" / "filters").glob("*.py"))
)
def test_filters_are_pure(module: str) -> None:
    """Each filter is values in, values out: it imports the table, the context type and its
    sibling filters, never the service, the network client or the server."""
    imports = _imports(f"completion/filters/{module}")
    outside = {name for name in imports if not name.startswith("iskra_ls.completion.filters.")}
    assert outside <= PURE_FILTER_IMPORTS, outside - PURE_FILTER_IMPORTS
    assert not any("postprocess" in name for name in imports)


def test_the_stub_admin_api_does_not_import_the_stub_server() -> None:
    """The admin routes drive a declared interface; the server mounts them (one direction)."""
    assert not any(name.startswith("iskra_ls.stub.server") for name in _imports("stub/admin"))


def test_lookahead_uses_post_processing_through_its_public_face() -> None:
    """The lines after a first line are shaped by ``postprocess`` itself, whatever filters
    it runs: the lookahead reaches for nothing else in the post-processing modules."""
    tree = ast.parse((PACKAGE / "completion" / "lookahead.py").read_text(encoding="utf-8"))
    used = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    shaping = {name for module, name in used if module == "iskra_ls.completion.postprocess"}
    assert shaping <= {"Suggestion", "early_stop_text", "postprocess", "first_line_complete"}
    assert not [module for module, _ in used if module.startswith("iskra_ls.completion.filters")]


def test_features_get_a_chat_interface_not_the_session() -> None:
    """The completion fetch needs a chat call (issue 19 shape), not settings layers or polling."""
    assert not any(name.startswith("iskra_ls.session") for name in _imports("completion/fetch"))
    assert "iskra_ls.account.chat" in _imports("completion/fetch")


def test_the_account_parts_stand_apart() -> None:
    """The ledger and the day's arithmetic know nothing of the network or the session."""
    for module in ("account/budget", "account/ledger", "account/quota"):
        names = _imports(module)
        assert not any(n.startswith(("iskra_ls.session", "iskra_ls.api.client", "openai",
                                     "pygls")) for n in names), (module, names)


@pytest.mark.parametrize("module", ["symbols/tags", "symbols/index", "symbols/workspace",
                                    "symbols/worker", "completion/related",
                                    "completion/needed_definitions"])
def test_context_sources_import_neither_the_server_nor_the_network(module: str) -> None:
    """The index, its queries and the choice of prompt parts run in threads and tests
    without a server: no pygls server, no network client, no scheduler above them."""
    forbidden = ("pygls", "iskra_ls.server", "iskra_ls.editor", "iskra_ls.session",
                 "iskra_ls.api", "iskra_ls.completion.service", "iskra_ls.completion.fetch",
                 "iskra_ls.actions", "openai", "httpx")
    upward = sorted(name for name in _imports(module)
                    if any(name == f or name.startswith(f + ".") for f in forbidden))
    assert upward == [], f"iskra_ls/{module}.py imports {upward}"
    if module.startswith(("symbols/tags", "completion/related", "completion/needed")):
        assert not any(name.startswith("iskra_ls.symbols.index") or name == "watchfiles"
                       for name in _imports(module)), "pure parts do no I/O"
    if module == "symbols/worker":  # loaded by every parsing process: the parser and no more
        ours = {n for n in _imports(module) if n.startswith("iskra_ls")}
        assert ours <= {"iskra_ls.symbols.tags"}, ours
