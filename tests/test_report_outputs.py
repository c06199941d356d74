"""Report formats and figures: Markdown without raw HTML, a real PDF, Wilson intervals, the wide export, terminal tables."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pypdf
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from coded_survey import coded_survey
from probation_themes.cli import app
from probation_themes.codebook import Codebook
from probation_themes.export import build_themed_table, render_markdown
from probation_themes.export.table import QuoteRow
from probation_themes.models import Coding, Quote, Snapshot
from probation_themes.workflows.prevalence import wilson_interval
from cli_helpers import invoke

runner = CliRunner()
HOSTILE = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3)) &amp;'


def test_markdown_passes_no_raw_html_from_quotes_labels_memos_or_attributes():
    book = Codebook(name="b", version="1.0.0", codes=[{"id": "c", "label": "Label " + HOSTILE, "definition": "d"}])
    quote = Quote(quote_id="q:1", response_id="q", text="Quote " + HOSTILE, source="s.csv", row=2,
                  region="<b>Region</b>", org="<i>Org</i>")
    table = build_themed_table(Snapshot(project="<script>p</script>", quotes=[quote],
                                        codings=[Coding(quote_id="q:1", code="c", method="rules")]), book)
    rows = table.codes[0].quotes
    table = table.model_copy(update={"codes": (table.codes[0].model_copy(update={"quotes": tuple(
        QuoteRow(**{**r.model_dump(), "memo": "memo " + HOSTILE, "quote_memo": "<style>x</style>"}) for r in rows
    )}),)})
    md = render_markdown(table, splits=("org", "region"))
    html = MarkdownIt("commonmark").render(md)
    for tag in ("<script", "<img", "<style", "<b>", "<i>", "href="):
        assert tag not in html, tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run
    assert "[click](javascript:alert(3))" in html and "&amp;amp;" in html  # the words kept literally


def test_report_pdf_is_a_real_pdf_with_the_header_and_quotes(tmp_path: Path):
    project, _ = coded_survey(tmp_path, [[f"r{i}", "Wales", "CRC", "G1", f"My caseload is too high ({i}), Łukasz."]
                                         for i in range(6)])
    pdf = tmp_path / "report.pdf"
    result = invoke("report", "-p", project, "-o", pdf)
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(pdf)
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Counts: suggestions of the rules method" in text and "High workloads" in text
    assert "My caseload is too high (0)" in text and "(Wales, CRC)" in text
    again = tmp_path / "again.pdf"
    assert invoke("report", "-p", project, "-o", again).exit_code == 0
    assert again.read_bytes() == pdf.read_bytes()  # the same project gives the same bytes
    refused = invoke("report", "-p", project, "-o", tmp_path / "x.pdf", "--format", "md")
    assert refused.exit_code == 1 and "--format pdf" in refused.output and not (tmp_path / "x.pdf").exists()


def test_wilson_intervals_are_not_empty_at_the_ends():
    low, high = wilson_interval(0, 13)
    assert low == 0 and 0.2 < high < 0.25
    low, high = wilson_interval(1, 1)
    assert 0.15 < low < 0.25 and high == 1


def test_stats_ci_shows_wilson_intervals_and_says_so(tmp_path: Path):
    answers = [[f"c{i}", "London", "CRC", "G1", "fine"] for i in range(13)] + [["n1", "Wales", "NPS", "G1", "caseload"]]
    project, _ = coded_survey(tmp_path, answers)
    text = invoke("stats", "-p", project, "--ci", "--by", "org").stdout
    assert "Wilson score 95% intervals" in text
    assert "0% (0–0)" not in text and "100% (100–100)" not in text
    assert "0% (0–23)" in text and "100% (21–100)" in text


def test_wide_export_has_region_org_and_attributes_per_respondent_or_quote(tmp_path: Path):
    answers = [[f"r{i}", "Wales" if i < 6 else "London", "CRC", "=cmd|' /C calc'!A0" if i == 0 else "G1",
                "caseload"] for i in range(8)]
    project, _ = coded_survey(tmp_path, answers)
    out = tmp_path / "wide.csv"
    assert invoke("export", "codings", "-p", project, "-o", out, "--wide").exit_code == 0
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["response_id", "region", "org", "grade", "workload", "ict"]
    assert rows[1][:4] == ["r0", "Wales", "CRC", "'=cmd|' /C calc'!A0"]  # guarded against formulas
    assert rows[7][1:5] == ["London", "CRC", "G1", "1"]
    assert invoke("export", "codings", "-p", project, "-o", out, "--wide", "--min-cell", "5",
                  "--attribute", "region,grade").exit_code == 0
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["response_id", "region", "grade", "workload", "ict"]
    assert rows[7][1] == "(fewer than 5)" and rows[1][1] == "Wales" and rows[1][2] == "(fewer than 5)"
    about = json.loads((tmp_path / "wide.csv-metadata.json").read_text(encoding="utf-8"))
    assert "fewer than 5" in about["dc:description"]
    assert invoke("export", "codings", "-p", project, "-o", out, "--wide", "--per", "quote").exit_code == 0
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["response_id", "quote_id", "question"] and rows[1][1] == "r0:1.1" and rows[1][2] == "q1"
    bad = invoke("export", "codings", "-p", project, "-o", out, "--wide", "--attribute", "shoe_size")
    assert bad.exit_code == 1 and "grade" in bad.output


def test_terminal_region_table_wraps_long_names_instead_of_cutting(tmp_path: Path):
    answers = [[f"r{i}", "Kent, Surrey and Sussex", "CRC", "G1", "caseload"] for i in range(3)]
    project, _ = coded_survey(tmp_path, answers)
    result = runner.invoke(app, ["stats", "-p", str(project), "--by", "region"], env={"COLUMNS": "80"},
                           catch_exceptions=False)
    assert "…" not in result.stdout and "Sussex" in result.stdout and "Kent, Surrey" in result.stdout
