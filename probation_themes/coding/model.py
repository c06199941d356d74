"""The learned coder (``model.logreg.v2``): codes quotes the way a person coded others.

One calibrated logistic regression per code reads TF-IDF word and word n-gram
features plus, optionally, whether the codebook's rules fired and each quote's
shares in a topic model's topics (:class:`TopicFeatures`). It learns from
quotes a person labelled (accepted or rejected suggestions, another coder's
imported codings) and suggests codes for the rest, with a probability and the
terms that pushed each decision; :func:`probation_themes.coding.combine.combine_all`
merges its suggestions with the rule and topic coders' (``code --method all``).
Large inputs are vectorised and scored in worker processes
(:mod:`probation_themes.coding.model_workers`); only turning numbers into records
happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder, CodedRows
from probation_themes.coding.combine import combine_all
from probation_themes.coding.engine import gc_paused
from probation_themes.coding.model_aids import (
    WEAK_WEIGHT, aided_splits, class_weights, prefer_aided, prepare_aids, weak_rows,
)
from probation_themes.coding.model_checks import CheckMixin
from probation_themes.coding.model_decide import (
    ALWAYS, MODEL, SET_DECISION, DecisionMixin, best_threshold, count_labels, decide, quiet_fit, refusal,
)
from probation_themes.coding.model_evidence import FALLBACK_TERM, SET_TERM, TOP_TERMS, EvidenceMixin
from probation_themes.coding.model_features import FeatureMixin
from probation_themes.coding.model_text import TextFeatures
from probation_themes.coding.model_types import (
    RULE_FEATURE,
    TOPIC_WEIGHT,
    Chunk,
    ScoredBatch,
    Scores,
    Shortfall,
    TextRef,
    TopicFeatures,
    _refs,
)
from probation_themes.coding.model_workers import PARALLEL_MIN_QUOTES, score_chunks
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Evidence, Quote

__all__ = [
    "FALLBACK_TERM",
    "SET_TERM",
    "MIN_POSITIVES",
    "PARALLEL_MIN_QUOTES",
    "RULE_FEATURE",
    "THRESHOLD",
    "TOPIC_WEIGHT",
    "TOP_TERMS",
    "Chunk",
    "ModelCoder",
    "ScoredBatch",
    "Scores",
    "Shortfall",
    "TopicFeatures",
]

#: Fewest coded examples (with a code, and without it) needed to train that code, by default.
#: 3 rather than 10: on single-label short answers with 5% labelled, codes with 3-9 examples
#: lifted macro-F1 from 0.70 to 0.96; on the ANES sets it changed sample-F1 by 0 to +0.003,
#: since a code with fewer than RELIABLE_POSITIVES examples keeps a threshold of at least 0.5.
MIN_POSITIVES = 3

#: Probability from which a code is suggested with ``thresholds="fixed"``.
THRESHOLD = 0.5

#: Folds used to calibrate each code's classifier (fewer when a code has fewer examples).
CALIBRATION_FOLDS = 3

#: Below this many quotes with a code, its learned threshold is not let below ``threshold``.
RELIABLE_POSITIVES = 10

#: When at least this share of the fully coded quotes has a code, every quote coded gets one:
#: the most likely, when no code reaches its threshold (``at_least_one``).
AT_LEAST_ONE_SHARE = 0.95


@registry.register("model.logreg.v2", default=True)
class ModelCoder(CheckMixin, FeatureMixin, EvidenceMixin, DecisionMixin, BaseCoder):
    """Learns from quotes a person coded and codes the rest the same way.

    Features are the TF-IDF weights of the words and word n-grams of each quote
    (lower-cased, sublinear term frequency; words of one letter are ignored);
    when ``use_rules`` is on, one yes/no feature per code with rules: did
    that code's rules (``rules.v1``) fire on the quote; and, when ``fit`` is
    given :class:`TopicFeatures` and ``use_topics`` is on, one feature per topic:
    whether it reaches the topic model's threshold in the quote (``TOPIC_WEIGHT``
    if so, else 0). For every code with
    enough labelled examples a logistic regression (classes weighted so a rare
    code counts as much as a common one) is fitted and calibrated by
    cross-validation (Platt scaling by default), so a suggestion's confidence is
    the estimated probability that the person would apply the code. Codes with
    too few examples are not trained and are listed in ``skipped_codes_``.

    A code is suggested where its probability reaches that code's threshold
    (``decision="threshold"``); by default (``decision="set"``) a quote keeps, of
    those codes, the set with the highest expected F1 against a coder.
    The evidence of a suggestion lists the words and n-grams that pushed the
    decision most (each feature's weight in the model times its TF-IDF value in
    the quote, in log-odds to two decimals; only positive contributions, at
    most five) and, when they helped, the fact that a code's rules fired (term
    ``rules:<code id>``) and the quote's topics (term ``topic 3: <label>``),
    largest first.

    Args:
        min_positives: fewest quotes with a code, and fewest labelled as
            without it, needed to train that code (at least 2).
        ngram_range: shortest and longest word n-grams used as features.
        C: inverse regularisation strength of the logistic regressions; 10
            suits length-normalised TF-IDF features (1 underfits them: on
            generated surveys it lost 2-10 F1 points at every training size).
        calibration: ``sigmoid`` (Platt scaling; steady with few examples) or
            ``isotonic`` (needs hundreds of examples per code).
        random_state: seed for the calibration folds and the solver; the same
            seed and data give the same suggestions.
        n_jobs: worker processes for large inputs (more than
            ``PARALLEL_MIN_QUOTES`` quotes); None or -1 uses every
            CPU, 1 works in this process. Results are the same either way.
        use_rules: add the rule coder's decisions as features (codes without
            rules add nothing).
        use_topics: add the topic shares given to ``fit`` as features (without
            them, or when off, the model reads words and rules only).
        threshold: probability from which a code is suggested.
        batch_size: most quotes vectorised and scored at a time.
        representation: ``none``, or ``lsa``: dimensions learned from the labelled and
            uncoded texts appended to the features (:mod:`~probation_themes.coding.model_aids`).
        decision: ``set`` (of the codes reaching their thresholds, each quote's likeliest set:
            the codes whose joint expected F1 is highest, see
            :func:`~probation_themes.coding.model_decide.likeliest_set`) or ``threshold``
            (every code reaching its threshold). On 5-fold cross-validation over the four
            ANES sets ``set`` gave 0.2-1.8 points more sample F1.
        weak_labels: weight of a weak label from the rules on an uncoded quote (None: none);
            it fades as human labels grow, and the weak labels are kept only when they help
            on held-out human labels (:mod:`~probation_themes.coding.model_aids`).

    Attributes:
        codes_: code ids in codebook order.
        trained_codes_: the codes a classifier was trained for, in codebook order.
        skipped_codes_: ``{code id: Shortfall}`` for codes with too few examples.
        label_counts_: ``{code id: (quotes with it, quotes without it)}`` among
            the labelled quotes.
        n_labelled_: number of labelled quotes the model learned from.
        vectorizer_: the fitted TF-IDF vectorizer.
        rules_: the fitted rule coder (None without rule features).
        rule_codes_: codes whose rules give a feature, in codebook order.
        topic_names_: names of the topic features (empty without them).
        topic_source_: where the topic features came from (None without them).
        feature_names_: names of all features (words, n-grams, ``rules:<code>``,
            topics).
        classifiers_: ``{code id: CalibratedClassifierCV}``.
        aids_: what the model learned from beyond the labels (:class:`AidReport`).
        coef_: averaged logistic regression weights, one row per trained code.
        fold_weights_: the weights of every calibration fold's regression, one
            column per (trained code, fold), so one product scores all codes.
        fold_intercepts_: their intercepts.
    """

    method = "model"

    def __init__(
        self,
        min_positives: int = MIN_POSITIVES,
        ngram_range: tuple[int, int] = (1, 2),
        C: float = 10.0,
        calibration: str = "sigmoid",
        random_state: int | None = 0,
        n_jobs: int | None = None,
        use_rules: bool = True,
        use_topics: bool = True,
        threshold: float = THRESHOLD,
        batch_size: int = 10_000,
        thresholds: str = "cv",
        min_precision: float | None = None,
        char_ngrams: bool = True,
        at_least_one: bool = True,
        representation: str = "none",
        weak_labels: float | None = WEAK_WEIGHT,
        decision: str = SET_DECISION,
    ) -> None:
        self.min_positives = min_positives
        self.ngram_range = ngram_range
        self.C = C
        self.calibration = calibration
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.use_rules = use_rules
        self.use_topics = use_topics
        self.threshold = threshold
        self.batch_size = batch_size
        self.thresholds = thresholds
        self.min_precision = min_precision
        self.char_ngrams = char_ngrams
        self.at_least_one = at_least_one
        self.representation = representation
        self.weak_labels = weak_labels
        self.decision = decision

    # -- fitting -------------------------------------------------------------

    def fit(
        self,
        codebook: Codebook,
        quotes: Sequence[Quote] | None = None,
        *,
        labels: Mapping[str, Mapping[str, int]] | None = None,
        topics: TopicFeatures | None = None,
        unlabelled: Sequence[Quote] | None = None,
    ) -> ModelCoder:
        """Learn, for each code, from the quotes a person labelled; return the coder.

        Args:
            codebook: the codebook whose codes to learn.
            quotes: quotes (anything with ``quote_id`` and ``text``) that include
                every labelled quote; quotes without labels are not used.
            labels: ``{quote_id: {code_id: 1 or 0}}`` — 1 if the person applied
                the code to the quote, 0 if they decided it does not apply. Only
                the codes listed for a quote count for that quote: a code
                missing from a quote's labels is unknown there, not 0. Build
                these from a project with
                :func:`probation_themes.workflows.train.training_labels`.
            topics: the quotes' shares in a topic model's topics, used as
                features when ``use_topics`` is on; the model must then be given
                the same topics whenever it codes.
            unlabelled: the other quotes of the project (nobody labelled them): weak
                labels from the rules and the text of the representation.

        Raises:
            CoderError: no labels, labels that name unknown codes or hold
                values other than 0 and 1, no labelled quote among ``quotes``,
                no code with enough examples (the message says how many more
                each needs), or an invalid parameter.
        """
        self._check_params()
        if not isinstance(codebook, Codebook):
            raise CoderError(
                f"The model coder needs a Codebook to fit, not {type(codebook).__name__}; "
                "load one with probation_themes.codebook.load_codebook(path)."
            )
        self._check_labels(codebook, labels)
        assert labels is not None  # checked above; narrows the type
        refs: list[TextRef] = []
        seen: set[str] = set()
        for ref in _refs(quotes or []):
            if ref.quote_id in labels and ref.quote_id not in seen:  # one row per labelled quote
                seen.add(ref.quote_id)
                refs.append(ref)
        if not refs:
            raise CoderError(
                f"None of the {len(labels):,} labelled quote ids is among the "
                f"{len(quotes or []):,} quotes given to fit; pass the labelled quotes (with their "
                "texts) as `quotes`."
            )
        codes = list(codebook.ids)
        counts, skipped = count_labels(codes, refs, labels, self.min_positives)
        decisions = decide(counts, self.min_positives, len(refs))
        if MODEL not in decisions.values() and ALWAYS not in decisions.values():
            raise CoderError(refusal(skipped, self.min_positives))

        # Folds must be the same ones the calibration used, to read its out-of-fold scores.
        seed = self.random_state if self.random_state is not None else int(np.random.randint(2**31 - 1))
        aids, lsa, weak_refs, weak_y, weak_codes = prepare_aids(
            self.representation, self.weak_labels, codebook, refs, _refs(unlabelled or []), labels, seed
        )
        texts = [r.text for r in refs] + [r.text for r in weak_refs]
        vectorizer = TextFeatures(self.ngram_range, self.char_ngrams, len(texts), dense=lsa)
        try:
            words, self.n_words_, self.n_chars_ = vectorizer.fit_transform(texts)
        except ValueError:
            raise CoderError(
                "The labelled quotes contain no words the model can use (every word has a single "
                "letter, or no quote has any letters); label quotes with some text in them."
            ) from None
        self.vectorizer_ = vectorizer
        self.n_dense_ = lsa.n_dims_ if lsa is not None else 0
        self.aids_ = aids
        self.rules_, self.rule_codes_ = self._fit_rules(codebook)
        fired, _, _ = self._rule_features(refs, keep_codings=False)
        # On weakly labelled rows the rule features are blank: the rules are their labels.
        fired = sp.vstack([fired, sp.csr_matrix((len(weak_refs), fired.shape[1]))], format="csr")
        use = topics is not None and self.use_topics and len(topics.names) > 0
        self.topic_names_ = list(topics.names) if use else []
        self.topic_source_ = topics.source if use else None
        shares = self._topic_shares([*refs, *weak_refs], topics) if use else []
        features = sp.hstack([words, fired, self._topic_matrix(len(texts), shares)], format="csr")
        n_features = features.shape[1]

        fits: dict[str, tuple] = {}
        aided: dict[str, tuple] = {}
        for code_id in codes:
            pos, neg = counts[code_id]
            if decisions[code_id] != MODEL:
                continue
            rows = [i for i, r in enumerate(refs) if code_id in labels[r.quote_id]]
            y = np.array([labels[refs[i].quote_id][code_id] for i in rows], dtype=int)
            folds = StratifiedKFold(n_splits=min(CALIBRATION_FOLDS, pos, neg), shuffle=True, random_state=seed)
            X = features[rows]
            fits[code_id] = (*self._fit_code(X, y, folds), y)
            weak = weak_rows(weak_y, weak_codes, code_id)
            if len(weak):  # weak rows train every fold; calibration and thresholds see human labels only
                weak_X, weak_labels = features[len(refs) + weak], weak_y[weak, weak_codes.index(code_id)]
                aided[code_id] = (*self._fit_code(X, y, folds, weak_X, weak_labels, aids.weak_weight), y)
        # Weak labels are kept, for every code given them or for none, where they rank the
        # held-out human labels better than the human labels alone, on average over the codes.
        keep = prefer_aided([fits[c][3] for c in aided], [fits[c][2] for c in aided], [aided[c][2] for c in aided])
        if keep:
            fits.update(aided)
        aids.keep_weak(list(aided), list(aided) if keep else [])

        classifiers: dict[str, CalibratedClassifierCV] = {}
        constants: dict[str, float] = {}
        thresholds: dict[str, float] = {}
        calibrated_on: dict[str, int] = {}
        coefs, fold_weights, fold_intercepts = [], [], []
        for code_id in codes:
            pos, neg = counts[code_id]
            if decisions[code_id] == ALWAYS:
                constants[code_id] = round(pos / (pos + neg), 4)
                thresholds[code_id] = 0.0
                coefs.append(np.zeros(n_features))
                continue
            if decisions[code_id] != MODEL:
                continue
            clf, splits, held_out, y = fits[code_id]
            classifiers[code_id] = clf
            fitted = [c.estimator for c in clf.calibrated_classifiers_]
            coefs.append(np.mean([f.coef_[0] for f in fitted], axis=0))
            fold_weights += [f.coef_[0] for f in fitted]
            fold_intercepts += [f.intercept_[0] for f in fitted]
            calibrated_on[code_id] = int(sum(len(test) for _, test in splits))
            if self.thresholds == "fixed":
                thresholds[code_id] = float(self.threshold)
                continue
            limit = best_threshold(held_out, y, self.min_precision)
            if pos < RELIABLE_POSITIVES:  # too few to trust a low threshold: not below the fixed one
                limit = max(limit, float(self.threshold))
            thresholds[code_id] = round(limit, 4)

        self.codes_ = codes
        self.label_counts_ = counts
        self.skipped_codes_ = {c: s for c, s in skipped.items() if decisions[c] != ALWAYS}
        self.decisions_ = decisions
        self.trained_codes_ = [c for c in codes if c in classifiers or c in constants]
        self.constants_ = constants
        self.calibrated_on_ = calibrated_on
        self.thresholds_ = {c: thresholds[c] for c in self.trained_codes_}
        self.decision_ = self.decision
        self.n_labelled_ = len(refs)
        fully = [r for r in refs if len(labels[r.quote_id]) == len(codes)]
        with_code = sum(1 for r in fully if any(labels[r.quote_id].values()))
        # When (nearly) every fully coded quote has a code, so should every quote coded.
        self.at_least_one_ = bool(
            self.at_least_one and len(fully) >= self.min_positives and with_code >= AT_LEAST_ONE_SHARE * len(fully)
        )
        self.feature_names_ = [
            *vectorizer.get_feature_names_out().tolist(),
            *(RULE_FEATURE + c for c in self.rule_codes_),
            *self.topic_names_,
        ]
        self.classifiers_ = classifiers
        self.coef_ = np.vstack(coefs)
        self.fold_weights_ = np.column_stack(fold_weights) if fold_weights else np.zeros((n_features, 0))
        self.fold_intercepts_ = np.array(fold_intercepts)
        offered = getattr(codebook, "single_choice_groups", None)
        self.groups_ = [(g.name, tuple(g.codes), bool(g.exactly_one)) for g in (offered() if callable(offered) else [])]
        self._name_extras()
        return self

    def _fit_code(self, X, y, folds, weak_X=None, weak_y=None, weight: float = 0.0):
        """One code's calibrated classifier, its folds and its out-of-fold probabilities on the human labels.

        With weak rows (``weak_X``, ``weak_y``, each weighing ``weight``), they join the
        training part of every fold; the folds' held-out parts, where calibration is
        fitted and the threshold read, are human-labelled rows only.
        """
        splits = list(folds.split(X, y))
        base = LogisticRegression(
            C=float(self.C), class_weight="balanced", solver="liblinear", dual=True, random_state=self.random_state
        )
        if weak_X is None:
            clf = CalibratedClassifierCV(base, method=self.calibration, cv=folds)
            quiet_fit(clf, X, y)
            data = X
        else:
            splits = aided_splits(folds, X, y, weak_X.shape[0])
            base.set_params(class_weight=class_weights(y))
            clf = CalibratedClassifierCV(base, method=self.calibration, cv=splits)
            data = sp.vstack([X, weak_X], format="csr")
            weights = np.r_[np.ones(len(y)), np.full(weak_X.shape[0], weight)]
            quiet_fit(clf, data, np.r_[y, weak_y], sample_weight=weights)
        held_out = np.zeros(len(y))
        for (_, test), fold in zip(splits, clf.calibrated_classifiers_):
            held_out[test] = fold.calibrators[0].predict(fold.estimator.decision_function(data[test]))
        return clf, splits, held_out

    # -- coding --------------------------------------------------------------

    def score_chunk(self, chunk: Chunk) -> Scores:
        """Vectorise and score one chunk of quotes into plain numbers (run in a worker or here).

        Not meant to be called directly; :meth:`iter_score` does, in worker
        processes for large inputs.
        """
        words = self.vectorizer_.transform([r.text for r in chunk.refs])
        fired, rule_codings, term_counts = self._rule_features(
            chunk.refs, keep_codings=chunk.rule_codings, fired=chunk.fired
        )
        topics = self._topic_matrix(len(chunk.refs), chunk.topic_shares)
        features = sp.hstack([words, fired, topics], format="csr")
        proba = self._probabilities(features)
        rows, cols, how, losers, fit = self._decide(proba)
        if chunk.evidence:
            pair, feat, weight = self._top_features(features, rows, cols, how, losers, fit)
        else:
            pair = feat = np.zeros(0, dtype=np.int64)
            weight = np.zeros(0)
        # Pydantic records pickle slowly; their field dicts cross the process boundary instead.
        rules = [(c.quote_id, c.code, c.confidence, [dict(e.__dict__) for e in c.evidence]) for c in rule_codings]
        scores = Scores(proba, rows, cols, pair, feat, weight, rules, term_counts)
        if chunk.as_rows:
            scores = scores._replace(store_rows=self._store_rows(chunk, scores), coded=sorted(set(rows.tolist())))
        return scores
    def _batch(self, quotes: Sequence[Quote], chunk: Chunk, scores: Scores) -> ScoredBatch:
        """Turn a chunk's numbers into suggestion records (in this process)."""
        ids = [r.quote_id for r in chunk.refs]
        codes = self.trained_codes_
        reasons = self._evidence_lists(scores)
        confidence = np.round(scores.proba[scores.rows, scores.cols], 4).tolist()
        codings = [
            Coding(quote_id=ids[r], code=codes[c], method="model", status="suggested", confidence=p, evidence=ev)
            for r, c, p, ev in zip(scores.rows.tolist(), scores.cols.tolist(), confidence, reasons)
        ]
        rule_codings = [
            Coding(
                quote_id=q, code=c, method="rules", status="suggested", confidence=p,
                evidence=[Evidence(**e) for e in ev],
            )
            for q, c, p, ev in scores.rules
        ]
        combined = []
        if chunk.rule_codings:
            combined = combine_all(ids, rule_codings, codings, codes, self.codes_)
        return ScoredBatch(quotes, codings, scores.proba, rule_codings, combined, scores.term_counts)
    def iter_score(
        self,
        batches: Iterable[Sequence[Quote]],
        *,
        evidence: bool = True,
        rule_codings: bool = False,
        topics: TopicFeatures | None = None,
    ) -> Iterator[ScoredBatch]:
        """Score quotes that arrive batch by batch, so suggestions can be stored as they come.

        Args:
            batches: quotes in batches (e.g. a project's ``iter_quote_refs()``);
                a single list of quotes works as ``[quotes]``.
            evidence: compute each suggestion's evidence (off is quicker when
                only the decisions matter, as in evaluation).
            rule_codings: also return the rule coder's suggestions (needs
                ``use_rules``) and their combination with the model's
                (``code --method all``).
            topics: the quotes' shares in the topics the model was trained
                with (needed then; see :class:`TopicFeatures`).

        Yields:
            One :class:`ScoredBatch` per at most ``batch_size`` quotes, in order.
            Large inputs are vectorised and scored in worker processes while
            earlier batches are turned into records here.

        Raises:
            CoderError: the coder has not been fitted, quote ids repeat
                within a batch, or the model needs topic shares it was not given.
        """
        self.check_is_fitted()
        chunks = self._chunks(batches, evidence=evidence, rule_codings=rule_codings, topics=topics)
        for quotes, chunk, scores in score_chunks(self, chunks):
            with gc_paused():
                batch = self._batch(quotes, chunk, scores)
            yield batch

    def iter_rows(
        self,
        batches: Iterable[Sequence[Quote]],
        *,
        rules_fired: Callable[[Sequence[Quote]], Mapping[str, Iterable[str]]] | None = None,
        topics: TopicFeatures | None = None,
    ) -> Iterator[CodedRows]:
        """Score quotes batch by batch into store rows: the fast path for large projects.

        The same suggestions, confidences and evidence as :meth:`iter_score`,
        encoded for the store by the worker processes that score them, so no
        :class:`~probation_themes.models.Coding` is built.

        Args:
            batches: quotes in batches.
            rules_fired: given a batch, the codes whose rules fired on each of its
                quotes (``{quote id: code ids}``), when they are already known —
                a project's stored rule suggestions from the same codebook — so the
                rules need not be matched again. They must be what this coder's
                rules would find; the term counts are then left empty.
            topics: the quotes' shares in the topics the model was trained
                with (needed then; see :class:`TopicFeatures`).

        Raises:
            CoderError: the coder has not been fitted, quote ids repeat
                within a batch, or the model needs topic shares it was not given.
        """
        self.check_is_fitted()
        chunks = self._chunks(
            batches, evidence=True, rule_codings=False, as_rows=True, rules_fired=rules_fired, topics=topics
        )
        for quotes, _chunk, scores in score_chunks(self, chunks):
            yield CodedRows(quotes, scores.store_rows, scores.coded, scores.term_counts)

    def _chunks(
        self,
        batches: Iterable[Sequence[Quote]],
        *,
        evidence: bool,
        rule_codings: bool,
        as_rows: bool = False,
        rules_fired: Callable[[Sequence[Quote]], Mapping[str, Iterable[str]]] | None = None,
        topics: TopicFeatures | None = None,
    ) -> Iterator[tuple[Sequence[Quote], Chunk]]:
        column = {code_id: j for j, code_id in enumerate(getattr(self, "rule_codes_", []))}
        topics = self._check_topics(topics)
        for quotes in batches:
            refs = _refs(quotes)
            known = rules_fired(quotes) if rules_fired is not None and self.rules_ is not None else None
            for lo in range(0, len(refs), self.batch_size):
                part = refs[lo : lo + self.batch_size]
                if len({r.quote_id for r in part}) != len(part):
                    raise CoderError(
                        "Some quote ids occur more than once among the quotes to code; each quote "
                        "needs its own id (as ingest gives them)."
                    )
                fired = None
                if known is not None:
                    fired = [(i, column[c]) for i, r in enumerate(part) for c in known.get(r.quote_id, ()) if c in column]
                shares = self._topic_shares(part, topics) if topics is not None else []
                chunk = Chunk(part, evidence, rule_codings, as_rows, fired, shares)
                yield quotes[lo : lo + self.batch_size], chunk

    def predict_proba(self, quotes: Sequence[Quote], *, topics: TopicFeatures | None = None) -> np.ndarray:
        """Calibrated probabilities: one row per quote, one column per code in ``trained_codes_``.

        ``topics``: the quotes' shares in the topics the model was trained with, if any.

        Raises:
            CoderError: the coder has not been fitted, or needs topic shares it was not given.
        """
        parts = [b.probabilities for b in self.iter_score([quotes], evidence=False, topics=topics)]
        return np.vstack(parts) if parts else np.zeros((0, len(self.trained_codes_)))

    def predict(self, quotes: Sequence[Quote], *, topics: TopicFeatures | None = None) -> list[Coding]:
        """Return one suggested coding per (quote, trained code) whose probability reaches the threshold.

        Codings come in quote order, then codebook order; each has method
        ``model``, status ``suggested``, the probability as confidence and the
        features that pushed the decision as evidence. ``topics``: the quotes'
        shares in the topics the model was trained with, if any.

        Raises:
            CoderError: the coder has not been fitted, or needs topic shares it was not given.
        """
        return [c for batch in self.iter_score([quotes], topics=topics) for c in batch.codings]


# Compiling a large codebook's rules takes a second or more, and evaluation fits the
# model dozens of times with one codebook; a fitted rule coder is only read, so it is shared.
