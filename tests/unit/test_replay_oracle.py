"""The typing replay's oracle answers as long as the server's prompt asks (issue 18.2).

The replay measures the product only if its "model" writes what the prompt asks for:
the bound on an answer's lines is read from the prompt, not a constant of the bench.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.typing_replay import Oracle  # noqa: E402
from iskra_ls.completion.context import build_context, build_prompt  # noqa: E402
from iskra_ls.completion.lookahead import AnswerReader  # noqa: E402

BODY = "".join(f"    v{n} = r + {n}\n" for n in range(30))
TARGET = "def f(r, g, b):\n    x = r\n" + BODY + "\ndef g():\n    pass\n"


def _asked_lines(user: str) -> int:
    found = re.search(r"at most (\d+) lines", user)
    assert found is not None, "the prompt says how many lines it wants"
    return int(found.group(1))


def _ask(cursor: int, cap: int | None = None) -> tuple[str, str]:
    # The typist's document: what is typed so far (the replay types into an empty one).
    ctx = build_context(TARGET[:cursor], cursor, language_id="python", path="f.py")
    user = str(build_prompt(ctx).messages[-1]["content"])
    oracle = Oracle(TARGET, cap)
    oracle.position = len(TARGET)
    content = oracle.reply({"messages": [{"role": "user", "content": user}]}).content
    return user, str(content)


def test_the_oracle_answers_as_many_lines_as_the_prompt_asks() -> None:
    at_line_start = TARGET.index("    x = r") + 4
    user, answer = _ask(at_line_start)
    assert answer.count("\n") + 1 == _asked_lines(user) > 6  # not the bench's old cap
    mid_line = TARGET.index("x = r") + 4
    user, answer = _ask(mid_line)
    assert answer.count("\n") + 1 == _asked_lines(user)
    _, capped = _ask(at_line_start, cap=6)  # the figure at the old cap stays measurable
    assert capped.count("\n") + 1 == 6


def test_the_server_keeps_every_line_its_prompt_asks_for() -> None:
    """Asking for N lines is honest only if the reader keeps N lines for the line starts."""
    cursor = TARGET.index("x = r") + 4
    ctx = build_context(TARGET[:cursor], cursor, language_id="python", path="f.py")
    asked = _asked_lines(str(build_prompt(ctx).messages[-1]["content"]))
    reader = AnswerReader(ctx)
    raw = TARGET[cursor:]
    stop = None
    for end in range(1, len(raw) + 1):
        _, stop = reader.feed(raw[:end])
        if stop is not None:
            break
    kept = reader.finish(stop if stop is not None else raw)
    assert kept is not None and kept.text.count("\n") + 1 == asked
