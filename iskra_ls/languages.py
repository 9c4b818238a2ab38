"""Per-language facts: one capability entry per language, syntax from tree-sitter grammars.

Every rule that depends on the language asks this table instead of keeping its own list:
which LSP language ids a language answers to, its comment syntax, how its blocks are
written (by indentation, braces or keywords such as ``end``/``fi``), which line endings
open a block, and the grammar wheel from PyPI that parses it. A language that is not in
the table gets :data:`PLAIN`: the language-neutral rules only, never a rejection that
needs to know the language.

Grammars load lazily, on the first parse in that language (a few ms each), so start-up
and memory stay those of a server that never parses; a grammar whose wheel is missing
or does not load leaves its language without one. Parsing works on bounded text only
(the callers pass windows of a few KB).

Issue 22 (context from other files) reuses :func:`grammar` / :func:`new_parser` for
its definition and import queries.
"""

from __future__ import annotations

import importlib
import logging
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter

log = logging.getLogger(__name__)

INDENT = "indent"
"""Blocks are lines indented deeper than their opener (Python, YAML, Makefile recipes)."""
BRACES = "braces"
"""Blocks are ``{ ... }`` (C family, JS, Go, Rust, CSS, ...)."""
KEYWORDS = "keywords"
"""Blocks end with a keyword line: ``end`` (Ruby, Lua), ``fi``/``done``/``esac`` (shell)."""
MARKUP = "markup"
"""Elements open and close with tags (HTML, XML)."""
PROSE = "prose"
"""The document is text (Markdown, plain text): every sentence is content."""


@dataclass(frozen=True)
class Language:
    """What iskra-ls knows about one language."""

    name: str
    ids: tuple[str, ...]
    """LSP language ids (and common aliases) that mean this language."""
    grammar_module: str = ""
    """The PyPI grammar wheel's module (``tree_sitter_python``); "" when none is used."""
    grammar_function: str = "language"
    line_comments: tuple[str, ...] = ()
    block_style: str = BRACES
    opener: str = r"[{(\[]$"
    """A regex that matches the end of a line's code when the line opens a block."""
    opener_line: str = ""
    """A regex that matches the start of a line that opens a block (``class``, ``#ifdef``)."""
    flat_opener_line: str = ""
    """Lines that open a block whose body stays at their own column (``#ifdef``)."""
    flat_opener: str = r",$"
    """A line end after which the next line continues at the same level (``a,``)."""
    closers: tuple[str, ...] = ("}",)
    """Words or symbols a line may consist of to close a block."""
    backticks_are_code: bool = True
    """Whether a reply wrapped in single backticks may be code (JS templates, shell)."""
    body_needs_opener: bool = False
    """An indented line needs a line above that opens a block (Python)."""
    top_level_only: tuple[str, ...] = ()
    """Grammar node types that stand only at a file's top level (``package``, ``import``):
    a model that restarts the file writes them anywhere."""
    tabs_are_syntax: bool = False
    """Whether a tab and spaces mean different things at a line start (a Makefile's tab
    starts a recipe): an answer's indentation is kept as written, never converted."""
    steps_are_syntax: bool = False
    """Whether an indentation step carries meaning beyond its level (YAML: a key two
    columns right of a ``- `` is in the item, four columns right in its value): a block
    may move as a whole, its steps are never converted to the document's unit."""
    tags_are_code: bool = False
    """Whether ``<code>``/``<pre>`` tags may belong in the text (HTML, JSX, PHP, Markdown)."""
    file_head: tuple[str, ...] = ()
    """Grammar node types that only open a file (Go's ``package``): after any other code,
    even where a broken line lets the parser put them at the top level, a restart."""
    code_tag: str = ""
    """What opens code in a file that starts as text (PHP's ``<?php``, with a line break)."""
    value_lists: tuple[str, ...] = ()
    """Grammar node types whose items are short values, never sentences (YAML's flow
    ``[a, b]`` and ``{k: v}``): English there is no item, though the grammar accepts it."""
    template_tags: str = ""
    """Pattern of the template tags the grammar does not read (Django's ``{% %}``): the
    syntax filter parses the text with them blanked to plain text of the same length."""
    long_texts: tuple[tuple[str, str], ...] = (("/*", "*/"),)
    """(opener, closer) of the comments and strings that run over lines: a file typed from
    its top leaves the one being written open, and the cursor in it is in prose."""
    _patterns: dict[str, re.Pattern[str]] = field(default_factory=dict, compare=False,
                                                  repr=False)

    @property
    def has_grammar(self) -> bool:
        return grammar(self) is not None

    @property
    def is_prose(self) -> bool:
        """The whole document is text: prose is what belongs at the cursor."""
        return self.block_style == PROSE

    def pattern(self, name: str) -> re.Pattern[str] | None:
        source: str = getattr(self, name)
        if not source:
            return None
        if name not in self._patterns:
            self._patterns[name] = re.compile(source)
        return self._patterns[name]

    def code_part(self, line: str) -> str:
        """``line`` without a trailing line comment of this language, right-stripped."""
        cut = len(line)
        for marker in self.line_comments:
            pos = line.find(marker)
            while pos > 0 and not line[pos - 1].isspace() and line[pos - 1] not in ")]|;":
                # ``a#b``, ``http://``, ``${#x}``: no comment; ``{|x|# note``, ``f()// x``: one
                pos = line.find(marker, pos + 1)
            if pos == 0 or pos > 0:
                cut = min(cut, pos)
        return line[:cut].rstrip()

    def opens_block(self, line: str) -> bool:
        """Whether ``line`` (a whole line, or the part before the cursor) opens a block."""
        code = self.code_part(line)
        if not code.strip():
            return False
        if line.endswith((" ", "\t")):
            return code.endswith(("{", "(", "["))  # ``key: ``, ``#if X ``: still being written
        end, start = self.pattern("opener"), self.pattern("opener_line")
        flat, flat_end = self.pattern("flat_opener_line"), self.pattern("flat_opener")
        return bool(
            (end and end.search(code))
            or (start and start.match(code))
            or (flat and flat.match(code))
            or (flat_end and flat_end.search(code))
        )

    def closes_block(self, line: str) -> bool:
        """Whether ``line`` starts by closing a block (``}``, ``end``, ``fi``): such a line
        stands at its opener's column, not in the body."""
        code = line.strip()
        return any(code.startswith(closer) and not (
            closer[-1:].isalnum() and code[len(closer):len(closer) + 1].isalnum()
        ) for closer in self.closers)

    def opens_indented_block(self, line: str) -> bool:
        """Whether ``line`` opens a block whose body is one level deeper."""
        return self.opens_block(line) and self.indents_body(line)

    def indents_body(self, line: str) -> bool:
        """Whether the block ``line`` opens has its body one level deeper (not ``#ifdef``,
        nor in text, where a paragraph goes on at its own indentation)."""
        if self.is_prose:
            return False
        code = self.code_part(line)
        flat, flat_end = self.pattern("flat_opener_line"), self.pattern("flat_opener")
        return not ((flat and flat.match(code)) or (flat_end and flat_end.search(code)))


_C_COMMENTS = ("//",)
_BLOCK_COMMENTS = (("/*", "*/"),)
_TRIPLE_QUOTES = (("\"\"\"", "\"\"\""), ("'''", "'''"))
_BACKTICKS = (*_BLOCK_COMMENTS, ("`", "`"))
"""JavaScript templates and Go raw strings run over lines."""
_KT_TEXTS = (*_BLOCK_COMMENTS, _TRIPLE_QUOTES[0])
_ES_MODULE = ("import_statement", "export_statement")
_BLOCK_COMMENT = r"|/\*+"
"""A line that ends by opening a block comment: its text follows on the next lines."""
_PREPROCESSOR = r"\s*#\s*(?:if|ifdef|ifndef|elif|else)\b"
_C_HEADER = (
    r"\s*(?:}\s*)?(?:(?:else\s+)?if|for|foreach|while|switch)\s*\(.*\)\s*$"
    r"|\s*(?:}\s*)?else\s*$|\s*do\s*$"
)
"""A C-family control header without a brace: its body is the next line."""
_PYTHON_HEADER = (
    r"\s*(?:(?:async\s+)?(?:def|for|with)|class|if|elif|else|while|try|except|finally"
    r"|match|case)\b.*:$"
)

_BRACES = r"(?:[{(\[]" + _BLOCK_COMMENT + r")$"
_BRACES_ARROW = r"(?:[{(\[]|=>" + _BLOCK_COMMENT + r")$"
_BRACES_LAMBDA = r"(?:[{(\[]|->" + _BLOCK_COMMENT + r")$"
_PYTHON_OPENER = r"(?:[(\[{]|\)\s*(?:->[^:]*)?:)$"
_PYTHON_DOCSTRING = r"\s*[rbuf]*(?:\"\"\"|\'\'\')$"
"""Quotes alone on a line: a docstring's text follows at their own column (the same
line closes one too, and the code after it stays at that column)."""
_RUBY_HEADER = (
    r"\s*(?:(?:private|protected|public)\s+)?(?:class|module|def|if|unless|while|until"
    r"|case|begin|for|else|elsif|when|rescue|ensure)\b"
)

LANGUAGES: tuple[Language, ...] = (
    Language("python", ("python", "py", "python3"), "tree_sitter_python",
             line_comments=("#",), block_style=INDENT, opener=_PYTHON_OPENER,
             opener_line=_PYTHON_HEADER, flat_opener_line=_PYTHON_DOCSTRING, closers=(),
             backticks_are_code=False, body_needs_opener=True, long_texts=_TRIPLE_QUOTES),
    Language("javascript", ("javascript", "javascriptreact", "js", "jsx", "vue", "svelte"),
             "tree_sitter_javascript", line_comments=_C_COMMENTS, opener=_BRACES_ARROW,
             opener_line=_C_HEADER, top_level_only=_ES_MODULE, tags_are_code=True,
             long_texts=_BACKTICKS),
    Language("typescript", ("typescript", "ts"), "tree_sitter_typescript",
             "language_typescript", line_comments=_C_COMMENTS, opener=_BRACES_ARROW,
             opener_line=_C_HEADER, top_level_only=_ES_MODULE, long_texts=_BACKTICKS),
    Language("tsx", ("typescriptreact", "tsx"), "tree_sitter_typescript", "language_tsx",
             line_comments=_C_COMMENTS, opener=_BRACES_ARROW, opener_line=_C_HEADER,
             top_level_only=_ES_MODULE, tags_are_code=True, long_texts=_BACKTICKS),
    Language("java", ("java",), "tree_sitter_java", line_comments=_C_COMMENTS,
             opener=_BRACES_LAMBDA, opener_line=_C_HEADER,
             top_level_only=("package_declaration", "import_declaration"),
             file_head=("package_declaration",), backticks_are_code=False),
    Language("c", ("c", "objective-c"), "tree_sitter_c", line_comments=_C_COMMENTS,
             opener=_BRACES, opener_line=_C_HEADER, flat_opener_line=_PREPROCESSOR,
             backticks_are_code=False),
    Language("cpp", ("cpp", "c++", "cuda-cpp", "objective-cpp"), "tree_sitter_cpp",
             line_comments=_C_COMMENTS, opener=_BRACES, opener_line=_C_HEADER,
             flat_opener_line=_PREPROCESSOR, backticks_are_code=False),
    Language("csharp", ("csharp", "cs", "c#"), "tree_sitter_c_sharp",
             line_comments=_C_COMMENTS, opener=_BRACES_ARROW, opener_line=_C_HEADER,
             flat_opener_line=_PREPROCESSOR, backticks_are_code=False),
    Language("go", ("go",), "tree_sitter_go", line_comments=_C_COMMENTS, opener=_BRACES,
             top_level_only=("package_clause", "import_declaration", "function_declaration",
                             "method_declaration"), file_head=("package_clause",),
             long_texts=_BACKTICKS),
    Language("rust", ("rust", "rs"), "tree_sitter_rust", line_comments=_C_COMMENTS,
             opener=_BRACES_ARROW, backticks_are_code=False),
    Language("kotlin", ("kotlin", "kt"), "tree_sitter_kotlin", line_comments=_C_COMMENTS,
             opener=_BRACES_LAMBDA, long_texts=_KT_TEXTS),
    Language("swift", ("swift",), "tree_sitter_swift", line_comments=_C_COMMENTS,
             opener=r"(?:[{(\[]|in)$", backticks_are_code=False, long_texts=_KT_TEXTS),
    Language("scala", ("scala", "sc"), "tree_sitter_scala", line_comments=_C_COMMENTS,
             opener=r"(?:[{(\[]|=>|=|:)$", long_texts=_KT_TEXTS),
    Language("php", ("php",), "tree_sitter_php", "language_php",
             line_comments=("//", "#"), opener=r"(?:[{(\[]|=>|:)$", opener_line=_C_HEADER,
             backticks_are_code=False, tags_are_code=True, code_tag="<?php\n"),
    Language("ruby", ("ruby", "rb"), "tree_sitter_ruby", line_comments=("#",),
             block_style=KEYWORDS,
             opener=r"(?:[{(\[]|\{\s*\|[^|]*\||\bdo(?:\s*\|[^|]*\|)?|\bthen)$",
             opener_line=_RUBY_HEADER, closers=("end", "}"), backticks_are_code=False,
             long_texts=(("=begin", "=end"),)),
    Language("lua", ("lua",), "tree_sitter_lua", line_comments=("--",), block_style=KEYWORDS,
             opener=r"(?:[{(\[]|\bthen|\bdo|\belse|\brepeat|\bfunction\b[^{}]*\))$",
             closers=("end", "}", "until"), long_texts=(("--[[", "]]"),)),
    Language("shellscript", ("shellscript", "sh", "bash", "zsh", "shell"), "tree_sitter_bash",
             line_comments=("#",), block_style=KEYWORDS,
             opener=r"(?:[{(]|\bthen|\bdo|\belse|\bin|^[^()]*\))$",
             closers=("fi", "done", "esac", "}", ";;"), long_texts=()),
    Language("perl", ("perl", "pl"), "tree_sitter_perl", line_comments=("#",),
             opener_line=_C_HEADER, long_texts=()),
    # SQL has no grammar here: tree-sitter-sql misreads real PostgreSQL files (dialect, psql
    # meta-commands); with it the ground-truth bench kept 58 % of right answers, without 83 %.
    Language("sql", ("sql", "pgsql", "plsql", "mysql"),
             line_comments=("--",), block_style=KEYWORDS,
             opener=r"(?i:[(]|\bbegin|\bthen|\bloop|\bdeclare|\$\w*\$)$",
             closers=("end", "END", ")"), backticks_are_code=False, long_texts=()),
    Language("css", ("css", "scss", "less"), "tree_sitter_css", opener=r"[{(\[]$",
             backticks_are_code=False),
    Language("html", ("html", "xml", "xhtml", "django-html", "jinja-html", "htmldjango"),
             "tree_sitter_html", block_style=MARKUP,
             opener=r"<(?![/!?])[^<>]*(?<!/)>$|\{%-?\s*(?:if|for|block|with)\b[^%]*%\}$",
             closers=(), tags_are_code=True, long_texts=(("<!--", "-->"),),
             template_tags=r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}"),
    Language("json", ("json", "jsonc", "json5"), "tree_sitter_json", opener=r"[{\[]$",
             backticks_are_code=False, long_texts=()),
    Language("yaml", ("yaml", "yml"), "tree_sitter_yaml", line_comments=("#",),
             block_style=INDENT, opener=r"(?:^\s*-|:|[|>][-+]?\d*)$", closers=(),
             backticks_are_code=False, value_lists=("flow_sequence", "flow_mapping"),
             long_texts=(), steps_are_syntax=True),
    Language("toml", ("toml",), "tree_sitter_toml", line_comments=("#",),
             opener=r"[{\[]$", backticks_are_code=False, long_texts=_TRIPLE_QUOTES),
    Language("makefile", ("makefile", "make"), "tree_sitter_make", line_comments=("#",),
             block_style=INDENT, opener=r"^[^\t#=:]+:(?![=:])[^=]*$|\\$",
             flat_opener_line=r"\s*(?:ifeq|ifneq|ifdef|ifndef|else|define)\b", closers=(),
             long_texts=(), tabs_are_syntax=True),
    Language("markdown", ("markdown", "md", "mdx"), block_style=PROSE, opener="$^",
             closers=(), tags_are_code=True, long_texts=()),
    Language("plaintext", ("plaintext", "text", "txt", "restructuredtext", "latex", "tex"),
             block_style=PROSE, opener="$^", closers=(), long_texts=()),
)

PLAIN = Language("unknown", (), line_comments=(), opener=r"[{(\[]$", closers=("}",))
"""The entry for a language the table does not know: language-neutral rules only."""

_BY_ID = {language_id: entry for entry in LANGUAGES for language_id in entry.ids}


def language_for(language_id: str) -> Language:
    """The capability entry for an LSP language id (:data:`PLAIN` when unknown)."""
    return _BY_ID.get(language_id.lower(), PLAIN)


@cache
def grammar(entry: Language) -> tree_sitter.Language | None:
    """The tree-sitter language object of ``entry``, loaded on first use; None without one."""
    if not entry.grammar_module:
        return None
    try:
        import tree_sitter

        module = importlib.import_module(entry.grammar_module)
        with warnings.catch_warnings():  # an older wheel hands the pointer over as an int
            warnings.simplefilter("ignore", DeprecationWarning)
            return tree_sitter.Language(getattr(module, entry.grammar_function)())
    except Exception as error:  # a missing or incompatible wheel: no grammar, no rejection
        log.warning("no %s grammar (%s): language-neutral rules only", entry.name, error)
        return None


def grammar_modules() -> list[str]:
    """The grammar wheels' modules the table uses (a freezer must bundle each of them)."""
    return sorted({entry.grammar_module for entry in LANGUAGES if entry.grammar_module})


def new_parser(language_id: str) -> tree_sitter.Parser | None:
    """A fresh parser for ``language_id`` (parsers are not shared between threads)."""
    found = grammar(language_for(language_id))
    if found is None:
        return None
    import tree_sitter

    return tree_sitter.Parser(found)
