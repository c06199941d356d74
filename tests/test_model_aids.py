"""The learned coder with few labels: weak labels from the rules and an LSA representation of the uncoded text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_model import (
    BOOK,
    CODES,
    as_labels,
    as_quotes,
    generate,
    project_coded_by_gold,
)
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.coding import model as model_module
from probation_themes.coding.model import ModelCoder
from probation_themes.coding.model_aids import WEAK_FADE, weak_weight
from probation_themes.store import Project

runner = CliRunner()


def _talk(n: int, seed: int) -> list[tuple[str, set[str]]]:
    """Comments where a code's words come in pairs: the rules know one word of each code, people use all."""
    return generate(n, seed, noise=0, pairs=True)


def _macro_f1(model: ModelCoder, test, truth) -> float:
    got = {(c.quote_id, c.code) for c in model.predict(test)}
    scores = []
    for code in CODES:
        want = {(q.quote_id, code) for q, (_, codes) in zip(test, truth) if code in codes}
        have = {p for p in got if p[1] == code}
        tp = len(want & have)
        scores.append(2 * tp / (len(want) + len(have)) if want or have else 1.0)
    return float(np.mean(scores))


def _few_labels(seed: int = 1):
    labelled, uncoded, held = _talk(24, seed), _talk(1500, 2), _talk(600, 3)
    return as_quotes(labelled, "l"), as_labels(labelled, "l"), as_quotes(uncoded, "u"), as_quotes(held, "h"), held


def test_fit_with_uncoded_quotes_uses_the_representation_and_weak_labels():
    quotes, labels, uncoded, _, _ = _few_labels(11)
    model = ModelCoder(n_jobs=1, char_ngrams=False, representation="lsa").fit(
        BOOK, quotes, labels=labels, unlabelled=uncoded)
    aids = model.aids_
    assert aids.uncoded == 1500 and aids.weak_quotes == 1500 and aids.weak_tried == CODES
    # Each code keeps its weak labels only where they helped on the held-out human labels.
    assert aids.weak_codes and set(aids.weak_codes) <= set(CODES)
    assert aids.representation == "lsa" and 2 <= aids.representation_dims <= 100
    assert aids.representation_texts == 1524 and aids.weak_weight == weak_weight(0.2, 24) == 0.2
    assert model.n_dense_ == aids.representation_dims
    assert (f"weak labels from the rules on 1,500 uncoded quotes (weight 0.2; kept for {len(aids.weak_codes)} "
            f"of 3 codes), LSA {aids.representation_dims} dimensions from 1,524 texts") == aids.describe()
    # Without uncoded quotes there are no weak labels, and 24 texts are too few for a representation.
    plain = ModelCoder(n_jobs=1, char_ngrams=False, representation="lsa").fit(BOOK, quotes, labels=labels)
    assert plain.aids_.weak_quotes == 0 and plain.aids_.representation_dims == 0
    assert plain.aids_.notes == ["no LSA representation: 24 texts are too few or too poor in words",
                                 "no weak labels: no uncoded quotes were given"]
    off = ModelCoder(n_jobs=1, char_ngrams=False, weak_labels=None).fit(BOOK, quotes, labels=labels, unlabelled=uncoded)
    assert off.aids_.describe() == "" and off.n_dense_ == 0 and off.aids_.notes == []
    # The representation's dimensions are features, never evidence.
    for coding in model.predict(uncoded[:200]):
        assert not any(e.term.startswith("lsa:") for e in coding.evidence)


def test_with_few_labels_the_aids_beat_no_aids_on_held_out_quotes():
    gains = []
    for seed in (1, 11, 21):
        quotes, labels, uncoded, held, truth = _few_labels(seed)
        off = ModelCoder(n_jobs=1, weak_labels=None).fit(BOOK, quotes, labels=labels)
        on = ModelCoder(n_jobs=1, representation="lsa").fit(BOOK, quotes, labels=labels, unlabelled=uncoded)
        gains.append(_macro_f1(on, held, truth) - _macro_f1(off, held, truth))
    assert np.mean(gains) >= 0.03, gains


def test_thresholds_and_calibration_come_from_human_labels_only(monkeypatch):
    quotes, labels, uncoded, _, _ = _few_labels(11)
    seen = []
    real = model_module.best_threshold
    monkeypatch.setattr(model_module, "best_threshold", lambda p, y, m=None: seen.append(y.copy()) or real(p, y, m))
    model = ModelCoder(n_jobs=1, char_ngrams=False).fit(BOOK, quotes, labels=labels, unlabelled=uncoded)
    assert model.aids_.weak_codes
    # Every threshold is read from out-of-fold probabilities of the 24 human-labelled quotes.
    assert [list(y) for y in seen] == [[labels[q.quote_id][c] for q in quotes] for c in model.trained_codes_]
    for code in model.trained_codes_:
        # The calibration folds' held-out parts are the human labels, each once, and nothing else.
        assert model.calibrated_on_[code] == sum(model.label_counts_[code]) == 24


def test_weak_labels_fade_as_human_labels_grow():
    assert weak_weight(0.2, 10) == weak_weight(0.2, WEAK_FADE) == 0.2
    assert weak_weight(0.2, 10 * WEAK_FADE) == 0.02


def test_same_seed_same_suggestions_with_the_aids():
    quotes, labels, uncoded, held, _ = _few_labels()
    a = ModelCoder(n_jobs=1, random_state=3, representation="lsa").fit(
        BOOK, quotes, labels=labels, unlabelled=uncoded).predict_proba(held)
    b = ModelCoder(n_jobs=1, random_state=3, representation="lsa").fit(
        BOOK, quotes, labels=labels, unlabelled=uncoded).predict_proba(held)
    np.testing.assert_array_equal(a, b)


def test_code_records_and_prints_what_the_model_learned_from(tmp_path: Path):
    db, book = project_coded_by_gold(tmp_path, _talk(400, 5), 40)
    args = ["code", "-c", str(book), "--method", "model", "--train-coder", "gold", "-p", str(db)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    with Project.open(tmp_path / "p.db") as project:
        learned = project.runs()[-1].parameters["learned_from"]
    kept = len(learned["weak_codes"])
    assert kept, learned
    assert ("The model learned from 40 quotes labelled by review decisions and gold's codings; also weak labels "
            f"from the rules on 360 uncoded quotes (weight 0.2; kept for {kept} of 3 codes).") in text
    assert learned["weak_quotes"] == 360 and learned["weak_weight"] == 0.2 and learned["representation"] == "none"
    assert learned["weak_tried"] == CODES and set(learned["weak_codes"]) <= set(CODES)
    report = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert report["aids"].startswith("weak labels from the rules on 360 uncoded quotes")



def test_new_uncoded_quotes_the_weak_labels_would_learn_from_mean_coding_every_quote_again(tmp_path: Path):
    # With weak labels kept, the model learned from the uncoded quotes too: when more arrive, a
    # model fitted now learns from others, so earlier suggestions are not kept as if unchanged.
    from probation_themes.ingest import IngestOptions
    from probation_themes.workflows.ingest import ingest_files

    db, book = project_coded_by_gold(tmp_path, _talk(400, 5), 40)
    args = ["code", "-c", str(book), "--method", "model", "--train-coder", "gold", "-p", str(db), "--json"]
    first = json.loads(runner.invoke(app, args).stdout)
    again = json.loads(runner.invoke(app, args).stdout)
    assert first["coded_quotes"] == 400 and again["kept_from_run"] is not None and again["coded_quotes"] == 0
    more = tmp_path / "more.csv"
    more.write_text("id,answer\n" + "".join(f"n{i},{t}\n" for i, (t, _) in enumerate(_talk(30, 9))), encoding="utf-8")
    with Project.open(db) as project:
        learned = project.runs()[-1].parameters["learned_from"]
        ingest_files(project, [more], IngestOptions(text_cols=["answer"], id_col="id", split="response"))
    assert learned["weak_codes"], learned
    later = json.loads(runner.invoke(app, args).stdout)
    assert later["kept_from_run"] is None and later["coded_quotes"] == 430

def test_average_precision_is_scikit_learns():
    from sklearn.metrics import average_precision_score as theirs

    from probation_themes.coding.model_aids import average_precision_score as ours

    rng = np.random.default_rng(0)
    for _ in range(50):
        y = rng.integers(0, 2, 40)
        y[0] = 1
        p = np.round(rng.random(40), 1)  # ties too
        assert abs(ours(y, p) - theirs(y, p)) < 1e-12


def test_evaluate_turns_every_aid_off_in_the_aids_off_curve(tmp_path: Path, monkeypatch):
    from probation_themes.workflows import evaluate as evaluate_module
    from probation_themes.workflows.evaluate import GoldSet, evaluate

    seen = []
    real = evaluate_module.ModelCoder

    class Recording(real):
        def fit(self, codebook, quotes=None, *, labels=None, topics=None, unlabelled=None):
            seen.append((self.representation, self.weak_labels, unlabelled is not None))
            return super().fit(codebook, quotes, labels=labels, topics=topics, unlabelled=unlabelled)

    monkeypatch.setattr(evaluate_module, "ModelCoder", Recording)
    data = _talk(120, 9)
    gold = GoldSet("talk", [t for t, _ in data], CODES,
                   np.array([[int(c in codes) for c in CODES] for _, codes in data], dtype=np.int8), "codes")
    test = np.arange(120) >= 90
    result = evaluate(gold, BOOK, test=test, sizes=[60], topics=False, baseline=False,
                      model_options={"representation": "lsa"})
    assert seen == [("lsa", 0.2, True), ("none", None, False)]
    assert result.aids == "weak labels from the rules and the uncoded texts, with a LSA representation of the texts"
