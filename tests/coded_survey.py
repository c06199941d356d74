"""A small coded project built through the command line, for the export tests."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import Codebook, save_codebook

MINI_BOOK = {"name": "mini", "version": "1.0.0", "codes": [
    {"id": "workload", "label": "High workloads", "definition": "d", "rules": {"any": ["caseload*"]}},
    {"id": "ict", "label": "ICT", "definition": "d", "rules": {"any": ["laptop*"]}},
]}


def coded_survey(tmp_path: Path, answers: list[list[str]]) -> tuple[Path, Path]:
    """Ingest answers (id, region, org, grade, q1) and code them with a two-code codebook.

    Returns the project and the codebook file.
    """
    runner = CliRunner()
    survey = tmp_path / "survey.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "region", "org", "grade", "q1"], *answers])
    project = tmp_path / "p.db"
    ingest = ["ingest", str(survey), "-p", str(project), "--id-col", "id", "--region-col", "region", "--org-col", "org",
              "--attr-col", "grade", "--text-col", "q1"]
    assert runner.invoke(app, ingest, catch_exceptions=False).exit_code == 0
    book = tmp_path / "book.yaml"
    save_codebook(Codebook.model_validate(MINI_BOOK), book)
    assert runner.invoke(app, ["code", "--codebook", str(book), "-p", str(project)], catch_exceptions=False).exit_code == 0
    return project, book
