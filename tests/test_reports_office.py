"""Word and Excel reports: read back with python-docx and openpyxl; LibreOffice converts the .docx where installed."""

from __future__ import annotations

import csv
import shutil
import subprocess
import time
from pathlib import Path

import docx
import openpyxl
import pytest

from probation_themes.codebook import Codebook, save_codebook
from probation_themes.export.xlsx_report import MAX_SHEET_NAME, sheet_name
from cli_helpers import invoke

LONG = "Leadership, communication and how change was managed: part one"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    survey = tmp_path / "survey.csv"
    rows = [["id", "region", "org", "q1"]]
    rows += [[f"c{i}", "London", "CRC", "My caseload is far too high."] for i in range(6)]
    rows += [["n1", "Wales", "NPS", "=HYPERLINK(\"x\") my caseload\nsecond line"], ["n2", "Wales", "NPS", "All fine."]]
    with survey.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    path = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", path, "--id-col", "id", "--region-col", "region", "--org-col", "org",
                  "--text-col", "q1").exit_code == 0
    book = tmp_path / "book.yaml"
    save_codebook(Codebook.model_validate({"name": "mini", "version": "1.0.0", "codes": [
        {"id": "workload", "label": LONG, "definition": "d", "rules": {"any": ["caseload*"]}},
        {"id": "workload_two", "label": LONG + " [two]", "definition": "d", "rules": {"any": ["caseload*"]}},
        {"id": "ict", "label": "ICT", "definition": "d", "rules": {"any": ["laptop*"]}},
    ]}), book)
    assert invoke("code", "--codebook", book, "-p", path).exit_code == 0
    return path


def test_sheet_names_are_short_safe_and_unique():
    taken: set[str] = set()
    names = [sheet_name(label, taken) for label in (LONG, LONG, "a/b:c*?[d]", "history", "Summary", "SUMMARY")]
    assert all(len(n) <= MAX_SHEET_NAME for n in names)
    assert len({n.casefold() for n in names}) == len(names)
    assert names[2] == "a b c d" and names[3] != "history" and names[5].endswith("(2)")


def test_docx_report_reads_back_with_quotes_attributed_and_small_cells_suppressed(project: Path, tmp_path: Path):
    out = tmp_path / "r.docx"
    result = invoke("report", "-f", "docx", "-o", out, "-p", project, "--min-cell", "3", "--by", "org,region")
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["Codes", LONG]
    quotes = [p for p in document.paragraphs if p.text.startswith("“")]
    # NPS has 2 respondents (< 3): its count is hidden, and so is CRC's (the total, 7, would give NPS's
    # back), so no quote under these themes may say which region or organisation it came from.
    assert quotes[0].text == "“My caseload is far too high.” (region and organisation withheld)"
    assert quotes[0].runs[0].italic and not quotes[0].runs[1].italic
    assert quotes[0].paragraph_format.left_indent > 0
    assert len(quotes) == 2 * 7  # seven coded quotes under each of the two workload codes
    assert any("HYPERLINK" in q.text for q in quotes)
    assert not any("Wales" in q.text or "NPS" in q.text or "London" in q.text for q in quotes)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "<3" in cells and "1" not in cells[4:]  # NPS has 2 respondents, one coded: both hidden
    invoke("report", "-f", "docx", "-o", tmp_path / "again.docx", "-p", project, "--min-cell", "3", "--by", "org,region")
    assert (tmp_path / "again.docx").read_bytes() == out.read_bytes()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_docx_to_pdf(project: Path, tmp_path: Path):
    out = tmp_path / "r.docx"
    assert invoke("report", "-f", "docx", "-o", out, "-p", project).exit_code == 0
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, timeout=180, capture_output=True)
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_xlsx_report_has_a_summary_and_one_safe_sheet_per_theme(project: Path, tmp_path: Path):
    out = tmp_path / "r.xlsx"
    result = invoke("report", "-f", "xlsx", "-o", out, "-p", project, "--min-cell", "3", "--by", "org,region")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) == 4
    assert all(len(n) <= 31 for n in book.sheetnames) and len(set(book.sheetnames)) == 4
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert summary[0][:5] == ("Code", "Label", "Quotes", "Respondents", "% of respondents")
    org = summary[0].index("Former organisation: NPS")
    # NPS (1 of 2) is small; CRC (6) is hidden too, as the theme's total (7) would give NPS's count back.
    assert summary[1][org] == "<3" and summary[1][summary[0].index("Former organisation: CRC")] == "[c]"
    theme = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    assert theme[0][0] == LONG and theme[2][0] == "Quote"
    texts = [row[0] for row in theme[3:]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)  # neutralised, not a formula
    assert all(c.data_type != "f" for ws in book for row in ws.iter_rows() for c in row)


def test_html_charts_suppress_small_cells_like_the_tables(project: Path, tmp_path: Path):
    out = tmp_path / "r.html"
    assert invoke("report", "-f", "html", "-o", out, "-p", project, "--min-cell", "3", "--by", "org,region").exit_code == 0
    page = out.read_text(encoding="utf-8")
    org_chart = page.split('id="by-org"', 1)[1].split("</table>", 1)[0]
    # NPS (2 respondents, 1 coded) for both workload codes, and CRC beside it (secondary suppression);
    # and NPS under ICT, as NPS is a group of fewer than 3.
    assert org_chart.count('class="hidden"') == 5
    assert "&lt;3 of &lt;3 respondents" in org_chart and "50%" not in org_chart
    assert "CRC: [c] of [c] respondents (–)" in org_chart  # CRC's size too: 8 - 6 would give NPS's 2


def test_office_files_do_not_depend_on_the_time_they_were_written(project: Path, tmp_path: Path):
    first = {f: tmp_path / f"one.{f}" for f in ("docx", "xlsx")}
    for f, path in first.items():
        assert invoke("report", "-f", f, "-o", path, "-p", project).exit_code == 0
    time.sleep(1.1)  # zip entries and document properties record time to the second
    for f, path in first.items():
        again = tmp_path / f"two.{f}"
        assert invoke("report", "-f", f, "-o", again, "-p", project).exit_code == 0
        assert again.read_bytes() == path.read_bytes(), f
