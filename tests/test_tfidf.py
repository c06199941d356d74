"""The quick word TF-IDF transform gives scikit-learn's matrix exactly."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from probation_themes.coding.tfidf import (
    CharTfidf,
    WordTfidf,
    quick_transform,
    supports,
)

WORDS = ["staff", "Case", "load", "caseload", "NPS", "crc", "über", "ÉTÉ", "it's", "a", "I", "x2", "don't", "co-op"]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(0, 14))]
        out.append(rng.choice([" ", "  ", ", ", ". ", "\n"]).join(words))
    return out


@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 2},
        {"ngram_range": (1, 1), "sublinear_tf": False},
        {"ngram_range": (2, 3), "sublinear_tf": True, "norm": "l1"},
        {"ngram_range": (1, 3), "norm": None, "smooth_idf": False},
        {"sublinear_tf": True, "min_df": 2, "max_df": 0.5, "dtype": np.float32},
    ],
)
def test_same_matrix_as_scikit_learn(options):
    fitted = TfidfVectorizer(**options).fit(_texts(300, 1))
    texts = _texts(500, 2) + ["", "!!!", "A"]
    ours = WordTfidf(fitted).transform(texts)
    theirs = fitted.transform(texts)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)


@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2},
        {"ngram_range": (1, 3), "sublinear_tf": False, "norm": "l1"},
        {"ngram_range": (3, 3), "smooth_idf": False, "norm": None},
    ],
)
def test_same_character_ngrams_as_scikit_learn(options):
    fitted = TfidfVectorizer(analyzer="char_wb", **options).fit(_texts(300, 3))
    texts = _texts(500, 4) + ["", "   ", "a", "x\u00a0y\tz", "\ud800 broken", "über\u2028ÉTÉ", "中文 字"]
    quick = quick_transform(fitted)
    assert isinstance(quick, CharTfidf)
    ours, theirs = quick.transform(texts), fitted.transform(texts)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)


def test_counts_add_up_repeated_ngrams():
    fitted = TfidfVectorizer(ngram_range=(1, 2)).fit(["staff staff staff", "staff room"])
    counts = WordTfidf(fitted).counts(["staff staff staff room"]).toarray()[0]
    vocab = fitted.vocabulary_
    assert counts[vocab["staff"]] == 3
    assert counts[vocab["staff staff"]] == 2
    assert counts[vocab["room"]] == 1


def test_other_vectorisers_are_left_to_scikit_learn():
    assert not supports(TfidfVectorizer(analyzer="char").fit(["abc def"]))
    assert not supports(TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5)).fit(["abc def"]))
    assert quick_transform(TfidfVectorizer(analyzer="char").fit(["abc def"])) is None
    assert not supports(TfidfVectorizer(stop_words="english").fit(["the staff"]))
    assert not supports(TfidfVectorizer(token_pattern=r"\S+").fit(["the staff"]))
    assert not supports(TfidfVectorizer())  # not fitted
    with pytest.raises(ValueError):
        WordTfidf(TfidfVectorizer(lowercase=False).fit(["Staff"]))


def test_tokens_as_the_default_pattern_finds_them():
    import re

    from probation_themes.coding.tfidf import _TOKENS, DEFAULT_PATTERN

    rng = random.Random(5)
    alphabet = "ab_1 \t\n.,'-éßİ\u00a0\u2019中文x9"
    default = re.compile(DEFAULT_PATTERN)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert _TOKENS.findall(text) == default.findall(text)
