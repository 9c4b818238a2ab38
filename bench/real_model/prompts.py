"""Prompt variants measured against the real model on the recorded corpus's cases.

Each variant rewrites the chat messages that ``iskra_ls.completion.context.build_prompt``
builds today (so the variants differ from the product in one or two things); every
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

_FENCED = re.compile(r"(`{3,})[\w-]*\n(.*)\n\1\n", re.S)


def _code_tags(messages: Messages, case: RecordedCase) -> Messages:
    """The code between ``<code>`` tags, as before issue 14 (the model echoed them back)."""
    return [
        {**m, "content": _FENCED.sub(lambda f: f"<code>\n{f.group(2)}\n</code>\n", m["content"])}
        if m["role"] == "user"
        else m
        for m in messages
    ]


def _no_example(messages: Messages, case: RecordedCase) -> Messages:
    """Without the worked example exchange."""
    return [messages[0], messages[-1]]


def _short_instruction(messages: Messages, case: RecordedCase) -> Messages:
    """A terse last line with nothing quotable ("one line, no line break" was echoed)."""
    user = messages[-1]["content"]
    head, _, _ = user.rpartition("\n\n")
    wanted = "a block" if "ending where the enclosing block ends" in user else "one line"
    tail = f"Continue the code at {CURSOR_MARKER} ({wanted}). Answer with code only."
    return [*messages[:-1], {"role": "user", "content": f"{head}\n\n{tail}"}]


VARIANTS: dict[str, Callable[[Messages, RecordedCase], Messages]] = {
    "today": lambda messages, _case: messages,
    "no example": _no_example,
    "code tags": _code_tags,
    "code tags, no example": lambda m, c: _code_tags(_no_example(m, c), c),
    "short instruction": _short_instruction,
}
"""``today`` is ``build_prompt``'s prompt (code in a fence, one worked example);
``code tags, no example`` is the prompt the corpus was recorded with."""


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
            raw_bad += bool(check(case.text, case.offset, case.language_id, raw,
                                  multiline=ctx.multiline))
            suggestion = postprocess(raw, ctx)
            if suggestion is None:
                continue
            text = to_lf(suggestion.text)
            if check(case.text, case.offset, case.language_id, text, suggestion.replace_after,
                     multiline=ctx.multiline):
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
