"""Completion context and prompt building look at a window around the cursor (issue 10.3).

Splitting the whole prefix and suffix into lines cost ~160 ms per request on a 20 MB
document; only a few thousand characters are ever shown, so a bounded window is read.
"""

from __future__ import annotations

import pytest

from iskra_ls.completion.context import CURSOR_MARKER, build_context, build_prompt


@pytest.mark.timeout(8)
def test_prompts_for_a_huge_document_cost_what_a_small_one_does() -> None:
    line = "    value = compute(item, factor)  # keep the figure honest\n"
    text = "class A:\n" + line * 300_000 + "    def tail(self):\n        " + line * 50_000
    offset = text.index("def tail(self):\n") + len("def tail(self):\n        ")
    ctx = build_context(text, offset, language_id="python", path="/big.py")
    assert ctx.line_prefix == "        "
    for _ in range(100):  # ~100 ms each before: 10 s
        prompt = build_prompt(ctx, budget_chars=2000)
    shown = "".join(message["content"] for message in prompt.messages)
    assert f"def tail(self):\n        {CURSOR_MARKER}" in shown


def test_a_prompt_with_a_lone_surrogate_can_be_sent() -> None:
    """JSON allows "\\ud800" in a document; UTF-8 (the request body) does not."""
    text = "bad = '\ud800'\nok = '\ud83d\ude00'\nx = "
    prompt = build_prompt(build_context(text, len(text), language_id="python", path="/s.py"))
    user = prompt.messages[-1]["content"]
    user.encode("utf-8")
    assert "bad = '\ufffd'" in user and "ok = '😀'" in user
