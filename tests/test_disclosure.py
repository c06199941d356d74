"""Small-cell suppression that holds: secondary suppression, withheld attributions, every output format."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coded_survey import coded_survey
from probation_themes.export.disclosure import protect_row
from cli_helpers import invoke



def solutions(values, hidden, min_cell, bounds):
    """Every assignment of the hidden cells a reader could not rule out (brute force, small rows)."""
    total = sum(values)
    shown = sum(v for v, h in zip(values, hidden) if not h)
    options = []
    for v, h, b in zip(values, hidden, bounds):
        if not h:
            options.append([v])
        elif h == "small":
            options.append(range(1, min(b, min_cell - 1) + 1))
        else:
            options.append(range(0, b + 1))
    return {combo for combo in itertools.product(*options) if sum(combo) == total and shown <= total}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=2, max_size=5), st.integers(3, 5))
def test_no_small_count_can_be_worked_out_from_the_total(values, min_cell):
    bounds = [max(values) + 3] * len(values)  # group sizes a reader knows
    hidden = protect_row(values, min_cell, bounds=bounds)
    assert all(h == "small" for v, h in zip(values, hidden) if 0 < v < min_cell)
    assert all(h != "small" for v, h in zip(values, hidden) if v == 0 or v >= min_cell)
    found = solutions(values, hidden, min_cell, bounds)
    everything = solutions(values, [h or "secondary" for h in hidden], min_cell, bounds)
    for j, h in enumerate(hidden):
        if h == "small" and len({s[j] for s in found}) == 1:
            # Pinned only where hiding every count would pin it too (the small counts alone make
            # up the total): then the total is the limit, and nothing more is hidden in vain.
            assert len({s[j] for s in everything}) == 1 and not any(x == "secondary" for x in hidden)


def test_a_single_hidden_count_gets_a_partner():
    # 3 of a theme's 40 respondents in Wales: hiding 3 alone would leave 40 - 37 = 3.
    assert protect_row([37, 3], 5) == ["secondary", "small"]
    assert protect_row([20, 17, 3], 5) == ["", "secondary", "small"]
    assert protect_row([20, 17, 3, 2], 5) == ["", "", "small", "small"]  # two small ones hide each other
    assert protect_row([20, 1], 2) == ["", "small"]  # "<2" already says 1: nothing more to protect
    assert protect_row([5, 5], 0) == ["", ""]


ANSWERS = (
    # London: 3 respondents, all on workload; Wales 12 (6 workload); North West 9, none workload.
    [[f"l{i}", "London", "NPS", "G1", "My caseload is too high."] for i in range(3)]
    + [[f"w{i}", "Wales", "CRC" if i % 2 else "NPS", "G1", "My caseload is too high." if i < 6 else "Laptops."]
       for i in range(12)]
    + [[f"n{i}", "North West", "CRC", "G2", "Laptops fail."] for i in range(9)]
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return coded_survey(tmp_path, ANSWERS)[0]


def _quotes_under(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("> ")]


def hidden_groups(section: str) -> set[str]:
    """Groups whose count of respondents coded is hidden in a theme's Markdown tables."""
    return {m.group(1) for m in re.finditer(r"^\| ([^|]+?) \| (?:<5|\[c\]) \|", section, flags=re.M)}


def test_no_listed_quote_is_attributed_to_a_suppressed_cell(project: Path, tmp_path: Path):
    out = tmp_path / "r.md"
    assert invoke("report", "-p", project, "-o", out, "--by", "region,org", "--min-cell", "5").exit_code == 0
    text = out.read_text(encoding="utf-8")
    workload = text.split("## High workloads", 1)[1].split("\n## ", 1)[0]
    assert "| London | <5 | <5 | – |" in workload
    # London (3 respondents) is small; North West's size is hidden too, or 24 - 12 - 9 would give London's 3.
    assert "| North West | [c] | [c] | – |" in workload and "| Wales | 6 | 12 | 50% |" in workload
    checked = 0
    for heading in ("## High workloads", "## ICT"):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        hidden = hidden_groups(section)
        assert hidden, heading
        for quote in _quotes_under(text, heading):
            attribution = quote.rsplit("”", 1)[1]
            assert not any(group in attribution for group in hidden), (heading, quote, hidden)
            checked += 1
    assert checked == 24
    quotes = _quotes_under(text, "## High workloads")
    assert sum("(region and organisation withheld)" in q for q in quotes) == 3  # the London three
    assert sum("(Wales; organisation withheld)" in q for q in quotes) == 6


def test_a_quote_from_a_group_under_min_cell_is_never_attributed_to_it(tmp_path: Path):
    answers = [[f"a{i}", "Wales", "CRC", "G1", "caseload"] for i in range(8)] + [["z", "London", "Other", "G1", "caseload"]]
    project = coded_survey(tmp_path, answers)[0]
    md = invoke("report", "-p", project, "-o", "-", "--min-cell", "5").stdout
    quotes = _quotes_under(md, "## High workloads")
    assert len(quotes) == 9 and not any("London" in q or "Other" in q for q in quotes)


def test_region_and_organisation_together_need_min_cell_respondents(tmp_path: Path):
    answers = ([[f"a{i}", "Wales", "CRC", "G1", "caseload"] for i in range(6)]
               + [[f"b{i}", "Wales", "NPS", "G1", "laptops"] for i in range(2)]
               + [[f"c{i}", "London", "NPS", "G1", "laptops"] for i in range(6)]
               + [[f"d{i}", "London", "CRC", "G1", "other"] for i in range(2)])
    project = coded_survey(tmp_path, answers)[0]
    md = invoke("report", "-p", project, "-o", "-", "--min-cell", "5", "--attribute", "region,org").stdout
    ict = _quotes_under(md, "## ICT")
    # 8 ict respondents: Wales 2 (hidden) and London 6, NPS 8; only 2 NPS in Wales: never "(Wales, NPS)".
    assert not any("Wales" in q for q in ict)
    assert all(q.endswith("(London, NPS)") for q in ict if "London" in q)


def test_every_format_hides_the_same_cells_and_attributions(project: Path, tmp_path: Path):
    for fmt in ("html", "docx", "xlsx", "csv", "pdf"):
        assert invoke("report", "-p", project, "-o", tmp_path / f"r.{fmt}", "--by", "region,org").exit_code == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    section = html.split('id="code-workload"', 1)[1].split("</section>", 1)[0]
    assert "London" not in section.split("<blockquote", 1)[1] and 'data-region="London"' not in html
    csv_text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert not any(line.startswith("workload,") and "London" in line for line in csv_text.splitlines())
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    theme = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    assert not any(v == "London" for row in theme[3:] for v in row)
    summary = list(book["Summary"].iter_rows(values_only=True))
    london = summary[0].index("Region: London")
    assert summary[1][london] == "<5"
    import docx
    import pypdf

    words = " ".join(p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs if p.text.startswith("“"))
    assert "London" not in words
    pdf = "".join(page.extract_text() for page in pypdf.PdfReader(tmp_path / "r.pdf").pages)
    assert "withheld" in pdf and "(London" not in pdf


def test_stats_never_prints_or_holds_a_suppressed_count(project: Path):
    text = invoke("stats", "-p", project, "--min-cell", "5", "--ci", "--by", "region").stdout
    london = [line for line in text.splitlines() if "London" in line]
    assert london and all(" 3 " not in line and "<5" in line for line in london)
    data = json.loads(invoke("stats", "-p", project, "--min-cell", "5", "--ci", "--by", "region", "--json").stdout)
    for row in data["tables"][0]["rows"]:
        for group in row["groups"]:
            for field in ("coded", "respondents"):
                assert group[field] is None or group[field] == 0 or group[field] >= 5, (row["id"], group)
            if group["coded"] is None:
                assert group["share"] is None and group["low"] is None and group["high"] is None
    plain = json.loads(invoke("stats", "-p", project, "--min-cell", "5", "--json").stdout)
    for code in plain["codes"]:
        for split in code["by_region"] + code["by_org"]:
            assert split["n_coded"] is None or split["n_coded"] == 0 or split["n_coded"] >= 5
    assert "London" in text  # the group is named; only its counts are hidden
