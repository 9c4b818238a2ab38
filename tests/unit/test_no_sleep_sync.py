"""No test waits a fixed time for something to happen: it waits for the event.

A sleep that stands in for an event ("configuration is pulled after initialized") passes
on an idle machine and fails on a loaded one. Sleeps inside a loop poll a condition or pace
a simulated service; a straight-line sleep is allowed only where time itself is the point
(a Retry-After passing, a window in which nothing may happen), said on its line with
``# sleep-ok: <why>``.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _straight_line_sleeps(tree: ast.AST) -> list[ast.Call]:
    found: list[ast.Call] = []

    def visit(node: ast.AST, in_loop: bool) -> None:
        for child in ast.iter_child_nodes(node):
            loop = in_loop or isinstance(child, ast.For | ast.AsyncFor | ast.While)
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                loop = False
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "sleep"
                and not in_loop
                and not (child.args and isinstance(child.args[0], ast.Constant)
                         and child.args[0].value == 0)  # a yield to the loop, not a wait
            ):
                found.append(child)
            visit(child, loop)

    visit(tree, False)
    return found


def test_every_straight_line_sleep_says_why_time_is_the_point() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if "fixtures" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for call in _straight_line_sleeps(ast.parse("\n".join(lines))):
            if "# sleep-ok:" not in lines[call.lineno - 1]:
                offenders.append(f"{path.relative_to(TESTS)}:{call.lineno}: "
                                 f"{lines[call.lineno - 1].strip()}")
    assert not offenders, "wait for the event instead:\n" + "\n".join(offenders)
