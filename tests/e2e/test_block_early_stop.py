"""A block answer stops being read where the enclosing block ends.

A chat model asked for a function body writes the body and then goes on into the
next definition (the real model of ``bench/real_model`` does so in most block
answers). Iskra counts requests, not tokens, but every token read is time the
user waits for the final suggestion: the server stops at the block's end, shows the
block, and closes the stream once a short drain is over.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import lsp_session
from lsprotocol import types

from iskra_ls.stub import Reply

BODY = "return width * height\n"
TAIL = "\n\ndef other():\n    pass\n" + "".join(f"\nvalue_{n} = {n}\n" for n in range(120))
"""The model running on past the block: ~2 KB, under the runaway cap of a block answer."""


def _items(result: types.InlineCompletionList | None) -> list[types.InlineCompletionItem]:
    return list(result.items) if result is not None else []


@pytest.mark.parametrize("invoked", [True, False], ids=["invoked", "automatic"])
async def test_block_stream_is_closed_at_the_block_end(tmp_path: Path, invoked: bool) -> None:
    async with lsp_session(tmp_path) as s:
        text = "def area(width, height):\n    "
        uri = s.open("area.py", text + "\n\ndef other():\n    pass\n")
        # 4 characters a chunk at 200 chunks/s: the tail alone takes ~2.8 s, the drain 1 s.
        s.stub.configure(tokens_per_second=200, chunk_chars=4)
        s.stub.script(Reply.text(BODY + TAIL))
        items = _items(await s.inline(uri, len(text), invoked=invoked))
        assert [i.insert_text for i in items] == ["return width * height"]
        await s.wait_for(lambda: s.stub.active_streams == 0)
        assert len(s.stub.requests) == 1
        assert s.stub.disconnects == 1, "the rest of the answer was read to its end"
