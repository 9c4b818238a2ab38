"""Does a Python suggestion leave its top-level statement parseable? (pure, bounded)

The standard library parses Python, so for Python the last word on a suggestion can
be the parser's: the top-level statement around the cursor (a function, a class, an
assignment) is parsed with the suggestion in place, and a suggestion that brings a
syntax error into its own lines is not shown. An error elsewhere (the user is in the
middle of an edit further down) is not the suggestion's fault and does not count.
Other languages have no parser at hand here; their suggestions go by the rules of
``postprocess``.
"""

from __future__ import annotations

import ast
import warnings

MAX_LINES = 400
"""Lines searched above and below the cursor for the statement's bounds."""
MAX_CHARS = 40_000
"""A larger statement is not parsed (a few ms at most; nothing slow on the event loop)."""


def _top_level(line: str) -> bool:
    closer = line.startswith(("#", ")", "]", "}"))
    return bool(line.strip()) and not line[0].isspace() and not closer


NEAR_LINES = 3
"""Code lines right below the suggestion that it must leave parseable: an error there is
where the user is writing, and the suggestion was to fix it (``if x:`` before a body)."""


def _near_end(chunk: str, after: int) -> int:
    """1-based number of the :data:`NEAR_LINES`-th non-blank line after line ``after``."""
    lines = chunk.split("\n")
    seen = 0
    for number in range(after + 1, len(lines) + 1):
        if lines[number - 1].strip():
            seen += 1
            if seen == NEAR_LINES:
                return number
    return len(lines)


def breaks_python(prefix: str, suffix: str, inserted: str, replace_after: int = 0) -> bool:
    """Whether ``inserted`` at the cursor (between ``prefix`` and ``suffix``) makes its own
    lines of the enclosing top-level statement fail to parse."""
    above = prefix.split("\n")[-MAX_LINES:]
    below = suffix[replace_after:].split("\n")[:MAX_LINES]
    first = len(above) - 1
    while first > 0 and not _top_level(above[first]):
        first -= 1
    while first > 0 and above[first - 1].startswith("@"):
        first -= 1
    # ``below[0]`` is the rest of the cursor's line; the statement ends before the next
    # top-level line that starts a new statement (not ``else:``/``except``/decorators).
    stop = 1
    while stop < len(below) and not (
        _top_level(below[stop])
        and not below[stop].startswith(("else", "elif", "except", "finally", "@"))
    ):
        stop += 1
    if not _top_level(above[first]):
        return False  # no statement start in view (an excerpt, a huge block): no verdict
    head = "\n".join(above[first:])
    tail = "\n".join(below[:stop])
    chunk = head + inserted + tail
    if len(chunk) > MAX_CHARS:
        return False
    start_line = len(above) - first
    end_line = start_line + inserted.count("\n")  # the suggestion's last line
    error = _syntax_error(chunk)
    if error is None:
        return False
    # Up to a few code lines after it: an opener with no body, or indented lines below
    # that needed the opener the suggestion did not write. Lines above count too: a
    # bracket opened there that the suggestion leaves unclosed.
    if error <= _near_end(chunk, end_line):
        return True
    # Further down: the suggestion's fault unless the document had that error already.
    before = _syntax_error(head + tail)
    if before is not None and before > start_line:
        before += end_line - start_line
    return before != error


def _syntax_error(source: str) -> int | None:
    """The line of the first syntax error in ``source``, or None when it parses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(source)
    except SyntaxError as error:
        return error.lineno or 0
    except (ValueError, RecursionError, MemoryError):
        return None
    return None
