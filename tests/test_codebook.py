"""Tests for the codebook format: validation messages, YAML and CSV forms, the bundled codebook."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probation_themes.codebook import (
    Code,
    Codebook,
    Rules,
    codebook_from_csv,
    codebook_from_yaml,
    codebook_summary,
    codebook_to_csv,
    convert_codebook,
    dump_codebook_yaml,
    load_codebook,
    read_codebook,
    save_codebook,
    validate_codebook,
)
from probation_themes.codebook.csvform import COLUMNS
from probation_themes.codebook.schema import check_term
from probation_themes.coding.rules import RulesCoder
from probation_themes.coding.terms import TermIndex, expand_term
from probation_themes.errors import CodebookError
from probation_themes.models import Quote

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "codebooks" / "probation_unification.yaml"

# DESIGN §4: the fixed ids and labels, in report order.
DESIGN_CODES = [
    ("cultural_divide", "Cultural divide between former CRC and NPS staff"),
    ("induction_overload", "Induction and information overload"),
    ("workload", "High caseloads and workloads"),
    ("ict", "ICT systems and equipment"),
    ("positive_outlook", "Positive about unification and the future"),
    ("leadership_communication", "Leadership, communication and how change was managed"),
    ("wellbeing", "Staff wellbeing and morale"),
    ("staffing", "Staffing, recruitment and retention"),
    ("pay_grading", "Pay, grading and terms"),
    ("premises", "Offices and premises"),
    ("bureaucracy", "Bureaucracy and process"),
    ("professional_identity", "Professional identity and skills"),
]

HEADER = ",".join(COLUMNS)


def yaml_error(text: str) -> CodebookError:
    with pytest.raises(CodebookError) as info:
        codebook_from_yaml(text, "cb.yaml")
    return info.value


def csv_error(text: str) -> CodebookError:
    with pytest.raises(CodebookError) as info:
        codebook_from_csv(text, "cb.csv")
    return info.value


def csv_row(**cells: str) -> str:
    """One code row of a CSV codebook, with the named cells filled in."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([cells.get(column, "") for column in COLUMNS])
    return buffer.getvalue()


def one_code(**fields: object) -> dict:
    code = {"id": "workload", "label": "Workload", "definition": "Caseloads."}
    code.update(fields)
    return {"name": "Test", "version": "1.0.0", "codes": [code]}


def rich_codebook() -> Codebook:
    """A codebook using every field, with text that stresses both file forms."""
    return Codebook(
        name="Tést | codebook",
        version="2.10.3",
        description="Line one\nline two with “curly quotes”, a | bar and naïve ünïcödé 日本",
        codes=[
            Code(
                id="workload",
                label="=SUM(A1) looks like a formula",
                definition="-starts with a dash\n\nand has a blank line; a ~ tilde; back\\slash",
                include=["a | b", "ends with a backslash\\", "pipe at end |", "@mention"],
                exclude=["'=quoted formula", "x \\| y"],
                examples=["He said “it's fine” – it wasn't.", 'Plain "double" quotes'],
                color="#1f77b4",
                rules=Rules(
                    any=["caseload*", "time off in lieu", "a|b", "no"],
                    all=["yes", "on"],
                    near=[("training", "time", 8), ("a~b", "c\\~", 2), ("ex crc", "treated", 12)],
                    none=["information overload"],
                    regex=[r"\b1[1-9][0-9] ?%", " spaced ", r"(?:pay|salary) freeze", r"a\\|b", r"x\\"],
                ),
                seeds=["caseload", "hours"],
            ),
            Code(id="sub_code", label="Sub", parent="workload", definition="Child code."),
        ],
    )


# --------------------------------------------------------------------------- YAML validation


def test_unbalanced_quote_is_reported_with_path_and_code_id() -> None:
    codes = "".join(f"  - {{id: c{i}, label: C, definition: d}}\n" for i in range(3))
    err = yaml_error(
        "name: T\nversion: 1.0.0\ncodes:\n" + codes
        + "  - id: workload\n    label: W\n    definition: d\n"
        "    rules:\n      any: [caseload, workload, '\"caseload']\n"
    )
    assert err.location == "codes -> 3 -> rules -> any -> 2"
    assert err.code_id == "workload"
    assert (
        "codes -> 3 (workload) -> rules -> any -> 2: unbalanced quote in '\"caseload': "
        "remove the quote marks"
    ) in str(err)
    assert err.path == "cb.yaml"


@pytest.mark.parametrize(
    ("fields", "place", "suggestion"),
    [
        ({"defintion": "x"}, "codes -> 0 (workload) -> defintion", "'definition'"),
        ({"colour": "#123456"}, "codes -> 0 (workload) -> colour", "'color'"),
        ({"rules": {"anny": ["x"]}}, "codes -> 0 (workload) -> rules -> anny", "'any'"),
        ({"Label": "x"}, "codes -> 0 (workload) -> Label", "'label'"),
    ],
)
def test_misspelt_field_suggests_the_closest_name(fields: dict, place: str, suggestion: str) -> None:
    data = one_code(**fields)
    with pytest.raises(CodebookError) as info:
        validate_codebook(data, "cb.yaml")
    assert f"{place}: unknown field; did you mean {suggestion}?" in str(info.value)


def test_misspelt_top_level_field() -> None:
    err = yaml_error("name: T\nverison: 1.0.0\ncodes: [{id: a, label: A, definition: d}]\n")
    assert "The codebook cb.yaml is not valid: verison: unknown field; did you mean 'version'? Fix" in str(err)
    assert err.location == "verison"


def test_misspelt_required_field_is_one_problem_not_two() -> None:
    err = yaml_error("name: T\nversion: 1.0.0\ncodes:\n  - id: workload\n    label: W\n    defintion: d\n")
    assert str(err) == (
        "The codebook cb.yaml is not valid: codes -> 0 (workload) -> defintion: unknown field; "
        "did you mean 'definition'? Fix this field and run `probation-themes codebook validate "
        "cb.yaml` again."
    )
    assert err.location == "codes -> 0 -> defintion"


def test_unknown_field_without_a_close_match_lists_valid_fields() -> None:
    with pytest.raises(CodebookError) as info:
        validate_codebook(one_code(keywords=["x"]))
    assert "codes -> 0 (workload) -> keywords: unknown field; valid fields here are: id, label" in str(info.value)


def test_missing_required_field() -> None:
    err = yaml_error("name: T\nversion: 1.0.0\ncodes:\n  - id: workload\n    label: W\n")
    assert "codes -> 0 (workload) -> definition: this required field is missing" in str(err)
    assert err.location == "codes -> 0 -> definition"


def test_location_has_no_id_when_the_code_has_none() -> None:
    err = yaml_error("name: T\nversion: 1.0.0\ncodes:\n  - label: W\n    definition: d\n")
    assert "codes -> 0 -> id: this required field is missing" in str(err)
    assert err.code_id is None


def test_yaml_syntax_error_gives_line_and_column() -> None:
    err = yaml_error("name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: A: b\n")
    assert "not valid YAML at line 5, column 13" in str(err)
    assert err.location == "line 5, column 13"


def test_tab_indentation_gets_its_own_hint() -> None:
    err = yaml_error("name: T\nversion: 1.0.0\ncodes:\n\t- id: a\n")
    assert "line 4, column 1" in str(err)
    assert "Indent with spaces, not tabs" in str(err)
    assert LOOK_ABOVE not in str(err)


def test_program_object_tags_are_refused_with_how_to_fix() -> None:
    err = yaml_error("name: T\nversion: 1.0.0\ncodes: !!python/object/apply:os.system ['echo hi']\n")
    assert "line 3, column 8" in str(err)
    assert "refused for safety: delete the tag" in str(err)


LOOK_ABOVE = "If that line looks right, look above it for a quotation mark that is never closed."


def test_quote_left_open_to_the_end_is_reported_where_it_opens() -> None:
    err = yaml_error(
        'name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: "Workload\n    definition: d\n'
        "    rules:\n      any: [caseload]\n"
    )
    assert "the quoted text that starts at line 5, column 12 is never closed" in str(err)
    assert err.location == "line 5, column 12"
    assert "Add the closing quotation mark" in str(err)
    assert LOOK_ABOVE in str(err)
    assert "\n" not in str(err)


def test_quote_closed_by_a_later_quote_sends_the_reader_back_up() -> None:
    # The quote left open on line 5 is closed by the first quote on line 8, so YAML
    # only notices three lines further down.
    err = yaml_error(
        'name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: "Workload\n    definition: d\n'
        '    include:\n      - "caseloads"\n'
    )
    assert "at line 8, column 10" in str(err)
    assert str(err).endswith(LOOK_ABOVE)


@pytest.mark.parametrize(
    "text",
    [
        "name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: A: b\n",  # scanner error
        "name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    rules:\n      any: [x, y\n  - id: b\n",  # parser error
    ],
)
def test_scanning_and_parsing_errors_suggest_an_unclosed_quote_above(text: str) -> None:
    assert LOOK_ABOVE in str(yaml_error(text))


def test_backslash_in_double_quotes_suggests_single_quotes() -> None:
    err = yaml_error('name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    rules:\n      regex: ["\\d+%"]\n')
    assert "line 6" in str(err)
    assert "write regular expressions and other text with backslashes in single quotes" in str(err)


def test_duplicate_key_is_an_error_not_silently_dropped() -> None:
    err = yaml_error(
        "name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: A\n    definition: d\n"
        "    rules:\n      any: [x]\n      any: [y]\n"
    )
    assert "line 9, column 7" in str(err)
    assert "the key 'any' appears twice" in str(err)
    assert LOOK_ABOVE not in str(err)  # a repeated key has nothing to do with quotes


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    err = yaml_error(text)
    assert "is empty" in str(err)


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("just words\n", "a single value")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    err = yaml_error(text)
    assert "must be a mapping" in str(err)
    assert kind in str(err)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"label": ["a", "b"]}, "codes -> 0 (workload) -> label: expected text, found the list ['a', 'b']"),
        ({"definition": 5}, "codes -> 0 (workload) -> definition: expected text, found the number 5"),
        ({"rules": ["x"]}, "codes -> 0 (workload) -> rules: expected a mapping of field: value pairs, found"),
        ({"include": {"a": 1}}, "codes -> 0 (workload) -> include: expected a list, found a mapping"),
        (
            {"rules": {"near": ["training", "time", 8]}},
            "codes -> 0 (workload) -> rules -> near -> 0: a near rule is [word, word, distance], "
            "e.g. [training, time, 8]; found the text 'training'",
        ),
        (
            {"rules": {"near": [["training", "time"]]}},
            "codes -> 0 (workload) -> rules -> near -> 0: a near rule is [word, word, distance]",
        ),
        ({"rules": {"near": [["a", "b", True]]}}, "rules -> near -> 0 -> 2: expected a whole number"),
        ({"rules": {"near": [["a", "b", 0]]}}, "rules -> near -> 0 -> 2: distance 0 must be 1 or more words"),
        ({"rules": {"any": ["over*load"]}}, "rules -> any -> 0: '*' in 'over*load' must end a word"),
        ({"rules": {"regex": ["("]}}, "rules -> regex -> 0: invalid regular expression '('"),
        ({"rules": {"regex": ["x*"]}}, "rules -> regex -> 0: regular expression 'x*' matches empty text"),
        ({"rules": {"regex": ["  "]}}, "rules -> regex -> 0: blank regular expression"),
        ({"include": ["ok", "  "]}, "codes -> 0 (workload) -> include -> 1: empty entry"),
        ({"id": "Work Load"}, "codes -> 0 (Work Load) -> id: code id 'Work Load' must be snake_case"),
        ({"color": "blue"}, "codes -> 0 (workload) -> color: colour 'blue' must look like '#1F77B4'"),
        ({"label": "   "}, "codes -> 0 (workload) -> label: must not be empty"),
    ],
)
def test_field_problems_are_explained(fields: dict, expected: str) -> None:
    with pytest.raises(CodebookError) as info:
        validate_codebook(one_code(**fields), "cb.yaml")
    assert expected in str(info.value)


def test_near_rule_missing_distance_points_at_the_rule() -> None:
    with pytest.raises(CodebookError) as info:
        validate_codebook(one_code(rules={"near": [["a", "b"]]}))
    assert info.value.location == "codes -> 0 -> rules -> near -> 0"


def test_codebook_level_problems() -> None:
    with pytest.raises(CodebookError) as info:
        validate_codebook({"name": " ", "version": "1.0", "codes": []})
    message = str(info.value)
    assert "3 problems: (1) name: must not be empty" in message
    assert "version: version '1.0' must look like 1.0.0" in message
    assert "codes: the codebook has no codes" in message


def test_duplicate_id_unknown_parent_and_loops_name_the_code() -> None:
    with pytest.raises(CodebookError) as info:
        validate_codebook(
            {
                "name": "T",
                "version": "1.0.0",
                "codes": [
                    {"id": "a", "label": "A", "definition": "d", "parent": "b"},
                    {"id": "b", "label": "B", "definition": "d", "parent": "a"},
                    {"id": "a", "label": "A2", "definition": "d"},
                    {"id": "c", "label": "C", "definition": "d", "parent": "nope"},
                ],
            }
        )
    err = info.value
    message = str(err)
    assert err.location == "codes -> 2 -> id"
    assert "codes -> 2 (a) -> id: code id 'a' is already used by code 0" in message
    assert "codes -> 3 (c) -> parent: parent 'nope' is not the id of a code in this codebook" in message
    assert "codes -> 0 (a) -> parent: code 'a' is its own ancestor" in message


def test_many_problems_are_capped_in_one_paragraph() -> None:
    codes = [{"id": f"c{i}", "label": "", "definition": ""} for i in range(10)]
    with pytest.raises(CodebookError) as info:
        validate_codebook({"name": "T", "version": "1.0.0", "codes": codes})
    message = str(info.value)
    assert message.startswith("The codebook is not valid: 20 problems: (1) codes -> 0 (c0) -> label")
    assert "; and 8 more. Fix these fields" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "- a\n",
        "name: T\nversion: 1.0.0\ncodes:\n  - id: a\n    label: A: b\n",
        "name: T\nversion: 1\ncodes: [{id: A, label: [], definition: 3, rules: {any: ['\"x'], near: [[a]]}}]\n",
    ],
)
def test_every_message_is_one_paragraph(text: str) -> None:
    assert "\n" not in str(yaml_error(text))


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(CodebookError, match="does not exist"):
        load_codebook(tmp_path / "missing.yaml")
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(CodebookError, match="is a folder"):
        load_codebook(folder)
    with pytest.raises(CodebookError) as info:
        load_codebook(tmp_path / "codebook.docx")
    assert "supported formats are YAML (.yaml, .yml), CSV (.csv) and REFI-QDA (.qdc)" in str(info.value)


def test_a_csv_not_saved_as_utf8_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "cb.csv"
    path.write_bytes(f"name,T\nversion,1.0.0\n{HEADER}\na,Caf\xe9,,d\n".encode("cp1252"))
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    assert "not UTF-8" in str(info.value)
    assert "line 4" in str(info.value)
    assert "CSV UTF-8" in str(info.value)


# --------------------------------------------------------------------------- normalisation


def test_equivalent_spellings_validate_to_the_same_codebook() -> None:
    long_form = validate_codebook(
        one_code(include=["Caseloads"], rules={"any": ["caseload"], "near": [], "regex": []})
    )
    short_form = validate_codebook(
        {**one_code(include="  Caseloads ", rules={"any": "caseload", "near": None}), "description": "  "}
    )
    assert long_form == short_form
    assert short_form.description is None
    assert validate_codebook(one_code(rules={})).codes[0].rules is None
    assert validate_codebook(one_code(color="#abcdef")).codes[0].color == "#ABCDEF"


# --------------------------------------------------------------------------- YAML writing


def test_dump_writes_fields_in_documented_order_and_omits_empty_ones() -> None:
    text = dump_codebook_yaml(rich_codebook())
    data = yaml.safe_load(text)
    assert list(data) == ["name", "version", "description", "codes"]
    assert list(data["codes"][0]) == [
        "id", "label", "definition", "include", "exclude", "examples", "color", "rules", "seeds",
    ]
    assert list(data["codes"][0]["rules"]) == ["any", "all", "near", "none", "regex"]
    assert list(data["codes"][1]) == ["id", "label", "parent", "definition"]
    assert "null" not in text and "[]" not in text and "{}" not in text


def test_dump_is_readable() -> None:
    text = dump_codebook_yaml(rich_codebook())
    assert "naïve ünïcödé 日本" in text  # unicode kept, not escaped
    assert "“curly quotes”" in text
    assert "- [training, time, 8]" in text  # near rules on one line each
    assert "description: |-\n  Line one\n  line two" in text  # multi-line text as a block
    assert "  - id: workload" in text  # list items indented under their key
    assert "&id" not in text and "*id" not in text  # no YAML anchors


def test_long_lines_survive_the_dump() -> None:
    sentence = " ".join(f"word{i}" for i in range(200))
    book = validate_codebook(one_code(definition=sentence, label="x " * 80 + "y"))
    assert codebook_from_yaml(dump_codebook_yaml(book)) == book


def test_dump_then_load_gives_an_equal_codebook() -> None:
    book = rich_codebook()
    assert codebook_from_yaml(dump_codebook_yaml(book)) == book


def test_save_codebook_replaces_the_file_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cb.yaml"
    path.write_text("old content", encoding="utf-8")
    book = rich_codebook()
    assert save_codebook(book, path) == path
    assert load_codebook(path) == book
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.yaml"]

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    other = validate_codebook(one_code())
    with pytest.raises(CodebookError, match="No space left on device"):
        save_codebook(other, path)
    assert load_codebook(path) == book  # the old file is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cb.yaml"]  # no temporary file left


def test_save_codebook_refuses_a_missing_folder_and_unknown_extension(tmp_path: Path) -> None:
    book = validate_codebook(one_code())
    with pytest.raises(CodebookError, match="does not exist"):
        save_codebook(book, tmp_path / "no" / "cb.yaml")
    with pytest.raises(CodebookError, match=r"extension '\.json'"):
        save_codebook(book, tmp_path / "cb.json")


# --------------------------------------------------------------------------- CSV form


def test_csv_layout() -> None:
    rows = list(csv.reader(io.StringIO(codebook_to_csv(rich_codebook()), newline="")))
    assert rows[0] == ["name", "Tést | codebook"]
    assert rows[1] == ["version", "2.10.3"]
    assert rows[2][0] == "description"
    assert rows[3] == []
    assert rows[4] == list(COLUMNS)
    workload = dict(zip(COLUMNS, rows[5]))
    assert workload["label"] == "'=SUM(A1) looks like a formula"  # not run as a formula
    assert workload["include"] == r"a \| b | ends with a backslash\ | pipe at end \| | @mention"
    assert workload["near"] == r"training ~ time ~ 8 | a\~b ~ c\\\~ ~ 2 | ex crc ~ treated ~ 12"
    assert workload["regex"].startswith(r"\b1[1-9][0-9] ?% |  spaced  | (?:pay\|salary) freeze")
    assert dict(zip(COLUMNS, rows[6]))["parent"] == "workload"


def test_yaml_csv_yaml_round_trip_is_lossless() -> None:
    book = rich_codebook()
    again = codebook_from_yaml(dump_codebook_yaml(codebook_from_csv(codebook_to_csv(book))))
    assert again == book
    assert again.codes[0].include[0] == "a | b"
    assert again.codes[0].rules.regex[2] == "(?:pay|salary) freeze"
    assert again.codes[0].rules.regex[1] == " spaced "


def test_bundled_codebook_round_trips_through_csv() -> None:
    book = load_codebook(BUNDLED)
    assert codebook_from_csv(codebook_to_csv(book)) == book


def test_csv_written_by_a_spreadsheet_is_read() -> None:
    # Columns reordered and in mixed case, optional ones missing, Excel's padding and empty
    # rows, a BOM, and a hand-typed list without spaces around the bars.
    text = (
        "\ufeffName,My codebook,,\r\nVersion,1.2.0,,\r\n,,,\r\n"
        "ID,Definition,Label,Any\r\n"
        "workload,Caseloads,Workload,caseload*|workload | \r\n"
        ",,,\r\n"
        "ict,IT,ICT,laptop*\r\n"
    )
    book = codebook_from_csv(text)
    assert book.name == "My codebook" and book.version == "1.2.0" and book.description is None
    assert book.ids == ["workload", "ict"]
    assert book.codes[0].rules.any == ["caseload*", "workload"]
    assert book.codes[0].label == "Workload"


def test_csv_with_semicolons() -> None:
    book = codebook_from_csv("name;T\nversion;1.0.0\nid;label;definition;any\na;A;d;x | y\n")
    assert book.codes[0].rules.any == ["x", "y"]


def test_csv_files_in_utf8_bom_and_utf16(tmp_path: Path) -> None:
    book = rich_codebook()
    saved = save_codebook(book, tmp_path / "cb.csv")
    assert saved.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so Excel reads UTF-8
    assert read_codebook(saved) == book
    # Excel's "Unicode text": UTF-16 with tabs.
    tabbed = tmp_path / "tabbed.csv"
    tabbed.write_text("name\tT\r\nversion\t1.0.0\r\nid\tlabel\tdefinition\r\na\tÀ\td\r\n", encoding="utf-16")
    assert load_codebook(tabbed).codes[0].label == "À"


@pytest.mark.parametrize(
    ("rows", "location", "expected"),
    [
        (
            [csv_row(id="a", label="A", definition="d"),
             csv_row(id="workload", label="W", definition="d", any='caseload | workload | "caseload')],
            "row 6, column any, item 3",
            "row 6, column any, item 3: unbalanced quote in '\"caseload': remove the quote marks",
        ),
        (
            [csv_row(id="a", definition="d")],
            "row 5, column label",
            "row 5, column label: this cell is empty, but every code needs a label",
        ),
        (
            [csv_row(id="a", label="A", definition="d", near="training ~ time | a ~ b ~ 8")],
            "row 5, column near, item 1",
            "'training ~ time' must be written 'word ~ word ~ distance', e.g. 'training ~ time ~ 8'",
        ),
        ([csv_row(id="a", label="A", definition="d", color="#12")], "row 5, column color",
         "colour '#12' must look like '#1F77B4'"),
        ([csv_row(id="a", label="A", definition="d", parent="zz")], "row 5, column parent",
         "parent 'zz' is not the id of a code"),
        (
            [csv_row(id="a", label="A", definition="d", regex="(foo|bar) baz")],
            "row 5, column regex, item 1",
            r"(in the CSV, a '|' that belongs to a regular expression is written '\|')",
        ),
        (
            [csv_row(id="a", label="A", definition="d").rstrip("\r\n") + ",stray\r\n"],
            "row 5, column O",
            "this cell is outside the table's named columns",
        ),
    ],
)
def test_csv_errors_name_row_and_column(rows: list[str], location: str, expected: str) -> None:
    err = csv_error(f"name,T\r\nversion,1.0.0\r\n\r\n{HEADER}\r\n" + "".join(rows))
    assert err.location == location
    assert expected in str(err)
    assert "\n" not in str(err)


def test_csv_error_carries_the_code_id() -> None:
    err = csv_error(f"name,T\nversion,1.0.0\n{HEADER}\n" + csv_row(id="workload", label="W", definition="d", any='"x'))
    assert err.code_id == "workload"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{HEADER}\na,A,,d,,,,,,,,,,\n", "name: the codebook's name is missing; add a row above the header"),
        (f"name,T\nversion,1.0\n{HEADER}\na,A,,d,,,,,,,,,,\n", "row 2 (version): version '1.0' must look like 1.0.0"),
        ("name,T\nversion,1.0.0\nid,label,definiton\n", "unknown column 'definiton'; did you mean 'definition'?"),
        ("name,T\nversion,1.0.0\nid,label,any\n", "lacks the column(s) definition"),
        ("name,T\nversion,1.0.0\nid,label,definition,label\n", "has the column 'label' twice"),
        ("name,T\nversion,1.0.0\n", "no header row was found"),
        (f"name,T\nversion,1.0.0\n{HEADER}\n,,,\n", "there are no codes under the header row (row 3)"),
        (f"title,T\n{HEADER}\n", "row 1 starts with 'title'"),
        (f"name,T\nname,U\n{HEADER}\n", "row 2 gives the codebook's name a second time"),
        (f"name,T,extra\n{HEADER}\n", "row 1 (name) has text beyond its second cell"),
    ],
)
def test_csv_structure_errors(text: str, expected: str) -> None:
    assert expected in str(csv_error(text))


# --------------------------------------------------------------------------- property tests

# Any text a codebook may hold: everything but the characters XML cannot carry (refused, see
# tests/test_xml_characters.py).
_XML_FORBIDDEN = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=_XML_FORBIDDEN),
                min_size=1, max_size=40).filter(str.strip)
_TRICKY = st.text(st.sampled_from(list(" \t\n\r\x85\u2028ab|~\\'\"#:-=@+é日")), min_size=1, max_size=40).filter(
    str.strip
)
_PROSE = _TEXT | _TRICKY


def _is_term(text: str) -> bool:
    try:
        check_term(text)
    except ValueError:
        return False
    return True


_TERM = st.text(st.sampled_from(list("abcxyz éß日 '-|~\\\"&/.0*")), min_size=1, max_size=12).filter(_is_term).map(
    check_term
)
_REGEX = st.lists(_TEXT.map(re.escape), min_size=1, max_size=3).map("|".join).flatmap(
    lambda r: st.sampled_from([r, " " + r, r + " ", "(" + r + ")\\b", r + "\\\\"])
)


@st.composite
def codebooks(draw: st.DrawFn) -> Codebook:
    ids = draw(st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=3, unique=True))
    codes = []
    for i, code_id in enumerate(ids):
        rules = draw(
            st.none()
            | st.builds(
                Rules,
                any=st.lists(_TERM, max_size=3),
                all=st.lists(_TERM, max_size=2),
                near=st.lists(st.tuples(_TERM, _TERM, st.integers(1, 40)), max_size=2),
                none=st.lists(_TERM, max_size=2),
                regex=st.lists(_REGEX, max_size=2),
            )
        )
        codes.append(
            Code(
                id=code_id,
                label=draw(_PROSE),
                definition=draw(_PROSE),
                parent=draw(st.sampled_from([None, *ids[:i]])),
                include=draw(st.lists(_PROSE, max_size=3)),
                exclude=draw(st.lists(_PROSE, max_size=2)),
                examples=draw(st.lists(_PROSE, max_size=2)),
                seeds=draw(st.lists(_PROSE, max_size=3)),
                color=draw(st.none() | st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)),
                rules=rules,
            )
        )
    return Codebook(
        name=draw(_PROSE),
        version=draw(st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True)),
        description=draw(st.none() | _PROSE),
        codes=codes,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(codebooks())
def test_any_codebook_round_trips_through_yaml_and_csv(book: Codebook) -> None:
    assert codebook_from_csv(codebook_to_csv(book)) == book
    assert codebook_from_yaml(dump_codebook_yaml(book)) == book


# --------------------------------------------------------------------------- convert and summary


def test_convert_yaml_to_csv_and_back(tmp_path: Path) -> None:
    as_csv = tmp_path / "cb.csv"
    as_yaml = tmp_path / "cb.yml"
    original = convert_codebook(BUNDLED, as_csv)
    assert original == load_codebook(BUNDLED)
    assert convert_codebook(as_csv, as_yaml) == original
    assert load_codebook(as_yaml) == original


def test_convert_checks_the_output_extension_first(tmp_path: Path) -> None:
    with pytest.raises(CodebookError) as info:
        convert_codebook(tmp_path / "missing.yaml", tmp_path / "out.docx")
    assert "extension '.docx'" in str(info.value)
    assert "YAML (.yaml, .yml), CSV (.csv) and REFI-QDA (.qdc)" in str(info.value)


def test_codebook_summary_counts_rules_and_seeds() -> None:
    rows = codebook_summary(rich_codebook())
    assert rows == [
        {"id": "workload", "label": "=SUM(A1) looks like a formula", "parent": None, "n_any": 4, "n_all": 2,
         "n_near": 3, "n_none": 1, "n_regex": 5, "n_seeds": 2},
        {"id": "sub_code", "label": "Sub", "parent": "workload", "n_any": 0, "n_all": 0,
         "n_near": 0, "n_none": 0, "n_regex": 0, "n_seeds": 0},
    ]


# --------------------------------------------------------------------------- the bundled codebook


@pytest.fixture(scope="module")
def bundled() -> Codebook:
    return load_codebook(BUNDLED)


def test_bundled_codebook_has_the_design_codes_in_order(bundled: Codebook) -> None:
    assert bundled.name == "Probation unification staff survey"
    assert bundled.version == "1.2.0"
    assert [(c.id, c.label) for c in bundled.codes] == DESIGN_CODES


def test_every_bundled_code_is_complete(bundled: Codebook) -> None:
    colours = [c.color for c in bundled.codes]
    assert None not in colours and len(set(colours)) == len(colours)
    for code in bundled.codes:
        assert len(code.definition) > 150, code.id
        assert code.include and code.exclude, code.id
        assert 1 <= len(code.examples) <= 2, code.id
        assert code.rules is not None and len(code.rules.any) >= 15, code.id
        assert 5 <= len(code.seeds) <= 12 and all(" " not in s for s in code.seeds), code.id


def test_bundled_exclusions_point_at_real_codes(bundled: Codebook) -> None:
    # Boundary criteria name the code a comment goes to instead; those names must exist.
    ids = set(bundled.ids)
    for code in bundled.codes:
        named = {w for text in code.exclude for w in re.findall(r"\b[a-z]+_[a-z_]+\b", text)}
        assert named <= ids, (code.id, named - ids)


def test_bundled_rules_avoid_words_that_fire_on_most_comments(bundled: Codebook) -> None:
    generic = {"staff", "work", "change", "changes", "probation", "unification", "staffing", "office",
               "management", "manager", "managers", "system", "systems", "process", "time", "people"}
    for code in bundled.codes:
        assert not set(code.rules.any) & generic, (code.id, set(code.rules.any) & generic)


def test_bundled_codebook_survives_dump_and_load(bundled: Codebook) -> None:
    assert codebook_from_yaml(dump_codebook_yaml(bundled)) == bundled


def test_docs_example_is_a_valid_codebook() -> None:
    doc = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    example = re.search(r"## The YAML format\n\n```yaml\n(.*?)```", doc, re.S)
    assert example is not None
    book = codebook_from_yaml(example.group(1))
    assert book.ids == ["workload", "caseload_weighting"]
    assert book.codes[1].parent == "workload"


def test_no_bundled_term_repeats_another_term_of_its_code(bundled: Codebook) -> None:
    # Two terms with the same forms ("desk" and "desks") count twice as evidence and
    # inflate the confidence of every coding they support.
    for code in bundled.codes:
        for field in ("any", "none"):
            forms = {}
            for term in getattr(code.rules, field):
                key = frozenset(expand_term(term))
                assert key not in forms, (code.id, field, term, forms.get(key))
                forms[key] = term


# Comments written for these tests from the code definitions, one per line of thought a
# staff member might write; each names codes it must get and codes it must not get.
BUNDLED_CASES = [
    # premises: travel and home or hybrid working count; "office" and "parked" alone do not
    ("Since our local office shut I commute over an hour each way.", {"premises"}, set()),
    ("We're told to be in the office three days a week and work from home the rest.", {"premises"}, set()),
    ("Hybrid working suits me but there are never enough desks on office days.", {"premises"}, set()),
    ("The car park is full by 8.30 so there's nowhere to park.", {"premises"}, set()),
    ("The office we were moved to is forty miles from where I live.", {"premises"}, set()),
    ("Former CRC staff sit at one end of the office and NPS staff at the other.", {"cultural_divide"}, {"premises"}),
    ("My request for a transfer has been parked for months.", set(), {"premises"}),
    ("I see my SPO in the office once a month for supervision.", {"leadership_communication"}, {"premises"}),
    # leadership_communication: a chaotic change, not chaotic lives; briefings only for clarity
    ("The whole thing has been chaotic from the day we transferred.", {"leadership_communication"}, set()),
    ("Roll-out of the new model was shambolic.", {"leadership_communication"}, set()),
    ("The briefing was so unclear that nobody knew which team they were in.", {"leadership_communication"}, set()),
    ("Many of the people I supervise lead chaotic lives.", set(), {"leadership_communication"}),
    ("My caseload is full of chaotic, high-risk young men.", {"workload"}, {"leadership_communication"}),
    ("Constant briefings, emails and webinars on top of a full caseload.", {"induction_overload"},
     {"leadership_communication"}),
    # ict: "IT" but never the pronoun; OASys and nDelius only when the system is the point
    ("The IT has been a nightmare since the switch.", {"ict"}, set()),
    ("IT never answer the phone.", {"ict"}, set()),
    ("Still waiting for IT-support to sort out my account.", {"ict"}, set()),
    ("nDelius is so slow in the afternoons it is unusable.", {"ict"}, set()),
    ("OASys crashes at least once a week and I lose my work.", {"ict"}, set()),
    ("It was hard but it is getting better.", set(), {"ict"}),
    ("THE WHOLE THING IS A MESS AND I HATE IT", set(), {"ict"}),
    ("I have four OASys assessments due this week and no time to do them.", {"workload"}, {"ict"}),
    ("Everything has to be recorded on Delius twice.", set(), {"ict"}),
    # positive_outlook: one organisation again; negated praise is not praise
    ("Glad to be one organisation again after the CRC years.", {"positive_outlook"}, set()),
    ("It feels good to be back in one probation service.", {"positive_outlook"}, set()),
    ("Reunification has gone well in our area.", {"positive_outlook"}, set()),
    ("Nothing has gone well since the transfer.", set(), {"positive_outlook"}),
    ("It hasn't gone smoothly and nothing has improved.", set(), {"positive_outlook"}),
    ("We are meant to be one organisation, but it doesn't feel that way.", set(), {"positive_outlook"}),
    ("I don't feel welcome in the new team.", set(), {"positive_outlook"}),
    # pay_grading and professional_identity: bands without numbers, the same job for less
    ("I do the same job as a colleague who is a band higher.", {"pay_grading"}, set()),
    ("Ex-CRC PSOs are on a lower grade for identical work.", {"pay_grading"}, set()),
    ("We lost our essential car user allowance at transfer.", {"pay_grading"}, set()),
    ("PSOs are doing the same work as POs on a lower band.", {"pay_grading", "professional_identity"}, set()),
    ("The workload allowance for PSRs is far too low.", {"workload"}, {"pay_grading"}),
    ("Senior leaders pay lip service to wellbeing.", {"leadership_communication"}, {"pay_grading"}),
    ("They removed London weighting from ex-CRC staff.", {"pay_grading"}, {"workload"}),
    # staffing: more, extra or not enough staff
    ("We've taken on hundreds of extra cases with no additional staff.", {"staffing", "workload"}, set()),
    ("We are short of staff in every team.", {"staffing"}, set()),
    ("There aren't enough staff to run duty.", {"staffing"}, set()),
    ("The staff in my team are brilliant.", set(), {"staffing"}),
    # bureaucracy: admin as a burden, not admin as a job
    ("The admin burden has doubled since we joined the civil service.", {"bureaucracy"}, set()),
    ("Admin eats up half of my time.", {"bureaucracy"}, set()),
    ("I feel like a glorified admin worker.", {"professional_identity"}, {"bureaucracy"}),
    ("Our admin staff are the only reason the office runs.", set(), {"bureaucracy"}),
    # workload: drowning in work and covering cases, not in e-learning or in what trainees may do
    ("I'm drowning in work and the cases keep coming.", {"workload"}, set()),
    ("I've been covering cases for a colleague on long-term sick.", {"workload"}, set()),
    ("Drowning in e-learning modules.", {"induction_overload"}, {"workload"}),
    ("PQiP learners cannot cover high-risk cases on their own.", {"staffing"}, {"workload"}),
]


@pytest.fixture(scope="module")
def bundled_codes(bundled: Codebook) -> dict[str, set[str]]:
    """The codes the rule coder gives each of BUNDLED_CASES with the bundled codebook."""
    quotes = [
        Quote(quote_id=f"q{i}", response_id=f"r{i}", text=text, source="cases", row=i + 2)
        for i, (text, _, _) in enumerate(BUNDLED_CASES)
    ]
    found: dict[str, set[str]] = {q.text: set() for q in quotes}
    texts = {q.quote_id: q.text for q in quotes}
    for coding in RulesCoder(n_jobs=1).fit(bundled).predict(quotes):
        found[texts[coding.quote_id]].add(coding.code)
    return found


@pytest.mark.parametrize(("text", "wanted", "unwanted"), BUNDLED_CASES, ids=[c[0][:40] for c in BUNDLED_CASES])
def test_bundled_codebook_codes_typical_comments(
    bundled_codes: dict[str, set[str]], text: str, wanted: set[str], unwanted: set[str]
) -> None:
    got = bundled_codes[text]
    assert wanted <= got, f"missing {wanted - got}; got {got}"
    assert not unwanted & got, f"should not get {unwanted & got}"


@pytest.mark.parametrize(
    ("term", "finds", "misses"),
    [
        # "parking" would also find "parked" (set aside); the phrases do not.
        ("parking space*", ["parking spaces"], ["parked"]),
        ("car park*", ["car parks", "car parking"], ["parked"]),
        ("work from home", ["working from home", "worked from home"], []),
        ("lower band", ["lower bands"], []),
    ],
)
def test_bundled_terms_expand_as_intended(term: str, finds: list[str], misses: list[str]) -> None:
    index = TermIndex([term])
    for text in finds:
        assert index.find(text), (term, text)
    for text in misses:
        assert not index.find(text), (term, text)
