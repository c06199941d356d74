"""What the topic engines read and give: the word-count matrix, gensim's view of it, shares above a threshold.

Split from :mod:`probation_themes.coding.topics`, which re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from gensim.corpora import Dictionary
from gensim.models.phrases import FrozenPhrases

from probation_themes.coding.topics_text import MAX_DOC_SHARE, learn_phrases, phrase_terms, words
from probation_themes.errors import CoderError
from probation_themes.models import Quote

__all__ = ["Vocabulary", "build_vocabulary", "shares_above"]


@dataclass
class Vocabulary:
    """What a topic model reads: the learned phrases, the vocabulary, each quote's terms and counts."""

    phraser: FrozenPhrases
    dictionary: Dictionary
    docs: list[list[str]]
    counts: sp.csr_matrix


def build_vocabulary(
    quotes: Sequence[Quote], *, keep: dict[str, tuple[str, ...]] | None = None, min_df: int | None = None
) -> Vocabulary:
    """Turn quotes into the word-count matrix both engines (and the benchmark's references) read.

    Words are reduced to their dictionary form, phrases are learned, function
    words dropped (see :mod:`probation_themes.coding.topics_text`); terms in fewer
    than ``min_df`` quotes (default: 2, or one in 5,000 quotes) or in more than
    half of them are left out, except the seed words in ``keep``, which only
    need ``min_df``.

    Raises:
        CoderError: fewer than two terms are left.
    """
    seeds = {t for terms in (keep or {}).values() for t in terms}
    raw = [words(q.text) for q in quotes]
    phraser = learn_phrases(raw, keep_apart=seeds)
    docs = [phrase_terms(phraser, doc) for doc in raw]
    del raw
    dictionary = Dictionary(docs)
    min_df = min_df or max(2, len(docs) // 5000)
    dictionary.filter_extremes(no_below=min_df, no_above=MAX_DOC_SHARE, keep_n=None, keep_tokens=sorted(seeds))
    dictionary.filter_extremes(no_below=min_df, no_above=1.0, keep_n=None)  # seeds need min_df too
    dictionary.compactify()
    if len(dictionary) < 2:
        raise CoderError(
            f"Only {len(dictionary)} word occurs in at least {min_df} of the {len(quotes):,} quotes, "
            "too few to find topics. Fit on more quotes, or lower min_df."
        )
    counts = _count_matrix([dictionary.doc2bow(d) for d in docs], len(dictionary))
    return Vocabulary(phraser, dictionary, docs, counts)


def _texts_of(quotes: Sequence[Quote]) -> list[Quote]:
    quotes = list(quotes)
    if quotes and not hasattr(quotes[0], "text"):
        raise CoderError(
            "The topic coder codes Quote records (probation_themes.models.Quote), not plain text; "
            "ingest the answers first or wrap each text in a Quote."
        )
    return quotes


def _count_matrix(bows: Sequence[Sequence[tuple[int, int]]], n_terms: int) -> sp.csr_matrix:
    indptr = np.zeros(len(bows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(b) for b in bows])
    indices = np.fromiter((i for b in bows for i, _ in b), dtype=np.int32, count=int(indptr[-1]))
    data = np.fromiter((c for b in bows for _, c in b), dtype=np.float64, count=int(indptr[-1]))
    return sp.csr_matrix((data, indices, indptr), shape=(len(bows), n_terms))


def _normalise_rows(m: np.ndarray) -> np.ndarray:
    total = m.sum(axis=1, keepdims=True)
    return np.divide(m, total, out=np.zeros_like(m), where=total > 0)


class _Bows:
    """A count matrix as the stream of (term id, count) lists gensim reads, pass after pass."""

    def __init__(self, counts: sp.csr_matrix) -> None:
        self.counts = counts

    def __len__(self) -> int:
        return self.counts.shape[0]

    def __iter__(self):
        c = self.counts
        for i in range(c.shape[0]):
            lo, hi = c.indptr[i], c.indptr[i + 1]
            yield list(zip(c.indices[lo:hi].tolist(), c.data[lo:hi].astype(int).tolist()))


def shares_above(quote_ids: Sequence[str], shares: np.ndarray, threshold: float) -> Iterator[tuple[str, int, float]]:
    """(quote id, topic, share) wherever a topic reaches ``threshold`` in a (quotes × topics) matrix.

    Shares are rounded to four decimals, as a project stores them.
    """
    rows, cols = np.nonzero(shares >= threshold)
    for r, c in zip(rows.tolist(), cols.tolist()):
        yield quote_ids[r], int(c), round(float(shares[r, c]), 4)
