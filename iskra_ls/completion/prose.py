"""Does a line read as English rather than code? (pure; for the streaming early stop)

A block answer that turns into a sentence ("This function returns the path.") is over:
whatever the model writes after it is not shown, so the stream can stop there. The
words that are code come from the language's grammar (its keywords are the grammar's
word tokens), never from a hand-written list; a language without a grammar has no
English lines here. Whether a suggestion is shown is the grammar's verdict
(``filters.syntax``), not this one.
"""

from __future__ import annotations

import re
from functools import cache

from iskra_ls.completion.filters.text import mask_strings
from iskra_ls.languages import MARKUP, grammar, language_for

_WORD = re.compile(r"[A-Za-z][A-Za-z']*+")
_SENTENCE = re.compile(r"^\s*[A-Z][a-z']+(?:,? [A-Za-z'-]+){3,}[.!?:]?\s*$")
_COMMON = frozenset({"true", "false", "null", "nil", "none", "this", "super", "self"})
_WORD_TOKEN = re.compile(r"[A-Za-z_]\w*")


@cache
def keywords(language_id: str) -> frozenset[str]:
    """The language's keywords: the grammar's anonymous word tokens (``if``, ``static``)."""
    found = grammar(language_for(language_id))
    if found is None:
        return frozenset()
    words = set()
    for kind_id in range(found.node_kind_count):
        kind = found.node_kind_for_id(kind_id)
        if kind and not found.node_kind_is_named(kind_id) and _WORD_TOKEN.fullmatch(kind):
            words.add(kind)
    return frozenset(words)


def _code_only(line: str, language_id: str) -> str:
    """``line`` with string literals and a trailing line comment masked out."""
    masked = mask_strings(line)
    code = language_for(language_id).code_part(masked)
    return code + " " * (len(masked) - len(code))


def is_prose(line: str, language_id: str) -> bool:
    """Whether ``line`` reads as English rather than code of ``language_id``; never in
    markup (HTML, XML), where text between the tags is the content."""
    words_of_code = keywords(language_id)
    if not words_of_code or language_for(language_id).block_style == MARKUP:
        return False
    code = _code_only(line, language_id).replace("§", " § ")
    if not code.strip():
        return False
    streak, end = 0, -1
    for match in _WORD.finditer(code):  # words one space apart, in a row
        word = match.group(0)
        if end < 0 or match.start() != end + 1 or code[end] != " ":
            streak = 0
        streak = 0 if word in words_of_code or word.lower() in _COMMON else streak + 1
        if streak >= 3:
            return True
        end = match.end()
    if _SENTENCE.match(code):
        words = re.findall(r"[A-Za-z']+", code)
        return sum(w in words_of_code for w in words) * 2 < len(words)
    return False
