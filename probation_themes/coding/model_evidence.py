"""The evidence of the learned coder's suggestions: the features that pushed them, and the threshold."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from probation_themes.coding.base import Row
from probation_themes.coding.model_decide import SET_REASON
from probation_themes.coding.model_types import Chunk, Scores
from probation_themes.models import Evidence, evidence_item_json

T = TypeVar("T")

#: Most word features listed as the evidence of one model coding.
TOP_TERMS = 5

#: Evidence term of a suggestion made because a quote needs a code and this one is the most likely.
FALLBACK_TERM = "most likely code (every coded quote has one)"

#: Evidence term of a suggestion made because its exactly-one group needs a code and this is the likeliest.
GROUP_TERM = "most likely of its single-choice group"

#: Evidence term of a suggestion in its quote's likeliest set of codes; the weight is the set's expected F1.
SET_TERM = "one of the quote's likeliest codes (expected F1 of the set)"


class EvidenceMixin:
    """Evidence of :class:`~probation_themes.coding.model.ModelCoder`'s suggestions."""

    def _store_rows(self, chunk: Chunk, scores: Scores) -> list[Row]:
        """A chunk's suggestions as store rows: what :meth:`_batch` makes as codings, encoded."""
        ids = [r.quote_id for r in chunk.refs]
        codes = self.trained_codes_
        confidence = np.round(scores.proba[scores.rows, scores.cols], 4).tolist()
        evidence = self._evidence_items(scores, lambda term, weight: evidence_item_json(
            {"kind": "model", "term": term, "text": "", "weight": weight}
        ))
        return [
            (ids[r], codes[c], p, "[" + ",".join(items) + "]")
            for r, c, p, items in zip(scores.rows.tolist(), scores.cols.tolist(), confidence, evidence)
        ]

    def _name_extras(self) -> None:
        """Evidence terms beyond the features: each code's threshold, its share, the fallback."""
        names = list(self.feature_names_)
        for code_id in self.trained_codes_:
            if code_id in self.constants_:
                names.append(f"suggested everywhere: on {self.constants_[code_id]:.0%} of coded quotes")
            else:
                names.append(f"threshold {self.thresholds_[code_id]:.2f}")
        names.append(FALLBACK_TERM)
        names.append(GROUP_TERM)
        names += [f"chosen over {c}" for c in self.trained_codes_]
        names.append(SET_TERM)
        self.evidence_names_ = names

    def _top_features(
        self,
        features: sp.csr_matrix,
        rows: np.ndarray,
        cols: np.ndarray,
        how: np.ndarray | None = None,
        losers: list[tuple[int, int, float]] | None = None,
        fit: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Evidence for every (row, trained code) pair at once, as (pair, feature, weight) arrays.

        A feature's contribution is its weight for the code times its value in
        the quote, rounded to two decimals; the TOP_TERMS largest positive word
        contributions of each pair are kept, and every positive rule and topic
        feature, largest first (ties in feature order). Then come the code's
        threshold (or why it was suggested without reaching it), the codes it
        won its single-choice group from, and, for a pair in its quote's
        likeliest set (``how`` is ``SET_REASON``), that set's expected F1 (``fit``) last.
        """
        hidden = self._hidden_columns()
        indptr, indices, data = _without_columns(features, *hidden)
        starts = indptr[rows]
        counts = indptr[rows + 1] - starts
        pair = np.repeat(np.arange(len(rows)), counts)
        at = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
        feat = indices[at]
        contrib = np.round(data[at] * self.coef_[cols[pair], feat], 2)
        keep = contrib > 0
        pair, feat, contrib = pair[keep], feat[keep], contrib[keep]
        # Stable sorts: equal contributions stay in feature order (CSR rows are sorted).
        group = pair * 2 + (feat >= hidden[1])
        order = np.lexsort((-contrib, group))
        pair, feat, contrib, group = pair[order], feat[order], contrib[order], group[order]
        index = np.arange(len(group))
        first = np.ones(len(group), dtype=bool)
        first[1:] = group[1:] != group[:-1]
        rank = index - np.maximum.accumulate(np.where(first, index, 0))
        keep = (group % 2 == 1) | (rank < TOP_TERMS)
        pair, feat, contrib = pair[keep], feat[keep], contrib[keep]
        order = np.lexsort((-contrib, pair))
        pair, feat, contrib = pair[order], feat[order], contrib[order]
        # Last come the threshold the probability reached (or the share of an 'always' code).
        n, base = len(rows), len(self.feature_names_)
        limits = np.array([self.thresholds_[c] for c in self.trained_codes_] + [0.0])[cols]
        n_codes = len(self.trained_codes_)
        extra_feat = base + cols
        if how is not None and how.any():
            extra_feat = np.where(how == 1, base + n_codes, np.where(how == 2, base + n_codes + 1, extra_feat))
        lost = losers or []
        in_set = np.flatnonzero(how == SET_REASON) if how is not None else np.zeros(0, dtype=np.int64)
        pair = np.concatenate([pair, np.arange(n), np.array([k for k, _, _ in lost], dtype=np.int64), in_set])
        feat = np.concatenate([
            feat, extra_feat, np.array([base + n_codes + 2 + c for _, c, _ in lost], dtype=np.int64),
            np.full(len(in_set), base + 2 * n_codes + 2, dtype=np.int64),
        ])
        sets = np.round(fit[in_set], 2) if fit is not None else np.zeros(len(in_set))
        contrib = np.concatenate([contrib, np.round(limits, 2), np.round([p for _, _, p in lost], 2), sets])
        order = np.argsort(pair, kind="stable")
        return pair[order], feat[order], contrib[order]

    def _hidden_columns(self) -> tuple[int, int]:
        """The features that help the model but mean little to a reader: never evidence.

        Character n-grams and the representation's dimensions, which come right after the words.
        """
        return self.n_words_, self.n_words_ + self.n_chars_ + getattr(self, "n_dense_", 0)

    def _evidence_lists(self, scores: Scores) -> list[list[Evidence]]:
        """The evidence records of each suggestion of a chunk."""
        return self._evidence_items(scores, lambda term, weight: Evidence(kind="model", term=term, weight=weight))

    def _evidence_items(self, scores: Scores, make: Callable[[str, float], T]) -> list[list[T]]:
        """The evidence of each suggestion of a chunk, each item made by ``make(term, weight)``.

        Weights have two decimals, so the same (feature, weight) recurs across
        quotes; each distinct one is made once and shared by the suggestions it
        belongs to (nothing changes an item once made).
        """
        n = len(scores.rows)
        if not len(scores.pair):
            return [[] for _ in range(n)]
        key = scores.feat.astype(np.int64) * 10**9 + np.rint(scores.weight * 100).astype(np.int64)
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        names = self.evidence_names_
        items = np.empty(len(first), dtype=object)
        items[:] = [make(names[f], w) for f, w in zip(scores.feat[first].tolist(), scores.weight[first].tolist())]
        ordered = items[inverse.ravel()]
        bounds = np.searchsorted(scores.pair, np.arange(n + 1)).tolist()
        return [ordered[bounds[k] : bounds[k + 1]].tolist() for k in range(n)]


def _without_columns(features: sp.csr_matrix, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``indptr``, ``indices`` and ``data`` of ``features`` with the columns ``lo`` to ``hi - 1`` left out.

    Character n-grams are most of a quote's features; leaving them out before
    pairing features with suggestions keeps the evidence a tenth of the work.
    """
    indptr, indices, data = features.indptr, features.indices, features.data
    if hi <= lo:
        return indptr, indices, data
    keep = (indices < lo) | (indices >= hi)
    if keep.all():
        return indptr, indices, data
    row = np.repeat(np.arange(features.shape[0]), np.diff(indptr))
    kept = np.bincount(row[keep], minlength=features.shape[0])
    return np.concatenate([[0], np.cumsum(kept)]).astype(indptr.dtype), indices[keep], data[keep]
