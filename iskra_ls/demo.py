"""``iskra-ls demo``: the whole path on a fresh machine, with no account and no network.

Starts the bundled Iskra-compatible server on 127.0.0.1 and the language
server as a subprocess over stdio, then plays an editor: opens a file, asks
for an inline completion, lists the code actions, runs one and prints the
``WorkspaceEdit`` the editor would apply, as a diff. The answers are scripted
(the bundled server plays the model) and the demo says so, and how many of the
day's requests it spent: the same four would count against a real account.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from iskra_ls.client_fixes import fix_code_action_structuring
from iskra_ls.edits import apply_text_edits
from iskra_ls.stub import Reply, StubIskra

SOURCE = '''def average(values: list[float]) -> float:
    """Mean of values; 0.0 for an empty list."""
    if not values:
        return 0.0
    total = sum(values)
    '''

COMPLETION = "return total / len(values)\n"


def _script(stub: StubIskra, uri_path: str) -> None:
    stub.script(
        Reply.text(COMPLETION),
        Reply.tool_calls([("read_file", {"uri": uri_path})]),
        Reply.tool_calls(
            [
                ("create_file_or_folder", {
                    "uri": "/tests/test_stats.py",
                    "content": "from stats import average\n\n\n"
                               "def test_average() -> None:\n"
                               "    assert average([1.0, 3.0]) == 2.0\n"
                               "    assert average([]) == 0.0\n",
                }),
            ]
        ),
        Reply.text("Added tests/test_stats.py with two tests for average()."),
    )


def server_command() -> list[str]:
    """How to start this very iskra-ls: the frozen build (VS Code's bundled server) is its own
    executable and has no ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "serve"]
    return [sys.executable, "-m", "iskra_ls"]


def edit_as_diff(edit: types.WorkspaceEdit, root: Path) -> str:
    """A unified diff of what ``edit`` does to the files under ``root`` (easier to read than
    the JSON the editor receives)."""
    out: list[str] = []
    contents: dict[str, str] = {}
    before: dict[str, str | None] = {}

    def path_of(uri: str) -> Path:
        return Path(uri.removeprefix("file://"))

    def current(uri: str) -> str:
        if uri not in contents:
            path = path_of(uri)
            contents[uri] = path.read_text(encoding="utf-8") if path.is_file() else ""
        return contents[uri]

    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            before.setdefault(change.uri, None)
            contents[change.uri] = ""
        elif isinstance(change, types.TextDocumentEdit):
            uri = change.text_document.uri
            text = current(uri)
            before.setdefault(uri, text)
            plain_edits = [e for e in change.edits if not isinstance(e, types.SnippetTextEdit)]
            contents[uri] = apply_text_edits(text, plain_edits, "utf-16")
        else:
            out.append(f"({type(change).__name__} {getattr(change, 'uri', '')})")
    for uri, text_edits in (edit.changes or {}).items():
        old = current(uri)
        before.setdefault(uri, old)
        contents[uri] = apply_text_edits(old, text_edits, "utf-16")
    for uri, old_text in before.items():
        path = path_of(uri)
        name = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        out.extend(line.rstrip("\n") for line in difflib.unified_diff(
            (old_text or "").splitlines(keepends=True), contents[uri].splitlines(keepends=True),
            fromfile="/dev/null" if old_text is None else f"a/{name}", tofile=f"b/{name}"))
    return "\n".join(out) or "(no change)"


def _print(title: str, body: str | None = None) -> None:
    """A section: its title on a rule (a long title keeps a short rule), then the body."""
    print(f"\n── {title} " + "─" * max(3, 60 - len(title)))
    if body is not None:
        print(body)

DEMO_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vQGV4YW1wbGUuY29tIn0.ZGVtby10b2tlbg"
"""The demo account's token: a JWT, as every token must be (the stub checks no signature)."""


async def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="iskra-demo-") as tmp:
        workspace = Path(tmp) / "project"
        workspace.mkdir()
        source = workspace / "stats.py"
        source.write_text(SOURCE, encoding="utf-8")
        async with StubIskra() as stub:
            _script(stub, "stats.py")
            print(f"Bundled Iskra-compatible server: {stub.url}")
            print("The model's answers below are scripted by this bundled server: no model, "
                  "account or network is used.")
            env = {**os.environ, "ISKRA_API_URL": stub.url, "ISKRA_TOKEN": DEMO_TOKEN,
                   "ISKRA_CONFIG_DIR": str(Path(tmp) / "config")}
            client = LanguageClient("iskra-demo", "1")
            fix_code_action_structuring(client.protocol._converter)
            edits: list[types.WorkspaceEdit] = []
            statuses: list[Any] = []

            @client.feature(types.WORKSPACE_APPLY_EDIT)
            def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
                edits.append(params.edit)
                return types.ApplyWorkspaceEditResult(applied=True)

            @client.feature("iskra/status")
            def on_status(params: Any) -> None:
                statuses.append(params)

            @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
            def on_progress_create(_params: Any) -> None:
                return None

            @client.feature(types.PROGRESS)
            def on_progress(params: Any) -> None:
                value = params.value
                if hasattr(value, "_asdict"):
                    value = value._asdict()
                value = value if isinstance(value, dict) else {}
                message = value.get("message") or value.get("title")
                if message:
                    print(f"  … {message}")

            shown: list[str] = []

            @client.feature(types.WINDOW_SHOW_MESSAGE)
            def on_message(params: types.ShowMessageParams) -> None:
                shown.append(params.message)
                print(f"  [editor message] {params.message}")

            await client.start_io(*server_command(), env=env)
            try:
                await _play(client, workspace, source, edits, shown)
                await _counted(statuses, len(stub.requests))
                if statuses:
                    last = statuses[-1]
                    _print("status (iskra/status)", f"{last.state}: {last.remaining} of "
                           f"{last.limit} requests left today ({last.tier} tier)")
                spent = len(stub.requests)
                limit = statuses[-1].limit if statuses else 20
                print(f"\nThe demo spent {spent} of the day's {limit} requests of its demo account "
                      f"(1 completion + {spent - 1} rounds of the action); on a real account "
                      "the same would count against your quota.")
            finally:
                await client.shutdown_async(None)
                client.exit(None)
                await client.stop()
    return 0


async def _counted(statuses: list[Any], requests: int, limit_s: float = 5.0) -> None:
    """Until a status counts every request made (the usage refresh after the last one)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if statuses and getattr(statuses[-1], "requestsToday", None) == requests:
            return
        await asyncio.sleep(0.02)


async def _play(client: LanguageClient, workspace: Path, source: Path,
                edits: list[types.WorkspaceEdit], shown: list[str]) -> None:
    root = str(from_fs_path(str(workspace)))
    uri = str(from_fs_path(str(source)))
    caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[types.ResourceOperationKind.Create],
            )
        ),
    )
    await client.initialize_async(types.InitializeParams(
        capabilities=caps, root_uri=root,
        workspace_folders=[types.WorkspaceFolder(uri=root, name="project")],
    ))
    client.initialized(types.InitializedParams())
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                             text=SOURCE)))
    lines = SOURCE.split("\n")
    cursor = types.Position(line=len(lines) - 1, character=len(lines[-1]))
    _print("stats.py", SOURCE + "▌")
    result = await client.text_document_inline_completion_async(types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=cursor,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    ghost = items[0].insert_text if items else "(no suggestion)"
    _print("inline completion (ghost text at the cursor)", str(ghost))

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=0, character=0), end=cursor),
        context=types.CodeActionContext(diagnostics=[])))
    titles = [a.title for a in actions or []]
    _print("code actions offered", "\n".join(f"  • {t}" for t in titles))
    chosen = next(a for a in actions or [] if "Write tests" in a.title)
    assert isinstance(chosen, types.CodeAction) and chosen.command is not None
    _print(f"running “{chosen.title}” (what the editor shows meanwhile)")
    answer = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=chosen.command.command, arguments=chosen.command.arguments))
    edit = edits[0] if edits else None
    body = edit_as_diff(edit, workspace) if edit else "(none)"
    _print(f"workspace/applyEdit for “{chosen.title}”, as a diff", body)
    message = answer.get("message") if isinstance(answer, dict) else getattr(answer, "message", "")
    if message and not any(str(message) in m for m in shown):  # said once
        _print("the model's summary", str(message))


def main() -> int:
    try:
        return asyncio.run(run_demo())
    except KeyboardInterrupt:
        return 130
