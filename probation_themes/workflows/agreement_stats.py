"""The statistics of two coders' agreement: per code and pooled, from 2×2 counts, with bootstrap intervals.

Point estimates come from well-kept implementations (scikit-learn's
``cohen_kappa_score``, the ``krippendorff`` package); the bootstrap re-computes
the same statistics from the 2×2 counts of every resample, vectorised with numpy.
Split from :mod:`probation_themes.workflows.agreement`, which re-exports these names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

_STATISTICS = ("percent_agreement", "kappa", "alpha", "precision", "recall", "f1")
# Bound the resample × unit weight matrix built at once (about 32 MB of int64).
_CELLS_PER_CHUNK = 4_000_000


# -- results -------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A statistic with its bootstrap 95% percentile interval.

    ``value`` is None when the statistic is undefined for these data; ``note``
    then says why. ``undefined_resamples`` counts resamples in which it was
    undefined (they are left out of the interval).
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    undefined_resamples: int = 0
    note: str | None = None


@dataclass(frozen=True)
class Counts:
    """The 2×2 table behind every statistic: how many units each pair of answers got."""

    both: int
    a_only: int
    b_only: int
    neither: int

    @property
    def a(self) -> int:
        """Units coder A applied the code to."""
        return self.both + self.a_only

    @property
    def b(self) -> int:
        """Units coder B applied the code to."""
        return self.both + self.b_only


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code (or pooled over all codes), B scored against A.

    ``n`` is the number of decisions compared: units for one code, units × codes
    when pooled. Percentage agreement is on a 0–100 scale; the others on their own.
    """

    code: str
    n: int
    counts: Counts
    percent_agreement: Estimate
    kappa: Estimate
    alpha: Estimate
    precision: Estimate
    recall: Estimate
    f1: Estimate


# -- statistics from 2×2 counts (vectorised) -------------------------------------


def rates_from_counts(
    both: np.ndarray, a_only: np.ndarray, b_only: np.ndarray, neither: np.ndarray
) -> dict[str, np.ndarray]:
    """Every statistic, element-wise, from arrays of 2×2 counts; NaN where undefined.

    κ is undefined when both coders are constant (each gave every unit one value):
    chance agreement then equals observed agreement and κ says nothing. α (nominal,
    two coders, no missing values) is undefined when only one value occurs at all.
    Precision is undefined when B never applied the code, recall when A never did,
    F1 when neither did.

    Returns:
        A dict with the keys ``percent_agreement``, ``kappa``, ``alpha``,
        ``precision``, ``recall`` and ``f1``.
    """
    both, a_only, b_only, neither = (np.asarray(x, dtype=np.float64) for x in (both, a_only, b_only, neither))
    n = both + a_only + b_only + neither
    a1, b1 = both + a_only, both + b_only
    a0, b0 = n - a1, n - b1
    disagree = a_only + b_only
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (both + neither) / n
        expected = (a1 * b1 + a0 * b0) / (n * n)
        kappa = (observed - expected) / (1.0 - expected)
        constant = ((a1 == 0) | (a0 == 0)) & ((b1 == 0) | (b0 == 0))
        kappa = np.where(constant | (n == 0), np.nan, kappa)
        # Coincidence-matrix form for two coders and two values: the 2n values are
        # pairable, the off-diagonal coincidences are 2·(a_only + b_only).
        ones, zeros = a1 + b1, a0 + b0
        alpha = np.where(ones * zeros > 0, 1.0 - (2.0 * n - 1.0) * disagree / (ones * zeros), np.nan)
        precision = np.where(b1 > 0, both / b1, np.nan)
        recall = np.where(a1 > 0, both / a1, np.nan)
        f1 = np.where(a1 + b1 > 0, 2.0 * both / (a1 + b1), np.nan)
    return {
        "percent_agreement": np.where(n > 0, 100.0 * observed, np.nan),
        "kappa": kappa,
        "alpha": alpha,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def cohen_kappa(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float | None:
    """Cohen's κ of two coders' 0/1 decisions (scikit-learn), or None when undefined.

    κ is undefined when both coders are constant; see :func:`rates_from_counts`.
    """
    a, b = np.asarray(a, dtype=np.int8), np.asarray(b, dtype=np.int8)
    if a.size == 0 or (np.all(a == a[0]) and np.all(b == b[0])):
        return None
    return float(cohen_kappa_score(a, b, labels=[0, 1]))


def krippendorff_alpha(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float | None:
    """Krippendorff's α (nominal) of two coders' 0/1 decisions, or None when undefined.

    Uses the ``krippendorff`` package; α is undefined when only one value occurs.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0 or len(np.unique(np.concatenate([a, b]))) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=np.vstack([a, b]), level_of_measurement="nominal"))


def _bootstrap_counts(a: np.ndarray, b: np.ndarray, resamples: int, seed: int | None) -> np.ndarray:
    """2×2 counts per code in each bootstrap resample of units: shape (resamples, codes, 4)."""
    n_units, n_codes = a.shape
    # One indicator column per (code, cell) for three cells; the fourth is n minus the rest.
    cells = np.concatenate([a & b, a & ~b, ~a & b], axis=1).astype(np.float64)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, _CELLS_PER_CHUNK // max(n_units, 1)))
    result = np.empty((resamples, n_codes, 4), dtype=np.float64)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        drawn = rng.integers(0, n_units, size=(size, n_units))
        # How often each unit was drawn in each resample, without a Python loop.
        offsets = (np.arange(size) * n_units)[:, None]
        weights = np.bincount((drawn + offsets).ravel(), minlength=size * n_units).reshape(size, n_units)
        counted = (weights @ cells).reshape(size, 3, n_codes).transpose(0, 2, 1)
        result[start : start + size, :, :3] = counted
        result[start : start + size, :, 3] = n_units - counted.sum(axis=2)
    return result


def _notes(counts: Counts, pooled: bool) -> dict[str, str]:
    what = "any code" if pooled else "this code"
    notes = {}
    n = counts.both + counts.a_only + counts.b_only + counts.neither
    if counts.a in (0, n) and counts.b in (0, n):
        notes["kappa"] = (
            "both coders gave every unit the same answer, so chance agreement equals observed "
            "agreement and κ is undefined"
        )
    if counts.a + counts.b == 0:
        notes["alpha"] = f"neither coder applied {what}, so only one value occurs and α is undefined"
    elif counts.a_only + counts.b_only == 0 and counts.neither == 0:
        notes["alpha"] = f"both coders applied {what} to every unit, so α is undefined"
    if counts.b == 0:
        notes["precision"] = f"B never applied {what}, so precision is undefined"
    if counts.a == 0:
        notes["recall"] = f"A never applied {what}, so recall is undefined"
    if counts.a + counts.b == 0:
        notes["f1"] = f"neither coder applied {what}, so F1 is undefined"
    return notes


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _summarise(
    code: str,
    n: int,
    counts: Counts,
    points: Mapping[str, float | None],
    boot: Mapping[str, np.ndarray] | None,
    pooled: bool,
) -> CodeAgreement:
    notes = _notes(counts, pooled)
    estimates = {}
    for stat in _STATISTICS:
        value = points[stat]
        low = high = None
        undefined = 0
        if boot is not None:
            samples = boot[stat]
            defined = samples[~np.isnan(samples)]
            undefined = int(samples.size - defined.size)
            if defined.size:
                low, high = (float(x) for x in np.percentile(defined, [2.5, 97.5]))
        estimates[stat] = Estimate(value, low, high, undefined, notes.get(stat) if value is None else None)
    return CodeAgreement(code=code, n=n, counts=counts, **estimates)


def agreement_statistics(
    a: np.ndarray,
    b: np.ndarray,
    codes: Sequence[str],
    *,
    resamples: int = 1000,
    seed: int | None = 0,
) -> tuple[list[CodeAgreement], CodeAgreement]:
    """Agreement of B with A for each code and pooled over all codes.

    Args:
        a: coder A's decisions, a 0/1 array of shape (units, codes). A is the reference.
        b: coder B's decisions, the same shape.
        codes: the code ids of the columns.
        resamples: bootstrap resamples of units for the 95% intervals (0: no intervals).
        seed: seed of the bootstrap; the same seed gives the same intervals.

    Returns:
        One :class:`CodeAgreement` per code, and one pooled over every code × unit
        decision (micro-averaged precision, recall and F1).
    """
    a = np.asarray(a).astype(bool)
    b = np.asarray(b).astype(bool)
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != len(codes):
        raise ValueError(f"a and b must both have shape (units, {len(codes)}); got {a.shape} and {b.shape}")
    if resamples < 0:
        raise ValueError("resamples must be 0 or more")
    n_units = a.shape[0]
    table = np.stack([(a & b).sum(0), (a & ~b).sum(0), (~a & b).sum(0), (~a & ~b).sum(0)], axis=1)
    pooled_table = table.sum(axis=0)
    rates = rates_from_counts(*table.T)
    pooled_rates = rates_from_counts(*pooled_table)

    boot = pooled_boot = None
    if resamples and n_units:
        sampled = _bootstrap_counts(a, b, resamples, seed)
        boot = rates_from_counts(*np.moveaxis(sampled, 2, 0))
        pooled_boot = rates_from_counts(*np.moveaxis(sampled.sum(axis=1), 1, 0))

    results = []
    for j, code in enumerate(codes):
        points = {stat: _finite(rates[stat][j]) for stat in _STATISTICS}
        points["kappa"] = cohen_kappa(a[:, j], b[:, j])
        points["alpha"] = krippendorff_alpha(a[:, j], b[:, j])
        per_code_boot = {stat: boot[stat][:, j] for stat in _STATISTICS} if boot is not None else None
        results.append(_summarise(code, n_units, Counts(*map(int, table[j])), points, per_code_boot, False))
    pooled_points = {stat: _finite(float(pooled_rates[stat])) for stat in _STATISTICS}
    pooled_points["kappa"] = cohen_kappa(a.ravel(), b.ravel())
    pooled_points["alpha"] = krippendorff_alpha(a.ravel(), b.ravel())
    overall = _summarise("overall", a.size, Counts(*map(int, pooled_table)), pooled_points, pooled_boot, True)
    return results, overall
