"""The oracle's false alarms: real code cut out of real files, put back as the suggestion.

An oracle that flags right answers is as wrong as a filter that drops them. For every
language of ``bench.sources`` this cuts each kind of cursor at each code line of its files
(``cases.every_cut``: line start, mid-line, after a block opener, inside auto-closed
brackets) and checks the real code that was cut out against ``invariants.check``, as the
suggestion at that cursor: every violation it reports is a false alarm.

    python -m bench.real_model.alarms                 # 1000 lines per language
    python -m bench.real_model.alarms --lines 3000 yaml shellscript --show 5
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.real_model.cases import Case, every_cut
from bench.real_model.invariants import check
from bench.real_model.oracle_layout import wants_block


@dataclass
class Alarms:
    language: str
    lines: int = 0
    checks: int = 0
    alarms: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.alarms / self.checks if self.checks else 0.0


def ground_truth(case: Case) -> tuple[str, int, bool]:
    """(suggestion, replace_after, multiline): the real code as the answer at the cursor."""
    line_after = case.text[case.offset :].split("\n", 1)[0]
    line_before = case.text[: case.offset].rsplit("\n", 1)[-1]
    multiline = wants_block(line_before, line_after, case.language_id)
    expected = case.expected if multiline else case.expected.split("\n", 1)[0]
    return expected, len(line_after), multiline


def run_language(language: str, lines: int, show: int = 0) -> Alarms:
    result = Alarms(language)
    seen_lines: set[tuple[str, str]] = set()
    for case in every_cut(language, lines):
        seen_lines.add((case.source, case.id.split(":")[-2]))
        suggestion, replace_after, multiline = ground_truth(case)
        if not suggestion.strip():
            continue
        result.checks += 1
        found = check(case.text, case.offset, language, suggestion, replace_after,
                      multiline=multiline)
        if found:
            result.alarms += 1
            result.by_kind.update({v.kind for v in found})
            if len(result.examples) < show:
                result.examples.append(
                    f"{case.id} ({case.source}): {[f'{v.kind}: {v.detail}' for v in found]}"
                    f"\n    suggestion {suggestion[:160]!r}"
                )
    result.lines = len(seen_lines)
    return result


def main(argv: list[str] | None = None) -> int:
    from bench import sources

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("languages", nargs="*", default=list(sources.LANGUAGES))
    parser.add_argument("--lines", type=int, default=1000, help="code lines per language")
    parser.add_argument("--show", type=int, default=0, help="examples per language")
    args = parser.parse_args(argv)
    print(f"{'language':<12} {'lines':>6} {'checks':>7} {'alarms':>7} {'rate':>7}  by kind")
    for language in args.languages:
        started = time.perf_counter()
        r = run_language(language, args.lines, args.show)
        kinds = ", ".join(f"{k} {n}" for k, n in r.by_kind.most_common())
        print(f"{language:<12} {r.lines:>6} {r.checks:>7} {r.alarms:>7} {100 * r.rate:>6.2f}%"
              f"  {kinds}  ({time.perf_counter() - started:.0f} s)", flush=True)
        for example in r.examples:
            print("   ", example)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
