"""The text features of the learned coder: word n-grams and, optionally, character n-grams."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from probation_themes.coding.tfidf import quick_transform

#: Below this many training quotes every word is kept; from here on a word must occur twice.
MIN_DF_FROM = 50

#: Shortest and longest character n-grams (within words, padded by a space).
CHAR_NGRAMS = (2, 5)

#: Prefix of the character n-gram feature names.
CHAR_FEATURE = "chars:"


class TextFeatures:
    """TF-IDF of word n-grams, then (with ``chars``) of character n-grams within words.

    Character n-grams let the model read misspellings, word endings and words
    joined without spaces (common in survey answers typed in capitals or in a
    hurry); they are features, never evidence: a reader sees the words.
    """

    def __init__(self, ngram_range: tuple[int, int], chars: bool, n_quotes: int, dense=None) -> None:
        #: A fitted representation appended after the n-grams (``transform(texts)``, ``feature_names()``).
        self.dense = dense
        min_df = 2 if n_quotes >= MIN_DF_FROM else 1
        self.words = TfidfVectorizer(ngram_range=tuple(ngram_range), sublinear_tf=True, min_df=min_df)
        self.chars = (
            TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=min_df)
            if chars
            else None
        )

    def fit_transform(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, int, int]:
        """Fit on ``texts``; their features and the numbers of word and character features."""
        words = self.words.fit_transform(texts)
        self.quick = quick_transform(self.words)
        parts = [words]
        if self.chars is not None:
            parts.append(self.chars.fit_transform(texts))
            self.quick_chars = quick_transform(self.chars)
        if self.dense is not None:
            parts.append(self.dense.transform(texts))
        n_chars = parts[1].shape[1] if self.chars is not None else 0
        matrix = words if len(parts) == 1 else sp.hstack(parts, format="csr")
        return matrix, words.shape[1], n_chars

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        # The quick transforms give scikit-learn's matrices (see probation_themes.coding.tfidf).
        quick = getattr(self, "quick", None)
        parts = [quick.transform(texts) if quick is not None else self.words.transform(texts)]
        if self.chars is not None:
            quick = getattr(self, "quick_chars", None)
            parts.append(quick.transform(texts) if quick is not None else self.chars.transform(texts))
        if self.dense is not None:
            parts.append(self.dense.transform(texts))
        return parts[0] if len(parts) == 1 else sp.hstack(parts, format="csr")

    def get_feature_names_out(self) -> np.ndarray:
        names = [self.words.get_feature_names_out()]
        if self.chars is not None:
            names.append(np.array([CHAR_FEATURE + n for n in self.chars.get_feature_names_out()]))
        if self.dense is not None:
            names.append(np.array(self.dense.feature_names()))
        return np.concatenate(names)
