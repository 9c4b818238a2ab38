"""The recorded real-model corpus: one JSON object per case, one file per language.

``tests/fixtures/real_completions/<language>.jsonl`` holds completion requests cut
from real code, the raw answer a real chat model gave to iskra-ls's prompt, and what
iskra-ls returned over LSP when it was recorded. Stdlib only: the unit tests read it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "real_completions"


@dataclass(frozen=True)
class RecordedCase:
    """One completion request from real code and the real model's answer to it."""

    id: str
    """Unique: ``<language>/<file>:<line>:<kind>``."""
    language_id: str
    path: str
    """The workspace-relative name the document was opened as."""
    source: str
    """Where the code came from (a file of this machine's Python, Go, Rust crates, ...)."""
    kind: str
    """line_start | mid_line | after_opener | in_brackets."""
    text: str
    """The whole document as the editor had it: an excerpt of the real file."""
    offset: int
    """The cursor, as a Python string index into ``text``."""
    expected: str
    """The real code that was removed at the cursor (it replaces the rest of the line)."""
    raw: str | None = None
    """The model's complete answer."""
    delivered_chars: int | None = None
    """How much of ``raw`` iskra-ls had read when it closed the stream."""
    returned: str | None = None
    """What iskra-ls inserted (None: no suggestion)."""
    returned_replace_after: int = 0
    prompt: list[dict[str, str]] = dataclasses.field(default_factory=list)
    max_tokens: int | None = None
    model: str = ""


def load_corpus(directory: Path = DEFAULT_DIR) -> list[RecordedCase]:
    """Every recorded case, by file name then line order (deterministic)."""
    fields = {f.name for f in dataclasses.fields(RecordedCase)}
    cases: list[RecordedCase] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data: dict[str, Any] = json.loads(line)
                cases.append(RecordedCase(**{k: v for k, v in data.items() if k in fields}))
    return cases


def write_corpus(cases: list[RecordedCase], directory: Path = DEFAULT_DIR) -> None:
    """Write ``cases`` grouped by language, replacing those languages' files."""
    directory.mkdir(parents=True, exist_ok=True)
    by_language: dict[str, list[RecordedCase]] = {}
    for case in cases:
        by_language.setdefault(case.language_id, []).append(case)
    for language, group in by_language.items():
        lines = [
            json.dumps(dataclasses.asdict(case), sort_keys=True, ensure_ascii=False)
            for case in group
        ]
        (directory / f"{language}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
