# ruff: noqa: E501 -- a data table: file texts and edits read best unwrapped
"""Edit-fidelity corpus: model-style edit calls against realistic files with drift.

Each case is one small task as qwen3-coder-plus tends to send it: a file (on
disk, or open in the editor with unsaved text), one or more tool calls whose
search text has drifted from the file (line endings, trailing spaces, tabs
vs spaces, dedent), and the expected outcome: the exact resulting text, or
``None`` when the calls must be refused (ambiguous, absent, empty search).

Expected texts are written by hand with :func:`sub`, which replaces a block
written exactly as it appears in the file -- independent of the matcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Case:
    id: str
    original: str
    calls: list[tuple[str, dict[str, Any]]]
    expected: str | None
    """The file's text after the edit; None: the edit must be refused."""
    path: str = "f.py"
    disk: str | None = None
    """When set, the file is open in the editor with ``original`` (unsaved) and
    the disk holds this older text."""
    tags: tuple[str, ...] = field(default=())


def sub(text: str, old: str, new: str) -> str:
    """``text`` with the one exact occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, (old, text.count(old))
    return text.replace(old, new, 1)


PY = '''"""Inventory helpers."""

import json
from pathlib import Path


class Inventory:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: dict[str, int] = {}

    def load(self) -> None:
        data = json.loads(self.path.read_text())
        for name, count in data.items():
            self.items[name] = int(count)

    def add(self, name: str, count: int = 1) -> None:
        if count <= 0:
            raise ValueError("count must be positive")
        self.items[name] = self.items.get(name, 0) + count

    def remove(self, name: str, count: int = 1) -> None:
        if count <= 0:
            raise ValueError("count must be positive")
        self.items[name] = self.items.get(name, 0) - count

    def total(self) -> int:
        return sum(self.items.values())
'''

GO = (
    "package main\n\nimport \"fmt\"\n\nfunc sum(xs []int) int {\n\ttotal := 0\n"
    "\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n\treturn total\n}\n\n"
    "func main() {\n\tfmt.Println(sum([]int{1, 2, 3}))\n}\n"
)

CS = (
    "using System;\r\n\r\nnamespace Demo\r\n{\r\n    public static class Greeter\r\n    {\r\n"
    "        public static string Greet(string name)\r\n        {\r\n"
    '            return "Hello, " + name;\r\n        }\r\n\r\n'
    "        public static string Bye(string name)\r\n        {\r\n"
    '            return "Bye, " + name;\r\n        }\r\n    }\r\n}\r\n'
)

JS = (
    "function debounce(fn, ms) {   \n  let timer = null;\n  return (...args) => {  \n"
    "    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n}\n\n"
    "module.exports = { debounce };\n"
)

RU = '''# Сообщения для пользователя 🚀
MESSAGES = {
    "greeting": "Привет, {name}! 👋",
    "farewell": "До свидания, {name}.",
    "error": "Ошибка: {reason} ❌",
    "zh": "你好，{name}。欢迎！",
}


def render(key: str, **kwargs: str) -> str:
    """Вернуть сообщение 📨 по ключу."""
    return MESSAGES[key].format(**kwargs)
'''

YAML = "services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n  db:\n    image: postgres\n    ports:\n      - \"5432:5432\"\n"

NO_FINAL_NEWLINE = "def main():\n    print('hi')\n\nmain()"

PY_CRLF = PY.replace("\n", "\r\n")


def _r(search: str, replace: str, path: str = "f.py") -> tuple[str, dict[str, Any]]:
    return ("replace_in_file", {"uri": path, "search": search, "replace": replace})


def _w(content: str, path: str = "f.py") -> tuple[str, dict[str, Any]]:
    return ("write_file", {"uri": path, "content": content})


def _cases() -> list[Case]:
    c: list[Case] = []
    add = c.append

    # -- exact matches ---------------------------------------------------------------
    add(Case("exact-one-line", PY, [_r("return sum(self.items.values())",
        "return sum(self.items.values(), 0)")], sub(PY, "sum(self.items.values())",
        "sum(self.items.values(), 0)"), tags=("exact",)))
    add(Case("exact-method-body", PY, [_r(
        "    def total(self) -> int:\n        return sum(self.items.values())\n",
        "    def total(self) -> int:\n        \"\"\"Count of all items.\"\"\"\n"
        "        return sum(self.items.values())\n")],
        sub(PY, "    def total(self) -> int:\n", "    def total(self) -> int:\n"
            "        \"\"\"Count of all items.\"\"\"\n"), tags=("exact",)))
    add(Case("exact-import-add", PY, [_r("import json\n", "import json\nimport logging\n")],
        sub(PY, "import json\n", "import json\nimport logging\n"), tags=("exact",)))
    add(Case("exact-delete-lines", PY, [_r(
        "        for name, count in data.items():\n            self.items[name] = int(count)\n",
        "        self.items.update({k: int(v) for k, v in data.items()})\n")],
        sub(PY, "        for name, count in data.items():\n            self.items[name] = "
            "int(count)\n", "        self.items.update({k: int(v) for k, v in data.items()})\n"),
        tags=("exact",)))
    add(Case("exact-unique-with-context", PY, [_r(
        "    def remove(self, name: str, count: int = 1) -> None:\n        if count <= 0:\n",
        "    def remove(self, name: str, count: int = 1) -> None:\n        if count < 1:\n")],
        sub(PY, "remove(self, name: str, count: int = 1) -> None:\n        if count <= 0:",
            "remove(self, name: str, count: int = 1) -> None:\n        if count < 1:"),
        tags=("exact", "repeated")))
    add(Case("exact-yaml", YAML, [_r("    image: postgres\n", "    image: postgres:16\n")],
        sub(YAML, "image: postgres\n", "image: postgres:16\n"), path="compose.yaml",
        tags=("exact",)))
    add(Case("exact-go-tabs", GO, [_r("\treturn total\n", "\treturn total * 2\n")],
        sub(GO, "return total\n", "return total * 2\n"), path="main.go", tags=("exact",)))
    add(Case("exact-insert-at-end", PY, [_r("        return sum(self.items.values())\n",
        "        return sum(self.items.values())\n\n    def clear(self) -> None:\n"
        "        self.items.clear()\n")], PY + "\n    def clear(self) -> None:\n"
        "        self.items.clear()\n", tags=("exact",)))

    # -- CRLF files, LF search ---------------------------------------------------------
    add(Case("crlf-one-line", CS, [_r('return "Hello, " + name;', 'return $"Hello, {name}";')],
        sub(CS, '"Hello, " + name;', '$"Hello, {name}";'), path="Greeter.cs",
        tags=("crlf",)))
    add(Case("crlf-lf-search-block", CS, [_r(
        '        {\n            return "Bye, " + name;\n        }',
        '        {\n            name = name.Trim();\n            return "Bye, " + name;\n        }')],
        sub(CS, '        {\r\n            return "Bye, "', '        {\r\n            name = '
            'name.Trim();\r\n            return "Bye, "'), path="Greeter.cs", tags=("crlf",)))
    add(Case("crlf-lf-search-method", CS, [_r(
        "        public static string Greet(string name)\n        {\n",
        "        public static string Greet(string name = \"you\")\n        {\n")],
        sub(CS, "Greet(string name)", "Greet(string name = \"you\")"), path="Greeter.cs",
        tags=("crlf",)))
    add(Case("crlf-python-lf-search", PY_CRLF, [_r(
        "    def total(self) -> int:\n        return sum(self.items.values())\n",
        "    def total(self) -> int:\n        return len(self.items)\n")],
        sub(PY_CRLF, "return sum(self.items.values())\r\n", "return len(self.items)\r\n"),
        tags=("crlf",)))
    add(Case("crlf-write-file-lf-content", CS, [_w(CS.replace("\r\n", "\n").replace(
        '"Bye, "', '"Goodbye, "'))], CS.replace('"Bye, "', '"Goodbye, "'), path="Greeter.cs",
        tags=("crlf", "write")))
    add(Case("crlf-repeated-refused", CS, [_r("        {\n", "        { // open\n")], None,
        path="Greeter.cs", tags=("crlf", "repeated")))
    add(Case("crlf-insert-lines", PY_CRLF, [_r("import json\nfrom pathlib import Path\n",
        "import json\nimport os\nfrom pathlib import Path\n")],
        sub(PY_CRLF, "import json\r\n", "import json\r\nimport os\r\n"), tags=("crlf",)))

    # -- tabs vs spaces ----------------------------------------------------------------
    add(Case("tabs-spaces-loop", GO, [_r(
        "    for _, x := range xs {\n        total += x\n    }",
        "    for _, x := range xs {\n        if x > 0 {\n            total += x\n        }\n    }")],
        sub(GO, "\t\ttotal += x\n", "\t\tif x > 0 {\n\t\t\ttotal += x\n\t\t}\n"),
        path="main.go", tags=("tabs",)))
    add(Case("tabs-spaces-two-wide", GO, [_r(
        "  total := 0\n  for _, x := range xs {", "  total := 1\n  for _, x := range xs {")],
        sub(GO, "total := 0", "total := 1"), path="main.go", tags=("tabs",)))
    add(Case("tabs-spaces-func", GO, [_r(
        "func main() {\n    fmt.Println(sum([]int{1, 2, 3}))\n}",
        "func main() {\n    fmt.Println(sum([]int{4, 5, 6}))\n}")],
        sub(GO, "{1, 2, 3}", "{4, 5, 6}"), path="main.go", tags=("tabs",)))
    add(Case("tabs-spaces-add-line", GO, [_r(
        "        total += x\n    }\n    return total",
        "        total += x\n    }\n    fmt.Println(\"sum\", total)\n    return total")],
        sub(GO, "\t}\n\treturn total", "\t}\n\tfmt.Println(\"sum\", total)\n\treturn total"),
        path="main.go", tags=("tabs",)))
    add(Case("spaces-file-tab-search", PY, [_r(
        "\tdef total(self) -> int:\n\t\treturn sum(self.items.values())",
        "\tdef total(self) -> int:\n\t\treturn sum(self.items.values()) or 0")],
        sub(PY, "sum(self.items.values())\n", "sum(self.items.values()) or 0\n"),
        tags=("tabs",)))
    add(Case("tabs-structure-mismatch", GO, [_r(
        "    for _, x := range xs {\n    total += x\n    }", "    for range xs {\n    }")],
        None, path="main.go", tags=("tabs",)))

    # -- trailing whitespace -----------------------------------------------------------
    add(Case("trailing-file-has-spaces", JS, [_r(
        "function debounce(fn, ms) {\n  let timer = null;",
        "function debounce(fn, ms = 100) {\n  let timer = null;")],
        sub(JS, "function debounce(fn, ms) {   \n", "function debounce(fn, ms = 100) {\n"),
        path="debounce.js", tags=("trailing",)))
    add(Case("trailing-inner-line", JS, [_r(
        "  return (...args) => {\n    clearTimeout(timer);",
        "  return (...args) => {\n    if (timer) clearTimeout(timer);")],
        sub(JS, "  return (...args) => {  \n    clearTimeout(timer);",
            "  return (...args) => {\n    if (timer) clearTimeout(timer);"),
        path="debounce.js", tags=("trailing",)))
    add(Case("trailing-search-has-spaces", PY, [_r(
        "    def load(self) -> None:   \n        data = json.loads(self.path.read_text())",
        "    def load(self) -> None:\n        data = json.loads(self.path.read_text('utf-8'))")],
        sub(PY, "read_text())\n        for", "read_text('utf-8'))\n        for"),
        tags=("trailing",)))
    add(Case("trailing-exact-still-works", JS, [_r("    clearTimeout(timer);\n",
        "    clearTimeout(timer);\n    timer = null;\n")],
        sub(JS, "    clearTimeout(timer);\n", "    clearTimeout(timer);\n    timer = null;\n"),
        path="debounce.js", tags=("trailing",)))
    add(Case("trailing-crlf-combined", JS.replace("\n", "\r\n"), [_r(
        "function debounce(fn, ms) {\n  let timer = null;",
        "function debounce(fn, ms) {\n  let timer;")],
        sub(JS.replace("\n", "\r\n"), "function debounce(fn, ms) {   \r\n  let timer = null;",
            "function debounce(fn, ms) {\r\n  let timer;"),
        path="debounce.js", tags=("trailing", "crlf")))

    # -- repeated blocks: must be refused ----------------------------------------------
    repeated = [
        ("repeated-guard", "        if count <= 0:\n            raise ValueError(\"count must be positive\")\n"),
        ("repeated-short", "count: int = 1) -> None:"),
        ("repeated-self-items", "self.items[name]"),
        ("repeated-return-none", ") -> None:\n"),
        ("repeated-dedented-guard", "if count <= 0:\n    raise ValueError(\"count must be positive\")"),
        ("repeated-blank-line", "\n\n"),
    ]
    for name, search in repeated:
        add(Case(name, PY, [_r(search, "# changed\n")], None, tags=("repeated",)))
    add(Case("repeated-go-brace", GO, [_r("}\n", "} // end\n")], None, path="main.go",
        tags=("repeated",)))

    # -- Unicode ------------------------------------------------------------------------
    add(Case("unicode-cyrillic-value", RU, [_r('"До свидания, {name}."', '"Пока, {name}!"')],
        sub(RU, '"До свидания, {name}."', '"Пока, {name}!"'), path="messages.py",
        tags=("unicode",)))
    add(Case("unicode-after-emoji", RU, [_r('"Привет, {name}! 👋"', '"Здравствуйте, {name}! 👋"')],
        sub(RU, '"Привет, {name}! 👋"', '"Здравствуйте, {name}! 👋"'), path="messages.py",
        tags=("unicode",)))
    add(Case("unicode-edit-after-emoji-same-line", RU, [_r("{reason} ❌\",", "{reason} ⚠️\",")],
        sub(RU, "{reason} ❌", "{reason} ⚠️"), path="messages.py", tags=("unicode",)))
    add(Case("unicode-cjk", RU, [_r("你好，{name}。欢迎！", "您好，{name}。欢迎光临！")],
        sub(RU, "你好，{name}。欢迎！", "您好，{name}。欢迎光临！"), path="messages.py",
        tags=("unicode",)))
    add(Case("unicode-docstring-emoji", RU, [_r('"""Вернуть сообщение 📨 по ключу."""',
        '"""Вернуть сообщение 📨 по ключу (KeyError, если нет)."""')],
        sub(RU, "по ключу.", "по ключу (KeyError, если нет)."), path="messages.py",
        tags=("unicode",)))
    add(Case("unicode-partial-first-line", RU, [_r(
        '"zh": "你好，{name}。欢迎！",\n}', '"zh": "你好，{name}。欢迎！",\n"ja": "こんにちは 🎌",\n}')],
        sub(RU, '。欢迎！",\n}', '。欢迎！",\n"ja": "こんにちは 🎌",\n}'), path="messages.py",
        tags=("unicode", "partial")))
    add(Case("unicode-add-key", RU, [_r(
        '    "zh": "你好，{name}。欢迎！",\n}', '    "zh": "你好，{name}。欢迎！",\n    "ja": "こんにちは 🎌",\n}')],
        sub(RU, '。欢迎！",\n}', '。欢迎！",\n    "ja": "こんにちは 🎌",\n}'), path="messages.py",
        tags=("unicode",)))
    add(Case("unicode-write-file", RU, [_w(RU.replace("🚀", "🛰️").replace("return MESSAGES",
        "return MESSAGES.get"))], RU.replace("🚀", "🛰️").replace("return MESSAGES",
        "return MESSAGES.get"), path="messages.py", tags=("unicode", "write")))
    add(Case("unicode-crlf", RU.replace("\n", "\r\n"), [_r(
        '    "farewell": "До свидания, {name}.",\n    "error"',
        '    "farewell": "Счастливо, {name} 🙂",\n    "error"')],
        sub(RU.replace("\n", "\r\n"), "До свидания, {name}.", "Счастливо, {name} 🙂"),
        path="messages.py", tags=("unicode", "crlf")))

    # -- search text absent ----------------------------------------------------------------
    absent = [
        ("absent-renamed-method", PY, "def count(self) -> int:"),
        ("absent-hallucinated-line", PY, "        self.items = defaultdict(int)\n"),
        ("absent-wrong-quotes", PY, "raise ValueError('count must be positive')"),
        ("absent-paraphrase", CS, 'return "Hi, " + name;'),
        ("absent-empty-search", PY, ""),
        ("absent-wrong-unicode", RU, '"Привет, {name}! 👍"'),
        ("absent-go-typo", GO, "for _, x = range xs {"),
    ]
    for name, text, search in absent:
        add(Case(name, text, [_r(search, "x")], None, tags=("absent",)))

    # -- partial-line searches ---------------------------------------------------------------
    add(Case("partial-arg-default", PY, [_r("def add(self, name: str, count: int = 1)",
        "def add(self, name: str, count: int = 2)")],
        sub(PY, "add(self, name: str, count: int = 1)", "add(self, name: str, count: int = 2)"),
        tags=("partial",)))
    add(Case("partial-expression", PY, [_r("self.items.get(name, 0) - count",
        "max(self.items.get(name, 0) - count, 0)")],
        sub(PY, "self.items.get(name, 0) - count", "max(self.items.get(name, 0) - count, 0)"),
        tags=("partial",)))
    add(Case("partial-two-lines", PY, [_r("count)\n\n    def add",
        "count)\n\n    def add_item")], sub(PY, "def add(", "def add_item("), tags=("partial",)))
    add(Case("partial-ambiguous-token", PY, [_r("count", "n")], None, tags=("partial",)))
    add(Case("partial-js-arrow", JS, [_r("setTimeout(() => fn(...args), ms)",
        "setTimeout(fn, ms, ...args)")], sub(JS, "setTimeout(() => fn(...args), ms)",
        "setTimeout(fn, ms, ...args)"), path="debounce.js", tags=("partial",)))
    add(Case("partial-yaml-port", YAML, [_r('"80:80"', '"8080:80"')],
        sub(YAML, '"80:80"', '"8080:80"'), path="compose.yaml", tags=("partial",)))

    # -- dedented or over-indented search (indentation tier, spaces) -------------------------
    add(Case("dedent-method", PY, [_r(
        "def total(self) -> int:\n    return sum(self.items.values())",
        "def total(self) -> int:\n    if not self.items:\n        return 0\n"
        "    return sum(self.items.values())")],
        sub(PY, "    def total(self) -> int:\n", "    def total(self) -> int:\n"
            "        if not self.items:\n            return 0\n"), tags=("indent",)))
    add(Case("overindent-block", YAML, [_r(
        "      db:\n        image: postgres", "      db:\n        image: postgres:16\n"
        "        restart: always")],
        sub(YAML, "    image: postgres\n", "    image: postgres:16\n    restart: always\n"),
        path="compose.yaml", tags=("indent",)))
    add(Case("dedent-ambiguous", PY, [_r(
        "if count <= 0:\n    raise ValueError(\"count must be positive\")\n", "pass\n")], None,
        tags=("indent", "repeated")))

    # -- write_file ---------------------------------------------------------------------------------
    add(Case("write-small-change", PY, [_w(PY.replace("int(count)", "max(int(count), 0)"))],
        PY.replace("int(count)", "max(int(count), 0)"), tags=("write",)))
    add(Case("write-missing-final-newline", PY, [_w(PY.rstrip("\n").replace("total", "size"))],
        PY.replace("total", "size"), tags=("write",)))
    add(Case("write-keeps-no-final-newline", NO_FINAL_NEWLINE, [_w(
        "def main():\n    print('hello')\n\nmain()\n")],
        "def main():\n    print('hello')\n\nmain()", tags=("write",)))
    add(Case("write-identical", PY, [_w(PY)], PY, tags=("write",)))
    add(Case("write-reorder", YAML, [_w(
        "services:\n  db:\n    image: postgres\n    ports:\n      - \"5432:5432\"\n"
        "  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n")],
        "services:\n  db:\n    image: postgres\n    ports:\n      - \"5432:5432\"\n"
        "  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n", path="compose.yaml",
        tags=("write",)))
    add(Case("write-empty-file", PY, [_w("")], "", tags=("write",)))

    # -- open documents with unsaved text -----------------------------------------------------
    unsaved = sub(PY, "    def total(self) -> int:\n", "    def size(self) -> int:\n")
    add(Case("open-buffer-only-text", unsaved, [_r("def size(self) -> int:",
        "def size(self) -> int:  # noqa")], sub(unsaved, "size(self) -> int:",
        "size(self) -> int:  # noqa"), disk=PY, tags=("open",)))
    add(Case("open-disk-only-text-refused", unsaved, [_r("def total(self) -> int:", "x")],
        None, disk=PY, tags=("open", "absent")))
    add(Case("open-buffer-unicode", RU, [_r("Ошибка: {reason} ❌", "Сбой: {reason} ❌")],
        sub(RU, "Ошибка:", "Сбой:"), path="messages.py", disk=RU.replace("Ошибка", "Error"),
        tags=("open", "unicode")))

    # -- several calls ----------------------------------------------------------------------------
    add(Case("multi-two-replaces", PY, [
        _r("import json\n", "import json\nimport logging\n"),
        _r("        return sum(self.items.values())", "        return sum(self.items.values()) or 0"),
    ], sub(sub(PY, "import json\n", "import json\nimport logging\n"),
        "sum(self.items.values())", "sum(self.items.values()) or 0"), tags=("multi",)))
    add(Case("multi-second-sees-first", PY, [
        _r("def add(", "def add_item("),
        _r("def add_item(self", "def add_item(\n        self"),
    ], sub(PY, "def add(self", "def add_item(\n        self"), tags=("multi",)))
    add(Case("multi-write-then-replace", GO, [
        _w(GO.replace("{1, 2, 3}", "{1, 2}")),
        _r("    return total", "    return total + 0"),
    ], sub(GO.replace("{1, 2, 3}", "{1, 2}"), "\treturn total", "\treturn total + 0"),
        path="main.go", tags=("multi", "tabs")))
    add(Case("multi-second-refused", PY, [
        _r("import json\n", "import json\nimport os\n"),
        _r("import os\nimport os", "x"),
    ], None, tags=("multi", "absent")))
    add(Case("multi-emoji-lines", RU, [
        _r("🚀", "🚀🚀"),
        _r('"greeting": "Привет, {name}! 👋"', '"greeting": "Хай, {name}! 👋"'),
    ], sub(sub(RU, "🚀", "🚀🚀"), "Привет", "Хай"), path="messages.py",
        tags=("multi", "unicode")))
    return [_aim(case) for case in c]


def _aim(case: Case) -> Case:
    """Point calls written against the default ``f.py`` at the case's file."""
    calls = [
        (name, {**args, "uri": case.path} if args.get("uri") == "f.py" else args)
        for name, args in case.calls
    ]
    return replace(case, calls=calls)


CASES: list[Case] = _cases()
