"""How well the learned model codes, and how that grows with the number of coded quotes.

``evaluate`` scores the model (``model.logreg.v1``) against a gold coding by
k-fold cross-validation at several training sizes — a learning curve — next to
the rules alone on the same held-out quotes, so a researcher can see whether
coding more quotes by hand still pays. Everything happens in memory; no project
is needed.

As in a project, the model also reads topic features: a seeded topic model
(LDA, 5 free topics, the evaluation's seed) is fitted once on every gold text —
it never sees the gold codes, as in a project it never sees the coding — and
each text's topic shares become features of every fold's model.

The gold file is a CSV or TSV with a text column (``text`` unless named
otherwise) and the codes in one of two forms:

- a ``codes`` column holding the code ids of each text joined by `` | ``
  (blank when no code applies); every codebook code is evaluated; or
- one column per code, named by its code id, holding 1 (applies) or 0 (does
  not); ``yes``/``no``, ``true``/``false`` and ``x``/blank are read the same way.
  Only the codes with a column are evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from probation_themes.codebook import Codebook
from probation_themes.coding.model import MIN_POSITIVES, ModelCoder, TopicFeatures
from probation_themes.coding.rules import RulesCoder
from probation_themes.coding.topics import LdaTopicCoder
from probation_themes.errors import CoderError, IngestError
from probation_themes.ingest.decode import decode_bytes
from probation_themes.ingest.tables import read_delimited
from probation_themes.models import Quote

#: The column of the joined form of a gold file.
CODES_COLUMN = "codes"

#: Smallest training size of the default learning curve; each next size doubles it.
FIRST_SIZE = 50

_TRUE = {"1", "yes", "y", "true", "x"}
_FALSE = {"0", "no", "n", "false", ""}


@dataclass
class GoldSet:
    """A gold coding read from a file: texts and, per evaluated code, 0/1 labels."""

    path: str
    texts: list[str]
    codes: list[str]
    labels: np.ndarray  # (texts, codes), 0/1
    form: str  # "codes" (joined) or "columns" (one 0/1 column per code)
    missing_codes: list[str] = field(default_factory=list)


@dataclass
class Score:
    """An F1 score over the folds: mean, standard deviation and the folds where it was defined.

    F1 is undefined for a code in a fold where it is neither in the gold nor
    predicted; such folds are left out (``folds`` counts the others).
    """

    mean: float | None
    sd: float | None
    folds: int


@dataclass
class Metrics:
    """Micro F1 (pooled over codes), macro F1 (mean of codes) and F1 per code."""

    micro: Score
    macro: Score
    per_code: dict[str, Score]


@dataclass
class CurvePoint:
    """Scores after training on ``size`` gold quotes.

    ``model``: the model alone; codes it could not train get no suggestions.
    ``all``: model and rules combined as ``code --method all`` does (None when
    the codebook has no rules). ``trained_folds``: in how many folds each code
    had enough examples to be trained.
    """

    size: int
    model: Metrics
    all: Metrics | None
    trained_folds: dict[str, int]


@dataclass
class Evaluation:
    """A learning curve of the model against a gold coding, with the rules as a baseline."""

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
    dropped_sizes: list[int] = field(default_factory=list)
    #: The topic features the model read, or why there were none.
    topic_features: str = ""


def read_gold(path: str | Path, codebook: Codebook, *, text_col: str = "text") -> GoldSet:
    """Read a gold coding (CSV or TSV) for the codes of ``codebook``.

    See the module description for the two accepted forms.

    Raises:
        IngestError: the file cannot be read, lacks the text column or any
            codes, or a cell holds an unknown code or a value that is not 0/1;
            the message names the row and column.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(f"The gold file {path} does not exist. Check the file name and folder.", path=path) from None
    except OSError as exc:
        raise IngestError(f"The gold file {path} could not be read: {exc.strerror}.", path=path) from None
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        raise IngestError(
            f"The gold file {path.name} must be a CSV or TSV file (one row per text); save the "
            "sheet as CSV UTF-8 and try again.",
            path=path,
        )
    text, _ = decode_bytes(data, path)
    header, records = read_delimited(text, "\t" if path.suffix.lower() == ".tsv" else None)
    columns = [h.strip() for h in header]
    if text_col not in columns:
        raise IngestError(
            f"The gold file {path.name} has no column {text_col!r} (its columns are: "
            f"{', '.join(columns) or 'none'}); name the text column with --text-col.",
            path=path,
            column=text_col,
        )
    ids = list(codebook.ids)
    code_columns = [c for c in ids if c in columns]
    if CODES_COLUMN in columns and code_columns:
        raise IngestError(
            f"The gold file {path.name} has both a {CODES_COLUMN!r} column and code columns "
            f"({', '.join(code_columns)}); keep one form: either one {CODES_COLUMN!r} column with "
            "code ids joined by ' | ', or one 0/1 column per code.",
            path=path,
        )
    if CODES_COLUMN not in columns and not code_columns:
        raise IngestError(
            f"The gold file {path.name} names no codes: add a {CODES_COLUMN!r} column with each "
            "text's code ids joined by ' | ', or one 0/1 column per code named by its id "
            f"(codebook codes: {', '.join(ids)}).",
            path=path,
        )
    form = "codes" if CODES_COLUMN in columns else "columns"
    codes = ids if form == "codes" else code_columns
    at = {name: i for i, name in enumerate(columns)}
    texts: list[str] = []
    rows: list[list[int]] = []
    for row, cells, _raw, problem in records:
        if cells is None:
            raise IngestError(f"Row {row} of {path.name} cannot be read: {problem}.", path=path, row=row)
        if not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(columns) - len(cells))
        body = cells[at[text_col]].strip()
        if not body:
            raise IngestError(
                f"Row {row} of {path.name} has no text in column {text_col!r}; fill it in or "
                "delete the row.",
                path=path, row=row, column=text_col,
            )
        texts.append(body)
        if form == "codes":
            rows.append(_joined(cells[at[CODES_COLUMN]], codes, path, row))
        else:
            rows.append([_flag(cells[at[c]], c, path, row) for c in codes])
    if not texts:
        raise IngestError(f"The gold file {path.name} has a header but no texts.", path=path)
    labels = np.array(rows, dtype=np.int8).reshape(len(texts), len(codes))
    missing = [c for c in ids if c not in codes]
    return GoldSet(str(path), texts, codes, labels, form, missing)


def _joined(cell: str, codes: list[str], path: Path, row: int) -> list[int]:
    given = {part.strip() for part in cell.split("|")} - {""}
    unknown = sorted(given - set(codes))
    if unknown:
        raise IngestError(
            f"Row {row} of {path.name} names {', '.join(map(repr, unknown))} in column "
            f"{CODES_COLUMN!r}, not a code of the codebook; use the code ids "
            f"({', '.join(codes)}) joined by ' | '.",
            path=path, row=row, column=CODES_COLUMN,
        )
    return [int(c in given) for c in codes]


def _flag(cell: str, code: str, path: Path, row: int) -> int:
    value = cell.strip().lower()
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    raise IngestError(
        f"Row {row} of {path.name} has {cell!r} in column {code!r}; use 1 if the code applies "
        "and 0 (or blank) if it does not.",
        path=path, row=row, column=code,
    )


def default_sizes(pool: int) -> list[int]:
    """50, 100, 200, … below ``pool``, then ``pool`` itself (every training quote)."""
    sizes = []
    size = FIRST_SIZE
    while size < pool:
        sizes.append(size)
        size *= 2
    return [*sizes, pool]


def evaluate(
    gold: GoldSet,
    codebook: Codebook,
    *,
    folds: int = 5,
    sizes: list[int] | None = None,
    seed: int = 0,
    min_positives: int = MIN_POSITIVES,
    topics: bool = True,
) -> Evaluation:
    """Cross-validate the model at several training sizes against the gold coding.

    The gold texts are split into ``folds`` folds (shuffled with ``seed``).
    For each fold, the other folds are the training pool: the model is trained
    on the first ``size`` quotes of a shuffled pool for each size (so each
    larger training set contains the smaller ones) and scored on the held-out
    fold. The rules are scored on the same held-out folds.

    Args:
        gold: the gold coding (see :func:`read_gold`).
        codebook: the codebook whose rules and codes to use.
        folds: number of folds (2 or more).
        sizes: training sizes; None gives 50, 100, 200, … up to the pool.
            Sizes larger than the smallest training pool are dropped (and
            listed in the result).
        seed: seed for the folds, the training order and the model.
        min_positives: fewest quotes with (and without) a code to train it.
        topics: give the model topic features (see the module description);
            off, it reads words and rules only.

    Raises:
        CoderError: too few gold texts for the folds, or no usable size.
    """
    n = len(gold.texts)
    if not isinstance(folds, int) or folds < 2:
        raise CoderError(f"--folds {folds} must be 2 or more.")
    if n < 2 * folds:
        raise CoderError(
            f"The gold file has {n} texts, too few for {folds} folds: each fold needs at least "
            "two. Use fewer folds or a larger gold file."
        )
    splits = list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.arange(n)))
    pool = min(len(train) for train, _ in splits)
    wanted = sorted(set(sizes)) if sizes else default_sizes(pool)
    if any(s < 1 for s in wanted):
        raise CoderError("Training sizes must be whole numbers of 1 or more.")
    usable = [s for s in wanted if s <= pool]
    if not usable:
        raise CoderError(
            f"Every training size ({', '.join(map(str, wanted))}) is larger than the {pool} gold "
            f"texts each fold trains on ({n} texts, {folds} folds); choose sizes up to {pool}."
        )
    quotes = [
        Quote(quote_id=f"gold:{i + 2}", response_id=f"gold:{i + 2}", text=t, source=Path(gold.path).name, row=i + 2)
        for i, t in enumerate(gold.texts)
    ]
    fired = _rules_matrix(codebook, quotes, gold.codes)
    y = gold.labels.astype(bool)
    topic_features, topics_used = _topic_features(codebook, quotes, seed) if topics else (None, "off")

    counts = {s: [] for s in usable}  # per size, per fold: (model counts, all counts)
    trained = {s: {c: 0 for c in gold.codes} for s in usable}
    rule_counts = []
    for fold, (train, test) in enumerate(splits):
        order = np.random.default_rng([seed, fold]).permutation(train)
        if fired is not None:
            rule_counts.append(_counts(y[test], fired[test]))
        for size in usable:
            predicted, ok = _model_predictions(
                codebook, quotes, gold, order[:size], test, seed, min_positives, topic_features
            )
            for c, is_trained in zip(gold.codes, ok):
                trained[size][c] += int(is_trained)
            model_counts = _counts(y[test], predicted)
            all_counts = None
            if fired is not None:
                combined = np.where(ok, predicted, fired[test])
                all_counts = _counts(y[test], combined)
            counts[size].append((model_counts, all_counts))

    points = []
    for size in usable:
        model = _metrics([m for m, _ in counts[size]], gold.codes)
        combined = _metrics([a for _, a in counts[size]], gold.codes) if fired is not None else None
        points.append(CurvePoint(size, model, combined, trained[size]))
    return Evaluation(
        gold=gold.path,
        examples=n,
        folds=folds,
        seed=seed,
        min_positives=min_positives,
        codes=gold.codes,
        positives={c: int(v) for c, v in zip(gold.codes, gold.labels.sum(axis=0))},
        points=points,
        rules=_metrics(rule_counts, gold.codes) if fired is not None else None,
        missing_codes=gold.missing_codes,
        dropped_sizes=[s for s in wanted if s > pool],
        topic_features=topics_used,
    )


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


def _model_predictions(
    codebook: Codebook,
    quotes: list[Quote],
    gold: GoldSet,
    train: np.ndarray,
    test: np.ndarray,
    seed: int,
    min_positives: int,
    topics: TopicFeatures | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The model's decisions on the test quotes, and which codes it could train."""
    labels = {
        quotes[i].quote_id: {c: int(v) for c, v in zip(gold.codes, gold.labels[i])} for i in train
    }
    predicted = np.zeros((len(test), len(gold.codes)), dtype=bool)
    ok = np.zeros(len(gold.codes), dtype=bool)
    model = ModelCoder(min_positives=min_positives, random_state=seed, n_jobs=1)
    try:
        model.fit(codebook, [quotes[i] for i in train], labels=labels, topics=topics)
    except CoderError:
        # Too few examples of every code at this size: the model codes nothing.
        return predicted, ok
    proba = model.predict_proba([quotes[i] for i in test], topics=topics)
    for j, code in enumerate(model.trained_codes_):
        k = gold.codes.index(code)
        predicted[:, k] = proba[:, j] >= model.threshold
        ok[k] = True
    return predicted, ok


def _counts(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per code: true positives, false positives, false negatives (shape codes × 3)."""
    tp = (truth & predicted).sum(axis=0)
    fp = (~truth & predicted).sum(axis=0)
    fn = (truth & ~predicted).sum(axis=0)
    return np.stack([tp, fp, fn], axis=1)


def _f1(tp: float, fp: float, fn: float) -> float:
    return float("nan") if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def _score(values: list[float]) -> Score:
    defined = [v for v in values if not np.isnan(v)]
    if not defined:
        return Score(None, None, 0)
    sd = float(np.std(defined, ddof=1)) if len(defined) > 1 else 0.0
    return Score(round(float(np.mean(defined)), 4), round(sd, 4), len(defined))


def _metrics(per_fold: list[np.ndarray], codes: list[str]) -> Metrics:
    micro = [_f1(*c.sum(axis=0)) for c in per_fold]
    per_code = {code: [_f1(*c[j]) for c in per_fold] for j, code in enumerate(codes)}
    macro = []
    for c in per_fold:
        defined = [f for f in (_f1(*row) for row in c) if not np.isnan(f)]
        macro.append(float(np.mean(defined)) if defined else float("nan"))
    return Metrics(_score(micro), _score(macro), {code: _score(v) for code, v in per_code.items()})
