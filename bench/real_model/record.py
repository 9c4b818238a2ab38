"""Record the real model's answers to iskra-ls's own completion requests.

Starts ``llama-server`` with the tiny model, puts :class:`~bench.real_model.proxy.ModelProxy`
(Iskra's paths) in front of it, and drives the real iskra-ls over stdio like an editor:
for each case of :mod:`bench.real_model.cases` it opens the document, asks for an
invoked inline completion at the cursor (one model request), and records the prompt,
the model's whole answer, how much of it iskra-ls read, and what iskra-ls returned.

    python -m bench.real_model.record                 # the full corpus (~1 h)
    python -m bench.real_model.record --per-language 3 --out /tmp/smoke
    python -m bench.real_model.record --resume        # top up each language to its count
    python -m bench.real_model.record --resume --languages yaml toml

Writes ``tests/fixtures/real_completions/<language>.jsonl`` (see ``corpus.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lsprotocol import types

from bench.lsp_driver import Driver
from bench.real_model.cases import Case, all_cases, cases_for
from bench.real_model.corpus import DEFAULT_DIR, RecordedCase, load_corpus, write_corpus
from bench.real_model.model import MODEL_NAME, running_model
from bench.real_model.proxy import ModelProxy, running_proxy

DEFAULT_COUNTS = {
    "python": 50,
    "javascript": 30,
    "typescript": 30,
    "go": 45,
    "rust": 45,
    "lua": 45,
    # Issue 18: every other language of bench.sources, 16 each (the four kinds x 4; three
    # kinds in Markdown, which has no brackets to auto-close).
    **dict.fromkeys(
        ("c", "cpp", "java", "ruby", "perl", "shellscript", "markdown", "yaml", "json", "toml",
         "html", "css", "makefile", "php", "sql"),
        16,
    ),
}
SETTINGS: dict[str, Any] = {"requestTimeoutS": 180}
"""The tiny model on 2 busy cores can take a while to read a long prompt."""


def _returned(driver: Driver, uri: str, offset: int, items: list[Any]) -> tuple[str | None, int]:
    if not items:
        return None, 0
    item = items[0]
    text = item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
    if item.range is None:
        return text, 0
    start, end = driver.offsets(uri, item.range)
    document = driver.text(uri)
    if start < offset and text.startswith(document[start:offset]):
        text = text[offset - start :]
    return text, max(end - offset, 0)


async def _record_one(driver: Driver, proxy: ModelProxy, case: Case, n: int) -> RecordedCase:
    before = len(proxy.exchanges)
    uri = driver.open(f"c{n:03d}_{case.path}", case.text, case.language_id)
    try:
        items = await asyncio.wait_for(driver.inline(uri, case.offset, invoked=True), 300)
    finally:
        driver.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    returned, replace_after = _returned(driver, uri, case.offset, items)
    exchanges = proxy.exchanges[before:]
    for exchange in exchanges:
        await asyncio.wait_for(exchange.done.wait(), 300)  # the whole answer, for the record
    last = exchanges[-1] if exchanges else None
    if last is not None and last.error is not None:
        raise RuntimeError(f"the model's answer failed: {last.error}")
    request = last.request if last else {}
    return RecordedCase(
        id=case.id,
        language_id=case.language_id,
        path=case.path,
        source=case.source,
        kind=case.kind,
        text=case.text,
        offset=case.offset,
        expected=case.expected,
        raw=last.raw if last else None,
        delivered_chars=last.delivered_chars if last else None,
        returned=returned,
        returned_replace_after=replace_after,
        prompt=list(request.get("messages", [])),
        max_tokens=request.get("max_tokens"),
        model=MODEL_NAME,
    )


async def _commit() -> str:
    """HEAD, and whether iskra_ls/ differs from it (what the recorded server really ran)."""
    git = await asyncio.create_subprocess_exec(
        "git", "rev-parse", "HEAD", stdout=subprocess.PIPE
    )
    commit = (await git.communicate())[0].decode().strip()
    dirty = await asyncio.create_subprocess_exec(
        "git", "status", "--porcelain", "--", "iskra_ls", stdout=subprocess.PIPE
    )
    if (await dirty.communicate())[0].strip():
        commit += " + uncommitted changes in iskra_ls/"
    return commit


async def record(
    counts: dict[str, int], out: Path, kept: list[RecordedCase] | None = None
) -> list[RecordedCase]:
    """Record ``counts`` cases per language into ``out``, except those already ``kept``."""
    kept = kept or []
    wanted = _to_record(counts, kept)
    place = {c.id: n for n, c in enumerate(all_cases(counts))}
    # Grouped by file: consecutive prompts share their start, which llama-server caches.
    cases = sorted(wanted, key=lambda c: (list(counts).index(c.language_id), c.source))

    def rows() -> list[RecordedCase]:
        return sorted(kept + recorded, key=lambda c: place.get(c.id, len(place)))

    print(f"{len(cases)} cases to record ({len(kept)} kept); iskra-ls at {await _commit()}",
          flush=True)
    recorded: list[RecordedCase] = []
    seconds: list[float] = []
    async with running_model() as model_url, running_proxy(model_url) as proxy:
        with tempfile.TemporaryDirectory() as tmp:
            async with Driver(Path(tmp), proxy, settings=SETTINGS) as driver:
                for n, case in enumerate(cases):
                    started = time.perf_counter()
                    try:
                        row = await _record_one(driver, proxy, case, n)
                    except Exception as error:  # one bad case must not lose the others
                        print(f"  {case.id}: {type(error).__name__}: {error}", flush=True)
                        continue
                    seconds.append(time.perf_counter() - started)
                    if row.raw is None:
                        print(f"  {case.id}: no model request", flush=True)
                        continue
                    recorded.append(row)
                    print(
                        f"[{n + 1}/{len(cases)}] {case.id} {seconds[-1]:.1f}s "
                        f"returned={row.returned is not None}",
                        flush=True,
                    )
                    write_corpus(rows(), out)  # a case costs a minute; writing, milliseconds
            requests = len(proxy.exchanges)
    write_corpus(rows(), out)
    _summary(recorded, seconds, requests)
    return rows()


def _to_record(counts: dict[str, int], kept: list[RecordedCase]) -> list[Case]:
    """The cases still to record: per language, what tops its recorded cases up to its
    count, kinds evened out. Cases recorded from other files (the corpus keeps cases cut
    before the sources moved to ``bench.sources``) count as they are."""
    done = {c.id for c in kept}
    out: list[Case] = []
    for language, count in counts.items():
        have = [c for c in kept if c.language_id == language]
        missing = count - len(have)
        if missing <= 0:
            continue
        kinds = Counter(c.kind for c in have)
        fresh = [c for c in cases_for(language, count + len(have)) if c.id not in done]
        while missing > 0 and fresh:
            pick = min(fresh, key=lambda c: kinds[c.kind])  # the kind with fewest so far
            fresh.remove(pick)
            out.append(pick)
            kinds[pick.kind] += 1
            missing -= 1
    return out


def _summary(recorded: list[RecordedCase], seconds: list[float], requests: int) -> None:
    print(
        f"recorded {len(recorded)} cases ({len(seconds)} asked, {requests} model requests), "
        f"{statistics.mean(seconds or [0]):.1f} s per case"
    )
    blocks = [r for r in recorded if r.max_tokens and r.max_tokens > 100 and r.raw]
    if blocks:
        delivered = statistics.mean(r.delivered_chars or 0 for r in blocks)
        total = statistics.mean(len(r.raw or "") for r in blocks)
        print(
            f"block requests: {len(blocks)}; chars read by iskra-ls {delivered:.0f} "
            f"of {total:.0f} generated (mean)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, help="cases per language (default: a mix)")
    parser.add_argument("--languages", nargs="+", default=list(DEFAULT_COUNTS))
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--resume", action="store_true",
                        help="keep the cases already in --out and record only the others")
    args = parser.parse_args(argv)
    counts = {
        lang: args.per_language or DEFAULT_COUNTS[lang]
        for lang in args.languages
    }
    kept = [c for c in load_corpus(args.out) if c.raw is not None] if args.resume else []
    asyncio.run(record(counts, args.out, kept))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
