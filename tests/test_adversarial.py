"""Hostile inputs and hostile machines: every row counted, no hang, one clear paragraph, never an internal error.

Each file is made here, in code. The cases complement tests/test_hostile.py: rows a
workbook hides behind its declared size, a file swapped while it is read, named
pipes, repeated headers, JSON numbers and escapes Python refuses, codecs that are
not text encodings, full disks, read-only and newer-schema projects, damaged
projects, closed pipes and absurdly wide files.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.store import Project

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()


def invoke(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)


def _one_paragraph(result, *words: str) -> str:
    text = " ".join(result.output.split())
    assert "Traceback" not in result.output and "internal error" not in text, result.output
    for word in words:
        assert word.lower() in text.lower(), text
    return text


def _dump(project: Path) -> str:
    db = sqlite3.connect(project)
    try:
        return hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    finally:
        db.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    survey = tmp_path / "good.csv"
    survey.write_text("id,answer\ng1,My caseload is far too high.\ng2,The laptops keep crashing.\n", encoding="utf-8")
    path = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", path, "--id-col", "id").exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", path, "-j", "1").exit_code == 0
    return path


# -- 1. workbooks whose declared size lies ------------------------------------------------


def _workbook_parts(rows: int) -> dict[str, bytes]:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "answer"])
    for i in range(rows):
        ws.append([f"r{i}", f"answer number {i}"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as z:
        return {n: z.read(n) for n in z.namelist()}


def _write_zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_xlsx_rows_beyond_the_declared_dimension_are_read(tmp_path):
    parts = _workbook_parts(1000)
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B3"', sheet)
    path = _write_zip(tmp_path / "short.xlsx", parts)
    result = invoke("ingest", path, "-p", tmp_path / "x.db", "--text-col", "answer", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert report["rows_read"] == 1000 and report["responses"] == 1000


def test_xlsx_declaring_a_huge_sheet_of_empty_styled_rows_is_read_quickly(tmp_path):
    parts = _workbook_parts(50)
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD100000"', sheet)
    styled = b"".join(
        b'<row r="%d" spans="1:16384" s="1" customFormat="1"><c r="XFD%d" s="1"/></row>' % (i, i)
        for i in range(52, 100_001)
    )
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"</sheetData>", styled + b"</sheetData>")
    path = _write_zip(tmp_path / "styled.xlsx", parts)
    started = time.perf_counter()
    result = invoke("ingest", path, "-p", tmp_path / "x.db", "--text-col", "answer", "--json")
    assert time.perf_counter() - started < 30  # it used to pad 100,000 rows to 16,384 cells each
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"][0]["rows_read"] == 50


def test_xlsx_value_far_right_of_the_table_stays_in_the_raw_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "answer"])
    ws.append(["a", None])
    ws.cell(row=2, column=16000, value="a note far to the right")
    path = tmp_path / "note.xlsx"
    wb.save(path)
    project = tmp_path / "x.db"
    assert invoke("ingest", path, "-p", project, "--text-col", "answer", "--id-col", "id").exit_code == 0
    raw = sqlite3.connect(project).execute("SELECT raw FROM rejects").fetchone()[0]
    assert raw == "a\t\ta note far to the right"


# -- 3. one read per file -------------------------------------------------------------------


def test_a_file_swapped_while_it_is_ingested_is_stored_under_the_hash_of_what_was_parsed(tmp_path, monkeypatch):
    survey = tmp_path / "s.csv"
    first = b"id,answer\n1,the first version of the answer\n"
    second = b"id,answer\n1,the second version\n2,with another row\n"
    survey.write_bytes(first)
    opened = {"count": 0}
    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open

    def swap_on_reopen(path) -> None:
        # Every open after the first finds the file already replaced by the second version,
        # as if another program wrote it between two reads.
        if Path(str(path)).resolve() == survey.resolve():
            opened["count"] += 1
            if opened["count"] == 2:
                Path(survey).write_bytes(second)

    def counting_open(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)):
            swap_on_reopen(file)
        return real_open(file, *args, **kwargs)

    def counting_os_open(file, *args, **kwargs):
        swap_on_reopen(file)
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(os, "open", counting_os_open)
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--id-col", "id")
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(project)
    sha, = db.execute("SELECT sha256 FROM sources").fetchone()
    texts = [t for (t,) in db.execute("SELECT text FROM quotes ORDER BY seq")]
    db.close()
    parsed = first if texts == ["the first version of the answer"] else second
    assert sha == hashlib.sha256(parsed).hexdigest()  # the hash is of what was parsed
    # ... so the real file, ingested later, is not taken for one already in the project.
    survey.write_bytes(second if parsed is first else first)
    again = invoke("ingest", survey, "-p", project, "--id-col", "id", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["files"][0]["skipped_because"] is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "survey.csv"
    os.mkfifo(fifo)
    project = tmp_path / "p.db"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "probation_themes", "ingest", str(fifo), "-p", str(project)],
            capture_output=True, text=True, timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("ingest waited on a named pipe")
    assert done.returncode == 1, done.stderr
    text = " ".join(done.stderr.split())
    assert "named pipe" in text and "Save the data to a file" in text and "Traceback" not in text
    assert not project.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_as_codebook_or_names_list_is_refused(tmp_path, project):
    book, names = tmp_path / "book.yaml", tmp_path / "names.txt"
    os.mkfifo(book)
    os.mkfifo(names)
    for args in (["codebook", "validate", book], ["redact", "--names", names, "-p", project]):
        done = subprocess.run([sys.executable, "-m", "probation_themes", *map(str, args)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "not a regular file" in done.stderr, done.stderr


# -- 4. repeated headers, repeated columns --------------------------------------------------


def test_a_header_row_repeated_mid_file_is_a_reject_with_its_reason(tmp_path):
    survey = tmp_path / "joined.csv"
    survey.write_text("id,answer\n1,first answer\nid,answer\n2,second answer\n\ufeffID , Answer \n", encoding="utf-8")
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--id-col", "id", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert report["rows_read"] == 4 and report["responses"] == 2
    assert report["rejects_by_reason"] == {"repeated_header": 2}
    texts = [t for (t,) in sqlite3.connect(project).execute("SELECT text FROM quotes")]
    assert texts == ["first answer", "second answer"]
    assert invoke("doctor", "-p", project).exit_code == 0


def test_a_header_row_repeated_in_a_workbook_is_a_reject_too(tmp_path):
    wb = openpyxl.Workbook()
    for row in (["id", "answer"], ["1", "an answer"], ["id", "answer"], ["2", "another"]):
        wb.active.append(row)
    path = tmp_path / "w.xlsx"
    wb.save(path)
    result = invoke("ingest", path, "-p", tmp_path / "p.db", "--json")
    assert json.loads(result.stdout)["files"][0]["rejects_by_reason"] == {"repeated_header": 1}


def test_the_same_text_column_twice_is_a_usage_error(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("id,answer,Answer2\n1,hello,x\n", encoding="utf-8")
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--text-col", "answer", "--text-col", "answer")
    assert result.exit_code == 2
    _one_paragraph(result, "--text-col 'answer' is given more than once")
    assert not project.exists()
    # Two spellings of one column are found out once the header is read.
    result = invoke("ingest", survey, "-p", project, "--text-col", "answer", "--text-col", " ANSWER")
    assert result.exit_code == 1
    _one_paragraph(result, "names the column 'answer' twice")
    assert not project.exists()


# -- 9. JSON, encodings, XML, wide files -------------------------------------------------


def test_jsonl_lines_python_cannot_hold_are_rejected_alone(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text(
        '{"text": "fine"}\n'
        '{"text": "long", "n": ' + "9" * 5000 + "}\n"
        '{"text": "half \\ud800 a character"}\n'
        '{"text": "a whole pair \\ud83d\\ude00 is fine"}\n'
        '{"k\\udc00": "in a key"}\n',
        encoding="utf-8",
    )
    project = tmp_path / "p.db"
    result = invoke("ingest", path, "-p", project, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert report["rows_read"] == 5 and report["responses"] == 2
    assert report["rejects_by_reason"] == {"unreadable_row": 3}
    db = sqlite3.connect(project)
    details = [d for (d,) in db.execute("SELECT detail FROM rejects ORDER BY row")]
    assert "number too long" in details[0] and "lone surrogate" in details[1]
    assert [t for (t,) in db.execute("SELECT text FROM quotes")] == ["fine", "a whole pair \U0001f600 is fine"]


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib_codec", "hex"])
def test_a_codec_that_is_not_a_text_encoding_is_refused(tmp_path, codec):
    survey = tmp_path / "s.csv"
    survey.write_text("id,answer\n1,hello\n", encoding="utf-8")
    result = invoke("ingest", survey, "-p", tmp_path / "p.db", "--encoding", codec)
    assert result.exit_code == 1
    _one_paragraph(result, "not a text encoding", "utf-8")
    assert not (tmp_path / "p.db").exists()


def test_a_hundred_thousand_columns_without_text_col_give_a_short_message(tmp_path):
    survey = tmp_path / "wide.csv"
    survey.write_text(",".join(f"column number {i}" for i in range(100_000)) + "\n" + ",".join("x" * 100_000) + "\n",
                      encoding="utf-8")
    started = time.perf_counter()
    result = invoke("ingest", survey, "-p", tmp_path / "p.db")
    assert time.perf_counter() - started < 60
    assert result.exit_code == 1
    _one_paragraph(result, "--text-col", "and 99,980 more")
    assert len(result.output) < 2000
    same = tmp_path / "same.csv"  # 100,000 columns of one name: made unique in linear time
    same.write_text(",".join(["answer"] * 100_000) + "\n" + ",".join(["x"] * 100_000) + "\n", encoding="utf-8")
    result = invoke("ingest", same, "-p", tmp_path / "p.db", "--text-col", "nope")
    assert result.exit_code == 1 and len(result.output) < 2000


def test_a_qdc_declaring_an_unknown_encoding_is_refused(tmp_path):
    path = tmp_path / "enc.qdc"
    path.write_bytes(b'<?xml version="1.0" encoding="klingon"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
                     b'<Codes><Code guid="a" name="A" isCodable="true"/></Codes></CodeBook>')
    result = invoke("codebook", "validate", path)
    assert result.exit_code == 1
    _one_paragraph(result, "'klingon'", "not a known text encoding")


@pytest.mark.parametrize("form", ["yaml", "qdc"])
def test_a_code_hierarchy_a_thousand_levels_deep_is_refused_with_the_place(tmp_path, form):
    if form == "yaml":
        codes = [{"id": "c0", "label": "C0", "definition": "d"}] + [
            {"id": f"c{i}", "label": f"C{i}", "definition": "d", "parent": f"c{i - 1}"} for i in range(1, 1000)]
        path = tmp_path / "deep.yaml"
        path.write_text(yaml.safe_dump({"name": "T", "version": "1.0.0", "codes": codes}), encoding="utf-8")
    else:
        opening = "".join(f'<Code guid="g{i}" name="Level {i}" isCodable="true">' for i in range(1000))
        path = tmp_path / "deep.qdc"
        path.write_text('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                        + opening + "</Code>" * 1000 + "</Codes></CodeBook>", encoding="utf-8")
    result = invoke("codebook", "validate", path)
    assert result.exit_code == 1
    _one_paragraph(result, "codes -> 100", "at most 100 levels")


def _qdpx(project: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "good.qdpx"
    assert invoke("export", "qdpx", "-o", out, "-p", project).exit_code == 0
    with zipfile.ZipFile(out) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_a_qdpx_with_a_position_that_is_not_a_number_is_refused(tmp_path, project):
    parts = _qdpx(project, tmp_path)
    qde = re.sub(rb'(<PlainTextSelection [^>]*?)name="[^"]*"', rb'\1name="x"', parts["project.qde"])
    parts["project.qde"] = re.sub(rb'startPosition="\d+"', b'startPosition="abc"', qde, count=1)
    before = _dump(project)
    result = invoke("import-codings", _write_zip(tmp_path / "abc.qdpx", parts), "--coder", "ann", "-p", project)
    assert result.exit_code == 1
    _one_paragraph(result, "not a whole number", "'abc'")
    assert _dump(project) == before


def test_a_qdpx_whose_source_is_not_utf8_is_refused(tmp_path, project):
    parts = _qdpx(project, tmp_path)
    source = next(n for n in parts if n.startswith("sources/"))
    parts[source] = parts[source] + " caf\xe9".encode("latin-1")
    result = invoke("import-codings", _write_zip(tmp_path / "latin.qdpx", parts), "--coder", "ann", "-p", project)
    assert result.exit_code == 1
    _one_paragraph(result, "is not UTF-8", source)


# -- 9. the machine and the project file ---------------------------------------------------


def test_a_full_disk_is_named_not_hidden_behind_a_rollback_error(tmp_path, project, monkeypatch):
    big = tmp_path / "big.csv"
    big.write_text("id,answer\n" + "".join(f"b{i},answer {i} " + "words " * 40 + "\n" for i in range(20_000)),
                   encoding="utf-8")
    opened = Project.open.__func__

    def cramped(cls, path, **kwargs):
        proj = opened(cls, path, **kwargs)
        pages = proj._db.execute("PRAGMA page_count").fetchone()[0]
        proj._db.execute(f"PRAGMA max_page_count = {pages + 20}")  # what a full disk looks like to SQLite
        return proj

    before = _dump(project)
    monkeypatch.setattr(Project, "open", classmethod(cramped))
    result = invoke("ingest", big, "-p", project, "--id-col", "id")
    monkeypatch.undo()
    assert result.exit_code == 1
    text = _one_paragraph(result, "no room left on the disk", "database or disk is full", "Free some space")
    assert "no transaction is active" not in text
    assert _dump(project) == before
    assert invoke("doctor", "-p", project).exit_code == 0


def _read_only_project(project: Path, monkeypatch, why: str = "is on read-only media (a read-only disk, share or mount)"):
    """Make the project look as it does on read-only media (the check of the file is what differs)."""
    from probation_themes.store import guard

    monkeypatch.setattr(guard, "write_refusal", lambda path: why if Path(path) == project else None)


def test_a_read_only_project_can_be_read_but_not_changed(tmp_path, project, monkeypatch):
    _read_only_project(project, monkeypatch)
    for command in (["doctor"], ["stats"], ["report", "--format", "md", "-o", tmp_path / "r.md"],
                    ["export", "codings", "-o", tmp_path / "c.csv"]):
        result = invoke(*command, "-p", project)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "r.md").exists()
    before = _dump(project)
    survey = tmp_path / "more.csv"
    survey.write_text("id,answer\nm1,more\n", encoding="utf-8")
    for command in (["ingest", survey, "--id-col", "id"], ["code", "-c", CODEBOOK], ["redact"],
                    ["topics", "-c", CODEBOOK, "--k", "2"]):
        result = invoke(*command, "-p", project)
        assert result.exit_code == 1, (command, result.output)
        _one_paragraph(result, "read-only media", "can only be read", "folder you can write to")
    assert _dump(project) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write any file")
def test_a_project_file_without_write_permission_is_refused_for_writing(tmp_path, project):
    project.chmod(0o444)
    try:
        assert invoke("stats", "-p", project).exit_code == 0
        result = invoke("code", "-c", CODEBOOK, "-p", project)
        assert result.exit_code == 1
        _one_paragraph(result, "cannot be written with your permissions")
    finally:
        project.chmod(0o644)


def test_the_sqlite_read_only_error_is_said_plainly(tmp_path, project, monkeypatch):
    # Whatever the checks miss, SQLite's own "attempt to write a readonly database" is explained.
    from probation_themes.store import guard

    monkeypatch.setattr(guard, "write_refusal", lambda path: None)
    opened = Project.open.__func__

    def query_only(cls, path, **kwargs):
        proj = opened(cls, path, **kwargs)
        proj._db.execute("PRAGMA query_only = ON")
        return proj

    monkeypatch.setattr(Project, "open", classmethod(query_only))
    result = invoke("code", "-c", CODEBOOK, "-p", project)
    assert result.exit_code == 1
    _one_paragraph(result, "read-only", "doctor, stats, report, export")


def test_a_project_from_a_newer_version_is_read_but_not_changed(tmp_path, project):
    db = sqlite3.connect(project)
    db.execute("INSERT INTO _migrations (name, applied_at, version) VALUES ('900_future', '2031-01-01', '9.1.0')")
    db.commit()
    db.close()
    assert invoke("stats", "-p", project).exit_code == 0
    assert invoke("doctor", "-p", project).exit_code == 0
    before = _dump(project)
    result = invoke("code", "-c", CODEBOOK, "-p", project)
    assert result.exit_code == 1
    _one_paragraph(result, "newer version", "'900_future'", "probation-themes 9.1.0 or later")
    assert _dump(project) == before


def test_every_migration_records_the_version_that_applied_it(tmp_path, project):
    versions = sqlite3.connect(project).execute("SELECT name, version FROM _migrations").fetchall()
    assert versions and all(v for _, v in versions)


@pytest.mark.parametrize("sql", [
    "DELETE FROM quotes WHERE response_id = 'g1';",
    "UPDATE sources SET rows_read = 7;",
    "INSERT INTO decisions (quote_id, code, decision, coder, decided_at) VALUES ('ghost', 'workload', 'accept', 'a', 'x');",
], ids=["lost quote", "rows unaccounted", "orphan decision"])
def test_a_damaged_project_refuses_writes_until_repaired(tmp_path, project, sql):
    good = project.read_bytes()
    db = sqlite3.connect(project)
    db.execute("PRAGMA foreign_keys = OFF")
    db.executescript(sql)
    db.commit()
    db.close()
    assert invoke("doctor", "-p", project).exit_code == 1
    before = _dump(project)
    more = tmp_path / "more.csv"
    more.write_text("id,answer\nm1,more words\n", encoding="utf-8")
    for command in (["ingest", more, "--id-col", "id"], ["code", "-c", CODEBOOK, "--full"], ["redact"]):
        result = invoke(*command, "-p", project)
        assert result.exit_code == 1, (command, result.output)
        _one_paragraph(result, "damaged", "refused until it is repaired")
    assert _dump(project) == before
    stats = invoke("stats", "-p", project)  # reading still works (or says plainly why it cannot)
    assert stats.exit_code == 0 or sql.startswith("INSERT INTO decisions")  # stats names the orphan
    _one_paragraph(stats)
    # Restoring the backup and running doctor again lifts the refusal.
    for suffix in ("-wal", "-shm"):
        Path(f"{project}{suffix}").unlink(missing_ok=True)
    project.write_bytes(good)
    assert invoke("doctor", "-p", project).exit_code == 0
    assert invoke("ingest", more, "--id-col", "id", "-p", project).exit_code == 0


def test_damage_found_without_doctor_still_refuses_writes(tmp_path, project):
    db = sqlite3.connect(project)
    db.execute("UPDATE sources SET quotes = 5")
    db.commit()
    db.close()
    result = invoke("code", "-c", CODEBOOK, "-p", project)
    assert result.exit_code == 1
    _one_paragraph(result, "is damaged", "no longer match", "doctor")


def test_evidence_out_of_line_refuses_writes_except_the_repair(tmp_path, project):
    db = sqlite3.connect(project)
    db.execute("UPDATE quotes SET text = 'changed words' WHERE response_id = 'g1'")
    db.commit()
    db.close()
    assert invoke("doctor", "-p", project).exit_code == 1
    more = tmp_path / "more.csv"
    more.write_text("id,answer\nm1,more words\n", encoding="utf-8")
    refused = invoke("ingest", more, "--id-col", "id", "-p", project)
    assert refused.exit_code == 1
    _one_paragraph(refused, "code --full")
    assert invoke("code", "-c", CODEBOOK, "--full", "-p", project, "-j", "1").exit_code == 0
    assert invoke("doctor", "-p", project).exit_code == 0
    assert invoke("ingest", more, "--id-col", "id", "-p", project).exit_code == 0


def test_a_closed_pipe_is_not_an_error(tmp_path, project):
    command = [sys.executable, "-m", "probation_themes", "export", "codings", "-o", "-", "-p", str(project)]
    many = tmp_path / "many.csv"
    many.write_text("id,answer\n" + "".join(f"m{i},my caseload is too high {i}\n" for i in range(5000)),
                    encoding="utf-8")
    assert invoke("ingest", many, "--id-col", "id", "-p", project).exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    for args in (command, [sys.executable, "-m", "probation_themes", "stats", "-p", str(project)]):
        writer = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = writer.stdout.readline()
        writer.stdout.close()  # as `| head -1` does
        _, stderr = writer.communicate(timeout=120)
        assert first
        assert writer.returncode == 0, stderr.decode()
        assert b"Error" not in stderr and b"Traceback" not in stderr and b"Exception ignored" not in stderr
