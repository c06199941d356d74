"""evaluate: hand-checked figures, the gold layouts it reads, test splits, the baseline, the command line."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import Codebook
from probation_themes.coding import model as model_module
from probation_themes.coding.baselines import TfidfOvrBaseline
from probation_themes.errors import IngestError
from probation_themes.workflows import evaluate as evaluate_module
from probation_themes.workflows.evaluate import evaluate, read_gold, read_ids, resolve_size, split_mask
from probation_themes.workflows.evaluate_metrics import (
    NO_CHOICE,
    choices,
    fold_result,
    metrics,
    sample_f1,
    single_label,
)

runner = CliRunner()

WORDS = {"workload": ["caseload", "overtime", "backlog"], "ict": ["laptop", "printer", "login"],
         "wellbeing": ["stress", "morale", "burnout"]}
CODES = list(WORDS)
FILLER = "the team said our manager and colleagues felt things were the same in the office".split()
BOOK = Codebook.model_validate({
    "name": "t", "version": "1.0.0",
    "codes": [{"id": c, "label": c, "definition": "d", "rules": {"any": WORDS[c][:1]}} for c in CODES],
})
BOOK_YAML = "name: t\nversion: 1.0.0\ncodes:\n" + "".join(
    f"  - id: {c}\n    label: {c}\n    definition: d\n    rules: {{any: [{WORDS[c][0]}]}}\n" for c in CODES
)


def generate(n: int, seed: int = 0, single: bool = False) -> list[tuple[str, set[str]]]:
    rnd = random.Random(seed)
    data = []
    for _ in range(n):
        codes = {rnd.choice(CODES)} if single else set(rnd.sample(CODES, rnd.choice([1, 1, 2])))
        words = rnd.sample(FILLER, 6)
        for c in sorted(codes):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(WORDS[c]))
        data.append((" ".join(words), codes))
    return data


def write_folder(folder: Path, data: list[tuple[str, set[str]]], test_every: int = 4) -> Path:
    """An ANES-like gold folder: texts.csv, train_long.csv (long form), test_gold.csv (joined by |)."""
    folder.mkdir()
    ids = [f"te{i}" if i % test_every == 0 else f"tr{i}" for i in range(len(data))]
    with (folder / "texts.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "text"], *([i, t] for i, (t, _) in zip(ids, data))])
    with (folder / "train_long.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["response_id", "code"], *(
            [i, c] for i, (_, codes) in zip(ids, data) if i.startswith("tr") for c in sorted(codes))])
    with (folder / "test_gold.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "gold"], *(
            [i, "|".join(sorted(codes))] for i, (_, codes) in zip(ids, data) if i.startswith("te"))])
    (folder / "codebook.yaml").write_text(BOOK_YAML, encoding="utf-8")
    return folder


# -- figures, by hand -----------------------------------------------------------------------


def test_sample_f1_is_the_mean_of_each_answers_f1():
    truth = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1]])
    predicted = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]])
    # answers: 2*1/(2+1) = 2/3; 1; both empty = 1; 0
    assert sample_f1(truth, predicted) == pytest.approx((2 / 3 + 1 + 1 + 0) / 4)


def test_micro_macro_precision_and_recall_by_hand():
    truth = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    predicted = np.array([[1, 1], [0, 1], [0, 0], [1, 0]])
    m = metrics([fold_result(truth, predicted)], ["a", "b"])
    # a: tp 1, fp 1, fn 1 -> F1 0.5; b: tp 1, fp 1, fn 1 -> 0.5; pooled: tp 2, fp 2, fn 2 -> 0.5
    assert m.micro.mean == m.macro.mean == 0.5 and m.micro.folds == 1
    assert m.precision["a"].mean == 0.5 and m.recall["b"].mean == 0.5
    # answers: 2/3, 2/3, 0, 0
    assert m.sample.mean == pytest.approx(round(4 / 3 / 4, 4))
    two = metrics([fold_result(truth, predicted), fold_result(truth, truth)], ["a", "b"])
    assert two.micro.mean == 0.75 and two.micro.sd == pytest.approx(round(np.std([0.5, 1.0], ddof=1), 4))


def test_single_choice_figures_by_hand():
    assert choices(np.array([[0, 1], [1, 1], [0, 0]]), [0, 1], ["x", "y"]) == ["y", "x", NO_CHOICE]
    scores = np.array([[0.1, 0.9], [0.2, 0.7], [0.3, 0.1]])
    assert choices(np.array([[0, 1], [1, 1], [0, 0]]), [0, 1], ["x", "y"], scores) == ["y", "y", NO_CHOICE]
    accuracy, macro = single_label(["x", "x", "y", "z"], ["x", "y", "y", "y"])
    # x: tp 1 fn 1 -> 2/3; y: tp 1 fp 2 -> 0.5; z: fn 1 -> 0
    assert accuracy == 0.5 and macro == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    truth = np.array([[1, 0], [0, 1]])
    nothing = np.zeros((2, 2), dtype=bool)
    group = [("g", [0, 1], ["x", "y"], True)]
    # exactly one: an empty prediction is held to the higher score (x, then y): both right
    assert fold_result(truth, nothing, group, np.array([[0.4, 0.3], [0.1, 0.2]])).groups["g"] == (1.0, 1.0)
    assert fold_result(truth, nothing, group).groups["g"] == (0.0, 0.0)


def test_share_sizes_resolve_against_the_pool():
    assert [resolve_size(s, 200) for s in ("2%", "5%", "10%", "25%", 30)] == [4, 10, 20, 50, 30]
    assert resolve_size("0.1%", 200) == 1


# -- reading ----------------------------------------------------------------------------------


def test_a_gold_folder_reads_long_and_joined_codes_files(tmp_path: Path):
    data = generate(12, seed=1)
    gold = read_gold(write_folder(tmp_path / "set", data), BOOK)
    assert gold.form == "folder" and gold.codes == CODES and len(gold.texts) == 12
    assert gold.ids[:2] == ["te0", "tr1"] and gold.texts[1] == data[1][0]
    expected = np.array([[int(c in codes) for c in CODES] for _, codes in data])
    assert (gold.labels == expected).all()
    mask = split_mask(gold, pattern="^te")
    assert mask.sum() == 3 and [i for i, m in zip(gold.ids, mask) if m] == ["te0", "te4", "te8"]
    ids = tmp_path / "ids.txt"
    ids.write_text("te0\ntr1\n", encoding="utf-8")
    assert split_mask(gold, ids=read_ids(ids)).sum() == 2


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (("train_long.csv", "response_id,code\ntr1,pay\n"), "names 'pay' in column 'code'"),
        (("train_long.csv", "response_id,code\ntr99,ict\n"), "names the text 'tr99'"),
        (("texts.csv", "id,text\ntr1,a\ntr1,b\n"), "repeats the id 'tr1'"),
        (("texts.csv", "ident,text\n1,a\n"), "has no column"),
    ],
)
def test_bad_gold_folders_are_refused_with_file_row_and_column(tmp_path: Path, change, needle):
    folder = write_folder(tmp_path / "set", generate(8))
    (folder / change[0]).write_text(change[1], encoding="utf-8")
    with pytest.raises(IngestError, match=needle):
        read_gold(folder, BOOK)


def test_a_test_split_must_leave_texts_on_both_sides(tmp_path: Path):
    gold = read_gold(write_folder(tmp_path / "set", generate(8)), BOOK)
    with pytest.raises(IngestError, match="takes no gold text"):
        split_mask(gold, pattern="^zz")
    with pytest.raises(IngestError, match="not coded texts of the gold"):
        split_mask(gold, ids=["te0", "nope"], source="ids.txt")


# -- evaluate ---------------------------------------------------------------------------------


def test_the_baseline_on_a_split_is_the_plain_classifier_scored_by_hand(tmp_path: Path):
    data = generate(160, seed=2)
    gold = read_gold(write_folder(tmp_path / "set", data), BOOK)
    mask = split_mask(gold, pattern="^te")
    result = evaluate(gold, BOOK, test=mask, sizes=["100%"], topics=False)
    assert result.mode == "split" and result.folds == 1 and result.test_examples == 40
    point = result.points[0]
    assert point.size == 120 and point.label == "100%"
    train, test = np.flatnonzero(~mask), np.flatnonzero(mask)
    plain = TfidfOvrBaseline().fit([gold.texts[i] for i in train], gold.labels[train])
    expected = sample_f1(gold.labels[test], plain.predict([gold.texts[i] for i in test]))
    assert point.baseline.sample.mean == pytest.approx(expected, abs=1e-4)
    rules = np.array([[int(WORDS[c][0] in gold.texts[i].split()) for c in CODES] for i in test])
    assert result.rules.sample.mean == pytest.approx(sample_f1(gold.labels[test], rules), abs=1e-4)
    assert point.model.sample.mean > result.rules.sample.mean


def test_single_choice_groups_and_the_models_decisions_are_reported(tmp_path: Path, monkeypatch):
    data = generate(120, seed=3, single=True)
    gold = read_gold(write_folder(tmp_path / "set", data), BOOK)
    fit = model_module.ModelCoder.fit

    def fit_with_decisions(self, *args, **kwargs):
        fitted = fit(self, *args, **kwargs)
        self.thresholds_ = {c: 0.25 for c in self.trained_codes_}
        self.decisions_ = {c: "model" if c in self.trained_codes_ else "never" for c in CODES}
        return fitted

    monkeypatch.setattr(model_module.ModelCoder, "fit", fit_with_decisions)
    group = SimpleNamespace(name="topic", codes=tuple(CODES), exactly_one=True)
    result = evaluate(gold, BOOK, folds=2, sizes=[60], topics=False, groups=[group])
    assert result.groups == {"topic": CODES}
    figures = result.points[0].model.groups["topic"]
    assert 0.7 < figures.accuracy.mean <= 1 and figures.macro.folds == 2
    assert result.rules.groups["topic"].accuracy.mean < figures.accuracy.mean
    assert result.decisions["ict"].threshold == 0.25 and result.decisions["ict"].decision == "model"


def test_the_command_reads_a_gold_folder_with_its_codebook_and_a_pattern_split(tmp_path: Path):
    folder = write_folder(tmp_path / "set", generate(120, seed=4))
    result = runner.invoke(app, ["evaluate", "--gold", str(folder), "--test-pattern", "^te",
                                 "--sizes", "25%,100%", "--no-topics", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mode"] == "split" and [p["label"] for p in report["points"]] == ["25%", "100%"]
    assert [p["size"] for p in report["points"]] == [22, 90]
    last = report["points"][-1]
    assert set(last["model"]) >= {"micro", "macro", "sample", "precision", "recall", "per_code"}
    assert last["baseline"]["sample"]["mean"] is not None
    table = runner.invoke(app, ["evaluate", "--texts", str(folder / "texts.csv"), "--codes",
                                str(folder / "train_long.csv"), "--codes", str(folder / "test_gold.csv"),
                                "-c", str(folder / "codebook.yaml"), "--sizes", "90", "--no-topics",
                                "--test-ids", str(folder / "test_gold.csv")])
    assert table.exit_code == 0, table.output
    assert "TF-IDF + LR" in table.output and "sample F1" in table.output and "rules only" in table.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sizes", "5%,ten"], "not a comma-separated list"),
        (["--sizes", "150%"], "at most 100%"),
        (["--test-pattern", "(te"], "not a regular expression"),
        (["--test-pattern", "^te", "--test-ids", "x.txt"], "not both"),
        (["--codes", "x.csv"], "goes with --texts"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, args, needle):
    folder = write_folder(tmp_path / "set", generate(8))
    result = runner.invoke(app, ["evaluate", "--gold", str(folder), *args])
    assert result.exit_code == 2, result.output
    assert needle in " ".join(result.output.split())


def test_neither_gold_nor_texts_and_a_missing_codebook_are_usage_errors(tmp_path: Path):
    assert runner.invoke(app, ["evaluate", "-c", "book.yaml"]).exit_code == 2
    gold = tmp_path / "gold.csv"
    gold.write_text("text,codes\nx,ict\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--gold", str(gold)])
    assert result.exit_code == 2 and "--codebook" in result.output


def test_a_bad_codes_file_is_one_paragraph_and_exit_1(tmp_path: Path):
    folder = write_folder(tmp_path / "set", generate(8))
    (folder / "train_long.csv").write_text("response_id,code\ntr1,pay\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "--gold", str(folder)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "'pay'" in result.output and "train_long.csv" in result.output


def test_the_few_label_aids_are_compared_when_the_model_has_them(tmp_path: Path, monkeypatch):
    calls = []

    class AidedCoder(model_module.ModelCoder):
        def __init__(self, *args, weak_labels: bool = True, **kwargs):
            super().__init__(*args, **kwargs)
            self.weak_labels = weak_labels

        def fit(self, codebook, quotes=None, *, labels=None, topics=None, unlabelled=None):
            calls.append((self.weak_labels, None if unlabelled is None else len(unlabelled), len(labels)))
            return super().fit(codebook, quotes, labels=labels, topics=topics)

    monkeypatch.setattr(evaluate_module, "ModelCoder", AidedCoder)
    gold = read_gold(write_folder(tmp_path / "set", generate(80, seed=5)), BOOK)
    result = evaluate(gold, BOOK, test=split_mask(gold, pattern="^te"), sizes=[30], topics=False)
    assert result.aids == "weak labels from the rules and the uncoded texts"
    # aids on: the 50 texts not trained on (30 of the pool's 60 and the 20 test texts) are the uncoded ones
    assert calls == [(True, 50, 30), (False, None, 30)]
    point = result.points[0]
    assert point.model_without_aids is not None and point.model_without_aids.sample.folds == 1
    calls.clear()
    assert evaluate(gold, BOOK, test=split_mask(gold, pattern="^te"), sizes=[30], topics=False, aids=False).aids == ""
    assert calls == [(True, 50, 30)]


def test_the_table_shows_the_codebooks_single_choice_groups_and_the_models_thresholds(tmp_path: Path, monkeypatch):
    group = SimpleNamespace(name="main theme", codes=tuple(CODES), exactly_one=True)
    monkeypatch.setattr(Codebook, "single_choice_groups", lambda self: [group], raising=False)
    fit = model_module.ModelCoder.fit

    def fit_with_decisions(self, *args, **kwargs):
        fitted = fit(self, *args, **kwargs)
        self.thresholds_ = {c: 0.35 for c in self.trained_codes_}
        self.decisions_ = {c: "always" for c in CODES}
        return fitted

    monkeypatch.setattr(model_module.ModelCoder, "fit", fit_with_decisions)
    folder = write_folder(tmp_path / "set", generate(100, seed=6, single=True))
    result = runner.invoke(app, ["evaluate", "--gold", str(folder), "--test-pattern", "^te", "--sizes", "100%",
                                 "--no-topics"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Single-choice groups" in result.output and "main theme" in result.output
    assert "threshold" in result.output and "0.35" in result.output and "always" in result.output
    report = json.loads(runner.invoke(app, ["evaluate", "--gold", str(folder), "--test-pattern", "^te",
                                            "--sizes", "100%", "--no-topics", "--json"]).stdout)
    assert report["groups"] == {"main theme": CODES}
    assert report["decisions"]["ict"] == {"threshold": 0.35, "decision": "always"}
    assert 0 < report["points"][0]["model"]["groups"]["main theme"]["accuracy"]["mean"] <= 1


def test_a_model_option_the_model_refuses_is_an_error_not_an_empty_curve(tmp_path: Path):
    from probation_themes.errors import CoderError

    gold = read_gold(write_folder(tmp_path / "set", generate(60, seed=7)), BOOK)
    with pytest.raises(CoderError):
        evaluate(gold, BOOK, test=split_mask(gold, pattern="^te"), sizes=[40], topics=False,
                 model_options={"calibration": "no such calibration"})
    result = evaluate(gold, BOOK, test=split_mask(gold, pattern="^te"), sizes=[5], topics=False)
    assert result.points[0].model.micro.mean in (None, 0.0)  # too few examples: the model codes nothing


def test_representation_is_a_usage_error_unless_the_model_has_it(tmp_path: Path):
    folder = write_folder(tmp_path / "set", generate(8))
    result = runner.invoke(app, ["evaluate", "--gold", str(folder), "--representation", "words"])
    if evaluate_module.model_accepts("representation"):
        pytest.skip("the model has a representation option")
    assert result.exit_code == 2 and "--representation" in result.output
