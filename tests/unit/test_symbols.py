"""The workspace's definitions (issue 22): tags queries per language, the bounded index,
the policy that keeps secret and outside files out, the watcher that re-reads one file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from iskra_ls.symbols.index import Limits, SymbolIndex
from iskra_ls.symbols.tags import EXTENSIONS, definition_query, definitions

CASES = {
    "python": ('def parse(data, strict=False):\n    """Read it.\n\n    More."""\n    return 1\n',
               "parse", "def parse(data, strict=False):", "Read it."),
    "javascript": ("/** Adds two. */\nfunction add(a, b) {\n  return a + b;\n}\n",
                   "add", "function add(a, b)", "Adds two."),
    "typescript": ("export function add(a: number): number { return a }\n",
                   "add", "function add(a: number): number", ""),
    "tsx": ("export const View = (p: P) => { return null }\n", "View",
            "export const View = (p: P) => { return null }", ""),
    "go": ("package p\n\n// Sum adds.\nfunc Sum(a, b int) int { return a + b }\n",
           "Sum", "func Sum(a, b int) int", "Sum adds."),
    "rust": ("/// Doubles.\npub fn double(x: u8) -> u8 { x * 2 }\n", "double",
             "pub fn double(x: u8) -> u8", "Doubles."),
    "java": ("class A {\n  int twice(int x) { return 2 * x; }\n}\n", "twice",
             "int twice(int x)", ""),
    "csharp": ("class C {\n  public int Twice(int x) { return 2 * x; }\n}\n", "Twice",
               "public int Twice(int x)", ""),
    "kotlin": ("fun twice(x: Int): Int = 2 * x\n", "twice", "fun twice(x: Int): Int = 2 * x", ""),
    "ruby": ("# Twice.\ndef twice(x)\n  2 * x\nend\n", "twice", "def twice(x)", "Twice."),
    "php": ("<?php\nfunction twice($x) { return 2 * $x; }\n", "twice", "function twice($x)", ""),
    "c": ("int twice(int x) { return 2 * x; }\n", "twice", "int twice(int x)", ""),
    "cpp": ("int twice(int x) { return 2 * x; }\n", "twice", "int twice(int x)", ""),
    "lua": ("function twice(x) return 2 * x end\n", "twice", "function twice(x)", ""),
    "scala": ("def twice(x: Int): Int = 2 * x\n", "twice", "def twice(x: Int): Int", ""),
    "shellscript": ("twice() {\n  echo $(( $1 * 2 ))\n}\n", "twice", "twice()", ""),
    "swift": ("/// Twice.\nfunc twice(_ x: Int) -> Int { return 2 * x }\n", "twice",
              "func twice(_ x: Int) -> Int", "Twice."),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_each_language_with_a_grammar_yields_its_definitions(language: str) -> None:
    text, name, signature, doc = CASES[language]
    found = {d.name: d for d in definitions(text, language, "/w/f")}
    assert name in found, found
    assert found[name].signature.startswith(signature), found[name].signature
    assert found[name].doc == doc


def test_every_extension_the_index_reads_has_a_definitions_query() -> None:
    assert {lang for lang in EXTENSIONS.values() if definition_query(lang) is None} == set()


IMPORTS = {
    "python": ("from pkg.io import (\n    read_all,\n)\nimport os.path\n", {"read_all", "path"}),
    "javascript": ("import { readAll } from './io.js';\nconst { writeAll } = require('./io');\n",
                   {"readAll", "writeAll"}),
    "typescript": ("import type { ReadAll } from './io';\n", {"ReadAll"}),
    "tsx": ("import { readAll } from './io';\n", {"readAll"}),
    "java": ("import pkg.io.ReadAll;\nclass A {}\n", {"ReadAll"}),
    "c": ('#include "read_all.h"\n', {"read_all"}),
    "cpp": ("#include <read_all>\nusing io::ReadAll;\n", {"read_all", "ReadAll"}),
    "csharp": ("using Pkg.ReadAll;\nclass C {}\n", {"ReadAll"}),
    "go": ('package p\n\nimport (\n\t"fmt"\n\t"example.com/readall"\n)\n', {"fmt", "readall"}),
    "rust": ("use crate::io::{read_all, write_all};\n", {"read_all", "write_all"}),
    "kotlin": ("import pkg.io.readAll\n", {"readAll"}),
    "swift": ("import ReadAll\n", {"ReadAll"}),
    "scala": ("import pkg.io.ReadAll\n", {"ReadAll"}),
    "php": ("<?php\nuse Pkg\\ReadAll;\nrequire_once 'read_all.php';\n", {"ReadAll", "read_all"}),
    "ruby": ("require 'read_all'\nrequire_relative 'write_all'\n", {"read_all", "write_all"}),
    "lua": ('local io2 = require("read_all")\n', {"read_all"}),
    "shellscript": ("source ./read_all.sh\n. ./write_all.sh\n", {"read_all", "write_all"}),
}


@pytest.mark.parametrize("language", sorted(set(EXTENSIONS.values())))
def test_every_language_the_index_reads_finds_its_imports(language: str) -> None:
    """Each language the index reads has its imports query: a language added to the
    index without one fails here."""
    from iskra_ls.symbols.tags import outline

    text, names = IMPORTS[language]
    assert names <= set(outline(text, language).imports), outline(text, language).imports


def test_no_definitions_query_is_compiled_or_run_in_the_server_process(tmp_path: Path) -> None:
    """Compiling a query holds the interpreter's lock (Swift's for 0.3-1.6 s): the index
    compiles and parses in its worker processes only, so the server's loop never waits."""
    write(tmp_path / "shapes.swift", "func area(of side: Double) -> Double { side * side }\n")
    write(tmp_path / "ruler.py", "def measure(line):\n    return 1\n")
    definition_query.cache_clear()
    index = SymbolIndex([str(tmp_path)], lambda _p: True)
    try:
        index.build()
        assert index.lookup("area") and index.lookup("measure")
        assert definition_query.cache_info().currsize == 0
    finally:
        index.stop()
    for language in set(EXTENSIONS.values()):
        query = definition_query(language)
        assert query is not None and query.pattern_count <= 16, language


def test_a_language_without_a_grammar_has_no_definitions_and_no_error() -> None:
    assert definitions("CREATE FUNCTION f() RETURNS int;", "sql", "/w/f.sql") == []


def test_a_signature_stops_at_the_body_and_a_comment_before_it() -> None:
    text = "class Reader(Base):\n    # reads\n    def read(self):\n        pass\n"
    found = {d.name: d for d in definitions(text, "python", "/w/r.py")}
    assert found["Reader"].signature == "class Reader(Base):"
    assert found["read"].signature == "def read(self):" and found["read"].doc == "reads"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_index_reads_only_what_the_policy_admits_inside_the_folders(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / "a.py", "def alpha(): pass\n")
    write(ws / "secret_b.py", "def beta(): pass\n")
    write(ws / ".hidden" / "c.py", "def gamma(): pass\n")
    write(ws / "node_modules" / "d.js", "function delta() {}\n")
    write(tmp_path / "out" / "e.py", "def epsilon(): pass\n")
    os.symlink(tmp_path / "out", ws / "linked")
    index = SymbolIndex([str(ws)], lambda path: "secret" not in path)
    index.build()
    assert index.complete and [d.path for d in index.lookup("alpha")] == [str(ws / "a.py")]
    for name in ("beta", "gamma", "delta", "epsilon"):
        assert index.lookup(name) == [], name
    assert not index.index_file(str(tmp_path / "out" / "e.py"))  # outside: never read
    assert not index.index_file(str(ws / "secret_b.py"))


def test_the_index_keeps_its_total_limits(tmp_path: Path) -> None:
    for i in range(30):
        write(tmp_path / f"m{i:02}.py", f"def f{i}(): pass\n" + "#" * 100 + "\n")
    write(tmp_path / "big.py", "def big(): pass\n" + "#" * 5000 + "\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True, Limits(files=10, file_bytes=2000))
    index.build()
    assert index.stats.files == 10 and not index.complete and index.ready.is_set()
    assert index.lookup("big") == []
    index = SymbolIndex([str(tmp_path)], lambda _p: True, Limits(total_bytes=500))
    index.build()
    assert index.stats.files < 10 and not index.complete
    assert index.stats.bytes_read <= 500  # a file that no longer fits is not read at all


def test_a_changed_file_replaces_its_own_entries_only(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "def old_name(): pass\n")
    write(tmp_path / "b.py", "def other(): pass\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True)
    index.build()
    write(tmp_path / "a.py", "def new_name(x): pass\n")
    index.index_file(str(tmp_path / "a.py"))
    assert index.lookup("old_name") == [] and index.lookup("new_name")
    assert index.lookup("other")
    (tmp_path / "b.py").unlink()
    index.remove(str(tmp_path / "b.py"))
    assert index.lookup("other") == [] and index.files() == [str(tmp_path / "a.py")]
    assert index.stats.definitions == 1


def wait_until(condition: object, what: str, timeout: float = 30.0) -> None:
    """Poll the index until ``condition()``; the limit only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.02)


def test_the_watcher_follows_saves_and_deletions(tmp_path: Path) -> None:
    write(tmp_path / "a.py", "def first(): pass\n")
    index = SymbolIndex([str(tmp_path)], lambda path: "secret" not in path)
    index.start()
    try:
        assert index.ready.wait(30)
        write(tmp_path / "a.py", "def second(): pass\n")
        write(tmp_path / "secret_new.py", "def hidden(): pass\n")
        write(tmp_path / "sub" / "c.py", "def third(): pass\n")
        wait_until(lambda: index.lookup("second") and index.lookup("third"), "no re-index")
        assert index.lookup("first") == [] and index.lookup("hidden") == []
        (tmp_path / "sub" / "c.py").unlink()
        wait_until(lambda: not index.lookup("third"), "a deleted file stayed")
        write(tmp_path / "node_modules" / "m.py", "def from_modules(): pass\n")
        write(tmp_path / ".venv" / "lib" / "v.py", "def from_venv(): pass\n")
        write(tmp_path / "last.py", "def last(): pass\n")
        wait_until(lambda: index.lookup("last"), "no re-index")
        assert index.lookup("from_modules") == [] and index.lookup("from_venv") == []
    finally:
        index.stop()


def test_what_a_function_body_defines_is_local_and_not_indexed() -> None:
    """A closure or local helper can be called by no other file: offered for a call of the
    same name elsewhere, its signature would be a wrong one. Methods of classes, even
    decorated ones and those of nested classes, are found."""
    nested = "".join("    " * i + f"def f{i}(x):\n" for i in range(6)) + "    " * 6 + "pass\n"
    assert [d.name for d in definitions(nested, "python", "n.py")] == ["f0"]
    methods = ("@dataclass\nclass A:\n    @property\n    def size(self):\n"
               "        def local(): pass\n        return 1\n\n"
               "    class Inner:\n        @staticmethod\n        def make(): pass\n")
    assert [d.name for d in definitions(methods, "python", "m.py")] == [
        "A", "size", "Inner", "make"]
    script = "function outer(a) {\n  function helper(b) { return b; }\n  return helper(a);\n}\n"
    assert [d.name for d in definitions(script, "javascript", "s.js")] == ["outer"]


def test_members_of_deeply_nested_classes_are_found() -> None:
    """However deep a class sits (classes in classes in a namespace), its methods are
    found: the query is walked again from a class its first walk reached deep down."""
    java = "class L0 {\n" + "".join(
        "  " * i + f"static class L{i} {{\n" for i in range(1, 5)) + \
        "  " * 5 + "int deepest(int x) { return x; }\n" + "".join(
        "  " * i + "}\n" for i in range(4, -1, -1))
    names = [d.name for d in definitions(java, "java", "L.java")]
    assert names == ["L0", "L1", "L2", "L3", "L4", "deepest"]
    csharp = "namespace N {\n" + "".join(
        "  " * i + f"class C{i} {{\n" for i in range(1, 5)) + \
        "  " * 5 + "void Deepest() {}\n" + "".join("  " * i + "}\n" for i in range(4, -1, -1))
    names = [d.name for d in definitions(csharp, "csharp", "N.cs")]
    assert names == ["C1", "C2", "C3", "C4", "Deepest"]


def test_a_function_in_a_class_is_a_method_in_every_language() -> None:
    """Python's tags query calls every ``def`` a function; within a class it is a method,
    as other grammars' queries say (a module's members are shown top level first)."""
    text = "class A:\n    def m(self): pass\n\ndef f(): pass\n"
    assert [(d.name, d.kind) for d in definitions(text, "python", "a.py")] == [
        ("A", "class"), ("m", "method"), ("f", "function")]


def test_a_module_is_found_by_its_file_or_its_folder_name(tmp_path: Path) -> None:
    write(tmp_path / "email" / "utils.py", "def collapse(value):\n    return value\n")
    write(tmp_path / "email" / "__init__.py", "def message_from_string(s): pass\n")
    write(tmp_path / "lib" / "router" / "index.js", "function Router(options) {}\n")
    write(tmp_path / "lib" / "router" / "route.js", "function Route(path) {}\n")
    write(tmp_path / "tests" / "utils.py", "def helper(): pass\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True, workers=0)
    index.build()
    assert sorted(d.name for d in index.module_definitions("utils")) == ["collapse", "helper"]
    assert [d.name for d in index.module_definitions("email")] == ["message_from_string"]
    assert [d.name for d in index.module_definitions("router")] == ["Router"]
    assert [d.name for d in index.module_definitions("route")] == ["Route"]
    assert index.module_definitions("nothing") == []
    index.remove(str(tmp_path / "tests" / "utils.py"))
    assert [d.name for d in index.module_definitions("utils")] == ["collapse"]


def test_a_module_name_many_folders_use_brings_the_nearest_files_only(tmp_path: Path) -> None:
    """``utils`` in a big repository names a file in many folders: the cursor's file means
    the nearest, and a request must not make thousands of definitions to find out."""
    from iskra_ls.symbols.index import MODULE_FILES

    for n in range(30):
        write(tmp_path / f"pkg{n:02}" / "utils.py", f"def helper_{n}(): pass\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True, workers=0)
    index.build()
    near = str(tmp_path / "pkg17" / "main.py")
    assert index.module_definitions("utils", near=near)[0].name == "helper_17"
    assert len(index.module_definitions("utils", near=near)) == MODULE_FILES


def test_the_files_nearest_the_open_documents_are_indexed_first(tmp_path: Path) -> None:
    """With room for three files, the three beside the open document are the ones read."""
    for folder in ("a", "b", "c"):
        for n in range(3):
            write(tmp_path / folder / f"{folder}{n}.py", f"def in_{folder}{n}(): pass\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True, Limits(files=3), workers=0,
                        near=lambda: [str(tmp_path / "b")])
    index.build()
    assert sorted(os.path.basename(p) for p in index.files()) == ["b0.py", "b1.py", "b2.py"]


def test_a_crashed_worker_costs_one_log_line_and_the_index_keeps_what_it_has(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import signal

    body = "".join(f"def helper_{i}(value):\n    return value + {i}\n\n" for i in range(300))
    for n in range(600):
        write(tmp_path / f"m{n // 100}" / f"part_{n}.py", body)
    index = SymbolIndex([str(tmp_path)], lambda _p: True)
    index.start(watch=False)
    try:
        wait_until(lambda: index.stats.files > 0, "nothing indexed")
        for pid in index.worker_pids():
            os.kill(pid, signal.SIGKILL)
        assert index.ready.wait(120)
        assert 0 < index.stats.files < 600 and not index.complete
        ended = [r for r in caplog.records if "parsing worker ended" in r.getMessage()]
        assert len(ended) == 1, [r.getMessage() for r in caplog.records]
        # The next change is parsed by new workers.
        write(tmp_path / "later.py", "def after_the_crash(): pass\n")
        assert index.index_file(str(tmp_path / "later.py"))
        assert index.lookup("after_the_crash")
    finally:
        index.stop()


def test_a_definition_with_an_empty_body_is_kept_with_the_rest_of_its_file() -> None:
    """A body with nothing in it (a file cut while typing) is no reason to lose the file."""
    names = [d.name for d in definitions("def ok(): pass\n\nclass Half:\n", "python", "h.py")]
    assert names == ["ok", "Half"]


def test_a_file_re_pointed_while_or_after_it_is_checked_is_not_read(tmp_path: Path) -> None:
    """The index reads the file the policy was asked about, not what its path names by
    the time a worker opens it: a source file swapped for a link to a file outside the
    folders, during the check or after it, brings none of that file's definitions."""
    from iskra_ls.symbols.worker import parse_file

    ws = tmp_path / "ws"
    write(ws / "a.py", "def alpha(): pass\n")
    write(tmp_path / "out" / "keys.py", "def private_key(): pass\n")

    def admit_then_swap(path: str) -> bool:
        os.replace(path, path + ".old")
        os.symlink(tmp_path / "out" / "keys.py", path)
        return True

    index = SymbolIndex([str(ws)], admit_then_swap)
    assert not index.index_file(str(ws / "a.py"))
    assert index.lookup("private_key") == []

    write(ws / "b.py", "def beta(): pass\n")
    checked = os.stat(ws / "b.py")
    os.replace(ws / "b.py", ws / "b.py.old")
    os.symlink(tmp_path / "out" / "keys.py", ws / "b.py")  # after the check, before the open
    _, chars, rows, imports = parse_file(str(ws / "b.py"), 1000, checked.st_dev,
                                         checked.st_ino)
    assert (chars, rows, imports) == (-1, (), ())


def test_parsing_workers_end_when_idle_and_one_comes_back_for_a_save(tmp_path: Path) -> None:
    """A parsing worker holds ~60 MB: once the first index is built the workers end (the
    index lives in the server), and a saved file is re-read by one new worker, not by the
    whole pool, which ends again when idle."""
    for n in range(40):
        write(tmp_path / f"part_{n}.py", f"def helper_{n}(value):\n    return value\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True, idle_seconds=0.5)
    index.start()
    try:
        assert index.ready.wait(120) and index.complete
        wait_until(lambda: index.worker_pids() == [], "the workers outlived the first index")
        started = index.workers_started
        write(tmp_path / "later.py", "def saved_later(): pass\n")
        wait_until(lambda: bool(index.lookup("saved_later")), "the save was not re-read")
        assert index.workers_started - started == 1
        wait_until(lambda: index.worker_pids() == [], "the re-read's worker stayed")
    finally:
        index.stop()


def test_the_stored_index_is_nothing_the_garbage_collector_walks(tmp_path: Path) -> None:
    """Definitions stored as objects were ~77 000 more objects for every full collection
    of the server's heap: one such collection during the first index held the
    interpreter (and the server's loop) for 76 ms. Stored as plain tuples of strings and
    numbers, the collector stops tracking them; the definitions are made when asked for."""
    import gc

    body = "".join(f"def helper_{i}(value):\n    return value + {i}\n\n" for i in range(20))
    for n in range(200):
        write(tmp_path / f"part_{n}.py", body)
    index = SymbolIndex([str(tmp_path)], lambda _p: True, workers=0)
    gc.collect()
    before = len(gc.get_objects())
    index.build()
    gc.collect()
    assert index.stats.definitions == 4000
    assert len(gc.get_objects()) - before < 400
    found = index.lookup("helper_7")
    assert len(found) == 200 and found[0].name == "helper_7" and found[0].line == 21


IMPORT_CASES = {
    # A parenthesised import spans lines (a line regex saw its first line only), and a
    # string that reads like an import is a string.
    "python": ("main.py", "helpers.py", "from .helpers import (\n    parse_header,\n)\n"
               '"""Old notes:\nfrom helpers import rollback_everything\n"""\n',
               "def {}(data, strict=False):\n    return data\n\n", "x_{} = 1\n",
               "    total = {}(data)\n"),
    "javascript": ("main.js", "helpers.js", "import {\n  parse_header,\n} from './helpers.js';\n"
                   "/*\nimport rollback_everything from './helpers.js';\n*/\n",
                   "export function {}(data, strict) {{\n  return data;\n}}\n",
                   "const x_{} = 1;\n", "  total = {}(data);\n"),
}


@pytest.mark.parametrize("language", sorted(IMPORT_CASES))
def test_the_names_a_file_imports_come_from_its_grammar(tmp_path: Path, language: str) -> None:
    """The names a file imports rank with the lines near the cursor. They are the import
    statements' names as the file's grammar reads them (from the index's own parse): all
    the names of an import over several lines, none from a string or comment that looks
    like an import."""
    from iskra_ls.symbols.workspace import WorkspaceSymbols

    main, helpers, head, definition, filler, use = IMPORT_CASES[language]
    rivals = [f"rival_{n}" for n in range(10)]
    write(tmp_path / helpers, "".join(definition.format(name) for name in
                                      ["parse_header", "rollback_everything", *rivals]))
    prefix = (head + "".join(filler.format(n) for n in range(250))
              + "".join(use.format(name) for name in rivals)
              + "".join(filler.format(n) for n in range(250, 275)) + "result = ")
    write(tmp_path / main, prefix + "\n")
    index = SymbolIndex([str(tmp_path)], lambda _p: True, workers=0)
    index.build()
    choose = WorkspaceSymbols().chooser("file://main", str(tmp_path / main), [],
                                        lambda _p: True, [tmp_path], index)
    sent = [part.text for part in choose(prefix=prefix, suffix="\n", budget=300)]
    assert any("parse_header" in text for text in sent), sent
    assert not any("rollback_everything" in text for text in sent), sent


def test_a_parsing_worker_does_not_run_the_servers_main_module_again(tmp_path: Path) -> None:
    """A spawned worker needs the parser only: re-running the program that started the
    server (its script, a tool's main module) costs each worker its start-up again (0.7
    CPU s for the benchmark's module) and repeats whatever that module does at import."""
    import subprocess
    import sys

    write(tmp_path / "src" / "a.py", "def alpha(): pass\n")
    marker = tmp_path / "imports.txt"
    script = tmp_path / "server_main.py"
    script.write_text(
        "import os, sys\n"
        "with open(sys.argv[1], 'a') as out:\n"
        "    out.write(f'{os.getpid()}\\n')\n"
        "if __name__ == '__main__':\n"
        "    from iskra_ls.symbols.index import SymbolIndex\n"
        "    index = SymbolIndex([sys.argv[2]], lambda _p: True, workers=1)\n"
        "    index.build()\n"
        "    print(len(index.lookup('alpha')), index.workers_started)\n"
        "    index.stop()\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(marker), str(tmp_path / "src")],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["1", "1"], done.stderr
    assert len(marker.read_text().splitlines()) == 1  # the parent's own run only


def test_the_parsing_workers_start_while_the_first_walk_begins(tmp_path: Path) -> None:
    """A worker takes ~0.1-0.5 s to start (a new interpreter, its grammars): the first walk
    starts the whole pool before it lists and checks the files, not after its first
    batch, so the start-up and the walk overlap."""
    for n in range(3):
        write(tmp_path / f"m{n}.py", f"def m{n}(): pass\n")
    running_at_first_check: list[int] = []

    def admit(_path: str) -> bool:
        if not running_at_first_check:
            running_at_first_check.append(len(index.worker_pids()))
        return True

    index = SymbolIndex([str(tmp_path)], admit, workers=2)
    try:
        index.build()
        assert running_at_first_check == [2]
        assert len(index.lookup("m1")) == 1 and index.workers_started == 2
    finally:
        index.stop()
