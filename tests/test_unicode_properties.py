"""Arbitrary Unicode survives ingest -> store -> report/export -> re-import, and evidence offsets hold.

Text is drawn from every category except unpaired surrogates (which a file cannot hold;
escaped surrogate sequences such as "\\ud83d" are included as plain text), with combining
marks, right-to-left scripts, emoji and control characters mixed in on purpose.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import ftfy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import Codebook
from probation_themes.coding.rules import RulesCoder
from probation_themes.export.safety import FORMULA_PREFIXES
from probation_themes.ingest.clean import _FIX_ENCODING_ONLY, strip_controls
from probation_themes.models import Quote

runner = CliRunner()

SPICE = st.sampled_from(
    ["\u0301", "\u0308", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u200f", "\u202e",
     "\U0001f600", "\U0001f469\u200d\U0001f4bb", "\\ud83d", "\\u0000", "\x07", "\x1b", "\u2028", "\ufeff",
     "\u00a0", "\u0130", "\u00df", "\ufb01", "\"", ",", ";", "\t"]
)
TEXT = st.lists(st.one_of(st.characters(blacklist_categories=("Cs",)), SPICE), min_size=1, max_size=25).map("".join)


def _expected(text: str) -> str:
    """What ingest promises to keep: the text without control characters other than tab and line ends."""
    return strip_controls(text).replace("\r\n", "\n").replace("\r", "\n")


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT, rid=TEXT)
def test_unicode_survives_ingest_store_report_export_and_reimport(tmp_path_factory, text, rid):
    answer, response_id = _expected(text), _expected(rid).replace("\n", " ").replace("\t", " ")
    assume(answer.strip() == answer and answer and not answer.isspace() and "\ufeff" not in answer)
    assume(response_id.strip() == response_id and response_id and "\ufeff" not in response_id)
    assume(ftfy.fix_text(answer, _FIX_ENCODING_ONLY) == answer)
    tmp = tmp_path_factory.mktemp("u")
    survey = _write(tmp / "u.csv", [["id", "answer"], [response_id, f"caseload {answer}"]])
    project = tmp / "p.db"
    result = runner.invoke(app, ["ingest", str(survey), "-p", str(project), "--id-col", "id", "--text-col", "answer"])
    assert result.exit_code == 0, result.output
    [(stored_id, stored)] = sqlite3.connect(project).execute("SELECT response_id, text FROM quotes").fetchall()
    assert (stored_id, stored) == (response_id, f"caseload {answer}")

    book = tmp / "book.yaml"
    book.write_text("name: T\nversion: 1.0.0\ncodes:\n  - {id: workload, label: Workload, definition: d, "
                    "rules: {any: [caseload]}}\n", encoding="utf-8")
    assert runner.invoke(app, ["code", "-c", str(book), "-p", str(project), "-j", "1"]).exit_code == 0

    report = tmp / "r.csv"
    assert runner.invoke(app, ["report", "-p", str(project), "--format", "csv", "-o", str(report)]).exit_code == 0
    themed = next(r for r in csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))) if r.get("text"))
    assert themed["text"] == f"caseload {answer}"

    exported = tmp / "codings.csv"
    assert runner.invoke(app, ["export", "codings", "-p", str(project), "-o", str(exported)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    shown_id = rows[0]["response_id"]
    assert shown_id == response_id or (response_id.startswith(FORMULA_PREFIXES) and shown_id == "'" + response_id)
    if shown_id == response_id:  # a formula-guarded id is changed on purpose and cannot be matched back
        imported = runner.invoke(app, ["import-codings", str(exported), "--coder", "other", "-p", str(project),
                                       "-c", str(book), "--json"])
        assert imported.exit_code == 0, imported.output
        assert json.loads(imported.stdout)["codings"] == 1


@settings(max_examples=200, deadline=None)
@given(before=TEXT, after=TEXT, term=st.sampled_from(["caseload", "workload", "IT support", "Überstunden"]))
def test_rule_evidence_offsets_always_slice_the_matched_words(before, after, term):
    book = Codebook.model_validate({"name": "T", "version": "1.0.0", "codes": [
        {"id": "a", "label": "A", "definition": "d",
         "rules": {"any": [term.lower()], "regex": [r"\bover(?:time|worked)\b"]}}]})
    text = f"{before} {term} {after} overtime"
    coder = RulesCoder().fit(book)
    [coding] = coder.predict([Quote(quote_id="q", response_id="r", text=text, source="s", row=2)])
    assert coding.evidence
    for e in coding.evidence:
        assert text[e.start:e.end] == e.text
    assert any(e.text.casefold() == term.casefold() for e in coding.evidence)
    assert any(e.text == "overtime" for e in coding.evidence)
