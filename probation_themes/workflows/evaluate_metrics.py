"""The figures of ``evaluate``: F1 pooled over codes, per code, per answer, and for single-choice groups.

All figures are computed from 0/1 matrices (one row per held-out answer, one
column per evaluated code) so they can be checked by hand on tiny cases:

- micro F1 pools true positives, false positives and false negatives over
  every code; macro F1 is the mean of the codes' F1 (codes where F1 is
  undefined, neither in the gold nor predicted, are left out);
- sample-based F1 is the mean over answers of the F1 between the predicted and
  the gold code sets (an answer with no gold and no predicted code counts 1:
  the two sets agree);
- for a single-choice group (one code of the group per answer), each answer's
  gold and predicted choice is one label; accuracy is the share of answers
  where they agree and macro-F1 the mean F1 over the group's labels that occur
  in the gold or the predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: The label of an answer given no code of a single-choice group.
NO_CHOICE = "(none)"


@dataclass
class Score:
    """A figure over the folds: mean, standard deviation and the folds where it was defined.

    F1 is undefined for a code in a fold where it is neither in the gold nor
    predicted; such folds are left out (``folds`` counts the others).
    """

    mean: float | None
    sd: float | None
    folds: int


@dataclass
class GroupMetrics:
    """Single-label figures of one single-choice group."""

    accuracy: Score
    macro: Score


@dataclass
class Metrics:
    """Micro F1, macro F1, sample-based F1, and precision, recall and F1 per code."""

    micro: Score
    macro: Score
    per_code: dict[str, Score]
    sample: Score | None = None
    precision: dict[str, Score] = field(default_factory=dict)
    recall: dict[str, Score] = field(default_factory=dict)
    groups: dict[str, GroupMetrics] = field(default_factory=dict)


@dataclass
class FoldResult:
    """What one method decided on one fold's held-out answers, reduced to what the figures need."""

    counts: np.ndarray  # codes x (tp, fp, fn)
    sample_f1: float
    groups: dict[str, tuple[float, float]]  # group -> (accuracy, macro-F1)


def counts(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per code: true positives, false positives, false negatives (shape codes × 3)."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    tp = (truth & predicted).sum(axis=0)
    fp = (~truth & predicted).sum(axis=0)
    fn = (truth & ~predicted).sum(axis=0)
    return np.stack([tp, fp, fn], axis=1)


def f1(tp: float, fp: float, fn: float) -> float:
    """F1 from counts; NaN when there is nothing in the gold or the predictions."""
    return float("nan") if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def _ratio(num: float, den: float) -> float:
    return float("nan") if den == 0 else num / den


def sample_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over answers (rows) of the F1 between predicted and gold code sets; NaN with no rows."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    if not len(truth):
        return float("nan")
    tp = (truth & predicted).sum(axis=1)
    total = truth.sum(axis=1) + predicted.sum(axis=1)
    per_answer = np.where(total == 0, 1.0, 2 * tp / np.maximum(total, 1))
    return float(per_answer.mean())


def choices(
    matrix: np.ndarray, columns: Sequence[int], names: Sequence[str], scores: np.ndarray | None = None
) -> list[str]:
    """Each row's one choice among ``columns``: the code set, else NO_CHOICE.

    Where several codes of the group are set, the highest score wins (without
    scores, the first in codebook order).
    """
    picked = []
    for r in range(len(matrix)):
        on = [k for k, c in enumerate(columns) if matrix[r, c]]
        if not on:
            picked.append(NO_CHOICE)
        elif len(on) == 1 or scores is None:
            picked.append(names[on[0]])
        else:
            picked.append(names[max(on, key=lambda k: scores[r, columns[k]])])
    return picked


def single_label(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """Accuracy and macro-F1 over the labels in the gold or the predictions."""
    if not gold:
        return float("nan"), float("nan")
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    values = []
    for label in sorted(set(gold) | set(predicted)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        values.append(f1(tp, fp, fn))
    return float(accuracy), float(np.mean(values))


def fold_result(
    truth: np.ndarray,
    predicted: np.ndarray,
    groups: Sequence[tuple[str, list[int], list[str], bool]] = (),
    scores: np.ndarray | None = None,
) -> FoldResult:
    """The counts, sample-based F1 and single-choice figures of one method on one fold.

    ``groups``: (name, column indices, code ids, exactly_one) of each
    single-choice group. With ``exactly_one``, a method that chose nothing
    (or several) is held to the highest-scored code when it has scores.
    """
    per_group = {}
    for name, columns, names, exactly_one in groups:
        gold = choices(truth, columns, names)
        chosen = predicted
        if exactly_one and scores is not None:
            chosen = predicted.copy()
            empty = ~predicted[:, columns].any(axis=1)
            best = np.asarray(columns)[np.argmax(scores[:, columns], axis=1)]
            chosen[np.flatnonzero(empty), best[empty]] = True
        per_group[name] = single_label(gold, choices(chosen, columns, names, scores))
    return FoldResult(counts(truth, predicted), sample_f1(truth, predicted), per_group)


def score(values: Sequence[float]) -> Score:
    """Mean and standard deviation of the defined values (NaN left out)."""
    defined = [v for v in values if not np.isnan(v)]
    if not defined:
        return Score(None, None, 0)
    sd = float(np.std(defined, ddof=1)) if len(defined) > 1 else 0.0
    return Score(round(float(np.mean(defined)), 4), round(sd, 4), len(defined))


def metrics(per_fold: Sequence[FoldResult], codes: Sequence[str]) -> Metrics:
    """Every figure, as mean and sd over the folds."""
    cs = [r.counts for r in per_fold]
    micro = [f1(*c.sum(axis=0)) for c in cs]
    macro = []
    for c in cs:
        defined = [v for v in (f1(*row) for row in c) if not np.isnan(v)]
        macro.append(float(np.mean(defined)) if defined else float("nan"))
    group_names = list(per_fold[0].groups) if per_fold else []
    return Metrics(
        micro=score(micro),
        macro=score(macro),
        per_code={code: score([f1(*c[j]) for c in cs]) for j, code in enumerate(codes)},
        sample=score([r.sample_f1 for r in per_fold]),
        precision={code: score([_ratio(c[j, 0], c[j, 0] + c[j, 1]) for c in cs]) for j, code in enumerate(codes)},
        recall={code: score([_ratio(c[j, 0], c[j, 0] + c[j, 2]) for c in cs]) for j, code in enumerate(codes)},
        groups={
            g: GroupMetrics(score([r.groups[g][0] for r in per_fold]), score([r.groups[g][1] for r in per_fold]))
            for g in group_names
        },
    )
