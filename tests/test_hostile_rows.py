"""Hostile rows and headers: JSON Lines naming a field twice, byte-order marks inside a file,
an answer column whose name the header repeats. Each is accounted for row by row, or stops
with one clear paragraph before anything is stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from probation_themes.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _rows(project: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(project)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_a_jsonl_line_naming_a_field_twice_is_rejected_with_its_reason(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"id":"1","text":"Too much work","text":"The IT is slow"}\n'
        '{"id":"2","text":"Morale is low"}\n'
        '{"id":"3","text":"same twice","text":"same twice"}\n',
        encoding="utf-8",
    )
    project = tmp_path / "p.db"
    result = invoke("ingest", path, "-p", project)
    assert result.exit_code == 0, result.output
    assert "3 rows read = 2 with quotes + 1 rejected" in result.output
    assert [t for (t,) in _rows(project, "SELECT text FROM quotes ORDER BY seq")] == ["Morale is low", "same twice"]
    (detail,) = _rows(project, "SELECT detail FROM rejects")[0]
    assert "line 1" in detail and "'text' twice" in detail


def test_a_jsonl_file_with_no_readable_line_says_why_not_that_it_has_a_header(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id":"1","text":"a","text":"b"}\n[1, 2]\n', encoding="utf-8")
    result = invoke("ingest", path, "-p", tmp_path / "p.db")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "header row" not in result.output
    assert "line 1 names the field 'text' twice" in " ".join(result.output.split())
    assert not (tmp_path / "p.db").exists() or not _rows(tmp_path / "p.db", "SELECT * FROM quotes")


def test_a_byte_order_mark_in_the_middle_of_a_file_is_no_part_of_any_row(tmp_path):
    lines = tmp_path / "a.jsonl"
    lines.write_text('{"id":"1","text":"Too much work"}\n\ufeff{"id":"2","text":"IT slow"}\n', encoding="utf-8")
    project = tmp_path / "p.db"
    result = invoke("ingest", lines, "-p", project, "--id-col", "id")
    assert result.exit_code == 0 and "2 rows read = 2 with quotes + 0 rejected" in result.output, result.output
    table = tmp_path / "b.csv"
    table.write_text("id,answer\n1,Too much work\n\ufeff2,IT slow\n3,Mo\ufeffrale is low\n", encoding="utf-8")
    project = tmp_path / "q.db"
    assert invoke("ingest", table, "-p", project, "--id-col", "id").exit_code == 0
    assert _rows(project, "SELECT response_id, text FROM quotes ORDER BY seq") == [
        ("1", "Too much work"), ("2", "IT slow"), ("3", "Morale is low")]


def test_an_answer_column_named_twice_in_the_header_is_not_half_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,answer,answer\n1,Too much work,IT slow\n2,Morale low,Training poor\n", encoding="utf-8")
    project = tmp_path / "p.db"
    result = invoke("ingest", path, "-p", project, "--id-col", "id")
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = " ".join(result.output.split())
    assert "'answer' 2 times" in message and "--text-col 'answer.2'" in message
    assert not project.exists() or not _rows(project, "SELECT * FROM quotes")
    # Both columns named: every answer is read.
    result = invoke("ingest", path, "-p", project, "--id-col", "id", "--text-col", "answer", "--text-col", "answer.2")
    assert result.exit_code == 0, result.output
    assert len(_rows(project, "SELECT * FROM quotes")) == 4


def _padded_workbook(tmp_path: Path, entry: str, padding: int) -> Path:
    """A sound workbook one of whose parts is padded with blank space to ``padding`` bytes."""
    import io
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["id", "answer"])
    wb.active.append(["r1", "Too much work"])
    buffer = io.BytesIO()
    wb.save(buffer)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == entry:
                data = data.replace(b"</sheetData>", b" " * padding + b"</sheetData>")
            dst.writestr(info.filename, data)
    return path


def test_an_xlsx_zip_bomb_is_refused_fast_and_plainly(tmp_path):
    import time

    path = _padded_workbook(tmp_path, "xl/worksheets/sheet1.xml", 300 * 1024 * 1024)
    assert path.stat().st_size < 2 * 1024 * 1024
    started = time.perf_counter()
    result = invoke("ingest", path, "-p", tmp_path / "p.db")
    assert time.perf_counter() - started < 10
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "zip bomb" in " ".join(result.output.split())
    assert not (tmp_path / "p.db").exists() or not _rows(tmp_path / "p.db", "SELECT * FROM quotes")
    # The same workbook, not padded, is read.
    sound = _padded_workbook(tmp_path, "none", 0)
    assert invoke("ingest", sound, "-p", tmp_path / "q.db").exit_code == 0


def test_a_qualtrics_export_with_its_import_row_lost_or_mangled_keeps_its_header_rows_out(tmp_path):
    top = "ResponseId,Q1,Q2\nResponse ID,What do you think?,Region\n"
    answers = "R_1,Too much work,London\nR_2,IT is slow,Wales\n"
    for name, import_row in (("lost", ""), ("mangled", "{ImportId: _recordId},,{'ImportId': 'QID2'}\n")):
        path = tmp_path / f"{name}.csv"
        path.write_text(top + import_row + answers, encoding="utf-8")
        project = tmp_path / f"{name}.db"
        result = invoke("ingest", path, "-p", project, "--text-col", "Q1")
        assert result.exit_code == 0, result.output
        assert "2 rows read = 2 with quotes + 0 rejected" in result.output and "Qualtrics export" in result.output
        assert [t for (t,) in _rows(project, "SELECT text FROM quotes ORDER BY seq")] == ["Too much work", "IT is slow"]
