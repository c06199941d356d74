"""Characters XML 1.0 forbids: refused in codebooks with the place named, made safe in every export.

C0 controls other than tab, line feed and carriage return, lone surrogates, U+FFFE and
U+FFFF cannot appear in an XML file at all; one of them in a quote, an attribute, a
respondent id, a coder's name or a memo would make the .qdpx, the NVivo bundle, the
.qdc or an XLSX/DOCX report unreadable by the programs meant to open it.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from lxml import etree
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.export.refiqda import schema_problems
from probation_themes.export.safety import xml_safe

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()
FORBIDDEN = "\x01\x07\x0b\x1b\x1f\ufffe\uffff"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_xml_safe_replaces_each_forbidden_character_one_for_one():
    text = "a\x00b\x08c\td\ne\rf\x1fg\ud800h\udfffi\ufffej\uffffk\u0085l"
    safe = xml_safe(text)
    assert len(safe) == len(text)
    assert safe == "a\ufffdb\ufffdc\td\ne\rf\ufffdg\ufffdh\ufffdi\ufffdj\ufffdk\u0085l"
    etree.fromstring(f"<x>{safe.replace(chr(13), '')}</x>".encode("utf-8"))  # well-formed


@pytest.mark.parametrize("place, edit", [
    ("codes -> 0 (a) -> label", lambda code: code.update(label="Bell\x07")),
    ("codes -> 0 (a) -> include -> 1", lambda code: code.update(include=["fine", "not\uffff fine"])),
    ("codes -> 0 (a) -> rules -> any -> 0", lambda code: code.update(rules={"any": ["ter\x01m"]})),
    ("codes -> 0 (a) -> definition", lambda code: code.update(definition="esc \x1b[31m red")),
])
def test_codebook_validate_names_the_place_of_a_forbidden_character(tmp_path, place, edit):
    code = {"id": "a", "label": "A", "definition": "d"}
    edit(code)
    book = tmp_path / "book.yaml"
    book.write_text(yaml.safe_dump({"name": "T", "version": "1.0.0", "codes": [code]}), encoding="utf-8")
    result = invoke("codebook", "validate", book)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert place in text and "which XML cannot carry" in text and "Traceback" not in text


@pytest.fixture
def hostile_project(tmp_path: Path) -> Path:
    """A coded project whose quotes, attributes, ids, coder name and memos hold forbidden characters."""
    rows = [
        {"id": "r1", "region": "Lon\uffffdon", "grade": "P\ufffeO", "text": "My caseload \uffff is high and the laptops crash"},
        {"id": "r\uffff2", "region": "Wales", "grade": "PO", "text": "Training \ufffe was rushed, caseload too high"},
        {"id": "r3", "region": "Wales", "grade": "SPO", "text": "Pay was wrong; my workload is unmanageable"},
    ]
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    project = tmp_path / "x.db"
    assert invoke("ingest", path, "-p", project, "--id-col", "id", "--region-col", "region",
                  "--attr-col", "grade").exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    # What older versions, other tools or a pasted memo could have left in the project.
    db = sqlite3.connect(project)
    db.execute("UPDATE quotes SET text = text || ' bell' || char(7) || char(1) WHERE response_id = 'r3'")
    db.execute("UPDATE quotes SET org = 'N' || char(27) || 'PS', attributes = ? WHERE response_id = 'r3'",
               (json.dumps({"grade": "S\x02PO"}),))
    quote_id, code = db.execute("SELECT quote_id, code FROM suggestions LIMIT 1").fetchone()
    db.execute("INSERT INTO decisions (quote_id, code, decision, coder, decided_at, memo) VALUES"
               " (?, ?, 'accept', 'an' || char(8) || 'a', '2026-01-01T10:00:00+00:00', 'memo' || char(11))",
               (quote_id, code))
    db.commit()
    db.close()
    return project


def _xml_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.endswith((".xml", ".qde", ".rels", ".txt"))}


def _well_formed(name: str, data: bytes) -> None:
    if name.endswith(".txt"):
        data.decode("utf-8")  # strict: no lone surrogates
        assert not any(ch in data.decode("utf-8") for ch in FORBIDDEN), name
        return
    etree.fromstring(data, etree.XMLParser(recover=False))


def test_every_export_stays_well_formed_and_valid(tmp_path, hostile_project):
    qdpx = tmp_path / "p.qdpx"
    result = invoke("export", "qdpx", "-o", qdpx, "-p", hostile_project)
    assert result.exit_code == 0, result.output
    parts = _xml_parts(qdpx.read_bytes())
    for name, data in parts.items():
        _well_formed(name, data)
    assert schema_problems(parts["project.qde"], "project") == []
    assert "\ufffd" in parts["project.qde"].decode("utf-8")  # the character shows where it was

    bundle = tmp_path / "nvivo"
    result = invoke("export", "nvivo", "-o", bundle, "-p", hostile_project)
    assert result.exit_code == 0, result.output
    etree.fromstring((bundle / "codebook.qdc").read_bytes())
    assert schema_problems((bundle / "codebook.qdc").read_bytes(), "codebook") == []
    for workbook in ("classification.xlsx", "coded_quotes.xlsx"):
        for name, data in _xml_parts((bundle / workbook).read_bytes()).items():
            _well_formed(name, data)
        openpyxl.load_workbook(bundle / workbook)
    for name, data in _xml_parts((bundle / "project.qdpx").read_bytes()).items():
        _well_formed(name, data)

    for fmt in ("xlsx", "docx"):
        out = tmp_path / f"r.{fmt}"
        result = invoke("report", "-p", hostile_project, "--format", fmt, "--min-cell", "0", "-o", out)
        assert result.exit_code == 0, result.output
        for name, data in _xml_parts(out.read_bytes()).items():
            _well_formed(name, data)
    openpyxl.load_workbook(tmp_path / "r.xlsx")


def test_selections_still_point_at_their_quotes_after_cleaning(tmp_path, hostile_project):
    qdpx = tmp_path / "p.qdpx"
    assert invoke("export", "qdpx", "-o", qdpx, "-p", hostile_project).exit_code == 0
    parts = _xml_parts(qdpx.read_bytes())
    root = etree.fromstring(parts["project.qde"])
    ns = {"q": "urn:QDA-XML:project:1.0"}
    texts = {name.removeprefix("sources/").removesuffix(".txt"): data.decode("utf-8")
             for name, data in parts.items() if name.startswith("sources/")}
    checked = 0
    for source in root.iterfind(".//q:TextSource", ns):
        text = texts[source.get("guid")]
        for selection in source.iterfind("q:PlainTextSelection", ns):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end].strip() and "caseload" in text[start:end] or "workload" in text[start:end]
            checked += 1
    assert checked
    # The round trip: the project's own export imports back onto the same quotes.
    result = invoke("import-codings", qdpx, "--coder", "roundtrip", "-p", hostile_project)
    assert result.exit_code == 0, result.output
