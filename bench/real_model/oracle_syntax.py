"""The oracle's own table of languages: what is comment, string, keyword and block in each.

Written for the real-model corpus's oracle (``invariants.py``), apart from iskra-ls's
post-processor (which reads code with tree-sitter grammars): a second reading that shares
nothing with the first, so the corpus test does not grade the post-processor by its own
rules. Each row says only what the oracle needs:

- how to mask strings and comments (``oracle_lexer.py`` reads ``lexer``, the comment and
  quote fields);
- what prose means there (``prose``): ``code`` (English outside strings and comments is
  prose: a run of three plain words that are not keywords), ``commands`` (the code itself is
  words, as in shell or Makefiles: only a line that reads as an English sentence is prose),
  ``content`` (Markdown, HTML text: prose is what the file holds, never a violation);
- how blocks open and close (brackets, keywords such as ``end``/``fi``/``done``, tags,
  indentation), so the oracle sees a suggestion leave its block;
- which lines are comments, for the case cutter (``cases.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_C_TYPES = (
    "auto bool break case char const continue default do double else enum extern float for "
    "goto if inline int long register restrict return short signed sizeof static struct "
    "switch typedef union unsigned void volatile while NULL true false size_t ssize_t "
    "uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t int64_t uintptr_t intptr_t "
    "defined include define ifdef ifndef endif undef elif pragma _Bool _Atomic _Noreturn "
    "_Thread_local _Static_assert _Alignas _Alignof _Generic"
)
_CPP = (
    "alignas alignof and and_eq asm bitand bitor catch class compl concept consteval constexpr "
    "constinit const_cast co_await co_return co_yield decltype delete dynamic_cast explicit "
    "export friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private "
    "protected public reinterpret_cast requires static_assert static_cast template this "
    "thread_local throw try typeid typename using virtual wchar_t xor xor_eq override final "
    "std"
)
_JAVA = (
    "abstract assert boolean break byte case catch char class const continue default do double "
    "else enum extends final finally float for goto if implements import instanceof int "
    "interface long native new package private protected public return short static strictfp "
    "super switch synchronized this throw throws transient try void volatile while var record "
    "sealed permits yield non true false null"
)
_JS = (
    "abstract as async await break case catch class const continue debugger declare default "
    "delete do else enum export extends false finally for from function get if implements "
    "import in infer instanceof interface is keyof let module namespace new null of override "
    "package private protected public readonly return satisfies set static super switch this "
    "throw true try type typeof undefined unique var void while with yield asserts accessor "
    "global require"
)
_PHP = (
    "abstract and array as break callable case catch class clone const continue declare "
    "default do echo else elseif empty enddeclare endfor endforeach endif endswitch endwhile "
    "enum extends final finally fn for foreach function global goto if implements include "
    "include_once instanceof insteadof interface isset list match namespace new or print "
    "private protected public readonly require require_once return static switch throw trait "
    "try unset use var while xor yield from true false null self parent int string bool "
    "float void mixed never iterable object"
)
_RUBY = (
    "BEGIN END alias and begin break case class def defined do else elsif end ensure false for "
    "if in module next nil not or redo rescue retry return self super then true undef unless "
    "until when while yield require require_relative include extend prepend attr_reader "
    "attr_writer attr_accessor private protected public module_function raise loop lambda proc "
    "puts print p new freeze private_constant alias_method define_method"
)
_PERL = (
    "my our local sub package use no require return if unless else elsif while until for "
    "foreach do last next redo goto and or not xor eq ne lt gt le ge cmp defined undef ref "
    "scalar wantarray shift unshift push pop splice keys values each exists delete die warn "
    "print printf sprintf join split map grep sort reverse open close binmode bless qw qq q m "
    "s tr y local croak carp confess BEGIN END DESTROY AUTOLOAD STDIN STDOUT STDERR chomp "
    "chop length substr index lc uc lcfirst ucfirst eval caller exit wait chdir mkdir rmdir "
    "unlink rename opendir readdir closedir stat lstat vars strict warnings constant base "
    "parent lib utf8 else"
)
_SHELL = (
    "if then else elif fi case esac for select while until do done in function time return "
    "local export readonly declare typeset unset shift break continue exit eval exec set "
    "echo printf read test true false source"
)
_SQL = (
    "select from where and or not null is in as on join left right inner outer full cross "
    "natural using group by order having limit offset union all distinct insert into values "
    "update set delete create replace drop alter table view index sequence function procedure "
    "trigger returns return returning language immutable stable volatile strict security "
    "definer invoker leakproof parallel safe unsafe restricted cost rows called input begin "
    "end declare if then else elsif case when loop while for foreach exit continue raise "
    "exception notice perform execute do grant revoke to public usage with without time zone "
    "default primary key foreign references unique check constraint cascade restrict type "
    "schema extension comment cast like ilike between exists any some array setof record "
    "trigger before after each row statement instead of for out inout variadic operator "
    "class family storage support aggregate owner by asc desc nulls first last only "
    "int integer bigint smallint text varchar char character varying boolean bool numeric "
    "decimal real double precision float date timestamp timestamptz interval oid regclass "
    "regproc bytea json jsonb void anyelement internal cstring true false c sql plpgsql "
    "search_path pg_catalog current_user session_user lateral window over partition "
    "materialized recursive temporary temp unlogged global local add column rename owner "
    "enable disable no maxvalue minvalue start increment cache cycle collate conflict "
    "nothing"
)
_CSS = (
    "auto none inherit initial unset revert solid dashed dotted double hidden visible block "
    "inline flex grid table absolute relative fixed sticky static normal bold bolder lighter "
    "italic left right center top bottom middle baseline transparent currentColor important "
    "and not only screen print all or from to linear ease in out infinite alternate both "
    "forwards backwards nowrap wrap pre underline uppercase lowercase capitalize pointer "
    "default scroll contain cover repeat space round no border box content padding sans serif "
    "monospace system ui emoji var calc min max clamp rgb rgba hsl hsla url span start end "
    "stretch row column dense reverse horizontal vertical break word keep anywhere "
    "ellipsis clip collapse separate outside inside disc decimal square circle smooth thin "
    "medium thick text large small larger smaller x y fill stroke optimizeLegibility "
    "antialiased grayscale subpixel geometricPrecision"
)


@dataclass(frozen=True)
class Syntax:
    """How the oracle reads one language."""

    lexer: str = "c"
    """Which masking rules ``oracle_lexer`` applies (``c``, ``python``, ``shell``, ...)."""
    line_comments: tuple[str, ...] = ()
    block_comments: tuple[tuple[str, str], ...] = ()
    quotes: str = "\"'"
    multiline_quotes: str = ""
    """Quote characters whose strings may span lines."""
    keywords: frozenset[str] = frozenset()
    keywords_fold_case: bool = False
    prose: str = "code"
    """``code`` | ``commands`` | ``content``: see the module docstring."""
    block_brackets: str = "{"
    """The brackets that open and close blocks (``{`` in C, ``(`` in SQL, none in Python)."""
    block_open: re.Pattern[str] | None = None
    """Keywords that open a block whose end is a keyword (``block_close``)."""
    block_close: re.Pattern[str] | None = None
    closer_line: re.Pattern[str] = re.compile(r"[)\]}][)\]};,]*")
    """A line that only closes the block (kept by the cutter, allowed one level out)."""
    opener_line: re.Pattern[str] = re.compile(r".*\{")
    """A line (without trailing comment) after which an indented block follows."""
    comment_line: tuple[str, ...] = ("//", "/*", "*")
    """Line starts the case cutter takes for comments (besides the lexer's mask)."""
    decorators: bool = False
    """``@`` starts an annotation line (skipped by the cutter)."""
    indentation_is_syntax: bool = False
    """Python, YAML: the block ends where the indentation drops."""
    flat_opener: re.Pattern[str] | None = None
    """Openers whose block is not indented (a TOML table, a Markdown paragraph or list)."""
    section_line: re.Pattern[str] | None = None
    """A line that starts the next section (a TOML table): a block asked for after one
    ends before the next."""
    layout_free: bool = False
    """Indentation proves nothing (Makefiles: tabs for recipes, anything elsewhere; HTML
    templates nest without indenting)."""
    free_steps: bool = False
    """YAML: a block may be indented by any amount, deeper than its key; tabs are errors."""
    terminated: bool = False
    """Statements end with ``;``: a line after one that does not end a statement (or open
    or close a block) continues it and may be indented freely."""
    extensions: tuple[str, ...] = ()
    named_files: tuple[str, ...] = field(default=())
    """File names that need no extension to say the language (``Makefile``)."""


def _kw(*parts: str) -> frozenset[str]:
    return frozenset(word for part in parts for word in part.split())


_PY = _kw(
    "False None True and as assert async await break case class continue def del elif else "
    "except finally for from global if import in is lambda match nonlocal not or pass raise "
    "return try type while with yield print exec"
)
_GO = _kw(
    "break case chan const continue default defer else fallthrough for func go goto if import "
    "interface map package range return select struct switch type var nil true false iota "
    "make new len cap append"
)
_RUST = _kw(
    "as async await break const continue crate dyn else enum extern false fn for if impl in "
    "let loop match mod move mut pub ref return self Self static struct super trait true type "
    "union unsafe use where while macro_rules"
)
_LUA = _kw(
    "and break do else elseif end false for function goto if in local nil not or repeat "
    "return then true until while"
)


def _braces(lexer: str, keywords: frozenset[str], **more: Any) -> Syntax:
    """A language with C's comments and braced blocks."""
    return Syntax(lexer=lexer, line_comments=("//",), block_comments=(("/*", "*/"),),
                  keywords=keywords, **more)

_LUA_OPEN = re.compile(r"\b(?:function|do|if|repeat)\b")
_LUA_CLOSE = re.compile(r"\b(?:end|until)\b")
_RUBY_OPEN = re.compile(
    r"^\s*(?:def|class|module|if|unless|while|until|case|begin|for)\b(?!.*\bend\s*$)"
    r"|(?:=|\|\||&&|\breturn)\s*(?:if|unless|case|begin|while)\b"
    r"|\bdo\b(?:\s*\|[^|]*\|)?\s*$"
)
_RUBY_CLOSE = re.compile(r"(?:^|;)\s*end\b")
_SHELL_OPEN = re.compile(r"(?:^|[;&|({]|\bthen|\bdo|\belse)\s*(?:if|case)\b|\bdo\s*$|\bdo\s+\S")
_SHELL_CLOSE = re.compile(r"\b(?:fi|esac|done)\b")
_MAKE_OPEN = re.compile(r"^\s*(?:ifeq|ifneq|ifdef|ifndef|define)\b")
_MAKE_CLOSE = re.compile(r"^\s*(?:endif|endef)\b")

LANGUAGES: dict[str, Syntax] = {
    "python": Syntax(
        lexer="python", line_comments=("#",), keywords=_PY, block_brackets="",
        indentation_is_syntax=True, opener_line=re.compile(
            r"\s*(?:def|class|if|for|while|with|try|else|elif|except|finally|async|match|case)"
            r"\b.*:"),
        comment_line=("#",), decorators=True, extensions=("py",),
    ),
    "javascript": _braces("js", _kw(_JS), multiline_quotes="`", decorators=True,
                          extensions=("js", "mjs", "cjs")),
    "typescript": _braces("js", _kw(_JS), multiline_quotes="`", decorators=True,
                          extensions=("ts",)),
    "go": _braces("c", _GO, multiline_quotes="`", extensions=("go",)),
    "rust": _braces("rust", _RUST, multiline_quotes='"', extensions=("rs",)),
    "lua": Syntax(
        lexer="lua", line_comments=("--",), keywords=_LUA, block_brackets="",
        block_open=_LUA_OPEN, block_close=_LUA_CLOSE,
        closer_line=re.compile(r"[)\]}][)\]};,]*|end[),;]*|until\b.*"),
        opener_line=re.compile(r".*(?:\bthen|\bdo|^\s*(?:local\s+)?function\b.*\))"),
        comment_line=("--",), extensions=("lua",),
    ),
    "c": _braces("cpp", _kw(_C_TYPES), terminated=True, extensions=("c", "h")),
    "cpp": _braces("cpp", _kw(_C_TYPES, _CPP), terminated=True,
                   extensions=("cpp", "cc", "h", "hpp", "tcc")),
    "java": _braces("java", _kw(_JAVA), decorators=True, terminated=True,
                    extensions=("java",)),
    "php": Syntax(lexer="php", line_comments=("//", "#"), block_comments=(("/*", "*/"),),
                  multiline_quotes="\"'", keywords=_kw(_PHP), keywords_fold_case=True,
                  terminated=True,
                  comment_line=("//", "/*", "*", "#"), extensions=("php",)),
    "ruby": Syntax(
        lexer="ruby", line_comments=("#",), multiline_quotes="\"'`", keywords=_kw(_RUBY),
        block_open=_RUBY_OPEN, block_close=_RUBY_CLOSE,
        closer_line=re.compile(r"[)\]}][)\]};,]*|end\b[).,;\w ]*"),
        opener_line=re.compile(
            r"\s*(?:def|class|module|if|unless|while|until|case|begin|for)\b"
            r"|.*\bdo(?:\s*\|[^|]*\|)?$|.*\{(?:\s*\|[^|]*\|)?$"),
        comment_line=("#",), extensions=("rb",),
    ),
    "perl": Syntax(lexer="perl", line_comments=("#",), multiline_quotes="\"'",
                   keywords=_kw(_PERL), comment_line=("#", "="), terminated=True,
                   extensions=("pm", "pl")),
    "shellscript": Syntax(
        lexer="shell", line_comments=("#",), multiline_quotes="\"'", keywords=_kw(_SHELL),
        prose="commands", block_open=_SHELL_OPEN, block_close=_SHELL_CLOSE,
        closer_line=re.compile(r"(?:[)\]}][)\]};,]*|fi|done|esac|;;)\s*(?:[;|&<>].*)?"),
        opener_line=re.compile(r".*(?:\bthen|\bdo|\{|\bin|\belse)"),
        comment_line=("#",), extensions=("sh", "bash"),
    ),
    "makefile": Syntax(
        lexer="make", line_comments=("#",), quotes="", keywords=frozenset(),
        prose="commands", block_brackets="", block_open=_MAKE_OPEN, block_close=_MAKE_CLOSE,
        closer_line=re.compile(r"endif|endef"),
        opener_line=re.compile(r"(?:[^\s=:#]+(?:\s+[^\s=:#]+)*\s*::?(?!=)[^=]*"
                               r"|\s*(?:ifeq|ifneq|ifdef|ifndef|define|else)\b.*)"),
        comment_line=("#",), extensions=("mk",), named_files=("Makefile", "GNUmakefile"),
        layout_free=True,
    ),
    "sql": Syntax(
        lexer="sql", line_comments=("--",), block_comments=(("/*", "*/"),), quotes="'\"",
        multiline_quotes="'\"", keywords=_kw(_SQL), keywords_fold_case=True,
        block_brackets="", closer_line=re.compile(r"[)\]}][)\]};,]*|end\b.*", re.I),
        opener_line=re.compile(r".*(?:\(|\bbegin|\bthen|\bloop|\$\$)", re.I),
        comment_line=("--", "/*", "*"), extensions=("sql",),
    ),
    "markdown": Syntax(lexer="markdown", quotes="", prose="content", block_brackets="",
                       closer_line=re.compile(r"(?:```|~~~)\s*"),
                       opener_line=re.compile(r"\s*(?:```|~~~)[\w+-]*\s*|.*\S:"),
                       flat_opener=re.compile(r".*"),
                       comment_line=(), extensions=("md",)),
    "yaml": Syntax(lexer="yaml", line_comments=("#",), block_brackets="", free_steps=True,
                   indentation_is_syntax=True, closer_line=re.compile(r"[)\]}][)\]};,]*"),
                   opener_line=re.compile(r"\s*(?:- )?[^\s#'\"][^#]*:|\s*-"),
                   comment_line=("#",), extensions=("yml", "yaml")),
    "json": Syntax(lexer="json", quotes='"', keywords=_kw("true false null"), block_brackets="[{",
                   line_comments=("//",), block_comments=(("/*", "*/"),),
                   opener_line=re.compile(r".*[{\[]"), comment_line=(), extensions=("json",)),
    "toml": Syntax(lexer="toml", line_comments=("#",), block_brackets="[{",
                   keywords=_kw("true false inf nan"),
                   opener_line=re.compile(r"\s*\[\[?[^\]]+\]\]?|.*[\[{]"),
                   flat_opener=re.compile(r"\s*\[\[?[^\]]+\]\]?"),
                   section_line=re.compile(r"\s*\[\[?[^\]]+\]\]?\s*(?:#.*)?"),
                   comment_line=("#",), extensions=("toml",)),
    "html": Syntax(lexer="html", quotes="", prose="content", block_brackets="", layout_free=True,
                   closer_line=re.compile(r"(?:</[\w-]+>|\{%-?\s*end\w*[^%]*%\})+"),
                   opener_line=re.compile(r".*(?:<(?!/|!|br\b|img\b|input\b|meta\b|link\b|hr\b)"
                                          r"[\w-]+[^<>]*(?<!/)>|\{%-?\s*(?:block|if|for|with"
                                          r"|blocktranslate|filter|spaceless|autoescape)\b[^%]*%\})"),
                   comment_line=("<!--",), extensions=("html",)),
    "css": Syntax(lexer="css", block_comments=(("/*", "*/"),), keywords=_kw(_CSS),
                  comment_line=("/*", "*"), extensions=("css",)),
}
for _alias, _base in (("javascriptreact", "javascript"), ("typescriptreact", "typescript"),
                      ("sh", "shellscript"), ("bash", "shellscript")):
    LANGUAGES[_alias] = LANGUAGES[_base]

PLAIN = Syntax(lexer="plain", quotes="", prose="content", block_brackets="")
"""Any other language: prose is content, only the language-neutral checks apply."""


def syntax(language_id: str) -> Syntax:
    return LANGUAGES.get(language_id, PLAIN)


def is_keyword(word: str, table: Syntax) -> bool:
    if table.keywords_fold_case:
        return word.lower() in table.keywords
    return word in table.keywords
