"""Coding sheets as researchers keep them: code names in Code 1..N columns, and the codebook they imply."""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest

from probation_themes.codebook import Codebook, load_codebook
from probation_themes.codebook.implied import PLACEHOLDER, CodeNames, is_implied, name_key
from probation_themes.errors import IngestError
from probation_themes.ingest.coding_sheets import choose_separator, name_columns, split_name
from probation_themes.store import Project
from probation_themes.workflows.import_codings import import_codings
from cli_helpers import invoke, write_csv


ANSWERS = [
    ["ID", "Response"],
    ["r1", "My caseload is far too high and the laptop keeps crashing."],
    ["r2", "I don't know really."],
    ["r3", "Pay was wrong after the move."],
    ["r4", ""],  # dropped at ingest: a blank answer
    ["r5", "Too many emails and training modules."],
    ["r6", "Workload is fine but IT is slow."],
]
HEADER = ["ID", "Response", "Code 1", "Code 2", "Code 3"]


def sheet(path: Path, codes: dict[str, list[str]], header: list[str] = HEADER) -> Path:
    texts = dict(ANSWERS[1:])
    width = len(header) - 2
    rows = [header] + [[rid, texts[rid], *(codes.get(rid, []) + [""] * width)[:width]] for rid in texts]
    return write_csv(path, rows)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    answers = write_csv(tmp_path / "answers.csv", ANSWERS)
    path = tmp_path / "survey.db"
    result = invoke("ingest", answers, "--text-col", "Response", "--id-col", "ID", "-p", path)
    assert result.exit_code == 0, result.output
    return path


def coder(project: Path, name: str):
    with Project.open(project, create=False) as proj:
        return proj.coder_codings(name)


def codebook_of(project: Path) -> Codebook:
    with Project.open(project, create=False) as proj:
        book = proj.latest_codebook()
    assert book is not None
    return book


ANN = {
    "r1": ["Workload->Caseload", "ICT"],
    "r2": ["don't_know"],
    "r3": ["Pay"],
    "r5": ["Induction->Emails", "Induction->Training"],
    "r6": ["ICT", "Workload"],
}
BOB = {
    "r1": ["Workload -> Caseload"],
    "r2": ["Don't know"],
    "r3": ["pay", "Workload"],
    "r5": ["Induction->Training"],
    "r6": ["ICT"],
}


def test_two_coders_sheets_give_per_code_agreement_in_three_commands(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)  # the hints write codebook.yaml where they are run
    ann, bob = sheet(tmp_path / "ann.csv", ANN), sheet(tmp_path / "bob.csv", BOB)
    first = invoke("import-codings", ann, "--coder", "ann", "-p", project)
    assert first.exit_code == 0, first.output
    assert "names format" in first.output and "parent->child" in first.output
    assert "PLACEHOLDER" in first.output and "export codebook -o codebook.yaml" in first.output
    second = invoke("import-codings", bob, "--coder", "bob", "-p", project)
    assert second.exit_code == 0
    # The hint names both coders and the project, and runs as printed.
    hint = re.search(r"`probation-themes (agree [^`]+)`", " ".join(second.output.split())).group(1)
    assert hint == f"agree --coder ann --coder bob -p {project}"
    assert invoke(*shlex.split(hint)).exit_code == 0
    exported = re.search(r"`probation-themes (export codebook [^`]+)`", " ".join(second.output.split())).group(1)
    assert invoke(*shlex.split(exported)).exit_code == 0
    result = invoke("agree", "--coder", "ann", "--coder", "bob", "-p", project, "--json", "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    by_code = {c["code"]: c for c in report["codes"]}
    assert list(by_code) == ["workload", "caseload", "ict", "dont_know", "pay", "induction", "emails", "training"]
    # Both coders' spellings of one name are one code.
    assert by_code["dont_know"]["counts"]["both"] == 1 and by_code["dont_know"]["kappa"]["value"] == 1.0
    assert by_code["caseload"]["f1"]["value"] == 1.0
    ict = by_code["ict"]
    assert (ict["counts"]["a"], ict["counts"]["b"], ict["counts"]["both"]) == (2, 1, 1)
    assert ict["f1"]["value"] == pytest.approx(2 / 3)
    for stat in ("kappa", "alpha", "f1"):
        assert stat in ict
    assert report["units_compared"] == 5


def test_the_implied_codebook_keeps_names_as_labels_hierarchy_and_marks_placeholders(project: Path, tmp_path: Path):
    import_codings_cli = invoke("import-codings", sheet(tmp_path / "ann.csv", ANN), "--coder", "ann", "-p", project)
    assert import_codings_cli.exit_code == 0
    book = codebook_of(project)
    assert is_implied(book) and book.version == "0.1.0"
    assert book.get("dont_know").label == "don't_know"
    assert book.get("caseload").parent == "workload"
    assert book.get("emails").parent == "induction" and book.get("training").parent == "induction"
    assert all(c.definition.startswith(PLACEHOLDER) for c in book.codes)
    assert "Applied by ann to 2 responses" in book.get("ict").definition
    assert invoke("import-codings", sheet(tmp_path / "bob.csv", BOB), "--coder", "bob", "-p", project).exit_code == 0
    second = codebook_of(project)
    assert second.ids == book.ids  # bob's names found ann's codes; nothing new
    assert "Applied by ann to 2 responses, bob to 1 response" in second.get("ict").definition
    assert second.version == "0.2.0"
    # The codebook the researcher writes out is a valid codebook to fill in.
    out = tmp_path / "codebook.yaml"
    assert invoke("export", "codebook", "-o", out, "-p", project).exit_code == 0
    assert load_codebook(out).ids == second.ids
    assert invoke("codebook", "validate", out).exit_code == 0


def test_ids_are_stable_and_collision_free(tmp_path: Path):
    names = CodeNames(None, create=True)
    other_a = names.resolve("Staff->Other", ("Staff", "Other"))
    other_b = names.resolve("Pay->Other", ("Pay", "Other"))
    top = names.resolve("Other", ("Other",))
    assert (other_a, other_b) == ("other", "pay_other")
    assert top not in (other_a, other_b)
    assert names.resolve("staff -> other", ("staff", "other")) == other_a
    assert names.resolve("OTHER", ("OTHER",)) == top
    # Once made, a codebook gives the same ids to the same names in a later import.
    again = CodeNames(names.codebook(), create=True)
    assert again.resolve("Pay->Other", ("Pay", "Other")) == "pay_other"
    assert again.created == []
    assert name_key("Don’t_know") == name_key("don't  KNOW")


@pytest.mark.parametrize("separator", ["->", " > ", "::", "\\", "/"])
def test_every_sub_code_separator_seen_in_sheets(project: Path, tmp_path: Path, separator: str):
    codes = {"r1": [f"Workload{separator}Caseload", f"Workload{separator}Hours"], "r3": ["Pay"]}
    path = sheet(tmp_path / "s.csv", codes)
    with Project.open(project, create=False) as proj:
        report = import_codings(proj, path, coder="cat")
        book = proj.latest_codebook()
    assert report.separator == separator
    assert book.get("caseload").parent == "workload" and book.get("hours").parent == "workload"
    assert book.get("caseload").label == "Caseload"


def test_a_slash_is_a_separator_only_when_the_names_show_a_hierarchy():
    assert choose_separator(["N/A", "and/or", "Pay"]) is None
    assert choose_separator(["IT/Laptops", "IT/Software"]) == "/"
    assert choose_separator(["IT/Laptops", "IT"]) == "/"
    assert choose_separator(["Workload->Caseload", "N/A"]) == "->"
    assert choose_separator(["a/b"], "none") is None
    assert split_name("Workload -> Caseload", "->") == ("Workload", "Caseload")
    assert name_columns(["ID", "Response", "Code 1", "code_2", "Theme 3", "Code book"]) == [2, 3, 4]
    assert name_columns(["ID", "Codes", "Code 2"]) == [1, 2]  # a bare Code column beside numbered ones
    assert name_columns(["ID", "code"]) == []  # a long file's code column


def test_a_sub_code_counts_as_its_parent_only_when_asked(project: Path, tmp_path: Path):
    path = sheet(tmp_path / "s.csv", {"r1": ["Workload->Caseload"], "r6": ["Workload"]})
    assert invoke("import-codings", path, "--coder", "dee", "-p", project).exit_code == 0
    assert coder(project, "dee").positives == {("r1", "caseload"), ("r6", "workload")}
    result = invoke("import-codings", path, "--coder", "dee", "-p", project, "--roll-up-subcodes")
    assert result.exit_code == 0, result.output
    assert "1 codings added" in result.output
    assert coder(project, "dee").positives == {("r1", "caseload"), ("r1", "workload"), ("r6", "workload")}


def test_dropped_respondents_listed_blank_are_skipped_and_named(project: Path, tmp_path: Path):
    # r4 was rejected at ingest (blank answer); the sheet still lists it, with no codes.
    path = sheet(tmp_path / "s.csv", {"r1": ["Pay"]})
    result = invoke("import-codings", path, "--coder", "eve", "-p", project)
    assert result.exit_code == 0, result.output
    message = " ".join(result.output.split())
    assert "1 response id in the file is not in the project and was given no code (r4): skipped" in message
    assert "r4" not in coder(project, "eve").units


def test_dropped_respondents_in_a_wide_sheet_of_zeros_are_skipped(project: Path, tmp_path: Path):
    book = tmp_path / "book.yaml"
    book.write_text(
        "name: mini\nversion: 1.0.0\ncodes:\n"
        "  - {id: pay, label: Pay, definition: pay}\n  - {id: ict, label: ICT, definition: IT}\n",
        encoding="utf-8",
    )
    wide = write_csv(tmp_path / "w.csv", [["id", "pay", "ict"], ["r1", "1", "0"], ["r4", "0", "0"], ["r9", "", ""]])
    result = invoke("import-codings", wide, "--coder", "fay", "-c", book, "-p", project)
    assert result.exit_code == 0, result.output
    assert "(r4, r9): skipped" in " ".join(result.output.split())
    assert coder(project, "fay").units == {"r1"}


def test_a_dropped_respondent_given_a_code_is_refused_and_nothing_stored(project: Path, tmp_path: Path):
    path = sheet(tmp_path / "s.csv", {"r1": ["Pay"]})
    rows = list(csv.reader(path.open(encoding="utf-8")))
    rows.append(["r99", "gone", "ICT", "", ""])
    write_csv(path, rows)
    with Project.open(project, create=False) as proj:
        with pytest.raises(IngestError, match=r"1 id that matches no response in the project \('r99'"):
            import_codings(proj, path, coder="gus")
        assert proj.coder_codings("gus") is None
        assert proj.latest_codebook() is None  # no implied codebook from a refused file


def test_names_match_a_real_codebook_by_label_and_path(project: Path, tmp_path: Path):
    book = tmp_path / "book.yaml"
    book.write_text(
        "name: real\nversion: 2.0.0\ncodes:\n"
        "  - {id: workload, label: High workloads, definition: w}\n"
        "  - {id: caseload, label: Caseloads, parent: workload, definition: c}\n"
        "  - {id: ict, label: ICT systems, definition: i}\n",
        encoding="utf-8",
    )
    good = sheet(tmp_path / "g.csv", {"r1": ["High workloads/Caseloads", "ict"], "r6": ["ICT SYSTEMS"]})
    result = invoke("import-codings", good, "--coder", "hal", "-c", book, "-p", project)
    assert result.exit_code == 0, result.output
    assert coder(project, "hal").positives == {("r1", "caseload"), ("r1", "ict"), ("r6", "ict")}
    bad = sheet(tmp_path / "b.csv", {"r1": ["Morale"], "r3": ["Morale"]})
    result = invoke("import-codings", bad, "--coder", "hal", "-c", book, "-p", project)
    assert result.exit_code == 1
    assert "1 code not in the codebook 'real' ('Morale' (rows 2, 4))" in " ".join(result.output.split())


def test_code_columns_named_with_the_option(project: Path, tmp_path: Path):
    header = ["respondent", "answer", "first", "second"]
    path = sheet(tmp_path / "s.csv", {"r1": ["Pay", "ICT"], "r3": ["Pay"]}, header)
    result = invoke(
        "import-codings", path, "--coder", "ida", "-p", project, "--id-col", "respondent",
        "--code-col", "first", "--code-col", "second",
    )
    assert result.exit_code == 0, result.output
    assert coder(project, "ida").positives == {("r1", "pay"), ("r1", "ict"), ("r3", "pay")}
    one = invoke(
        "import-codings", path, "--coder", "ida", "-p", project, "--id-col", "respondent",
        "--format", "names", "--code-col", "first",
    )
    assert one.exit_code == 0, one.output
    assert coder(project, "ida").positives == {("r1", "pay"), ("r3", "pay")}


def test_an_xlsx_sheet_of_names(project: Path, tmp_path: Path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet_ = workbook.active
    sheet_.append(HEADER)
    sheet_.append(["r1", "text", "Workload::Caseload", None, None])
    sheet_.append(["r2", "text", "don't_know", "Workload", None])
    path = tmp_path / "codes.xlsx"
    workbook.save(path)
    with Project.open(project, create=False) as proj:
        report = import_codings(proj, path, coder="jo")
    assert report.format == "names" and report.separator == "::"
    assert coder(project, "jo").positives == {("r1", "caseload"), ("r2", "dont_know"), ("r2", "workload")}


def test_rows_of_one_respondent_that_disagree_are_refused(project: Path, tmp_path: Path):
    path = write_csv(tmp_path / "s.csv", [HEADER, ["r1", "t", "Pay", "", ""], ["r1", "t", "ICT", "", ""]])
    result = invoke("import-codings", path, "--coder", "kim", "-p", project)
    assert result.exit_code == 1
    assert "rows 2 and 3 both code 'r1' but disagree on ict, pay" in " ".join(result.output.split())


def test_filling_in_every_placeholder_makes_it_a_real_codebook(project: Path, tmp_path: Path):
    assert invoke("import-codings", sheet(tmp_path / "a.csv", {"r1": ["Pay"]}), "--coder", "lu", "-p", project).exit_code == 0
    book = codebook_of(project)
    defined = book.model_copy(update={"codes": [c.model_copy(update={"definition": "Pay."}) for c in book.codes]})
    assert is_implied(book) and not is_implied(defined)


def test_a_bare_code_column_beside_numbered_ones_is_a_name_column(project: Path, tmp_path: Path):
    path = write_csv(tmp_path / "s.csv", [["ID", "Response", "Code", "Code", "Code"],
                                          ["r1", "t", "Pay", "ICT", ""], ["r3", "t", "Pay", "", ""]])
    with Project.open(project, create=False) as proj:
        report = import_codings(proj, path, coder="max")
    assert report.format == "names"
    assert coder(project, "max").positives == {("r1", "pay"), ("r1", "ict"), ("r3", "pay")}


def test_rows_are_matched_by_their_text_when_no_id_is_the_projects(tmp_path: Path):
    # The answers were ingested without --id-col (ids like answers:2), and the sheet numbers its rows.
    answers = write_csv(tmp_path / "answers.csv", [["comment"], ["Too many cases."], ["Nothing."], ["Nothing."],
                                                   ["Laptops crash."]])
    project = tmp_path / "p.db"
    assert invoke("ingest", answers, "-p", project).exit_code == 0
    path = write_csv(tmp_path / "s.csv", [
        ["#", "Comment", "Code 1"], ["1", "Too many  cases.", "Workload"], ["2", "Nothing.", "none"],
        ["3", "Nothing.", "none"], ["4", "laptops crash.", "ICT"], ["5", "", ""],
    ])
    result = invoke("import-codings", path, "--coder", "ned", "-p", project)
    assert result.exit_code == 0, result.output
    assert "matched to answers by their text (column 'Comment')" in result.output
    assert coder(project, "ned").positives == {
        ("answers:2", "workload"), ("answers:3", "none"), ("answers:4", "none"), ("answers:5", "ict"),
    }
    # A coded row whose text is not in the project is refused, naming its row.
    rows = list(csv.reader(path.open(encoding="utf-8")))
    write_csv(path, [*rows, ["6", "A different answer.", "ICT"]])
    result = invoke("import-codings", path, "--coder", "ned", "-p", project)
    assert result.exit_code == 1
    assert "(row 7: a text not in the project)" in result.output


def test_several_names_in_one_cell(project: Path, tmp_path: Path):
    path = write_csv(tmp_path / "s.csv", [["id", "text", "Codes"], ["r1", "t", "Workload->Caseload | ICT"],
                                          ["r3", "t", "Pay;ICT"], ["r5", "t", ""]])
    with Project.open(project, create=False) as proj:
        report = import_codings(proj, path, coder="ola")
    assert report.format == "names"
    assert coder(project, "ola").positives == {("r1", "caseload"), ("r1", "ict"), ("r3", "pay"), ("r3", "ict")}
    assert name_columns(["id", "Codes", "Themes"]) == []  # which one? --code-col says
