"""What the learned coder takes from the quotes nobody labelled, when few are labelled.

Two aids, each switched by a :class:`~probation_themes.coding.model.ModelCoder`
option and each recorded in ``ModelCoder.aids_``:

* **Weak labels from the rules** (``weak_labels``, a weight; on by default): on a
  seeded sample of the uncoded quotes (at most ``WEAK_MAX_QUOTES``), the quotes a
  code's rules fire on are weak positives of that code, for codes that have rules.
  Each weak row weighs ``weak_labels`` times ``min(1, WEAK_FADE / labelled quotes)``,
  so the rules' say shrinks as human labels grow (and past ``WEAK_MIN_WEIGHT`` they
  are left out). The rule feature is blank on weak rows (they would otherwise only
  teach that the rules fire where they fire), so they teach which words go with the
  rules' hits. Weak rows only ever train the regressions: calibration and each
  code's threshold are fitted on the human-labelled quotes held out in
  cross-validation, never on weak ones; and a code keeps its weak labels only when,
  on those held-out human labels, they rank the quotes better than the human labels
  alone do (``PREFER_MARGIN``).
* **A representation learned from the project's own text** (``representation="lsa"``;
  off by default): latent semantic analysis — TF-IDF of the words of the labelled and
  uncoded quotes (a seeded sample of at most ``LSA_MAX_TEXTS``), reduced by a
  truncated SVD to ``LSA_DIMS`` dimensions and normalised — appended to every
  quote's features. Words that occur together in the uncoded answers land near each
  other, so a quote can share a direction with the labelled ones without sharing
  their words. On the ANES sets it moved sample F1 by noise-level amounts either
  way, so it is an option, not the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from probation_themes.codebook import Codebook
from probation_themes.coding.model_features import _rules_for
from probation_themes.coding.model_types import TextRef
from probation_themes.coding.tfidf import quick_transform

#: Dimensions of the LSA representation.
LSA_DIMS = 100

#: Most texts (labelled and uncoded) the representation is fitted on: a seeded sample
#: beyond that, so training stays quick in a project of a million quotes.
LSA_MAX_TEXTS = 50_000

#: Fewest texts to fit a representation on; with fewer there is nothing to learn from.
LSA_MIN_TEXTS = 50

#: Length of each quote's LSA vector among its features (the TF-IDF rows have length 1).
#: Measured on the four ANES sets at 2-100% of the labels: 1 cost up to 4.5 points of
#: sample F1 at 2% (d9), 0.3 changed nothing, 0.6 gave the best sum (see docs/methods.md).
LSA_WEIGHT = 0.6

#: Weight of one weak label, by default, next to 1 for a human label.
WEAK_WEIGHT = 0.2

#: Up to this many labelled quotes weak labels keep their full weight; beyond, it shrinks
#: in proportion (at 1,000 labelled quotes it is a tenth of the full weight).
WEAK_FADE = 100

#: Below this weight (past 1,000 labelled quotes at the default 0.2) weak labels are left out:
#: they would cost training time and change next to nothing.
WEAK_MIN_WEIGHT = 0.02

#: Most uncoded quotes given weak labels (a seeded sample beyond that).
WEAK_MAX_QUOTES = 5_000

#: Prefix of the representation's feature names (never shown as evidence).
LSA_FEATURE = "lsa:"


@dataclass
class AidReport:
    """What the model learned from besides the human labels (``ModelCoder.aids_``).

    Attributes:
        uncoded: uncoded quotes given to fit (after removing labelled ones).
        representation: ``lsa`` or ``none``.
        representation_dims: dimensions of the representation (0 without one).
        representation_texts: texts it was fitted on.
        weak_weight: weight of each weak label as used (0 without weak labels).
        weak_quotes: uncoded quotes given weak labels.
        weak_codes: codes that learned from weak labels (kept: they helped on the held-out human labels).
        weak_tried: codes given weak labels (trained codes with rules).
        notes: why an aid asked for was not used.
    """

    uncoded: int = 0
    representation: str = "none"
    representation_dims: int = 0
    representation_texts: int = 0
    weak_weight: float = 0.0
    weak_quotes: int = 0
    weak_codes: list[str] = field(default_factory=list)
    weak_tried: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "uncoded_quotes": self.uncoded, "representation": self.representation,
            "representation_dims": self.representation_dims, "representation_texts": self.representation_texts,
            "weak_weight": self.weak_weight, "weak_quotes": self.weak_quotes, "weak_codes": list(self.weak_codes),
            "weak_tried": list(self.weak_tried), "notes": list(self.notes),
        }

    def keep_weak(self, tried: list[str], kept: list[str]) -> None:
        """Record the codes given weak labels, and those that kept them (they helped on held-out human labels)."""
        self.weak_tried = [c for c in self.weak_codes if c in tried]
        self.weak_codes = [c for c in self.weak_codes if c in kept]
        if self.weak_tried and not self.weak_codes:
            self.notes.append(
                f"no weak labels kept: for the {len(self.weak_tried)} trained codes with rules they did not "
                "rank the held-out coded quotes better than the coded quotes alone"
            )

    @property
    def used_uncoded(self) -> bool:
        """Whether the model learned from the uncoded quotes (weak labels kept, or a representation)."""
        return bool(self.weak_codes) or self.representation != "none"

    def describe(self) -> str:
        """One line for a reader: e.g. ``weak labels from the rules on 3,486 uncoded quotes (weight 0.2)``."""
        parts = []
        if self.weak_codes:
            parts.append(
                f"weak labels from the rules on {self.weak_quotes:,} uncoded quotes (weight {self.weak_weight:g}; "
                f"kept for {len(self.weak_codes)} of {len(self.weak_tried)} codes)"
            )
        if self.representation_dims:
            parts.append(f"LSA {self.representation_dims} dimensions from {self.representation_texts:,} texts")
        return ", ".join(parts)


def uncoded_refs(refs: Sequence[TextRef], labelled: Mapping[str, object]) -> list[TextRef]:
    """The refs not labelled, each id once, in the order given."""
    seen: set[str] = set()
    kept = []
    for ref in refs:
        if ref.quote_id in labelled or ref.quote_id in seen:
            continue
        seen.add(ref.quote_id)
        kept.append(ref)
    return kept


def sample(refs: Sequence[TextRef], most: int, seed: int) -> list[TextRef]:
    """All of ``refs``, or a seeded sample of ``most`` of them in their order."""
    if len(refs) <= most:
        return list(refs)
    rng = np.random.default_rng([seed, most])
    return [refs[i] for i in np.sort(rng.choice(len(refs), size=most, replace=False))]


class Lsa:
    """Latent semantic analysis of the project's text: TF-IDF words → truncated SVD → unit length × ``weight``."""

    def __init__(self, dims: int = LSA_DIMS, weight: float = LSA_WEIGHT, seed: int = 0) -> None:
        self.dims, self.weight, self.seed = dims, weight, seed

    def fit(self, texts: Sequence[str]) -> Lsa | None:
        """Fit on ``texts``; None when they are too few or too poor in words to learn from."""
        if len(texts) < LSA_MIN_TEXTS:
            return None
        self.vectorizer_ = TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, dtype=np.float32)
        try:
            matrix = self.vectorizer_.fit_transform(texts)
        except ValueError:  # no word occurs twice
            return None
        dims = min(self.dims, matrix.shape[1] - 1, len(texts) - 1)
        if dims < 2:
            return None
        # Imported only when used, so the model's import (and every scoring worker) stays light.
        from sklearn.decomposition import TruncatedSVD

        self.svd_ = TruncatedSVD(n_components=dims, algorithm="randomized", n_iter=5, random_state=self.seed)
        self.svd_.fit(matrix)
        self.components_ = np.ascontiguousarray(self.svd_.components_.T.astype(np.float32))
        self.quick_ = quick_transform(self.vectorizer_)
        self.n_dims_ = dims
        self.n_texts_ = len(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """One row of ``n_dims_`` values per text (zeros for a text with no known word)."""
        quick = getattr(self, "quick_", None)
        words = quick.transform(texts) if quick is not None else self.vectorizer_.transform(texts)
        dense = np.asarray(words @ self.components_)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        np.divide(dense, norms, out=dense, where=norms > 0)
        dense *= self.weight
        return sp.csr_matrix(dense)

    def feature_names(self) -> list[str]:
        return [f"{LSA_FEATURE}{i}" for i in range(self.n_dims_)]


def weak_weight(base: float, n_labelled: int) -> float:
    """The weight of one weak label with ``n_labelled`` human-labelled quotes (fades past WEAK_FADE)."""
    return round(float(base) * min(1.0, WEAK_FADE / max(1, n_labelled)), 4)


def weak_rows(weak_y: np.ndarray, weak_codes: list[str], code_id: str) -> np.ndarray:
    """The weak rows a code learns from: the uncoded quotes its rules fire on (weak positives only).

    The quotes its rules miss are not taken as weak negatives: they hold every answer
    the rules do not know the words of, and teaching the model that those words mean
    "not this code" cost up to 7 points of macro-F1 in the tests' generated surveys.
    """
    if code_id not in weak_codes:
        return np.zeros(0, dtype=int)
    return np.flatnonzero(weak_y[:, weak_codes.index(code_id)])


#: How much better (mean average precision on the held-out human labels) the codes must
#: rank with their weak labels for them to be kept.
PREFER_MARGIN = 0.0


def prefer_aided(ys: Sequence[np.ndarray], plain: Sequence[np.ndarray], aided: Sequence[np.ndarray]) -> bool:
    """Whether out-of-fold probabilities ``aided`` rank the human labels better than ``plain``.

    One array per code; the mean average precision over the codes must gain at least
    PREFER_MARGIN. Kept or dropped for all codes at once: on the generated single-choice
    set, choosing code by code mixed codes that learned from the rules with codes that did
    not, and did worse (5% labelled: macro-F1 0.94) than either all (0.97) or none (0.955).
    """
    if not ys:
        return False
    gain = [average_precision_score(y, a) - average_precision_score(y, p) for y, p, a in zip(ys, plain, aided)]
    return bool(np.mean(gain) >= PREFER_MARGIN)


def average_precision_score(y: np.ndarray, proba: np.ndarray) -> float:
    """Average precision of ranking by ``proba`` against 0/1 ``y`` (as scikit-learn computes it, ties together).

    Written out to keep ``sklearn.metrics`` out of the model's imports (a test checks the two agree).
    """
    order = np.argsort(-proba, kind="stable")
    p, t = proba[order], y[order].astype(float)
    last = np.r_[p[1:] != p[:-1], True]  # one point per distinct probability
    tp = np.cumsum(t)[last]
    kept = np.arange(1, len(p) + 1)[last]
    if tp[-1] == 0:
        return 0.0
    recall = tp / tp[-1]
    precision = tp / kept
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def class_weights(y: np.ndarray) -> dict[int, float]:
    """What ``class_weight="balanced"`` gives on the human labels, kept fixed when weak rows join them."""
    n, pos = len(y), int(y.sum())
    return {0: n / (2 * (n - pos)), 1: n / (2 * pos)}


def aided_splits(folds, X_human, y_human, n_weak: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation splits over human rows then weak rows: weak rows always train, never test."""
    n = len(y_human)
    weak = np.arange(n, n + n_weak)
    return [(np.concatenate([train, weak]), test) for train, test in folds.split(X_human, y_human)]


def prepare_aids(
    representation: str, weak: float | None, codebook: Codebook, refs: list[TextRef], unlabelled: list[TextRef],
    labels: Mapping[str, object], seed: int,
) -> tuple[AidReport, Lsa | None, list[TextRef], np.ndarray, list[str]]:
    """What to learn from beyond the labels: the fitted representation, the weak rows and their labels.

    Returns the report, the representation (None without one), the weakly labelled
    refs, their labels (one column per code in the last item: the codes with rules).
    """
    extra = uncoded_refs(unlabelled, labels)
    aids = AidReport(uncoded=len(extra))
    weak = WEAK_WEIGHT if weak is True else weak
    lsa = None
    if representation == "lsa":
        texts = [r.text for r in sample([*refs, *extra], LSA_MAX_TEXTS, seed)]
        lsa = Lsa(seed=seed).fit(texts)
        if lsa is None:
            aids.notes.append(f"no LSA representation: {len(texts):,} texts are too few or too poor in words")
        else:
            aids.representation, aids.representation_dims = "lsa", lsa.n_dims_
            aids.representation_texts = len(texts)
    with_rules = [c.id for c in codebook.codes if c.rules is not None and not c.rules.is_empty()]
    weak_refs: list[TextRef] = []
    weak_y = np.zeros((0, 0))
    weak_codes: list[str] = []
    faded = weak and weak_weight(weak, len(refs)) < WEAK_MIN_WEIGHT
    if faded and extra and with_rules:
        aids.notes.append(f"no weak labels: with {len(refs):,} labelled quotes they would weigh next to nothing")
    elif weak and extra and with_rules:
        weak_refs = sample(extra, WEAK_MAX_QUOTES, seed)
        rules = _rules_for(codebook)
        code_ids = rules.engine_.code_ids
        hits, _, _ = rules.engine_.scan([r.text for r in weak_refs])
        weak_codes = [c for c in with_rules if c in code_ids]
        col = {c: j for j, c in enumerate(weak_codes)}
        weak_y = np.zeros((len(weak_refs), len(weak_codes)), dtype=int)
        for h in hits:
            if code_ids[h[1]] in col:
                weak_y[h[0], col[code_ids[h[1]]]] = 1
        aids.weak_weight = weak_weight(weak, len(refs))
        aids.weak_quotes = len(weak_refs)
        aids.weak_codes = weak_codes
    elif weak and with_rules:
        aids.notes.append("no weak labels: no uncoded quotes were given")
    return aids, lsa, weak_refs, weak_y, weak_codes
