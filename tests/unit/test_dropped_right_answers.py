"""The right answers the filters still dropped (issue 18 item 1, ground-truth bench).

Each fixture line is one case of ``python -m bench.ground_truth`` cut from a real file
(``tests/fixtures/right_answers/dropped.jsonl``: the excerpt, the cursor, the true
continuation). The scripted model answers the truth, read as the server's fetch reads
it while it streams; every one of them was dropped on main at 7f48be0. The other side
of every filter (the junk it stops on the real-model corpus) is measured by the bench
and by ``test_real_corpus.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ground_truth import Case, outcome  # noqa: E402
from iskra_ls.completion.context import build_context  # noqa: E402
from iskra_ls.completion.filters.syntax import keep_parseable  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "right_answers" / "dropped.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]

WHY = {
    "init.h": "the window ended inside the function the answer reopens",
    "stl.h": "a macro call the grammar reads as an error with or without the answer",
    "mkisofs": "a string continued with a backslash closes at the quote the document has",
    "prepopulated_fields_js.html": "a tag the grammar misreads (quotes in a template tag)",
    "forms.css": "the window began inside a rule",
    "alpha/Makefile": "a line of the form every line around it has, misread alike",
    "buildflags.mk": "words in an open function call are no English that ends the block",
    "Helper.php": "English in a doc comment the answer opened is its content",
}


def _why(source: str) -> str:
    return next(reason for key, reason in WHY.items() if key in source)


@pytest.mark.parametrize("item", CASES, ids=[_why(c["source"]) for c in CASES])
def test_the_true_continuation_is_shown(item: dict[str, str]) -> None:
    case = Case(item["source"], item["language_id"], item["kind"], item["text"],
                int(item["offset"]), item["truth"])
    assert outcome(case) == "kept"


CURSOR = "█"
SHELL_CASE = (
    "_mkisofs()\n{\n    case $prev in\n        -*-charset)\n"
    f"            COMPREPLY=($(compgen -W {CURSOR}\n"
    "                    help 2>&1 | tail -n +3)' -- \"$cur\"))\n"
    "            return\n            ;;\n    esac\n}\n"
)


_STEPS = "".join(f"        step_{i}(v_h, ptr); // one of the steps of the slow path\n"
                 for i in range(20))
CPP_CASE = (
    "template <typename Class>\n"
    "void construct(value_and_holder &v_h, Cpp<Class> *ptr, bool need_alias) {\n"
    f" {CURSOR}\n"
    "        v_h.value_ptr() = ptr;\n"
    + _STEPS
    + "    } else {\n"
    + _STEPS
    + "        v_h.value_ptr() = ptr;\n    }\n}\n\n"
    "template <typename Class>\nvoid construct(value_and_holder &v_h, Holder<Class> holder) {\n"
    "    v_h.value_ptr() = holder.get();\n}\n"
)
"""The parse window ends 1000 characters after the cursor, here inside the ``else``: the
answer reopens the ``if`` the cursor's line had, and the function left open at the
window's end read as one error from its first line on."""


@pytest.mark.parametrize(
    ("language_id", "doc", "text", "kept"),
    [
        pytest.param("cpp", CPP_CASE, "   no_nullptr(ptr);\n    if (Class::has_alias && "
                     "need_alias && !is_alias<Class>(ptr)) {", True,
                     id="cpp-window-ends-inside-a-function"),
        pytest.param("cpp", CPP_CASE, "   no_nullptr(ptr);\n    if (Class::has_alias && "
                     "need_alias && !is_alias<Class>(ptr))) {", False,
                     id="cpp-an-extra-parenthesis-is-still-new"),
        # The string the answer opens closes at the quote the document left unmatched.
        pytest.param("shellscript", SHELL_CASE, "'$(mkisofs -input-charset \\", True,
                     id="shell-string-closes-at-the-documents-quote"),
        # The other side: a string that swallows code the document reads as code.
        pytest.param("shellscript", "if true; then\n    echo █\n    return\nfi\n",
                     "'hello world", False, id="shell-string-swallows-code"),
        pytest.param("python", "def f():\n    x = █\n    return x\n", '"""the value',
                     False, id="python-docstring-swallows-code"),
    ],
)
def test_the_syntax_verdict(language_id: str, doc: str, text: str, kept: bool) -> None:
    offset = doc.index(CURSOR)
    ctx = build_context(doc.replace(CURSOR, "", 1), offset, language_id=language_id,
                        path=f"file.{language_id}")
    assert (keep_parseable(text, ctx) == text) is kept
