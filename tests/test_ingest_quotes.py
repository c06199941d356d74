"""Quotation extraction, sentence and paragraph splitting, region and organisation aliases."""

from __future__ import annotations

import pytest

from probation_themes.ingest import (
    REGIONS,
    IngestOptions,
    extract_quotes,
    normalise_org,
    normalise_region,
    read_file,
)
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
    ],
)
def test_org_aliases(alias, org):
    assert normalise_org(alias) == (org, True)


def test_unknown_values_are_kept_verbatim_and_blanks_are_none():
    assert normalise_region("  Isle   of Man ") == ("Isle of Man", False)
    assert normalise_org("Probation Trust") == ("Probation Trust", False)
    assert normalise_region("   ") == (None, False)
    assert normalise_org(None) == (None, False)
