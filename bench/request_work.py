"""What one completion request costs the server on huge and hostile documents (issue 18.5).

In process, with the real handler helpers and the real completion service (no editor, no
network; ``ISKRA_CONFIG_DIR`` points at an empty folder, so no token is read):

* ``keystroke_request_20mb_*``: one keystroke as an editor sends it on a 20 MB document:
  the ``didChange`` (pygls's path) plus the inline request up to its answer, here from
  the cache (the user types through a suggestion): the request's snapshot, the prompt's
  file name, the neighbours' snippets (a second 20 MB document was edited), the cache
  look-up and the scheduler's checks. Median and worst over 300 keystrokes (target
  <= 1 ms per keystroke; before, the request alone joined and sliced the whole text:
  ~55 ms at 19 MB).
* ``fetch_start_20mb_ms``: the context and prompt built when a model request does go
  out, on that document.
* ``stall_hostile_worst_ms``: the worst event-loop stall while hostile inputs are
  prepared as the server does it and an answer is read line by line into them: a 100 K
  run of backticks (the prompt's code fence), a 1 MB line, a 200 K run of spaces, a
  CR-only file, 20 MB of one indented body (target <= 50 ms); ``longest_step_*_ms``
  says how long the longest piece of that work took (in a worker, it does not stall).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from lsprotocol import types
from pygls.workspace import Workspace

from bench.loop_stall import stall_during
from bench.lsp_driver import percentile

LINE = "    value = compute(item, factor)  # keep the figure honest\n"


def _workspace(root: str) -> Any:
    from iskra_ls.protocol import IskraWorkspace

    workspace = Workspace(
        f"file://{root}",
        sync_kind=types.TextDocumentSyncKind.Incremental,
        position_encoding=types.PositionEncodingKind.Utf16,
        workspace_folders=[types.WorkspaceFolder(uri=f"file://{root}", name="ws")],
    )
    workspace.__class__ = IskraWorkspace  # as the server's protocol does
    return workspace


def _open(workspace: Any, uri: str, text: str) -> Any:
    workspace.put_text_document(
        types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
    )
    document = workspace.get_text_document(uri)
    document.index()
    return document


def _type(workspace: Any, uri: str, position: types.Position, text: str, version: int) -> None:
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=position, end=position), text=text
    )
    workspace.update_text_document(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version), change
    )


async def _keystrokes(doc_mb: int, count: int) -> dict[str, float]:
    root = tempfile.mkdtemp(prefix="iskra-bench-")
    saved = {key: os.environ.get(key) for key in ("ISKRA_CONFIG_DIR", "ISKRA_TOKEN")}
    os.environ["ISKRA_CONFIG_DIR"] = os.path.join(root, "config")
    os.environ.pop("ISKRA_TOKEN", None)
    try:
        return await _type_through(root, doc_mb, count)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(root, ignore_errors=True)


async def _type_through(root: str, doc_mb: int, count: int) -> dict[str, float]:
    from iskra_ls.completion.context import build_context, build_prompt
    from iskra_ls.completion.postprocess import Suggestion
    from iskra_ls.server import _completion_request, server

    workspace = _workspace(root)
    server.protocol._workspace = workspace
    size = doc_mb * 1_000_000
    text = "def body():\n" + LINE * (size // len(LINE))
    uri, other = f"file://{root}/big.py", f"file://{root}/other.py"
    _open(workspace, uri, text)
    _open(workspace, other, text)
    service = server.completions
    _type(workspace, other, types.Position(line=10, character=4), "y", 2)
    service.note_edit(other)
    row = text.count("\n") // 2
    typed = "x = total(values, weights)"
    _type(workspace, uri, types.Position(line=row, character=4), "\n    ", 2)
    row += 1
    prepared = _completion_request(server, uri, types.Position(line=row, character=4),
                                   invoked=False)
    assert prepared is not None
    request, _doc = prepared
    service.cache.remember(uri, request.snapshot.prefix, request.snapshot.suffix,
                           Suggestion(typed * 20))
    costs = []
    for n in range(count):
        char = (typed * 20)[n]
        started = time.perf_counter()
        _type(workspace, uri, types.Position(line=row, character=4 + n), char, 3 + n)
        prepared = _completion_request(
            server, uri, types.Position(line=row, character=5 + n), invoked=False
        )
        assert prepared is not None
        answer = await server.completions.complete(prepared[0])
        costs.append((time.perf_counter() - started) * 1000)
        assert answer is not None and answer.cached
    snapshot = prepared[0].snapshot
    started = time.perf_counter()
    ctx = build_context(snapshot.text, snapshot.cursor, language_id="python", path="big.py")
    build_prompt(ctx)
    fetch_ms = (time.perf_counter() - started) * 1000
    return {
        "keystroke_request_20mb_doc_chars": len(text),
        "keystroke_request_20mb_median_ms": round(statistics.median(costs), 3),
        "keystroke_request_20mb_p90_ms": round(percentile(costs, 0.9), 3),
        "keystroke_request_20mb_max_ms": round(max(costs), 2),
        "fetch_start_20mb_ms": round(fetch_ms, 2),
    }


def _hostile_documents() -> dict[str, tuple[str, int]]:
    """Name -> (text, cursor offset): inputs that once made a step slow."""
    backticks = "text = '''\n" + "`" * 100_000 + "\n'''\nx = "
    one_line = "var a = [" + "1, " * 333_000 + "\n"
    spaces = "def f():\n" + " " * 200_000 + "x = 1\n    y = "
    cr_only = "x = 1\r" * 200_000 + "y = "
    body = "def body():\n" + LINE * (20_000_000 // len(LINE)) + "    z = "
    return {
        "backticks_100k": (backticks, len(backticks)),
        "one_line_1mb": (one_line, len(one_line) // 2),
        "spaces_200k": (spaces, len(spaces)),
        "cr_only": (cr_only, len(cr_only)),
        "body_20mb": (body, len(body)),
    }


async def _hostile_stalls() -> dict[str, float]:
    """Per hostile input: the worst event-loop stall (1 ms ticker) while a request is
    prepared and an answer read into it the way the server does it (snapshot and cache
    look-up on the loop, prompt and post-processing in a worker), and the longest
    single step of that work (what it would have stalled on the loop)."""
    from iskra_ls.completion.cache import SuggestionCache
    from iskra_ls.completion.context import build_context, build_prompt
    from iskra_ls.completion.lookahead import AnswerReader
    from iskra_ls.snapshot import cut_window

    answer = "compute(item)\n" + "".join(f"    v{n} = value + {n}  # `x`\n" for n in range(40))
    figures: dict[str, float] = {}
    for name, (text, offset) in _hostile_documents().items():
        longest = 0.0

        def timed(step: Callable[[], Any]) -> Any:
            nonlocal longest
            started = time.perf_counter()
            result = step()
            longest = max(longest, (time.perf_counter() - started) * 1000)
            return result

        async def request(text: str = text, offset: int = offset) -> None:
            window, _start, cursor = timed(
                lambda: cut_window(len(text), offset, lambda a, b: text[a:b]))
            cache = SuggestionCache()
            timed(lambda: cache.lookup("file:///h.py", window[:cursor], window[cursor:]))

            def prepare() -> AnswerReader:
                ctx = build_context(window, cursor, language_id="python", path="h.py")
                build_prompt(ctx)
                return AnswerReader(ctx)

            reader = await asyncio.to_thread(timed, prepare)
            for end in range(1, len(answer) + 1):
                if answer[end - 1] == "\n":
                    await asyncio.to_thread(timed, lambda e=end: reader.feed(answer[:e]))
            await asyncio.to_thread(timed, lambda: reader.finish(answer))

        _, stall = await stall_during(request())
        figures[f"stall_{name}_ms"] = round(stall, 1)
        figures[f"longest_step_{name}_ms"] = round(longest, 1)
    return figures


async def run(doc_mb: int = 20, keystrokes: int = 300) -> dict[str, Any]:
    figures: dict[str, Any] = await _keystrokes(doc_mb, keystrokes)
    hostile = await _hostile_stalls()
    figures.update(hostile)
    figures["stall_hostile_worst_ms"] = max(
        value for key, value in hostile.items() if key.startswith("stall_"))
    return figures


if __name__ == "__main__":
    print(asyncio.run(run()))
