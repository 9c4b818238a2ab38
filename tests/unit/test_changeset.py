"""ChangeSet: the model's view of the workspace, and the one WorkspaceEdit it becomes."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import converters, types
from pygls.uris import from_fs_path

from iskra_ls.actions.changeset import ChangeSet, OpenDocument
from iskra_ls.actions.matching import conform_text
from iskra_ls.actions.paths import WorkspacePolicy
from iskra_ls.actions.tools import ToolError, parse_tool_call
from iskra_ls.edits import (
    UnsupportedEdit,
    apply_text_edits,
    changed_spans,
    minimal_text_edits,
    order_renames,
)


def _load_applier() -> Any:
    path = Path(__file__).resolve().parents[2] / "bench" / "edit_fidelity.py"
    if "edit_fidelity" not in sys.modules:
        spec = importlib.util.spec_from_file_location("edit_fidelity", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["edit_fidelity"] = module
        spec.loader.exec_module(module)
    return sys.modules["edit_fidelity"].apply_workspace_edit


apply_workspace_edit = _load_applier()


class World:
    """A workspace on disk, open documents, and a change set over them."""

    def __init__(self, root: Path, files: dict[str, str | bytes], open_docs: dict[str, str]):
        self.root = root
        for name, content in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        self.documents = {
            self.uri(name): OpenDocument(uri=self.uri(name), text=text, version=n + 3)
            for n, (name, text) in enumerate(open_docs.items())
        }
        self.policy = WorkspacePolicy([root], max_read_bytes=2_000)
        self.changes = ChangeSet(self.policy, self.documents, max_answer_chars=300)

    def uri(self, name: str) -> str:
        return str(from_fs_path(str(self.root / name)))

    def run(self, tool: str, **arguments: Any) -> str:
        return self.changes.run(parse_tool_call(tool, json.dumps(arguments)))

    def client_files(self) -> dict[str, str]:
        """What the editor sees: open documents' text, else disk text files."""
        out: dict[str, str] = {}
        for path in self.root.rglob("*"):
            if path.is_file():
                try:
                    out[self.uri(str(path.relative_to(self.root)))] = path.read_bytes().decode()
                except UnicodeDecodeError:
                    out[self.uri(str(path.relative_to(self.root)))] = "<binary>"
        out.update({uri: doc.text for uri, doc in self.documents.items()})
        return out

    def applied(self, encoding: str = "utf-16") -> dict[str, str]:
        edit = self.changes.to_workspace_edit(encoding=encoding, document_changes=True)
        wire = json.loads(json.dumps(converters.get_converter().unstructure(edit)))
        edit = converters.get_converter().structure(wire, types.WorkspaceEdit)
        return apply_workspace_edit(self.client_files(), edit, encoding)


@pytest.fixture()
def world(tmp_path: Path) -> World:
    return World(
        tmp_path,
        {
            "a.py": "x = 1\ny = 2\n",
            "open.py": "on disk\n",
            "src/app.py": "def main():\n    pass\n",
            "src/util.py": "def util():\n    return 1\n",
            ".env": "TOKEN=1\n",
            "server.key": "k\n",
            "big.txt": "line\n" * 500,
            "long.txt": "".join(f"line {n}\n" for n in range(1, 100)),
            "bin.dat": b"\x00\x01\x02",
            "latin1.txt": "caf\xe9\n".encode("latin-1"),
            "empty.txt": "",
        },
        {"open.py": "unsaved text\n"},
    )


# -- reads -----------------------------------------------------------------------


def test_read_prefers_unsaved_buffer(world: World) -> None:
    assert world.run("read_file", uri="open.py") == "unsaved text\n"
    assert world.run("read_file", uri="a.py") == "x = 1\ny = 2\n"


def test_read_line_range_and_truncation(world: World) -> None:
    assert world.run("read_file", uri="long.txt", start_line=3, end_line=4) == (
        "line 3\nline 4\n[lines 3-4 of 99]"
    )
    truncated = world.run("read_file", uri="long.txt")
    assert truncated.startswith("line 1\n")
    assert "[truncated: lines 1-" in truncated and "read on with start_line=" in truncated
    assert world.run("read_file", uri="long.txt", start_line=99) == "line 99\n[lines 99-99 of 99]"
    with pytest.raises(ToolError, match="past the end"):
        world.run("read_file", uri="long.txt", start_line=150)
    assert world.run("read_file", uri="empty.txt") == "[empty file]"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("missing.py", "does not exist"),
        ("src", "is a folder"),
        ("bin.dat", "binary"),
        ("latin1.txt", "not UTF-8"),
        ("big.txt", "too large"),
        (".env", "Refused: .*secret"),
        ("server.key", "Refused: .*secret"),
        ("../outside.py", "Refused: .*outside"),
    ],
)
def test_read_errors(world: World, uri: str, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        world.run("read_file", uri=uri)


def test_reads_see_pending_edits(world: World) -> None:
    world.run("replace_in_file", uri="a.py", search="y = 2", replace="y = 3")
    assert world.run("read_file", uri="a.py") == "x = 1\ny = 3\n"
    world.run("write_file", uri="open.py", content="rewritten\n")
    assert world.run("read_file", uri="open.py") == "rewritten\n"
    world.run("create_file_or_folder", uri="/new.py", content="n = 0\n")
    assert world.run("read_file", uri="new.py") == "n = 0\n"
    world.run("delete_file", uri="src/util.py")
    with pytest.raises(ToolError, match="does not exist"):
        world.run("read_file", uri="src/util.py")
    world.run("rename_file", uri="src/app.py", new_uri="src/main.py")
    assert world.run("read_file", uri="src/main.py") == "def main():\n    pass\n"
    with pytest.raises(ToolError, match="does not exist"):
        world.run("read_file", uri="src/app.py")
    assert not (world.root / "new.py").exists()  # nothing touched the disk
    assert (world.root / "src" / "util.py").exists()


# -- listing -----------------------------------------------------------------------


def test_list_hides_secrets_and_shows_pending(world: World) -> None:
    os.symlink(world.root.parent, world.root / "up_link")
    os.symlink(world.root / ".env", world.root / "env_link")
    os.symlink(world.root / "src", world.root / "src_link")
    root = world.run("list_directory", uri="/").splitlines()
    assert ".env" not in root and "server.key" not in root
    assert "up_link/" not in root and "env_link" not in root and "src_link/" in root
    assert "src/" in root and "a.py" in root
    world.run("create_file_or_folder", uri="pkg/")
    world.run("create_file_or_folder", uri="tests/test_a.py", content="")
    world.run("delete_file", uri="a.py")
    world.run("rename_file", uri="src/util.py", new_uri="src/helpers.py")
    root = world.run("list_directory", uri=".").splitlines()
    assert "pkg/" in root and "tests/" in root and "a.py" not in root
    assert world.run("list_directory", uri="src").splitlines() == ["app.py", "helpers.py"]
    assert world.run("list_directory", uri="pkg/") == "[empty folder]"
    with pytest.raises(ToolError, match="is a file"):
        world.run("list_directory", uri="src/app.py")
    with pytest.raises(ToolError, match="does not exist"):
        world.run("list_directory", uri="nope")


# -- edits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("create_file_or_folder", {"uri": "a.py", "content": "x"}, "already exists as a file"),
        ("create_file_or_folder", {"uri": "src/"}, "already exists as a folder"),
        ("create_file_or_folder", {"uri": "a.py/b.py"}, "a.py is a file"),
        ("create_file_or_folder", {"uri": "/"}, "root already exists"),
        ("create_file_or_folder", {"uri": ".env.local", "content": "x"}, "secret"),
        ("write_file", {"uri": "src", "content": "x"}, "is a folder"),
        ("write_file", {"uri": "bin.dat", "content": "x"}, "binary"),
        ("replace_in_file", {"uri": "a.py", "search": "z = 9", "replace": "z"}, "not found"),
        ("replace_in_file", {"uri": "missing.py", "search": "a", "replace": "b"}, "not exist"),
        ("delete_file", {"uri": "src"}, "is a folder"),
        ("delete_file", {"uri": "missing.py"}, "does not exist"),
        ("rename_file", {"uri": "a.py", "new_uri": "src/app.py"}, "already exists"),
        ("rename_file", {"uri": "src", "new_uri": "lib"}, "only files"),
        ("rename_file", {"uri": "a.py", "new_uri": "a.py"}, "same file"),
        ("rename_file", {"uri": "a.py", "new_uri": ".git/a.py"}, "secret"),
        ("rename_file", {"uri": "missing.py", "new_uri": "b.py"}, "does not exist"),
    ],
)
def test_edit_errors(world: World, tool: str, arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ToolError, match=message):
        world.run(tool, **arguments)
    assert world.changes.empty


def test_delete_then_create_is_an_edit(world: World) -> None:
    world.run("delete_file", uri="a.py")
    world.run("create_file_or_folder", uri="a.py", content="x = 1\ny = 5\n")
    assert world.changes.summary() == ["edit a.py"]
    assert world.applied()[world.uri("a.py")] == "x = 1\ny = 5\n"


def test_renames_apply_in_order(world: World) -> None:
    # a swap needs a temporary name; a rename onto a deleted file needs the delete first
    world.run("rename_file", uri="src/app.py", new_uri="tmp.py")
    world.run("rename_file", uri="src/util.py", new_uri="src/app.py")
    world.run("rename_file", uri="tmp.py", new_uri="src/util.py")
    world.run("delete_file", uri="empty.txt")
    world.run("rename_file", uri="a.py", new_uri="empty.txt")
    files = world.applied()
    assert files[world.uri("src/app.py")] == "def util():\n    return 1\n"
    assert files[world.uri("src/util.py")] == "def main():\n    pass\n"
    assert files[world.uri("empty.txt")] == "x = 1\ny = 2\n"
    assert world.uri("a.py") not in files


def test_edit_rename_edit_is_one_edit_then_rename(world: World) -> None:
    world.run("replace_in_file", uri="open.py", search="unsaved", replace="saved")
    world.run("rename_file", uri="open.py", new_uri="lib/opened.py")
    world.run("replace_in_file", uri="lib/opened.py", search="text", replace="words")
    edit = world.changes.to_workspace_edit(encoding="utf-16", document_changes=True)
    assert edit.document_changes is not None
    first, second = edit.document_changes
    assert isinstance(first, types.TextDocumentEdit)
    assert first.text_document == types.OptionalVersionedTextDocumentIdentifier(
        uri=world.uri("open.py"), version=3
    )
    assert isinstance(second, types.RenameFile)
    assert second.new_uri == world.uri("lib/opened.py")
    assert world.applied()[world.uri("lib/opened.py")] == "saved words\n"
    assert world.changes.summary() == ["rename open.py → lib/opened.py (edited)"]


def test_create_file_and_folder(world: World) -> None:
    assert world.run("create_file_or_folder", uri="/test.py", content="print(1)\n") == (
        "Created test.py (1 line)."
    )
    world.run("create_file_or_folder", uri="empty/")
    world.run("create_file_or_folder", uri="pkg/")
    world.run("create_file_or_folder", uri="pkg/__init__.py")
    edit = world.changes.to_workspace_edit(encoding="utf-16", document_changes=True)
    assert edit.document_changes is not None
    kinds = [type(c).__name__ for c in edit.document_changes]
    assert kinds == ["CreateFile", "TextDocumentEdit", "CreateFile"]
    content = edit.document_changes[1]
    assert isinstance(content, types.TextDocumentEdit)
    assert content.text_document.version is None
    assert world.changes.summary() == [
        "create test.py",
        "create pkg/__init__.py",
        "create folder empty/ (empty: LSP cannot create empty folders, not created)",
        "create folder pkg/",
    ]
    files = world.applied()
    assert files[world.uri("test.py")] == "print(1)\n"
    assert files[world.uri("pkg/__init__.py")] == ""


def test_write_file_new_file_creates(world: World) -> None:
    world.run("write_file", uri="docs/readme.md", content="# Hi\n")
    assert world.changes.summary() == ["create docs/readme.md"]


# -- the WorkspaceEdit ----------------------------------------------------------------

UNICODE = "Привет 👋 мир\nстрока 🚀 два: old\n"


@pytest.mark.parametrize(
    ("encoding", "start", "end"),
    [
        # "строка 🚀 два: " is 6+1+1+1+3+2 = 14 code points; 🚀 is 4 utf-8 bytes,
        # 2 utf-16 units, 1 utf-32 unit; each Cyrillic letter is 2 utf-8 bytes.
        ("utf-8", 6 * 2 + 1 + 4 + 1 + 3 * 2 + 2, 6 * 2 + 1 + 4 + 1 + 3 * 2 + 2 + 3),
        ("utf-16", 15, 18),
        ("utf-32", 14, 17),
    ],
)
def test_positions_in_each_encoding(tmp_path: Path, encoding: str, start: int, end: int) -> None:
    w = World(tmp_path, {"u.py": UNICODE}, {})
    w.run("replace_in_file", uri="u.py", search="два: old", replace="два: new")
    edit = w.changes.to_workspace_edit(encoding=encoding, document_changes=True)
    assert edit.document_changes is not None
    (document,) = edit.document_changes
    assert isinstance(document, types.TextDocumentEdit)
    (text_edit,) = document.edits
    assert isinstance(text_edit, types.TextEdit)
    assert text_edit.range == types.Range(
        start=types.Position(line=1, character=start), end=types.Position(line=1, character=end)
    )
    assert text_edit.new_text == "new"
    assert w.applied(encoding)[w.uri("u.py")] == UNICODE.replace("old", "new")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_crlf_preserved(tmp_path: Path, encoding: str) -> None:
    original = "a = 'é'\r\nb = '😀'\r\nc = 3\r\n"
    w = World(tmp_path, {"c.py": original}, {})
    w.run("replace_in_file", uri="c.py", search="b = '😀'\nc = 3", replace="b = 2\nc = 4\nd = 5")
    assert w.applied(encoding)[w.uri("c.py")] == "a = 'é'\r\nb = 2\r\nc = 4\r\nd = 5\r\n"


def test_write_file_is_minimal_and_versioned(world: World) -> None:
    lines = [f"line {n}\n" for n in range(30)]
    w = World(world.root / "sub", {}, {"m.py": "".join(lines)})
    changed = list(lines)
    changed[10] = "line ten\n"
    changed[20:21] = []
    w.run("write_file", uri="m.py", content="".join(changed))
    edit = w.changes.to_workspace_edit(encoding="utf-16", document_changes=True)
    assert edit.document_changes is not None
    (document,) = edit.document_changes
    assert isinstance(document, types.TextDocumentEdit)
    assert document.text_document.version == 3
    edits = [
        (e.range.start.line, e.range.end.line, e.new_text)
        for e in document.edits
        if isinstance(e, types.TextEdit)
    ]
    assert edits == [(10, 10, "ten"), (20, 21, "")]
    assert w.applied()[w.uri("m.py")] == "".join(changed)


def test_write_file_keeps_crlf_and_final_newline(tmp_path: Path) -> None:
    w = World(tmp_path, {"w.py": "one\r\ntwo\r\n"}, {})
    w.run("write_file", uri="w.py", content="one\ntwo\nthree")
    assert w.run("read_file", uri="w.py") == "one\r\ntwo\r\nthree\r\n"
    assert w.applied()[w.uri("w.py")] == "one\r\ntwo\r\nthree\r\n"


@pytest.mark.parametrize(
    ("content", "old", "expected"),
    [
        ("a\nb", "x\r\ny\r\n", "a\r\nb\r\n"),
        ("a\nb\n", "x\ny", "a\nb"),
        ("a\r\nb\r\n", "x\ny\n", "a\nb\n"),
        ("", "x\n", ""),
        ("new", "", "new"),
        ("a\nb", "single", "a\nb"),
    ],
)
def test_conform_text(content: str, old: str, expected: str) -> None:
    assert conform_text(content, old) == expected


def test_annotations(world: World) -> None:
    world.run("replace_in_file", uri="a.py", search="x = 1", replace="x = 10")
    world.run("create_file_or_folder", uri="b.py", content="b\n")
    world.run("delete_file", uri="src/util.py")
    edit = world.changes.to_workspace_edit(
        encoding="utf-16", document_changes=True, annotation="Iskra: refactor"
    )
    assert edit.change_annotations == {
        "iskra": types.ChangeAnnotation(label="Iskra: refactor", needs_confirmation=False)
    }
    assert edit.document_changes is not None
    for change in edit.document_changes:
        if isinstance(change, types.TextDocumentEdit):
            assert all(isinstance(e, types.AnnotatedTextEdit) for e in change.edits)
            assert all(getattr(e, "annotation_id", None) == "iskra" for e in change.edits)
        else:
            assert change.annotation_id == "iskra"
    kinds = [type(c).__name__ for c in edit.document_changes]
    assert kinds == ["TextDocumentEdit", "DeleteFile", "CreateFile", "TextDocumentEdit"]


def test_changes_fallback(world: World) -> None:
    world.run("replace_in_file", uri="a.py", search="y = 2", replace="y = 20")
    world.run("write_file", uri="open.py", content="saved text\n")
    edit = world.changes.to_workspace_edit(
        encoding="utf-16", document_changes=False, annotation="ignored"
    )
    assert edit.document_changes is None and edit.change_annotations is None
    assert edit.changes == {
        world.uri("a.py"): [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(line=1, character=5),
                    end=types.Position(line=1, character=5),
                ),
                new_text="0",
            )
        ],
        world.uri("open.py"): [
            types.TextEdit(
                range=types.Range(
                    start=types.Position(line=0, character=0),
                    end=types.Position(line=0, character=2),
                ),
                new_text="",
            )
        ],
    }


@pytest.mark.parametrize(
    ("tool", "arguments", "document_changes", "operations", "message"),
    [
        ("create_file_or_folder", {"uri": "n.py", "content": "x"}, False, (), "documentChanges"),
        ("delete_file", {"uri": "a.py"}, False, (), "documentChanges"),
        ("rename_file", {"uri": "a.py", "new_uri": "b.py"}, True, ("create",), "rename"),
        ("delete_file", {"uri": "a.py"}, True, ("create", "rename"), "delete"),
        ("create_file_or_folder", {"uri": "n.py"}, True, (), "create"),
    ],
)
def test_unsupported_edits(
    world: World,
    tool: str,
    arguments: dict[str, str],
    document_changes: bool,
    operations: tuple[str, ...],
    message: str,
) -> None:
    world.run(tool, **arguments)
    with pytest.raises(UnsupportedEdit, match=message):
        world.changes.to_workspace_edit(
            encoding="utf-16", document_changes=document_changes, resource_operations=operations
        )


def test_empty_and_no_op(world: World) -> None:
    assert world.changes.empty and world.changes.summary() == []
    world.run("write_file", uri="a.py", content="x = 1\ny = 2\n")
    world.run("replace_in_file", uri="a.py", search="x = 1", replace="x = 1")
    world.run("replace_in_file", uri="a.py", search="x = 1", replace="x = 2")
    world.run("replace_in_file", uri="a.py", search="x = 2", replace="x = 1")
    assert world.changes.empty
    edit = world.changes.to_workspace_edit(encoding="utf-16", document_changes=True)
    assert edit.document_changes == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a\r\nb\r\n", "a\r\nc\r\n"),
        ("a\r\n", "a\r\nb\r\n"),
        ("x\r\ny", "x\r\n\r\ny"),
        ("", "abc"),
        ("abc", ""),
        ("same\n", "same\n"),
        ("p\nq\nr\n", "p\nr\n"),
    ],
)
def test_changed_spans_never_split_crlf(old: str, new: str) -> None:
    spans = changed_spans(old, new)
    out = old
    for start, end, text in reversed(spans):
        assert not (0 < start < len(old) and old[start - 1] == "\r" and old[start] == "\n")
        assert not (0 < end < len(old) and old[end - 1] == "\r" and old[end] == "\n")
        out = out[:start] + text + out[end:]
    assert out == new


@pytest.mark.parametrize("existing", [set(), {"a.iskra-rename", "b.iskra-rename"},
                                      {f"a.iskra-rename{s}" for s in ["", "-2", "-3"]}])
def test_order_renames_breaks_cycles_through_a_free_name(existing: set[str]) -> None:
    state = {"a": "A", "b": "B", "c": "C", **{name: "kept" for name in existing}}
    ordered = order_renames([("a", "b"), ("b", "a"), ("c", "d")],
                            is_free=lambda name: name not in state)
    for old, new in ordered:
        assert new not in state, f"{new} would be overwritten"
        state[new] = state.pop(old)
    assert state == {"a": "B", "b": "A", "d": "C", **{name: "kept" for name in existing}}


def test_order_renames_without_a_free_name_refuses() -> None:
    with pytest.raises(UnsupportedEdit):
        order_renames([("a", "b"), ("b", "a")], is_free=lambda _name: False)


_PIECES = st.sampled_from(["a", "b", " ", "\t", "ж", "😀", "你", "\n", "\r\n", "\r", "x = 1\n"])


@settings(max_examples=150, deadline=None)
@given(
    old=st.lists(_PIECES, max_size=30).map("".join),
    new=st.lists(_PIECES, max_size=30).map("".join),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]),
)
def test_minimal_edits_round_trip(old: str, new: str, encoding: str) -> None:
    edits = minimal_text_edits(old, new, encoding)
    assert apply_text_edits(old, edits, encoding) == new
