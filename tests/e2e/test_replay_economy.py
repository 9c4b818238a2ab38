"""What the typing replay pays for, driven from outside (issue 18.2).

Each paid answer keeps one keep-alive connection (a second one costs the user a TCP +
TLS set-up on the next suggestion), and the lines it brings serve the next line starts
as soon as they have streamed, not when the whole answer is in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Session, lsp_session

from iskra_ls.stub import Reply

FAST = {"completion": {"debounceMs": 60, "adaptiveDebounce": False}}


def _texts(result: object) -> list[str]:
    items = getattr(result, "items", None) or []
    return [str(item.insert_text) for item in items]


async def _ready(s: Session) -> None:
    await s.wait_for(lambda: any(st["remaining"] is not None for st in s.statuses), timeout=20)


async def test_the_usage_look_up_after_an_answer_waits_for_the_next_one_streaming(
    tmp_path: Path,
) -> None:
    """The usage look-up that follows an answer must not open a second connection while
    the next answer streams on the first one: it waits for the connection to be free.
    Nor do the look-ups at start-up (the usage and the model list) open two."""
    async with lsp_session(tmp_path, settings=FAST) as s:
        await _ready(s)
        text = "x = \ny = \n"
        uri = s.open("c.py", text)
        s.stub.script(Reply.text("1"))
        assert _texts(await s.inline(uri, offset=4, invoked=False)) == ["1"]
        connections = s.stub.connections
        looked_up = s.stub.me_requests
        s.stub.tokens_per_second = 4  # the next answer streams for about a second
        s.stub.script(Reply.text("2 + 3 + 4 + 5 + 6"))
        second = await s.inline(uri, offset=text.index("\n") + 5, invoked=False)
        assert _texts(second) == ["2 + 3 + 4 + 5 + 6"]
        await s.wait_for(lambda: s.stub.active_streams == 0 and s.stub.me_requests > looked_up)
        assert len(s.stub.requests) == 2
        assert s.stub.connections == connections == 1


YIQ = "def rgb_to_yiq(r, g, b):\n    y = 0.30*r + "
FIRST = "0.59*g + 0.11*b"
NEXT = "i = 0.74*(r-y) - 0.27*(b-y)"
LATER = "".join(f"    v{n} = y + {n}\n" for n in range(6))


@pytest.mark.parametrize("invoked", [False, True], ids=["automatic", "invoked"])
async def test_the_next_line_start_is_served_while_the_answer_still_streams(
    tmp_path: Path, invoked: bool
) -> None:
    """The lines after the first are handed over as they stream: after Enter the next
    line comes from the answer on its way, without a request and without waiting for
    the rest of it."""
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("yiq.py", YIQ)
        s.stub.tokens_per_second = 12
        s.stub.script(Reply.text(f"{FIRST}\n    {NEXT}\n{LATER}"))
        assert _texts(await s.inline(uri, invoked=False)) == [FIRST]
        s.type_text(uri, FIRST + "\n    ")
        shown = _texts(await s.inline(uri, invoked=invoked))
        assert shown and shown[0].split("\n")[0] == NEXT
        assert s.stub.active_streams == 1  # the rest of the answer is still on its way
        assert len(s.stub.requests) == 1


HEADER = "def yiq_to_rgb(y, i, q):"
BODY = "r = y + 0.9468822170900693*i + 0.6235565819861433*q"


async def test_a_block_answers_next_line_is_served_while_it_still_streams(
    tmp_path: Path,
) -> None:
    """A block asked for at a line start: its first line (a header) is shown early; after
    accepting it and Enter, the body's first line comes from the same answer as soon as
    it has streamed."""
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("blk.py", "import math\n\n")
        s.stub.tokens_per_second = 12
        s.stub.script(Reply.text(f"{HEADER}\n    {BODY}\n{LATER}    return (r, g, b)\n"))
        assert _texts(await s.inline(uri, invoked=False)) == [HEADER]
        s.type_text(uri, HEADER + "\n    ")
        shown = _texts(await s.inline(uri, invoked=False))
        assert shown and shown[0].split("\n")[0] == BODY
        assert s.stub.active_streams == 1
        assert len(s.stub.requests) == 1



CLAMP = "def clamp(r, g, b):\n    if b < 0.0:\n        "


async def test_the_line_after_a_block_waits_for_its_own_line_start(tmp_path: Path) -> None:
    """At a line start the block is shown; the answer's lines after it (dedenting out of
    the block) are kept for where they belong, the line start after the dedent, instead
    of being paid for again there. A requested completion at the spot still shows only
    the block (never the lines past it)."""
    async with lsp_session(tmp_path, settings=FAST) as s:
        uri = s.open("clamp.py", CLAMP)
        s.stub.script(Reply.text("b = 0.0\n    if r > 1.0:\n        r = 1.0\n"))
        assert _texts(await s.inline(uri, invoked=False)) == ["b = 0.0"]
        await s.wait_for(lambda: s.stub.active_streams == 0)
        assert _texts(await s.inline(uri, invoked=True)) == ["b = 0.0"]
        s.type_text(uri, "b = 0.0\n    ")  # Enter, then out of the block
        assert _texts(await s.inline(uri, invoked=False)) == ["if r > 1.0:"]
        assert len(s.stub.requests) == 1
