"""The oracle's lexer: which characters of a text are code, and which are string, comment
or prose content, in every language of ``oracle_syntax``.

Small and table-driven, good enough for the excerpt around a suggestion, and fast on a
whole file (a compiled pattern finds the next place where a string or comment may start;
the scan jumps there). Written apart from iskra-ls's post-processor on purpose.

``lex`` returns a mask (1: code, 0: string, comment or content) and whether a string or
comment is still open at the end of the text (the cursor is then inside one).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from bench.real_model.oracle_syntax import Syntax, syntax

Mask = bytearray


class _Scan:
    """One pass over ``text``: spans blanked in ``mask``, and whether the last one is open."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.mask = bytearray(b"\x01") * self.n
        self.open_at_end = False

    def blank(self, a: int, b: int, closed: bool = True) -> int:
        b = min(b, self.n)
        if b > a:
            self.mask[a:b] = bytes(b - a)
        self.open_at_end = not closed and b >= self.n
        return b

    def until(self, start: int, close: str) -> int:
        """Blank from ``start`` up to and including ``close``, or to the end."""
        found = self.text.find(close, start)
        if found < 0:
            return self.blank(start, self.n, closed=False)
        return self.blank(start, found + len(close))

    def to_line_end(self, start: int) -> int:
        found = self.text.find("\n", start)
        return self.blank(start, self.n if found < 0 else found)

    def quoted(self, start: int, quote: str, *, multiline: bool, escapes: bool = True,
               nest: str = "") -> int:
        """A string opened by ``quote`` at ``start``; the end after its closing quote.

        ``nest`` opens code inside the string (Ruby's ``#{``, the shell's ``$(``), which may
        hold quotes of its own: it is skipped to its closing bracket."""
        text, n = self.text, self.n
        j = start + len(quote)
        while j < n:
            ch = text[j]
            if escapes and ch == "\\":
                j += 2
                continue
            if nest and text.startswith(nest, j):
                bracket = nest[-1]
                j = _closing(text, j + len(nest), bracket, _PAIRS[bracket])
                continue
            if text.startswith(quote, j):
                return self.blank(start, j + len(quote))
            if ch == "\n" and not multiline:
                return self.blank(start, j, closed=False) if j < n else j
            j += 1
        return self.blank(start, n, closed=False)


_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}


def _closing(text: str, at: int, opener: str, closer: str) -> int:
    """Index after the ``closer`` that balances an ``opener`` just before ``at``."""
    depth = 1
    for k in range(at, min(len(text), at + 2000)):
        if text[k] == opener:
            depth += 1
        elif text[k] == closer:
            depth -= 1
            if depth == 0:
                return k + 1
    return at


def _delimited(scan: _Scan, start: int, opener: str) -> int:
    """Index after a Perl/Ruby quote-like body opened by ``opener`` at ``start``."""
    text, n = scan.text, scan.n
    closer = _PAIRS.get(opener, opener)
    depth, j = 1, start
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == closer:
            depth -= 1
            if depth == 0:
                return j + 1
        elif ch == opener and closer != opener:
            depth += 1
        j += 1
    return n


def _heredoc(scan: _Scan, at: int, tag: str, indented: bool) -> int:
    """Blank a heredoc body: from the line after ``at`` to the line that is ``tag``."""
    text = scan.text
    line_end = text.find("\n", at)
    if line_end < 0:
        return scan.n
    lead = r"[ \t]*" if indented else ""
    pattern = re.compile(rf"^{lead}{re.escape(tag)}[ \t;)]*$", re.M)
    found = pattern.search(text, line_end + 1)
    if found is None:
        return at  # no terminator: not a heredoc after all (``x << CONSTANT``)
    scan.blank(line_end + 1, found.end())
    return line_end  # the rest of the opening line is still code


def _generic(table: Syntax, extra: list[tuple[str, str]]) -> re.Pattern[str]:
    parts = [f"(?P<{name}>{pattern})" for name, pattern in extra]
    for k, (open_, _close) in enumerate(table.block_comments):
        parts.append(f"(?P<block{k}>{re.escape(open_)})")
    if table.line_comments:
        parts.append("(?P<line>" + "|".join(re.escape(c) for c in table.line_comments) + ")")
    if table.quotes:
        parts.append(f"(?P<quote>[{re.escape(table.quotes)}])")
    return re.compile("|".join(parts), re.M)


_GLOB = r"(?:[^\s()|;]|\([^()\n]*\))+"
_CASE_PATTERN = re.compile(rf"^[ \t]*\(?{_GLOB}(?:[ \t]*\|[ \t]*{_GLOB})*\)", re.M)
"""A ``case`` pattern (``-o* | -w?*)``): its ``)`` closes nothing, so it is masked."""

# Every token starts with a literal character (so the compiled pattern scans fast); what
# must come before it (a line start, an operator, a non-word) the handler checks.
_EXTRA: dict[str, list[tuple[str, str]]] = {
    "python": [("triple", r"[rRbBuUfF]{0,2}(?:\"\"\"|''')")],
    "js": [("tpl", "`")],
    "c": [("tpl", "`")],
    "rust": [("rawstr", r"r#+\""), ("char", "'")],
    "lua": [("longcomment", r"--\[=*\["), ("longstring", r"\[=*\[")],
    "cpp": [("directive", r"#[ \t]*(?:error|warning)\b"),
            ("rawstr", r"R\"[^(\s]*\("), ("digitsep", r"\d'(?=\d)")],
    "java": [("triple", '"""')],
    "php": [("attribute", r"#\["), ("heredoc", r"<<<[ \t]*['\"]?\w+['\"]?")],
    "ruby": [
        ("docblock", r"=begin\b"), ("dataend", r"__END__$"),
        ("percent", r"%[wWiIqQr]?[\[({<|!/]"),
        ("heredoc", r"<<[~-]?['\"]?[A-Z_][A-Z_0-9]*['\"]?"),
        ("regex", r"/(?![\s=])"),
        ("charlit", r"\?[^\s\\]"),
    ],
    "perl": [
        ("pod", r"=[a-zA-Z]"), ("dataend", r"__(?:END|DATA)__$"),
        ("qlike", r"(?:qq|qw|qr|q|m|tr|s|y)(?=\s*[^\w\s=,;)>}])"),
        ("regex", r"/(?![\s=/])"),
        ("heredoc", r"<<~?['\"]?[A-Za-z_]\w*['\"]?"),
        ("dollar", r"\$(?:[#'\"\]\[();]|\{\^?\w*\})"),
        ("subscript", r"\{"),
    ],
    "shell": [("ansi", r"\$'"), ("heredoc", r"<<-?[ \t]*['\"]?[A-Za-z_]\w*['\"]?"),
              ("escapedchar", r"\\[^\n]"), ("expansion", r"\$\{"), ("regexmatch", r"=~[ \t]"),
              ("wordcomment", "#")],
    "make": [("message", r"\$[({](?:error|warning|info)[ \t]"), ("escaped", r"\\#"),
             ("recipe_quote", "[\"']"), ("wordcomment", "#")],
    "sql": [("meta", r"\\\w+"), ("dollarbody", r"\$\w*\$")],
    "toml": [("triple", r"\"\"\"|'''")],
}
_NEST = {"ruby": "#{", "shell": "$(", "js": "${"}
"""Code inside a double-quoted string or template, which may hold quotes of its own."""
_REGEX_AFTER = re.compile(r"(?:[=!]~|[(,;{!&|\[=~]|\b(?:split|grep|if|unless|and|or|not|return"
                          r"|when|elsif|while|until))\s*$")
"""What comes before a ``/`` that starts a regex in Perl and Ruby (else it divides)."""


@functools.lru_cache(maxsize=64)
def _pattern(language: str) -> re.Pattern[str]:
    table = syntax(language)
    extra = _EXTRA.get(table.lexer, [])
    if table.lexer in ("shell", "make"):
        table = Syntax(lexer=table.lexer, quotes=table.quotes if table.lexer == "shell" else "")
    return _generic(table, extra)


def _line_start(scan: _Scan, pos: int, *, indented: bool = False) -> bool:
    before = scan.text[scan.text.rfind("\n", 0, pos) + 1 : pos]
    return not before or (indented and not before.strip(" \t"))


def _at_line_start(
    handler: Callable[[_Scan, re.Match[str]], int], *, indented: bool = False
) -> Callable[[_Scan, re.Match[str]], int]:
    """``handler``, for a token that counts only at the start of a line."""

    def checked(scan: _Scan, m: re.Match[str]) -> int:
        if not _line_start(scan, m.start(), indented=indented):
            return m.start() + 1
        return handler(scan, m)

    return checked


def lex(text: str, language: str) -> tuple[Mask, bool]:
    """The code mask of ``text`` and whether a string or comment is open at its end."""
    table = syntax(language)
    special = _SPECIAL.get(table.lexer)
    scan = _Scan(text)
    if special is not None:
        special(scan, table)
        return scan.mask, scan.open_at_end
    _scan_generic(scan, table, language)
    if table.lexer == "shell":
        for found in _CASE_PATTERN.finditer(text):
            scan.mask[found.end() - 1] = 0  # the pattern's ``)``: it closes nothing
    return scan.mask, scan.open_at_end


def code_mask(text: str, language: str) -> list[bool]:
    """For each character of ``text``: True when it is code, False in a string or comment."""
    return [bool(b) for b in lex(text, language)[0]]


def _scan_generic(scan: _Scan, table: Syntax, language: str) -> None:
    text, n = scan.text, scan.n
    pattern = _pattern(language)
    i = 0
    while i < n:
        m = pattern.search(text, i)
        if m is None:
            return
        kind, start = m.lastgroup, m.start()
        if kind == "line":
            if table.lexer == "cpp" or table.lexer == "c":
                i = _line_comment_with_continuation(scan, start)
            else:
                i = scan.to_line_end(start)
        elif kind is not None and kind.startswith("block"):
            close = table.block_comments[int(kind[5:])][1]
            i = scan.until(start, close)
        elif kind == "quote":
            quote = m.group(kind)
            i = scan.quoted(start, quote, multiline=quote in table.multiline_quotes,
                            escapes=not (table.lexer in ("shell", "toml") and quote == "'"),
                            nest=_NEST.get(table.lexer, "") if quote != "'" else "")
        elif kind == "triple":
            quote = m.group(kind).lstrip("rRbBuUfF")
            scan.blank(start, m.end() - 3)
            i = scan.quoted(m.end() - 3, quote, multiline=True, escapes=table.lexer != "toml")
        elif kind == "tpl":
            i = scan.quoted(start, "`", multiline=True, nest=_NEST.get(table.lexer, ""))
        else:
            i = _HANDLERS[str(kind)](scan, m)
        if i <= start:
            i = start + 1


def _line_comment_with_continuation(scan: _Scan, start: int) -> int:
    text = scan.text
    end = start
    while True:
        found = text.find("\n", end)
        if found < 0:
            return scan.blank(start, scan.n)
        if found > 0 and text[found - 1] == "\\":
            end = found + 1
            continue
        return scan.blank(start, found)


def _rust_char(scan: _Scan, m: re.Match[str]) -> int:
    literal = re.compile(r"'(?:\\.[^']*|[^'\\])'").match(scan.text, m.start())
    if literal:
        return scan.blank(m.start(), literal.end())
    return m.start() + 1  # a lifetime


def _rust_raw(scan: _Scan, m: re.Match[str]) -> int:
    hashes = m.group(0)[1:-1]
    return scan.until(m.start(), '"' + hashes)


def _lua_long(scan: _Scan, m: re.Match[str]) -> int:
    level = m.group(0).count("=")
    return scan.until(m.start(), "]" + "=" * level + "]")


def _cpp_raw(scan: _Scan, m: re.Match[str]) -> int:
    delim = m.group(0)[2:-1]
    return scan.until(m.start(), ")" + delim + '"')


def _skip_token(scan: _Scan, m: re.Match[str]) -> int:
    return m.end()


def _heredoc_handler(scan: _Scan, m: re.Match[str]) -> int:
    text = m.group(0)
    tag = re.findall(r"[A-Za-z_]\w*", text)[-1]
    indented = "~" in text or "-" in text or text.startswith("<<<")
    return max(_heredoc(scan, m.end(), tag, indented), m.end())


def _ruby_percent(scan: _Scan, m: re.Match[str]) -> int:
    end = _delimited(scan, m.end(), m.group(0)[-1])
    return scan.blank(m.start(), end, closed=end < scan.n)


def _to_end(scan: _Scan, m: re.Match[str]) -> int:
    return scan.blank(m.start(), scan.n, closed=False)


def _ruby_docblock(scan: _Scan, m: re.Match[str]) -> int:
    found = re.compile(r"^=end\b.*$", re.M).search(scan.text, m.end())
    return scan.blank(m.start(), found.end() if found else scan.n, closed=found is not None)


def _perl_pod(scan: _Scan, m: re.Match[str]) -> int:
    found = re.compile(r"^=cut\b.*$", re.M).search(scan.text, m.end())
    return scan.blank(m.start(), found.end() if found else scan.n, closed=found is not None)


def _after_word(scan: _Scan, pos: int, also: str = "") -> bool:
    """Whether the character before ``pos`` is a word character (or one of ``also``)."""
    if pos == 0:
        return False
    before = scan.text[pos - 1]
    return before.isalnum() or before == "_" or before in also


def _regex(scan: _Scan, m: re.Match[str]) -> int:
    """A ``/`` starts a regex where an operand is expected (after ``=~``, ``(``, ``if``,
    a line start), else it divides."""
    slash = m.start()
    line_start = scan.text.rfind("\n", 0, slash) + 1
    before = scan.text[line_start:slash]
    if before.strip() and not _REGEX_AFTER.search(before):
        return slash + 1
    line_end = scan.text.find("\n", slash)
    end = _delimited(scan, slash + 1, "/")
    if line_end >= 0 and end > line_end:
        return slash + 1  # no closing slash on the line: a division after all
    return scan.blank(slash, end)


def _perl_qlike(scan: _Scan, m: re.Match[str]) -> int:
    text = scan.text
    op = m.group(0)
    at = m.end()
    while text[at] in " \t\n":
        at += 1
    opener = text[at]
    end = _delimited(scan, at + 1, opener)
    if op in ("s", "tr", "y") and end < scan.n:
        if opener in _PAIRS:
            k = end
            while k < scan.n and text[k] in " \t\n":
                k += 1
            if k < scan.n:
                end = _delimited(scan, k + 1, text[k])
        else:
            end = _delimited(scan, end, opener)
    return scan.blank(m.start(), end, closed=end < scan.n)


def _perl_subscript(scan: _Scan, m: re.Match[str]) -> int:
    """``$h{key}``, ``@h{qw(a b)}``, ``$r->{k}``, ``$a[0]{k}``: a subscript, not a block (it
    is masked whole, so its closing brace closes no block)."""
    text, start = scan.text, m.start()
    k = start
    while k > 0 and (text[k - 1].isalnum() or text[k - 1] == "_"):
        k -= 1
    before = text[k - 1] if k > 0 else ""
    subscript = (k < start and before in "$@%") or text[max(start - 2, 0) : start] == "->" or (
        k == start and before in "]}"
    )
    if not subscript:
        return start + 1
    return scan.blank(start, _delimited(scan, start + 1, "{"))


def _perl_dollar(scan: _Scan, m: re.Match[str]) -> int:
    """``$#array``, ``$'``, ``$"``, ``$]``, ``${^WARNING_BITS}``: variables, neither comment,
    string nor bracket."""
    return scan.blank(m.start(), m.end())


def _make_message(scan: _Scan, m: re.Match[str]) -> int:
    opener = scan.text[m.start() + 1]
    end = _delimited(scan, m.end(), opener)
    return scan.blank(m.end(), max(end - 1, m.end()))


def _make_quote(scan: _Scan, m: re.Match[str]) -> int:
    """Quotes are strings where the shell reads them (recipes, ``define``d commands,
    ``$(shell ...)``, flags): within one line."""
    quote_at = m.start()
    return scan.quoted(quote_at, scan.text[quote_at], multiline=False,
                       escapes=scan.text[quote_at] == '"')


def _shell_regex(scan: _Scan, m: re.Match[str]) -> int:
    """The pattern after ``=~`` in ``[[ ... ]]``: a regex up to `` ]]``, not code."""
    found = re.compile(r"[ \t]\]\]|\n").search(scan.text, m.end())
    return scan.blank(m.end(), found.start() if found else scan.n)


def _sql_meta(scan: _Scan, m: re.Match[str]) -> int:
    """A psql meta-command (``\\echo Use "CREATE EXTENSION x" to load this file.``)."""
    return scan.to_line_end(m.end())


_HANDLERS: dict[str, Callable[[_Scan, re.Match[str]], int]] = {
    "char": _rust_char,
    "rawstr": lambda scan, m: m.start() + 1 if _after_word(scan, m.start()) else (
        _rust_raw if m.group(0).startswith("r") else _cpp_raw)(scan, m),
    "longcomment": _lua_long,
    "longstring": _lua_long,
    "directive": _at_line_start(lambda scan, m: scan.to_line_end(m.start()), indented=True),
    "digitsep": _skip_token,
    "attribute": _skip_token,
    "heredoc": _heredoc_handler,
    "percent": _ruby_percent,
    "regex": _regex,
    "charlit": lambda scan, m: m.start() + 1 if scan.text[m.start() - 1 : m.start()] in (
        ")", "]", "}") or _after_word(scan, m.start()) else scan.blank(m.start(), m.end()),
    "docblock": _at_line_start(_ruby_docblock),
    "dataend": _at_line_start(_to_end),
    "pod": _at_line_start(_perl_pod),
    "qlike": lambda scan, m: m.start() + 1 if _after_word(scan, m.start(), "$@%&>-")
    else _perl_qlike(scan, m),
    "dollar": _perl_dollar,
    "subscript": _perl_subscript,
    "ansi": lambda scan, m: scan.quoted(m.start() + 1, "'", multiline=True),
    "escaped": _skip_token,
    "escapedchar": lambda scan, m: scan.blank(m.start(), m.end()),
    "expansion": lambda scan, m: scan.blank(m.start(), _delimited(scan, m.end(), "{")),
    "regexmatch": _shell_regex,
    "message": _make_message,
    "recipe_quote": _make_quote,
    "meta": _at_line_start(_sql_meta),
    "wordcomment": lambda scan, m: scan.to_line_end(m.start()) if m.start() == 0
    or scan.text[m.start() - 1] in " \t\n;" else m.start() + 1,
    "dollarbody": _skip_token,  # $$ ... $$ holds code (a function body): it stays code
}


# -- whole-file readers: YAML, HTML, Markdown -------------------------------------------------

_YAML_LINE = re.compile(
    r"(?P<indent>[ \t]*)(?P<dash>(?:-[ \t]+)*)"
    r"(?:(?P<key>(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s#'\"\[\]{},][^#\n]*?))[ \t]*:(?:[ \t]+|$))?"
)


def _scan_yaml(scan: _Scan, table: Syntax) -> None:
    """YAML: comments and every scalar value are not code; keys, dashes and flow brackets are.

    A plain value runs to a comment or the line end; a block scalar (``|``, ``>``) and
    the continuation lines of a plain value hold the lines indented deeper than their key.
    """
    text = scan.text
    pos = 0
    scalar_indent: int | None = None  # inside a block scalar / continued plain value
    lines = text.split("\n")
    for number, line in enumerate(lines):
        end = pos + len(line)
        last = number == len(lines) - 1
        stripped = line.lstrip(" \t")
        indent = len(line) - len(stripped)
        if scalar_indent is not None:
            if indent > scalar_indent or (not stripped and not last):
                scan.blank(pos, end)
                scan.open_at_end = last
                pos = end + 1
                continue
            scalar_indent = None
        scan.open_at_end = False
        if not stripped or stripped.startswith("#"):
            scan.blank(pos + indent, end)
            pos = end + 1
            continue
        m = _YAML_LINE.match(line)
        if stripped.startswith(("---", "...", "%")) or m is None:
            pos = end + 1
            continue
        if m.group("key") is None and not m.group("dash"):
            pos = end + 1  # a bare line: a key still being typed, or prose
            continue
        if m.group("key") and m.group("key")[0] in "\"'":
            scan.blank(pos + m.start("key"), pos + m.end("key"))
        owner = m.start("key") if m.group("key") else indent + len(m.group("dash")) - 2
        scalar_indent = _yaml_value(scan, pos + m.end(), line[m.end():], owner)
        pos = end + 1


def _yaml_value(scan: _Scan, at: int, value: str, owner: int) -> int | None:
    """Blank one value; returns the indentation its continuation lines must exceed."""
    body = value.rstrip()
    if not body:
        scan.open_at_end = False
        return None
    comment = re.search(r"(?:^|[ \t])#", value)
    if body[0] in "|>":
        if comment:
            scan.blank(at + comment.start(), at + len(value))
        return owner
    if body[0] in "[{":
        _yaml_flow(scan, at, value)
        return None
    if body[0] in "\"'":
        end = scan.quoted(at, body[0], multiline=True, escapes=body[0] == '"')
        rest = scan.text[end:at + len(value)]
        comment = re.search(r"(?:^|[ \t])#", rest)
        if comment:
            scan.blank(end + comment.start(), at + len(value))
        return None
    stop = comment.start() if comment else len(value)
    scan.blank(at, at + stop, closed=comment is not None)
    if comment:
        scan.blank(at + comment.start(), at + len(value))
        return None
    scan.open_at_end = at + stop >= scan.n
    return owner  # a plain value may go on over deeper lines


def _yaml_flow(scan: _Scan, at: int, value: str) -> None:
    k = 0
    while k < len(value):
        ch = value[k]
        if ch in "\"'":
            k = scan.quoted(at + k, ch, multiline=False, escapes=ch == '"') - at
            continue
        if ch == "#" and (k == 0 or value[k - 1] in " \t"):
            scan.blank(at + k, at + len(value))
            return
        k += 1


_HTML_TOKEN = re.compile(r"<!--|\{%|\{\{|\{#|<(?=[/!A-Za-z])")


def _scan_html(scan: _Scan, table: Syntax) -> None:
    """HTML (and Django/Jinja templates): tags and template tags are code; text between
    them is content; comments and attribute values are not code; ``<script>``/``<style>``
    bodies are code with their strings and comments masked."""
    text, n = scan.text, scan.n
    i = 0
    while i < n:
        m = _HTML_TOKEN.search(text, i)
        if m is None:
            scan.blank(i, n)  # text: content, not a string the cursor would be inside
            return
        scan.blank(i, m.start())
        token, start = m.group(0), m.start()
        if token == "<!--":
            i = scan.until(start, "-->")
        elif token == "{#":
            i = scan.until(start, "#}")
        elif token in ("{%", "{{"):
            i = _template_tag(scan, start, "%}" if token == "{%" else "}}")
        else:
            i = _tag(scan, start)
            name = re.match(r"<([A-Za-z]+)", text[start:start + 12])
            if name and name.group(1).lower() in ("script", "style") and i < n:
                close = re.compile(rf"</{name.group(1)}\s*>", re.I).search(text, i)
                body_end = close.start() if close else n
                inner = _Scan(text[i:body_end])
                _scan_generic(inner, syntax("javascript" if name.group(1).lower() == "script"
                                            else "css"), "javascript" if name.group(1).lower()
                              == "script" else "css")
                scan.mask[i:body_end] = inner.mask
                scan.open_at_end = inner.open_at_end and body_end >= n
                i = body_end
        if i <= start:
            i = start + 1


def _tag(scan: _Scan, start: int) -> int:
    text, n = scan.text, scan.n
    j = start + 1
    while j < n:
        ch = text[j]
        if ch in "\"'":
            j = scan.quoted(j, ch, multiline=True, escapes=False)
            continue
        if text.startswith(("{%", "{{"), j):
            j = _template_tag(scan, j, "%}" if text[j + 1] == "%" else "}}")
            continue
        if ch == ">":
            scan.open_at_end = False
            return j + 1
        j += 1
    scan.open_at_end = False
    return n


def _template_tag(scan: _Scan, start: int, close: str) -> int:
    text = scan.text
    end = text.find(close, start)
    end = scan.n if end < 0 else end + len(close)
    j = start
    while j < end:
        ch = text[j]
        if ch in "\"'":
            j = scan.quoted(j, ch, multiline=False, escapes=True)
            continue
        j += 1
    scan.open_at_end = False
    return end


def _scan_content(scan: _Scan, table: Syntax) -> None:
    """Markdown and plain text: everything is content (prose is what the file holds)."""
    scan.blank(0, scan.n)
    scan.open_at_end = False


_SPECIAL: dict[str, Callable[[_Scan, Syntax], None]] = {
    "yaml": _scan_yaml,
    "html": _scan_html,
    "markdown": _scan_content,
    "plain": _scan_content,
}
