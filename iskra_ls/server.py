"""Server wiring: the only module that registers LSP handlers.

Each handler reads its params, calls a plain service (:mod:`iskra_ls.session`,
:mod:`iskra_ls.completion.service`, :mod:`iskra_ls.actions.runner`) and wraps
the answer in lsprotocol types. Notification handlers catch every error
themselves: pygls would otherwise pop up "Error in server".

The services (and pydantic, which they need) are imported when first used,
right after ``initialize`` has been answered: lsprotocol alone costs ~0.35 s of
start-up and the editor is waiting for ``InitializeResult``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from iskra_ls.actions.catalog import ACTION_KINDS, list_actions
from iskra_ls.editor import IskraServer
from iskra_ls.lsp_values import plain

if TYPE_CHECKING:
    from iskra_ls.actions.request import ActionRequest
    from iskra_ls.completion.selected import SelectedItem
    from iskra_ls.completion.service import CompletionRequest
    from iskra_ls.snapshot import DocumentSnapshot
    from iskra_ls.textdoc import LspTextDocument

log = logging.getLogger(__name__)

ACCEPTED_COMMAND = "iskra.completion.accepted"


server = IskraServer()


@server.feature(types.INITIALIZE)
def on_initialize(ls: IskraServer, params: types.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict):
        section = options.get("iskra", options)
        ls.initialization_options = section if isinstance(section, dict) else None
    text_caps = params.capabilities.text_document
    has_inline = bool(text_caps and text_caps.inline_completion)
    transport = _raw_transport(ls.initialization_options)
    ls.use_inline = transport in ("inline", "both") or (transport == "auto" and has_inline)
    ls.use_items = transport in ("completionItem", "both") or (
        transport == "auto" and not has_inline
    )
    features = ls.protocol.fm.features
    if not ls.use_items:
        features.pop(types.TEXT_DOCUMENT_COMPLETION, None)
    if not ls.use_inline:
        features.pop(types.TEXT_DOCUMENT_INLINE_COMPLETION, None)


def _raw_transport(options: dict[str, Any] | None) -> str:
    """``completion.transport`` read without pydantic (validated later with the rest)."""
    if not options:
        return "auto"
    completion = options.get("completion")
    value = completion.get("transport") if isinstance(completion, dict) else None
    value = value or options.get("completion.transport")
    return value if value in ("auto", "inline", "completionItem", "both") else "auto"


@server.feature(types.INITIALIZED)
async def on_initialized(ls: IskraServer, _params: types.InitializedParams) -> None:
    ls.publish_status(ls.session.reporter.payload("starting", "Iskra is starting."))
    ls.session.ask_user = lambda question, choices: _ask_user(ls, question, choices)
    loop = asyncio.get_running_loop()
    ls.spawn(loop.run_in_executor(None, ls.session.client.preload))
    await ls.pull_configuration()
    if ls.workspace_folders():
        ls.symbol_index()  # the first index of the workspace starts now, in its thread
    try:
        await ls.session.start_watching()
    except Exception:
        log.warning("cannot watch the token file", exc_info=True)
    await ls.session.refresh_account(force=True)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(ls: IskraServer, params: types.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("iskra"), dict):
        ls.session.apply_settings(settings["iskra"])
    else:
        await ls.pull_configuration()
    if ls.workspace_folders():
        ls.symbol_index()  # started, restarted or stopped as completion.workspaceIndex says
    ls.session.publish_idle()


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: IskraServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.completions.note_edit(params.text_document.uri)
    ls.symbols.note_edit(params.text_document.uri, [
        change.range.start.line for change in params.content_changes
        if isinstance(change, types.TextDocumentContentChangePartial)])


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: IskraServer, params: types.DidCloseTextDocumentParams) -> None:
    """A closed document's completion state (typing rhythm, cache, generations) ends with it."""
    ls.completions.forget(params.text_document.uri)


@server.feature(types.SHUTDOWN)
async def on_shutdown(ls: IskraServer, _params: Any) -> None:
    """Cancel and await the work in flight, then close the HTTP client (see lifecycle)."""
    from iskra_ls.lifecycle import SHUTDOWN_GRACE_S, stop_in_flight

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_GRACE_S  # one total for everything below
    own = [*ls._tasks, *ls.iskra_protocol.command_tasks.values()]
    await stop_in_flight(ls.protocol, own, SHUTDOWN_GRACE_S)
    ls.symbols.stop()
    if ls._session is not None:
        await ls.session.stop(grace_s=max(deadline - loop.time(), 0.05))


# -- inline completions ---------------------------------------------------------------


def _completion_request(
    ls: IskraServer, uri: str, position: types.Position, *, invoked: bool
) -> tuple[CompletionRequest, LspTextDocument] | None:
    """The request for ``position``: a snapshot of the document as it is now (before any
    await, so the position reads the text the editor meant)."""
    doc = ls.document(uri)
    if doc is None:
        return None
    from iskra_ls.completion.context import prompt_path
    from iskra_ls.completion.service import CompletionRequest

    snapshot = doc.snapshot(doc.index().offset_at(position))
    folders = ls.workspace_folders()
    request = CompletionRequest(
        snapshot=snapshot,
        invoked=invoked,
        prompt_path=prompt_path(doc.path, folders),
        neighbours=lambda: ls.completions.neighbours(
            uri, ls.workspace.text_documents, lambda path: prompt_path(path, folders)
        ),
    )
    return request, doc


def _placed(
    ls: IskraServer, doc: LspTextDocument, snapshot: DocumentSnapshot, start: int, end: int
) -> types.Range | None:
    """``[start, end)`` of the snapshot's version as a range in the text as it is now, or
    None when the document was closed, or an edit since touched the span."""
    if ls.document(snapshot.uri) is not doc:
        return None
    span = snapshot.place(start, end)
    return doc.index().range_at(*span) if span is not None else None


def _item_command(answer_id: str) -> types.Command:
    return types.Command(title="Iskra", command=ACCEPTED_COMMAND, arguments=[answer_id])


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def on_inline_completion(
    ls: IskraServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList:
    invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    prepared = _completion_request(ls, params.text_document.uri, params.position, invoked=invoked)
    if prepared is None:
        return types.InlineCompletionList(items=[])
    request, doc = prepared
    snapshot = request.snapshot
    selected = _selected_item(params.context.selected_completion_info, doc, snapshot)
    if selected is not None:  # suggest widget open: ask as if its item were accepted
        text, cursor = selected.accepted(snapshot.text)
        virtual = dataclasses.replace(snapshot, text=text, cursor=cursor)
        request = dataclasses.replace(request, snapshot=virtual)
    answer = await ls.completions.complete(request)
    if answer is None:
        return types.InlineCompletionList(items=[])
    start, end, insert = answer.start, answer.end, answer.text
    if selected is not None:  # VS Code shows only an item that extends the selected one
        base = snapshot.start
        start, end, insert = selected.extend(snapshot.text, start - base, end - base, insert)
        start, end = start + base, end + base
    placed = _placed(ls, doc, snapshot, start, end)
    if placed is None:
        return types.InlineCompletionList(items=[])
    item = types.InlineCompletionItem(
        insert_text=insert, range=placed, command=_item_command(answer.id)
    )
    return types.InlineCompletionList(items=[item])


def _selected_item(
    info: types.SelectedCompletionInfo | None, doc: LspTextDocument, snapshot: DocumentSnapshot
) -> SelectedItem | None:
    """The selected completion item in the snapshot's window coordinates, if usable."""
    if info is None:
        return None
    from iskra_ls.completion.selected import SelectedItem

    start, end = doc.index().offsets_of(info.range)
    base = snapshot.start
    if start < base or end > base + len(snapshot.text):
        return None
    return SelectedItem.at_cursor(start - base, end - base, info.text, snapshot.cursor)


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "(", " "])
)
async def on_completion(
    ls: IskraServer, params: types.CompletionParams
) -> types.CompletionList | None:
    # Always automatic: `Invoked` also means idle completion (eglot/company, Helix, VS Code
    # quick suggestions). The explicit request is the `iskra.complete` command.
    prepared = _completion_request(ls, params.text_document.uri, params.position, invoked=False)
    if prepared is None:
        return None
    request, doc = prepared
    snapshot = request.snapshot
    answer = await ls.completions.complete(request)
    if answer is None:
        return types.CompletionList(is_incomplete=True, items=[])
    # The item replaces the word before the cursor with word + suggestion, and its label is
    # that same text: eglot inserts the label over the word before applying the edit, and
    # other clients filter by the word.
    word = _word_start(snapshot.text, snapshot.cursor)
    new_text = snapshot.text[word : snapshot.cursor] + answer.text
    placed = _placed(ls, doc, snapshot, snapshot.start + word, answer.end)
    if placed is None:
        return types.CompletionList(is_incomplete=True, items=[])
    lines = new_text.strip().splitlines()
    item = types.CompletionItem(
        label=(lines[0] if lines else new_text) or "Iskra suggestion",
        kind=types.CompletionItemKind.Snippet,
        detail="Iskra",
        documentation=answer.text,
        filter_text=new_text,
        sort_text="0",
        preselect=True,
        text_edit=types.TextEdit(range=placed, new_text=new_text),
        insert_text_format=types.InsertTextFormat.PlainText,
        command=_item_command(answer.id),
    )
    return types.CompletionList(is_incomplete=True, items=[item])


@server.command("iskra.complete")
async def cmd_complete(ls: IskraServer, *args: Any) -> dict[str, Any]:
    """The explicit completion request (``{uri, position}``): like an invoked inline one."""
    uri, position = _arg(args, "uri"), _arg(args, "position")
    try:
        where = types.Position(line=int(position["line"]), character=int(position["character"]))
    except (TypeError, KeyError, ValueError):
        where = None
    if not isinstance(uri, str) or where is None or where.line < 0 or where.character < 0:
        return {"items": [], "message": "iskra.complete needs {uri, position}."}
    prepared = _completion_request(ls, uri, where, invoked=True)
    if prepared is None:
        return {"items": [], "message": "That document is not open."}
    request, doc = prepared
    answer = await ls.completions.complete(request)
    if answer is None:
        return {"items": []}
    placed = _placed(ls, doc, request.snapshot, answer.start, answer.end)
    if placed is None:
        return {"items": []}
    item = types.InlineCompletionItem(
        insert_text=answer.text, range=placed, command=_item_command(answer.id)
    )
    return {"items": [plain(ls.protocol._converter.unstructure(item))]}


def _word_start(text: str, offset: int) -> int:
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return start


# -- code actions -----------------------------------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=list(ACTION_KINDS)),
)
def on_code_action(
    ls: IskraServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    doc = ls.document(params.text_document.uri)
    if doc is None:
        return None
    index = doc.index()
    start, end = index.offsets_of(params.range)
    lines = index.context_of(start, end)
    caps = ls.edit_coordinator().capabilities
    trigger = params.context.trigger_kind
    return list_actions(
        uri=params.text_document.uri,
        range_=params.range,
        selection=index.slice(start, end),
        context=lines,
        diagnostics=list(params.context.diagnostics),
        only=list(params.context.only or []),
        custom=ls.session.settings.actions.custom,
        converter=ls.protocol._converter,
        # Automatic (light-bulb) queries get only the actions this spot calls for.
        invoked=trigger is None or trigger == types.CodeActionTriggerKind.Invoked,
        operations=caps.resource_operations if caps.document_changes else (),
    )


async def _run_action(ls: IskraServer, request: ActionRequest) -> dict[str, Any]:
    task = asyncio.current_task()
    if task is not None:
        ls.iskra_protocol.track_command(task)
    try:
        return await ls.actions.execute(ls, request)
    except asyncio.CancelledError:
        # Cancelled from the progress UI or by $/cancelRequest: nothing was applied. pygls
        # would never answer a cancelled command task, so answer here (after a
        # $/cancelRequest pygls has already sent the cancellation error instead).
        if task is not None:
            task.uncancel()
        ls.session.publish_idle()
        return {"applied": False, "message": "Cancelled; nothing was changed.", "changes": []}


@server.command("iskra.runAction")
async def cmd_run_action(ls: IskraServer, *args: Any) -> dict[str, Any]:
    from iskra_ls.actions.request import ActionRequest

    return await _run_action(ls, ActionRequest.from_run_action(args, ls.session.settings))


@server.command("iskra.ask")
async def cmd_ask(ls: IskraServer, *args: Any) -> dict[str, Any]:
    from iskra_ls.actions.request import ActionRequest

    return await _run_action(ls, ActionRequest.from_ask(args))


# -- account and status commands --------------------------------------------------------


@server.command("iskra.status")
async def cmd_status(ls: IskraServer, *_args: Any) -> dict[str, Any]:
    await ls.session.refresh_account(force=True)
    state, message = ls.session.idle_state()
    payload = ls.session.reporter.payload(state, message)
    payload["completions"] = ls.completions.stats()
    payload["symbols"] = ls.symbols.status()
    payload["tokenSource"] = ls.session.token_source
    return payload


@server.command("iskra.setToken")
async def cmd_set_token(ls: IskraServer, *args: Any) -> dict[str, Any]:
    token = _arg(args, "token")
    refused = ls.session.set_editor_token(token if isinstance(token, str) else None)
    await ls.session.refresh_account(force=True)
    signed_in = bool(ls.session.client.token) and ls.session.quota.signed_in
    return {"signedIn": signed_in, "message": refused} if refused else {"signedIn": signed_in}


async def _ask_user(ls: IskraServer, question: str, choices: list[str]) -> str | None:
    """``window/showMessageRequest``: the title the user picked, or None."""
    answer = await ls.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=question,
            actions=[types.MessageActionItem(title=choice) for choice in choices],
        )
    )
    return answer.title if answer is not None else None


@server.command("iskra.confirmApiUrl")
async def cmd_confirm_api_url(ls: IskraServer, *args: Any) -> dict[str, Any]:
    """Allow the token to go to the current apiUrl (for editors that cannot show choices)."""
    wanted = _arg(args, "apiUrl")
    answer = ls.session.confirm_api_root(wanted if isinstance(wanted, str) else None)
    if answer["confirmed"]:
        await ls.session.refresh_account(force=True)
    return answer


@server.command("iskra.logout")
async def cmd_logout(ls: IskraServer, *_args: Any) -> dict[str, Any]:
    ls.session.token_store.clear()
    ls.session.set_editor_token(None)
    await ls.session.refresh_account(force=True)
    return {"signedIn": bool(ls.session.client.token)}


@server.command("iskra.showLastContext")
def cmd_show_last_context(ls: IskraServer, *_args: Any) -> dict[str, Any]:
    """What the last completion request sent: each part, its source, its size."""
    return ls.completions.last_context


@server.command("iskra.completion.toggle")
def cmd_toggle(ls: IskraServer, *args: Any) -> dict[str, Any]:
    wanted = _arg(args, "enabled")
    return ls.session.toggle_completions(wanted if isinstance(wanted, bool) else None)


@server.command(ACCEPTED_COMMAND)
def cmd_accepted(ls: IskraServer, *args: Any) -> None:
    if args and isinstance(args[0], str):
        ls.completions.accepted(args[0])


def _arg(args: tuple[Any, ...], key: str) -> Any:
    """First argument's ``key`` (editors send ``[{...}]``; namedtuples from pygls)."""
    if not args:
        return None
    first = plain(args[0])
    if isinstance(first, dict):
        return first.get(key)
    return first if key in ("token", "enabled") else None


def run_server(tcp: tuple[str, int] | None = None) -> None:
    """Serve over stdio (or a TCP socket)."""
    if tcp is not None:
        from iskra_ls.transport import serve_tcp

        serve_tcp(server, *tcp)  # loopback only, one client
    else:
        server.start_io()
