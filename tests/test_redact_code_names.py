"""Code names taken from coders' sheets can hold personal details ("Complaint about Mr Okonkwo"):
redaction reaches the codes a codebook implied from them — labels, ids, every coding that
refers to them and every run record — and a redacted project redacts the names it imports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.ingest.names import fold_text

runner = CliRunner()
NEEDLES = ("okonkwo", "quarmby", "07700", "918273")
SURVEY = (
    "id,answer\n"
    "r1,Caseloads are too high\n"
    "r2,The IT system is slow\n"
    "r3,Workload is unmanageable\n"
    "r4,Training was poor\n"
)
SHEET = (
    "id,answer,Code 1,Code 2\n"
    "r1,x,Workload,Complaint about Mr Okonkwo\n"
    "r2,x,ICT,\n"
    "r3,x,Workload,Jane Quarmby\n"
    "r4,x,Training,call 07700 918273\n"
)


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (args, result.output)
    return result


def _leaks(project: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(project)
    found = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for column in [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]:
            for (value,) in db.execute(f'SELECT "{column}" FROM "{table}"'):
                if isinstance(value, str):
                    found += [(table, column, n) for n in NEEDLES if n in fold_text(value)]
    db.close()
    return found


def _files(tmp_path: Path) -> tuple[Path, Path]:
    survey, sheet = tmp_path / "s.csv", tmp_path / "sheet.csv"
    survey.write_text(SURVEY, encoding="utf-8")
    sheet.write_text(SHEET, encoding="utf-8")
    return survey, sheet


def test_redact_renames_codes_named_after_people_everywhere(tmp_path):
    survey, sheet = _files(tmp_path)
    project = tmp_path / "p.db"
    invoke("ingest", survey, "-p", project, "--id-col", "id")
    invoke("import-codings", sheet, "--coder", "ana", "-p", project)
    assert {n for _, _, n in _leaks(project)} == set(NEEDLES)
    result = invoke("redact", "-p", project)
    assert "3 codes named with a personal detail" in result.output
    assert _leaks(project) == []
    invoke("doctor", "-p", project)
    db = sqlite3.connect(project)
    codes = {c for (c,) in db.execute("SELECT code FROM coder_codings")}
    db.close()
    assert codes == {"workload", "ict", "training", "complaint_about_name", "name", "call_phone"}
    book = tmp_path / "book.yaml"
    invoke("export", "codebook", "-o", book, "-p", project)
    assert "Complaint about [NAME]" in book.read_text(encoding="utf-8")
    # Running it again changes nothing: placeholders are not details.
    assert "codes named" not in invoke("redact", "-p", project).output


def test_a_redacted_project_redacts_the_code_names_it_imports(tmp_path):
    survey, sheet = _files(tmp_path)
    project = tmp_path / "p.db"
    invoke("ingest", survey, "-p", project, "--id-col", "id", "--redact")
    invoke("import-codings", sheet, "--coder", "ana", "-p", project)
    assert _leaks(project) == []
    # A second coder's same names are the same (redacted) codes.
    invoke("import-codings", sheet, "--coder", "bob", "-p", project)
    assert _leaks(project) == []
    db = sqlite3.connect(project)
    per_coder = {coder: {c for (c,) in db.execute("SELECT code FROM coder_codings WHERE coder = ?", (coder,))}
                 for coder in ("ana", "bob")}
    db.close()
    assert per_coder["ana"] == per_coder["bob"] and "complaint_about_name" in per_coder["ana"]
    assert "κ" in invoke("agree", "--coder", "ana", "--coder", "bob", "-p", project).output


def test_attribute_values_and_unrecognised_regions_are_redacted_too(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text(
        "id,answer,officer,region\n"
        "r1,Too much work,Jane Quarmby,London\n"
        "r2,The IT is slow,Mr Okonkwo,Okonkwo House\n",
        encoding="utf-8",
    )
    at_ingest, later = tmp_path / "a.db", tmp_path / "b.db"
    options = ("--id-col", "id", "--attr-col", "officer", "--region-col", "region")
    invoke("ingest", survey, "-p", at_ingest, *options, "--redact")
    invoke("ingest", survey, "-p", later, *options)
    invoke("redact", "-p", later)
    for project in (at_ingest, later):
        assert _leaks(project) == []
        db = sqlite3.connect(project)
        rows = db.execute("SELECT region, attributes FROM quotes ORDER BY seq").fetchall()
        db.close()
        assert rows == [("London", '{"officer":"[NAME]"}'), ("[NAME]", '{"officer":"[NAME]"}')]
