"""The learned coder's decisions per code, learned thresholds, and respondent-level labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.coding.model import ModelCoder
from probation_themes.coding.model_decide import best_threshold, decide
from probation_themes.store import Project
from probation_themes.workflows.train import RESPONSE_UNIT, training_labels
from test_model import BOOK, CODEBOOK_YAML, CODES, _import, _project_with, as_labels, as_quotes, generate

runner = CliRunner()


def test_each_code_is_decided_from_its_counts():
    counts = {"a": (50, 50), "b": (97, 3), "c": (3, 97), "d": (0, 0), "e": (40, 3)}
    # e is on 40 of the 100 labelled quotes: too seldom absent to train, too rare to be everywhere.
    assert decide(counts, 10, 100) == {"a": "model", "b": "always", "c": "never", "d": "rules", "e": "never"}


def test_the_threshold_maximises_f1_or_reaches_the_precision_asked_for():
    proba = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 0, 1, 1, 0, 0, 0])
    # Keeping the top five catches every positive with one mistake: F1 8/9, the best.
    assert best_threshold(proba, y) == pytest.approx(0.35)
    # Precision 1 is only reached by the top two.
    assert best_threshold(proba, y, min_precision=0.99) == pytest.approx(0.75)
    assert best_threshold(proba, np.zeros(8, dtype=int)) == 1.0


def _skewed(n: int = 200) -> tuple[list, dict]:
    """workload on all but 2 quotes, wellbeing learnable, ict never labelled."""
    data = generate(n, seed=5)
    labels = as_labels(data)
    for i, q in enumerate(labels):
        labels[q]["workload"] = int(i >= 2)
        del labels[q]["ict"]
    return data, labels


def test_codes_the_model_cannot_train_are_decided_visibly():
    data, labels = _skewed()
    coder = ModelCoder().fit(BOOK, as_quotes(data), labels=labels)
    assert coder.decisions_ == {"workload": "always", "ict": "rules", "wellbeing": "model"}
    assert set(coder.thresholds_) == {"workload", "wellbeing"}
    later = as_quotes(generate(30, seed=6), "t")
    codings = coder.predict(later)
    everywhere = [c for c in codings if c.code == "workload"]
    assert len(everywhere) == 30 and all(c.confidence == 0.99 for c in everywhere)
    assert everywhere[0].evidence[-1].term == "suggested everywhere: on 99% of coded quotes"
    assert not [c for c in codings if c.code == "ict"]


def test_learned_thresholds_are_deterministic_and_switchable():
    data = generate(200, seed=1)
    one = ModelCoder().fit(BOOK, as_quotes(data), labels=as_labels(data))
    two = ModelCoder().fit(BOOK, as_quotes(data), labels=as_labels(data))
    assert one.thresholds_ == two.thresholds_
    strict = ModelCoder(min_precision=0.95).fit(BOOK, as_quotes(data), labels=as_labels(data))
    fixed = ModelCoder(thresholds="fixed").fit(BOOK, as_quotes(data), labels=as_labels(data))
    assert fixed.thresholds_ == {c: 0.5 for c in CODES}
    assert strict.get_params()["min_precision"] == 0.95 and set(strict.thresholds_) == set(CODES)


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2"])
def test_min_precision_outside_zero_one_is_a_usage_error(value):
    result = runner.invoke(app, ["code", "--method", "model", "--min-precision", value, "-p", "nowhere.db"])
    assert result.exit_code == 2
    assert "between 0 and 1" in result.output


def test_code_says_how_each_group_of_codes_was_decided(tmp_path: Path):
    data, labels = _skewed(160)
    project = _project_with(tmp_path, [(f"c{i:03d}", text) for i, (text, _) in enumerate(data)])
    ids = [q.quote_id for q in project.quotes()]
    positives = [(ids[i], c) for i, q in enumerate(labels) for c, v in labels[q].items() if v]
    _import(project, "gold", "quote", ids, positives)
    project.close()
    book = tmp_path / "book.yaml"
    book.write_text(CODEBOOK_YAML, encoding="utf-8")
    result = runner.invoke(app, ["code", "-c", str(book), "--method", "model", "--train-coder", "gold",
                                 "-p", str(tmp_path / "p.db")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Learned: 1 code (thresholds" in text
    assert "Suggested everywhere (on 99% of coded quotes): workload." in text
    # ict: the coder saw every quote and applied it to none.
    assert "Too rare among coded quotes to learn, suggested nowhere: ict." in text


def test_respondent_level_codings_of_several_quotes_are_learned_as_one_text(tmp_path: Path):
    data = generate(120, seed=7)
    # Each respondent wrote two paragraphs: their comment, and a line of filler.
    rows = [(f"r{i:03d}", f"{text}\n\nthe same as before") for i, (text, _) in enumerate(data)]
    project = _project_with(tmp_path, rows, split="paragraph")
    responses = sorted({q.response_id for q in project.quotes()})
    _import(project, "gold", "response", responses, [(f"r{i:03d}", c) for i, (_, cs) in enumerate(data) for c in cs])
    labels = training_labels(project, BOOK, coder="gold", responses=True)
    assert len(labels) == 120 and all(k.startswith(RESPONSE_UNIT) for k in labels)
    assert labels[RESPONSE_UNIT + "r000"] == {c: int(c in data[0][1]) for c in CODES}
    # Without it, the codes applied are not known per quote, and only the absences are kept.
    narrowed = training_labels(project, BOOK, coder="gold")
    assert all(set(v.values()) <= {0} for v in narrowed.values())
    project.close()
    book = tmp_path / "book.yaml"
    book.write_text(CODEBOOK_YAML, encoding="utf-8")
    args = ["code", "-c", str(book), "--method", "model", "--train-coder", "gold", "-p", str(tmp_path / "p.db")]
    report = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert report["joined_responses"] == 120 and report["labelled_quotes"] == 120
    assert set(report["trained"]) == set(CODES)
    shown = " ".join(runner.invoke(app, [*args, "--full"]).output.split())
    assert "120 respondents with several quotes were coded by gold as a whole" in shown


def test_single_choice_groups_keep_the_most_probable_code_and_name_the_losers(monkeypatch):
    from types import SimpleNamespace

    from probation_themes.codebook import Codebook

    data = generate(200, seed=1)
    later = as_quotes(generate(80, seed=9), "t")
    free = ModelCoder().fit(BOOK, as_quotes(data), labels=as_labels(data))
    group = SimpleNamespace(name="one", codes=("workload", "ict"), exactly_one=True)
    monkeypatch.setattr(Codebook, "single_choice_groups", lambda self: [group], raising=False)
    grouped = ModelCoder().fit(BOOK, as_quotes(data), labels=as_labels(data))
    assert grouped.groups_ == [("one", ("workload", "ict"), True)]
    proba = dict(zip((q.quote_id for q in later), grouped.predict_proba(later)))
    col = {c: j for j, c in enumerate(grouped.trained_codes_)}
    both = {q for q in proba if sum(1 for c in free.predict([next(x for x in later if x.quote_id == q)])
                                    if c.code in group.codes) > 1}
    codings = grouped.predict(later)
    for quote in later:
        mine = [c for c in codings if c.quote_id == quote.quote_id and c.code in group.codes]
        assert len(mine) == 1  # exactly one of the group, on every quote
        winner = mine[0].code
        assert proba[quote.quote_id][col[winner]] == max(proba[quote.quote_id][col[c]] for c in group.codes)
        if quote.quote_id in both:
            loser = next(c for c in group.codes if c != winner)
            assert any(e.term == f"chosen over {loser}" for e in mine[0].evidence)
    # Codes outside the group are untouched.
    assert [c.code for c in codings if c.code == "wellbeing"] == [c.code for c in free.predict(later) if c.code == "wellbeing"]
