"""A line diff whose cost is bounded, for turning a model's new file into small edits.

difflib's ``SequenceMatcher(autojunk=False)`` is quadratic or worse on repeated
lines: one ``write_file`` of 4000 lines of three distinct lines took 89 s. Here
the common head and tail are trimmed first (linear), then the rest is split at
lines that occur exactly once on both sides (the longest increasing run of such
pairs, as patience diff does), and only regions of at most :data:`DIFF_BUDGET`
line pairs go to difflib, within a total of :data:`TOTAL_BUDGET`. A region that
would cost more is replaced whole: the result is always correct, only sometimes
a little larger than the smallest diff.

Pure: sequences of strings in, index ranges out.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence

DIFF_BUDGET = 40_000
"""Line pairs (old lines x new lines) difflib may compare in one region (~50 ms worst)."""

TOTAL_BUDGET = 250_000
"""Line pairs difflib may compare over one whole diff; past it regions are replaced whole."""

Hunk = tuple[int, int, int, int]
"""``(i1, i2, j1, j2)``: ``old[i1:i2]`` becomes ``new[j1:j2]``."""


def line_hunks(old: Sequence[str], new: Sequence[str]) -> list[Hunk]:
    """The regions that differ, ascending, never empty on both sides, never adjacent."""
    hunks: list[Hunk] = []
    spent = 0
    pending = [(0, len(old), 0, len(new))]
    while pending:
        i1, i2, j1, j2 = pending.pop()
        while i1 < i2 and j1 < j2 and old[i1] == new[j1]:
            i1, j1 = i1 + 1, j1 + 1
        while i1 < i2 and j1 < j2 and old[i2 - 1] == new[j2 - 1]:
            i2, j2 = i2 - 1, j2 - 1
        if i1 == i2 and j1 == j2:
            continue
        cells = (i2 - i1) * (j2 - j1)
        if cells == 0:
            hunks.append((i1, i2, j1, j2))
        elif cells <= DIFF_BUDGET and spent + cells <= TOTAL_BUDGET:
            spent += cells
            matcher = difflib.SequenceMatcher(None, old[i1:i2], new[j1:j2], autojunk=False)
            hunks.extend(
                (i1 + a1, i1 + a2, j1 + b1, j1 + b2)
                for tag, a1, a2, b1, b2 in matcher.get_opcodes()
                if tag != "equal"
            )
        else:
            anchors = _unique_anchors(old, i1, i2, new, j1, j2)
            if not anchors:
                hunks.append((i1, i2, j1, j2))
                continue
            start_i, start_j = i1, j1
            for at_i, at_j in anchors:
                pending.append((start_i, at_i, start_j, at_j))
                start_i, start_j = at_i + 1, at_j + 1
            pending.append((start_i, i2, start_j, j2))
    return _merged(sorted(hunks))


def _unique_anchors(
    old: Sequence[str], i1: int, i2: int, new: Sequence[str], j1: int, j2: int
) -> list[tuple[int, int]]:
    """Lines once in each side, paired, longest run increasing on both sides."""
    in_old = Counter(old[i1:i2])
    in_new = Counter(new[j1:j2])
    where_new = {
        new[j]: j for j in range(j1, j2) if in_new[new[j]] == 1 and in_old[new[j]] == 1
    }
    pairs = [(i, where_new[old[i]]) for i in range(i1, i2) if old[i] in where_new]
    # Longest increasing subsequence of the new-side indexes (patience sorting).
    tails: list[int] = []
    tail_at: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k] = j
            tail_at[k] = n
        back[n] = tail_at[k - 1] if k else -1
    run: list[tuple[int, int]] = []
    n = tail_at[-1] if tail_at else -1
    while n != -1:
        run.append(pairs[n])
        n = back[n]
    return run[::-1]


def _merged(hunks: list[Hunk]) -> list[Hunk]:
    out: list[Hunk] = []
    for hunk in hunks:
        if out and out[-1][1] == hunk[0] and out[-1][3] == hunk[2]:
            out[-1] = (out[-1][0], hunk[1], out[-1][2], hunk[3])
        else:
            out.append(hunk)
    return out
