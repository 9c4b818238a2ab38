"""Telling a chat model's English and echoed prompt apart from code (pure).

A small chat model asked for "the text at the cursor" often answers with a sentence
about the code ("The code is already correct."), echoes the prompt's own wrapper
(``<code>``) or instruction, or writes a comment where the user was in the middle of
an expression. None of that is a suggestion: ``postprocess`` drops it, because no
suggestion beats a wrong one. The rules here look only at code, with string
literals and comments masked out, so English inside a string or a comment is fine.
"""

from __future__ import annotations

import re

KEYWORDS: dict[str, frozenset[str]] = {
    "python": frozenset(
        "False None True and as assert async await break case class continue def del elif "
        "else except finally for from global if import in is lambda match nonlocal not or "
        "pass raise return try type while with yield print exec self cls".split()
    ),
    "javascript": frozenset(
        "abstract as async await break case catch class const continue debugger declare "
        "default delete do else enum export extends false finally for from function get if "
        "implements import in infer instanceof interface is keyof let module namespace new "
        "null of override package private protected public readonly return satisfies set "
        "static super switch this throw true try type typeof undefined unique var void while "
        "with yield asserts accessor global require".split()
    ),
    "go": frozenset(
        "break case chan const continue default defer else fallthrough for func go goto if "
        "import interface map package range return select struct switch type var nil true "
        "false iota make new len cap append".split()
    ),
    "rust": frozenset(
        "as async await break const continue crate dyn else enum extern false fn for if impl "
        "in let loop match mod move mut pub ref return self Self static struct super trait "
        "true type union unsafe use where while macro_rules".split()
    ),
    "lua": frozenset(
        "and break do else elseif end false for function goto if in local nil not or repeat "
        "return then true until while self".split()
    ),
}
for _alias, _base in (
    ("typescript", "javascript"),
    ("javascriptreact", "javascript"),
    ("typescriptreact", "javascript"),
):
    KEYWORDS[_alias] = KEYWORDS[_base]

_HASH_COMMENT = ("python", "ruby", "shellscript", "perl", "r", "yaml", "toml", "makefile")
_MARKUP = ("html", "xml", "markdown", "vue", "svelte", "javascriptreact", "typescriptreact", "php")
_TAG_LINE = re.compile(r"^[ \t]*(?:(?:</?(?:code|pre)\b[^>\n]*>?|<)[ \t]*)+$", re.M)
_TAG = re.compile(r"</?(?:code|pre)\b[^>\n]*>")
_FILE_LEVEL = {
    # Go: a named function or a method is declared at the top level only.
    "go": re.compile(r"\s*(?:package\s+\w+\s*$|import\b|func\s+[\w(])"),
    "javascript": re.compile(
        r"\s*(?:import\s*(?:type\s+)?(?:\{|\*|[\w$]+\s*(?:,|from\b))|import\s+[\"']|export\s)"
    ),
    "java": re.compile(r"\s*(?:package|import)\s+[\w.]+"),
}
for _alias in ("typescript", "javascriptreact", "typescriptreact"):
    _FILE_LEVEL[_alias] = _FILE_LEVEL["javascript"]
_EXPECTING_WORDS = frozenset(
    "package import return func def class local let const var fn use type export new await "
    "yield throw raise in of and or not if elif while for case function struct impl".split()
)
_ECHO = re.compile(
    r"Write the (?:rest of the current line|code that belongs)|no line break|"
    r"^\s*(?:Language|File|Indentation):\s|Enclosing scope \(|Recently edited files",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z']*+")
_SENTENCE = re.compile(r"^\s*[A-Z][a-z']+(?:,? [A-Za-z'-]+){3,}[.!?:]?\s*$")
_MARKDOWN = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,4}|\*\*)\s*[A-Za-z]+(?: [A-Za-z]+){2,}")
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?|`(?:\\.|[^`\\])*`?')
_COMMON = frozenset({"true", "false", "null", "nil", "none", "this", "super"})


def line_comment_marker(language_id: str) -> str:
    if language_id in _HASH_COMMENT:
        return "#"
    if language_id in ("lua", "sql", "haskell"):
        return "--"
    return "//"


def strip_prompt_echo(text: str, language_id: str) -> str:
    """``text`` without the prompt's ``<code>``/``<pre>`` wrapper or echoed instructions.

    Tag-only lines always go; a tag inside a line goes where it cannot be markup.
    """
    text = _TAG_LINE.sub("", text)
    if language_id not in _MARKUP:
        text = _TAG.sub("", text)
    kept = [line for line in text.split("\n") if not _ECHO.search(line)]
    return "\n".join(kept)


def file_level_only(line: str, language_id: str) -> bool:
    """Whether ``line`` may only stand at a file's top level (``package x``, an ``import``
    declaration): a model that restarts the file writes these anywhere."""
    pattern = _FILE_LEVEL.get(language_id)
    return bool(pattern and pattern.match(line))


_STATEMENT_START = re.compile(
    r"\s*(?:(?:const|let|var|import|export|package|def|return|local|use|struct|impl)\b"
    r"|(?:fn|func|function|class)\s+\w)"
)


def statement_in_expression(line_prefix: str, text: str) -> bool:
    """Whether ``text`` starts a statement or declaration where the typed line needs an
    expression (``x = `` + ``const y = 1``, ``f(`` + ``import os``)."""
    code = line_prefix.rstrip()
    return bool(code) and code[-1] in "([{,=:+-*/<>&|!%^~?" and bool(_STATEMENT_START.match(text))


def expects_code(line_prefix: str) -> bool:
    """Whether the typed part of the line still needs code after it (``package ``,
    ``x = ``, ``f(``): a comment there leaves the line broken."""
    code = line_prefix.rstrip()
    if not code:
        return False
    if code[-1] in "([{,=.:+-*/<>&|!%^~?":
        return True
    return code.split()[-1] in _EXPECTING_WORDS


def code_only(line: str, language_id: str) -> str:
    """``line`` with string literals and a trailing line comment replaced by ``§``.

    One line at a time (a string opened on an earlier line is not seen): good enough for
    the short answers of inline completion.
    """
    masked = mask_strings(line)
    start = comment_start(masked, language_id)
    if start is not None:
        masked = masked[:start] + "§" * (len(masked) - start)
    if language_id in ("javascript", "typescript", "go", "rust", "javascriptreact",
                       "typescriptreact", "java", "c", "cpp", "csharp"):
        masked = re.sub(r"/\*.*?(?:\*/|$)", lambda m: "§" * len(m.group(0)), masked)
    return masked


def mask_strings(line: str) -> str:
    """``line`` with each string literal (closed or not) replaced by ``§``."""
    return _STRING.sub(lambda m: "§" * len(m.group(0)), line)


def opens_string(line: str) -> bool:
    """Whether ``line`` leaves a string literal open at its end (it would swallow what follows)."""
    for match in _STRING.finditer(line):
        literal = match.group(0)
        if len(literal) == 1 or literal[-1] != literal[0] or literal.endswith("\\" + literal[0]):
            return True
    return False


def comment_start(line: str, language_id: str) -> int | None:
    """Where a line comment starts in ``line`` (strings already masked), or None."""
    marker = line_comment_marker(language_id)
    index = line.find(marker)
    if marker == "//" and index > 0 and line[index - 1] == ":":
        index = line.find(marker, index + 2)  # a URL's "://" in unquoted text is no comment
    return index if index >= 0 else None


def is_prose(line: str, language_id: str) -> bool:
    """Whether ``line`` reads as English rather than code of ``language_id``."""
    code = code_only(line, language_id).replace("§", " § ")
    if not code.strip():
        return False
    keywords = KEYWORDS.get(language_id, frozenset())
    if _MARKDOWN.match(code) and language_id not in ("python", "markdown"):
        return True
    streak, end = 0, -1
    for match in _WORD.finditer(code):  # words one space apart, in a row
        word = match.group(0)
        if end < 0 or match.start() != end + 1 or code[end] != " ":
            streak = 0
        streak = 0 if word in keywords or word.lower() in _COMMON else streak + 1
        if streak >= 3:
            return True
        end = match.end()
    if _SENTENCE.match(code):
        words = re.findall(r"[A-Za-z']+", code)
        return sum(w in keywords for w in words) * 2 < len(words)
    return False
