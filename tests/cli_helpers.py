"""Helpers the command-line tests share: run a command, write a CSV, resave a .qdpx with pyrefiqda."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import xmlschema
from typer.testing import CliRunner

from probation_themes.cli import app

ROOT = Path(__file__).resolve().parents[1]
#: The REFI-QDA project schema our .qdpx files (and other programs' resaves of them) must meet.
PROJECT_XSD = xmlschema.XMLSchema(str(ROOT / "probation_themes" / "export" / "schemas" / "Project.xsd"))

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def resave_with_pyrefiqda(ours: Path, workdir: Path) -> Path:
    """Load ``ours`` with pyrefiqda (another program's REFI-QDA code) and save it again, schema-checked.

    Skips the test where pyrefiqda is not installed; returns the resaved file.
    """
    import pytest

    pyrefiqda = pytest.importorskip("pyrefiqda.refiproject")
    extract = workdir / "x"
    loaded = pyrefiqda.RefiProject.load(ours, extract_dir=str(extract))
    theirs = workdir / "theirs.qdpx"
    pyrefiqda.RefiProject.save(loaded, theirs, source_media_dir=extract / "sources")
    with zipfile.ZipFile(theirs) as archive:
        PROJECT_XSD.validate(archive.read("project.qde").decode("utf-8"))
    return theirs
