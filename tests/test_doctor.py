"""`doctor`: a whole project passes; damage, orphans and lost rows are named; interruptions are not damage."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.store import Project
from probation_themes.store.doctor import check_project

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    survey = tmp_path / "s.csv"
    survey.write_text(
        "id,answer\n1,My caseload is too high.\n2,The laptop keeps crashing.\n3,\n4,Pay was wrong.\n", encoding="utf-8"
    )
    path = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", path, "--id-col", "id").exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", path, "-j", "1").exit_code == 0
    return path


def _tamper(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys = OFF")
    db.executescript(sql)
    db.commit()
    db.close()


def test_a_whole_project_passes(project):
    result = invoke("doctor", "-p", project)
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output and "3 quotes" in result.output
    data = json.loads(invoke("doctor", "-p", project, "--json").stdout)
    assert data["ok"] and data["problems"] == [] and data["figures"]["rejects"] == 1


def test_an_interrupted_run_is_reported_but_is_not_damage(project):
    _tamper(project, "INSERT INTO runs (command, started_at, status) VALUES ('code', '2026-01-01T00:00:00', 'running');")
    result = invoke("doctor", "-p", project)
    assert result.exit_code == 0, result.output
    assert "never finished: interrupted" in " ".join(result.output.split())
    assert json.loads(invoke("doctor", "-p", project, "--json").stdout)["interrupted_runs"][0]["command"] == "code"


@pytest.mark.parametrize(
    "sql, words",
    [
        ("DELETE FROM quotes WHERE response_id = '1';", ("of the suggestions belong",
                                                         "the project holds 2 quotes")),
        ("INSERT INTO decisions (quote_id, code, decision, coder, decided_at) "
         "VALUES ('ghost:1.1', 'workload', 'accept', 'ana', '2026-01-01');", ("1 of the review decisions belongs to a quote that is not in the project",)),
        ("UPDATE sources SET rows_read = 7;", ("7 rows read but 3 with quotes + 1 rejected",)),
        ("UPDATE quotes SET text = 'changed' WHERE response_id = '1';", ("do not point at their words",)),
    ],
    ids=["lost quote", "orphan decision", "rows unaccounted", "evidence out of line"],
)
def test_damage_is_named_and_exits_1(project, sql, words):
    _tamper(project, sql)
    result = invoke("doctor", "-p", project)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "is damaged" in text and "Traceback" not in text
    for word in words:
        assert word in text, text


def test_a_corrupt_file_is_refused_in_one_paragraph(project):
    data = bytearray(project.read_bytes())
    for i in range(200, len(data), 997):
        data[i] ^= 0xFF
    project.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(f"{project}{suffix}").unlink(missing_ok=True)
    result = invoke("doctor", "-p", project)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "damaged" in result.output or "cannot be read" in result.output


def test_doctor_never_creates_a_project(tmp_path):
    result = invoke("doctor", "-p", tmp_path / "none.db")
    assert result.exit_code == 1 and "There is no project" in result.output
    assert not (tmp_path / "none.db").exists()


def test_library_check_matches_the_command(project):
    with Project.open(project) as proj:
        assert check_project(proj).ok
