"""import-codings: long and wide tables, response and quote ids, all-or-nothing checks."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from probation_themes.codebook import Codebook
from probation_themes.errors import CoderError, IngestError
from probation_themes.ingest.codings import read_codings
from probation_themes.store import Project
from probation_themes.workflows.import_codings import import_codings
from cli_helpers import invoke


CODEBOOK_YAML = """\
name: mini
version: 1.0.0
codes:
  - id: workload
    label: High workloads
    definition: caseloads and hours
    rules: {any: [caseload*]}
  - id: ict
    label: ICT systems
    definition: laptops and software
    rules: {any: [laptop*]}
  - id: pay
    label: Pay and grading
    definition: pay and grades
"""
BOOK = Codebook.model_validate(
    {"name": "mini", "version": "1.0.0", "codes": [
        {"id": "workload", "label": "W", "definition": "d"},
        {"id": "ict", "label": "I", "definition": "d"},
        {"id": "pay", "label": "P", "definition": "d"},
    ]}
)


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A project of four respondents, two questions each (quote ids like r1:1.1, r1:2.1)."""
    survey = write_csv(tmp_path / "survey.csv", [
        ["id", "q1", "q2"],
        ["r1", "My caseload is huge.", "Laptops crash."],
        ["r2", "New laptops are fine.", ""],
        ["r3", "Pay was wrong.", "Caseloads too."],
        ["r4", "All good.", ""],
    ])
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--id-col", "id", "--text-col", "q1", "--text-col", "q2")
    assert result.exit_code == 0, result.output
    book = tmp_path / "book.yaml"
    book.write_text(CODEBOOK_YAML, encoding="utf-8")
    return project, book


def stored(project: Path, coder: str):
    with Project.open(project, create=False) as proj:
        return proj.coder_codings(coder)


def test_long_file_at_response_level_is_detected_and_counted(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "alice.csv", [
        ["response_id", "code"],
        ["r1", "workload"], ["r1", "ict"], ["r1", "ict"],  # a repeated row counts once
        ["r2", "ict"], ["r4", ""],  # r4 was read and given no code
    ])
    result = invoke("import-codings", codings, "--coder", "alice", "--codebook", book, "-p", project)
    assert result.exit_code == 0, result.output
    assert "level: response (long format)" in result.output
    assert "responses covered: 3" in result.output
    assert "codings imported: 3" in result.output
    assert "replaced" not in result.output
    got = stored(project, "alice")
    assert got.level == "response"
    assert got.units == {"r1", "r2", "r4"}
    assert got.positives == {("r1", "workload"), ("r1", "ict"), ("r2", "ict")}


def test_wide_file_with_quote_ids_and_yes_no_values(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "bob.csv", [
        ["quote_id", "workload", "ICT", "pay"],  # code columns match ignoring case
        ["r1:1.1", "yes", "no", ""],
        ["r1:2.1", "0", "x", "FALSE"],
        ["r3:1.1", "", "", "true"],
        ["r2:1.1", "n", "", ""],
        ["r3:1.1", "no", "", "1"],  # the same row again, agreeing: fine
    ])
    result = invoke("import-codings", codings, "--coder", "bob", "--codebook", book, "-p", project, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["level"], data["format"], data["units"], data["codings"]) == ("quote", "wide", 4, 3)
    assert data["per_code"] == {"workload": 1, "ict": 1, "pay": 1}
    assert data["replaced"] is False and data["coder"] == "bob"
    got = stored(project, "bob")
    assert got.positives == {("r1:1.1", "workload"), ("r1:2.1", "ict"), ("r3:1.1", "pay")}
    assert got.units == {"r1:1.1", "r1:2.1", "r3:1.1", "r2:1.1"}


def test_value_column_marks_a_unit_seen_without_applying_the_code(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "c.csv", [
        ["id", "code", "applied"],
        ["r1", "workload", "1"], ["r2", "pay", "no"], ["r3", "pay", "0"], ["r3", "ict", "True"],
    ])
    result = invoke("import-codings", codings, "--coder", "carol", "-c", book, "-p", project)
    assert result.exit_code == 0, result.output
    got = stored(project, "carol")
    assert got.units == {"r1", "r2", "r3"}
    assert got.positives == {("r1", "workload"), ("r3", "ict")}


def test_reimport_replaces_the_earlier_import_and_says_so(setup, tmp_path: Path):
    project, book = setup
    first = write_csv(tmp_path / "v1.csv", [["id", "code"], ["r1", "workload"], ["r2", "ict"]])
    second = write_csv(tmp_path / "v2.csv", [["id", "code"], ["r3", "pay"]])
    assert invoke("import-codings", first, "--coder", "alice", "-c", book, "-p", project).exit_code == 0
    result = invoke("import-codings", second, "--coder", "alice", "-c", book, "-p", project)
    assert result.exit_code == 0, result.output
    assert "replaced an earlier import of alice (2 units, 2 codings)" in result.output
    got = stored(project, "alice")
    assert got.units == {"r3"} and got.positives == {("r3", "pay")}


def test_unknown_ids_and_codes_store_nothing_and_name_the_rows(setup, tmp_path: Path):
    project, book = setup
    good = write_csv(tmp_path / "good.csv", [["id", "code"], ["r1", "workload"]])
    assert invoke("import-codings", good, "--coder", "alice", "-c", book, "-p", project).exit_code == 0
    bad = write_csv(tmp_path / "bad.csv", [
        ["id", "code"], ["r1", "ict"], ["r9", "workload"], ["r2", "morale"], ["r3", "morale"], ["", "pay"],
    ])
    result = invoke("import-codings", bad, "--coder", "alice", "-c", book, "-p", project)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "nothing was stored" in message
    assert "row 6 has no id" in message
    assert "1 code not in the codebook 'mini' ('morale' (rows 4, 5))" in message
    assert "1 id that matches no response" in message and "'r9' (row 3)" in message
    assert "Traceback" not in result.output
    got = stored(project, "alice")  # the earlier import is intact
    assert got.units == {"r1"} and got.positives == {("r1", "workload")}
    with Project.open(project, create=False) as proj:
        assert [r.command for r in proj.runs()].count("import-codings") == 1


def test_ids_of_the_other_level_get_a_hint(setup, tmp_path: Path):
    project, _ = setup
    codings = write_csv(tmp_path / "q.csv", [["id", "code"], ["r1:1.1", "workload"], ["r3:2.1", "workload"]])
    with Project.open(project, create=False) as proj:
        with pytest.raises(IngestError, match="add --level quote"):
            import_codings(proj, codings, coder="dan", codebook=BOOK, level="response")
        report = import_codings(proj, codings, coder="dan", codebook=BOOK)
        assert report.level == "quote"


def test_level_tie_means_response(tmp_path: Path):
    codings = write_csv(tmp_path / "t.csv", [["id", "code"], ["a", "pay"], ["b", "pay"]])
    with pytest.raises(IngestError, match=r"1 id that matches no response in the project \('b' \(row 3\)\)"):
        read_codings(codings, code_ids=BOOK.ids, response_ids={"a"}, quote_ids={"b"})
    assert read_codings(codings, code_ids=BOOK.ids, response_ids={"a", "b"}, quote_ids={"b"}).units == ("a", "b")


def test_conflicting_duplicate_wide_rows_name_both_rows(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "w.csv", [
        ["response_id", "workload", "ict", "pay"], ["r1", "1", "0", "0"], ["r2", "0", "1", "0"], ["r1", "1", "1", "0"],
    ])
    result = invoke("import-codings", codings, "--coder", "eve", "-c", book, "-p", project)
    assert result.exit_code == 1
    assert "rows 2 and 4 both code 'r1' but disagree on ict" in " ".join(result.output.split())
    assert stored(project, "eve") is None


def test_wide_file_with_a_column_that_is_not_a_code(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "w.csv", [["response_id", "workload", "region"], ["r1", "1", "London"]])
    result = invoke("import-codings", codings, "--coder", "eve", "-c", book, "-p", project)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "1 column is not a code of the codebook 'mini': 'region'" in message
    assert "Remove the other columns" in message


def test_values_that_are_not_yes_or_no_are_reported(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "w.csv", [["response_id", "workload", "ict", "pay"], ["r1", "maybe", "0", "0"]])
    result = invoke("import-codings", codings, "--coder", "eve", "-c", book, "-p", project)
    assert result.exit_code == 1
    assert "row 2 has 'maybe' in column 'workload'" in " ".join(result.output.split())


def test_xlsx_input(setup, tmp_path: Path):
    import openpyxl

    project, book = setup
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Coding"
    for row in [["response_id", "workload", "ict", "pay"], ["r1", 1, 0, None], ["r3", 1, None, True], ["r2", 0, 1, 0]]:
        sheet.append(row)
    path = tmp_path / "codes.xlsx"
    workbook.save(path)
    result = invoke("import-codings", path, "--coder", "frank", "-c", book, "-p", project, "--sheet", "coding")
    assert result.exit_code == 0, result.output
    got = stored(project, "frank")
    assert got.positives == {("r1", "workload"), ("r3", "workload"), ("r3", "pay"), ("r2", "ict")}


def test_utf16_tab_separated_input_and_the_run_it_records(setup, tmp_path: Path):
    project, book = setup
    path = write_csv(tmp_path / "export.txt", [["id", "code"], ["r1", "pay"], ["r4", "ict"]],
                     encoding="utf-16", delimiter="\t")
    with Project.open(project, create=False) as proj:
        report = import_codings(proj, path, coder=" grace ", codebook=BOOK)
        run = proj.runs()[-1]
    assert (report.coder, report.units, report.codings) == ("grace", 2, 2)
    assert run.command == "import-codings" and run.status == "done"
    assert run.parameters["coder"] == "grace"
    assert run.parameters["format"] == "long" and run.parameters["level"] == "response"
    assert run.parameters["encoding"] == "utf-16-le"
    assert run.parameters["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_machine_coder_names_and_blank_names_are_refused(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "c.csv", [["id", "code"], ["r1", "pay"]])
    result = invoke("import-codings", codings, "--coder", "Rules", "-c", book, "-p", project)
    assert result.exit_code == 1
    assert "stand for the machine coders" in " ".join(result.output.split())
    with Project.open(project, create=False) as proj:
        for name in ("model", "all", "topics", "  "):
            with pytest.raises(CoderError):
                import_codings(proj, codings, coder=name, codebook=BOOK)
        assert proj.coders() == []


def test_without_a_codebook_the_last_one_coded_with_is_used(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "c.csv", [["id", "code"], ["r1", "pay"]])
    assert invoke("code", "--codebook", book, "-p", project).exit_code == 0
    result = invoke("import-codings", codings, "--coder", "hal", "-p", project)
    assert result.exit_code == 0, result.output
    assert "Pay and grading" in result.output
    # A real codebook is never extended by an import: a name it lacks is refused.
    other = write_csv(tmp_path / "o.csv", [["id", "code"], ["r1", "Morale"]])
    result = invoke("import-codings", other, "--coder", "hal", "-p", project)
    assert result.exit_code == 1
    assert "1 code not in the codebook 'mini' ('Morale' (row 2))" in " ".join(result.output.split())
    assert stored(project, "hal").positives == {("r1", "pay")}


def test_long_format_needs_a_code_column(setup, tmp_path: Path):
    project, book = setup
    codings = write_csv(tmp_path / "c.csv", [["id", "theme"], ["r1", "pay"]])
    result = invoke("import-codings", codings, "--coder", "ian", "-c", book, "-p", project, "--format", "long")
    assert result.exit_code == 1
    assert "--code-col" in result.output
    result = invoke("import-codings", codings, "--coder", "ian", "-c", book, "-p", project, "--code-col", "theme")
    assert result.exit_code == 0, result.output
    assert stored(project, "ian").positives == {("r1", "pay")}
