"""Personal details written with characters that look like the plain ones: no-break and other
Unicode spaces, full-width letters and digits, and invisible format characters (zero-width
spaces and joiners, soft hyphens, a stray BOM) are found as the plain forms are, and the
placeholder covers the whole detail, invisible characters included."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.ingest.redact import Redactor, matching_view
from probation_themes.ingest.scrub import Scrubber

runner = CliRunner()


@pytest.mark.parametrize("text, expected", [
    ("Mr\u00a0Smith was rude", "[NAME] was rude"),
    ("Call Mr\u200bSmith today", "Call [NAME] today"),
    ("Mr Sm\u200bith helped", "[NAME] helped"),
    ("Mr\u2060Jones and Mr\ufeffJones", "[NAME] and [NAME]"),
    ("Ｍｒ Ｓｍｉｔｈ was rude", "[NAME] was rude"),
    ("Zebedee\u00a0Quaintance and Zebe\u200bdee Quaintance", "[NAME] and [NAME]"),
    ("mail jane.doe\u200b@justice.gov.uk now", "mail [EMAIL] now"),
    ("mail ｊａｎｅ＠ｊｕｓｔｉｃｅ．ｇｏｖ．ｕｋ now", "mail [EMAIL] now"),
    ("jane\u00a0dot\u00a0doe\u00a0at\u00a0gov\u00a0dot\u00a0uk", "[EMAIL]"),
    ("ring ０７７００ ９００１２３ please", "ring [PHONE] please"),
    ("ring 07700\u00a0900123 or 07700\u202f900\u2009123", "ring [PHONE] or [PHONE]"),
    ("ring 0770\u200b0900123 or +44\u00a07700\u00a0900123", "ring [PHONE] or [PHONE]"),
    ("at SW1A\u00a01AA or ＳＷ１Ａ １ＡＡ", "at [POSTCODE] or [POSTCODE]"),
    ("NI AB\u00a012\u00a034\u00a056\u00a0C", "NI [NI NUMBER]"),
    ("CRN X\u200b123456", "[CASE REF]"),
])
def test_disguised_details_are_replaced_whole(text, expected):
    assert Redactor(["Zebedee Quaintance"]).redact(text)[0] == expected


def test_offsets_point_at_the_placeholders_in_the_text_as_written():
    text = "ﬁne: Ｍｒ\u00a0Ｓｍｉｔｈ, ０７７００\u200b９００１２３."
    new, found = Redactor().redact(text)
    assert new == "ﬁne: [NAME], [PHONE]."
    for r in found:
        assert new[r.start:r.end] in ("[NAME]", "[PHONE]")
    assert [text[r.old_start:r.old_end] for r in found] == ["Ｍｒ\u00a0Ｓｍｉｔｈ", "０７７００\u200b９００１２３"]


def test_the_matching_view_maps_every_character_back():
    text = "a\u200bＢ\u00a0ﬁ"
    view, origin = matching_view(text)
    assert view == "aB fi" and origin == [0, 2, 3, 4, 4, 5]
    assert matching_view("plain ascii") == ("plain ascii", [])


def test_words_of_a_disguised_detail_are_cleaned_from_other_copies():
    redactor = Redactor()
    scrubber = Scrubber(redactor, [("name", "Mr Okon\u200bkwo"), ("phone", "０７７００ ９１８２７３")], set())
    assert scrubber.terms("okonkwo caseload 918273") == "[NAME] caseload [PHONE]"


def test_a_long_run_of_spaces_or_invisible_characters_is_read_in_linear_time():
    redactor = Redactor()
    for text in ("x" + " " * 200_000 + "y", "\u200b" * 200_000, "\t" * 200_000):
        started = time.perf_counter()
        redactor.redact(text)
        assert time.perf_counter() - started < 5, repr(text[:3])


def test_ingest_redact_stores_no_disguised_detail_in_any_table(tmp_path: Path):
    survey = tmp_path / "s.csv"
    survey.write_text(
        "id,answer\n"
        "1,Caseloads are high; Mr\u00a0Okonkwo knows.\n"
        "2,Ring ０７７００ ９１８２７３ about the IT.\n"
        "3,Mail quarmby\u200b@probation.gov.uk about training.\n"
        'bad,"Mr\u00a0Okonkwo again",extra\n',
        encoding="utf-8",
    )
    project = tmp_path / "p.db"
    result = runner.invoke(app, ["ingest", str(survey), "-p", str(project), "--id-col", "id", "--redact"])
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(project)
    leaks = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for column in [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]:
            for (value,) in db.execute(f'SELECT "{column}" FROM "{table}"'):
                plain = matching_view(value)[0].casefold() if isinstance(value, str) else ""
                leaks += [(table, column, n) for n in ("okonkwo", "07700", "918273", "quarmby") if n in plain]
    db.close()
    assert leaks == []
