"""Text the model chose, made safe to show: plain, visible, one line, capped.

Tool names, paths and the model's answer end up in ``$/progress``,
``window/showMessage``, the editor's log and the command's answer. There they
must not restyle the editor's terminal or panel (ANSI escapes, OSC 8
hyperlinks), reorder what the user reads (U+202E and the other bidirectional
controls), hide text (zero-width characters), flood the screen (a 1.9 MB tool
name), or put a link the model chose behind words that look like ours (VS Code
turns ``[Sign in again](https://...)`` in a notification into a link).

:func:`visible` is applied at the editor boundary to every message the server
sends; :func:`model_text` also takes links apart, for whatever the model wrote.

Pure: strings only.
"""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, "clear screen"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, OSC 8 hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]\n]{0,500})\]\(\s*<?([^()\s<>]{0,2000})>?[^()\n]{0,200}\)")
_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]{1,20}):[^<>\s]{1,2000})>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")
_COMMON = "\x20-\x7e\u00a0-\u00ac\u00ae-\u05ff\u3000-\u9fff\uac00-\ud7a3"
_UNCOMMON = re.compile(f"[^{_COMMON}]+")
_UNCOMMON_IN_LOG = re.compile(f"[^\\n\\t{_COMMON}]+")
"""Runs of characters outside the common printable blocks (none of which holds a
control or format character): only these are looked up one by one."""


def visible(text: str, limit: int, *, lines: bool = False) -> str:
    """``text`` without control, format (bidirectional, zero-width) or surrogate
    characters and terminal escapes, at most ``limit`` characters.

    Newlines and tabs stay when ``lines`` (a log); otherwise line breaks become
    spaces (a message, a progress line).
    """
    text = text if isinstance(text, str) else str(text)
    if len(text) > 4 * limit + 64:  # the cut comes first: the cost is bounded by the limit
        text = text[: 4 * limit + 64]
    if lines:
        text = text.replace("\r\n", "\n")
    table, uncommon = (_LOG_TABLE, _UNCOMMON_IN_LOG) if lines else (_LINE_TABLE, _UNCOMMON)
    text = uncommon.sub(lambda m: m.group(0).translate(table), _ESCAPES.sub("", text))
    if not lines:
        text = _SPACES.sub(" ", text).strip()
    return cap(text, limit)


class _Table(dict[int, str | None]):
    """``str.translate`` table filled on first sight of a character (hits stay in C)."""

    def __init__(self, *, lines: bool) -> None:
        super().__init__()
        self.lines = lines

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        category = unicodedata.category(char)
        if char in "\n\t" and self.lines:
            verdict: str | None = char
        elif category in ("Zl", "Zp") or char in "\r\n\t\v\f\x85":
            verdict = "\n" if self.lines else " "
        elif category in ("Cc", "Cf", "Cs"):
            verdict = None
        else:
            verdict = char
        if len(self) < 100_000:
            self[code] = verdict
        return verdict


_LINE_TABLE = _Table(lines=False)
_LOG_TABLE = _Table(lines=True)


def model_text(text: str, limit: int, *, lines: bool = False) -> str:
    """What the model wrote, shown as plain text: :func:`visible`, and no markdown link
    (``[label](url)`` reads ``label (url)``, which nothing turns into a link)."""
    text = text if isinstance(text, str) else str(text)
    if len(text) > 4 * limit + 64:
        text = text[: 4 * limit + 64]
    return visible(unlinked(visible(text, len(text) + 1, lines=lines)), limit, lines=lines)


def unlinked(text: str) -> str:
    """Markdown links and autolinks as plain words; no ``](`` is left to render."""
    text = _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    return text.replace("](", "] (")


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (the last one an ellipsis when cut)."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS if limit > 0 else ""


def short_name(name: str, limit: int = 80) -> str:
    """A path for a message: plain, and cut in the middle (the file name stays)."""
    if len(name) > 2_000:  # bounded cost: the head and the tail are what is shown
        name = name[:1_000] + name[-1_000:]
    name = visible(unlinked(name), len(name) + 1)
    if len(name) <= limit:
        return name
    head = limit // 3
    tail = limit - head - 1
    return name[:head] + ELLIPSIS + name[len(name) - tail :]
