"""Reading files into quotes and rejects: formats, encodings, columns, ids, rejects, splitting."""

from __future__ import annotations

import csv
import io
import json

import ftfy
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from probation_themes.errors import IngestError
from probation_themes.ingest import IngestOptions, read_file
from probation_themes.ingest.clean import _FIX_ENCODING_ONLY


def write_csv(path, rows, delimiter=",", encoding="utf-8"):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def reconciles(result):
    return result.rows_read == result.responses_with_quotes + len(result.rejects)


SURVEY = [
    ["respondent", "Region", "Former organisation", "grade", "comment"],
    ["R1", "London", "CRC", "PO", "Caseloads are far too high."],
    ["R2", "KSS", "legacy NPS", "PSO", "Training, training and more training."],
    ["R3", "Atlantis", "Probation Trust", "SPO", "New laptops are good"],
]


# --- formats ----------------------------------------------------------------------------


def test_csv_with_all_column_options(tmp_path):
    path = write_csv(tmp_path / "survey.csv", SURVEY)
    options = IngestOptions(
        id_col="respondent", region_col="region", org_col="Former organisation", attr_cols=["grade"]
    )
    result = read_file(path, options)
    assert result.columns == SURVEY[0]
    assert result.encoding == "utf-8"
    assert result.rows_read == 3 and result.rejects == []
    first = result.quotes[0]
    assert (first.quote_id, first.response_id, first.text) == ("R1:1.1", "R1", "Caseloads are far too high.")
    assert (first.source, first.row, first.question, first.position) == ("survey.csv", 2, "comment", 0)
    assert (first.region, first.org, first.attributes) == ("London", "CRC", {"grade": "PO"})
    second, third = result.quotes[1:]
    assert (second.region, second.org) == ("Kent, Surrey and Sussex", "NPS")
    assert (third.region, third.org) == ("Atlantis", "Probation Trust")
    assert result.unknown_regions == {"Atlantis": 1}
    assert result.unknown_orgs == {"Probation Trust": 1}


def test_semicolon_csv_is_sniffed(tmp_path):
    path = write_csv(tmp_path / "export.csv", SURVEY, delimiter=";")
    result = read_file(path, IngestOptions(id_col="respondent"))
    assert result.columns == SURVEY[0]
    assert [q.text for q in result.quotes] == [row[4] for row in SURVEY[1:]]


def test_pipe_csv_and_commas_inside_answers(tmp_path):
    path = tmp_path / "pipes.csv"
    path.write_text("id|comment\n1|Too much, far too much, work\n2|Fine, thanks\n", encoding="utf-8")
    result = read_file(path, IngestOptions(id_col="id"))
    assert [q.text for q in result.quotes] == ["Too much, far too much, work", "Fine, thanks"]


def test_excel_sep_line_names_the_delimiter(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("sep=;\nid;comment\n1;yes, agreed\n", encoding="utf-8")
    result = read_file(path, IngestOptions(id_col="id"))
    assert result.columns == ["id", "comment"]
    assert [(q.row, q.text) for q in result.quotes] == [(2, "yes, agreed")]


def test_one_column_csv_keeps_commas_as_text(tmp_path):
    path = tmp_path / "comments.csv"
    path.write_text("Comments\nToo slow, too late\nNo, never\n", encoding="utf-8")
    result = read_file(path, IngestOptions())
    assert [q.text for q in result.quotes] == ["Too slow, too late", "No, never"]
    assert result.rejects == []


def test_quoted_newlines_stay_in_the_answer_and_rows_count_records(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_bytes(b'id,comment\r\n1,"First line\r\nsecond line"\r\n2,plain\r\n')
    result = read_file(path, IngestOptions(id_col="id"))
    assert [(q.row, q.text) for q in result.quotes] == [(2, "First line\nsecond line"), (3, "plain")]


def test_tsv(tmp_path):
    path = write_csv(tmp_path / "survey.tsv", SURVEY, delimiter="\t")
    result = read_file(path, IngestOptions(id_col="respondent"))
    assert len(result.quotes) == 3 and result.columns == SURVEY[0]


def test_excel_unicode_text_is_utf16_tab_separated_txt(tmp_path):
    rows = [["id", "comment"], ["1", "naïve plans – “again”"], ["2", "Cymraeg: diolch"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "export.txt"
    path.write_bytes(b"\xff\xfe" + buffer.getvalue().encode("utf-16-le"))
    result = read_file(path, IngestOptions(id_col="id"))
    assert result.encoding == "utf-16-le"
    assert result.columns == ["id", "comment"]
    assert [q.text for q in result.quotes] == ["naïve plans – “again”", "Cymraeg: diolch"]


def test_txt_document_is_one_response(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("A whole document.\tWith a tab.\n\nSecond paragraph.\n", encoding="utf-8")
    result = read_file(path, IngestOptions())
    [quote] = result.quotes
    assert (quote.response_id, quote.quote_id, quote.row, quote.question) == ("notes", "notes:1.1", 1, None)
    assert quote.text == "A whole document.\tWith a tab.\n\nSecond paragraph."
    assert result.rows_read == 1


def test_markdown_document_split_into_paragraphs_leaves_out_headings(tmp_path):
    path = tmp_path / "findings.md"
    text = "# Findings\n\nStaff are tired.\nVery tired.\n\n## IT\n#1 issue: laptops. Wifi is fixed.\n"
    path.write_text(text, encoding="utf-8")
    result = read_file(path, IngestOptions(split="paragraph"))
    # "#1" without a space after it is text, as Markdown renders it.
    assert [q.text for q in result.quotes] == ["Staff are tired.\nVery tired.", "#1 issue: laptops. Wifi is fixed."]
    assert [q.quote_id for q in result.quotes] == ["findings:1.1", "findings:1.2"]
    assert all(text[q.start : q.end] == q.text for q in result.quotes)
    sentences = read_file(path, IngestOptions(split="sentence")).quotes
    assert [q.text for q in sentences] == ["Staff are tired.", "Very tired.", "#1 issue: laptops.", "Wifi is fixed."]
    # The whole response keeps its headings, and a .txt file has none.
    assert read_file(path, IngestOptions()).quotes[0].text == text.strip()
    txt = tmp_path / "findings.txt"
    txt.write_text(text, encoding="utf-8")
    assert read_file(txt, IngestOptions(split="paragraph")).quotes[0].text == "# Findings"


def test_markdown_document_of_headings_only_is_still_accounted_for(tmp_path):
    path = tmp_path / "outline.md"
    path.write_text("# Findings\n\n## Workload\n", encoding="utf-8")
    for split in ("paragraph", "sentence"):
        result = read_file(path, IngestOptions(split=split))
        assert result.quotes == [] and result.rows_read == 1
        assert [(r.row, r.reason) for r in result.rejects] == [(1, "empty_answer")]
        assert "Markdown headings" in result.rejects[0].detail
        assert reconciles(result)


def _workbook(path, sheets):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_first_sheet_by_default_and_numbers_as_text(tmp_path):
    path = _workbook(
        tmp_path / "survey.xlsx",
        {
            "Responses": [["ID", "Comment", "Score"], [1001, "Too many emails", 4.0], [1002, None, 2.5]],
            "Notes": [["text"], ["not this one"]],
        },
    )
    result = read_file(path, IngestOptions(id_col="id", attr_cols=["score"]))
    assert [(q.response_id, q.text, q.attributes) for q in result.quotes] == [
        ("1001", "Too many emails", {"Score": "4"})
    ]
    assert [(r.row, r.reason) for r in result.rejects] == [(3, "empty_answer")]


def test_xlsx_rows_with_blank_cells_at_the_end_are_read(tmp_path):
    path = _workbook(
        tmp_path / "survey.xlsx",
        {
            "Responses": [
                ["ID", "Region", "Q1", "Q2", "Organisation"],
                [1, "London", "Only the first question", None, None],
                [2, "Wales", None, "Only the second question", None],
                [3, "NW", None, None, None],
                [4, "KSS", "Both", "answered", None],
                [5, "London", "Org given", None, "CRC"],
            ]
        },
    )
    options = IngestOptions(id_col="id", region_col="region", org_col="organisation", text_cols=["Q1", "Q2"])
    result = read_file(path, options)
    assert [(q.quote_id, q.text, q.region, q.org) for q in result.quotes] == [
        ("1:1.1", "Only the first question", "London", None),
        ("2:2.1", "Only the second question", "Wales", None),
        ("4:1.1", "Both", "Kent, Surrey and Sussex", None),
        ("4:2.1", "answered", "Kent, Surrey and Sussex", None),
        ("5:1.1", "Org given", "London", "CRC"),
    ]
    [reject] = result.rejects
    assert (reject.row, reject.reason, reject.raw) == (4, "empty_answer", "3\tNW")
    assert reject.detail == "the answer columns 'Q1', 'Q2' are blank"
    assert result.rows_read == 5 and reconciles(result)


def test_xlsx_notes_beyond_the_header_do_not_lose_the_answer(tmp_path):
    # In a spreadsheet an unheaded cell (a reviewer's note) cannot mean a broken row.
    path = _workbook(tmp_path / "wide.xlsx", {"S": [["id", "text"], [1, "fine", None], [2, "extra", "checked by JS"]]})
    result = read_file(path, IngestOptions(id_col="id"))
    assert [q.text for q in result.quotes] == ["fine", "extra"]
    assert not result.rejects and reconciles(result)


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    path = _workbook(tmp_path / "book.xlsx", {"First": [["text"], ["a"]], "Second": [["text"], ["b"]]})
    assert [q.text for q in read_file(path, IngestOptions(sheet="Second")).quotes] == ["b"]
    with pytest.raises(IngestError) as error:
        read_file(path, IngestOptions(sheet="Third"))
    assert "'First'" in str(error.value) and "'Second'" in str(error.value) and "--sheet" in str(error.value)


def test_jsonl_with_a_bad_line(tmp_path):
    path = tmp_path / "answers.jsonl"
    lines = [
        json.dumps({"id": 7, "text": "Good support", "team": "Courts"}),
        "{not json",
        "[1, 2]",
        "",
        json.dumps({"id": 8, "text": "Bad IT", "extra": None}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_file(path, IngestOptions(id_col="id", attr_cols=["team"]))
    assert result.columns == ["id", "text", "team", "extra"]
    assert [(q.response_id, q.row, q.attributes) for q in result.quotes] == [
        ("7", 1, {"team": "Courts"}),
        ("8", 5, {"team": ""}),
    ]
    assert [(r.row, r.reason) for r in result.rejects] == [(2, "unreadable_row"), (3, "unreadable_row")]
    assert "line 2" in result.rejects[0].detail and result.rejects[0].raw == "{not json"
    assert reconciles(result) and result.rows_read == 4


def test_jsonl_records_are_parsed_as_they_are_read_not_held(monkeypatch):
    from probation_themes.ingest import jsonl

    calls = []
    real = json.loads
    monkeypatch.setattr(jsonl.json, "loads", lambda line, **kw: calls.append(line) or real(line, **kw))
    text = "\n".join(json.dumps({"id": i, "text": f"answer {i}"}) for i in range(1000)) + '\n{"late": 1}'
    header, records = jsonl.read_jsonl(text)
    assert header == ["id", "text", "late"] and len(calls) == 1001  # one pass for the columns
    first = next(records)
    assert first[1] == ["0", "answer 0", ""] and len(calls) == 1002  # then one line at a time
    assert sum(1 for _ in records) == 1000


def test_unknown_extension(tmp_path):
    path = tmp_path / "survey.sav"
    path.write_bytes(b"data")
    with pytest.raises(IngestError, match=r"\.csv, \.tsv, \.xlsx"):
        read_file(path, IngestOptions())


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n...", "PDF"),
        (b"PK\x03\x04\x14\x00", ".xlsx"),
        (bytes([0, 1, 2, 3, 200, 17]) * 500, "not a text file"),
    ],
)
def test_binary_files_are_refused_with_advice(tmp_path, content, words):
    path = tmp_path / "survey.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match="not a text file") as error:
        read_file(path, IngestOptions())
    assert words in str(error.value)


def test_xlsx_renamed_to_csv_is_refused(tmp_path):
    book = _workbook(tmp_path / "real.xlsx", {"S": [["text"], ["a"]]})
    renamed = tmp_path / "survey.csv"
    renamed.write_bytes(book.read_bytes())
    with pytest.raises(IngestError, match="give it the .xlsx extension"):
        read_file(renamed, IngestOptions())


def test_empty_file_and_header_only(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        read_file(empty, IngestOptions())
    header = tmp_path / "header.csv"
    header.write_text("id,comment\n", encoding="utf-8")
    result = read_file(header, IngestOptions(id_col="id"))
    assert (result.rows_read, result.quotes, result.rejects) == (0, [], [])


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="does not exist"):
        read_file(tmp_path / "nowhere.csv", IngestOptions())


# --- encodings --------------------------------------------------------------------------


def test_windows_1252_file(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("id,comment\n1,Café staff – “fed up”\n".encode("cp1252"))
    result = read_file(path, IngestOptions(id_col="id"))
    assert result.encoding == "cp1252"
    assert result.quotes[0].text == "Café staff – “fed up”"


def test_utf8_bom_does_not_stick_to_the_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffid,comment\n1,Grand\n".encode())
    result = read_file(path, IngestOptions(id_col="id"))
    assert result.encoding == "utf-8-sig"
    assert result.columns == ["id", "comment"]


def test_utf16_be_with_bom(tmp_path):
    path = tmp_path / "be.csv"
    path.write_bytes(b"\xfe\xff" + "text\nbig endian\n".encode("utf-16-be"))
    result = read_file(path, IngestOptions())
    assert result.encoding == "utf-16-be" and result.quotes[0].text == "big endian"


def test_utf16_without_bom_is_recognised(tmp_path):
    path = tmp_path / "nobom.csv"
    path.write_bytes("id,comment\n1,no byte-order mark\n".encode("utf-16-le"))
    result = read_file(path, IngestOptions(id_col="id"))
    assert result.encoding == "utf-16-le" and result.quotes[0].text == "no byte-order mark"


def test_other_legacy_encodings_fall_back_to_detection(tmp_path):
    # 0x81 is unassigned in Windows-1252, so this Windows-1251 text must be detected.
    text = "Ѓрафик работы слишком тяжёлый для всех сотрудников отдела"
    path = tmp_path / "cyrillic.csv"
    path.write_bytes(f"comment\n{text}\n".encode("cp1251"))
    result = read_file(path, IngestOptions())
    assert result.encoding not in ("utf-8", "cp1252")
    assert result.quotes[0].text == text


def test_explicit_encoding_overrides_and_failure_says_how_to_fix(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("comment\nna\u00efve\n".encode("cp1252"))
    assert read_file(path, IngestOptions(encoding="latin-1")).encoding == "latin-1"
    with pytest.raises(IngestError) as error:
        read_file(path, IngestOptions(encoding="utf-8"))
    message = str(error.value)
    assert "latin.csv" in message and "offset 10" in message
    assert "--encoding cp1252" in message and "--encoding utf-16" in message
    with pytest.raises(IngestError, match="not an encoding"):
        read_file(path, IngestOptions(encoding="klingon"))


def test_mojibake_is_repaired_and_counted(tmp_path):
    path = write_csv(
        tmp_path / "moji.csv",
        [
            ["id", "comment", "team"],
            ["1", "A naÃ¯ve plan", "CafÃ©"],
            ["2", "A na├»ve plan", "x"],
            ["3", "fine", "y"],
        ],
    )
    result = read_file(path, IngestOptions(id_col="id", attr_cols=["team"]))
    assert [q.text for q in result.quotes] == ["A naïve plan", "A naïve plan", "fine"]
    assert result.quotes[0].attributes == {"team": "Café"}
    assert result.repaired == 3


def test_curly_quotes_and_ligatures_are_left_alone(tmp_path):
    text = "“Don’t” ﬁx ＦＵＬＬ &amp; e\u0301"
    path = write_csv(tmp_path / "keep.csv", [["comment"], [text]])
    result = read_file(path, IngestOptions())
    assert result.quotes[0].text == text and result.repaired == 0


def test_control_characters_removed_and_line_ends_normalised(tmp_path):
    path = tmp_path / "ctrl.csv"
    path.write_bytes(b'id,comment\n1,"bad\x00 \x07bytes\r\nnext\rline\tkept"\n')
    result = read_file(path, IngestOptions(id_col="id"))
    assert result.quotes[0].text == "bad bytes\nnext\nline\tkept"


# --- columns ----------------------------------------------------------------------------


def test_missing_column_lists_the_columns_and_suggests_one(tmp_path):
    path = write_csv(tmp_path / "survey.csv", SURVEY)
    with pytest.raises(IngestError) as error:
        read_file(path, IngestOptions(text_cols=["coment"]))
    message = str(error.value)
    assert "'coment'" in message and "--text-col" in message
    for column in SURVEY[0]:
        assert f"'{column}'" in message
    assert "Did you mean 'comment'?" in message
    assert error.value.column == "coment"
    with pytest.raises(IngestError, match="--region-col"):
        read_file(path, IngestOptions(region_col="area"))


def test_column_names_match_ignoring_case_and_spaces(tmp_path):
    path = write_csv(tmp_path / "s.csv", [[" Respondent ID ", "COMMENT"], ["9", "ok"]])
    result = read_file(path, IngestOptions(id_col="respondent id", text_cols=["comment"]))
    assert result.quotes[0].response_id == "9"


def test_text_column_is_guessed_only_when_clear(tmp_path):
    clear = write_csv(tmp_path / "clear.csv", [["id", "Response"], ["1", "yes"]])
    assert read_file(clear, IngestOptions()).quotes[0].question == "Response"
    unclear = write_csv(tmp_path / "unclear.csv", [["id", "q1", "q2"], ["1", "a", "b"]])
    with pytest.raises(IngestError, match="--text-col") as error:
        read_file(unclear, IngestOptions())
    assert "'q1'" in str(error.value) and "'q2'" in str(error.value)


# --- ids, rejects and reconciliation ---------------------------------------------------


def test_rejects_and_reconciliation(tmp_path):
    rows = [
        ["id", "comment", "grade", "team"],
        ["A", "first", "PO", "North"],
        ["A", "again", "PO", "North"],  # duplicate id
        ["", "no id", "PO", "North"],  # missing id
        ["B", "   ", "PO", "North"],  # empty answer
        ["C", "too", "many", "cells", "here"],  # ragged: too many
        ["D"],  # ragged: the answer is missing
        ["E", "short but fine", "PO"],  # trailing empty cell missing: not a reject
        ["F", "trailing comma", "PO", "North", ""],  # empty extra cell: not a reject
        [],  # blank line: not a row
        ["G", "last", "SPO", "East"],
    ]
    path = write_csv(tmp_path / "messy.csv", rows)
    result = read_file(path, IngestOptions(id_col="id", attr_cols=["team"]))
    assert [(r.row, r.reason) for r in result.rejects] == [
        (3, "duplicate_id"),
        (4, "missing_id"),
        (5, "empty_answer"),
        (6, "unreadable_row"),
        (7, "unreadable_row"),
    ]
    assert [q.response_id for q in result.quotes] == ["A", "E", "F", "G"]
    assert [q.row for q in result.quotes] == [2, 8, 9, 11]
    assert result.quotes[1].attributes == {"team": ""}
    assert result.rows_read == 9
    assert reconciles(result)
    duplicate = result.rejects[0]
    assert "row 2" in duplicate.detail and duplicate.source == "messy.csv"
    assert duplicate.raw == "A,again,PO,North"
    assert "5 cells" in result.rejects[3].detail and "4 columns" in result.rejects[3].detail


def test_multiple_text_columns_tag_the_question(tmp_path):
    rows = [
        ["id", "What went well?", "What should change?"],
        ["1", "The team", "Caseloads"],
        ["2", "", "Everything"],
        ["3", "", " "],
    ]
    path = write_csv(tmp_path / "two.csv", rows)
    result = read_file(path, IngestOptions(id_col="id", text_cols=["What went well?", "What should change?"]))
    assert [(q.quote_id, q.question, q.text) for q in result.quotes] == [
        ("1:1.1", "What went well?", "The team"),
        ("1:2.1", "What should change?", "Caseloads"),
        ("2:2.1", "What should change?", "Everything"),
    ]
    assert [(r.row, r.reason) for r in result.rejects] == [(4, "empty_answer")]
    assert result.rows_read == 3 and reconciles(result)


def test_csv_rows_missing_their_trailing_empty_cells_are_read(tmp_path):
    # Excel leaves the delimiters of blank trailing cells out of some CSV rows.
    path = tmp_path / "short.csv"
    path.write_text(
        "id,Q1,Q2,org\n1,only the first\n2,,only the second\n3,both,answered,CRC\n4\n5,,\n",
        encoding="utf-8",
    )
    result = read_file(path, IngestOptions(id_col="id", org_col="org", text_cols=["Q1", "Q2"]))
    assert [(q.quote_id, q.text, q.org) for q in result.quotes] == [
        ("1:1.1", "only the first", None),
        ("2:2.1", "only the second", None),
        ("3:1.1", "both", "CRC"),
        ("3:2.1", "answered", "CRC"),
    ]
    # A row without even its first answer cell may be the tail of a broken line.
    assert [(r.row, r.reason) for r in result.rejects] == [(5, "unreadable_row"), (6, "empty_answer")]
    assert "answer columns are missing" in result.rejects[0].detail
    assert result.rejects[1].detail == "the answer columns 'Q1', 'Q2' are blank"
    assert reconciles(result)


def test_ids_without_id_column_are_file_and_row_and_stable(tmp_path):
    path = write_csv(tmp_path / "wave1.csv", [["comment"], ["a"], ["b"]])
    first = read_file(path, IngestOptions())
    again = read_file(path, IngestOptions())
    assert [q.quote_id for q in first.quotes] == ["wave1:2:1.1", "wave1:3:1.1"]
    assert [q.quote_id for q in again.quotes] == [q.quote_id for q in first.quotes]
    assert first.quotes == again.quotes


def test_split_quote_in_a_csv_cell_uses_column_values_as_fallback(tmp_path):
    rows = [
        ["id", "region", "org", "text"],
        ["1", "Wales", "NPS", "“Busy.” (London, CRC) and “Tired.” (NPS)"],
        ["2", "Wales", "NPS", "Nothing attributed here."],
    ]
    path = write_csv(tmp_path / "q.csv", rows)
    result = read_file(path, IngestOptions(id_col="id", region_col="region", org_col="org", split="quote"))
    assert [(q.quote_id, q.text, q.region, q.org) for q in result.quotes] == [
        ("1:1.1", "Busy.", "London", "CRC"),
        ("1:1.2", "Tired.", "Wales", "NPS"),
    ]
    assert [(r.row, r.reason) for r in result.rejects] == [(3, "no_quotes_found")]
    assert reconciles(result)


# --- splitting --------------------------------------------------------------------------


def test_paragraph_and_sentence_split_in_cells(tmp_path):
    answer = "Caseloads are high, e.g. 70. Mr. Jones agrees.\n\nIT is slow... and crashes. Fix it!"
    path = write_csv(tmp_path / "split.csv", [["id", "comment"], ["7", answer]])
    paragraphs = read_file(path, IngestOptions(id_col="id", split="paragraph")).quotes
    assert [q.text for q in paragraphs] == [
        "Caseloads are high, e.g. 70. Mr. Jones agrees.",
        "IT is slow... and crashes. Fix it!",
    ]
    sentences = read_file(path, IngestOptions(id_col="id", split="sentence")).quotes
    assert [q.text for q in sentences] == [
        "Caseloads are high, e.g. 70.",
        "Mr. Jones agrees.",
        "IT is slow... and crashes.",
        "Fix it!",
    ]
    assert [q.quote_id for q in sentences] == ["7:1.1", "7:1.2", "7:1.3", "7:1.4"]
    assert [q.position for q in sentences] == [0, 1, 2, 3]
    assert all(answer[q.start : q.end] == q.text for q in sentences)


def test_options_forbid_unknown_fields():
    with pytest.raises(ValueError):
        IngestOptions(text_col="comment")


# --- property: what goes into a cell comes back out -------------------------------------

cell_text = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")),
        st.sampled_from("\n\t,;|\"'“”"),
    ),
    min_size=1,
    max_size=80,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=cell_text)
def test_any_cell_text_round_trips_as_the_quote(tmp_path, text):
    assume(text.strip() == text and text)
    assume(ftfy.fix_text(text, _FIX_ENCODING_ONLY) == text)
    path = write_csv(tmp_path / "prop.csv", [["id", "text"], ["r1", text]])
    result = read_file(path, IngestOptions(id_col="id"))
    [quote] = result.quotes
    assert quote.text == text
    assert text[quote.start : quote.end] == quote.text
    assert result.rows_read == 1 and result.rejects == []


def test_a_quote_never_closed_is_an_error_naming_its_row(tmp_path):
    path = tmp_path / "runaway.csv"
    path.write_text('id,text\n1,"fine"\n2,"never closed\n3,swallowed\n4,swallowed too\n', encoding="utf-8")
    with pytest.raises(IngestError, match=r"runaway\.csv: Row 3 opens a quoted answer") as info:
        read_file(path, IngestOptions(text_cols=["text"]))
    assert info.value.row == 3 and info.value.path == str(path)
    closed = tmp_path / "closed.csv"
    closed.write_text('id,text\n1,"fine"\n2,"two\nlines"\n', encoding="utf-8")
    result = read_file(closed, IngestOptions(text_cols=["text"]))
    assert [q.text for q in result.quotes] == ["fine", "two\nlines"]


def test_column_options_on_a_document_are_an_error_not_ignored(tmp_path):
    doc = tmp_path / "report.md"
    doc.write_text("“We are drowning.” (London, CRC)\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"--text-col, --region-col cannot apply"):
        read_file(doc, IngestOptions(text_cols=["text"], region_col="Region", split="quote"))
    assert read_file(doc, IngestOptions(split="quote")).quotes[0].region == "London"
