"""What the typing replay pays for, driven from outside (issue 18.2).

Each paid answer keeps one keep-alive connection (a second one costs the user a TCP +
TLS set-up on the next suggestion), and the lines it brings serve the next line starts
as soon as they have streamed, not when the whole answer is in.
"""

from __future__ import annotations

from pathlib import Path

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
