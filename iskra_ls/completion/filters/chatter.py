"""Filter: a chat model's preamble ("Sure! Here is the code:") and trailing explanation go.

Not applied where the cursor is in a comment, a string or text: there a sentence is
the content.
"""

from __future__ import annotations

import re

_LEAD_PHRASE = re.compile(
    r"^\s*(?:here(?:'s| is| are)\b.*"
    r"|(?:sure|certainly|of course|okay|absolutely|below is|the following)\b.*[:.!]"
    r"|(?:the )?(?:completed?|completion|inserted|missing|remaining|final)\s+"
    r"(?:code|text|lines?|completion|version)\b.*[:.]"
    r"|(?-i:Completion|Output|Answer|Insertion|Code)\s*:)\s*$",
    re.I,
)
_PROSE_COLON = re.compile(r"^\s*[A-Z][A-Za-z',-]*(?: [A-Za-z',-]+){2,}:\s*$")
_TRAIL_START = re.compile(
    r"^\s*(?:\*\*)?(?:This|These|The (?:above|code|function|completion|change|line)"
    r"|Explanation|Note|I(?:'ve| have| added| used| also)|In this|Let me|Hope|Feel free"
    r"|That|It (?:is|will|uses|adds|returns))\b"
)


def is_chatter_line(line: str) -> bool:
    """Whether ``line`` is a model's preamble such as "Here is the code:"."""
    return bool(_LEAD_PHRASE.match(line) or _PROSE_COLON.match(line))


def _is_trailing_prose(line: str) -> bool:
    return (
        bool(_TRAIL_START.match(line)) and len(line.split()) >= 3 and not re.search(r"[=;{}]", line)
    )


def strip_chatter(text: str) -> str:
    """Drop preamble lines ("Sure! Here is the code:") and trailing explanations."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and (not lines[start].strip() or is_chatter_line(lines[start])):
        start += 1
    if start and any(is_chatter_line(ln) for ln in lines[:start]):
        lines = lines[start:]
    for i, line in enumerate(lines):
        if i > 0 and _is_trailing_prose(line):
            return "\n".join(lines[:i]).rstrip()
    return "\n".join(lines)
