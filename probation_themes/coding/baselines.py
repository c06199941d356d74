"""Reference points for benchmarks and ``evaluate``.

spaCy's PhraseMatcher and bare tokenizer measure the rule coder's speed; a
plain TF-IDF + one-vs-rest logistic regression (:class:`TfidfOvrBaseline`)
measures the learned model's quality: what the textbook classifier makes of the
same labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from probation_themes.codebook import Codebook


def _expanded_forms(codebook: Codebook) -> list[str]:
    # Imported here because rules.py re-exports this module's functions.
    from probation_themes.coding.rules import RulesCoder

    coder = RulesCoder(n_jobs=1).fit(codebook)
    forms = {f.key for fs in coder.forms_.values() for f in fs if not f.wildcard and f.tail is None}
    return sorted(forms)


def phrase_matcher_baseline(texts: Sequence[str], codebook: Codebook) -> int:
    """Count matches of the codebook's expanded (non-wildcard) forms with spaCy's PhraseMatcher.

    A reference point for benchmarks: the same surface forms matched the
    conventional spaCy way (tokenizer + ``PhraseMatcher(attr="LOWER")``).

    Returns:
        The number of matches found.
    """
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    forms = _expanded_forms(codebook)
    matcher.add("TERMS", [nlp.make_doc(f) for f in forms])
    return sum(len(matcher(doc)) for doc in nlp.tokenizer.pipe(texts, batch_size=1000))


def tokenizer_baseline(texts: Sequence[str]) -> int:
    """Count tokens with spaCy's blank English tokenizer: the floor for any spaCy-based coder.

    Returns:
        The number of tokens in all texts.
    """
    import spacy

    nlp = spacy.blank("en")
    return sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=1000))


class TfidfOvrBaseline:
    """A plain multi-label classifier: TF-IDF words and one logistic regression per code.

    scikit-learn's defaults throughout (``TfidfVectorizer()``,
    ``OneVsRestClassifier(LogisticRegression())``), a code applied where its
    probability reaches 0.5: no calibration, class weights, rules or topics.
    A code every training text has (or none has) is predicted constantly.

    Args:
        random_state: seed of the solver.
    """

    def __init__(self, random_state: int | None = 0) -> None:
        self.random_state = random_state

    def fit(self, texts: Sequence[str], labels: np.ndarray) -> TfidfOvrBaseline:
        """Learn from ``texts`` and their 0/1 ``labels`` (one row per text, one column per code)."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        labels = np.asarray(labels, dtype=bool)
        self.vectorizer_ = TfidfVectorizer()
        features = self.vectorizer_.fit_transform(texts)
        self.constant_ = {}
        self.classifiers_ = {}
        for j in range(labels.shape[1]):
            column = labels[:, j]
            if column.all() or not column.any():
                self.constant_[j] = float(column[0]) if len(column) else 0.0
            else:
                self.classifiers_[j] = LogisticRegression(max_iter=1000, random_state=self.random_state).fit(
                    features, column
                )
        self.n_codes_ = labels.shape[1]
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, one column per code."""
        features = self.vectorizer_.transform(texts)
        proba = np.zeros((len(texts), self.n_codes_))
        for j, value in self.constant_.items():
            proba[:, j] = value
        for j, classifier in self.classifiers_.items():
            proba[:, j] = classifier.predict_proba(features)[:, 1]
        return proba

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """0/1 decisions: a code applies where its probability is at least 0.5."""
        return self.predict_proba(texts) >= 0.5
