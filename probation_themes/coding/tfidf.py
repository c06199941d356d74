"""A fitted word TF-IDF vectoriser's ``transform``, several times quicker on short texts.

scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer` counts
each text's n-grams in a Python loop, one dictionary lookup and one counter
update per n-gram; on a million survey answers that loop is most of what the
learned coder spends predicting. :class:`WordTfidf` reads the fitted vectoriser
(its vocabulary, token pattern, n-gram range and idf weights, all public
attributes) and does the same arithmetic on whole arrays: the same matrix, to
the last bit (a test compares them on random texts).

Only what the learned coder uses is supported: the default analyser (``word``)
with lower-casing and the default token pattern, no accent stripping, stop
words or custom preprocessor, tokenizer or analyser. :func:`supports` says whether a vectoriser is such;
anything else goes through scikit-learn's own ``transform``.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


#: The token pattern the fast path reads (scikit-learn's default: words of two or more letters).
DEFAULT_PATTERN = r"(?u)\b\w\w+\b"
_TOKENS = re.compile(r"\w\w+")


def supports(vectorizer: TfidfVectorizer) -> bool:
    """Whether :class:`WordTfidf` gives exactly what ``vectorizer.transform`` gives."""
    v = vectorizer
    return (
        isinstance(v, TfidfVectorizer)
        and v.analyzer == "word"
        and v.input == "content"
        and v.lowercase
        and v.strip_accents is None
        and v.preprocessor is None
        and v.tokenizer is None
        and v.stop_words is None
        and v.token_pattern == DEFAULT_PATTERN
        and not v.binary
        and v.use_idf
        and v.norm in ("l1", "l2", None)
        and hasattr(v, "vocabulary_")
        and hasattr(v, "idf_")
    )


class WordTfidf:
    """The ``transform`` of a fitted word-level :class:`TfidfVectorizer` (see :func:`supports`).

    Each text is lower-cased and split into tokens by the vectoriser's pattern
    (in C); every token of the batch becomes the number of its word among the
    vocabulary's words (or -1), and each n-gram a single integer computed from
    its words' numbers, looked up in a sorted table of the vocabulary's n-grams —
    whole arrays at a time, with no per-n-gram Python work.
    """

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if not supports(vectorizer):
            raise ValueError("WordTfidf needs a fitted, word-level TfidfVectorizer without custom text handling.")
        self.n_features = len(vectorizer.vocabulary_)
        self.ngram_range = tuple(vectorizer.ngram_range)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.norm = vectorizer.norm
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.dtype = vectorizer.dtype
        # For findall, r"\w\w+" finds what the default pattern finds (a run of word characters
        # is always taken whole from its first one, so the \b on either side always holds),
        # a quarter quicker.
        self.find = _TOKENS.findall
        words: dict[str, int] = {}
        by_n: dict[int, tuple[list[int], list[int]]] = {}
        for feature, column in vectorizer.vocabulary_.items():
            parts = feature.split(" ")
            ids = [words.setdefault(w, len(words)) for w in parts]
            codes, columns = by_n.setdefault(len(parts), ([], []))
            codes.append(ids)
            columns.append(column)
        self.words = words
        self.base = max(len(words), 1)
        if self.base ** self.ngram_range[1] >= 2**62:
            raise ValueError("Too many words for n-grams this long to be numbered in 64 bits.")
        self.tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n, (ids, columns) in by_n.items():
            code = self._codes(np.asarray(ids, dtype=np.int64).reshape(-1, n))
            order = np.argsort(code, kind="stable")
            self.tables[n] = (code[order], np.asarray(columns, dtype=np.int64)[order])

    def _codes(self, windows: np.ndarray) -> np.ndarray:
        """One integer per row of word numbers (an n-gram), unique for each n-gram of that length."""
        code = np.zeros(len(windows), dtype=np.int64)
        for k in range(windows.shape[1]):
            code = code * self.base + windows[:, k]
        return code

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """How often each vocabulary n-gram occurs in each text (what CountVectorizer gives)."""
        find, get = self.find, self.words.get
        tokens: list[str] = []
        lengths = array("q")
        for text in texts:
            found = find(text.lower())
            tokens += found
            lengths.append(len(found))
        n_texts = len(lengths)
        shape = (n_texts, self.n_features)
        if not tokens:
            return sp.csr_matrix(shape, dtype=np.int64)
        ids = np.fromiter(map(get, tokens, itertools.repeat(-1)), dtype=np.int64, count=len(tokens))
        doc = np.repeat(np.arange(n_texts, dtype=np.int64), np.frombuffer(lengths, dtype=np.int64))
        rows, cols = [], []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            if n not in self.tables or len(ids) < n:
                continue
            span = len(ids) - n + 1
            windows = np.stack([ids[k : k + span] for k in range(n)], axis=1)
            ok = (windows >= 0).all(axis=1) & (doc[:span] == doc[n - 1 :])
            start = np.flatnonzero(ok)
            codes = self._codes(windows[start])
            table, columns = self.tables[n]
            at = np.minimum(np.searchsorted(table, codes), len(table) - 1)
            hit = table[at] == codes
            rows.append(doc[start[hit]])
            cols.append(columns[at[hit]])
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        matrix = sp.csr_matrix((np.ones(len(row), dtype=np.int64), (row, col)), shape=shape)
        matrix.sum_duplicates()  # adds up repeated n-grams and sorts each row's columns
        return matrix

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF of ``texts``: the same matrix as the vectoriser's own ``transform``."""
        matrix = self.counts(texts).astype(self.dtype)
        if self.sublinear:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        if self.norm is not None:
            matrix = normalize(matrix, norm=self.norm, copy=False)
        return matrix
