"""Themed quote reports: the table's figures, and its Markdown, CSV and HTML renderings."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from probation_themes.codebook import Codebook
from probation_themes.errors import ExportError
from probation_themes.export import (
    NOT_GIVEN,
    attribution_text,
    build_themed_table,
    format_share,
    render_csv,
    render_html,
    render_markdown,
)
from probation_themes.models import Coding, Evidence, Quote, Snapshot


def quote(qid: str, rid: str, text: str, region: str | None, org: str | None) -> Quote:
    return Quote(quote_id=qid, response_id=rid, text=text, source="survey.csv", row=2, region=region, org=org)


def coding(qid: str, code: str, method: str = "rules", status: str = "suggested", confidence=None) -> Coding:
    return Coding(quote_id=qid, code=code, method=method, status=status, confidence=confidence)


CODEBOOK = Codebook(
    name="Test codebook",
    version="1.0.0",
    codes=[
        {"id": "workload", "label": "High caseloads and workloads", "definition": "d", "color": "#1f77b4"},
        {"id": "ict", "label": "ICT systems and equipment", "definition": "d"},
        {"id": "laptops", "label": "Laptops", "parent": "ict", "definition": "d"},
        {"id": "positive", "label": "Positive about unification", "definition": "d"},
    ],
)

# Seven respondents; r1 gave two quotes. By organisation: CRC 2, NPS 2, Other 1, Agency 1,
# not given 1. By region: London 3, Wales 2, North East 1, not given 1.
QUOTES = [
    quote("r1:1.0", "r1", "Caseloads are far too high.", "London", "CRC"),
    quote("r1:1.1", "r1", "I work late most evenings.", "London", "CRC"),
    quote("r2:1.0", "r2", "The new laptops keep crashing.", "Wales", "CRC"),
    quote("r3:1.0", "r3", "Workload has doubled.", "London", "NPS"),
    quote("r4:1.0", "r4", "IT support never answers.", None, "NPS"),
    quote("r5:1.0", "r5", "Systems changed overnight.", "Wales", None),
    quote("r6:1.0", "r6", "Nothing to add.", "North East", "Agency"),
    quote("r7:1.0", "r7", "Glad to be back.", "London", "Other"),
]
# Deliberately not in source order: the report must follow the quotes, not the codings.
CODINGS = [
    coding("r5:1.0", "ict"),
    coding("r3:1.0", "workload", status="accepted"),
    coding("r1:1.1", "workload", "topics", confidence=0.7),
    coding("r1:1.1", "workload", "rules", confidence=0.6),
    coding("r1:1.0", "workload", confidence=0.9),
    coding("r4:1.0", "ict"),
    coding("r2:1.0", "ict"),
    coding("r2:1.0", "laptops", "rules", confidence=0.5),
]
SNAPSHOT = Snapshot(project="Staff survey 2021", quotes=QUOTES, codings=CODINGS)


def split(code_summary, group, by="org"):
    rows = code_summary.by_org if by == "org" else code_summary.by_region
    return next(s for s in rows if s.group == group)


# --- the table's figures ---------------------------------------------------------------------


def test_totals_and_group_sizes():
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    assert table.total_respondents == 7
    assert table.total_quotes == 8
    assert [(g.group, g.respondents) for g in table.respondents_by_org] == [
        ("CRC", 2), ("NPS", 2), ("Other", 1), ("Agency", 1), (NOT_GIVEN, 1),
    ]
    assert [(g.group, g.respondents) for g in table.respondents_by_region] == [
        ("London", 3), ("North East", 1), ("Wales", 2), (NOT_GIVEN, 1),
    ]


def test_code_counts_and_shares():
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    workload, ict, laptops, positive = table.codes
    assert (workload.n_quotes, workload.n_respondents) == (3, 2)
    assert workload.share_of_respondents == pytest.approx(2 / 7)
    assert (ict.n_quotes, ict.n_respondents) == (3, 3)
    assert ict.share_of_respondents == pytest.approx(3 / 7)
    assert (laptops.n_quotes, laptops.n_respondents) == (1, 1)
    assert (positive.n_quotes, positive.n_respondents, positive.share_of_respondents) == (0, 0, 0.0)


def test_org_and_region_splits():
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    workload, ict = table.codes[0], table.codes[1]
    assert [(s.group, s.n_coded, s.n_group) for s in workload.by_org] == [
        ("CRC", 1, 2), ("NPS", 1, 2), ("Other", 0, 1), ("Agency", 0, 1), (NOT_GIVEN, 0, 1),
    ]
    assert split(workload, "CRC").share == pytest.approx(0.5)
    assert split(workload, "Other").share == 0.0
    assert split(ict, NOT_GIVEN).share == pytest.approx(1.0)
    assert [(s.group, s.n_coded, s.n_group) for s in ict.by_region] == [
        ("London", 0, 3), ("North East", 0, 1), ("Wales", 2, 2), (NOT_GIVEN, 1, 1),
    ]
    assert split(workload, "London", by="region").share == pytest.approx(2 / 3)


def test_codebook_order_depth_and_zero_quote_codes():
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    assert [c.code_id for c in table.codes] == ["workload", "ict", "laptops", "positive"]
    assert [c.depth for c in table.codes] == [0, 0, 1, 0]
    assert table.codes[2].parent == "ict"
    assert table.codes[0].color == "#1F77B4" and table.codes[1].color is None


def test_quotes_follow_source_order_and_merge_methods():
    workload = build_themed_table(SNAPSHOT, CODEBOOK).codes[0]
    assert [q.quote_id for q in workload.quotes] == ["r1:1.0", "r1:1.1", "r3:1.0"]
    merged = workload.quotes[1]
    assert merged.methods == ("rules", "topics")
    assert merged.confidence == pytest.approx(0.7)
    assert merged.status == "suggested"
    assert workload.quotes[2].status == "accepted"
    assert (merged.region, merged.org, merged.response_id) == ("London", "CRC", "r1")


def test_status_shown_is_the_strongest_of_a_quotes_codings():
    snap = Snapshot(project="p", quotes=QUOTES[:1], codings=[
        coding("r1:1.0", "workload", "rules", "suggested"),
        coding("r1:1.0", "workload", "human", "accepted"),
    ])
    assert build_themed_table(snap, CODEBOOK).codes[0].quotes[0].status == "accepted"


def test_respondent_takes_first_given_org_and_region():
    quotes = [
        quote("a:1", "a", "one", None, None),
        quote("a:2", "a", "two", "Wales", "NPS"),
        quote("a:3", "a", "three", "London", "CRC"),
    ]
    table = build_themed_table(Snapshot(project="p", quotes=quotes, codings=[]), CODEBOOK)
    assert [(g.group, g.respondents) for g in table.respondents_by_org] == [("NPS", 1)]
    assert [(g.group, g.respondents) for g in table.respondents_by_region] == [("Wales", 1)]


def test_blank_org_counts_as_not_given():
    quotes = [quote("a:1", "a", "one", "  ", " "), quote("b:1", "b", "two", "Wales", "CRC")]
    table = build_themed_table(Snapshot(project="p", quotes=quotes, codings=[]), CODEBOOK)
    assert [g.group for g in table.respondents_by_org] == ["CRC", NOT_GIVEN]


def test_min_cell_suppresses_small_counts_and_every_count_of_a_small_group():
    table = build_themed_table(SNAPSHOT, CODEBOOK, min_cell=2)
    workload = table.codes[0]
    # A group of fewer than min_cell respondents shows no count at all, not even 0.
    assert [(s.group, s.n_coded, s.n_group) for s in workload.by_org] == [
        ("CRC", None, 2), ("NPS", None, 2), ("Other", None, None), ("Agency", None, None), (NOT_GIVEN, None, None),
    ]
    assert split(workload, "CRC").share is None
    assert split(workload, "Other").share is None
    assert [g.respondents for g in table.respondents_by_org] == [2, 2, None, None, None]
    # Headline counts are not split by group, so they stay.
    assert (workload.n_quotes, workload.n_respondents) == (3, 2)

    ict_wales = split(build_themed_table(SNAPSHOT, CODEBOOK, min_cell=3).codes[1], "Wales", by="region")
    assert (ict_wales.n_coded, ict_wales.n_group, ict_wales.share) == (None, None, None)
    ict_wales = split(build_themed_table(SNAPSHOT, CODEBOOK, min_cell=2).codes[1], "Wales", by="region")
    assert (ict_wales.n_coded, ict_wales.n_group, ict_wales.share) == (2, 2, 1.0)


@pytest.mark.parametrize("min_cell", [0, 1])
def test_min_cell_zero_or_one_suppresses_nothing(min_cell):
    table = build_themed_table(SNAPSHOT, CODEBOOK, min_cell=min_cell)
    assert all(s.n_coded is not None and s.n_group is not None for c in table.codes for s in c.by_org)


def test_negative_min_cell_is_an_error():
    with pytest.raises(ExportError, match="minimum cell size"):
        build_themed_table(SNAPSHOT, CODEBOOK, min_cell=-1)


def test_coding_for_unknown_code_or_quote_is_an_error():
    stray_code = Snapshot(project="p", quotes=QUOTES, codings=[coding("r1:1.0", "premises")])
    with pytest.raises(ExportError, match="'premises'"):
        build_themed_table(stray_code, CODEBOOK)
    stray_quote = Snapshot(project="p", quotes=QUOTES, codings=[coding("zz:9", "ict")])
    with pytest.raises(ExportError, match="'zz:9'"):
        build_themed_table(stray_quote, CODEBOOK)


def test_empty_project():
    table = build_themed_table(Snapshot(project="Empty", quotes=[], codings=[]), CODEBOOK)
    assert table.total_respondents == 0 and table.respondents_by_org == ()
    assert all(c.share_of_respondents == 0.0 for c in table.codes)
    assert "0 quotes from 0 respondents (0% of respondents)" in render_markdown(table)
    assert "0 quotes from 0 respondents" in render_html(table)


@pytest.mark.parametrize(
    ("share", "text"),
    [(2 / 7, "29%"), (0.5, "50%"), (0.125, "13%"), (0.0, "0%"), (1.0, "100%"), (0.001, "<1%"),
     (0.996, ">99%"), (None, "–")],
)
def test_format_share(share, text):
    assert format_share(share) == text


# --- attribution -----------------------------------------------------------------------------


def row_for(quote_id: str):
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    return next(q for c in table.codes for q in c.quotes if q.quote_id == quote_id)


@pytest.mark.parametrize(
    ("quote_id", "attribution", "expected"),
    [
        ("r1:1.0", ("region", "org"), "(London, CRC)"),
        ("r1:1.0", ("org", "region"), "(CRC, London)"),
        ("r1:1.0", ("region",), "(London)"),
        ("r1:1.0", ("org",), "(CRC)"),
        ("r1:1.0", (), ""),
        ("r4:1.0", ("region", "org"), "(NPS)"),  # r4 gave no region
        ("r5:1.0", ("region", "org"), "(Wales)"),  # r5 gave no organisation
        ("r5:1.0", ("org",), ""),
    ],
)
def test_attribution_variants(quote_id, attribution, expected):
    assert attribution_text(row_for(quote_id), attribution) == expected


def test_unknown_attribution_is_an_error():
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    for render in (render_markdown, render_html, render_csv):
        with pytest.raises(ExportError, match="'grade'"):
            render(table, attribution=("region", "grade"))


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_layout():
    md = render_markdown(build_themed_table(SNAPSHOT, CODEBOOK))
    lines = md.splitlines()
    assert lines[0] == "# Staff survey 2021: themed quotes"
    assert "8 quotes from 7 respondents." in lines[2]
    assert "CRC 2, NPS 2, Other 1, Agency 1, (not given) 1" in lines[2]
    headings = [line for line in lines if line.startswith("#")]
    assert headings[1:] == [
        "## High caseloads and workloads", "## ICT systems and equipment", "### Laptops",
        "## Positive about unification",
    ]
    workload = md.split("## High caseloads and workloads\n", 1)[1].split("\n## ", 1)[0]
    assert "3 quotes from 2 respondents (29% of respondents)" in workload
    assert "| Former organisation | Respondents coded | Respondents in group | % |" in workload
    assert "| CRC | 1 | 2 | 50% |" in workload
    assert "| Other | 0 | 1 | 0% |" in workload
    quotes = [line for line in workload.splitlines() if line.startswith(">")]
    assert quotes == [
        "> “Caseloads are far too high.” (London, CRC)",
        "> “I work late most evenings.” (London, CRC)",
        "> “Workload has doubled.” (London, NPS)",
    ]
    assert "1 quote from 1 respondent (14% of respondents)" in md
    positive = md.split("## Positive about unification\n", 1)[1]
    assert "No quotes were coded with this code." in positive
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_markdown_quotes_are_separate_blocks():
    md = render_markdown(build_themed_table(SNAPSHOT, CODEBOOK))
    assert "(London, CRC)\n\n> “I work late" in md


def test_markdown_attribution_choice():
    table = build_themed_table(SNAPSHOT, CODEBOOK)
    assert "> “Caseloads are far too high.” (CRC)\n" in render_markdown(table, attribution=("org",))
    assert "> “Caseloads are far too high.” (London)\n" in render_markdown(table, attribution=("region",))
    bare = render_markdown(table, attribution=())
    assert "> “Caseloads are far too high.”\n" in bare
    assert "(London" not in bare


def test_markdown_region_split_and_suppression_note():
    table = build_themed_table(SNAPSHOT, CODEBOOK, min_cell=2)
    md = render_markdown(table, splits=("org", "region"))
    assert "| Region | Respondents coded | Respondents in group | % |" in md
    assert "| CRC | <2 | 2 | – |" in md
    assert "| Other | <2 | <2 | – |" in md
    assert "| Wales | 2 | 2 | 100% |" in md
    assert "counts of 1 in the organisation and region splits, and every count of a group of fewer than 2" in md
    assert "are shown as <2; further counts are shown as [c]" in md
    assert "counts from 1 to 4" in render_markdown(build_themed_table(SNAPSHOT, CODEBOOK, min_cell=5))
    assert "shown as <" not in render_markdown(build_themed_table(SNAPSHOT, CODEBOOK))
    with pytest.raises(ExportError, match="'grade'"):
        render_markdown(table, splits=("grade",))


def _md_snapshot(text: str, org: str = "CRC") -> Snapshot:
    return Snapshot(
        project="p", quotes=[quote("x:1", "x", text, "London", org)], codings=[coding("x:1", "workload")]
    )


def test_markdown_keeps_structure_with_hostile_quote_text():
    text = "# Not a heading\n## Nor this\n- not a list\n1. nor this\n> nor a quote\n===\n<!-- no comment"
    md = render_markdown(build_themed_table(_md_snapshot(text), CODEBOOK))
    block = md.split("## High caseloads and workloads", 1)[1]
    quote_lines = [line for line in block.splitlines() if line.startswith(">")]
    assert quote_lines == [
        "> “# Not a heading",
        "> \\## Nor this",
        "> \\- not a list",
        "> \\1. nor this",
        "> \\> nor a quote",
        "> \\===",
        "> &lt;!-- no comment” (London, CRC)",
    ]
    assert [line for line in md.splitlines() if line.startswith("## ")] == [
        "## High caseloads and workloads", "## ICT systems and equipment", "## Positive about unification",
    ]


def test_markdown_blank_lines_inside_a_quote_stay_in_the_block():
    md = render_markdown(build_themed_table(_md_snapshot("First part.\n\n    Second part."), CODEBOOK))
    assert "> “First part.\n>\n> Second part.” (London, CRC)" in md


def test_markdown_escapes_pipes_in_table_cells_and_heading_hashes():
    md = render_markdown(build_themed_table(_md_snapshot("text", org="CRC | NPS"), CODEBOOK))
    assert "| CRC \\| NPS | 1 | 1 | 100% |" in md
    assert "> “text” (London, CRC | NPS)" in md
    book = Codebook(
        name="b", version="1.0.0", codes=[{"id": "c", "label": "Learning C #", "definition": "d"}]
    )
    snap = Snapshot(project="p", quotes=QUOTES[:1], codings=[])
    assert "## Learning C \\#\n" in render_markdown(build_themed_table(snap, book))


# --- CSV -------------------------------------------------------------------------------------


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_render_csv_rows():
    text = render_csv(build_themed_table(SNAPSHOT, CODEBOOK))
    rows = parse_csv(text)
    assert rows[0] == ["code_id", "code_label", "region", "org", "text", "method", "confidence", "status"]
    assert rows[1:4] == [
        ["workload", "High caseloads and workloads", "London", "CRC",
         "Caseloads are far too high.", "rules", "0.9", "suggested"],
        ["workload", "High caseloads and workloads", "London", "CRC",
         "I work late most evenings.", "rules; topics", "0.7", "suggested"],
        ["workload", "High caseloads and workloads", "London", "NPS",
         "Workload has doubled.", "rules", "", "accepted"],
    ]
    assert [r[0] for r in rows[1:]] == ["workload"] * 3 + ["ict"] * 3 + ["laptops"]
    assert rows[5][2:4] == ["", "NPS"]  # r4 gave no region
    assert not any("r1" in cell for row in rows for cell in row)  # no respondent ids
    assert text.count("\r\n") == len(rows)


def test_render_csv_respects_attribution_and_neutralises_formulas():
    snap = _md_snapshot("=HYPERLINK(\"http://evil\")", org="+CRC")
    rows = parse_csv(render_csv(build_themed_table(snap, CODEBOOK), attribution=("org",)))
    assert rows[1][2:5] == ["", "'+CRC", "'=HYPERLINK(\"http://evil\")"]


# --- HTML ------------------------------------------------------------------------------------

_VOID = {"meta", "br", "hr", "img", "input", "link", "rect", "source", "wbr"}


class _Checker(HTMLParser):
    """Collects tags and checks that every element is closed in the right order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(document: str) -> _Checker:
    checker = _Checker()
    checker.feed(document)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    return checker


def test_html_is_well_formed_and_self_contained():
    document = render_html(build_themed_table(SNAPSHOT, CODEBOOK), splits=("org", "region"))
    assert document.startswith("<!DOCTYPE html>")
    checker = check_html(document)
    for tag, attrs in checker.tags:
        assert tag != "link"
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
        if tag == "script":
            assert "src" not in attrs
    assert "http://" not in document and "https://" not in document
    assert "url(" not in document and "@import" not in document
    assert "@media print" in document


def test_html_escapes_quote_text():
    snap = _md_snapshot('<script>alert("x")</script> & <b>bold</b>')
    document = render_html(build_themed_table(snap, CODEBOOK))
    checker = check_html(document)
    assert [t for t, _ in checker.tags].count("script") == 1  # only the page's own filter script
    assert "b" not in [t for t, _ in checker.tags]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in document
    assert '“<script>alert("x")</script> & <b>bold</b>”' in "".join(checker.text)


def test_html_summary_sections_and_quotes():
    document = render_html(build_themed_table(SNAPSHOT, CODEBOOK))
    checker = check_html(document)
    anchors = [a["href"] for t, a in checker.tags if t == "a"]
    assert anchors == ["#code-workload", "#code-ict", "#code-laptops", "#code-positive"]
    sections = [a["id"] for t, a in checker.tags if t == "section"]
    assert sections == ["code-workload", "code-ict", "code-laptops", "code-positive"]
    assert "<h3>Laptops</h3>" in document
    text = "".join(checker.text)
    assert "3 quotes from 2 respondents (29% of respondents)" in text
    assert "“Caseloads are far too high.”(London, CRC)" in text
    quotes = [a for t, a in checker.tags if t == "blockquote"]
    assert len(quotes) == 7
    assert quotes[0] == {"class": "quote", "data-region": "London", "data-org": "CRC"}
    assert quotes[-1]["data-org"] == "CRC"  # r2's laptops quote


def test_html_bar_chart_widths_follow_shares():
    document = render_html(build_themed_table(SNAPSHOT, CODEBOOK))
    workload = document.split('id="code-workload"', 1)[1].split("</section>", 1)[0]
    bars = re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"[^>]*fill="(#[0-9A-F]{6})"', workload)
    assert bars == [("150.0", "#1F77B4"), ("150.0", "#1F77B4"), ("0.0", "#1F77B4"),
                    ("0.0", "#1F77B4"), ("0.0", "#1F77B4")]
    assert "1 of 2 (50%)" in workload


def test_html_suppressed_counts_have_no_bar():
    document = render_html(build_themed_table(SNAPSHOT, CODEBOOK, min_cell=3))
    workload = document.split('id="code-workload"', 1)[1].split("</section>", 1)[0]
    chart = workload.split("</svg>", 1)[0]
    # CRC and NPS (1 of 2 each) are suppressed, and every group is under 3: no bar, and a note says why.
    assert "<svg" not in chart.split("<table", 1)[0] and "No bars for this split" in chart
    assert "&lt;3 | &lt;3" not in workload and "&lt;3</td>" in workload
    assert "0 of &lt;3" not in workload


def test_html_filters_degrade_without_javascript_and_respect_attribution():
    document = render_html(build_themed_table(SNAPSHOT, CODEBOOK), attribution=("org",))
    checker = check_html(document)
    filters = next(a for t, a in checker.tags if a.get("id") == "filters")
    assert "hidden" in filters  # the script reveals it; without JavaScript every quote stays visible
    assert [a["name"] for t, a in checker.tags if t == "select"] == ["org"]
    assert "data-region" not in document and "London" not in document
    assert all(not a.get("hidden") and "hidden" not in a for t, a in checker.tags if t == "blockquote")
    options = [a["value"] for t, a in checker.tags if t == "option"]
    assert options == ["", "CRC", "NPS", NOT_GIVEN]  # only the groups of the quotes listed

    bare = render_html(build_themed_table(SNAPSHOT, CODEBOOK), attribution=())
    assert "<script>" not in bare and "<select" not in bare and "data-org" not in bare
    check_html(bare)


# --- determinism -----------------------------------------------------------------------------


def test_reports_are_deterministic():
    shuffled = Snapshot(project=SNAPSHOT.project, quotes=QUOTES, codings=list(reversed(CODINGS)))
    outputs = []
    for snap in (SNAPSHOT, SNAPSHOT, shuffled):
        table = build_themed_table(snap, CODEBOOK, min_cell=2)
        outputs.append((render_markdown(table).encode(), render_csv(table).encode(),
                        render_html(table, splits=("org", "region")).encode()))
    assert outputs[0] == outputs[1] == outputs[2]


def test_table_serialises_for_json_output():
    table = build_themed_table(SNAPSHOT, CODEBOOK, min_cell=2)
    data = table.model_dump(mode="json")
    assert data["codes"][0]["by_org"][0] == {"group": "CRC", "n_coded": None, "n_group": 2, "share": None,
                                             "hidden": "small", "group_hidden": ""}
    assert type(table).model_validate(data) == table


def test_report_of_inspectorate_style_quote():
    text = "CRC staff have been treated like second class citizens.....awful!"
    snap = Snapshot(
        project="Unification survey",
        quotes=[Quote(quote_id="q1:0.0", response_id="q1", text=text, source="report.txt", row=1,
                      region="London", org="CRC")],
        codings=[Coding(quote_id="q1:0.0", code="positive", method="rules",
                        evidence=[Evidence(term="second class", text="second class", start=31, end=43)])],
    )
    md = render_markdown(build_themed_table(snap, CODEBOOK))
    assert f"> “{text}” (London, CRC)" in md
