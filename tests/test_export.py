"""Coding exports (long and wide CSV), spreadsheet safety, file names and atomic writes."""

from __future__ import annotations

import csv
import io
import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from probation_themes.codebook import Codebook
from probation_themes.errors import ExportError
from probation_themes.export import (
    build_themed_table,
    export_codings_long,
    export_codings_wide,
    format_evidence,
    render_csv,
    safe_cell,
    safe_filename,
    write_bytes_atomic,
    write_csv_atomic,
    write_text_atomic,
)
from probation_themes.models import Coding, Evidence, Quote, Snapshot

CODEBOOK = Codebook(
    name="Test codebook",
    version="1.0.0",
    codes=[
        {"id": "workload", "label": "High caseloads and workloads", "definition": "d"},
        {"id": "ict", "label": "ICT systems and equipment", "definition": "d"},
        {"id": "wellbeing", "label": "Staff wellbeing and morale", "definition": "d"},
    ],
)


def quote(qid: str, rid: str, text: str = "text", region: str | None = "London", org: str | None = "CRC"):
    return Quote(quote_id=qid, response_id=rid, text=text, source="survey.csv", row=2, region=region, org=org)


RULE_EVIDENCE = [
    Evidence(kind="rule", rule="any", term="caseload*", text="caseloads", start=12, end=21),
    Evidence(kind="rule", rule="any", term="workload", text="workload", start=40, end=48),
]
QUOTES = [
    quote("r1:1.0", "r1", "My personal caseloads and my workload are too high."),
    quote("r1:1.1", "r1", "The laptop is slow."),
    quote("r2:1.0", "r2", "Stressed by the new systems."),
    quote("r3:1.0", "r3", "No comment."),
]
CODINGS = [
    Coding(quote_id="r2:1.0", code="wellbeing", method="rules", status="rejected", coder="ann"),
    Coding(quote_id="r2:1.0", code="ict", method="topics", confidence=0.41234,
           evidence=[Evidence(kind="topic", term="topic 3: system, laptop", weight=0.41234)]),
    Coding(quote_id="r1:1.1", code="ict", method="rules", status="accepted", confidence=1.0, coder="ann"),
    Coding(quote_id="r1:1.0", code="wellbeing", method="model", confidence=0.55,
           evidence=[Evidence(kind="model", term="too high", weight=0.2)]),
    Coding(quote_id="r1:1.0", code="workload", method="topics", confidence=0.3),
    Coding(quote_id="r1:1.0", code="workload", method="rules", confidence=0.9, evidence=RULE_EVIDENCE),
]
SNAPSHOT = Snapshot(project="p", quotes=QUOTES, codings=CODINGS)


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --- long form -------------------------------------------------------------------------------


def test_long_header_order_and_values():
    rows = parse(export_codings_long(SNAPSHOT, CODEBOOK))
    assert rows[0] == [
        "response_id", "quote_id", "code", "label", "method", "confidence", "status", "evidence",
        "coder", "decided_at", "memo", "quote_memo",
    ]
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
        ("r1:1.0", "workload", "rules"),
        ("r1:1.0", "workload", "topics"),
        ("r1:1.0", "wellbeing", "model"),
        ("r1:1.1", "ict", "rules"),
        ("r2:1.0", "ict", "topics"),
        ("r2:1.0", "wellbeing", "rules"),
    ]
    assert rows[1] == [
        "r1", "r1:1.0", "workload", "High caseloads and workloads", "rules", "0.9", "suggested",
        'caseload* → "caseloads" [12:21]; workload → "workload" [40:48]', "", "", "", "",
    ]
    assert rows[3][5:8] == ["0.55", "suggested", "too high (0.2)"]
    assert rows[4][5:8] == ["1", "accepted", ""]
    assert rows[5][5:8] == ["0.4123", "suggested", "topic 3: system, laptop (0.4123)"]
    assert rows[6][6] == "rejected"  # the long form shows every coding it is given, with its status


def test_evidence_without_offsets_or_text():
    evidence = [
        Evidence(kind="rule", rule="regex", term=r"\bOASys\b"),
        Evidence(kind="rule", term="toil", text="TOIL"),
        Evidence(kind="topic", term="topic 1"),
    ]
    assert format_evidence(evidence) == r'regex: \bOASys\b; toil → "TOIL"; topic 1'


def test_evidence_names_non_any_rules_and_shows_a_repeated_item_once():
    match = {"kind": "rule", "term": "spo", "text": "SPO", "start": 3, "end": 6}
    evidence = [Evidence(rule="any", **match), Evidence(rule="any", **match), Evidence(rule="near", **match)]
    assert format_evidence(evidence) == 'spo → "SPO" [3:6]; near: spo → "SPO" [3:6]'


def test_long_uses_crlf_and_is_deterministic():
    first = export_codings_long(SNAPSHOT, CODEBOOK)
    assert first == export_codings_long(SNAPSHOT, CODEBOOK)
    shuffled = Snapshot(project="p", quotes=QUOTES, codings=list(reversed(CODINGS)))
    assert export_codings_long(shuffled, CODEBOOK) == first
    assert first.count("\r\n") == 7 and "\n" not in first.replace("\r\n", "")


def test_long_rejects_codings_for_unknown_codes():
    ghost = Coding(quote_id="r1:1.0", code="ghost", method="rules")
    snap = Snapshot(project="p", quotes=QUOTES, codings=[ghost])
    with pytest.raises(ExportError, match="'ghost'"):
        export_codings_long(snap, CODEBOOK)


# --- wide form -------------------------------------------------------------------------------


def test_wide_header_and_values():
    rows = parse(export_codings_wide(SNAPSHOT, CODEBOOK))
    assert rows == [
        ["response_id", "workload", "ict", "wellbeing"],
        ["r1", "1", "1", "1"],
        ["r2", "0", "1", "0"],  # r2's wellbeing coding was rejected
        ["r3", "0", "0", "0"],  # a respondent with no codes still has a row
    ]


def test_wide_counts_a_code_once_any_coding_is_not_rejected():
    codings = [
        Coding(quote_id="r3:1.0", code="workload", method="rules", status="rejected"),
        Coding(quote_id="r3:1.0", code="workload", method="human", status="accepted"),
    ]
    rows = parse(export_codings_wide(Snapshot(project="p", quotes=QUOTES, codings=codings), CODEBOOK))
    assert rows[3] == ["r3", "1", "0", "0"]


def test_wide_respondents_in_first_quote_order():
    quotes = [quote("b:1", "b"), quote("a:1", "a"), quote("b:2", "b")]
    rows = parse(export_codings_wide(Snapshot(project="p", quotes=quotes, codings=[]), CODEBOOK))
    assert [r[0] for r in rows[1:]] == ["b", "a"]


# --- spreadsheet safety ----------------------------------------------------------------------

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("prefix", DANGEROUS)
def test_safe_cell_neutralises_every_formula_prefix(prefix):
    value = prefix + "1+cmd|' /C calc'!A0"
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["hello", "1.5", "", " =1", "'quoted", "Ǆ", "“=”"])
def test_safe_cell_leaves_safe_text_alone(value):
    assert safe_cell(value) == value


def test_safe_cell_converts_values():
    assert safe_cell(None) == ""
    assert safe_cell(3) == "3"
    assert safe_cell(-2) == "'-2"


@given(st.text())
def test_safe_cell_never_starts_with_a_formula_prefix(text):
    assert not safe_cell(text).startswith(tuple(DANGEROUS))


@pytest.mark.parametrize("prefix", DANGEROUS)
def test_every_csv_writer_neutralises_formulas(prefix):
    hostile = prefix + "SUM(A1:A9)"
    quotes = [quote("q:1", hostile, text=hostile, region=hostile, org=hostile)]
    codings = [Coding(quote_id="q:1", code="workload", method="rules",
                      evidence=[Evidence(term=hostile, text=hostile, start=0, end=3)])]
    snap = Snapshot(project="p", quotes=quotes, codings=codings)
    outputs = [
        render_csv(build_themed_table(snap, CODEBOOK)),
        export_codings_long(snap, CODEBOOK),
        export_codings_wide(snap, CODEBOOK),
    ]
    for output in outputs:
        for row in parse(output):
            for cell in row:
                assert not cell.startswith(tuple(DANGEROUS)), (output, cell)
        assert "'" + hostile in output


# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("High caseloads and workloads", "high-caseloads-and-workloads"),
        ("ICT systems / equipment", "ict-systems-equipment"),
        ("Café & naïve rôle", "cafe-naive-role"),
        ("../../etc/passwd", "etc-passwd"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("", "code"),
        ("***", "code"),
        ("心理健康", "code"),
        ("CON", "con-code"),
        ("lpt1", "lpt1-code"),
        ("com10", "com10"),
    ],
)
def test_safe_filename(label, expected):
    assert safe_filename(label) == expected


@given(st.text())
def test_safe_filename_is_always_a_plain_slug(label):
    name = safe_filename(label)
    assert name and len(name) <= 80
    assert all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in name)
    assert name == name.lower() and not name.startswith("-") and not name.endswith("-")
    assert name not in {"con", "prn", "aux", "nul"}


# --- writing files ---------------------------------------------------------------------------


def test_write_csv_adds_bom_and_keeps_crlf(tmp_path):
    text = export_codings_long(SNAPSHOT, CODEBOOK)
    path = write_csv_atomic(tmp_path / "codings.csv", text)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:] == text.encode("utf-8")
    assert b"\r\r\n" not in data


def test_write_text_replaces_existing_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "report.md"
    path.write_text("old", encoding="utf-8")
    write_text_atomic(path, "new “text”\n")
    assert path.read_bytes() == "new “text”\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_bytes_atomic(tmp_path / "r.html", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_into_missing_folder_is_a_clear_error(tmp_path):
    target = tmp_path / "no-such-folder" / "report.md"
    with pytest.raises(ExportError, match="no-such-folder") as info:
        write_text_atomic(target, "text")
    assert "-o" in str(info.value) and info.value.path == str(target)


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(ExportError, match="ascii"):
        write_text_atomic(path, "naïve", encoding="ascii")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ExportError) as info:
        write_text_atomic(tmp_path / "folder", "text")
    assert info.value.path == str(tmp_path / "folder")
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "report.csv"]
