"""REFI-QDA: .qdc codebooks (ours and other programs'), .qdpx projects, schema validity, round trips, safety."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coded_survey import coded_survey

from probation_themes.codebook import Codebook, convert_codebook, load_codebook
from probation_themes.codebook.dialects import codebook_to_dialect_csv
from probation_themes.codebook.qdc import codebook_to_qdc, fold_description, unfold_description
from probation_themes.errors import CodebookError, IngestError
from probation_themes.export.refiqda import render_qdc, render_qdpx, schema_problems
from probation_themes.ingest.qdpx import read_qdpx_codings
from probation_themes.models import Coding, Quote, Snapshot
from probation_themes.store import Project
from cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "codebooks" / "probation_unification.yaml"
SCHEMAS = ROOT / "probation_themes" / "export" / "schemas"
CODEBOOK_XSD = xmlschema.XMLSchema(str(SCHEMAS / "Codebook.xsd"))
PROJECT_XSD = xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd"))

BOOK = Codebook.model_validate({"name": "mini", "version": "1.0.0", "codes": [
    {"id": "workload", "label": "High workloads", "definition": "Caseloads & hours <heavy>.",
     "include": ["caseloads", "two\nlines"], "exclude": ["pay"], "examples": ["“Too many cases” 😩"],
     "color": "#1F77B4"},
    {"id": "ict", "label": "ICT", "definition": "Laptops and software."},
    {"id": "laptops", "label": "Laptops", "parent": "ict", "definition": "Laptops only.", "color": "#00AA00"},
]})


def _without_rules(book: Codebook) -> Codebook:
    return book.model_copy(update={"codes": [c.model_copy(update={"rules": None, "seeds": []}) for c in book.codes]})


# -- codebook (.qdc) ----------------------------------------------------------------------------


def test_qdc_of_the_bundled_codebook_validates_and_reads_back(tmp_path: Path):
    book = load_codebook(BUNDLED)
    data = render_qdc(book)
    CODEBOOK_XSD.validate(data.decode("utf-8"))
    assert render_qdc(book) == data  # deterministic
    path = tmp_path / "probation_v1.1.0.qdc"
    path.write_bytes(data)
    back = load_codebook(path)
    assert back.codes == _without_rules(book).codes
    assert back.version == "1.1.0"


def test_qdc_keeps_hierarchy_colours_and_folded_fields(tmp_path: Path):
    data = codebook_to_qdc(BOOK)
    assert schema_problems(data, "codebook") == []
    text = data.decode("utf-8")
    assert 'color="#1F77B4"' in text and "&lt;heavy&gt;" in text
    assert text.index('name="Laptops"') > text.index('name="ICT"')  # nested inside its parent
    assert unfold_description(fold_description(BOOK.codes[0]))["include"] == ["caseloads", "two\nlines"]
    src = tmp_path / "mini.qdc"
    src.write_bytes(data)
    convert_codebook(src, tmp_path / "mini.yaml")
    assert load_codebook(tmp_path / "mini.yaml").codes == BOOK.codes


def test_schema_problems_name_the_place():
    bad = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="x" isCodable="true"/></Codes></CodeBook>'
    problems = schema_problems(bad, "codebook")
    assert problems == ["line 1: Element '{urn:QDA-XML:codebook:1.0}Code': The attribute 'guid' is required but missing."]


NVIVO = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
  <Codes>
    <Code guid="{A1B2C3D4-0000-4000-8000-000000000001}" name="Workload" isCodable="true" color="#FF0000">
      <Description>Comments about caseloads.</Description>
      <Code guid="{A1B2C3D4-0000-4000-8000-000000000002}" name="Overtime &amp; TOIL" isCodable="true">
        <Description>Unpaid hours.</Description>
      </Code>
    </Code>
    <Code guid="{A1B2C3D4-0000-4000-8000-000000000003}" name="Workload" isCodable="true"/>
  </Codes>
</CodeBook>
"""
ATLAS = """<?xml version="1.0" encoding="UTF-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti 23">
  <Codes>
    <Code guid="11111111-1111-4111-8111-111111111111" name="laptops crash" isCodable="true" color="#3cb44b"/>
    <Code guid="22222222-2222-4222-8222-222222222222" name="IT support" isCodable="true" color="#abc">
      <Description>Help desk and tickets.</Description>
    </Code>
    <Code guid="33333333-3333-4333-8333-333333333333" name="Ölfass 2021" isCodable="true"/>
  </Codes>
  <Sets>
    <Set guid="44444444-4444-4444-8444-444444444444" name="ICT">
      <Description>Everything about IT.</Description>
      <MemberCode guid="11111111-1111-4111-8111-111111111111"/>
      <MemberCode guid="22222222-2222-4222-8222-222222222222"/>
    </Set>
  </Sets>
</CodeBook>
"""
MAXQDA = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 2022 (Release 22.0.1)">
<Codes>
<Code guid="6E4A5D8B-5B3B-4F4C-8E4A-9C0B1F1E0A01" name="Culture" isCodable="false" color="#c80000">
<Code guid="6E4A5D8B-5B3B-4F4C-8E4A-9C0B1F1E0A02" name="Us and them" isCodable="true" color="#ff8000">
<Description>Divide between legacy groups.&#13;
Second line of the memo.</Description>
</Code>
</Code>
</Codes>
</CodeBook>
"""
QUALCODER = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="QualCoder 3.5"><Codes>
<Code guid="0b6a7c1e-3a0f-4a7b-9a59-7c3c7a8f0a11" name="Morale" isCodable="false">
<Description>Category: staff morale</Description>
<Code guid="0b6a7c1e-3a0f-4a7b-9a59-7c3c7a8f0a12" name="stress" isCodable="true" color="#F781F3"><Description>Stress and burnout</Description></Code>
<Code guid="0b6a7c1e-3a0f-4a7b-9a59-7c3c7a8f0a13" name="Stress" isCodable="true" color="#81F7D8"/>
</Code></Codes></CodeBook>
"""
TAGUETTE = """<?xml version='1.0' encoding='utf-8'?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.4.1"><Codes><Code guid="8d9c4c4e-1a55-5d2b-9b7e-4b9f7f9b1b01" name="interesting" isCodable="true"><Description>Further study</Description></Code><Code guid="8d9c4c4e-1a55-5d2b-9b7e-4b9f7f9b1b02" name="people.managers" isCodable="true"/></Codes></CodeBook>
"""


def _read(tmp_path: Path, name: str, text: str) -> Codebook:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_codebook(path)


def test_nvivo_codebook_nesting_duplicate_names_and_missing_description(tmp_path: Path):
    book = _read(tmp_path, "nvivo.qdc", NVIVO)
    assert [(c.id, c.parent, c.color) for c in book.codes] == [
        ("workload", None, "#FF0000"), ("overtime_toil", "workload", None), ("workload_2", None, None)]
    assert book.codes[0].definition == "Comments about caseloads."
    assert "No description" in book.codes[2].definition
    assert book.name == "nvivo" and book.version == "1.0.0"


def test_atlas_ti_code_groups_become_parents_and_short_colours_widen(tmp_path: Path):
    book = _read(tmp_path, "atlas.qdc", ATLAS)
    by_id = {c.id: c for c in book.codes}
    assert by_id["ict"].definition == "Everything about IT."
    assert by_id["laptops_crash"].parent == "ict" and by_id["it_support"].parent == "ict"
    assert by_id["it_support"].color == "#AABBCC"
    assert by_id["olfass_2021"].parent is None  # accents folded, id made snake_case


def test_maxqda_uncodable_parent_and_carriage_returns(tmp_path: Path):
    book = _read(tmp_path, "maxqda.qdc", MAXQDA)
    assert [(c.id, c.parent) for c in book.codes] == [("culture", None), ("us_and_them", "culture")]
    assert book.codes[1].definition == "Divide between legacy groups.\nSecond line of the memo."


def test_qualcoder_categories_and_case_only_name_clash(tmp_path: Path):
    book = _read(tmp_path, "qualcoder.qdc", QUALCODER)
    assert [c.id for c in book.codes] == ["morale", "stress", "stress_2"]
    assert {c.parent for c in book.codes[1:]} == {"morale"}


def test_taguette_flat_tags_without_colours(tmp_path: Path):
    book = _read(tmp_path, "taguette.qdc", TAGUETTE)
    assert [c.id for c in book.codes] == ["interesting", "people_managers"]
    assert all(c.color is None for c in book.codes)


@pytest.mark.parametrize("text, needle", [
    ("<CodeBook><Codes>", "not well-formed"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CodeBook>&a;</CodeBook>', "entities"),
    ("<Project/>", "not a REFI-QDA codebook"),
    ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "has no codes"),
])
def test_bad_qdc_files_are_one_paragraph_errors(tmp_path: Path, text: str, needle: str):
    with pytest.raises(CodebookError, match=needle):
        _read(tmp_path, "bad.qdc", text)


def test_codebook_csv_dialects(tmp_path: Path):
    book = BOOK.model_copy(update={"codes": [*BOOK.codes, BOOK.codes[1].model_copy(
        update={"id": "formula", "label": "=HYPERLINK(1)", "parent": None})]})
    rows = list(csv.reader(io.StringIO(codebook_to_dialect_csv(book, "maxqda"))))
    assert rows[0] == ["Code", "Memo"] and rows[3][0] == "ICT\\Laptops"
    assert rows[4][0] == "'=HYPERLINK(1)"
    rows = list(csv.reader(io.StringIO(codebook_to_dialect_csv(book, "qualcoder"))))
    # QualCoder's plain-text codes list: no header, Category>>Code paths, the memo second.
    assert rows[0][0] == "High workloads" and rows[2][0] == "ICT>>Laptops" and len(rows) == len(book.codes)
    assert rows[2][1].endswith("Code id: laptops")
    rows = list(csv.reader(io.StringIO(codebook_to_dialect_csv(book, "taguette"))))
    assert rows[0] == ["tag", "description"] and rows[3][0] == "ICT / Laptops"
    assert not any("\n" in row[1] or "\r" in row[1] for row in rows)


# -- project (.qdpx) -----------------------------------------------------------------------------


def _snapshot(texts: list[list[str]], coded: list[tuple[int, int, str]]) -> Snapshot:
    quotes = [
        Quote(quote_id=f"r{r}:1.{i}", response_id=f"r{r}", text=t, source="s.csv", row=r + 2, question="q1",
              region="London" if r % 2 else "Wales", org="CRC", attributes={"grade": "PO"})
        for r, answer in enumerate(texts) for i, t in enumerate(answer, 1)
    ]
    codings = [Coding(quote_id=f"r{r}:1.{i}", code=code, method="rules") for r, i, code in coded]
    return Snapshot(project="p", quotes=quotes, codings=codings)


def _qde(data: bytes) -> tuple[str, dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("project.qde").decode("utf-8"), {
            n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("sources/")}


def test_qdpx_validates_is_deterministic_and_offsets_cover_each_quote():
    snap = _snapshot([["Caseloads 😩 are\r\nhigh.", "IT is slow."], ["Fine."]],
                     [(0, 1, "workload"), (0, 2, "laptops"), (0, 2, "ict"), (1, 1, "ict")])
    data = render_qdpx(snap, BOOK)
    assert data == render_qdpx(snap, BOOK)
    xml, sources = _qde(data)
    PROJECT_XSD.validate(xml)
    root = PROJECT_XSD.to_dict(xml)
    first = root["Sources"]["TextSource"][0]
    text = sources["sources/" + first["@plainTextPath"].removeprefix("internal://")]
    spans = [(s["@startPosition"], s["@endPosition"]) for s in first["PlainTextSelection"]]
    # One selection per coding (as NVivo and QualCoder write them): the second quote has two codes.
    assert [text[a:b] for a, b in spans] == ["Caseloads 😩 are\r\nhigh.", "IT is slow.", "IT is slow."]
    assert spans[0] == (0, 22)  # "Caseloads 😩 are" is 15 (the emoji one), \r\n two, "high." five
    assert [len(s["Coding"]) for s in first["PlainTextSelection"]] == [1, 1, 1]
    case = root["Cases"]["Case"][0]
    assert {v["TextValue"] for v in case["VariableValue"]} == {"Wales", "CRC", "PO"}
    assert root["Users"]["User"][0]["@name"] == "rules (machine suggestion)"


def test_each_answer_is_a_document_with_its_question_and_the_case_holds_them(tmp_path: Path):
    snap = _snapshot([["Caseloads.", "Laptops."]], [(0, 1, "workload"), (0, 2, "ict")])
    snap.quotes[1] = snap.quotes[1].model_copy(update={"question": "Q2 Anything else?", "quote_id": "r0:2.1"})
    snap.codings[1] = snap.codings[1].model_copy(update={"quote_id": "r0:2.1"})
    data = render_qdpx(snap, BOOK)
    xml, _sources = _qde(data)
    root = PROJECT_XSD.to_dict(xml)
    documents = root["Sources"]["TextSource"]
    assert [d["@name"] for d in documents] == ["r0: q1", "r0: Q2 Anything else?"]
    assert [d["VariableValue"][0]["TextValue"] for d in documents] == ["q1", "Q2 Anything else?"]
    assert len(root["Cases"]["Case"][0]["SourceRef"]) == 2
    path = tmp_path / "p.qdpx"
    path.write_bytes(data)
    assert set(read_qdpx_codings(path, codebook=BOOK, quotes=snap.quotes).positives) == {
        ("r0:1.1", "workload"), ("r0:2.1", "ict")}


texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30)
answer = st.lists(st.builds(lambda a, b: (a + "\r\n" + b).strip(), texts, texts).filter(bool), min_size=1, max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(answer, min_size=1, max_size=4), data=st.data())
def test_qdpx_round_trip_with_any_unicode_and_windows_line_ends(tmp_path: Path, answers, data):
    pairs = [(r, i, code) for r, a in enumerate(answers) for i in range(1, len(a) + 1) for code in BOOK.ids]
    coded = data.draw(st.lists(st.sampled_from(pairs), unique=True))
    snap = _snapshot(answers, coded)
    path = tmp_path / "p.qdpx"
    path.write_bytes(render_qdpx(snap, BOOK))
    expected = {(f"r{r}:1.{i}", code) for r, i, code in coded}
    assert set(read_qdpx_codings(path, codebook=BOOK, quotes=snap.quotes).positives) == expected
    # As another program might write it: selections and documents named otherwise, so quotes are
    # found by their offsets and documents matched to respondents through their cases.
    xml, sources = _qde(path.read_bytes())
    xml = re.sub(r'(<PlainTextSelection guid="[^"]+" name=")', r"\1selection ", xml)
    xml = re.sub(r'(<TextSource guid="[^"]+" name=")', r"\1document ", xml)
    foreign = _zip(tmp_path / "foreign.qdpx", {"project.qde": xml.encode("utf-8"),
                                               **{n: t.encode("utf-8") for n, t in sources.items()}})
    assert set(read_qdpx_codings(foreign, codebook=BOOK, quotes=snap.quotes).positives) == expected


FOREIGN = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Survey" origin="NVivo 14">
  <CodeBook><Codes>
    <Code guid="{A0000000-0000-4000-8000-000000000001}" name="high workloads" isCodable="true"/>
    <Code guid="{A0000000-0000-4000-8000-000000000002}" name="Renamed in NVivo" isCodable="true">
      <Description>Laptops only.\n\nCode id: laptops</Description>
    </Code>
    <Code guid="{A0000000-0000-4000-8000-000000000003}" name="ICT" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{B0000000-0000-4000-8000-000000000001}" name="r0">
      <PlainTextContent>{text}</PlainTextContent>
      <PlainTextSelection guid="{C0000000-0000-4000-8000-000000000001}" name="Caseloads" startPosition="0" endPosition="9">
        <Coding guid="{D0000000-0000-4000-8000-000000000001}"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000001}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{C0000000-0000-4000-8000-000000000002}" startPosition="{laptops}" endPosition="{laptops_end}">
        <Coding guid="{D0000000-0000-4000-8000-000000000002}"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000002}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{B0000000-0000-4000-8000-000000000002}" name="r1">
      <PlainTextContent>Fine.</PlainTextContent>
      <Coding guid="{D0000000-0000-4000-8000-000000000003}"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000003}"/></Coding>
    </TextSource>
  </Sources>
</Project>
"""


def test_qdpx_from_another_program_with_windows_line_ends_and_renamed_codes(tmp_path: Path):
    snap = _snapshot([["Caseloads are high.\nEvery week.", "Laptops crash."], ["Fine."]], [])
    text = "Caseloads are high.\r\nEvery week.\r\n\r\nLaptops crash."
    start = text.index("Laptops")
    xml = FOREIGN.replace("{text}", text.replace("\r", "&#13;")).replace("{laptops}", str(start + 2))
    xml = xml.replace("{laptops_end}", str(start + 7))
    path = _zip(tmp_path / "nvivo.qdpx", {"project.qde": xml.encode("utf-8")})
    got = read_qdpx_codings(path, codebook=BOOK, quotes=snap.quotes)
    assert set(got.positives) == {("r0:1.1", "workload"), ("r0:1.2", "laptops"), ("r1:1.1", "ict")}
    assert set(got.units) == {"r0:1.1", "r0:1.2", "r1:1.1"}


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def test_unsafe_qdpx_files_are_refused(tmp_path: Path):
    snap = _snapshot([["a"]], [])
    with pytest.raises(IngestError, match="outside the archive"):
        read_qdpx_codings(_zip(tmp_path / "t.qdpx", {"../evil.txt": b"x", "project.qde": b"<Project/>"}),
                          codebook=BOOK, quotes=snap.quotes)
    with pytest.raises(IngestError, match="zip bomb"):
        read_qdpx_codings(_zip(tmp_path / "b.qdpx", {"project.qde": b"<" + b" " * 5_000_000 + b"/>"}),
                          codebook=BOOK, quotes=snap.quotes)
    laughs = b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Project>&b;</Project>'
    with pytest.raises(IngestError, match="entities"):
        read_qdpx_codings(_zip(tmp_path / "e.qdpx", {"project.qde": laughs}), codebook=BOOK, quotes=snap.quotes)
    plain = tmp_path / "plain.qdpx"
    plain.write_text("not a zip", encoding="utf-8")
    with pytest.raises(IngestError, match="not a readable"):
        read_qdpx_codings(plain, codebook=BOOK, quotes=snap.quotes)


def test_qdpx_with_unknown_codes_and_sources_explains_both(tmp_path: Path):
    other = Codebook.model_validate({"name": "o", "version": "1.0.0", "codes": [
        {"id": "morale", "label": "Morale", "definition": "d"}]})
    snap = _snapshot([["Low morale."]], [(0, 1, "workload")])
    path = tmp_path / "p.qdpx"
    path.write_bytes(render_qdpx(snap, BOOK))
    stranger = _snapshot([["Other text."]], [])
    stranger.quotes[0] = stranger.quotes[0].model_copy(update={"response_id": "zz", "quote_id": "zz:1.1"})
    with pytest.raises(IngestError) as info:
        read_qdpx_codings(path, codebook=other, quotes=stranger.quotes)
    message = str(info.value)
    assert "High workloads" in message and "match no respondent" in message and "nothing was stored" in message


# -- command line --------------------------------------------------------------------------------


@pytest.fixture
def coded_project(tmp_path: Path) -> tuple[Path, Path]:
    return coded_survey(tmp_path, [
        ["a1", "London", "CRC", "PO", "My caseload is far too high 😩.\r\nI work late every night."],
        ["a2", "Wales", "NPS", "PSO", "The new laptops keep crashing."],
        ["a3", "Wales", "NPS", "PO", "Fine as it is."],
    ])


def test_cli_exports_qdpx_and_imports_it_back_as_a_coder(coded_project, tmp_path: Path):
    project, _book = coded_project
    first, second = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    result = invoke("export", "qdpx", "-o", first, "-p", project)
    assert result.exit_code == 0, result.output
    assert "3 respondents" in result.output and "2 codings" in result.output
    assert invoke("export", "qdpx", "-o", second, "-p", project).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    PROJECT_XSD.validate(_qde(first.read_bytes())[0])
    result = invoke("import-codings", first, "--coder", "nvivo_user", "-p", project)
    assert result.exit_code == 0, result.output
    assert "qdpx" in result.output
    with Project.open(project, create=False) as proj:
        got = proj.coder_codings("nvivo_user")
        assert got.level == "quote"
        assert got.positives == {(c.quote_id, c.code) for c in proj.codings()}
        assert len(got.units) == 3


def test_cli_export_codebook_formats_and_convert_qdc(coded_project, tmp_path: Path):
    project, book = coded_project
    qdc = tmp_path / "book.qdc"
    result = invoke("export", "codebook", "-o", qdc, "-p", project)
    assert result.exit_code == 0, result.output
    CODEBOOK_XSD.validate(qdc.read_text(encoding="utf-8"))
    result = invoke("export", "codebook", "-o", tmp_path / "maxqda.csv", "--dialect", "maxqda", "--codebook", book)
    assert result.exit_code == 0 and (tmp_path / "maxqda.csv").read_text(encoding="utf-8-sig").startswith("Code,Memo")
    result = invoke("codebook", "convert", qdc, "-o", tmp_path / "back.yaml")
    assert result.exit_code == 0, result.output
    assert [c.id for c in load_codebook(tmp_path / "back.yaml").codes] == ["workload", "ict"]
    result = invoke("export", "codebook", "-o", tmp_path / "x.txt", "--codebook", book)
    assert result.exit_code == 1 and "--format" in result.output
    result = invoke("export", "qdpx", "-o", tmp_path / "x.zip", "-p", project)
    assert result.exit_code == 1 and ".qdpx" in result.output
    result = invoke("export", "qdpx", "-o", tmp_path / "x.qdpx", "--status", "rejected", "-p", project)
    assert result.exit_code == 2 and "Traceback" not in result.output  # rejected codings are never exported
