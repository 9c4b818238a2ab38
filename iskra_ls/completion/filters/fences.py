"""Filter: the code inside a Markdown fence, without the chat around it (every language)."""

from __future__ import annotations

import re

from iskra_ls.completion.filters.chatter import is_chatter_line

FENCE = re.compile(r"^[ \t]*(?:```|~~~)[^\n`]*$", re.M)


def strip_fences(text: str) -> str:
    """The code inside the first Markdown fence (```lang ... ```), else ``text``.

    A lone fence is an unterminated opening one when only chatter precedes it,
    otherwise a stray closing one.
    """
    fences = list(FENCE.finditer(text))
    if not fences:
        return text
    first = fences[0]
    before, after = text[: first.start()], text[first.end() + 1 :]
    if len(fences) == 1:
        if all(not ln.strip() or is_chatter_line(ln) for ln in before.split("\n")):
            return after
        return before.removesuffix("\n")
    return text[first.end() + 1 : fences[1].start()].removesuffix("\n")
