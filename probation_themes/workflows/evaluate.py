"""How well the learned model codes, next to the rules and a plain classifier, as coded quotes grow.

``evaluate`` scores the model (``model.logreg.v1``) against a gold coding,
side by side with the codebook's rules alone and with a plain TF-IDF +
one-vs-rest logistic regression (:class:`~probation_themes.coding.baselines.TfidfOvrBaseline`)
trained on the same labels, at several training sizes — a learning curve — so a
researcher can see whether coding more quotes by hand still pays and what the
model adds over the textbook classifier. Everything happens in memory; no
project is needed.

The held-out quotes come from k-fold cross-validation (``folds``) or from a
given split (``test``: a mask of the gold texts, e.g. from
:func:`~probation_themes.workflows.evaluate_gold.split_mask`); the model and the
baseline train on the first ``size`` quotes of the shuffled training pool
(sizes may be shares of the pool, ``"5%"``), so each larger training set
contains the smaller ones. The figures are those of
:mod:`probation_themes.workflows.evaluate_metrics`.

As in a project, the model also reads topic features: a seeded topic model
(LDA, 5 free topics, the evaluation's seed) is fitted once on every gold text —
it never sees the gold codes, as in a project it never sees the coding — and
each text's topic shares become features of every fold's model. When the model
offers few-label aids (weak labels from the rules, learning from the uncoded
texts), the curve also shows the model with them off. Reading gold files is in
:mod:`probation_themes.workflows.evaluate_gold`.
"""

from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from probation_themes.codebook import Codebook
from probation_themes.coding.baselines import TfidfOvrBaseline
from probation_themes.coding.model import MIN_POSITIVES, ModelCoder, TopicFeatures
from probation_themes.coding.rules import RulesCoder
from probation_themes.coding.topics import LdaTopicCoder
from probation_themes.errors import CoderError
from probation_themes.models import Quote
from probation_themes.workflows.evaluate_gold import (  # noqa: F401  (re-exported)
    CODES_COLUMN,
    GoldSet,
    read_gold,
    read_gold_folder,
    read_ids,
    read_texts_and_codes,
    split_mask,
)
from probation_themes.workflows.evaluate_metrics import FoldResult, Metrics, Score, fold_result, metrics  # noqa: F401

#: Smallest training size of the default learning curve; each next size doubles it.
FIRST_SIZE = 50


@dataclass
class CurvePoint:
    """Scores after training on ``size`` gold quotes (``label``: as asked, e.g. ``5%``).

    ``model``: the model alone; codes it could not train get no suggestions.
    ``all``: model and rules combined as ``code --method all`` does (None when
    the codebook has no rules). ``baseline``: the plain TF-IDF + one-vs-rest
    logistic regression. ``model_without_aids``: the model with its few-label
    aids off (None when the model has none). ``trained_folds``: in how many
    folds each code had enough examples to be trained.
    """

    size: int
    model: Metrics
    all: Metrics | None
    trained_folds: dict[str, int]
    baseline: Metrics | None = None
    model_without_aids: Metrics | None = None
    label: str = ""


@dataclass
class CodeDecision:
    """How the model trained on the most quotes decides one code (None where it does not say)."""

    threshold: float | None
    decision: str | None


@dataclass
class Evaluation:
    """A learning curve of the model against a gold coding, with the rules and a plain baseline."""

    gold: str
    examples: int
    folds: int
    seed: int
    min_positives: int
    codes: list[str]
    positives: dict[str, int]
    points: list[CurvePoint]
    rules: Metrics | None
    missing_codes: list[str] = field(default_factory=list)
    dropped_sizes: list[int | str] = field(default_factory=list)
    #: The topic features the model read, or why there were none.
    topic_features: str = ""
    #: "folds" (k-fold cross-validation) or "split" (a given test split).
    mode: str = "folds"
    test_examples: int = 0
    train_pool: int = 0
    #: Per code, the threshold and decision of the model at the largest size (when it has them).
    decisions: dict[str, CodeDecision] = field(default_factory=dict)
    #: The few-label aids compared ("" when the model has none).
    aids: str = ""
    #: Single-choice groups scored: name -> their code ids.
    groups: dict[str, list[str]] = field(default_factory=dict)
    uncoded: int = 0
    #: How the model chose each text's codes (``set`` or ``threshold``; "" when it has no choice).
    decision: str = ""


def default_sizes(pool: int) -> list[int]:
    """50, 100, 200, … below ``pool``, then ``pool`` itself (every training quote)."""
    sizes = []
    size = FIRST_SIZE
    while size < pool:
        sizes.append(size)
        size *= 2
    return [*sizes, pool]


def resolve_size(size: int | str, pool: int) -> int:
    """A training size as a number of quotes: a whole number, or a share of the pool (``"5%"``, at least 1)."""
    if isinstance(size, str):
        text = size.strip()
        if not text.endswith("%"):
            return int(text)
        share = float(text[:-1])
        if not 0 < share <= 100:
            raise CoderError(f"The training size {size} must be a share above 0% and at most 100%.")
        return max(1, int(round(pool * share / 100)))
    return size


def _groups(codebook: Codebook, codes: list[str], groups) -> list[tuple[str, list[int], list[str], bool]]:
    """The single-choice groups to score, as (name, columns, code ids, exactly_one)."""
    if groups is None:
        found = getattr(codebook, "single_choice_groups", None)
        groups = found() if callable(found) else []
    result = []
    for group in groups or []:
        members = [c for c in group.codes if c in codes]
        if len(members) >= 2:
            result.append((group.name, [codes.index(c) for c in members], members, bool(group.exactly_one)))
    return result


def model_accepts(option: str) -> bool:
    """Whether the model has the option ``option`` (the model gains options between releases)."""
    return option in inspect.signature(ModelCoder.__init__).parameters


def model_default(option: str) -> object:
    """The model's default for ``option``; None when it has no such option (or no default)."""
    found = inspect.signature(ModelCoder.__init__).parameters.get(option)
    return None if found is None or found.default is inspect.Parameter.empty else found.default


def _aid_options() -> tuple[dict, dict, bool, str]:
    """Model options with the few-label aids on and off, whether to pass unlabelled texts, and what they are."""
    fit = inspect.signature(ModelCoder.fit).parameters
    on: dict = {}
    off: dict = {}
    names = []
    if model_accepts("weak_labels"):
        default = model_default("weak_labels")
        on["weak_labels"] = default if default not in (False, None) else True
        off["weak_labels"] = False if isinstance(on["weak_labels"], bool) else None
        names.append("weak labels from the rules")
    if model_accepts("representation"):
        off["representation"] = "none"  # off means off, whatever representation is asked for
        if model_default("representation") not in (None, "none"):
            on["representation"] = model_default("representation")
            names.append(f"a {str(on['representation']).upper()} representation of the texts")
    unlabelled = "unlabelled" in fit
    if unlabelled:
        names.append("the uncoded texts")
    return on, off, unlabelled, (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else "".join(names)


def evaluate(
    gold: GoldSet,
    codebook: Codebook,
    *,
    folds: int = 5,
    sizes: list[int | str] | None = None,
    seed: int = 0,
    min_positives: int = MIN_POSITIVES,
    topics: bool = True,
    test: np.ndarray | None = None,
    baseline: bool = True,
    aids: bool = True,
    groups=None,
    model_options: dict | None = None,
) -> Evaluation:
    """Score the model, the rules and a plain baseline against the gold coding at several training sizes.

    Args:
        gold: the gold coding (see :func:`read_gold`).
        codebook: the codebook whose rules and codes to use.
        folds: number of cross-validation folds (2 or more); unused with ``test``.
        sizes: training sizes, whole numbers or shares of the training pool
            (``"5%"``); None gives 50, 100, 200, … up to the pool. Whole sizes
            larger than the smallest training pool are dropped (and listed).
        seed: seed for the folds, the training order and the models.
        min_positives: fewest quotes with (and without) a code to train it.
        topics: give the model topic features (see the module description).
        test: a boolean mask of the gold texts held out for testing; the others
            are the training pool. None: k-fold cross-validation.
        baseline: also score the plain TF-IDF + one-vs-rest logistic regression.
        aids: when the model has few-label aids, also score it with them off.
        groups: single-choice groups (objects with ``name``, ``codes``,
            ``exactly_one``); None reads the codebook's, if it has any.
        model_options: further options of the model (e.g. ``representation``
            where the model has it), given to every fit.

    Raises:
        CoderError: too few gold texts for the folds, or no usable size.
    """
    n = len(gold.texts)
    if test is not None:
        test = np.asarray(test, dtype=bool)
        splits = [(np.flatnonzero(~test), np.flatnonzero(test))]
        mode = "split"
    else:
        if not isinstance(folds, int) or folds < 2:
            raise CoderError(f"--folds {folds} must be 2 or more.")
        if n < 2 * folds:
            raise CoderError(
                f"The gold file has {n} texts, too few for {folds} folds: each fold needs at least "
                "two. Use fewer folds or a larger gold file."
            )
        splits = list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.arange(n)))
        mode = "folds"
    pool = min(len(train) for train, _ in splits)
    asked = list(sizes) if sizes else default_sizes(pool)
    resolved: dict[int, str] = {}
    dropped: list[int | str] = []
    for size in asked:
        number = resolve_size(size, pool)
        if number < 1:
            raise CoderError("Training sizes must be whole numbers of 1 or more, or shares such as 5%.")
        if number > pool:
            dropped.append(size)
        else:
            resolved.setdefault(number, str(size))
    usable = sorted(resolved)
    if not usable:
        raise CoderError(
            f"Every training size ({', '.join(map(str, asked))}) is larger than the {pool} training "
            f"texts ({n} gold texts); choose sizes up to {pool}, or shares such as 25%."
        )
    quotes = [
        Quote(quote_id=f"gold:{i + 2}", response_id=f"gold:{i + 2}", text=t, source=Path(gold.path).name, row=i + 2)
        for i, t in enumerate(gold.texts)
    ]
    fired = _rules_matrix(codebook, quotes, gold.codes)
    y = gold.labels.astype(bool)
    topic_features, topics_used = _topic_features(codebook, quotes, seed) if topics else (None, "off")
    choice = _groups(codebook, gold.codes, groups)
    on, off, unlabelled, aid_names = _aid_options()
    asked = (model_options or {}).get("representation")
    if asked not in (None, "none") and "representation" not in on:
        aid_names = f"{aid_names}, with a {str(asked).upper()} representation of the texts"
    # Options asked for hold with the aids on; off, every aid is off.
    on, off = {**on, **(model_options or {})}, {**(model_options or {}), **off}
    compare = aids and bool(aid_names)

    results: dict[int, dict[str, list[FoldResult]]] = {s: {} for s in usable}
    trained = {s: {c: 0 for c in gold.codes} for s in usable}
    seen_decisions: dict[str, list[tuple[float | None, str | None]]] = {c: [] for c in gold.codes}
    rule_results = []
    for fold, (train, held) in enumerate(splits):
        order = np.random.default_rng([seed, fold]).permutation(train)
        truth = y[held]
        if fired is not None:
            rule_results.append(fold_result(truth, fired[held], choice))
        for size in usable:
            chosen = order[:size]
            rest = np.setdiff1d(np.arange(n), chosen) if unlabelled else None
            run = _ModelRun(codebook, quotes, gold, seed, min_positives, topic_features)
            predicted, proba, ok, model = run(chosen, held, on, rest)
            for c, is_trained in zip(gold.codes, ok):
                trained[size][c] += int(is_trained)
            if size == usable[-1] and model is not None:
                _note_decisions(model, gold.codes, seen_decisions)
            got = results[size]
            got.setdefault("model", []).append(fold_result(truth, predicted, choice, proba))
            if fired is not None:
                combined = np.where(ok, predicted, fired[held])
                got.setdefault("all", []).append(fold_result(truth, combined, choice, proba))
            if baseline:
                plain = TfidfOvrBaseline(random_state=seed).fit([gold.texts[i] for i in chosen], y[chosen])
                scores = plain.predict_proba([gold.texts[i] for i in held])
                got.setdefault("baseline", []).append(fold_result(truth, scores >= 0.5, choice, scores))
            if compare:
                bare, bare_proba, _, _ = run(chosen, held, off, None)
                got.setdefault("bare", []).append(fold_result(truth, bare, choice, bare_proba))

    def summary(size: int, key: str) -> Metrics | None:
        return metrics(results[size][key], gold.codes) if key in results[size] else None

    points = [
        CurvePoint(
            size, summary(size, "model"), summary(size, "all"), trained[size],
            summary(size, "baseline"), summary(size, "bare"), resolved[size],
        )
        for size in usable
    ]
    return Evaluation(
        gold=gold.path,
        examples=n,
        folds=len(splits),
        seed=seed,
        min_positives=min_positives,
        codes=gold.codes,
        positives={c: int(v) for c, v in zip(gold.codes, gold.labels.sum(axis=0))},
        points=points,
        rules=metrics(rule_results, gold.codes) if fired is not None else None,
        missing_codes=gold.missing_codes,
        dropped_sizes=dropped,
        topic_features=topics_used,
        mode=mode,
        test_examples=int(len(splits[0][1])) if mode == "split" else 0,
        train_pool=pool,
        decisions=_decisions(seen_decisions),
        aids=aid_names if compare else "",
        groups={name: codes for name, _, codes, _ in choice},
        uncoded=gold.uncoded,
        decision=_decision(model_options),
    )


def _decision(options: dict | None) -> str:
    """How the model chooses a text's codes with ``options``: the one asked for, else its default."""
    chosen = (options or {}).get("decision") or model_default("decision")
    return "" if chosen is None else str(chosen)


def _note_decisions(model: ModelCoder, codes: list[str], seen: dict[str, list]) -> None:
    thresholds = getattr(model, "thresholds_", None) or {}
    decisions = getattr(model, "decisions_", None) or {}
    if not thresholds and not decisions:
        return
    for code in codes:
        value = thresholds.get(code) if isinstance(thresholds, dict) else None
        seen[code].append((None if value is None else float(value), decisions.get(code) if isinstance(decisions, dict) else None))


def _decisions(seen: dict[str, list[tuple[float | None, str | None]]]) -> dict[str, CodeDecision]:
    """Per code: the median threshold and the most common decision over the folds."""
    result = {}
    for code, values in seen.items():
        if not values:
            continue
        thresholds = [t for t, _ in values if t is not None]
        decisions = [d for _, d in values if d is not None]
        result[code] = CodeDecision(
            round(float(np.median(thresholds)), 4) if thresholds else None,
            Counter(decisions).most_common(1)[0][0] if decisions else None,
        )
    return result


def _topic_features(codebook: Codebook, quotes: list[Quote], seed: int) -> tuple[TopicFeatures | None, str]:
    """Topic features from a seeded topic model of every gold text, and what they are (or why none)."""
    try:
        coder = LdaTopicCoder(random_state=seed).fit(codebook, quotes)
    except CoderError as exc:  # too little text to model: the model reads words and rules only
        return None, f"none ({exc})"
    names = [f"topic {t.topic_id}: {t.label}" for t in coder.topics_]
    features = TopicFeatures.from_matrix(
        "the gold texts' topics", names, [q.quote_id for q in quotes], coder.doc_topics_, coder.threshold
    )
    return features, f"{len(names)} topics (LDA, {coder.k} free, seed {seed}) of all {len(quotes):,} gold texts"


def _rules_matrix(codebook: Codebook, quotes: list[Quote], codes: list[str]) -> np.ndarray | None:
    """Where the rules fired, one column per evaluated code; None if the codebook has no rules."""
    if all(c.rules is None or c.rules.is_empty() for c in codebook.codes):
        return None
    row = {q.quote_id: i for i, q in enumerate(quotes)}
    col = {c: j for j, c in enumerate(codes)}
    fired = np.zeros((len(quotes), len(codes)), dtype=bool)
    for coding in RulesCoder().fit(codebook).predict(quotes):
        if coding.code in col:
            fired[row[coding.quote_id], col[coding.code]] = True
    return fired


@dataclass
class _ModelRun:
    """Fits the model on some gold quotes and decides the held-out ones."""

    codebook: Codebook
    quotes: list[Quote]
    gold: GoldSet
    seed: int
    min_positives: int
    topics: TopicFeatures | None

    def __call__(
        self, train: np.ndarray, test: np.ndarray, options: dict, unlabelled: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, ModelCoder | None]:
        """Decisions (test × codes), probabilities (-1 where untrained), trained codes, and the model."""
        gold, quotes = self.gold, self.quotes
        labels = {quotes[i].quote_id: {c: int(v) for c, v in zip(gold.codes, gold.labels[i])} for i in train}
        predicted = np.zeros((len(test), len(gold.codes)), dtype=bool)
        proba = np.full((len(test), len(gold.codes)), -1.0)
        ok = np.zeros(len(gold.codes), dtype=bool)
        model = ModelCoder(min_positives=self.min_positives, random_state=self.seed, n_jobs=1, **options)
        extra = {} if unlabelled is None else {"unlabelled": [quotes[i] for i in unlabelled]}
        try:
            model.fit(self.codebook, [quotes[i] for i in train], labels=labels, topics=self.topics, **extra)
        except CoderError:
            positives = gold.labels[train].sum(axis=0)
            enough = (positives >= self.min_positives) & (len(train) - positives >= self.min_positives)
            if enough.any():  # not a shortage of examples: a bad option or unusable texts
                raise
            # Too few examples of every code at this size: the model codes nothing.
            return predicted, proba, ok, None
        held = [quotes[i] for i in test]
        row = {q.quote_id: r for r, q in enumerate(held)}
        col = {c: j for j, c in enumerate(gold.codes)}
        parts = []
        for batch in model.iter_score([held], evidence=False, topics=self.topics):
            parts.append(batch.probabilities)
            for coding in batch.codings:
                if coding.code in col:
                    predicted[row[coding.quote_id], col[coding.code]] = True
        scores = np.vstack(parts) if parts else np.zeros((0, len(model.trained_codes_)))
        for j, code in enumerate(model.trained_codes_):
            if code in col:
                proba[:, col[code]] = scores[:, j]
                ok[col[code]] = True
        return predicted, proba, ok, model
