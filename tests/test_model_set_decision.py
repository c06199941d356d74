"""The model's default decision: each quote's likeliest set of codes (expected F1), and the threshold one."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from probation_themes.coding import model as model_module
from probation_themes.coding.model import ModelCoder
from probation_themes.coding.model_decide import SET_REASON, likeliest_set
from probation_themes.errors import CoderError
from probation_themes.models import Quote
from probation_themes.store import Project
from cli_helpers import invoke
from probation_themes.codebook import load_codebook
from probation_themes.workflows.evaluate import evaluate, read_gold, split_mask
from test_evaluate import generate as generate_gold, write_folder
from test_model import BOOK, as_labels, as_quotes, generate, project_coded_by_gold


def _exact_expected_f1(p: np.ndarray, chosen: set[int]) -> float:
    """E[F1] of suggesting ``chosen`` when each code applies independently with probability ``p``."""
    total = 0.0
    for truth in itertools.product((0, 1), repeat=len(p)):
        weight = float(np.prod([q if t else 1 - q for q, t in zip(p, truth)]))
        gold = {j for j, t in enumerate(truth) if t}
        both = len(gold) + len(chosen)
        total += weight * (1.0 if both == 0 else 2 * len(gold & chosen) / both)
    return total


def _chosen(how_row: np.ndarray) -> set[int]:
    return {int(j) for j in np.flatnonzero(how_row == SET_REASON)}


def test_a_clear_code_comes_alone_and_doubtful_ones_come_together():
    proba = np.array([
        [0.95, 0.10, 0.05, 0.02],  # one clear code
        [0.45, 0.40, 0.35, 0.02],  # three doubtful ones
        [0.80, 0.70, 0.05, 0.01],  # two likely codes
    ])
    how, fit = likeliest_set(proba)
    assert [_chosen(r) for r in how] == [{0}, {0, 1, 2}, {0, 1}]
    assert set(np.unique(how)) <= {-1, SET_REASON}
    assert np.all((fit > 0) & (fit <= 1))


def test_the_set_chosen_is_close_to_the_best_by_exact_expected_f1():
    # Against brute force over every set, on random probabilities: the chosen set's exact
    # expected F1 is within a few points of the best set's (the rule is an approximation).
    rng = np.random.default_rng(3)
    gaps = []
    for _ in range(60):
        p = rng.beta(0.5, 1.5, size=5)
        how, _ = likeliest_set(p[None, :])
        best = max(_exact_expected_f1(p, set(s)) for k in range(1, 6) for s in itertools.combinations(range(5), k))
        gaps.append(best - _exact_expected_f1(p, _chosen(how[0])))
    assert max(gaps) < 0.05 and np.mean(gaps) < 0.01, (max(gaps), np.mean(gaps))


def test_only_codes_reaching_their_threshold_may_be_in_a_set():
    proba = np.array([[0.45, 0.40, 0.35], [0.05, 0.04, 0.03], [0.9, 0.2, 0.05]])
    limits = np.array([0.3, 0.42, 0.1])
    how, fit = likeliest_set(proba, limits)
    # Row 2: c1 reaches its threshold (0.2 >= 0.42? no) so only c0 could; row 1: no candidate.
    assert [_chosen(r) for r in how] == [{0, 2}, set(), {0}]
    assert fit[1] == 0 and fit[0] > 0
    # Beside a clear code, a doubtful one over its own low threshold stays out.
    how, _ = likeliest_set(np.array([[0.95, 0.15]]), np.array([0.5, 0.1]))
    assert _chosen(how[0]) == {0}
    assert likeliest_set(np.zeros((0, 3)))[0].shape == (0, 3)


@pytest.fixture(scope="module")
def trained():
    data = generate(400, seed=1)
    train, test = data[:300], data[300:]
    quotes = as_quotes(train, "q")
    models = {d: ModelCoder(n_jobs=1, decision=d).fit(BOOK, quotes, labels=as_labels(train, "q"))
              for d in ("set", "threshold")}
    return models, as_quotes(test, "t")


def test_the_threshold_decision_suggests_each_code_that_reaches_its_threshold(trained):
    models, test = trained
    model = models["threshold"]
    codings = model.predict(test)
    assert codings
    for c in codings:
        last = c.evidence[-1]
        if last.term != model_module.FALLBACK_TERM:
            assert last.term == f"threshold {model.thresholds_[c.code]:.2f}"
            assert c.confidence >= model.thresholds_[c.code] - 1e-4
        assert not any(e.term == model_module.SET_TERM for e in c.evidence)


def test_the_set_decision_names_the_set_and_its_expected_f1(trained):
    models, test = trained
    model = models["set"]
    proba = model.predict_proba(test)
    codings = model.predict(test)
    got = {}
    for c in codings:
        got.setdefault(c.quote_id, set()).add(c.code)
        if c.evidence[-1].term == model_module.FALLBACK_TERM:
            continue
        assert c.evidence[-1].term == model_module.SET_TERM
        assert c.evidence[-2].term == f"threshold {model.thresholds_[c.code]:.2f}"
        assert c.confidence >= model.thresholds_[c.code] - 1e-4
    limits = np.array([model.thresholds_[c] for c in model.trained_codes_])
    how, fit = likeliest_set(proba, limits)
    for r, q in enumerate(test):
        want = {model.trained_codes_[j] for j in _chosen(how[r])}
        if not want and model.at_least_one_:  # no code reached its threshold: the most likely code
            assert len(got[q.quote_id]) == 1
            continue
        assert got.get(q.quote_id, set()) == want
        for c in codings:
            if c.quote_id == q.quote_id and c.evidence[-1].term == model_module.SET_TERM:
                assert c.evidence[-1].weight == pytest.approx(round(fit[r], 2))


def test_the_set_only_ever_drops_codes_the_thresholds_would_suggest():
    data = generate(400, seed=1)
    quotes, test = as_quotes(data[:300], "q"), as_quotes(data[300:], "t")
    labels = as_labels(data[:300], "q")
    each = {(c.quote_id, c.code) for c in ModelCoder(n_jobs=1, decision="threshold").fit(BOOK, quotes, labels=labels).predict(test)}
    sets = {(c.quote_id, c.code) for c in ModelCoder(n_jobs=1).fit(BOOK, quotes, labels=labels).predict(test)
            if c.evidence[-1].term == model_module.SET_TERM}
    assert sets and sets <= each


def test_a_precision_asked_for_holds_in_the_set_decision_too():
    data = generate(400, seed=1)
    quotes = as_quotes(data[:300], "q")
    model = ModelCoder(n_jobs=1, min_precision=0.9).fit(BOOK, quotes, labels=as_labels(data[:300], "q"))
    for c in model.predict(as_quotes(data[300:], "t")):
        if c.evidence[-1].term == model_module.SET_TERM:
            assert c.confidence >= model.thresholds_[c.code] - 1e-4


def test_an_unknown_decision_is_refused():
    with pytest.raises(CoderError, match="decision='best'.*'set'.*'threshold'"):
        ModelCoder(decision="best").fit(BOOK, [Quote(quote_id="a", response_id="a", text="x y", source="s", row=1)],
                                        labels={"a": {"ict": 1}})


def test_code_and_evaluate_take_the_decision_and_the_run_records_it(tmp_path):
    db, book = project_coded_by_gold(tmp_path, generate(240, seed=3), 160)
    for decision in ("threshold", "set"):
        result = invoke("code", "-c", book, "--method", "model", "--train-coder", "gold",
                        "--decision", decision, "-p", db, "--json")
        assert result.exit_code == 0, result.output
        with Project.open(db) as project:
            run = project.runs()[-1]
            assert run.parameters["decision"] == decision
    # A changed decision is a changed model: the second run coded every quote again.
    assert json.loads(result.stdout)["codings"] > 0 and json.loads(result.stdout)["kept_from_run"] is None
    said = {}
    for decision in ("threshold", "set"):
        text = invoke("code", "-c", book, "--method", "model", "--train-coder", "gold", "--decision", decision, "-p", db)
        said[decision] = " ".join(text.output.split())
    assert "each quote keeps the likeliest set of the codes that reach them" in said["set"]
    assert "Learned: 3 codes (thresholds" in said["threshold"] and "likeliest set" not in said["threshold"]
    refused = invoke("code", "-c", book, "--method", "rules", "--decision", "set", "-p", db)
    assert refused.exit_code == 2 and "--decision only applies" in refused.output
    bad = invoke("code", "-c", book, "--method", "model", "--decision", "best", "-p", db)
    assert bad.exit_code == 2 and "best" in bad.output


def test_evaluate_scores_the_decision_asked_for(tmp_path):
    folder = write_folder(tmp_path / "set", generate_gold(160, seed=4))
    gold = read_gold(folder, load_codebook(folder / "codebook.yaml"))
    figures = {}
    for decision in ("threshold", "set"):
        result = invoke("evaluate", "--gold", folder, "--test-pattern", "^te", "--no-topics", "--no-baseline",
                        "--decision", decision, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["decision"] == decision
        figures[decision] = report["points"][-1]["model"]["sample"]["mean"]
        direct = evaluate(gold, load_codebook(folder / "codebook.yaml"), test=split_mask(gold, pattern="^te"),
                          sizes=["100%"], topics=False, baseline=False, model_options={"decision": decision})
        assert figures[decision] == pytest.approx(direct.points[-1].model.sample.mean)
    assert all(0.5 < f <= 1 for f in figures.values()), figures
    table = invoke("evaluate", "--gold", folder, "--test-pattern", "^te", "--no-topics", "--no-baseline")
    assert "The model's decision: set (each text keeps the likeliest set" in " ".join(table.output.split())
