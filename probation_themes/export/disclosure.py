"""Small-cell suppression as statistical offices do it: primary, then secondary, with an audit.

A table row here is a partition: the respondents of a code (or of the whole survey) split
by region or organisation, with the row's total shown. Hiding one small count is not
enough, since the total minus the counts shown gives it back; so after the *primary*
suppression of small counts, further (*secondary*) counts are hidden until no hidden
count can be worked out exactly from what the row shows. docs/confidentiality.md states
the policy; every report, table and ``stats`` output applies it through these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

#: Why a count is hidden: ``small`` (primary: from 1 to min_cell - 1, or any count of a group
#: smaller than min_cell) or ``secondary`` (hidden so that a small one cannot be recovered).
Hidden = Literal["", "small", "secondary"]


def _ranges(
    values: Sequence[int], hidden: Sequence[Hidden], lows: Sequence[int], highs: Sequence[int]
) -> list[tuple[int, int]]:
    """The values each hidden cell could take, given the row total and the cells shown."""
    chosen = [j for j, h in enumerate(hidden) if h]
    total = sum(values[j] for j in chosen)  # what the total minus the shown cells gives away
    lo_sum = sum(lows[j] for j in chosen)
    hi_sum = sum(highs[j] for j in chosen)
    out = []
    for j in chosen:
        low = max(lows[j], total - (hi_sum - highs[j]))
        high = min(highs[j], total - (lo_sum - lows[j]))
        out.append((low, high))
    return out


def protect_row(
    values: Sequence[int],
    min_cell: int,
    *,
    small_groups: Sequence[bool] | None = None,
    bounds: Sequence[int] | None = None,
    at_least_one: bool = False,
) -> list[Hidden]:
    """Which cells of a row to hide so that no hidden count can be recovered from the row's total.

    Args:
        values: the row's counts; the row's total (their sum) is shown.
        min_cell: counts from 1 to ``min_cell - 1`` are hidden (0 or 1: nothing is).
        small_groups: per cell, whether its group has fewer than ``min_cell`` respondents:
            every count of such a group is hidden, 0 included.
        bounds: per cell, the largest value a reader knows it can have (its group's size
            when that is shown); the row's total by default.
        at_least_one: every cell counts at least 1 (a row of group sizes).

    Returns:
        Per cell: ``""`` (shown), ``"small"`` or ``"secondary"``.
    """
    n = len(values)
    if min_cell <= 1 or n == 0:
        return [""] * n
    total = sum(values)
    small_groups = small_groups or [False] * n
    bounds = bounds or [total] * n
    hidden: list[Hidden] = [
        "small" if small_groups[j] or 0 < values[j] < min_cell else "" for j in range(n)
    ]

    def exposed(marks: Sequence[Hidden]) -> bool:
        # What a reader knows of each hidden cell: a small count is from 1 to min_cell - 1; a
        # small group's count from 0 to its size; any other from 0 to its bound.
        lows = [1 if at_least_one or (h == "small" and not small_groups[j]) else 0 for j, h in enumerate(marks)]
        highs = [
            min(bounds[j], min_cell - 1) if h == "small" else bounds[j] for j, h in enumerate(marks)
        ]
        ranges = _ranges(values, marks, lows, highs)
        # A cell is exposed when the row pins it to one value that "<N" alone did not (with
        # min_cell 2, "<2" already says 1: hiding more would protect nothing).
        chosen = [j for j, h in enumerate(marks) if h]
        return any(low >= high and lows[j] < highs[j] for j, (low, high) in zip(chosen, ranges))

    while exposed(hidden):
        shown = [j for j in range(n) if not hidden[j]]
        # When even hiding every other count would not help (the small counts alone add up to
        # the total, say), more hiding only loses information: the total itself is the limit.
        if not shown or exposed([h or "secondary" for h in hidden]):
            return hidden
        # Hide the smallest count shown: the least information lost for the protection gained.
        hidden[min(shown, key=lambda j: (values[j], j))] = "secondary"
    return hidden
