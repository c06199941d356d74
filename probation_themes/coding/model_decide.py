"""How the learned coder decides: each code trained, always, never or left to the rules; then each quote's codes.

Also the choice of each trained code's threshold from its out-of-fold
probabilities, to maximise F1 (or to reach a wanted precision), the
probabilities of a batch of quotes, and each quote's likeliest set of codes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from probation_themes.coding.model_types import Shortfall, TextRef

#: How the model decides a code (``ModelCoder.decisions_``).
MODEL, ALWAYS, NEVER, RULES = "model", "always", "never", "rules"

#: How a quote's codes are chosen from their probabilities (``ModelCoder.decision``): each code on
#: its own where it reaches its threshold, or the quote's set of codes with the highest expected F1.
THRESHOLD_DECISION, SET_DECISION = "threshold", "set"

#: ``how`` of a suggestion made because it is in the quote's likeliest set of codes.
SET_REASON = 3

#: A code too seldom absent to be trained is suggested on every quote when it is on at least
#: this share of all labelled quotes (not only of those labelled for it: a code a reviewer
#: only ever accepted is on every quote labelled for it, and says nothing about the rest).
ALWAYS_SHARE = 0.9


def decide(counts: Mapping[str, tuple[int, int]], need: int, n_labelled: int) -> dict[str, str]:
    """``{code: decision}`` from ``{code: (quotes with it, quotes without it)}``.

    ``need`` is the fewest quotes with a code, and without it, needed to train it;
    ``n_labelled`` the number of labelled quotes. A code with enough of both is
    trained (``model``); one with no labelled quote is left to the rules
    (``rules``); one short of quotes without it and on at least ``ALWAYS_SHARE``
    of the labelled quotes is suggested everywhere (``always``); any other is
    suggested nowhere (``never``; in ``code --method all`` the rules decide it).
    """
    decisions = {}
    for code_id, (pos, neg) in counts.items():
        if pos + neg == 0:
            decisions[code_id] = RULES
        elif pos >= need and neg >= need:
            decisions[code_id] = MODEL
        elif neg < need and pos >= ALWAYS_SHARE * n_labelled:
            decisions[code_id] = ALWAYS
        else:
            decisions[code_id] = NEVER
    return decisions


def best_threshold(proba: np.ndarray, y: np.ndarray, min_precision: float | None = None) -> float:
    """The threshold that maximises F1 of ``proba >= threshold`` against ``y`` (0/1).

    With ``min_precision``, the lowest threshold whose precision reaches it
    (the F1-best one when none does). The threshold is placed halfway between
    the lowest probability kept and the highest one left out, so a probability
    a little off the training ones falls on the side it is nearest to.
    """
    order = np.argsort(-proba, kind="stable")
    p, t = proba[order], y[order].astype(float)
    # Only where the probability changes can a threshold fall.
    last = np.r_[p[1:] != p[:-1], True]
    tp = np.cumsum(t)[last]
    kept = (np.arange(1, len(p) + 1))[last]
    positives = t.sum()
    if positives == 0:
        return 1.0
    precision = tp / kept
    f1 = 2 * tp / (kept + positives)
    cut = np.nonzero(last)[0]
    choice = int(np.argmax(f1))
    if min_precision is not None:
        reach = np.nonzero(precision >= min_precision)[0]
        if len(reach):
            choice = int(reach[-1])
    lowest_kept = p[cut[choice]]
    below = p[cut[choice] + 1] if cut[choice] + 1 < len(p) else 0.0
    return float(np.clip((lowest_kept + below) / 2, 1e-4, 1.0))


def count_labels(
    codes: list[str], refs: Sequence[TextRef], labels: Mapping[str, Mapping[str, int]], need: int
) -> tuple[dict[str, tuple[int, int]], dict[str, Shortfall]]:
    """Per code, (quotes with it, quotes without it), and the shortfall of the codes short of ``need``."""
    counts: dict[str, tuple[int, int]] = {}
    skipped: dict[str, Shortfall] = {}
    for code_id in codes:
        values = [labels[r.quote_id][code_id] for r in refs if code_id in labels[r.quote_id]]
        pos = int(sum(values))
        neg = len(values) - pos
        counts[code_id] = (pos, neg)
        if pos < need or neg < need:
            skipped[code_id] = Shortfall(pos, max(0, need - pos), neg, max(0, need - neg))
    return counts, skipped

def refusal(skipped: Mapping[str, Shortfall], need: int) -> str:
    """Why no code can be trained, and how many more examples each needs."""
    parts = []
    for code_id, s in skipped.items():
        if s.needed_more:
            parts.append(
                f"Code {code_id} has {s.positives} positive examples; the model needs at least "
                f"{need} — code {s.needed_more} more quotes with {code_id} (by review or "
                "import-codings)."
            )
        else:
            parts.append(
                f"Code {code_id} has {s.negatives} quotes labelled as not {code_id}; the model "
                f"needs at least {need} — reject {s.needed_more_negatives} more {code_id} "
                "suggestions in review, or import a coder who coded whole quotes."
            )
    return (
        "The model cannot be trained: no code has enough coded examples. "
        + " ".join(parts)
        + " Until then, use `code --method rules`."
    )


def likeliest_set(proba: np.ndarray, floor: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per quote, the set of codes with the highest expected F1 against a coder, and that F1.

    With calibrated probabilities ``p`` (taken as independent), the expected F1
    of suggesting a quote's ``k`` likeliest codes is close to
    ``2 * (sum of their p) / (k + sum of every p)`` (Jansche 2007; Lipton et
    al. 2014): a code joins the set while its probability is above about half
    the F1 the set can reach, so beside a clear code a doubtful one stays out,
    while several doubtful ones come together. Only codes reaching ``floor``
    (each code's threshold) may be in a set; a quote with none gets an empty set.

    Returns ``how`` (``SET_REASON`` for the codes of each quote's set, -1 for
    the others) and each quote's expected F1 of its set.
    """
    n, k = proba.shape
    how = np.full((n, k), -1, dtype=np.int8)
    if not n or not k:
        return how, np.zeros(n)
    p = proba if floor is None else np.where(proba >= floor, proba, 0.0)
    order = np.argsort(-p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    total = proba.sum(axis=1, keepdims=True)
    expected = 2 * np.cumsum(ranked, axis=1) / (np.arange(1, k + 1) + total)
    size = np.argmax(expected, axis=1) + 1
    best = expected[np.arange(n), size - 1]
    take = (np.arange(k) < size[:, None]) & (ranked > 0)
    rows, ranks = np.nonzero(take)
    how[rows, order[rows, ranks]] = SET_REASON
    return how, np.where(take.any(axis=1), best, 0.0)


class DecisionMixin:
    """Which codes :class:`~probation_themes.coding.model.ModelCoder` suggests, and their probabilities."""

    def _probabilities(self, features: sp.csr_matrix) -> np.ndarray:
        """What each code's CalibratedClassifierCV.predict_proba gives, for all codes at once.

        Every fold's decision function comes from one sparse product; each is
        calibrated by that fold's calibrator and the folds are averaged, as
        scikit-learn does (a test checks the two agree).
        """
        decisions = np.asarray(features @ self.fold_weights_) + self.fold_intercepts_
        proba = np.zeros((features.shape[0], len(self.trained_codes_)))
        column = 0
        for j, code_id in enumerate(self.trained_codes_):
            if code_id in self.constants_:  # suggested everywhere: its share of the coded quotes
                proba[:, j] = self.constants_[code_id]
                continue
            folds = self.classifiers_[code_id].calibrated_classifiers_
            for fold in folds:
                p = fold.calibrators[0].predict(decisions[:, column])
                p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0
                proba[:, j] += p
                column += 1
            proba[:, j] /= len(folds)
        return proba

    def _decide(
        self, proba: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, float]], np.ndarray]:
        """The (quote, trained code) pairs suggested, why, and the codes each lost a group to.

        A code is a candidate where its probability reaches its threshold. With
        the ``threshold`` decision every candidate is suggested; with ``set``
        (:func:`likeliest_set`) a quote is suggested the set of its candidates
        with the highest expected F1, so a doubtful code beside a clear one is
        left out. With ``at_least_one_``, a quote given no code gets its most
        likely trained code. In a single-choice group (``groups_``) only the
        most probable of the codes suggested stays; in an exactly-one group the
        most probable is suggested even under its threshold. Returns rows,
        columns, how each pair was reached (0: threshold, 1: the most likely
        code, 2: its group needs one, 3: in the quote's likeliest set), (pair,
        losing column, its probability) for group winners, and each pair's
        expected F1 of its quote's set (0 outside sets).
        """
        limits = np.array([self.thresholds_[c] for c in self.trained_codes_])
        learned = np.array([c not in self.constants_ for c in self.trained_codes_], dtype=bool)
        fit = np.zeros(len(proba))
        if getattr(self, "decision_", THRESHOLD_DECISION) == SET_DECISION:
            how, fit = likeliest_set(proba, limits)
            how[:, ~learned] = np.where(proba[:, ~learned] >= limits[~learned], 0, -1)  # everywhere codes stay so
        else:
            how = np.where(proba >= limits, 0, -1).astype(np.int8)
        if self.at_least_one_ and learned.any() and len(how):
            empty = np.nonzero((how < 0).all(axis=1))[0]
            if len(empty):
                masked = np.where(learned, proba[empty], -1.0)
                how[empty, np.argmax(masked, axis=1)] = 1
        beaten: list[tuple[int, int, int, float]] = []
        col_of = {c: j for j, c in enumerate(self.trained_codes_)}
        for _name, codes, exactly_one in getattr(self, "groups_", []):
            cols = np.array([col_of[c] for c in codes if c in col_of], dtype=int)
            if not len(cols):
                continue
            on = how[:, cols] >= 0
            best = cols[np.argmax(np.where(on, proba[:, cols], -1.0), axis=1)]
            for r, k in zip(*np.nonzero(on)):
                if cols[k] != best[r]:
                    how[r, cols[k]] = -1
                    beaten.append((int(r), int(best[r]), int(cols[k]), float(proba[r, cols[k]])))
            if exactly_one:
                none = np.nonzero(~on.any(axis=1))[0]
                how[none, cols[np.argmax(proba[none][:, cols], axis=1)]] = 2
        rows, cols = np.nonzero(how >= 0)
        pair_of = {(r, c): k for k, (r, c) in enumerate(zip(rows.tolist(), cols.tolist()))}
        losers = [(pair_of[(r, w)], lost, p) for r, w, lost, p in beaten if (r, w) in pair_of]
        return rows, cols, how[rows, cols], losers, fit[rows]


def quiet_fit(classifier, X, y, **fit_params) -> None:
    """Fit ``classifier`` without liblinear's convergence warnings reaching the user's terminal.

    The dual solver may stop at its iteration limit on separable codes; the calibrated
    probabilities and the thresholds chosen from held-out folds already account for the
    fit as it is, so the warning says nothing a researcher could act on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(X, y, **fit_params)
