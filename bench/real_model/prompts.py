"""Prompt variants measured against the real model on the recorded corpus's cases.

Each variant rewrites the chat messages that ``iskra_ls.completion.context.build_prompt``
builds today (so the variants differ from the product in one thing each); every
case of the sample is asked again with each variant, and the answer goes through
today's post-processing and the corpus oracle. Figures per variant:

- ``clean``: share of cases whose answer reaches the editor as a suggestion that
  breaks no invariant (the survival rate);
- ``raw_bad``: share of raw answers with a violation (fence, prose, echoed wrapper...);
- ``first``: share of cases whose suggestion starts with the real code's first token,
  and ``first3`` with its first three tokens.

Needs the model (``bench/real_model/setup.sh``): ``python -m bench.real_model.prompts``.
Not part of CI; the figures are in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from bench.real_model.corpus import RecordedCase, load_corpus
from bench.real_model.invariants import check, first_tokens
from iskra_ls.completion.context import CURSOR_MARKER, build_context, build_prompt, to_lf
from iskra_ls.completion.postprocess import postprocess

Messages = list[dict[str, str]]

_CODE = re.compile(r"<code>\n(.*)\n</code>\n", re.S)


def _fenced(messages: Messages, case: RecordedCase) -> Messages:
    """The code in a Markdown fence with the language tag instead of ``<code>`` tags."""
    fence = f"```{case.language_id}"
    user = _CODE.sub(lambda m: f"{fence}\n{m.group(1)}\n```\n", messages[1]["content"])
    return [messages[0], {"role": "user", "content": user}]


def _short_instruction(messages: Messages, case: RecordedCase) -> Messages:
    """A terse last line with nothing quotable ("one line, no line break" is echoed)."""
    user = messages[1]["content"]
    head, _, _ = user.rpartition("</code>\n\n")
    ctx_block = "a block" if "ending where the enclosing block ends" in user else "one line"
    tail = f"Continue the code at {CURSOR_MARKER} ({ctx_block}). Answer with code only."
    return [messages[0], {"role": "user", "content": f"{head}</code>\n\n{tail}"}]


_EXAMPLE_USER = (
    "Language: python\nFile: example.py\nIndentation: 4 spaces\n\n"
    "<code>\ndef area(width, height):\n    return <CURSOR>\n</code>\n\n"
    "Write the rest of the current line at <CURSOR>: one line, no line break."
)
_EXAMPLE_ANSWER = "width * height"


def _one_shot(messages: Messages, case: RecordedCase) -> Messages:
    """One worked example first: the answer is bare code, nothing else."""
    return [
        messages[0],
        {"role": "user", "content": _EXAMPLE_USER},
        {"role": "assistant", "content": _EXAMPLE_ANSWER},
        messages[1],
    ]


def _fenced_one_shot(messages: Messages, case: RecordedCase) -> Messages:
    return _one_shot(_fenced(messages, case), case)


VARIANTS: dict[str, Callable[[Messages, RecordedCase], Messages]] = {
    "today": lambda messages, _case: messages,
    "fenced": _fenced,
    "short-instruction": _short_instruction,
    "one-shot": _one_shot,
    "fenced+one-shot": _fenced_one_shot,
}


def sample(cases: list[RecordedCase], per_language: int, seed: int = 14) -> list[RecordedCase]:
    """Up to ``per_language`` cases of each language, kinds mixed, the same every run."""
    rng = random.Random(seed)
    chosen: list[RecordedCase] = []
    for language in sorted({c.language_id for c in cases}):
        group = [c for c in cases if c.language_id == language]
        rng.shuffle(group)
        chosen += group[:per_language]
    return chosen


def _ask(url: str, messages: Messages, max_tokens: int) -> str:
    body = json.dumps(
        {
            "model": "local",
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "seed": 14,
        }
    ).encode()
    request = urllib.request.Request(
        f"{url}/v1/chat/completions", body, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.load(response)
    except (OSError, ValueError) as error:  # one lost answer must not lose the run
        print(f"  no answer: {type(error).__name__}: {error}", flush=True)
        return ""
    return str(answer["choices"][0]["message"]["content"] or "")


def measure(url: str, cases: list[RecordedCase], variants: list[str]) -> dict[str, Any]:
    """The figures of each variant over ``cases`` (blocking: it waits for the model)."""
    results: dict[str, Any] = {}
    for name in variants:
        clean = raw_bad = first = first3 = 0
        started = time.perf_counter()
        for case in cases:
            ctx = build_context(
                case.text, case.offset, language_id=case.language_id, path=case.path
            )
            prompt = build_prompt(ctx)
            raw = to_lf(_ask(url, VARIANTS[name](prompt.messages, case), prompt.max_tokens))
            raw_bad += bool(check(case.text, case.offset, case.language_id, raw))
            suggestion = postprocess(raw, ctx)
            if suggestion is None:
                continue
            text = to_lf(suggestion.text)
            if check(case.text, case.offset, case.language_id, text, suggestion.replace_after):
                continue
            clean += 1
            want = case.expected if ctx.multiline else case.expected.split("\n", 1)[0]
            first += first_tokens(text, 1) == first_tokens(want, 1)
            first3 += first_tokens(text, 3) == first_tokens(want, 3)
        n = len(cases) or 1
        results[name] = {
            "cases": len(cases),
            "clean": clean / n,
            "raw_bad": raw_bad / n,
            "first": first / n,
            "first3": first3 / n,
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(name, results[name], flush=True)
    return results


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    cases = sample(load_corpus(), args.per_language)
    if args.url:
        return await asyncio.to_thread(measure, args.url, cases, args.variants)
    from bench.real_model.model import running_model

    async with running_model() as url:
        return await asyncio.to_thread(measure, url, cases, args.variants)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=10)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--url", help="a running llama-server (else one is started)")
    args = parser.parse_args(argv)
    results = asyncio.run(_main(args))
    print(f"{'variant':<20} {'clean':>7} {'raw bad':>8} {'first':>7} {'first3':>7}")
    for name, f in results.items():
        print(
            f"{name:<20} {100 * f['clean']:>6.1f}% {100 * f['raw_bad']:>7.1f}%"
            f" {100 * f['first']:>6.1f}% {100 * f['first3']:>6.1f}%"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
