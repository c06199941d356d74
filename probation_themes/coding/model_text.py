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

    def __init__(self, ngram_range: tuple[int, int], chars: bool, n_quotes: int) -> None:
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
        if self.chars is None:
            return words, words.shape[1], 0
        chars = self.chars.fit_transform(texts)
        self.quick_chars = quick_transform(self.chars)
        return sp.hstack([words, chars], format="csr"), words.shape[1], chars.shape[1]

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        words = self._words_transform(texts)
        if self.chars is None:
            return words
        quick = getattr(self, "quick_chars", None)
        chars = quick.transform(texts) if quick is not None else self.chars.transform(texts)
        return sp.hstack([words, chars], format="csr")

    def _words_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The word n-grams' TF-IDF, through the quick transform where it gives the same matrix."""
        quick = getattr(self, "quick", None)
        return quick.transform(texts) if quick is not None else self.words.transform(texts)

    def get_feature_names_out(self) -> np.ndarray:
        names = self.words.get_feature_names_out()
        if self.chars is None:
            return names
        return np.concatenate([names, np.array([CHAR_FEATURE + n for n in self.chars.get_feature_names_out()])])
