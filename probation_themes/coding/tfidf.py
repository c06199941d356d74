"""A fitted TF-IDF vectoriser's ``transform``, several times quicker on short texts.

scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer` counts
each text's n-grams in a Python loop, one dictionary lookup and one counter
update per n-gram; on a million survey answers that loop is most of what the
learned coder spends predicting. :class:`WordTfidf` reads the fitted vectoriser
(its vocabulary, token pattern, n-gram range and idf weights, all public
attributes) and does the same arithmetic on whole arrays: the same matrix, to
the last bit (a test compares them on random texts).

Only what the learned coder uses is supported: the ``word`` analyser with the
default token pattern (:class:`WordTfidf`) and the ``char_wb`` analyser
(:class:`CharTfidf`), lower-casing, no accent stripping, stop words or custom
preprocessor, tokenizer or analyser. :func:`quick_transform` gives the quick
one where it gives the same matrix, else None: anything else goes through
scikit-learn's own ``transform``.
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


def _plain(v: TfidfVectorizer) -> bool:
    """Whether a fitted vectoriser has no text handling beyond lower-casing and counting."""
    return (
        isinstance(v, TfidfVectorizer)
        and v.input == "content"
        and v.lowercase
        and v.strip_accents is None
        and v.preprocessor is None
        and v.tokenizer is None
        and v.stop_words is None
        and not v.binary
        and v.use_idf
        and v.norm in ("l1", "l2", None)
        and hasattr(v, "vocabulary_")
        and hasattr(v, "idf_")
    )


def supports(vectorizer: TfidfVectorizer) -> bool:
    """Whether :class:`WordTfidf` or :class:`CharTfidf` gives exactly what ``vectorizer.transform`` gives."""
    v = vectorizer
    if not _plain(v):
        return False
    if v.analyzer == "word":
        return v.token_pattern == DEFAULT_PATTERN
    # A padded word has at least three characters, so from n-grams of three up a shorter
    # word would be counted whole, which the windows below do not do.
    return v.analyzer == "char_wb" and v.ngram_range[0] <= 3


def quick_transform(vectorizer: TfidfVectorizer) -> _Quick | None:
    """The quick transform of a fitted vectoriser, or None where it would not give the same matrix."""
    if not supports(vectorizer):
        return None
    kind = WordTfidf if vectorizer.analyzer == "word" else CharTfidf
    try:
        return kind(vectorizer)
    except ValueError:  # too many distinct words or characters to number the n-grams in 64 bits
        return None


class _Quick:
    """What the quick transforms share: the vocabulary as integer codes, and the TF-IDF arithmetic.

    Each vocabulary n-gram is a sequence of *units* (words, or characters); a unit
    gets a number, an n-gram the integer ``sum(unit_k * base ** (n - 1 - k))``, and
    the n-grams of each length are kept as a sorted table of those integers.
    """

    def __init__(self, vectorizer: TfidfVectorizer, units_of) -> None:
        if not supports(vectorizer):
            raise ValueError("The quick transform needs a fitted TfidfVectorizer without custom text handling.")
        self.n_features = len(vectorizer.vocabulary_)
        self.ngram_range = tuple(vectorizer.ngram_range)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.norm = vectorizer.norm
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.dtype = vectorizer.dtype
        self.units: dict = {}
        by_n: dict[int, tuple[list[list[int]], list[int]]] = {}
        for feature, column in vectorizer.vocabulary_.items():
            ids = [self.units.setdefault(u, len(self.units)) for u in units_of(feature)]
            codes, columns = by_n.setdefault(len(ids), ([], []))
            codes.append(ids)
            columns.append(column)
        self.base = max(len(self.units), 1)
        if self.base ** self.ngram_range[1] >= 2**62:
            raise ValueError("Too many distinct units for n-grams this long to be numbered in 64 bits.")
        self.tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n, (ids, columns) in by_n.items():
            code = self._codes(np.asarray(ids, dtype=np.int64).reshape(-1, n))
            order = np.argsort(code, kind="stable")
            self.tables[n] = (code[order], np.asarray(columns, dtype=np.int64)[order])

    def _codes(self, windows: np.ndarray) -> np.ndarray:
        """One integer per row of unit numbers (an n-gram), unique for each n-gram of that length."""
        code = np.zeros(len(windows), dtype=np.int64)
        for k in range(windows.shape[1]):
            code = code * self.base + windows[:, k]
        return code

    def _count(self, ids: np.ndarray, group: np.ndarray, owner: np.ndarray, n_rows: int) -> sp.csr_matrix:
        """Counts of the vocabulary n-grams among the windows of ``ids`` that stay within one group.

        ``ids``: the units in order (-1: not in the vocabulary); ``group``: which
        word or text each belongs to (windows never cross one); ``owner``: the
        text of each group.
        """
        rows, cols = [], []
        low, high = self.ngram_range
        # The n-grams starting at each position, longer by one unit each round: a window
        # stays valid while every unit is in the vocabulary and in the same group.
        code = ids.copy()
        valid = ids >= 0
        for n in range(1, high + 1):
            if n > 1:
                span = len(ids) - n + 1
                if span <= 0:
                    break
                tail = ids[n - 1 :]
                code = code[:span] * self.base + tail
                valid = valid[:span] & (tail >= 0) & (group[:span] == group[n - 1 :])
            if n < low or n not in self.tables:
                continue
            start = np.flatnonzero(valid)
            codes = code[start]
            table, columns = self.tables[n]
            at = np.minimum(np.searchsorted(table, codes), len(table) - 1)
            hit = table[at] == codes
            rows.append(owner[group[start[hit]]])
            cols.append(columns[at[hit]])
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        matrix = sp.csr_matrix((np.ones(len(row), dtype=np.int64), (row, col)), shape=(n_rows, self.n_features))
        matrix.sum_duplicates()  # adds up repeated n-grams and sorts each row's columns
        return matrix

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF of ``texts``: the same matrix as the vectoriser's own ``transform``."""
        matrix = self.counts(texts).astype(self.dtype)  # each kind of n-gram counts its own way
        if self.sublinear:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        if self.norm is not None:
            matrix = normalize(matrix, norm=self.norm, copy=False)
        return matrix


class WordTfidf(_Quick):
    """The ``transform`` of a fitted word-level :class:`TfidfVectorizer`.

    Each text is lower-cased and split into tokens by the vectoriser's pattern
    (in C); each token of the batch becomes the number of its word among the
    vocabulary's words (or -1), each n-gram a single integer looked up in the
    table — whole arrays at a time, with no per-n-gram Python work.
    """

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.analyzer != "word":
            raise ValueError("WordTfidf reads word n-grams; use CharTfidf for char_wb.")
        super().__init__(vectorizer, lambda feature: feature.split(" "))

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """How often each vocabulary n-gram occurs in each text (what CountVectorizer gives)."""
        # For findall, r"\w\w+" finds what the default pattern finds (a run of word characters
        # is always taken whole from its first one, so the \b on either side always holds),
        # a quarter quicker.
        find, get = _TOKENS.findall, self.units.get
        tokens: list[str] = []
        lengths = array("q")
        for text in texts:
            found = find(text.lower())
            tokens += found
            lengths.append(len(found))
        n_texts = len(lengths)
        ids = np.fromiter(map(get, tokens, itertools.repeat(-1)), dtype=np.int64, count=len(tokens))
        texts_at = np.arange(n_texts, dtype=np.int64)
        group = np.repeat(texts_at, np.frombuffer(lengths, dtype=np.int64)) if n_texts else texts_at
        return self._count(ids, group, texts_at, n_texts)


class CharTfidf(_Quick):
    """The ``transform`` of a fitted ``char_wb`` :class:`TfidfVectorizer` (n-grams of at most 3 to start).

    scikit-learn pads each white-space separated word with a space either side
    and takes its character n-grams; here the padded words of a batch are one
    array of character numbers and the n-grams are the windows that stay inside
    one word.
    """

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.analyzer != "char_wb":
            raise ValueError("CharTfidf reads char_wb n-grams; use WordTfidf for words.")
        super().__init__(vectorizer, list)
        self.points = np.array(sorted(ord(c) for c in self.units), dtype=np.int64)
        self.point_ids = np.array([self.units[chr(p)] for p in self.points], dtype=np.int64)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """How often each vocabulary n-gram occurs in each text (what CountVectorizer gives)."""
        words: list[str] = []
        per_text = array("q")
        for text in texts:
            found = text.lower().split()
            words += found
            per_text.append(len(found))
        n_texts = len(per_text)
        texts_at = np.arange(n_texts, dtype=np.int64)
        if not words:
            return self._count(np.zeros(0, dtype=np.int64), texts_at, texts_at, n_texts)
        stream = " " + "  ".join(words) + " "  # every word padded with a space either side, end to end
        points = np.frombuffer(stream.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        at = np.minimum(np.searchsorted(self.points, points), len(self.points) - 1)
        ids = np.where(self.points[at] == points, self.point_ids[at], -1)
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
        group = np.repeat(np.arange(len(words), dtype=np.int64), sizes)
        owner = np.repeat(texts_at, np.frombuffer(per_text, dtype=np.int64))
        return self._count(ids, group, owner, n_texts)
