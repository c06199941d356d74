"""The learned coder: training, calibration, refusals, evidence, `code --method model|all`, evaluate."""

from __future__ import annotations

import csv
import json
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import Codebook
from probation_themes.coding import model as model_module
from probation_themes.coding import model_workers
from probation_themes.coding import registry
from probation_themes.coding.combine import combine_all
from probation_themes.coding.model import ModelCoder, Shortfall
from probation_themes.coding.model_text import CHAR_FEATURE
from probation_themes.errors import CoderError, IngestError, StoreError
from probation_themes.ingest import IngestOptions
from probation_themes.models import Coding, Decision, Evidence, Quote, Run
from probation_themes.store import Project
from probation_themes.workflows.evaluate import default_sizes, evaluate, read_gold
from probation_themes.workflows.ingest import ingest_files
from probation_themes.workflows.train import training_labels

runner = CliRunner()

# Per code: the words its rules know, and other words people use for it that the rules miss.
VOCABULARY = {
    "workload": (["caseload", "workload"], ["overtime", "deadlines", "backlog", "unpaid hours"]),
    "ict": (["laptop"], ["software", "printer", "login", "network"]),
    "wellbeing": (["stress"], ["morale", "anxious", "exhausted", "burnout"]),
}
CODES = list(VOCABULARY)
FILLER = (
    "the team said that our manager and colleagues this year felt things were very much "
    "the same as before in the office"
).split()

CODEBOOK_YAML = """\
name: synthetic
version: 1.0.0
codes:
  - id: workload
    label: Workload
    definition: caseloads and hours
    rules: {any: [caseload, workload]}
  - id: ict
    label: ICT
    definition: IT equipment
    rules: {any: [laptop]}
  - id: wellbeing
    label: Wellbeing
    definition: stress and morale
    rules: {any: [stress]}
"""
BOOK = Codebook.model_validate(
    {
        "name": "synthetic",
        "version": "1.0.0",
        "codes": [
            {"id": c, "label": c, "definition": "d", "rules": {"any": VOCABULARY[c][0]}} for c in CODES
        ],
    }
)


def generate(n: int, seed: int = 0, noise: float = 0.03, pairs: bool = False) -> list[tuple[str, set[str]]]:
    """n comments made of filler plus one word per code they carry; a few labels are flipped.

    ``pairs``: two words per code (of its rule words and others) among 6 filler words, shuffled.
    """
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        codes = set(rnd.sample(CODES, rnd.choice([0, 1, 1, 2])))
        words = rnd.sample(FILLER, 6 if pairs else 8)
        for c in sorted(codes):
            rule, other = VOCABULARY[c]
            if pairs:
                words += rnd.sample(rule + other, 2)
            else:
                words.insert(rnd.randrange(len(words) + 1), rnd.choice(rule + other))
        if pairs:
            rnd.shuffle(words)
        labels = {c for c in CODES if (c in codes) != (rnd.random() < noise)} if noise else codes
        out.append((" ".join(words), labels))
    return out


def as_quotes(data: list[tuple[str, set[str]]], prefix: str = "q") -> list[Quote]:
    return [
        Quote(quote_id=f"{prefix}{i}", response_id=f"{prefix}{i}", text=t, source="gen.csv", row=i + 2)
        for i, (t, _) in enumerate(data)
    ]


def as_labels(data: list[tuple[str, set[str]]], prefix: str = "q") -> dict[str, dict[str, int]]:
    return {f"{prefix}{i}": {c: int(c in codes) for c in CODES} for i, (_, codes) in enumerate(data)}


def f1(truth: set, predicted: set) -> float:
    tp = len(truth & predicted)
    return 2 * tp / (len(truth) + len(predicted)) if truth or predicted else 1.0


@pytest.fixture(scope="module")
def split():
    data = generate(300, seed=1)
    return data[:200], data[200:]


@pytest.fixture(scope="module")
def fitted(split):
    train, _ = split
    return ModelCoder().fit(BOOK, as_quotes(train), labels=as_labels(train))


# -- the coder --------------------------------------------------------------------------


def test_the_model_is_registered_as_the_default_for_its_method():
    assert "model.logreg.v2" in registry.names()
    assert registry.default_for("model") == "model.logreg.v2"
    assert registry.get("model.logreg.v2") is ModelCoder


def test_the_model_learns_words_the_rules_miss(split, fitted):
    _, test = split
    quotes = as_quotes(test, "t")
    truth = {(f"t{i}", c) for i, (_, codes) in enumerate(test) for c in codes}
    model = {(c.quote_id, c.code) for c in fitted.predict(quotes)}
    rules = {(c.quote_id, c.code) for c in registry.get("rules.v1")().fit(BOOK).predict(quotes)}
    assert f1(truth, model) > 0.7
    assert f1(truth, model) > f1(truth, rules) + 0.3


def test_probabilities_are_calibrated_enough_to_mean_probability(split, fitted):
    _, test = split
    proba = fitted.predict_proba(as_quotes(test, "t"))
    assert proba.shape == (len(test), 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    truth = np.array([[c in codes for c in fitted.trained_codes_] for _, codes in test])
    high, low = proba >= 0.8, proba < 0.2
    # Among confident suggestions most are right, among confident refusals few are wrong.
    assert truth[high].mean() > 0.85
    assert truth[low].mean() < 0.1
    assert proba[truth].mean() > proba[~truth].mean() + 0.3


def test_one_product_gives_what_scikit_learn_gives(split, fitted):
    _, test = split
    quotes = as_quotes(test, "t")
    mine = fitted.predict_proba(quotes)
    words = fitted.vectorizer_.transform([q.text for q in quotes])
    fired, _, _ = fitted._rule_features(model_module._refs(quotes), keep_codings=False)
    features = model_module.sp.hstack([words, fired], format="csr")
    for j, code in enumerate(fitted.trained_codes_):
        np.testing.assert_allclose(mine[:, j], fitted.classifiers_[code].predict_proba(features)[:, 1], atol=1e-12)


def test_codings_carry_probability_and_the_terms_that_pushed_them(split, fitted):
    _, test = split
    codings = fitted.predict(as_quotes(test, "t"))
    assert codings and all(c.method == "model" and c.status == "suggested" for c in codings)
    # Each code's threshold was chosen by cross-validation and is in the suggestion's evidence;
    # by default the quote's likeliest set of codes decides, and the set's expected F1 comes last.
    assert fitted.decision_ == "set"
    assert set(fitted.thresholds_) == set(fitted.trained_codes_)
    assert all(0 < t < 1 for t in fitted.thresholds_.values())
    for coding in codings:
        last = coding.evidence[-1]
        assert last.term == model_module.SET_TERM and 0 < last.weight <= 1
        assert coding.evidence[-2].term == f"threshold {fitted.thresholds_[coding.code]:.2f}"
    for coding in codings:
        words = [e for e in coding.evidence if not e.term.startswith(("rules:", "threshold ", "most likely", "one of"))]
        assert all(e.kind == "model" and e.weight > 0 for e in coding.evidence)
        assert 1 <= len(words) <= 5
        weights = [e.weight for e in coding.evidence[:-2]]
        assert weights == sorted(weights, reverse=True)
    # Character n-grams are features (most of each quote's), never evidence.
    assert fitted.n_chars_ > 0
    assert not any(e.term.startswith(CHAR_FEATURE) for c in codings for e in c.evidence)
    text_of = {f"t{i}": t for i, (t, _) in enumerate(test)}
    with_rule = [c for c in codings if c.code == "ict" and "laptop" in text_of[c.quote_id]]
    assert with_rule and all(any(e.term == "rules:ict" for e in c.evidence) for c in with_rule)
    printer = [c for c in codings if c.code == "ict" and "printer" in text_of[c.quote_id].split()]
    assert printer and all(any(e.term == "printer" for e in c.evidence) for c in printer)


def test_too_few_examples_is_refused_with_the_counts_and_what_to_do():
    data = generate(60, seed=2)
    labels = as_labels(data)
    counts = {c: sum(labels[q][c] for q in labels) for c in CODES}
    with pytest.raises(CoderError) as caught:
        ModelCoder(min_positives=40).fit(BOOK, as_quotes(data), labels=labels)
    message = str(caught.value)
    for code, n in counts.items():
        assert f"Code {code} has {n} positive examples; the model needs at least 40" in message
        assert f"code {40 - n} more quotes with {code} (by review or import-codings)" in message


def test_codes_with_too_few_examples_are_skipped_and_reported(split):
    train, _ = split
    labels = as_labels(train)
    # Keep only three quotes that have wellbeing: the other codes still train.
    keep = [q for q in labels if labels[q]["wellbeing"]][:3] + [q for q in labels if not labels[q]["wellbeing"]]
    labels = {q: labels[q] for q in keep}
    coder = ModelCoder(min_positives=10).fit(BOOK, as_quotes(train), labels=labels)
    negatives = sum(1 for q in labels if not labels[q]["wellbeing"])
    assert coder.skipped_codes_ == {"wellbeing": Shortfall(3, 7, negatives, 0)}
    assert coder.trained_codes_ == ["workload", "ict"]
    assert "wellbeing" not in {c.code for c in coder.predict(as_quotes(train))}


def test_a_code_only_ever_accepted_needs_rejections_too(split):
    train, _ = split
    labels = as_labels(train)
    for q in labels:
        if not labels[q]["ict"]:
            del labels[q]["ict"]  # a reviewer who accepted ict suggestions but rejected none
    coder = ModelCoder().fit(BOOK, as_quotes(train), labels=labels)
    shortfall = coder.skipped_codes_["ict"]
    assert shortfall.negatives == 0 and shortfall.needed_more_negatives == model_module.MIN_POSITIVES
    assert coder.decisions_["ict"] == "never"


@pytest.mark.parametrize(
    ("labels", "needle"),
    [
        (None, "learns from quotes a person has coded"),
        ({"q0": {"pay": 1}}, "code 'pay', which is not in the codebook"),
        ({"q0": {"ict": 2}}, r"is 2; use 1 \(the code applies\) or 0"),
        ({"elsewhere": {"ict": 1}}, "None of the 1 labelled quote ids is among the 3 quotes"),
    ],
)
def test_bad_labels_are_refused_clearly(labels, needle):
    quotes = as_quotes(generate(3))
    with pytest.raises(CoderError, match=needle):
        ModelCoder().fit(BOOK, quotes, labels=labels)


@pytest.mark.parametrize(
    ("params", "needle"),
    [({"min_positives": 1}, "min_positives"), ({"ngram_range": (2, 1)}, "ngram_range"),
     ({"calibration": "platt"}, "calibration"), ({"threshold": 1.5}, "threshold"), ({"C": 0}, "C=0")],
)
def test_bad_parameters_are_refused_at_fit(split, params, needle):
    train, _ = split
    with pytest.raises(CoderError, match=needle):
        ModelCoder(**params).fit(BOOK, as_quotes(train), labels=as_labels(train))


def test_same_seed_same_output_and_workers_change_nothing(split, monkeypatch):
    train, test = split
    quotes = as_quotes(test * 3, "t")
    first = ModelCoder(n_jobs=1).fit(BOOK, as_quotes(train), labels=as_labels(train))
    second = ModelCoder(n_jobs=1).fit(BOOK, as_quotes(train), labels=as_labels(train))
    serial = [c.model_dump() for c in first.predict(quotes)]
    assert serial == [c.model_dump() for c in second.predict(quotes)]
    # Force the worker-process path on a small input: several chunks over two workers.
    monkeypatch.setattr(model_workers, "PARALLEL_MIN_QUOTES", 20)
    parallel = ModelCoder(n_jobs=2, batch_size=40).fit(BOOK, as_quotes(train), labels=as_labels(train))
    batches = list(parallel.iter_score([quotes[:100], quotes[100:]], rule_codings=True))
    assert len(batches) > 2
    assert [c.model_dump() for b in batches for c in b.codings] == serial
    rules = registry.get("rules.v1")().fit(BOOK).predict(quotes)
    assert [c.model_dump() for b in batches for c in b.rule_codings] == [c.model_dump() for c in rules]


# -- combining rules and model ------------------------------------------------------------


def _coding(quote: str, code: str, method: str, confidence: float, term: str) -> Coding:
    kind = "rule" if method == "rules" else "model"
    return Coding(quote_id=quote, code=code, method=method, confidence=confidence,
                  evidence=[Evidence(kind=kind, term=term, weight=None if kind == "rule" else 1.0)])


def test_all_lets_the_model_decide_its_codes_and_the_rules_the_rest():
    rules = [
        _coding("q1", "workload", "rules", 0.6, "caseload"),   # model trained and agrees
        _coding("q1", "wellbeing", "rules", 0.84, "stress"),   # model not trained: rules decide
        _coding("q2", "ict", "rules", 0.6, "laptop"),          # model trained, says no: dropped
    ]
    model = [
        _coding("q1", "workload", "model", 0.91, "overtime"),
        _coding("q2", "workload", "model", 0.55, "backlog"),   # model alone
    ]
    combined = combine_all(["q1", "q2"], rules, model, ["workload", "ict"], CODES)
    assert [(c.quote_id, c.code, c.method, c.confidence) for c in combined] == [
        ("q1", "workload", "all", 0.91),
        ("q1", "wellbeing", "all", 0.84),
        ("q2", "workload", "all", 0.55),
    ]
    assert [e.term for e in combined[0].evidence] == ["overtime", "caseload"]
    assert [e.term for e in combined[1].evidence] == ["stress"]


# -- training labels from a project -------------------------------------------------------

OPTIONS = IngestOptions(text_cols=["answer"], id_col="id")


def _project_with(tmp_path: Path, rows: list[tuple[str, str]], split: str = "response") -> Project:
    path = tmp_path / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "answer"])
        writer.writerows(rows)
    project = Project.open(tmp_path / "p.db")
    ingest_files(project, [path], IngestOptions(text_cols=["answer"], id_col="id", split=split))
    return project


def _decide(project: Project, quote: str, code: str, decision: str, minute: int) -> None:
    at = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minute)
    project.record_decision(Decision(quote_id=quote, code=code, decision=decision, coder="ann", decided_at=at))


def _import(project: Project, coder: str, level: str, units: list[str], positives: list[tuple[str, str]]) -> None:
    run = project.start_run(Run(command="import-codings", started_at=datetime.now(timezone.utc)))
    project.replace_coder_codings(coder, level, units, positives, run_id=run)
    project.finish_run(run)


def test_review_decisions_label_only_the_codes_decided_and_the_latest_wins(tmp_path: Path):
    project = _project_with(tmp_path, [("a", "caseloads"), ("b", "laptops"), ("c", "nothing")])
    a, b, c = (q.quote_id for q in project.quotes())
    _decide(project, a, "workload", "accept", 1)
    _decide(project, b, "ict", "accept", 2)
    _decide(project, b, "ict", "reject", 3)  # changed their mind
    _decide(project, c, "not_in_codebook", "accept", 4)
    assert training_labels(project, BOOK) == {a: {"workload": 1}, b: {"ict": 0}}
    project.close()


def test_an_imported_coder_labels_every_code_of_the_units_they_saw(tmp_path: Path):
    project = _project_with(tmp_path, [("a", "caseloads"), ("b", "laptops"), ("c", "nothing")])
    a, b, c = (q.quote_id for q in project.quotes())
    _import(project, "bob", "quote", [a, b], [(a, "workload"), (b, "ict"), (b, "wellbeing")])
    _decide(project, b, "wellbeing", "reject", 1)  # the researcher's own word wins
    assert training_labels(project, BOOK, coder="bob") == {
        a: {"workload": 1, "ict": 0, "wellbeing": 0},
        b: {"workload": 0, "ict": 1, "wellbeing": 0},
    }
    project.close()


def test_response_codings_reach_quotes_only_where_they_are_certain(tmp_path: Path):
    project = _project_with(
        tmp_path, [("r1", "My caseload is huge."), ("r2", "My laptop broke. I feel stress.")], split="sentence"
    )
    quotes = project.quotes()
    single = [q.quote_id for q in quotes if q.response_id == "r1"]
    double = [q.quote_id for q in quotes if q.response_id == "r2"]
    assert len(single) == 1 and len(double) == 2
    _import(project, "bob", "response", ["r1", "r2"], [("r1", "workload"), ("r2", "ict"), ("r2", "wellbeing")])
    labels = training_labels(project, BOOK, coder="bob")
    assert labels[single[0]] == {"workload": 1, "ict": 0, "wellbeing": 0}
    # Which sentence carries ict is unknown; that neither carries workload is certain.
    assert all(labels[q] == {"workload": 0} for q in double)
    project.close()


def test_an_unknown_coder_is_named_with_the_coders_there_are(tmp_path: Path):
    project = _project_with(tmp_path, [("a", "caseloads")])
    _import(project, "bob", "quote", [project.quotes()[0].quote_id], [])
    with pytest.raises(StoreError, match=r"coder name 'eve' \(imported coders: bob\)"):
        training_labels(project, BOOK, coder="eve")
    project.close()


# -- the command line ----------------------------------------------------------------------


def project_coded_by_gold(tmp_path: Path, data: list[tuple[str, set[str]]], n_coded: int) -> tuple[Path, Path]:
    """A project of ``data``'s comments, the first ``n_coded`` coded by an imported coder 'gold'; and its codebook."""
    project = _project_with(tmp_path, [(f"c{i:03d}", text) for i, (text, _) in enumerate(data)])
    ids = [q.quote_id for q in project.quotes()]
    _import(project, "gold", "quote", ids[:n_coded], [(ids[i], c) for i in range(n_coded) for c in data[i][1]])
    project.close()
    book = tmp_path / "book.yaml"
    book.write_text(CODEBOOK_YAML, encoding="utf-8")
    return tmp_path / "p.db", book


@pytest.fixture
def coded_project(tmp_path: Path) -> tuple[Path, Path, list[tuple[str, set[str]]]]:
    """A project of 240 generated comments; the first 160 coded by an imported coder 'gold'."""
    data = generate(240, seed=3)
    return (*project_coded_by_gold(tmp_path, data, 160), data)


def test_code_method_model_writes_probability_suggestions(coded_project):
    db, book, data = coded_project
    result = runner.invoke(app, ["code", "-c", str(book), "--method", "model", "--train-coder", "gold",
                                 "-p", str(db), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["coder"] == "model.logreg.v2" and report["labelled_quotes"] == 160
    assert report["trained"] == CODES and report["skipped"] == {}
    with Project.open(db) as project:
        codings = project.codings(method="model")
        run = project.runs()[-1]
    assert report["codings"] == len(codings) > 0
    assert {c.method for c in codings} == {"model"}
    # The run keeps how each code was decided, its threshold and the decision; each suggestion
    # is in its quote's likeliest set of codes and names its code's threshold.
    assert run.parameters["decisions"] == {c: "model" for c in CODES}
    assert run.parameters["decision"] == "set"
    limits = run.parameters["thresholds"]
    assert set(limits) == set(CODES) and report["thresholds"] == limits
    assert all(c.evidence[-1].term == model_module.SET_TERM and c.evidence[-2].term == f"threshold {limits[c.code]:.2f}"
               for c in codings)
    assert run.parameters["train_coder"] == "gold" and run.parameters["min_positives"] == model_module.MIN_POSITIVES


def test_large_projects_are_modelled_on_words_only_and_the_run_says_so(coded_project, monkeypatch):
    from probation_themes.workflows import code as code_module

    db, book, _ = coded_project
    args = ["code", "-c", str(book), "--method", "model", "--train-coder", "gold", "-p", str(db), "--full"]
    assert runner.invoke(app, args).exit_code == 0
    with Project.open(db) as project:
        assert project.runs()[-1].parameters["char_ngrams"] is True  # 240 quotes: words and characters
    monkeypatch.setattr(code_module, "CHAR_NGRAMS_MAX_QUOTES", 239)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with Project.open(db) as project:
        run = project.runs()[-1]
        codings = project.codings(method="model")
    assert run.parameters["char_ngrams"] is False
    assert codings and not any(e.term.startswith(CHAR_FEATURE) for c in codings for e in c.evidence)


def test_the_model_reads_current_rule_suggestions_instead_of_matching_again(coded_project, monkeypatch):
    from probation_themes.coding.engine import _Engine
    from probation_themes.codebook import load_codebook
    from probation_themes.workflows.code import code_project

    db, book, _ = coded_project
    codebook = load_codebook(book)

    def model_suggestions() -> list[tuple]:
        with Project.open(db) as project:
            code_project(project, codebook, method="model", train_coder="gold", n_jobs=1, full=True)
            return [(c.quote_id, c.code, c.confidence, c.evidence) for c in project.codings(method="model")]

    scans: list[int] = []
    real_scan = _Engine.scan
    monkeypatch.setattr(_Engine, "scan", lambda self, texts, first=0, **kw: scans.append(len(texts)) or real_scan(self, texts, first, **kw))
    matched = model_suggestions()
    assert sum(scans) > 160  # no rules run yet: the rules are matched on every quote
    with Project.open(db) as project:
        code_project(project, codebook, method="rules", n_jobs=1)
    scans.clear()
    assert model_suggestions() == matched
    # Only training matches the rules (on the 160 labelled quotes, and on the 80 uncoded ones for
    # weak labels); prediction reads the stored suggestions.
    assert sorted(scans) == [80, 160]
    # A rules run with other rules is not what this codebook's rules find: matched again.
    other_book = book.with_name("other.yaml")
    other_book.write_text(CODEBOOK_YAML.replace("{any: [laptop]}", "{any: [laptop, printer]}"), encoding="utf-8")
    other = load_codebook(other_book)
    with Project.open(db) as project:
        code_project(project, other, method="rules", n_jobs=1)
    scans.clear()
    assert model_suggestions() == matched
    assert sum(scans) > 160


def test_the_model_reads_the_latest_topics_run_while_it_covers_every_quote(coded_project, tmp_path: Path):
    db, book, data = coded_project
    code = ["code", "-c", str(book), "--method", "model", "--train-coder", "gold", "-p", str(db)]
    result = runner.invoke(app, code)
    assert result.exit_code == 0, result.output
    assert "the model read no topic features: the project has no topics run yet" in result.output
    topics = runner.invoke(app, ["topics", "-c", str(book), "--k", "2", "-p", str(db), "--json"])
    assert topics.exit_code == 0, topics.output
    topics_run = json.loads(topics.stdout)["run_id"]
    report = json.loads(runner.invoke(app, [*code, "--json"]).stdout)
    assert report["used_topics"] and report["kept_from_run"] is None  # new features: everything again
    assert report["topic_features"] == f"5 topics of topics run {topics_run}"
    with Project.open(db) as project:
        run = project.runs()[-1]
        evidence = [e.term for c in project.codings(method="model") for e in c.evidence]
    assert run.parameters["topic_features"] == f"topics run {topics_run}"
    assert any(term.startswith("topic ") for term in evidence)
    assert "Topic features: 5 topics of topics run" in runner.invoke(app, [*code, "--full"]).output
    # Left out on request: another model, so every quote is coded again, without topics.
    off = json.loads(runner.invoke(app, [*code, "--no-topic-features", "--json"]).stdout)
    assert not off["used_topics"] and off["kept_from_run"] is None and off["topic_features"] == "left out on request"
    # New quotes the topics run never saw: the model goes without topics and says what to do.
    with Project.open(db) as project:
        extra = tmp_path / "more.csv"
        extra.write_text("id,answer\nz1,my caseload is far too high\n", encoding="utf-8")
        ingest_files(project, [extra], OPTIONS)
    later = runner.invoke(app, code)
    assert later.exit_code == 0, later.output
    assert f"topics run {topics_run} did not model the quotes ingested after it" in " ".join(later.output.split())


def test_topics_changed_since_their_run_are_not_read_and_the_reason_says_what_to_do(coded_project):
    from probation_themes.codebook import load_codebook
    from probation_themes.ingest.redact import Redactor
    from probation_themes.workflows.redact import redact_project
    from probation_themes.workflows.topics import fit_topics, topic_features

    db, book, _ = coded_project
    with Project.open(db) as project:
        run = fit_topics(project, load_codebook(book), k=2).run_id
        features, about = topic_features(project)
        assert features is not None and features.source == f"topics run {run}"
        assert about == f"5 topics of topics run {run}"
        shares = features.shares([q.quote_id for q in project.quotes()])
        assert shares and all(0 <= t < 5 and s >= 0.3 for found in shares.values() for t, s in found)
        # A run recorded without the quotes it modelled (an earlier version) is not trusted.
        project._db.execute("UPDATE runs SET parameters = json_remove(parameters, '$.quotes_through') WHERE run_id = ?", (run,))
        project._db.commit()
        assert topic_features(project)[0] is None and "earlier version" in topic_features(project)[1]
        run = fit_topics(project, load_codebook(book), k=2).run_id
        # A redaction that finds nothing to replace changes no text: the topics still stand.
        assert redact_project(project, Redactor()).quotes_changed == 0
        assert topic_features(project)[0] is not None
        first = project.quotes()[0].quote_id
        project._db.execute("UPDATE quotes SET text = text || ' Write to jo.bloggs@example.org' WHERE quote_id = ?",
                            (first,))
        project._db.commit()
        redaction = redact_project(project, Redactor())
        assert redaction.quotes_changed == 1
        features, about = topic_features(project)
    assert features is None
    assert about == (f"redaction run {redaction.run_id} changed quotes after topics run {run}, so its topics "
                     "describe texts that changed; run `probation-themes topics` again to use topics")


def test_code_method_all_combines_and_warns_about_skipped_codes(coded_project):
    db, book, data = coded_project
    with Project.open(db) as project:
        ids = [q.quote_id for q in project.quotes()]
        # Only 2 quotes with wellbeing among the labelled ones: that code falls back to rules.
        positives = [(ids[i], c) for i in range(160) for c in data[i][1]]
        kept, seen = [], 0
        for quote, code in positives:
            if code == "wellbeing":
                seen += 1
                if seen > 2:
                    continue
            kept.append((quote, code))
        _import(project, "gold", "quote", ids[:160], kept)
    result = runner.invoke(app, ["code", "-c", str(book), "--method", "all", "--train-coder", "gold", "-p", str(db)])
    assert result.exit_code == 0, result.output
    assert "not trained for 1 codes" in result.output
    assert "wellbeing (2 quotes with it; code 1 more)" in result.output
    assert "rule suggestions instead" in result.output
    with Project.open(db) as project:
        combined = project.codings(method="all")
        texts = {q.quote_id: q.text for q in project.quotes()}
    wellbeing = {c.quote_id for c in combined if c.code == "wellbeing"}
    assert wellbeing == {q for q, t in texts.items() if "stress" in t.split()}
    assert all(e.kind == "rule" for c in combined if c.code == "wellbeing" for e in c.evidence)
    assert any(e.kind == "model" for c in combined if c.code == "ict" for e in c.evidence)


def test_code_method_model_without_labels_says_how_to_get_them(coded_project, tmp_path: Path):
    db, book, _ = coded_project
    result = runner.invoke(app, ["code", "-c", str(book), "--method", "model", "-p", str(db)])
    assert result.exit_code == 1, result.output
    assert "nothing for the model to learn from" in result.output and "--train-coder" in result.output
    result = runner.invoke(app, ["code", "-c", str(book), "--train-coder", "gold", "-p", str(db)])
    assert result.exit_code == 2 and "only applies to --method model or all" in result.output


# -- evaluate -------------------------------------------------------------------------------


def _gold_csv(path: Path, data: list[tuple[str, set[str]]], form: str = "codes") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        if form == "codes":
            writer.writerow(["text", "codes"])
            writer.writerows([t, " | ".join(sorted(codes))] for t, codes in data)
        else:
            writer.writerow(["text", *CODES])
            writer.writerows([t, *(int(c in codes) for c in CODES)] for t, codes in data)
    return path


def test_evaluate_draws_a_learning_curve_that_beats_the_rules(tmp_path: Path):
    gold = _gold_csv(tmp_path / "gold.csv", generate(300, seed=4))
    book = tmp_path / "book.yaml"
    book.write_text(CODEBOOK_YAML, encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--gold", str(gold), "-c", str(book), "--folds", "3",
                                 "--sizes", "20,100,200,5000", "--min-positives", "10", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [p["size"] for p in report["points"]] == [20, 100, 200]
    assert report["dropped_sizes"] == [5000] and report["examples"] == 300
    rules = report["rules"]["micro"]["mean"]
    first, last = report["points"][0], report["points"][-1]
    assert first["trained_folds"]["ict"] < 3 <= last["trained_folds"]["ict"]
    assert last["model"]["micro"]["mean"] > first["model"]["micro"]["mean"]
    assert last["model"]["micro"]["mean"] > rules + 0.2
    assert last["model"]["micro"]["folds"] == 3 and last["model"]["micro"]["sd"] >= 0
    table = runner.invoke(app, ["evaluate", "--gold", str(gold), "-c", str(book), "--folds", "3"])
    assert table.exit_code == 0 and "rules only" in table.output
    assert re.search(r"│\s+200 │", table.output)  # the default curve ends with every training quote


def test_evaluate_is_deterministic_and_reads_both_forms(tmp_path: Path):
    data = generate(120, seed=5)
    joined = read_gold(_gold_csv(tmp_path / "a.csv", data), BOOK)
    wide = read_gold(_gold_csv(tmp_path / "b.csv", data, form="columns"), BOOK)
    assert joined.codes == wide.codes == CODES
    assert (joined.labels == wide.labels).all() and joined.texts == wide.texts
    first = evaluate(joined, BOOK, folds=2, sizes=[60], seed=7)
    second = evaluate(wide, BOOK, folds=2, sizes=[60], seed=7)
    assert first.points == second.points and first.rules == second.rules
    assert re.fullmatch(r"8 topics \(LDA, 5 free, seed 7\) of all 120 gold texts", first.topic_features)
    plain = evaluate(joined, BOOK, folds=2, sizes=[60], seed=7, topics=False)
    assert plain.topic_features == "off" and plain.rules == first.rules
    assert default_sizes(1000) == [50, 100, 200, 400, 800, 1000]


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ([["comment", "codes"], ["x", ""]], "no column 'text'"),
        ([["text", "codes"], ["x", "ict | pay"]], "Row 2 of gold.csv names 'pay' in column 'codes'"),
        ([["text", "ict"], ["x", "1"], ["y", "maybe"]], "Row 3 of gold.csv has 'maybe' in column 'ict'"),
        ([["text", "codes", "ict"], ["x", "", "1"]], "keep one form"),
        ([["text", "region"], ["x", "Wales"]], "names no codes"),
        ([["text", "codes"], ["", "ict"]], "Row 2 of gold.csv has no text"),
    ],
)
def test_a_bad_gold_file_is_refused_with_row_and_column(tmp_path: Path, rows, needle):
    path = tmp_path / "gold.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(IngestError, match=needle):
        read_gold(path, BOOK)


def test_store_rows_are_the_codings_as_the_store_keeps_them(split, monkeypatch):
    from probation_themes.models import evidence_json

    train, test = split
    quotes = as_quotes(test * 2, "t")
    monkeypatch.setattr(model_workers, "PARALLEL_MIN_QUOTES", 20)
    model = ModelCoder(n_jobs=2, batch_size=30).fit(BOOK, as_quotes(train), labels=as_labels(train))
    codings = ModelCoder(n_jobs=1).fit(BOOK, as_quotes(train), labels=as_labels(train)).predict(quotes)
    parts = list(model.iter_rows([quotes[:70], quotes[70:]]))
    assert len(parts) > 2
    assert [q.quote_id for p in parts for q in p.quotes] == [q.quote_id for q in quotes]
    rows = [row for p in parts for row in p.rows]
    assert rows == [(c.quote_id, c.code, c.confidence, evidence_json(c.evidence)) for c in codings]
    assert any(c.evidence for c in codings)
    coded = [p.quotes[i].quote_id for p in parts for i in p.coded]
    assert coded == list(dict.fromkeys(c.quote_id for c in codings))


# -- topic features -------------------------------------------------------------------------

WELLBEING_WORDS = {w for w in VOCABULARY["wellbeing"][0] + VOCABULARY["wellbeing"][1] for w in w.split()}


def _wordless(data: list[tuple[str, set[str]]]) -> list[tuple[str, set[str]]]:
    """The comments with every wellbeing word taken out: only a topic can tell that code now."""
    return [(" ".join(w for w in text.split() if w not in WELLBEING_WORDS), codes) for text, codes in data]


def _topics(data: list[tuple[str, set[str]]], prefix: str, source: str = "topics run 1") -> model_module.TopicFeatures:
    """Two topics: 0 reaches its threshold exactly in the wellbeing comments, 1 in every third comment."""
    ids = [f"{prefix}{i}" for i in range(len(data))]
    shares = np.zeros((len(data), 2))
    shares[:, 0] = [0.6 if "wellbeing" in codes else 0.1 for _, codes in data]
    shares[::3, 1] = 0.4
    return model_module.TopicFeatures.from_matrix(source, ["topic 0: morale, stress", "topic 1: office"], ids, shares, 0.3)


def test_topic_features_let_the_model_find_a_code_only_topics_show(split):
    train, test = (_wordless(part) for part in split)
    topics = _topics(train + test, "q")
    quotes, later = as_quotes(train), as_quotes(test)
    later = [q.model_copy(update={"quote_id": f"q{len(train) + i}"}) for i, q in enumerate(later)]
    truth = {q.quote_id for q, (_, codes) in zip(later, test) if "wellbeing" in codes}

    # Words alone, read as words: character n-grams find part of what the topics show.
    with_topics = ModelCoder(char_ngrams=False).fit(BOOK, quotes, labels=as_labels(train), topics=topics)
    without = ModelCoder(char_ngrams=False).fit(BOOK, quotes, labels=as_labels(train))
    assert with_topics.topic_names_ == ["topic 0: morale, stress", "topic 1: office"]
    assert with_topics.feature_names_[-2:] == with_topics.topic_names_ and without.topic_names_ == []
    found = {c.quote_id: c for c in with_topics.predict(later, topics=topics) if c.code == "wellbeing"}
    missed = {c.quote_id for c in without.predict(later) if c.code == "wellbeing"}
    # Without the topics the words say nothing of wellbeing: the learned threshold then buys F1
    # by suggesting it broadly (recall at the cost of precision), far below what topics give.
    assert f1(truth, set(found)) > 0.9 and f1(truth, missed) < 0.7
    # The topic is the evidence, with its weight in the decision.
    assert all(any(e.term == "topic 0: morale, stress" and e.weight > 0 for e in c.evidence) for c in found.values())
    # Left out on request, the topics add nothing.
    off = ModelCoder(use_topics=False, char_ngrams=False).fit(BOOK, quotes, labels=as_labels(train), topics=topics)
    assert off.topic_names_ == [] and off.get_params()["use_topics"] is False
    assert [c.model_dump() for c in off.predict(later, topics=topics)] == [c.model_dump() for c in without.predict(later)]


def test_a_model_trained_with_topics_refuses_to_code_without_the_same_topics(split):
    train, test = split
    topics = _topics(train, "q")
    model = ModelCoder().fit(BOOK, as_quotes(train), labels=as_labels(train), topics=topics)
    with pytest.raises(CoderError, match=r"trained with topic features \(topics run 1\) and needs"):
        model.predict(as_quotes(test, "t"))
    with pytest.raises(CoderError, match="trained with the topics of topics run 1 and was given those of topics run 2"):
        model.predict(as_quotes(test, "t"), topics=_topics(train, "q", source="topics run 2"))
    bad = model_module.TopicFeatures("topics run 1", tuple(topics.names), lambda ids: {i: [(7, 0.5)] for i in ids})
    with pytest.raises(CoderError, match="share in topic 7, but topics run 1 has topics 0 to 1"):
        model.predict(as_quotes(test, "t"), topics=bad)


def test_topic_features_score_the_same_in_workers_and_as_store_rows(split, monkeypatch):
    from probation_themes.models import evidence_json

    train, test = split
    data = train + test * 2
    topics = _topics(data, "q")
    quotes = as_quotes(data)
    monkeypatch.setattr(model_workers, "PARALLEL_MIN_QUOTES", 20)
    here = ModelCoder(n_jobs=1).fit(BOOK, quotes[:200], labels=as_labels(train), topics=topics)
    there = ModelCoder(n_jobs=2, batch_size=30).fit(BOOK, quotes[:200], labels=as_labels(train), topics=topics)
    codings = here.predict(quotes, topics=topics)
    assert any(e.term.startswith("topic ") for c in codings for e in c.evidence)
    rows = [row for part in there.iter_rows([quotes[:150], quotes[150:]], topics=topics) for row in part.rows]
    assert rows == [(c.quote_id, c.code, c.confidence, evidence_json(c.evidence)) for c in codings]
