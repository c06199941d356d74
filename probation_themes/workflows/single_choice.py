"""Single-label figures for single-choice groups: accuracy, macro-F1 and Cohen's kappa.

Where a codebook says an answer takes at most one (or exactly one) code of a
group, per-code yes/no agreement hides what matters: did the two codings give
the answer the *same* code of the group? Each unit gets one label per group:
the code it was given, or "none" where it was given none of the group's codes
(a unit given two is counted as its first in codebook order, and counted in
``multiple``). Accuracy is the share of units with the same label; macro-F1 is
the mean over the group's labels (and "none", where either side used it) of
the F1 of B's label against A's; kappa is Cohen's on the labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sklearn.metrics import cohen_kappa_score, f1_score

from probation_themes.codebook.groups import SingleChoiceGroup

__all__ = ["GroupAgreement", "group_agreement"]

NONE = "(none)"


@dataclass(frozen=True)
class GroupAgreement:
    """How far two codings agree on one single-choice group, as one label per unit."""

    group: str
    codes: tuple[str, ...]
    exactly_one: bool
    n: int
    accuracy: float | None
    macro_f1: float | None
    kappa: float | None
    #: Units one side gave two or more of the group's codes (counted as the first).
    multiple_a: int = 0
    multiple_b: int = 0


def _labels(units: Sequence[str], positives: Iterable[tuple[str, str]], group: SingleChoiceGroup) -> tuple[list[str], int]:
    given: dict[str, list[str]] = {}
    order = {c: i for i, c in enumerate(group.codes)}
    for unit, code in positives:
        if code in order:
            given.setdefault(unit, []).append(code)
    labels, multiple = [], 0
    for unit in units:
        codes = sorted(set(given.get(unit, ())), key=order.__getitem__)
        multiple += len(codes) > 1
        labels.append(codes[0] if codes else NONE)
    return labels, multiple


def group_agreement(
    units: Sequence[str],
    a: Iterable[tuple[str, str]],
    b: Iterable[tuple[str, str]],
    groups: Sequence[SingleChoiceGroup],
) -> list[GroupAgreement]:
    """One :class:`GroupAgreement` per group, B scored against A over ``units`` ((unit, code) pairs)."""
    a, b = list(a), list(b)
    out = []
    for group in groups:
        la, ma = _labels(units, a, group)
        lb, mb = _labels(units, b, group)
        if not units:
            out.append(GroupAgreement(group.name, group.codes, group.exactly_one, 0, None, None, None, ma, mb))
            continue
        used = sorted(set(la) | set(lb))
        accuracy = sum(x == y for x, y in zip(la, lb)) / len(la)
        macro = float(f1_score(la, lb, labels=used, average="macro", zero_division=0))
        kappa = None if len(set(la) | set(lb)) < 2 else float(cohen_kappa_score(la, lb))
        out.append(GroupAgreement(group.name, group.codes, group.exactly_one, len(units),
                                  round(accuracy, 4), round(macro, 4), None if kappa is None else round(kappa, 4),
                                  ma, mb))
    return out
