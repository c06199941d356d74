"""Qualtrics and SurveyMonkey exports: their extra header rows are questions, never answers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.ingest import IngestOptions, read_file
from probation_themes.store import Project

runner = CliRunner()

# The layout of a Qualtrics "CSV / Excel" export (choice text, not legacy): column names,
# then question text, then one {"ImportId": ...} object per column.
QUALTRICS = [
    ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
     "ResponseId", "DistributionChannel", "UserLanguage", "Q1", "Q2", "Q3_TEXT"],
    ["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)", "Finished", "Recorded Date",
     "Response ID", "Distribution Channel", "User Language", "Which region do you work in?",
     "What, if anything, would improve your workload?", "Any other comments? - Text"],
    ['{"ImportId":"startDate","timeZone":"Europe/London"}', '{"ImportId":"endDate","timeZone":"Europe/London"}',
     '{"ImportId":"status"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}', '{"ImportId":"finished"}',
     '{"ImportId":"recordedDate","timeZone":"Europe/London"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"distributionChannel"}', '{"ImportId":"userLanguage"}', '{"ImportId":"QID1"}',
     '{"ImportId":"QID2_TEXT"}', '{"ImportId":"QID3_TEXT"}'],
    ["2024-03-01 09:00:00", "2024-03-01 09:05:00", "0", "100", "300", "True", "2024-03-01 09:05:01",
     "R_1abc", "anonymous", "EN", "London", "Fewer cases per officer.", ""],
    ["2024-03-01 10:00:00", "2024-03-01 10:05:00", "0", "100", "300", "True", "2024-03-01 10:05:01",
     "R_2def", "anonymous", "EN", "Wales", "", "The laptops are slow."],
    ["2024-03-01 11:00:00", "2024-03-01 11:05:00", "0", "100", "300", "True", "2024-03-01 11:05:01",
     "R_3ghi", "anonymous", "EN", "Kent, Surrey and Sussex", "", ""],
]
# A SurveyMonkey export: question text (a question with several columns names only the first),
# then each column's answer label.
MONKEY = [
    ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
     "Last Name", "Custom Data 1", "Which region do you work in?", "", "What would improve your workload?",
     "Any other comments?"],
    ["", "", "", "", "", "", "", "", "", "Response", "Other (please specify)", "Open-Ended Response",
     "Open-Ended Response"],
    ["11401", "4321", "03/01/2024 09:00:00 AM", "03/01/2024 09:05:00 AM", "", "", "", "", "", "London", "",
     "Fewer cases per officer.", ""],
    ["11402", "4321", "03/01/2024 10:00:00 AM", "03/01/2024 10:05:00 AM", "", "", "", "", "", "", "Teesside",
     "", "The laptops are slow."],
]


def write(path: Path, rows: list[list[str]]) -> Path:
    if path.suffix == ".xlsx":
        openpyxl = pytest.importorskip("openpyxl")
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
        return path
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_qualtrics_header_rows_are_questions_not_answers(tmp_path: Path, suffix: str):
    path = write(tmp_path / f"qualtrics{suffix}", QUALTRICS)
    options = IngestOptions(
        text_cols=["What, if anything, would improve your workload?", "Q3_TEXT"], id_col="ResponseId", region_col="Q1",
    )
    result = read_file(path, options)
    assert [(q.response_id, q.question, q.text) for q in result.quotes] == [
        ("R_1abc", "What, if anything, would improve your workload?", "Fewer cases per officer."),
        ("R_2def", "Any other comments? - Text", "The laptops are slow."),
    ]
    assert [q.region for q in result.quotes] == ["London", "Wales"]
    # Rows 2 and 3 are header rows: three data rows are read, one of them blank.
    assert result.rows_read == 3
    assert [(r.row, r.reason) for r in result.rejects] == [(6, "empty_answer")]
    assert not any("ImportId" in q.text or q.text.startswith("Response ID") for q in result.quotes)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_surveymonkey_header_row_names_the_answer_columns(tmp_path: Path, suffix: str):
    path = write(tmp_path / f"monkey{suffix}", MONKEY)
    options = IngestOptions(
        text_cols=["What would improve your workload?", "Any other comments?"], id_col="Respondent ID",
        attr_cols=["Which region do you work in? - Other (please specify)"],
    )
    result = read_file(path, options)
    assert [(q.response_id, q.question, q.text) for q in result.quotes] == [
        ("11401", "What would improve your workload?", "Fewer cases per officer."),
        ("11402", "Any other comments?", "The laptops are slow."),
    ]
    assert result.quotes[1].attributes == {"Which region do you work in? - Other (please specify)": "Teesside"}
    assert result.rows_read == 2 and not result.rejects


def test_the_cli_says_which_rows_were_header_rows_and_lists_the_questions(tmp_path: Path):
    path = write(tmp_path / "survey.csv", QUALTRICS)
    project = tmp_path / "p.db"
    missing = runner.invoke(app, ["ingest", str(path), "-p", str(project)])
    assert missing.exit_code == 1
    message = " ".join(missing.output.split())
    assert "This is a Qualtrics export" in message
    assert "Q2 ('What, if anything, would improve your workload?')" in message
    assert "StartDate (" not in message  # the platform's own columns are not offered as questions
    result = runner.invoke(app, ["ingest", str(path), "-p", str(project), "--id-col", "ResponseId",
                                 "--text-col", "Q2", "--text-col", "Q3_TEXT"])
    assert result.exit_code == 0, result.output
    assert "Qualtrics export: rows 2 and 3 are header rows" in " ".join(result.output.split())
    assert "3 rows read = 2 with quotes + 1 rejected" in result.output
    with Project.open(project, create=False) as proj:
        assert {q.question for q in proj.quotes()} == {
            "What, if anything, would improve your workload?", "Any other comments? - Text",
        }


def test_an_ordinary_table_is_not_taken_for_a_survey_export(tmp_path: Path):
    path = write(tmp_path / "plain.csv", [["id", "comment"], ["1", "Response ID"], ["2", '{"ImportId": "x"}']])
    result = read_file(path, IngestOptions(id_col="id"))
    assert [q.text for q in result.quotes] == ["Response ID", '{"ImportId": "x"}']
