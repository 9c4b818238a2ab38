"""Filter: the prompt's own wrapper or instructions echoed back go (every language)."""

from __future__ import annotations

import re

from iskra_ls.languages import language_for

_TAG_LINE = re.compile(r"^[ \t]*(?:(?:</?(?:code|pre)\b[^>\n]*>?|<)[ \t]*)+(?:\n|$)", re.M)
"""A line of wrapper tags only, with its line break (no blank line is left in its place)."""
_TAG = re.compile(r"</?(?:code|pre)\b[^>\n]*>")
_ECHO = re.compile(
    r"Write the (?:rest of the current line|code that belongs)|no line break|"
    r"^\s*(?:Language|File|Indentation):\s|Enclosing scope \(|Recently edited files",
    re.I,
)


def strip_prompt_echo(text: str, language_id: str, *, in_text: bool = False) -> str:
    """``text`` without the prompt's ``<code>``/``<pre>`` wrapper or echoed instructions.

    Tag-only lines always go; a tag inside a line goes where it cannot be markup (not
    in a language whose code has tags, nor in a comment or string: ``* <pre>{@code``).
    """
    text = _TAG_LINE.sub("", text)
    if not language_for(language_id).tags_are_code and not in_text:
        text = _TAG.sub("", text)
    return "\n".join(line for line in text.split("\n") if not _ECHO.search(line))
