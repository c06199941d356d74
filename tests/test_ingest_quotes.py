"""Quotation extraction, sentence and paragraph splitting, region and organisation aliases."""

from __future__ import annotations

import csv
import io

import pytest

from probation_themes.ingest import (
    REGIONS,
    IngestOptions,
    extract_quotes,
    normalise_org,
    normalise_region,
    read_file,
)
from probation_themes.ingest.quotes import parse_attribution
from probation_themes.ingest.split import paragraphs, sentences

# Written for these tests in the style of an inspectorate's themed quote table:
# narrative paragraphs around attributed quotations, with the irregularities
# that real published text has.
REPORT = """\
Workload and culture

Respondents from every region wrote about the pace of change. Several former CRC staff said they felt like “the poor relation” of the new service, and a few used the phrase "two tribes" without prompting (see chapter 4).
“Nobody asked what we already knew. I had led a team for six years and was told to shadow a PSO.” (Greater Manchester, CRC)
“The e-learning was endless... modules on top of modules, and no time set aside to do them.” (Kent, Surrey and Sussex, CRC)
“Allocation felt one-sided. The hardest cases went to people who had never held them before.” (London NPS)
“Legacy CRC still gets treated as the "add on" to the real service, and it shows in who gets the interesting work.” (West Midlands, CRC
“My manager said ‘just get on with it’ when I raised my workload…it is not sustainable.” (Yorkshire and the Humber, NPS)
"Straight quotes are what our intranet produces." (North West, NPS)
“I’m glad we are one service again.” (Wales, NPS) “The laptops arrived late but work well now.” (South Central, Other)
The inspectorate notes that these views are not representative of all staff (HMI Probation, 2021).
“Too many emails; I stopped reading them after the second week.” (East of England (EoE), legacy NPS)
Some respondents were “cautiously optimistic” about the year ahead, while others described a “two-speed” service (31 per cent).
"""

EXPECTED = [
    (
        "Nobody asked what we already knew. I had led a team for six years and was told to shadow a PSO.",
        "Greater Manchester",
        "CRC",
    ),
    (
        "The e-learning was endless... modules on top of modules, and no time set aside to do them.",
        "Kent, Surrey and Sussex",
        "CRC",
    ),
    (
        "Allocation felt one-sided. The hardest cases went to people who had never held them before.",
        "London",
        "NPS",
    ),
    (
        'Legacy CRC still gets treated as the "add on" to the real service, and it shows in who gets '
        "the interesting work.",
        "West Midlands",
        "CRC",
    ),
    (
        "My manager said ‘just get on with it’ when I raised my workload…it is not sustainable.",
        "Yorkshire and the Humber",
        "NPS",
    ),
    ("Straight quotes are what our intranet produces.", "North West", "NPS"),
    ("I’m glad we are one service again.", "Wales", "NPS"),
    ("The laptops arrived late but work well now.", "South Central", "Other"),
    ("Too many emails; I stopped reading them after the second week.", "East of England", "NPS"),
]


def test_extract_quotes_finds_every_attributed_quotation_and_nothing_else():
    found = extract_quotes(REPORT)
    assert [(q.text, q.region, q.org) for q in found] == EXPECTED


def test_extracted_offsets_point_at_the_quote_text():
    for quote in extract_quotes(REPORT):
        assert REPORT[quote.start : quote.end] == quote.text
        assert quote.text[0] not in "“\"" and quote.text[-1] not in "”\""


def test_extract_quotes_keeps_the_attribution_as_written():
    by_text = {q.text[:20]: q.attribution for q in extract_quotes(REPORT)}
    assert by_text["Allocation felt one-"] == "London NPS"
    assert by_text["Legacy CRC still get"] == "West Midlands, CRC"
    assert by_text["Too many emails; I s"] == "East of England (EoE), legacy NPS"


@pytest.mark.parametrize(
    "narrative",
    [
        "Staff described themselves as “second class” in the new structure.",
        "The phrase “us and them” came up often (see annex B).",
        'Some called it a "merger of unequals" (n=41).',
        "It was “too early to tell” (HMI Probation, 2021).",
        "Staff called the split a “bolt on” (CRC and NPS alike) and were tired.",
        "No quotation here at all, just (London) in brackets.",
    ],
)
def test_narrative_is_not_a_quotation(narrative):
    assert extract_quotes(narrative) == []


def test_unclosed_bracket_followed_by_narrative_on_the_same_line():
    text = "“We were never asked.” (North East, NPS and the rest of this line is narrative.\n"
    [quote] = extract_quotes(text)
    assert (quote.text, quote.region, quote.org) == ("We were never asked.", "North East", "NPS")


def test_organisation_first_and_extra_parts_after_the_organisation():
    text = "“One.” (NPS, South West) “Two.” (East Midlands, legacy CRC, PSO)"
    assert [(q.text, q.region, q.org) for q in extract_quotes(text)] == [
        ("One.", "South West", "NPS"),
        ("Two.", "East Midlands", "CRC"),
    ]


def test_unknown_region_with_a_known_organisation_is_kept_verbatim():
    [quote] = extract_quotes("“Different rules here.” (Isle of Man, Other)")
    assert (quote.region, quote.org) == ("Isle of Man", "Other")


def test_quotation_wrapped_over_two_lines_and_nested_curly_quotes():
    text = "“They called it a “merger” but it\nfelt like a takeover.”\n(South West, CRC)"
    [quote] = extract_quotes(text)
    assert quote.text == "They called it a “merger” but it\nfelt like a takeover."
    assert quote.region == "South West"


def test_document_split_quote_reads_each_quotation_as_its_own_quote(tmp_path):
    path = tmp_path / "annual_report.txt"
    path.write_text(REPORT, encoding="utf-8")
    result = read_file(path, IngestOptions(split="quote"))
    assert result.rows_read == 1 and result.rejects == []
    assert [(q.text, q.region, q.org) for q in result.quotes] == EXPECTED
    assert [q.quote_id for q in result.quotes][:2] == ["annual_report:1.1", "annual_report:1.2"]
    assert [q.position for q in result.quotes] == list(range(len(EXPECTED)))
    assert all(q.question is None and q.row == 1 for q in result.quotes)


def test_document_without_quotations_is_a_no_quotes_found_reject(tmp_path):
    path = tmp_path / "narrative.md"
    path.write_text("# Findings\n\nStaff felt “tired” (see above).\n", encoding="utf-8")
    result = read_file(path, IngestOptions(split="quote"))
    assert result.quotes == []
    assert [(r.reason, r.row) for r in result.rejects] == [("no_quotes_found", 1)]
    assert result.rows_read == result.responses_with_quotes + len(result.rejects)


# --- sentences and paragraphs -------------------------------------------------


def _texts(text, spans):
    return [text[start:end] for start, end in spans]


def test_sentence_splitter_respects_abbreviations_decimals_ellipses_and_quotes():
    text = (
        "Caseloads rose, e.g. to 60 cases. Mr. Patel agreed. It was 2.5 times worse... and nobody "
        "noticed! She said “I quit.” Then she left. Really? Yes, i.e. twice."
    )
    assert _texts(text, sentences(text)) == [
        "Caseloads rose, e.g. to 60 cases.",
        "Mr. Patel agreed.",
        "It was 2.5 times worse... and nobody noticed!",
        "She said “I quit.”",
        "Then she left.",
        "Really?",
        "Yes, i.e. twice.",
    ]


def test_sentences_do_not_cross_paragraphs():
    text = "First point without a stop\n\nSecond point. Third point"
    assert _texts(text, sentences(text)) == ["First point without a stop", "Second point.", "Third point"]


def test_paragraphs_split_on_blank_lines_or_else_on_lines():
    blank = "One\nstill one.\n\n  Two.  \n \nThree."
    assert _texts(blank, paragraphs(blank)) == ["One\nstill one.", "Two.", "Three."]
    lines = "One.\nTwo.\nThree."
    assert _texts(lines, paragraphs(lines)) == ["One.", "Two.", "Three."]
    assert paragraphs("   ") == []


# --- region and organisation aliases -----------------------------------------


def test_there_are_twelve_regions_and_each_canonical_name_is_known():
    assert len(REGIONS) == 12 == len(set(REGIONS))
    for region in REGIONS:
        assert normalise_region(region) == (region, True)
        assert normalise_region(f"  {region.upper()} ") == (region, True)


@pytest.mark.parametrize(
    ("alias", "region"),
    [
        ("NE", "North East"),
        ("north-east", "North East"),
        ("NW", "North West"),
        ("Yorkshire & Humber", "Yorkshire and the Humber"),
        ("Yorkshire and the Humber region", "Yorkshire and the Humber"),
        ("Manchester", "Greater Manchester"),
        ("E. Midlands", "East Midlands"),
        ("West Mids", "West Midlands"),
        ("East of England (EoE)", "East of England"),
        ("Cymru", "Wales"),
        ("the South West", "South West"),
        ("South Central Region", "South Central"),
        ("KSS", "Kent, Surrey and Sussex"),
        ("Kent Surrey & Sussex", "Kent, Surrey and Sussex"),
        ("Greater London", "London"),
        ("N West", "North West"),
        ("N. West", "North West"),
        ("N.West", "North West"),
        ("N East", "North East"),
        ("N. East", "North East"),
        ("W Mids", "West Midlands"),
        ("W. Mids", "West Midlands"),
        ("E Mids", "East Midlands"),
        ("Yorks & Humber", "Yorkshire and the Humber"),
        ("Yorks and Humber", "Yorkshire and the Humber"),
        ("Yorks. & the Humber region", "Yorkshire and the Humber"),
        ("S West", "South West"),
        ("S. Central", "South Central"),
        ("Gtr. Manchester", "Greater Manchester"),
    ],
)
def test_region_aliases(alias, region):
    assert normalise_region(alias) == (region, True)


def test_every_region_is_reachable_from_an_alias_other_than_its_name():
    aliases = ["NE", "NW", "Y&H", "GM", "EM", "WM", "EoE", "Cymru", "SW", "SC", "KSS", "LDN"]
    reached = {normalise_region(alias)[0] for alias in aliases}
    assert reached == set(REGIONS)


@pytest.mark.parametrize(
    ("alias", "org"),
    [
        ("CRC", "CRC"),
        ("Community Rehabilitation Company", "CRC"),
        ("former CRC", "CRC"),
        ("Legacy CRC", "CRC"),
        ("ex-CRC", "CRC"),
        ("CRC (legacy)", "CRC"),
        ("nps", "NPS"),
        ("National Probation Service", "NPS"),
        ("legacy NPS", "NPS"),
        ("ex NPS", "NPS"),
        ("Neither", "Other"),
        ("New to the service", "Other"),
        ("other", "Other"),
        ("HMPPS", "Other"),
        ("Prison Service", "Other"),
        ("Purple Futures", "CRC"),
        ("Interserve", "CRC"),
        ("Seetec", "CRC"),
        ("KSS CRC", "CRC"),
        ("Sodexo", "CRC"),
        ("Sodexo Justice Services", "CRC"),
        ("Working Links", "CRC"),
        ("MTC Novo", "CRC"),
        ("MTCnovo", "CRC"),
        ("ARCC", "CRC"),
        ("Durham Tees Valley CRC", "CRC"),
        ("Cheshire and Greater Manchester CRC (CGM CRC)", "CRC"),
        ("CGM CRC", "CRC"),
        ("Thames Valley CRC", "CRC"),
        ("Bristol Gloucestershire Somerset and Wiltshire CRC (BGSW)", "CRC"),
        ("BGSW", "CRC"),
        ("Dorset Devon and Cornwall CRC (DDC)", "CRC"),
        ("Northumbria CRC", "CRC"),
        ("Wales CRC", "CRC"),
        ("London CRC", "CRC"),
        ("CRC (Purple Futures)", "CRC"),
        ("CRC (any owner at all)", "CRC"),
        ("Hampshire & IoW CRC", "CRC"),
        ("Community Rehabilitation Company (Sodexo)", "CRC"),
        ("HMPPS Wales", "NPS"),
        ("Wales NPS", "NPS"),
        ("NPS Wales", "NPS"),
        ("NPS - Midlands division", "NPS"),
        ("National Probation Service (Wales)", "NPS"),
        ("Neither CRC nor NPS", "Other"),
    ],
)
def test_org_aliases(alias, org):
    assert normalise_org(alias) == (org, True)


@pytest.mark.parametrize("value", ["CRC and NPS", "NPS/CRC", "non-CRC", "Not NPS", "Probation Trust", "SCRCC"])
def test_values_naming_both_or_neither_organisation_stay_unknown(value):
    assert normalise_org(value) == (value, False)


def test_south_east_is_not_a_probation_region():
    # The nearest region is Kent, Surrey and Sussex, but guessing would misplace people.
    for value in ("South East", "SE", "S. East", "South-East region"):
        assert normalise_region(value) == (value, False)


@pytest.mark.parametrize(
    "value",
    [
        "Prefer not to say",
        "prefer not to say",
        "Rather not say",
        "N/A",
        "NA",
        "n/a",
        "Unknown",
        "Don't know",
        "Don’t know",
        "Not stated",
        "-",
        " -- ",
        "?",
    ],
)
def test_non_answers_are_not_given(value):
    assert normalise_region(value) == (None, False)
    assert normalise_org(value) == (None, False)


def test_non_answers_are_blank_and_not_reported_as_unknown(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "id,region,org,text\n"
        "1,Prefer not to say,N/A,One\n"
        "2,-,Don't know,Two\n"
        "3,South East,Seetec,Three\n"
        "4,W. Mids,Unknown,Four\n",
        encoding="utf-8",
    )
    result = read_file(path, IngestOptions(id_col="id", region_col="region", org_col="org"))
    assert [(q.region, q.org) for q in result.quotes] == [
        (None, None),
        (None, None),
        ("South East", "CRC"),
        ("West Midlands", None),
    ]
    assert result.unknown_regions == {"South East": 1}
    assert result.unknown_orgs == {}


def test_unknown_values_are_kept_verbatim_and_blanks_are_none():
    assert normalise_region("  Isle   of Man ") == ("Isle of Man", False)
    assert normalise_org("Probation Trust") == ("Probation Trust", False)
    assert normalise_region("   ") == (None, False)
    assert normalise_org(None) == (None, False)


# --- attributions when report text is split by paragraph or sentence ------------

ATTRIBUTED = (
    "Staff views\n\n"
    "Many felt unheard. “Nobody asked what we knew. I had led a team for years.” (Greater Manchester, CRC) "
    "Others were positive.\n\n"
    "“I’m glad we are one service.” (Wales, NPS) “The laptops arrived late.” (South Central, Other)\n\n"
    "“They called it a merger.”\n(South West, CRC)\n\n"
    "Nobody listens to us\n\n(London NPS)\n\n"
    "“Too many emails. Far too many.” – (Atlantis, CRC)\n"
)


def _read(tmp_path, name, text, split, **options):
    path = tmp_path / name
    if isinstance(text, list):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(text)
        text = buffer.getvalue()
    path.write_text(text, encoding="utf-8")
    result = read_file(path, IngestOptions(split=split, **options))
    assert result.rows_read == result.responses_with_quotes + len(result.rejects)
    return result


def test_sentences_take_their_quotations_attribution_and_lose_it_from_the_text(tmp_path):
    result = _read(tmp_path, "report.txt", ATTRIBUTED, "sentence")
    assert [(q.text, q.region, q.org) for q in result.quotes] == [
        ("Staff views", None, None),
        ("Many felt unheard.", None, None),
        ("“Nobody asked what we knew.", "Greater Manchester", "CRC"),
        ("I had led a team for years.”", "Greater Manchester", "CRC"),
        ("Others were positive.", None, None),
        ("“I’m glad we are one service.”", "Wales", "NPS"),
        ("“The laptops arrived late.”", "South Central", "Other"),
        ("“They called it a merger.”", "South West", "CRC"),
        ("Nobody listens to us", "London", "NPS"),
        ("“Too many emails.", "Atlantis", "CRC"),
        ("Far too many.”", "Atlantis", "CRC"),
    ]
    assert all(ATTRIBUTED[q.start : q.end] == q.text for q in result.quotes)
    assert [q.position for q in result.quotes] == list(range(len(result.quotes)))
    # One quotation of two sentences is one unknown region, not two.
    assert result.unknown_regions == {"Atlantis": 1} and result.unknown_orgs == {}


def test_paragraphs_take_their_quotations_attribution_and_lose_it_from_the_text(tmp_path):
    result = _read(tmp_path, "report.md", ATTRIBUTED, "paragraph")
    assert [(q.text, q.region, q.org) for q in result.quotes] == [
        ("Staff views", None, None),
        (
            "Many felt unheard. “Nobody asked what we knew. I had led a team for years.”",
            "Greater Manchester",
            "CRC",
        ),
        ("Others were positive.", None, None),
        ("“I’m glad we are one service.”", "Wales", "NPS"),
        ("“The laptops arrived late.”", "South Central", "Other"),
        ("“They called it a merger.”", "South West", "CRC"),
        ("Nobody listens to us", "London", "NPS"),
        ("“Too many emails. Far too many.”", "Atlantis", "CRC"),
    ]
    assert all(ATTRIBUTED[q.start : q.end] == q.text for q in result.quotes)


def test_the_inspectorate_report_split_into_sentences_keeps_no_attribution(tmp_path):
    result = _read(tmp_path, "annual_report.txt", REPORT, "sentence")
    texts = [q.text for q in result.quotes]
    for quote in extract_quotes(REPORT):
        assert not any(quote.attribution in text for text in texts), quote.attribution
        # A passage of a quotation spans its quote marks, one character either side.
        inside = [q for q in result.quotes if quote.start - 1 <= q.start and q.end <= quote.end + 1]
        assert inside and all((q.region, q.org) == (quote.region, quote.org) for q in inside)
    assert not any(text.startswith("(") for text in texts)
    narrative = [q for q in result.quotes if q.text.startswith("The inspectorate notes")]
    assert [(q.region, q.org) for q in narrative] == [(None, None)]
    assert all(REPORT[q.start : q.end] == q.text for q in result.quotes)


def test_split_cells_fall_back_to_the_region_and_org_columns(tmp_path):
    text = [
        ["id", "region", "org", "text"],
        ["1", "Wales", "NPS", "Busy. “I quit.” (London, CRC) Then I left."],
        ["2", "Wales", "NPS", "“Only a quotation.” (London)"],
        ["3", "Wales", "NPS", "“Nothing but an attribution” has words; (London) alone does not"],
    ]
    options = {"id_col": "id", "region_col": "region", "org_col": "org"}
    result = _read(tmp_path, "cells.csv", text, "sentence", **options)
    assert [(q.quote_id, q.text, q.region, q.org) for q in result.quotes] == [
        ("1:1.1", "Busy.", "Wales", "NPS"),
        ("1:1.2", "“I quit.”", "London", "CRC"),
        ("1:1.3", "Then I left.", "Wales", "NPS"),
        ("2:1.1", "“Only a quotation.”", "London", "NPS"),
        ("3:1.1", "“Nothing but an attribution” has words; (London) alone does not", "Wales", "NPS"),
    ]


def test_an_answer_of_nothing_but_an_attribution_is_an_empty_answer(tmp_path):
    rows = [["id", "text"], ["1", "(London, CRC)"], ["2", "Fine."]]
    result = _read(tmp_path, "only.csv", rows, "paragraph", id_col="id")
    assert [q.text for q in result.quotes] == ["Fine."]
    assert [(r.row, r.reason) for r in result.rejects] == [(2, "empty_answer")]
    assert "only attributions" in result.rejects[0].detail


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("London CRC", ("London", "CRC")),
        ("NPS Wales", ("Wales", "NPS")),
        ("North East NPS", ("North East", "NPS")),
        ("N. West, NPS", ("North West", "NPS")),
        ("London, Purple Futures", ("London", "CRC")),
        ("Durham Tees Valley CRC", (None, "CRC")),
        ("Prefer not to say, CRC", (None, "CRC")),
        ("mostly CRC staff", None),
        ("CRC and NPS alike", None),
        ("31 per cent", None),
    ],
)
def test_parse_attribution(raw, parsed):
    assert parse_attribution(raw) == parsed
