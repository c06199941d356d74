"""Topic-model coders (``topics.lda.v1``, ``topics.nmf.v1``): seeded topics that code quotes.

A topic model finds groups of words that occur together across many quotes. Here
it does two jobs rules cannot:

- **Seeded topics** code quotes that speak of a theme in other words. Every code
  with seed words (its ``seeds``, or else its single-word ``any`` rule terms) gets
  a topic of its own whose prior is concentrated on those words; the model then
  gathers the words that travel with them. A quote gets the code when that
  topic's share of the quote reaches ``threshold``.
- **Free topics** (``k`` of them) have no seeds and surface themes nobody put in
  the codebook; ``topics promote`` turns one into a new code.

Two engines: latent Dirichlet allocation (gensim ``LdaModel``, one process, fixed
seed: the same quotes and seed give the same topics) and non-negative matrix
factorisation of TF-IDF weights (scikit-learn ``NMF``), faster and often crisper
on short comments. Both read the same word-count matrix (see
:mod:`probation_themes.coding.topics_text`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from gensim.models import CoherenceModel, LdaModel
from scipy.special import psi
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfTransformer

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder, is_whole
from probation_themes.coding.topics_text import (
    Token,
    located_words,
    phrase_tokens,
    seed_terms,
    shown,
)
from probation_themes.coding.topics_vocab import (
    Vocabulary,
    _Bows,
    _count_matrix,
    _normalise_rows,
    _texts_of,
    build_vocabulary,
    shares_above,
)
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Evidence, Quote

__all__ = [
    "THRESHOLD", "LdaTopicCoder", "NmfTopicCoder", "Topic", "TopicCoder", "Vocabulary", "build_vocabulary", "search_k",
    "shares_above",
]

#: Share of a quote's words a seeded topic must account for before the quote gets its code.
THRESHOLD = 0.3

#: Top terms kept per topic (shown, searched for in quotes as evidence, written on promote).
N_TERMS = 10

#: The label's terms are the most exclusive of this many most probable terms of the topic.
LABEL_POOL = 20

#: Representative quotes kept per topic.
N_QUOTES = 5

#: Fewest modelled words a representative quote should have: a quote of one or two modelled
#: words ("Nothing comes to mind.") can be all one topic without showing what the topic is about.
MIN_TYPICAL_TERMS = 3

#: Quotes sampled (with the model's seed) to measure c_v coherence, which is slow on many texts.
COHERENCE_SAMPLE = 2000

#: Most variational updates when working out the topic shares of a quote (LDA), and the
#: mean change in its topic counts below which it has converged (gensim's defaults).
E_STEP_ITERATIONS = 50
E_STEP_TOLERANCE = 0.001


@dataclass(frozen=True)
class Topic:
    """One fitted topic, as a researcher reads it.

    Attributes:
        topic_id: number of the topic (0-based; seeded topics first, in codebook order).
        code: the code whose seeds started the topic; None for a free topic.
        terms: top terms, most probable first (phrases with spaces).
        weights: each top term's probability in the topic.
        label: the three terms, among its 20 likeliest, with the best FREX score
            (exclusive to the topic and frequent in it, as in STM).
        exclusive_terms: the ten likeliest terms with the best FREX score, best first.
        seeds: the code's seed words found in the quotes (seeded topics).
        missing_seeds: seed words that occur in too few quotes to be modelled.
        prevalence: share of responses with a quote where the topic reaches the threshold.
        mean_share: the topic's average share of a quote.
        c_v: c_v coherence (0 to 1; higher reads as one theme), on a sample of quotes.
        u_mass: UMass coherence (negative; closer to 0 is more coherent).
        quotes: positions (in the fitted quotes) of the most representative quotes: those the
            topic makes up the largest share of (ties: the one with more modelled words first),
            quotes of fewer than ``MIN_TYPICAL_TERMS`` modelled words only after all the others.
    """

    topic_id: int
    code: str | None
    terms: tuple[str, ...]
    weights: tuple[float, ...]
    label: str
    exclusive_terms: tuple[str, ...]
    seeds: tuple[str, ...]
    missing_seeds: tuple[str, ...]
    prevalence: float
    mean_share: float
    c_v: float
    u_mass: float
    quotes: tuple[int, ...]


def _frex(phi: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """FREX score of every (topic, term): harmonic mean of exclusivity and frequency ranks."""
    exclusivity = phi / np.maximum(phi.sum(axis=0, keepdims=True), 1e-12)

    def ecdf(m: np.ndarray) -> np.ndarray:
        ranks = m.argsort(axis=1, kind="stable").argsort(axis=1, kind="stable") + 1
        return ranks / m.shape[1]

    return 1.0 / (weight / ecdf(exclusivity) + (1 - weight) / ecdf(phi))


def exclusivity(phi: np.ndarray, n_terms: int = N_TERMS) -> float:
    """Mean share of each top term's probability that belongs to its own topic (0 to 1)."""
    own = phi / np.maximum(phi.sum(axis=0, keepdims=True), 1e-12)
    top = np.argsort(-phi, axis=1, kind="stable")[:, :n_terms]
    return float(np.take_along_axis(own, top, axis=1).mean())


class TopicCoder(BaseCoder):
    """Shared workings of the topic coders; use ``LdaTopicCoder`` or ``NmfTopicCoder``.

    Args:
        k: number of free topics (no seeds) for themes the codebook does not name.
        seeded: start one topic per code with seed words (False: ``k`` free topics only).
        seed_weight: how strongly seed words hold their topic. With 1, a code's
            seed words together get, in its topic, a prior as large as an
            average topic's share of all words (LDA), or an anchor quote that
            counts as much as an average topic's share of the quotes (NMF).
        threshold: share of a quote a seeded topic must reach to code it.
        random_state: seed; the same quotes, codebook, parameters and seed give
            the same topics and codings.
        passes: LDA's passes over the quotes while fitting (None: enough for about
            50,000 quotes' worth of updates, at least 1 and at most 20).
        min_df: fewest quotes a word must occur in to be modelled (None: 2, or
            1 in 5,000 quotes for large corpora).
        coherence_sample: most quotes used to measure c_v coherence.

    Attributes:
        topics_: the fitted topics (:class:`Topic`), seeded first in codebook order.
        seed_topics_: ``{code id: topic id}`` for the seeded topics.
        seeds_: ``{code id: seed terms}`` as read from the codebook.
        dictionary_: the gensim vocabulary.
        phraser_: the learned phrases.
        phi_: topic-term probabilities, one row per topic.
        doc_topics_: each fitted quote's topic shares (rows sum to 1, or 0 for a
            quote with no modelled word).
        vocabulary_size_: number of terms modelled.
        n_quotes_: number of quotes fitted.
    """

    method: ClassVar[str] = "topics"
    engine: ClassVar[str] = ""

    def __init__(
        self,
        k: int = 5,
        seeded: bool = True,
        seed_weight: float = 1.0,
        threshold: float = THRESHOLD,
        random_state: int = 0,
        passes: int | None = None,
        min_df: int | None = None,
        coherence_sample: int = COHERENCE_SAMPLE,
    ) -> None:
        self.k = k
        self.seeded = seeded
        self.seed_weight = seed_weight
        self.threshold = threshold
        self.random_state = random_state
        self.passes = passes
        self.min_df = min_df
        self.coherence_sample = coherence_sample

    # -- checks ----------------------------------------------------------------

    def _check_params(self) -> None:
        if not (is_whole(self.k) and self.k >= 0):
            raise CoderError(f"k={self.k!r} must be a whole number of free topics, 0 or more (5 is a good start).")
        if not isinstance(self.seeded, bool):
            raise CoderError(f"seeded={self.seeded!r} must be True or False.")
        w = self.seed_weight
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not w >= 0:
            raise CoderError(f"seed_weight={w!r} must be a number of 0 or more (1 is the default).")
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t < 1:
            raise CoderError(f"threshold={t!r} must be a share between 0 and 1, e.g. {THRESHOLD}.")
        if not is_whole(self.random_state):
            raise CoderError(f"random_state={self.random_state!r} must be a whole number (the seed).")
        for name in ("passes", "min_df"):
            value = getattr(self, name)
            if value is not None and not (is_whole(value) and value >= 1):
                raise CoderError(f"{name}={value!r} must be a whole number of 1 or more, or None (automatic).")
        if not (is_whole(self.coherence_sample) and self.coherence_sample >= 10):
            raise CoderError(f"coherence_sample={self.coherence_sample!r} must be a whole number of 10 or more.")

    # -- fitting ---------------------------------------------------------------

    def fit(self, codebook: Codebook, quotes: Sequence[Quote] | None = None) -> TopicCoder:
        """Fit the topic model on the quotes, seeding one topic per code with seed words.

        Args:
            codebook: the codebook whose seed words start the seeded topics.
            quotes: the quotes to model (anything with ``text`` and
                ``response_id``), usually every quote of a project.

        Raises:
            CoderError: no quotes, no word occurring often enough to model, no
                topic to fit (no seeds and k=0), or an invalid parameter.
        """
        self._check_params()
        if not isinstance(codebook, Codebook):
            raise CoderError(
                f"The topic coder needs a Codebook to fit, not {type(codebook).__name__}; "
                "load one with probation_themes.codebook.load_codebook(path)."
            )
        quotes = list(quotes or [])
        if not quotes:
            raise CoderError(
                "A topic model learns from the quotes themselves and was given none; ingest answers "
                "first (`probation-themes ingest FILE`)."
            )
        wanted = seed_terms(codebook) if self.seeded else {}
        vocabulary = build_vocabulary(quotes, keep=wanted, min_df=self.min_df)
        dictionary, docs = vocabulary.dictionary, vocabulary.docs
        seeds = {c: tuple(t for t in terms if t in dictionary.token2id) for c, terms in wanted.items()}
        self.seeds_ = wanted
        self.seed_topics_ = {c: i for i, c in enumerate(c for c, found in seeds.items() if found)}
        n_topics = len(self.seed_topics_) + self.k
        if n_topics == 0:
            raise CoderError(
                "There is no topic to fit: no code has seed words found in the quotes and k=0. "
                "Ask for free topics (--k 5) or add `seeds` to the codebook's codes."
            )
        counts = vocabulary.counts
        self.dictionary_ = dictionary
        self.phraser_ = vocabulary.phraser
        self.vocabulary_size_ = len(dictionary)
        self.n_quotes_ = len(quotes)
        prior = np.zeros((n_topics, len(dictionary)))
        frequency = np.asarray(counts.sum(axis=0)).ravel()
        # Together, a code's seed words weigh (seed_weight times) as much as an average
        # topic's share of all words, shared out by how often each seed occurs: to drift
        # off its seeds, a seeded topic would have to gather more than a whole topic's worth.
        mass = frequency.sum() / n_topics
        for code_id, topic in self.seed_topics_.items():
            ids = [dictionary.token2id[t] for t in seeds[code_id]]
            prior[topic, ids] = self.seed_weight * mass * frequency[ids] / frequency[ids].sum()
        self._fit_engine(counts, prior)
        self.doc_topics_ = self._shares(counts)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        self.topics_ = self._describe(quotes, docs, lengths, seeds, wanted)
        return self

    def _fit_engine(self, counts: sp.csr_matrix, prior: np.ndarray) -> None:
        raise NotImplementedError

    def _shares(self, counts: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def _passes(self, n: int) -> int:
        return self.passes or min(20, max(1, math.ceil(50_000 / n)))

    def _describe(
        self,
        quotes: Sequence[Quote],
        docs: list[list[str]],
        lengths: np.ndarray,
        seeds: dict[str, tuple[str, ...]],
        wanted: dict[str, tuple[str, ...]],
    ) -> list[Topic]:
        phi = self.phi_
        terms = [self.dictionary_[i] for i in range(len(self.dictionary_))]
        top = np.argsort(-phi, axis=1, kind="stable")[:, :N_TERMS]
        # The label is picked among the topic's likelier terms: FREX over the whole
        # vocabulary favours words too rare to stand for a theme.
        candidates = np.argsort(-phi, axis=1, kind="stable")[:, :LABEL_POOL]
        frex = np.take_along_axis(_frex(phi), candidates, axis=1)
        exclusive = np.take_along_axis(candidates, np.argsort(-frex, axis=1, kind="stable")[:, :N_TERMS], axis=1)
        coherence = self._coherence([[terms[i] for i in row] for row in top], docs)
        code_of = {t: c for c, t in self.seed_topics_.items()}
        shares = self.doc_topics_
        present = shares >= self.threshold
        responses = [q.response_id for q in quotes]
        _, response_index = np.unique(np.array(responses, dtype=object).astype(str), return_inverse=True)
        n_responses = int(response_index.max()) + 1
        topics = []
        for t in range(phi.shape[0]):
            reached = np.zeros(n_responses, dtype=bool)
            reached[response_index[present[:, t]]] = True
            code_id = code_of.get(t)
            # Most representative: quotes with a few modelled words before shorter ones, then the
            # largest share of the quote, then the most modelled words.
            order = np.lexsort((-lengths, -shares[:, t], lengths < MIN_TYPICAL_TERMS))
            chosen: list[int] = []
            seen: set[str] = set()
            for i in order.tolist():
                if shares[i, t] <= 0 or len(chosen) == N_QUOTES:
                    break
                if quotes[i].text not in seen:
                    seen.add(quotes[i].text)
                    chosen.append(i)
            topics.append(
                Topic(
                    topic_id=t,
                    code=code_id,
                    terms=tuple(shown(terms[i]) for i in top[t]),
                    weights=tuple(round(float(phi[t, i]), 4) for i in top[t]),
                    label=", ".join(shown(terms[i]) for i in exclusive[t][:3]),
                    exclusive_terms=tuple(shown(terms[i]) for i in exclusive[t]),
                    seeds=tuple(shown(s) for s in seeds.get(code_id, ())) if code_id else (),
                    missing_seeds=tuple(shown(s) for s in wanted.get(code_id, ()) if s not in seeds[code_id])
                    if code_id
                    else (),
                    prevalence=round(float(reached.mean()), 4),
                    mean_share=round(float(shares[:, t].mean()), 4),
                    c_v=coherence[0][t],
                    u_mass=coherence[1][t],
                    quotes=tuple(chosen),
                )
            )
        return topics

    def _coherence(self, top_terms: list[list[str]], docs: list[list[str]]) -> tuple[list[float], list[float]]:
        """c_v and UMass coherence of each topic, on a seeded sample of the quotes."""
        rng = np.random.default_rng(self.random_state)
        keep = docs
        if len(docs) > self.coherence_sample:
            keep = [docs[i] for i in np.sort(rng.choice(len(docs), self.coherence_sample, replace=False))]
        keep = [d for d in keep if d]
        corpus = [self.dictionary_.doc2bow(d) for d in keep]
        scores = []
        for measure in ("c_v", "u_mass"):
            model = CoherenceModel(
                topics=top_terms, texts=keep, corpus=corpus, dictionary=self.dictionary_,
                coherence=measure, processes=1,
            )
            # Term pairs that never occur together give 0/0 inside gensim; they score 0 here.
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                values = model.get_coherence_per_topic()
            scores.append([round(float(v), 4) if np.isfinite(v) else 0.0 for v in values])
        return scores[0], scores[1]

    # -- coding ----------------------------------------------------------------

    def _matrix(self, quotes: Sequence[Quote]) -> tuple[list[list[Token]], sp.csr_matrix]:
        docs = [phrase_tokens(self.phraser_, located_words(q.text)) for q in quotes]
        token2id = self.dictionary_.token2id
        bows = [self.dictionary_.doc2bow([t.term for t in doc if t.term in token2id]) for doc in docs]
        return docs, _count_matrix(bows, len(self.dictionary_))

    def transform(self, quotes: Sequence[Quote]) -> np.ndarray:
        """Topic shares of each quote: one row per quote, one column per topic (rows sum to 1 or 0).

        Raises:
            CoderError: the coder has not been fitted.
        """
        self.check_is_fitted()
        _, counts = self._matrix(_texts_of(quotes))
        return self._shares(counts)

    def predict(self, quotes: Sequence[Quote]) -> list[Coding]:
        """Suggest a code for every quote where the code's seeded topic reaches the threshold.

        A quote may get several codes. The confidence is the topic's share of the
        quote. The evidence starts with the topic (``rule="topic"``, its number and
        label, weight = share) and lists the topic's top terms found in the quote,
        with their offsets: ``rule="seed"`` for seed words, ``rule="term"`` for the
        words the model learned go with them.

        Raises:
            CoderError: the coder has not been fitted.
        """
        self.check_is_fitted()
        quotes = _texts_of(quotes)
        docs, counts = self._matrix(quotes)
        shares = self._shares(counts)
        codes = list(self.seed_topics_)
        columns = [self.seed_topics_[c] for c in codes]
        if not columns:
            return []
        rows, picked = np.nonzero(shares[:, columns] >= self.threshold)
        top_terms = {t.topic_id: dict(zip((s.replace(" ", "_") for s in t.terms), t.weights)) for t in self.topics_}
        seed_sets = {c: set(self.seeds_.get(c, ())) for c in codes}
        codings = []
        for r, j in zip(rows.tolist(), picked.tolist()):
            code_id = codes[j]
            topic = self.topics_[columns[j]]
            weight = round(float(shares[r, columns[j]]), 4)
            evidence = [Evidence(kind="topic", rule="topic", term=f"topic {topic.topic_id}: {topic.label}", weight=weight)]
            known = top_terms[topic.topic_id]
            seen: set[str] = set()
            text = quotes[r].text
            for tok in docs[r]:
                if tok.term in seen or not (tok.term in known or tok.term in seed_sets[code_id]):
                    continue
                seen.add(tok.term)
                evidence.append(
                    Evidence(
                        kind="topic", rule="seed" if tok.term in seed_sets[code_id] else "term",
                        term=shown(tok.term), text=text[tok.start : tok.end], start=tok.start, end=tok.end,
                        weight=known.get(tok.term),
                    )
                )
            codings.append(
                Coding(quote_id=quotes[r].quote_id, code=code_id, method="topics", confidence=weight, evidence=evidence)
            )
        return codings


@registry.register("topics.lda.v1", default=True)
class LdaTopicCoder(TopicCoder):
    """Seeded latent Dirichlet allocation (gensim ``LdaModel``).

    The topic-word prior (``eta``) is 1/topics for every word, plus, in a seeded
    topic, pseudo-counts on its seed words: together they weigh ``seed_weight``
    times an average topic's share of all words, shared out by how often each
    seed occurs. The topic starts out as its seed words and learns what goes
    with them, but cannot drift off them. Online
    variational Bayes in one process with a fixed ``random_state`` makes fitting
    reproducible. A quote's topic shares come from a fixed number of variational
    steps started the same way for every quote, so they do not depend on which
    other quotes are coded with it.
    """

    engine = "lda"

    def _fit_engine(self, counts: sp.csr_matrix, prior: np.ndarray) -> None:
        n_topics = prior.shape[0]
        eta = (prior + 1.0 / n_topics).astype(np.float32)
        alpha = np.full(n_topics, 1.0 / n_topics, dtype=np.float32)
        corpus = _Bows(counts)
        model = LdaModel(
            corpus=corpus, id2word=self.dictionary_, num_topics=n_topics, alpha=alpha, eta=eta,
            passes=self._passes(counts.shape[0]), iterations=50, chunksize=4000, update_every=1,
            eval_every=None, random_state=self.random_state, dtype=np.float32,
        )
        self.model_ = model
        self.alpha_ = alpha.astype(np.float64)
        lam = model.state.get_lambda().astype(np.float64)
        self.phi_ = lam / lam.sum(axis=1, keepdims=True)
        self.exp_elog_beta_ = np.exp(psi(lam) - psi(lam.sum(axis=1, keepdims=True)))

    def _shares(self, counts: sp.csr_matrix) -> np.ndarray:
        """Variational E-step for every quote at once, as gensim's but without random starts.

        Each quote starts from the same point and is updated until its topic
        counts change by less than ``E_STEP_TOLERANCE`` on average (at most
        ``E_STEP_ITERATIONS`` times), independently of the other quotes.
        """
        k = self.exp_elog_beta_.shape[0]
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        gamma = self.alpha_ + np.repeat(lengths[:, None] / k, k, axis=1)
        beta = self.exp_elog_beta_.T  # (terms, topics)
        active = np.flatnonzero(lengths > 0)
        for _ in range(E_STEP_ITERATIONS):
            if not len(active):
                break
            sub = counts[active]
            g = gamma[active]
            exp_theta = np.exp(psi(g) - psi(g.sum(axis=1, keepdims=True)))
            rows = np.repeat(np.arange(len(active)), np.diff(sub.indptr))
            norm = np.einsum("ij,ij->i", exp_theta[rows], beta[sub.indices]) + 1e-100
            weighted = sp.csr_matrix((sub.data / norm, sub.indices, sub.indptr), shape=sub.shape)
            new = self.alpha_ + exp_theta * (weighted @ beta)
            gamma[active] = new
            active = active[np.abs(new - g).mean(axis=1) >= E_STEP_TOLERANCE]
        shares = gamma - self.alpha_
        shares[lengths == 0] = 0.0
        return _normalise_rows(np.maximum(shares, 0.0))


@registry.register("topics.nmf.v1")
class NmfTopicCoder(TopicCoder):
    """Non-negative matrix factorisation of the quotes' TF-IDF weights (scikit-learn ``NMF``).

    Seeded topics start as their seed words and are held there by one anchor
    row per seeded topic — a made-up quote of its seed words, weighted to count
    ``seed_weight`` times as much as an average topic's share of the quotes;
    free topics start from small seeded random values. A quote's topic shares
    are its row of the factorisation, scaled to sum to 1.
    """

    engine = "nmf"

    def _fit_engine(self, counts: sp.csr_matrix, prior: np.ndarray) -> None:
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(counts)
        x = self.tfidf_.transform(counts)
        n_topics = prior.shape[0]
        seeded = np.flatnonzero(prior.sum(axis=1) > 0)
        # Each seeded topic gets an anchor: a made-up quote of its seed words only, weighted
        # to count (seed_weight times) as much as an average topic's share of the quotes, so
        # the topic stays on its seeds while it learns the words that go with them.
        anchors = (prior[seeded] > 0).astype(np.float64)
        anchors /= np.linalg.norm(anchors, axis=1, keepdims=True)
        anchors *= math.sqrt(self.seed_weight * x.shape[0] / n_topics)
        data = sp.vstack([x, sp.csr_matrix(anchors)]).tocsr()
        rng = np.random.default_rng(self.random_state)
        scale = math.sqrt(x.mean() / n_topics) if x.nnz else 1.0
        h = rng.random(prior.shape) * scale * 0.1
        h[seeded] += (prior[seeded] > 0) * scale * 10
        w = np.asarray(data @ h.T) / max(float((h * h).sum()), 1e-12) * n_topics
        model = NMF(n_components=n_topics, init="custom", solver="cd", max_iter=400, random_state=self.random_state)
        model.fit(data, W=np.ascontiguousarray(w), H=np.ascontiguousarray(h))
        self.model_ = model
        self.phi_ = _normalise_rows(model.components_.astype(np.float64))

    def _shares(self, counts: sp.csr_matrix) -> np.ndarray:
        return _normalise_rows(self.model_.transform(self.tfidf_.transform(counts)).astype(np.float64))


def search_k(
    codebook: Codebook,
    quotes: Sequence[Quote],
    ks: Sequence[int],
    *,
    engine: str = "lda",
    fitted: dict[int, TopicCoder] | None = None,
    **params: Any,
) -> list[dict[str, float]]:
    """Fit the model for each number of free topics and report how well each reads.

    Like STM's ``searchK``: for every ``k`` the mean c_v and UMass coherence of the
    topics and their exclusivity (mean share of a top term's probability that
    belongs to its own topic). Good choices are coherent *and* exclusive.

    Args:
        fitted: if given, the best fit so far (highest mean c_v, then fewer
            topics: the choice of ``--k auto``) is kept in it under its k, so
            the chosen one need not be fitted again; the others are let go.

    Returns:
        One dict per k: ``k``, ``topics``, ``c_v``, ``u_mass``, ``exclusivity``.
    """
    cls = registry.get(f"topics.{engine}.v1")
    rows = []
    for k in ks:
        coder = cls(k=k, **params).fit(codebook, quotes)
        rows.append(
            {
                "k": k,
                "topics": len(coder.topics_),
                "c_v": round(float(np.mean([t.c_v for t in coder.topics_])), 4),
                "u_mass": round(float(np.mean([t.u_mass for t in coder.topics_])), 4),
                "exclusivity": round(exclusivity(coder.phi_), 4),
            }
        )
        if fitted is not None and max(rows, key=lambda row: (row["c_v"], -row["k"])) is rows[-1]:
            fitted.clear()
            fitted[k] = coder
    return rows
