"""Bounded work (issue 10 items 1, 3, 4): big documents and big edits stay cheap.

Figures:

* ``one_line_1mb_index_ms``: building the line index of a 1 MB document that is
  one line (a minified file) and converting a position at its end, in process
  (target < 50 ms; ``split_lines`` alone was quadratic: 21 s for 50 000 chars);
* ``one_line_1mb_code_actions_ms``: median round trip of ``textDocument/codeAction``
  on that document through the real server over stdio, the first request
  (which builds the index) reported apart as ``..._first_ms`` (target < 50 ms);
* ``keystroke_20mb_*``: what one typed character costs the server on a 20 MB
  document -- pygls's didChange path (``IskraWorkspace.update_text_document``)
  in process: median, p90, max over 300 keystrokes in one place, and the first
  one (it cuts the text into pieces once); ``keystroke_20mb_read_ms`` is the
  first full read of the text after typing (done only by a request that needs
  the whole text) (target < 5 ms per keystroke; ~200 ms before);
* ``stall_fidelity_corpus_ms`` and ``stall_write_4000_lines_ms``: the longest the
  event loop went without running (a 1 ms ticker in the same process) while the
  whole edit-fidelity corpus, and a ``write_file`` of 4000 lines of repeated
  code over a 4000-line file plus the workspace edit built from it, ran the way
  the server runs them (in a worker thread); ``write_4000_lines_ms`` is that
  write's wall time (89 s of diffing before for three distinct repeated lines);
* the completion request path on that 20 MB document and on hostile inputs
  (:mod:`bench.request_work`).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.workspace import Workspace

from bench import request_work
from bench.loop_stall import stall_during
from bench.lsp_driver import Driver, percentile, running_stub
from iskra_ls.protocol import IskraWorkspace
from iskra_ls.textdoc import LineIndex


def _index_build_ms(text: str) -> float:
    started = time.perf_counter()
    index = LineIndex(text, "utf-16")
    index.position_at(len(text))
    index.offset_at(types.Position(line=0, character=len(text) - 1))
    return (time.perf_counter() - started) * 1000


async def _code_actions(root: Path, text: str, runs: int) -> tuple[float, float]:
    async with running_stub() as stub, Driver(root, stub) as driver:
        uri = driver.open("bundle.min.js", text, language="javascript")
        times = []
        for n in range(runs + 1):
            at = len(text) // 2 + n
            rng = types.Range(start=types.Position(line=0, character=at - 200),
                              end=types.Position(line=0, character=at))
            started = time.perf_counter()
            await driver.client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
                context=types.CodeActionContext(diagnostics=[])))
            times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:])


def _keystrokes(size: int, count: int) -> dict[str, float]:
    line = "    value = compute(item, factor)  # keep the figure honest\n"
    text = line * (size // len(line))
    workspace = Workspace(None, sync_kind=types.TextDocumentSyncKind.Incremental,
                          position_encoding=types.PositionEncodingKind.Utf16)
    workspace.__class__ = IskraWorkspace  # as the server's protocol does
    uri = "file:///bench/big.py"
    workspace.put_text_document(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text))
    document = workspace.get_text_document(uri)
    document.offset_at_position(types.Position(line=0, character=0))  # the index, as on open
    row = (len(text) // len(line)) // 2
    costs = []
    for n in range(count):
        position = types.Position(line=row, character=4 + n)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=position, end=position), text="x")
        started = time.perf_counter()
        workspace.update_text_document(
            types.VersionedTextDocumentIdentifier(uri=uri, version=n + 2), change)
        costs.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    source = document.source
    read_ms = (time.perf_counter() - started) * 1000
    assert source[row * len(line) + 4 : row * len(line) + 4 + count] == "x" * count
    rest = costs[1:]
    return {
        "keystroke_20mb_doc_chars": len(text),
        "keystroke_20mb_first_ms": round(costs[0], 2),
        "keystroke_20mb_median_ms": round(statistics.median(rest), 3),
        "keystroke_20mb_p90_ms": round(percentile(rest, 0.9), 3),
        "keystroke_20mb_max_ms": round(max(rest), 2),
        "keystroke_20mb_read_ms": round(read_ms, 1),
    }


async def _write_4000_lines(root: Path) -> tuple[float, float]:
    from iskra_ls.actions.changeset import ChangeSet
    from iskra_ls.actions.paths import WorkspacePolicy
    from iskra_ls.actions.tools import parse_tool_call
    from iskra_ls.actions.worker import BUILD_TIME_LIMIT_S, TOOL_TIME_LIMIT_S, run_in_worker

    old = "".join(f"    x = {n % 3}\n" for n in range(4000))
    new = "".join(f"    x = {n % 5}\n" for n in range(4000))
    (root / "big.py").write_text(old, encoding="utf-8")
    changes = ChangeSet(WorkspacePolicy([root]), {})
    call = parse_tool_call("write_file", json.dumps({"uri": "big.py", "content": new}))

    async def write_and_build() -> Any:
        await run_in_worker(changes, lambda: changes.run(call), timeout=TOOL_TIME_LIMIT_S,
                            what="write_file")
        return await run_in_worker(
            changes, lambda: changes.to_workspace_edit(encoding="utf-16", document_changes=True),
            timeout=BUILD_TIME_LIMIT_S, what="edit")

    started = time.perf_counter()
    _edit, stall = await stall_during(write_and_build())
    return (time.perf_counter() - started) * 1000, stall


async def run(actions_runs: int = 20, keystrokes: int = 300, doc_mb: int = 20,
              cases: int | None = None) -> dict[str, Any]:
    """The figures above; ``cases`` limits the corpus (None: all of it)."""
    from bench.edit_corpus import CASES
    from bench.edit_fidelity import run_corpus

    text = "a" * 1_000_000
    build = min(_index_build_ms(text) for _ in range(3))
    with tempfile.TemporaryDirectory() as folder:
        first, median = await _code_actions(Path(folder), text, actions_runs)
    figures: dict[str, Any] = {
        "one_line_1mb_index_ms": round(build, 1),
        "one_line_1mb_code_actions_first_ms": round(first, 1),
        "one_line_1mb_code_actions_ms": round(median, 1),
    }
    figures.update(await asyncio.to_thread(_keystrokes, doc_mb * 1_000_000, keystrokes))
    chosen = CASES if cases is None else CASES[:cases]
    corpus, stall = await stall_during(asyncio.to_thread(run_corpus, chosen))
    figures["stall_fidelity_corpus_ms"] = round(stall, 1)
    figures["fidelity_corrupting_edits"] = corpus["corrupting_edits"]
    with tempfile.TemporaryDirectory() as folder:
        write_ms, stall = await _write_4000_lines(Path(folder))
    figures["write_4000_lines_ms"] = round(write_ms, 1)
    figures["stall_write_4000_lines_ms"] = round(stall, 1)
    figures.update(await request_work.run(doc_mb=doc_mb, keystrokes=keystrokes))  # issue 18.5
    return figures


if __name__ == "__main__":
    print(asyncio.run(run()))
