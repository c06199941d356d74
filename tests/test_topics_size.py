"""Topics on too little text say so, and never show a non-answer as a typical quote."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.workflows.topics import QUOTES_PER_TOPIC, TERMS_PER_TOPIC, size_warning

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_the_size_warning_says_what_size_would_do():
    assert size_warning(2_000, 900, 10, 5) is None
    small = size_warning(55, 38, 10, 3)
    assert small is not None
    assert "13 topics (10 seeded from the codebook + 3 free) from 55 quotes and 38 modelled words" in small
    assert f"about {QUOTES_PER_TOPIC * 13} quotes and {TERMS_PER_TOPIC * 13} words" in small
    assert "try --no-seeded --k 2" in small
    tiny = size_warning(30, 38, 10, 3)
    assert tiny is not None and "too few for a topic model at all" in tiny and "code --method rules" in tiny
    middling = size_warning(130, 200, 4, 6)  # room for 6 topics: 4 seeded + 2 free
    assert middling is not None and "try --k 2 (at most 6 topics in all)" in middling
    free_only = size_warning(100, 400, 0, 8)
    assert free_only is not None and "try --no-seeded --k 5" in free_only


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 generated staff comments and five respondents for whom nothing comes to mind: 55 quotes."""
    spec = importlib.util.spec_from_file_location("generate_survey", ROOT / "corpora" / "synthetic" / "generate_survey.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("small") / "small.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "region", "organisation", "comment"])
        writer.writerows(list(module.generate_comments(50, 5)))
        writer.writerows([f"N{i}", "London", "CRC", "Nothing comes to mind."] for i in range(5))
    return path


@pytest.mark.parametrize("keep", [False, True])
def test_topics_on_55_quotes_warn_and_show_no_non_answer_as_typical(survey: Path, tmp_path: Path, keep: bool):
    project = tmp_path / "p.db"
    ingest = ["ingest", str(survey), "--id-col", "id", "--text-col", "comment", "-p", str(project)]
    assert runner.invoke(app, ingest + (["--keep-non-answers"] if keep else [])).exit_code == 0
    result = runner.invoke(app, ["topics", "--k", "3", "-c", str(CODEBOOK), "-p", str(project)])
    assert result.exit_code == 0, result.output
    warned = one_line(result.stderr)
    assert "warning:" in warned and "is too little text for that many topics" in warned
    assert "Nothing comes to mind" not in result.stdout
    data = json.loads(runner.invoke(app, ["topics", "--k", "3", "-c", str(CODEBOOK), "-p", str(project),
                                          "--json"]).stdout)
    assert data["quotes"] == (55 if keep else 50)  # flagged non-answers are not modelled
    assert data["warnings"] and "too little text" in data["warnings"][0]
    shown = [q["text"] for t in data["topics"] for q in t["quotes"]]
    assert shown and "Nothing comes to mind." not in shown
