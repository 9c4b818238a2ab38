"""Edit-fidelity benchmark: do the model's edits land exactly, or get refused?

Runs every case of :mod:`edit_corpus` through the real pipeline --
``parse_tool_call`` -> ``ChangeSet.run`` -> ``ChangeSet.to_workspace_edit`` ->
JSON on the wire -> a small client-side applier that applies the edits by
position in the client's encoding -- once per position encoding (utf-8,
utf-16, utf-32), and compares the result with the expected text.

A *corrupting* edit is one that was applied but gives the wrong text, or was
applied when it should have been refused; the target is zero. Usage::

    python bench/edit_fidelity.py [--json PATH]

``run_corpus()`` returns the same figures for the benchmark suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import converters, types
from pygls.uris import from_fs_path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from edit_corpus import CASES, Case

from iskra_ls.actions.changeset import ChangeSet, OpenDocument
from iskra_ls.actions.paths import WorkspacePolicy
from iskra_ls.actions.tools import ToolError, parse_tool_call
from iskra_ls.edits import apply_text_edits

ENCODINGS = ("utf-8", "utf-16", "utf-32")
_CONVERTER = converters.get_converter()


def apply_workspace_edit(
    files: Mapping[str, str], edit: types.WorkspaceEdit, encoding: str
) -> dict[str, str]:
    """What a client's files (uri -> text) look like after applying ``edit``.

    Follows the LSP rules: ``documentChanges`` in order (creating a file that
    exists, renaming onto one or deleting a missing one fails), else
    ``changes``. Raises ``ValueError`` on any violation.
    """
    out = dict(files)
    if edit.document_changes is not None:
        for change in edit.document_changes:
            if isinstance(change, types.TextDocumentEdit):
                uri = change.text_document.uri
                if uri not in out:
                    raise ValueError(f"edit of a missing document {uri}")
                edits = list(change.edits)
                if any(isinstance(e, types.SnippetTextEdit) for e in edits):
                    raise ValueError("snippet edits are not expected")
                out[uri] = apply_text_edits(out[uri], edits, encoding)  # type: ignore[arg-type]
            elif isinstance(change, types.CreateFile):
                if change.uri in out:
                    raise ValueError(f"create of an existing file {change.uri}")
                out[change.uri] = ""
            elif isinstance(change, types.RenameFile):
                if change.old_uri not in out or change.new_uri in out:
                    raise ValueError(f"bad rename {change.old_uri} -> {change.new_uri}")
                out[change.new_uri] = out.pop(change.old_uri)
            elif isinstance(change, types.DeleteFile):
                if change.uri not in out:
                    raise ValueError(f"delete of a missing file {change.uri}")
                del out[change.uri]
        return out
    for uri, plain in (edit.changes or {}).items():
        out[uri] = apply_text_edits(out[uri], list(plain), encoding)
    return out


def run_case(case: Case, root: Path, encoding: str) -> tuple[str, str | None]:
    """``("refused", message)`` or ``("applied", resulting text)`` for one case."""
    target = root / case.path
    target.parent.mkdir(parents=True, exist_ok=True)
    uri = str(from_fs_path(str(target)))
    documents: dict[str, OpenDocument] = {}
    if case.disk is not None:
        target.write_bytes(case.disk.encode("utf-8"))
        documents[uri] = OpenDocument(uri=uri, text=case.original, version=7)
    else:
        target.write_bytes(case.original.encode("utf-8"))
    changes = ChangeSet(WorkspacePolicy([root]), documents)
    try:
        for name, arguments in case.calls:
            changes.run(parse_tool_call(name, json.dumps(arguments, ensure_ascii=False)))
    except ToolError as error:
        return "refused", str(error)
    edit = changes.to_workspace_edit(encoding=encoding, document_changes=True)
    wire = json.loads(json.dumps(_CONVERTER.unstructure(edit, types.WorkspaceEdit)))
    edit = _CONVERTER.structure(wire, types.WorkspaceEdit)
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit):
            expected_version = 7 if case.disk is not None else None
            if change.text_document.version != expected_version:
                raise ValueError("wrong document version")
    files = apply_workspace_edit({uri: case.original}, edit, encoding)
    return "applied", files.get(uri)


def run_corpus(cases: list[Case] | None = None) -> dict[str, Any]:
    """Run every case under every encoding; return the figures (and the failures)."""
    cases = CASES if cases is None else cases
    per_encoding: dict[str, dict[str, int]] = {}
    failures: list[dict[str, str]] = []
    for encoding in ENCODINGS:
        counts = {"exact": 0, "refused_ok": 0, "missed": 0, "corrupting": 0}
        for case in cases:
            with tempfile.TemporaryDirectory() as folder:
                try:
                    outcome, text = run_case(case, Path(folder), encoding)
                except ValueError as error:  # the client would reject or mangle it
                    outcome, text = "broken", str(error)
            if case.expected is None:
                if outcome == "refused":
                    counts["refused_ok"] += 1
                    continue
                counts["corrupting"] += 1
            elif outcome == "applied" and text == case.expected:
                counts["exact"] += 1
                continue
            elif outcome == "refused":
                counts["missed"] += 1
            else:
                counts["corrupting"] += 1
            detail = (text or "")[:200] if outcome != "applied" else ""
            failures.append(
                {"case": case.id, "encoding": encoding, "outcome": outcome, "detail": detail}
            )
        per_encoding[encoding] = counts
    to_apply = sum(1 for c in cases if c.expected is not None)
    to_refuse = len(cases) - to_apply
    worst = min(per_encoding.values(), key=lambda c: c["exact"] + c["refused_ok"])
    return {
        "cases": len(cases),
        "expected_applied": to_apply,
        "expected_refused": to_refuse,
        "applied_exactly_share": worst["exact"] / to_apply if to_apply else 1.0,
        "refused_correctly_share": worst["refused_ok"] / to_refuse if to_refuse else 1.0,
        "corrupting_edits": sum(c["corrupting"] for c in per_encoding.values()),
        "missed_edits": sum(c["missed"] for c in per_encoding.values()),
        "per_encoding": per_encoding,
        "failures": failures,
    }


def _table(result: dict[str, Any]) -> str:
    to_apply, to_refuse = result["expected_applied"], result["expected_refused"]
    lines = [
        f"edit fidelity: {result['cases']} cases ({to_apply} to apply, {to_refuse} to refuse)",
        f"{'encoding':<9} {'applied exactly':>16} {'refused correctly':>18} "
        f"{'missed':>7} {'corrupting':>11}",
    ]
    for encoding, c in result["per_encoding"].items():
        lines.append(
            f"{encoding:<9} {c['exact']:>9}/{to_apply:<3} {c['exact'] / to_apply:>3.0%} "
            f"{c['refused_ok']:>10}/{to_refuse:<3} {c['refused_ok'] / to_refuse:>3.0%} "
            f"{c['missed']:>7} {c['corrupting']:>11}"
        )
    for failure in result["failures"]:
        lines.append(
            f"  FAIL {failure['case']} [{failure['encoding']}]: {failure['outcome']} "
            f"{failure['detail']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    result = run_corpus()
    print(_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["corrupting_edits"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
