"""The whole answer is used (issue 18.2) and a new line gets its indentation (issue 18.3).

A request in the middle of a line asks for the rest of the line and the next lines of
the block; the first line is shown as soon as it has streamed, and the lines after it
wait in the cache for the next line start, so the line after Enter costs no request.
Editors differ after Enter: some auto-indent the new line, some leave the cursor at
column 0; both get the same line, with the indentation it needs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Session, lsp_session

from iskra_ls.stub import Reply

FAST = {"completion": {"debounceMs": 60, "adaptiveDebounce": False}}

YIQ = "def rgb_to_yiq(r, g, b):\n    y = 0.30*r + "
FIRST = "0.59*g + 0.11*b"
NEXT = "i = 0.74*(r-y) - 0.27*(b-y)"


def _texts(result: object) -> list[str]:
    items = getattr(result, "items", None) or []
    return [str(item.insert_text) for item in items]


def _enter(s: Session, uri: str, auto_indent: bool, indent: str = "    ") -> None:
    s.type_text(uri, "\n" + (indent if auto_indent else ""))


@pytest.mark.parametrize("auto_indent", [True, False], ids=["auto-indent", "column-0"])
async def test_the_next_line_after_enter_comes_from_the_same_answer(
    tmp_path: Path, auto_indent: bool
) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("yiq.py", YIQ)
        s.stub.script(Reply.text(f"{FIRST}\n    {NEXT}\n    q = 0.48*(r-y) + 0.41*(b-y)"))
        assert _texts(await s.inline(uri, invoked=False)) == [FIRST]
        s.type_text(uri, FIRST)
        _enter(s, uri, auto_indent)
        shown = _texts(await s.inline(uri, invoked=False))
        assert shown and shown[0].split("\n")[0] == (NEXT if auto_indent else f"    {NEXT}")
        assert len(s.stub.requests) == 1
        s.type_text(uri, ("" if auto_indent else "    ") + "i = 0.7")  # typing through it
        shown = _texts(await s.inline(uri, invoked=False))
        assert shown and shown[0].startswith("4*(r-y) - 0.27*(b-y)")
        assert len(s.stub.requests) == 1


async def test_the_first_line_is_shown_while_the_rest_still_streams(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("early.py", YIQ)
        s.stub.tokens_per_second = 40
        rest = "".join(f"    v{n} = y + {n}\n" for n in range(12))
        s.stub.script(Reply.text(f"{FIRST}\n{rest}"))
        assert _texts(await s.inline(uri, invoked=False)) == [FIRST]
        assert s.stub.active_streams == 1  # the lines after it are still on their way


async def test_lines_after_the_first_go_through_post_processing(tmp_path: Path) -> None:
    """English after the first line is never offered at the next line start."""
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("junk.py", YIQ)
        s.stub.script(
            Reply.text(f"{FIRST}\nThis computes the luminance of the colour from its parts."),
            Reply.text(NEXT),
        )
        assert _texts(await s.inline(uri, invoked=False)) == [FIRST]
        s.type_text(uri, FIRST + "\n    ")
        assert _texts(await s.inline(uri, invoked=False)) == [NEXT]
        assert len(s.stub.requests) == 2


async def test_typing_away_from_the_kept_lines_drops_them(tmp_path: Path) -> None:
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("away.py", YIQ)
        s.stub.script(Reply.text(f"{FIRST}\n    {NEXT}"), Reply.text(" = 0"))
        assert _texts(await s.inline(uri, invoked=False)) == [FIRST]
        s.type_text(uri, FIRST + "\n    q")
        assert _texts(await s.inline(uri, invoked=False)) == [" = 0"]
        assert len(s.stub.requests) == 2


HLS = "def rgb_to_hls(r, g, b):\n    maxc = max(r, g, b)\n"


@pytest.mark.parametrize(
    ("auto_indent", "answer_indent"),
    [(False, "    "), (True, "    "), (True, "")],
    ids=["column-0", "auto-indent", "auto-indent-bare-answer"],
)
async def test_a_new_line_gets_the_indentation_it_needs(
    tmp_path: Path, auto_indent: bool, answer_indent: str
) -> None:
    """Below ``    maxc = max(r, g, b)`` the next statement belongs to the same body: at
    column 0 the answer brings its indentation, after the editor's indent it must not."""
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("hls.py", HLS + ("    " if auto_indent else ""))
        s.stub.script(Reply.text(f"{answer_indent}minc = min(r, g, b)\n    sumc = (maxc+minc)"))
        shown = _texts(await s.inline(uri))
        typed = "" if auto_indent else "    "
        assert shown == [f"{typed}minc = min(r, g, b)\n    sumc = (maxc+minc)"]
