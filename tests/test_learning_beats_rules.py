"""From the command line: a model trained on 5% of the texts agrees with people better than rules do.

The situation of a new project: a codebook written from the code names alone (its
rules are the words of each code's label), a person who codes a random 5% of the
texts, and the model trained on them. Scored with `agree` against the same person's
coding of the other 95%, which the model never saw, the model must clearly beat the
rules alone; so must `--method all`. The texts and their codes come from the survey
generator (a seed the sample corpus does not use).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import random
import re
from pathlib import Path

from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import Codebook, load_codebook, save_codebook

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "corpora" / "synthetic" / "generate_survey.py"
BOOK = ROOT / "codebooks" / "probation_unification.yaml"
LABEL_STOPWORDS = {"and", "the", "of", "between", "about", "how", "was", "former", "staff", "high", "to"}


def _generator():
    spec = importlib.util.spec_from_file_location("generate_survey", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _texts(n: int, seed: int) -> list[tuple[str, list[str]]]:
    """Every non-blank answer of n generated respondents, with the codes it was built from."""
    gen = _generator()
    key = {(k["respondent_id"], k["question"]): k["themes"] for k in gen.generate_theme_key(n, seed)}
    texts = []
    for row in gen.generate_rows(n, seed):
        for question in gen.QUESTIONS:
            if row[question].strip():
                codes = key.get((row["Respondent ID"], question), "")
                texts.append((row[question].strip(), [c.strip() for c in codes.split("|") if c.strip()]))
    return texts


def _names_only_codebook(path: Path) -> Path:
    """Each code's rules and seeds are the words of its label, nothing more."""
    codes = []
    for code in load_codebook(BOOK).codes:
        words = [w.lower() for w in re.findall(r"[A-Za-z]+", code.label) if w.lower() not in LABEL_STOPWORDS]
        codes.append({"id": code.id, "label": code.label, "definition": code.label, "seeds": words,
                      "rules": {"any": [w + "*" for w in words]}})
    save_codebook(Codebook.model_validate({"name": "from names", "version": "1.0.0", "codes": codes}), path)
    return path


def _coding(path: Path, texts: list[tuple[str, list[str]]], units: list[int]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["response_id", "code"])
        for i in units:
            writer.writerows([[f"t{i}", c] for c in texts[i][1]] or [[f"t{i}", ""]])
    return path


def test_a_model_trained_on_five_percent_beats_rules_on_the_other_ninety_five(tmp_path: Path):
    runner = CliRunner()

    def run(*args: object) -> str:
        result = runner.invoke(app, [*map(str, args), "-p", str(tmp_path / "p.db")], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    texts = _texts(1500, seed=11)
    survey = tmp_path / "texts.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "comment"], *[[f"t{i}", t] for i, (t, _) in enumerate(texts)]])
    order = list(range(len(texts)))
    random.Random(5).shuffle(order)
    five = len(texts) // 20
    book = _names_only_codebook(tmp_path / "names.yaml")

    run("ingest", survey, "--id-col", "id", "--text-col", "comment")
    run("import-codings", _coding(tmp_path / "sample.csv", texts, order[:five]), "--coder", "sample", "-c", book)
    run("import-codings", _coding(tmp_path / "rest.csv", texts, order[five:]), "--coder", "rest", "-c", book)
    run("topics", "-c", book)
    scores = {}
    for method in ("rules", "model", "all"):
        run("code", "-c", book, "--method", method, *(["--train-coder", "sample"] if method != "rules" else []))
        report = json.loads(run("agree", "--coder", "rest", "--coder", method, "--json"))
        scores[method] = {k: report["overall"][k]["value"] for k in ("kappa", "f1")}
        # Scored only on the texts the model never saw (the sample's are the method's alone).
        assert (report["units_compared"], report["only_b"]) == (len(texts) - five, five)
    rules, model, combined = scores["rules"], scores["model"], scores["all"]
    assert model["kappa"] > rules["kappa"] + 0.2 and model["f1"] > rules["f1"] + 0.2, scores
    assert combined["kappa"] > rules["kappa"] + 0.2, scores
