"""One file's text -> its definitions (name, kind, line, signature, first doc line).

The definitions come from tree-sitter ``tags`` queries, the ones GitHub's code navigation
uses: a grammar wheel that ships ``queries/tags.scm`` is asked with its own query; the
few that ship none (or, like TypeScript's, only the part added to another grammar) get a
small query from :data:`EXTRA_QUERIES`. A language without a grammar has no definitions:
no regex stands in for a parser. Pure apart from reading the wheels' query files once.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from iskra_ls.languages import Language, grammar, grammar_modules, language_for

if TYPE_CHECKING:
    import tree_sitter

log = logging.getLogger(__name__)

SIGNATURE_CHARS = 240
"""A signature longer than this is cut: the prompt wants the call shape, not the body."""
SIGNATURE_LINES = 4
DOC_CHARS = 160
IDENTIFIER_CHARS = re.compile(r"[^\W\d]\w*")
"""A word the way most languages spell names (what the code around a cursor is about;
definitions themselves come from the grammars)."""
_QUOTES = re.compile(r"^[rRbBuUfF]*(?:\"\"\"|\'\'\'|\"|\')|(?:\"\"\"|\'\'\'|\"|\')$")
_COMMENT_MARKERS = ("#", "//", "/*", "*", "--")

_JS_DEFINITIONS = """
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (_) @name) @definition.class
(method_definition name: (property_identifier) @name) @definition.method
(lexical_declaration (variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression)]) @definition.function)
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
"""

EXTRA_QUERIES: dict[str, str] = {
    # The TypeScript wheel's tags.scm holds only what TypeScript adds to JavaScript's.
    "typescript": _JS_DEFINITIONS,
    "tsx": _JS_DEFINITIONS,
    "kotlin": """
(class_declaration (identifier) @name) @definition.class
(object_declaration (identifier) @name) @definition.class
(function_declaration (identifier) @name) @definition.function
""",
    "csharp": """
(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(struct_declaration name: (identifier) @name) @definition.struct
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(method_declaration name: (identifier) @name) @definition.method
""",
    "shellscript": "(function_definition name: (word) @name) @definition.function",
}
"""Definition queries for grammars whose wheel ships no (complete) ``tags.scm``."""

OWN_QUERIES: dict[str, str] = {
    # The wheel's patterns anchor doc comments (``(comment)* @doc .``): 84 ms to compile,
    # all of it holding the interpreter's lock; these compile in 17 ms.
    "ruby": """
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(class name: [(constant) (scope_resolution)] @name) @definition.class
(module name: [(constant) (scope_resolution)] @name) @definition.module
""",
    # The wheel's method patterns capture the whole class as the definition (every method
    # would show the class's head); these name each function and type by its own node.
    "swift": """
(class_declaration name: (type_identifier) @name) @definition.class
(protocol_declaration name: (type_identifier) @name) @definition.interface
(function_declaration name: (simple_identifier) @name) @definition.function
(protocol_function_declaration name: (simple_identifier) @name) @definition.function
""",
}
"""Queries used instead of the wheel's where that one costs too much to compile (compiling
holds the interpreter's lock: the event loop's thread waits meanwhile)."""

_JS_IMPORTS = """
(import_statement) @import
(variable_declarator value: (call_expression function: (identifier) @_call
  arguments: (arguments (string))) (#eq? @_call "require")) @import
"""

IMPORT_QUERIES: dict[str, str] = {
    "python": "(import_statement) @import (import_from_statement) @import "
              "(future_import_statement) @import",
    "javascript": _JS_IMPORTS,
    "typescript": _JS_IMPORTS,
    "tsx": _JS_IMPORTS,
    "java": "(import_declaration) @import",
    "c": "(preproc_include) @import",
    "cpp": "(preproc_include) @import (using_declaration) @import",
    "csharp": "(using_directive) @import",
    "go": "(import_declaration) @import",
    "rust": "(use_declaration) @import (extern_crate_declaration) @import",
    "kotlin": "(import) @import",
    "swift": "(import_declaration) @import",
    "scala": "(import_declaration) @import",
    "php": "(namespace_use_declaration) @import (require_expression) @import "
           "(require_once_expression) @import (include_expression) @import "
           "(include_once_expression) @import",
    "ruby": '(call method: (identifier) @_call (#any-of? @_call "require" "require_relative"))'
            " @import",
    "lua": '(function_call name: (identifier) @_call (#eq? @_call "require")) @import',
    "shellscript": '(command name: (command_name) @_call (#any-of? @_call "source" "."))'
                   " @import",
}
"""The statements that bring names from other files, per language, as its grammar reads
them: an import over several lines brings all its names, a string or comment that looks
like one brings none. Matched in the same pass as the definitions, over the same parse
(a test asks every language the index reads for its query)."""
MAX_IMPORTED_NAMES = 400
"""Names kept per file from its imports (a generated file may import thousands)."""

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "javascript", ".ts": "typescript", ".mts": "typescript",
    ".cts": "typescript", ".tsx": "tsx", ".java": "java", ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".cs": "csharp",
    ".go": "go", ".rs": "rust", ".kt": "kotlin", ".kts": "kotlin",
    ".scala": "scala", ".php": "php", ".rb": "ruby", ".lua": "lua", ".sh": "shellscript",
    ".bash": "shellscript", ".swift": "swift",
}
"""File name endings the workspace index reads, by language id of :mod:`languages`.

Queries compile in the index's worker processes only (:mod:`.worker`), never in the
server: Swift's, at 0.3-1.6 s of the interpreter's lock, delays one worker once."""


@dataclass(frozen=True, slots=True)
class Definition:
    """One definition in one file."""

    name: str
    kind: str
    """The tags capture's kind: ``function``, ``class``, ``method``, ``constant``..."""
    path: str
    line: int
    """0-based line of the definition's first line."""
    signature: str
    """The definition's head: up to its body, at most a few lines."""
    doc: str = ""
    """The first line of its docstring or of the comment above it; "" without one."""


def language_of_path(path: str) -> str | None:
    """The language id the index parses ``path`` as; None for a file it does not read."""
    return EXTENSIONS.get(os.path.splitext(path)[1].lower())


FOLDER_FILES = frozenset({"__init__", "index", "mod"})
"""File names (without ending) that stand for their folder: Python's package, the
``index`` a JavaScript ``require`` of a folder finds, Rust's ``mod.rs``."""


def module_name(path: str) -> str:
    """The name code uses for the module ``path`` is (its file name without the ending,
    or its folder's name for a file that stands for its folder)."""
    folder, file = os.path.split(path)
    stem = file.split(".", 1)[0]
    return os.path.basename(folder) if stem in FOLDER_FILES else stem


def _wheel_tags_file(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "queries" / "tags.scm"
        if candidate.is_file():
            return candidate
    return None


def _wheel_tags(entry: Language) -> str:
    found = _wheel_tags_file(entry.grammar_module)
    return found.read_text(encoding="utf-8") if found is not None else ""


def grammars_with_wheel_tags() -> list[str]:
    """The grammar modules whose wheel ships a ``queries/tags.scm`` (a frozen build must
    carry them: the packaging test asks)."""
    return [m for m in sorted(set(grammar_modules())) if _wheel_tags_file(m) is not None]


@cache
def definition_query(language_id: str) -> tree_sitter.Query | None:
    """The compiled definitions query of a language, with its imports query (None without
    grammar or definitions query)."""
    entry = language_for(language_id)
    found = grammar(entry)
    if found is None:
        return None
    import tree_sitter

    wheel = OWN_QUERIES.get(entry.name) or _wheel_tags(entry)
    sources = [_definitions_only(s) for s in (wheel, EXTRA_QUERIES.get(entry.name, "")) if s]
    if not any(sources):
        return None
    imports = IMPORT_QUERIES.get(entry.name, "")
    try:  # one query, so one pass over the tree finds both
        return tree_sitter.Query(found, "\n".join([*(s for s in sources if s), imports]))
    except Exception as error:  # a wheel's query its grammar version rejects
        log.warning("tags query of %s unusable (%s)", entry.name, error)
        return None


def _definitions_only(source: str) -> str:
    """The patterns of a tags query that capture definitions: reference patterns cost
    compile and match time and are not used (compiling holds the interpreter's lock, so
    the event loop waits for it: a query is split as text, never compiled twice)."""
    return "\n".join(form for form in _top_level_forms(source) if "@definition." in form)


def _top_level_forms(source: str) -> list[str]:
    """``source`` (a tree-sitter query) cut before each pattern that starts at depth 0;
    a pattern's trailing captures and quantifiers stay with it."""
    forms: list[str] = []
    depth, start, index = 0, 0, 0
    while index < len(source):
        char = source[index]
        if char == ";":  # a comment, to the end of the line
            newline = source.find("\n", index)
            index = len(source) if newline < 0 else newline
            continue
        if char == '"':
            index += 1
            while index < len(source) and source[index] != '"':
                index += 2 if source[index] == "\\" else 1
        elif char in "([":
            if depth == 0 and source[start:index].strip():
                forms.append(source[start:index])
                start = index
            elif depth == 0:
                start = index
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        index += 1
    if source[start:].strip():
        forms.append(source[start:])
    return forms


def _doc_line(source: bytes, lines: list[str], node: tree_sitter.Node,
              body: tree_sitter.Node | None, python: bool) -> str:
    """The first line of a Python docstring, else of the comment block right above (the
    language's own markers are among :data:`_COMMENT_MARKERS`)."""
    first = body.named_child(0) if python and body is not None and body.named_child_count \
        else None
    if first is not None and first.type == "expression_statement" \
            and first.named_child_count:
        # (named_children would list a whole class body per method)
        string = first.named_child(0)
        if string is not None and string.type == "string":
            # Its first line with text is near its start: a long docstring is not read.
            end = min(first.end_byte, first.start_byte + 4 * DOC_CHARS)
            text = source[first.start_byte:end].decode("utf-8", "replace")
            for line in _QUOTES.sub("", text).splitlines():
                if line.strip():
                    return line.strip()[:DOC_CHARS]
    above = node.start_point[0] - 1
    found = ""
    while above >= 0 and lines[above].lstrip().startswith(_COMMENT_MARKERS):
        text = lines[above].strip().lstrip("/#*-!").removesuffix("*/").strip()
        if text and not text.startswith("@"):
            found = text  # keep climbing: the block's first line says what the thing is
        above -= 1
    return found[:DOC_CHARS]


def _signature(source: bytes, node: tree_sitter.Node, body: tree_sitter.Node | None,
               line: str) -> str:
    """The definition's text up to its body (or its first line), a few lines at most."""
    start = node.start_byte
    end = body.start_byte if body is not None and body.start_byte > start else None
    if end is None:
        return line.strip()[:SIGNATURE_CHARS]
    # Only the bytes a signature can show are decoded (a head may hold long defaults).
    head = source[start:min(end, start + 4 * SIGNATURE_CHARS)].decode("utf-8", "replace")
    head_lines = [part.rstrip() for part in head.rstrip().splitlines()[:SIGNATURE_LINES]]
    if len(head_lines) == 1:
        return head_lines[0][:SIGNATURE_CHARS]
    while len(head_lines) > 1 and head_lines[-1].strip().startswith(_COMMENT_MARKERS):
        head_lines.pop()  # a comment between the head and the body belongs to the body
    indent = len(line) - len(line.lstrip())
    joined = "\n".join([head_lines[0], *(h[indent:] if h[:indent].isspace() else h
                                         for h in head_lines[1:])])
    return joined[:SIGNATURE_CHARS]


MAX_DEFINITION_DEPTH = 8
"""How deep below where a walk starts the query cursor looks: past it lie mostly the
insides of function bodies (the nodes within this depth are the matching's cost: 1.4 CPU
s at 8 on the standard library, 0.45 s at 2), whose definitions are local anyway. A class
(any definition that is not a function) :data:`WALK_AGAIN_BELOW` levels down or deeper is
walked again from itself, so members of classes nested however deep are found. (At 7 and
3 the standard library loses none of the definitions 8 and 4 find, for 0.3 CPU s less,
but C and C++ headers, whose declarations sit inside ``#ifdef``, ``extern "C"`` and
namespaces, lose 0.7 %; at 6 and 2 the standard library loses ``ctypes.util``'s
platform branches, ``find_library`` among them.)"""
WALK_AGAIN_BELOW = 4
"""A container this many levels (or more) below where its walk started is walked again
from itself: its members lie two or three levels below it (body, decorator), or more
within conditional blocks, and could fall past :data:`MAX_DEFINITION_DEPTH`."""
LOCAL_SCOPES = frozenset({"function", "method"})
"""Tag kinds whose body is a scope of its own: what a function's body defines (closures,
local helpers, local classes) no other file can call by that name, and offered for a call
of the same name elsewhere its signature would be a wrong one. So it is not indexed."""
HOLDS_NO_DEFINITIONS = frozenset({"constant", "variable", "field", "property", "macro", "type"})
"""Tag kinds that define no members (a constant's value is not walked again)."""

Row = tuple[str, str, int, str, str]
"""One definition as the index stores it: name, kind, 0-based line, signature, doc line."""


@dataclass(frozen=True, slots=True)
class Outline:
    """What the index keeps of one file: its definitions and the names it imports."""

    rows: tuple[Row, ...]
    """The definitions in file order (:data:`Row`)."""
    imports: tuple[str, ...]
    """The names its import statements bring, in order, each once."""


def outline(text: str, language_id: str) -> Outline:
    """The definitions and imported names of ``text`` (a whole file of ``language_id``),
    from one parse and one pass of its query over the tree (and one more from each class
    the pass reached deep down)."""
    query = definition_query(language_id)
    parser = _parser(language_id) if query is not None else None
    if query is None or parser is None:
        return Outline((), ())
    source = text.encode("utf-8", "replace")
    tree = parser.parse(source)
    lines = text.splitlines()
    python = language_id == "python"
    found: dict[tuple[str, int], tuple[str, tree_sitter.Node]] = {}
    imported: dict[str, None] = {}
    functions: list[tuple[int, int]] = []  # byte ranges of function definitions
    containers: list[tuple[int, int]] = []  # and of those that hold members (classes)
    for kind, node, name, words in _matches(query, tree.root_node, source):
        if not kind:
            if len(imported) < MAX_IMPORTED_NAMES:
                imported.update(dict.fromkeys(IDENTIFIER_CHARS.findall(words)))
            continue
        row = node.start_point[0]
        if name and (name, row) not in found and row < len(lines):
            found[(name, row)] = (kind, node)
            if kind in LOCAL_SCOPES:
                functions.append((node.start_byte, node.end_byte))
            elif kind not in HOLDS_NO_DEFINITIONS:
                containers.append((node.start_byte, node.end_byte))
    rows = []
    local, member = _inside_ranges(functions), _inside_ranges(containers)
    for (name, row), (kind, node) in sorted(found.items(), key=lambda item: item[1][1].start_byte):
        if local(node.start_byte):
            continue  # what a function's body defines is its own
        if kind == "function" and member(node.start_byte):
            kind = "method"  # (Python's query calls every def a function)
        body = node.child_by_field_name("body")
        rows.append((name, kind, row, _signature(source, node, body, lines[row]),
                     _doc_line(source, lines, node, body, python)))
    return Outline(tuple(rows), tuple(itertools.islice(imported, MAX_IMPORTED_NAMES)))


def _matches(query: tree_sitter.Query, root: tree_sitter.Node, source: bytes,
             ) -> Iterator[tuple[str, tree_sitter.Node, str, str]]:
    """Each definition as (kind, node, name, ""), each import as ("", node, "", its text):
    the query from the root, then again from each container it reached deep down."""
    import tree_sitter

    kinds: dict[int, str] = {}  # a pattern's definition kind, the same in each match
    scopes, walked = [root], {root.id}
    while scopes:
        scope = scopes.pop()
        cursor = tree_sitter.QueryCursor(query)
        cursor.set_max_start_depth(MAX_DEFINITION_DEPTH)
        for pattern, captures in cursor.matches(scope):
            if "import" in captures:
                node = captures["import"][0]
                yield "", node, "", source[node.start_byte:node.end_byte].decode(
                    "utf-8", "replace")
                continue
            kind = kinds.get(pattern)
            if kind is None:
                kind = kinds[pattern] = next(
                    (k[11:] for k in captures if k.startswith("definition.")), "")
            names = captures.get("name")
            if not names or not kind:
                continue  # a reference pattern (calls, types used): not a definition
            node = captures["definition." + kind][0]
            name_node = names[0]
            yield kind, node, source[name_node.start_byte:name_node.end_byte].decode(
                "utf-8", "replace"), ""
            if kind not in LOCAL_SCOPES and kind not in HOLDS_NO_DEFINITIONS \
                    and node.id not in walked and _depth_at_least(node, scope, WALK_AGAIN_BELOW):
                walked.add(node.id)
                scopes.append(node)


def _depth_at_least(node: tree_sitter.Node, top: tree_sitter.Node, levels: int) -> bool:
    """Whether ``node`` lies at least ``levels`` levels below ``top``."""
    for _ in range(levels - 1):
        parent = node.parent
        if parent is None or parent.id == top.id:
            return False
        node = parent
    return True


def _inside_ranges(ranges: list[tuple[int, int]]) -> Callable[[int], bool]:
    """A test of whether a definition starting at a byte lies inside one of ``ranges``
    (definitions' byte ranges, which nest as the tree does), asked in increasing byte
    order: one sweep over the ranges for the whole file."""
    ordered = sorted(ranges)
    open_ends: list[int] = []  # the ends of the ranges around the last byte asked
    taken = 0

    def inside(start: int) -> bool:
        nonlocal taken
        while taken < len(ordered) and ordered[taken][0] < start:
            while open_ends and open_ends[-1] <= ordered[taken][0]:
                open_ends.pop()
            open_ends.append(ordered[taken][1])
            taken += 1
        while open_ends and open_ends[-1] <= start:
            open_ends.pop()
        return bool(open_ends)

    return inside


_PARSERS = threading.local()


def _parser(language_id: str) -> tree_sitter.Parser | None:
    """One parser per language and thread, kept (a worker parses one file at a time;
    a tool that parses in several threads gets one per thread)."""
    kept: dict[str, tree_sitter.Parser | None] = _PARSERS.__dict__.setdefault("by_language", {})
    if language_id not in kept:
        from iskra_ls.languages import new_parser

        kept[language_id] = new_parser(language_id)
    return kept[language_id]


def definitions(text: str, language_id: str, path: str) -> list[Definition]:
    """The definitions in ``text`` (a whole file of ``language_id``) in file order."""
    return [Definition(name, kind, path, line, signature, doc)
            for name, kind, line, signature, doc in outline(text, language_id).rows]
