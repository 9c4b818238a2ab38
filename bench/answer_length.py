"""How long an answer the prompt asks for, measured with the real model (issue 18.2).

The typing replay (``bench.latency``) shows what longer answers save when the model
writes what it is asked; this is the other side: what a real chat model does when the
prompt asks for "at most N lines" (``context.ANSWER_MAX_LINES``) instead of "a few".
Cases are the real-model corpus's cursors where more than one line is asked for (a
block at a line start or after an opener, the rest of a line and its next lines). Each
is asked with both wordings; every answer is streamed through the server's own reader
(``bench.real_model.replay``) and what reaches the editor is checked by the corpus's
invariants. Figures per wording: cases, cases with a violation, the answer's lines with
content (as the model wrote them), the lines the server keeps, completion tokens and
seconds per answer.

Needs the model (``bench/real_model/setup.sh``): ``python -m bench.answer_length``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import time
import urllib.request
from typing import Any

from bench.real_model.corpus import RecordedCase, load_corpus
from bench.real_model.prompts import sample
from bench.real_model.quality import violations
from bench.real_model.replay import context, replay
from iskra_ls.completion.context import ANSWER_MAX_LINES, build_prompt, to_lf

Messages = list[dict[str, str]]

BEFORE = (
    (f"at most {ANSWER_MAX_LINES} lines, ending", "a few lines at most, ending"),
    (f"(at most {ANSWER_MAX_LINES} lines in all, none past ", "(a few at most, none past "),
)
"""Today's wording -> the wording before the prompt said how many lines."""


def _before(messages: Messages) -> Messages:
    user = messages[-1]["content"]
    for now, then in BEFORE:
        user = user.replace(now, then)
    return [*messages[:-1], {**messages[-1], "content": user}]


WORDINGS = {"a few lines": _before, f"at most {ANSWER_MAX_LINES} lines": lambda m: m}


def _ask(url: str, messages: Messages, max_tokens: int) -> tuple[str, int, float]:
    body = json.dumps({"model": "local", "messages": messages, "max_tokens": max_tokens,
                       "temperature": 0.2, "seed": 14}).encode()
    request = urllib.request.Request(f"{url}/v1/chat/completions", body,
                                     {"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.load(response)
    except (OSError, ValueError) as error:  # one lost answer must not lose the run
        print(f"  no answer: {type(error).__name__}: {error}", flush=True)
        return "", 0, time.perf_counter() - started
    content = str(answer["choices"][0]["message"]["content"] or "")
    tokens = int(answer.get("usage", {}).get("completion_tokens", 0))
    return content, tokens, time.perf_counter() - started


def _content_lines(text: str) -> int:
    return sum(1 for line in to_lf(text).split("\n") if line.strip())


def wanted(cases: list[RecordedCase]) -> list[RecordedCase]:
    """The cases whose prompt asks for more than one line."""
    return [c for c in cases if context(c).multiline or context(c).lines_after]


def measure(url: str, cases: list[RecordedCase]) -> dict[str, Any]:
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in WORDINGS}
    for case in cases:
        prompt = build_prompt(context(case))
        for name, reword in WORDINGS.items():
            messages = reword(prompt.messages)
            raw, tokens, seconds = _ask(url, messages, prompt.max_tokens)
            asked = dataclasses.replace(case, raw=raw, prompt=messages,
                                        max_tokens=prompt.max_tokens)
            replayed = replay(asked)
            found = violations(asked, replayed)
            final = replayed.final
            row = {"case": case.id, "violations": [f"{label}: {v.kind}" for label, v in found],
                   "raw_lines": _content_lines(raw),
                   "kept_lines": _content_lines(final.text) if final is not None else 0,
                   "tokens": tokens, "seconds": round(seconds, 2)}
            rows[name].append(row)
            print(name, json.dumps(row), flush=True)
    return {name: _figures(r) for name, r in rows.items()}


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(key: str) -> float:
        return round(statistics.fmean(r[key] for r in rows), 2) if rows else 0.0

    return {"cases": len(rows), "with_violation": sum(bool(r["violations"]) for r in rows),
            "raw_lines": mean("raw_lines"), "kept_lines": mean("kept_lines"),
            "tokens": mean("tokens"), "seconds": mean("seconds")}


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    corpus = [c for c in load_corpus() if not args.languages or c.language_id in args.languages]
    cases = wanted(sample(corpus, args.per_language))[: args.limit]
    from bench.real_model.model import running_model

    async with running_model() as url:
        return await asyncio.to_thread(measure, url, cases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=1)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--languages", nargs="*", help="only these language ids")
    results = asyncio.run(_main(parser.parse_args(argv)))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
