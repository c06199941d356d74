"""A catalogue of hostile inputs, each run through the command line.

Every file is made here at test time. Each case either ingests what is valid and
accounts for the rest row by row, or stops with one clear paragraph (exit 1) before
writing anything: the project is left byte-for-byte as it was, or not created.
The message a user sees for each case is listed in docs/errors.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sqlite3
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from probation_themes.cli import app

runner = CliRunner()
GOOD = "id,answer\ng1,My caseload is far too high.\ng2,The laptops keep crashing.\n"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _state(project: Path, *, runs: bool = True) -> str:
    """The project's content, independent of how SQLite laid out its pages.

    ``runs=False`` leaves out the run log (and the copy of the codebook a run used),
    where a command that failed part way records that it failed.
    """
    db = sqlite3.connect(project)
    try:
        lines = [line for line in db.iterdump() if runs or not line.startswith(('INSERT INTO "runs"', 'INSERT INTO "codebooks"'))]
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()
    finally:
        db.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    path = tmp_path / "p.db"
    assert invoke("ingest", good, "-p", path, "--id-col", "id").exit_code == 0
    return path


def _xlsx(tmp: Path, name: str, build: Callable) -> Path:
    wb = openpyxl.Workbook()
    build(wb)
    path = tmp / name
    wb.save(path)
    return path


def _merged_header(wb):
    ws = wb.active
    ws.append(["id", "Comments", None])
    ws.merge_cells("B1:C1")
    ws.append(["m1", "Too many emails during induction.", None])
    ws.append(["m2", "Office is far away.", None])


def _sheets_formulas_dates(wb):
    ws = wb.active
    ws.title = "Cover"
    ws.append(["This workbook holds the staff survey"])
    data = wb.create_sheet("Answers")
    data.append(["id", "answer", "when", "total"])
    data.append(["s1", "Pay was wrong twice.", dt.datetime(2021, 6, 1), "=1+1"])
    data.append(["s2", "=CONCAT(\"a\",\"b\")", dt.date(2021, 6, 2), 3])  # formula with no saved value
    data.append(["s3", dt.datetime(2021, 6, 3, 9, 30), None, None])  # a date where an answer should be


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


def _truncated_sheet_xlsx(tmp: Path) -> Path:
    src = _xlsx(tmp, "src.xlsx", _merged_header)
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    path = tmp / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data[: len(data) // 2] if name == "xl/worksheets/sheet1.xml" else data)
    return path


def _entity_bomb_xlsx(tmp: Path) -> Path:
    """A workbook whose sheet XML declares entities that expand to a billion "lol"s."""
    src = _xlsx(tmp, "src.xlsx", lambda wb: wb.active.append(["answer"]) or wb.active.append(["hello"]))
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    entities = b"".join(b'<!ENTITY l%d "%s">' % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, 10))
    sheet = parts["xl/worksheets/sheet1.xml"].split(b"?>", 1)[-1].replace(b"hello", b"&l9;")
    parts["xl/worksheets/sheet1.xml"] = b'<!DOCTYPE x [<!ENTITY l0 "lol">' + entities + b"]>" + sheet
    path = tmp / "bomb.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


# (name, make(tmp) -> (file, extra args), exit code, words in the message, rows rejected or None)
FILES: list[tuple[str, Callable[[Path], tuple[Path, list[str]]], int, tuple[str, ...]]] = [
    ("empty file", lambda t: (_write(t, "e.csv", b""), []), 1, ("is empty (0 bytes)",)),
    ("blank file", lambda t: (_write(t, "b.csv", b" \n\n  \n"), []), 1, ("holds only blank space",)),
    ("header only", lambda t: (_write(t, "h.csv", b"id,answer\n"), []), 1, ("header row but no data rows",)),
    ("PDF renamed .csv", lambda t: (_write(t, "pdf.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), []), 1,
     ("not a text file", "PDF")),
    ("ZIP renamed .csv", lambda t: (_write(t, "zip.csv", _zip_bytes()), []), 1, ("ZIP archive", ".xlsx extension")),
    ("binary noise", lambda t: (_write(t, "noise.csv", bytes(range(256)) * 8), []), 1, ("not a text file",)),
    ("commas in a .tsv", lambda t: (_write(t, "c.tsv", GOOD.replace("g", "t").encode()), []), 1,
     ("separated by commas", "Rename it to .csv")),
    ("unbalanced quotes", lambda t: (_write(t, "q.csv", b'id,answer\n1,"never closed\n2,b\n3,c\n'), []), 1,
     ("Row 2 opens a quoted answer", "never closed")),
    ("Latin-1 read as UTF-8", lambda t: (_write(t, "l.csv", "id,answer\n1,café naïve\n".encode("latin-1")),
                                         ["--encoding", "utf-8"]), 1, ("cannot be decoded as utf-8", "cp1252")),
    ("unknown encoding name", lambda t: (_write(t, "u.csv", b"id,answer\n1,x\n"), ["--encoding", "klingon"]), 1,
     ("not an encoding",)),
    ("blank and duplicate headers", lambda t: (_write(t, "d.csv", b"id,answer,answer,\n1,a,b,c\n2,d,e,f\n"),
                                              ["--text-col", "answer.3"]), 1, ("Did you mean 'answer.2'",)),
    ("password-protected XLSX", lambda t: (_write(t, "enc.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)),
                                          []), 1, ("password-protected",)),
    ("corrupt XLSX", lambda t: (_write(t, "bad.xlsx", b"PK\x03\x04" + bytes(300)), []), 1, ("damaged",)),
    ("XLSX cut short inside a sheet", lambda t: (_truncated_sheet_xlsx(t), ["--text-col", "Comments"]), 1,
     ("damaged",)),
    ("XLSX with no such sheet", lambda t: (_xlsx(t, "s.xlsx", _sheets_formulas_dates), ["--sheet", "Nope"]), 1,
     ("no sheet called 'Nope'", "'Answers'")),
    ("XLSX whose first sheet is empty", lambda t: (_xlsx(t, "e.xlsx", lambda wb: wb.create_sheet("Data").append(["a"])),
                                                   []), 1, ("sheet 'Sheet' of e.xlsx is empty", "'Data'")),
    ("XLSX with an entity bomb", lambda t: (_entity_bomb_xlsx(t), []), 1, ("damaged",)),
    ("unsupported extension", lambda t: (_write(t, "x.docx", b"PK\x03\x04"), []), 1, ("cannot be read",)),
]

PARTIAL: list[tuple[str, Callable[[Path], tuple[Path, list[str]]], str, dict[str, int]]] = [
    ("ragged rows", lambda t: (_write(t, "r.csv", b"id,answer\n1,fine\n2,two,extra,cells\n3\n4,fine too\n"),
                               ["--id-col", "id"]), "4 rows read = 2 with quotes + 2 rejected", {"unreadable_row": 2}),
    ("semicolon delimiter", lambda t: (_write(t, "s.csv", b"id;answer\n1;hello, there\n2;more\n"), []),
     "2 rows read = 2 with quotes + 0 rejected", {}),
    ("NUL bytes", lambda t: (_write(t, "n.csv", b"id,answer\n" + b"".join(
        b"%d,an answer with a stray\x00 byte in row %d\n" % (i, i) for i in range(20))), []),
     "20 rows read = 20 with quotes + 0 rejected", {}),
    ("mixed line endings", lambda t: (_write(t, "m.csv", b"id,answer\r\n1,one\n2,two\r3,three\r\n"), []),
     "3 rows read = 3 with quotes + 0 rejected", {}),
    ("duplicate ids", lambda t: (_write(t, "i.csv", b"id,answer\n1,a\n1,b\n2,c\n,d\n"), ["--id-col", "id"]),
     "4 rows read = 2 with quotes + 2 rejected", {"duplicate_id": 1, "missing_id": 1}),
    ("blank and duplicate headers, named", lambda t: (_write(t, "d.csv", b"id,answer,answer,\n1,a,b,c\n2,,e,f\n"),
                                                      ["--text-col", "answer", "--text-col", "answer.2"]),
     "2 rows read = 2 with quotes + 0 rejected", {}),
    ("a 10 MB cell", lambda t: (_write(t, "big.csv", b'id,answer\n1,"' + b"word " * 2_000_000 + b'"\n2,small\n'), []),
     "2 rows read = 2 with quotes + 0 rejected", {}),
    ("JSONL: bad and absurdly nested lines", lambda t: (_write(t, "j.jsonl", b'{"text": "fine"}\n{"text": oops}\n'
                                                               + b"[" * 100_000 + b"]" * 100_000 + b"\n[1]\n"), []),
     "4 rows read = 1 with quotes + 3 rejected", {"unreadable_row": 3}),
    ("XLSX merged header cells", lambda t: (_xlsx(t, "mh.xlsx", _merged_header), ["--text-col", "Comments"]),
     "2 rows read = 2 with quotes + 0 rejected", {}),
    ("XLSX sheets, formulas, dates", lambda t: (_xlsx(t, "f.xlsx", _sheets_formulas_dates),
                                                ["--sheet", "Answers", "--id-col", "id"]),
     "3 rows read = 2 with quotes + 1 rejected", {"empty_answer": 1}),
]


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, code, words", [c[1:] for c in FILES], ids=[c[0] for c in FILES])
def test_bad_file_stops_and_changes_nothing(tmp_path, project, make, code, words):
    before = _state(project)
    path, extra = make(tmp_path)
    result = invoke("ingest", path, "-p", project, *extra)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for word in words:
        assert word.lower() in " ".join(result.output.split()).lower(), result.output
    assert _state(project) == before
    # ... and on a fresh project nothing is created at all.
    fresh = tmp_path / "fresh.db"
    assert invoke("ingest", path, "-p", fresh, *extra).exit_code == code
    assert not fresh.exists() and not Path(f"{fresh}-wal").exists()


@pytest.mark.parametrize("make, line, reasons", [c[1:] for c in PARTIAL], ids=[c[0] for c in PARTIAL])
def test_partly_bad_file_ingests_the_rest_and_accounts_for_every_row(tmp_path, project, make, line, reasons):
    path, extra = make(tmp_path)
    result = invoke("ingest", path, "-p", project, *extra, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["files"][0]
    assert report["rejects_by_reason"] == reasons
    rows, rest = line.split(" rows read = ")
    assert report["rows_read"] == int(rows)
    assert f"{report['responses']} with quotes + {report['rejected']} rejected" == rest
    doctor = invoke("doctor", "-p", project)
    assert doctor.exit_code == 0, doctor.output


def test_nul_bytes_are_removed_and_the_text_kept(tmp_path, project):
    invoke("ingest", _write(tmp_path, "n.csv", b"id,answer\n1,hel\x00lo\n"), "-p", project)
    db = sqlite3.connect(project)
    texts = {r[0] for r in db.execute("SELECT text FROM quotes")}
    assert "hello" in texts


def test_xlsx_dates_and_formulas_become_text_not_errors(tmp_path):
    path = _xlsx(tmp_path, "f.xlsx", _sheets_formulas_dates)
    project = tmp_path / "x.db"
    result = invoke("ingest", path, "-p", project, "--sheet", "Answers", "--id-col", "id", "--attr-col", "when")
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(project)
    rows = dict(db.execute("SELECT response_id, text FROM quotes"))
    assert rows == {"s1": "Pay was wrong twice.", "s3": "2021-06-03 09:30:00"}
    detail = db.execute("SELECT detail FROM rejects").fetchone()[0]
    assert "blank" in detail


# -- codebooks -------------------------------------------------------------------

BASE = {"name": "T", "version": "1.0.0", "codes": [{"id": "a", "label": "A", "definition": "d",
                                                     "rules": {"any": ["caseload"]}}]}


def _book(tmp: Path, text: str) -> Path:
    path = tmp / "book.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _codes(*codes: dict) -> str:
    return yaml.safe_dump({**BASE, "codes": list(codes)})


BOOKS = [
    ("YAML syntax error", "name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: [A\n", ("not valid YAML at line",)),
    ("duplicate id", _codes({"id": "a", "label": "A", "definition": "d"}, {"id": "a", "label": "B", "definition": "d"}),
     ("code id 'a' is already used",)),
    ("parent cycle", _codes({"id": "a", "label": "A", "definition": "d", "parent": "b"},
                            {"id": "b", "label": "B", "definition": "d", "parent": "a"}), ("parents form a loop",)),
    ("invalid regex", _codes({"id": "a", "label": "A", "definition": "d", "rules": {"regex": ["(unclosed"]}}),
     ("invalid regular expression", "regex -> 0")),
    ("nested-repeat regex", _codes({"id": "a", "label": "A", "definition": "d", "rules": {"regex": ["(a+)+b"]}}),
     ("repeats a group that itself repeats",)),
    ("billion laughs (YAML aliases)", "name: T\nversion: 1.0.0\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
     + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)) + "codes: [*a8]\n",
     ("through YAML aliases",)),
    ("python object tag", "name: !!python/object/apply:os.system ['echo hacked']\nversion: 1.0.0\ncodes: []\n",
     ("yaml",)),
]


@pytest.mark.parametrize("text, words", [b[1:] for b in BOOKS], ids=[b[0] for b in BOOKS])
def test_bad_codebook_is_refused_before_coding(tmp_path, project, text, words):
    book = _book(tmp_path, text)
    result = invoke("codebook", "validate", book)
    assert result.exit_code == 1, result.output
    for word in words:
        assert word.lower() in " ".join(result.output.split()).lower(), result.output
    before = _state(project)
    coded = invoke("code", "-c", book, "-p", project)
    assert coded.exit_code == 1 and "Traceback" not in coded.output
    assert _state(project) == before  # refused before a run was even recorded


def test_catastrophic_regex_missed_by_validation_is_stopped_by_a_time_limit(tmp_path, project, monkeypatch):
    from probation_themes.coding import engine

    monkeypatch.setattr(engine, "REGEX_SECONDS", 0.2)
    _write(tmp_path, "a.csv", b"id,answer\nx1," + b"a" * 40 + b"\n")
    invoke("ingest", tmp_path / "a.csv", "-p", project)
    book = _book(tmp_path, _codes({"id": "a", "label": "A", "definition": "d", "rules": {"regex": ["(a|aa)+c"]}}))
    assert invoke("codebook", "validate", book).exit_code == 0  # overlapping alternatives are not caught statically
    before = _state(project, runs=False)
    started = time.perf_counter()
    result = invoke("code", "-c", book, "-p", project, "--jobs", "1")
    assert time.perf_counter() - started < 20
    assert result.exit_code == 1, result.output
    assert "backtracks catastrophically" in " ".join(result.output.split())
    assert _state(project, runs=False) == before  # only the run log says a coding run failed
    assert invoke("doctor", "-p", project).exit_code == 0


@pytest.mark.slow  # about 35 s, most of it parsing 10,000 codes of YAML
def test_ten_thousand_codes_validate_and_code_in_reasonable_time(tmp_path, project):
    codes = [{"id": f"c{i}", "label": f"Code {i}", "definition": "d",
              "rules": {"any": [f"term{i}", f"word{i} phrase"]}} for i in range(10_000)]
    codes[0]["rules"]["any"].append("caseload")
    book = _book(tmp_path, yaml.safe_dump({**BASE, "codes": codes}, sort_keys=False))
    started = time.perf_counter()
    assert invoke("codebook", "validate", book).exit_code == 0
    result = invoke("code", "-c", book, "-p", project, "--jobs", "1", "--json")
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 60
    assert json.loads(result.stdout)["per_code"] == {"c0": 1}
