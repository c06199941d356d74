"""Our REFI-QDA and codebook files as other programs read them, with those programs' own code where it installs.

- pyrefiqda (a REFI-QDA parser, in the test extra): reads our .qdpx, writes its own,
  and import-codings reads that back.
- pyqdpx (reads selections the way QualCoder does: coder and date from the selection,
  the first coding only): used where it imports (it needs Python 3.12).
- Taguette's own codebook import and export (in the test extra; the test skips only
  where Taguette is not installed).
- QualCoder does not install from the package registry; its "Import plain text codes
  list" format (no header, ``Category>>Code`` paths, the memo second) is read here as
  that importer reads it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from coded_survey import coded_survey

from probation_themes.codebook import Codebook, load_codebook
from probation_themes.codebook.dialects import codebook_to_dialect_csv
from probation_themes.codebook.qdc import unfold_description
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.review import write_memo
from cli_helpers import PROJECT_XSD, invoke, resave_with_pyrefiqda

ROOT = Path(__file__).resolve().parents[1]
ANN_AT = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
BOB_AT = datetime(2024, 3, 2, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def reviewed(tmp_path: Path) -> Path:
    """A coded project in which ann and bob accepted codings on different days and wrote memos."""
    project, _book = coded_survey(tmp_path, [
        ["a1", "London", "CRC", "PO", "My caseload is far too high and my laptop is slow."],
        ["a2", "Wales", "NPS", "PSO", "The new laptops keep crashing."],
        ["a3", "Wales", "NPS", "PO", "Caseloads are fine."],
        ["a4", "London", "NPS", "PO", "Fine as it is."],
    ])
    with Project.open(project, create=False) as proj:
        for quote_id, code, coder, at in [
            ("a1:1.1", "workload", "ann", ANN_AT), ("a1:1.1", "ict", "bob", BOB_AT), ("a2:1.1", "ict", "bob", BOB_AT),
        ]:
            proj.record_decision(Decision(quote_id=quote_id, code=code, decision="accept", coder=coder,
                                          decided_at=at, suggestion_method="rules"))
        write_memo(proj, "a1:1.1", "", "Two complaints in one answer.", coder="ann", at=ANN_AT)
        write_memo(proj, "a2:1.1", "ict", "Hardware, not software.", coder="bob", at=BOB_AT)
        write_memo(proj, "a4:1.1", "", "Nothing to code here.", coder="ann", at=ANN_AT)
    return project


def _export(project: Path, out: Path) -> Path:
    result = invoke("export", "qdpx", "-o", out, "-p", project, "--status", "accepted")
    assert result.exit_code == 0, result.output
    assert "3 memos as notes" in result.output
    return out


def test_pyrefiqda_reads_coder_date_and_memo_on_every_selection(reviewed: Path, tmp_path: Path):
    pyrefiqda = pytest.importorskip("pyrefiqda.refiproject")
    path = _export(reviewed, tmp_path / "p.qdpx")
    project = pyrefiqda.RefiProject.load(path, extract_dir=str(tmp_path / "x"))
    users = {u.guid: u.name for u in project.users.user}
    assert sorted(users.values()) == ["ann", "bob"]
    notes = {n.guid: n.plain_text_content for n in project.notes.note}
    seen = []
    for source in project.sources.text_source:
        for selection in source.plain_text_selection:
            codings = selection.coding
            assert len(codings) <= 1  # one selection per coding, as NVivo and QualCoder write them
            when = str(selection.creation_date_time)
            seen.append((selection.name, codings[0].code_ref.target_guid if codings else None,
                         users[selection.creating_user], when[:16],
                         [notes[r.target_guid] for r in selection.note_ref],
                         [notes[r.target_guid] for c in codings for r in c.note_ref]))
    assert sorted((name, user, when, sel, cod) for name, _code, user, when, sel, cod in seen) == [
        ("a1:1.1", "ann", "2024-03-01T09:30", ["Two complaints in one answer."], []),
        ("a1:1.1", "bob", "2024-03-02T14:00", [], []),
        ("a2:1.1", "bob", "2024-03-02T14:00", [], ["Hardware, not software."]),
        ("a4:1.1", "ann", "2024-03-01T09:30", ["Nothing to code here."], []),  # a memo on an uncoded quote
    ]


def test_round_trip_through_pyrefiqda_gives_back_each_coders_codings(reviewed: Path, tmp_path: Path):
    pytest.importorskip("pyrefiqda.refiproject")
    theirs = resave_with_pyrefiqda(_export(reviewed, tmp_path / "ours.qdpx"), tmp_path)
    for coder, expected in (("ann", {("a1:1.1", "workload")}), ("bob", {("a1:1.1", "ict"), ("a2:1.1", "ict")})):
        result = invoke("import-codings", theirs, "--coder", coder, "-p", reviewed)
        assert result.exit_code == 0, result.output
        assert f"only the codings of {coder}" in result.output
        assert f"coded on {'2024-03-01' if coder == 'ann' else '2024-03-02'}" in result.output
        with Project.open(reviewed, create=False) as proj:
            assert proj.coder_codings(coder).positives == expected
    # Agreement of the two reviewers, from the file that went through the other program.
    result = invoke("agree", "--coder", "import:ann", "--coder", "import:bob", "-p", reviewed, "--bootstrap", "0")
    assert result.exit_code == 0, result.output


def test_pyqdpx_takes_coder_and_code_from_each_selection(reviewed: Path, tmp_path: Path):
    try:
        import pyqdpx
    except (ImportError, SyntaxError):  # pyqdpx 0.1 is written for Python 3.12 and later
        pytest.skip("pyqdpx is not installed or does not run on this Python")
    path = _export(reviewed, tmp_path / "p.qdpx")
    qde = pyqdpx.QDPX(str(path)).get_project()
    found = sorted(
        (sel.code.name, sel.user.name, sel.text)
        for source in qde.sources.values() for sel in source.coded_selections.values()
    )
    assert found == [
        ("High workloads", "ann", "My caseload is far too high and my laptop is slow."),
        ("ICT", "bob", "My caseload is far too high and my laptop is slow."),
        ("ICT", "bob", "The new laptops keep crashing."),
    ]


def test_split_quote_reports_give_each_quote_its_own_case(tmp_path: Path):
    report = tmp_path / "report.md"
    report.write_text(
        "“Caseloads are far too high.” (Greater Manchester, CRC)\n\n"
        "“The laptops crash.” (Wales, NPS)\n\n"
        "“My caseload doubled.” (Greater Manchester, CRC)\n",
        encoding="utf-8",
    )
    project = tmp_path / "r.db"
    assert invoke("ingest", report, "--split", "quote", "-p", project).exit_code == 0
    book = ROOT / "codebooks" / "probation_unification.yaml"
    assert invoke("code", "-c", book, "-p", project).exit_code == 0
    out = tmp_path / "bundle"
    assert invoke("export", "nvivo", "-o", out, "-p", project).exit_code == 0
    with zipfile.ZipFile(out / "project.qdpx") as archive:
        root = PROJECT_XSD.to_dict(archive.read("project.qde").decode("utf-8"))
        texts = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("sources/")}
    variables = {v["@guid"]: v["@name"] for v in root["Variables"]["Variable"]}
    cases = {c["@name"]: {variables[v["VariableRef"]["@targetGUID"]]: v["TextValue"] for v in c["VariableValue"]}
             for c in root["Cases"]["Case"]}
    assert cases == {
        "report (Greater Manchester, CRC)": {"Region": "Greater Manchester", "Organisation": "CRC"},
        "report (Wales, NPS)": {"Region": "Wales", "Organisation": "NPS"},
    }
    by_name = {s["@name"]: texts["sources/" + s["@plainTextPath"].removeprefix("internal://")]
               for s in root["Sources"]["TextSource"]}
    assert by_name["report (Wales, NPS)"] == "The laptops crash."
    with (out / "classification.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1:] == [["report (Greater Manchester, CRC)", "Greater Manchester", "CRC"],
                        ["report (Wales, NPS)", "Wales", "NPS"]]
    with (out / "coded_quotes.csv").open(encoding="utf-8-sig", newline="") as fh:
        quotes = list(csv.DictReader(fh))
    assert [q["case"] for q in quotes] == ["report (Greater Manchester, CRC)", "report (Wales, NPS)",
                                           "report (Greater Manchester, CRC)"]
    # The split documents still import back as the report's codings.
    result = invoke("import-codings", out / "project.qdpx", "--coder", "nvivo", "-p", project)
    assert result.exit_code == 0, result.output
    with Project.open(project, create=False) as proj:
        assert proj.coder_codings("nvivo").positives == {(c.quote_id, c.code) for c in proj.codings()}


def test_nvivo_coded_quotes_carry_the_memos(reviewed: Path, tmp_path: Path):
    out = tmp_path / "bundle"
    assert invoke("export", "nvivo", "-o", out, "-p", reviewed, "--status", "accepted").exit_code == 0
    with (out / "coded_quotes.csv").open(encoding="utf-8-sig", newline="") as fh:
        memos = {row["quote_id"]: row["memo"] for row in csv.DictReader(fh)}
    assert memos == {"a1:1.1": "Two complaints in one answer.", "a2:1.1": "ICT: Hardware, not software.",
                     "a3:1.1": "", "a4:1.1": "Nothing to code here."}


# -- codebook tables ------------------------------------------------------------------------------

BOOK = Codebook.model_validate({"name": "mini", "version": "1.0.0", "codes": [
    {"id": "workload", "label": "High workloads", "definition": "Caseloads and hours.\nAlso overtime.",
     "include": ["caseloads", "two\nlines"], "exclude": ["pay"], "examples": ["“Too many cases”"]},
    {"id": "ict", "label": "ICT", "definition": "Laptops and software."},
    {"id": "laptops", "label": "Laptops", "parent": "ict", "definition": "Laptops only."},
]})


def _qualcoder_reads(text: str) -> tuple[dict[str, tuple[str | None, str]], set[str]]:
    """What QualCoder's "Import plain text codes list" makes of a .csv: codes (category, memo) and categories.

    As its importer does: every row is a code, ``>>`` separates categories from the code
    (the last part), the second column is the memo.
    """
    codes: dict[str, tuple[str | None, str]] = {}
    categories: set[str] = set()
    for row in csv.reader(io.StringIO(text)):
        if not row or not row[0].strip():
            continue
        parts = [p.strip() for p in row[0].split(">>")]
        categories.update(parts[:-1])
        codes[parts[-1]] = (parts[-2] if len(parts) > 1 else None, row[1] if len(row) > 1 else "")
    return codes, categories


def test_qualcoder_plain_text_codes_list_keeps_every_code_definition_and_category():
    codes, categories = _qualcoder_reads(codebook_to_dialect_csv(BOOK, "qualcoder"))
    assert set(codes) == {"High workloads", "ICT", "Laptops"}  # no code called "code" from a header
    assert categories == {"ICT"} and codes["Laptops"][0] == "ICT"
    for code in BOOK.codes:
        fields = unfold_description(codes[code.label][1])
        assert fields["definition"] == code.definition and fields["id"] == code.id
        assert fields.get("include", []) == code.include


def test_bundled_codebook_as_qualcoder_list(tmp_path: Path):
    book = load_codebook(ROOT / "codebooks" / "probation_unification.yaml")
    codes, _ = _qualcoder_reads(codebook_to_dialect_csv(book, "qualcoder"))
    assert len(codes) == len(book.codes)
    assert all(unfold_description(memo)["definition"] == book.get(unfold_description(memo)["id"]).definition
               for _cat, memo in codes.values())


def test_taguette_imports_our_codebook_and_keeps_every_description_on_one_line(tmp_path: Path):
    import_codebook = pytest.importorskip("taguette.import_codebook")
    taguette_export = pytest.importorskip("taguette.export")
    validate = pytest.importorskip("taguette.validate")
    book = load_codebook(ROOT / "codebooks" / "probation_unification.yaml")
    data = codebook_to_dialect_csv(book, "taguette").encode("utf-8")
    tags = import_codebook.list_tags(io.BytesIO(data))
    assert len(tags) == len(book.codes)
    for tag, code in zip(tags, book.codes):
        validate.tag_path(tag["path"])
        validate.description(tag["description"])
        # The confirm form shows it in <input type="text">, whose value loses line breaks.
        shown = tag["description"].replace("\r", "").replace("\n", "")
        assert shown == tag["description"]
        fields = unfold_description(shown)
        assert fields["id"] == code.id
        assert fields["definition"] == " ".join(code.definition.split())
        assert fields.get("include", []) == [" ".join(e.split()) for e in code.include]
    # Taguette's own codebook export, read back.
    saved = io.StringIO()
    taguette_export.codebook_csv(
        [SimpleNamespace(path=t["path"], description=t["description"], highlights_count=0, documents_count=0)
         for t in tags], saved,
    )
    rows = list(csv.DictReader(io.StringIO(saved.getvalue())))
    assert [unfold_description(r["description"])["id"] for r in rows] == book.ids


def test_every_selection_names_its_coder_and_date_and_every_coder_is_a_user(reviewed: Path, tmp_path: Path):
    path = _export(reviewed, tmp_path / "p.qdpx")
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("project.qde").decode("utf-8")
    PROJECT_XSD.validate(xml)
    root = PROJECT_XSD.to_dict(xml)
    users = {u["@guid"]: u["@name"] for u in root["Users"]["User"]}
    selections = [s for source in root["Sources"]["TextSource"] for s in source.get("PlainTextSelection", [])]
    assert selections
    for selection in selections:
        assert selection["@creatingUser"] in users and selection["@creationDateTime"]
        for coding in selection.get("Coding", []):
            assert (coding["@creatingUser"], coding["@creationDateTime"]) == (
                selection["@creatingUser"], selection["@creationDateTime"])
    notes = {n["@guid"]: (users[n["@creatingUser"]], n["PlainTextContent"]) for n in root["Notes"]["Note"]}
    assert sorted(notes.values()) == [("ann", "Nothing to code here."), ("ann", "Two complaints in one answer."),
                                      ("bob", "Hardware, not software.")]
