"""The CSV form of a codebook, for editing in a spreadsheet.

Layout (see docs/codebook.md)::

    name,Probation unification staff survey
    version,1.0.0
    description,Codes for the 2021 staff survey
    exclusive,exactly_one                      (optional: one top-level code per answer)
    exclusive_group,Tone,at_most_one,positive | negative   (optional, one row per group)
    exclusive_group,Stage,exactly_one,children of sentence (a parent's children)
    <blank row>
    id,label,parent,definition,include,exclude,examples,color,any,all,near,none,regex,seeds
    workload,High caseloads and workloads,,Comments about ...,caseload* | workload | ...

A few rows at the top hold the codebook's own fields; the table of codes starts at
the row whose first cell is ``id``, one row per code. A cell holding a list joins
its entries with `` | ``; a `near` entry is written ``training ~ time ~ 8``. A ``|``
(or, in `near`, a ``~``) that belongs to an entry is written ``\\|`` (``\\~``), and a
backslash just before one of those characters or another backslash is doubled.
Converting YAML → CSV → YAML gives back an equal codebook.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from pathlib import Path

from pydantic import ValidationError

from probation_themes.codebook.cells import (
    guard,
    join_list,
    join_near,
    letter,
    split_cell,
    split_list,
    unguard,
)
from probation_themes.codebook.messages import Problem, join_problems, problems_from, sentence
from probation_themes.codebook.schema import Codebook
from probation_themes.errors import CodebookError

META_FIELDS = ("name", "version", "description", "exclusive")
COLUMNS = (
    "id", "label", "parent", "definition", "include", "exclude", "examples", "color",
    "any", "all", "near", "none", "regex", "seeds",
)
#: Columns written only when some code uses them (so codebooks without them keep their layout).
OPTIONAL_COLUMNS = ("negation", "polarity", "exclusive", "ignore_negation")
REQUIRED_COLUMNS = ("id", "label", "definition")
LIST_COLUMNS = ("include", "exclude", "examples", "seeds")

def codebook_to_csv(codebook: Codebook) -> str:
    """Write a codebook in its CSV form, to edit in Excel or another spreadsheet.

    The first rows hold the name, version and description; a blank row follows; then a
    header row and one row per code. Reading the text with ``codebook_from_csv`` gives
    back an equal codebook.

    Args:
        codebook: the codebook to write.

    Returns:
        CSV text (comma separated, rows ending in CRLF as spreadsheets expect).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", guard(codebook.name)])
    writer.writerow(["version", codebook.version])
    if codebook.description:
        writer.writerow(["description", guard(codebook.description)])
    if codebook.exclusive:
        writer.writerow(["exclusive", codebook.exclusive])
    for group in codebook.exclusive_groups:
        members = join_list(group.codes) if group.codes is not None else f"children of {group.parent}"
        writer.writerow(["exclusive_group", guard(group.name or ""), group.choose, guard(members)])
    writer.writerow([])
    used = [
        column for column in OPTIONAL_COLUMNS
        if any(_optional_cell(code, column) for code in codebook.codes)
    ]
    columns = (*COLUMNS, *used)
    writer.writerow(columns)
    for code in codebook.codes:
        rules = code.rules
        cells = {
            **{column: _optional_cell(code, column) for column in used},
            "id": code.id,
            "label": code.label,
            "parent": code.parent or "",
            "definition": code.definition,
            "color": code.color or "",
            **{field: join_list(getattr(code, field)) for field in LIST_COLUMNS},
            **{
                field: join_list(getattr(rules, field)) if rules else ""
                for field in ("any", "all", "none", "regex")
            },
            "near": join_near(rules.near) if rules else "",
        }
        writer.writerow([guard(cells[column]) for column in columns])
    return buffer.getvalue()


def _optional_cell(code, column: str) -> str:
    if column == "negation":
        return "" if code.negation else "false"
    if column == "polarity":
        return code.polarity or ""
    if column == "exclusive":
        return code.exclusive or ""
    return join_list(code.rules.ignore_negation) if code.rules else ""


class _Reader:
    """Reads CSV rows into codebook data, remembering which row each code came from."""

    def __init__(self, text: str, path: str | Path | None) -> None:
        self.path = path
        self.text = text.removeprefix("\ufeff")
        self.problems: list[tuple[str, str]] = []
        self.code_rows: list[int] = []
        self.meta_rows: dict[str, int] = {}
        self.data: dict = {}

    def fail(self, message: str, location: str | None = None) -> CodebookError:
        where = f" {self.path}" if self.path else ""
        return CodebookError(
            f"The CSV codebook{where} cannot be read: {sentence(message)} See docs/codebook.md for "
            "the CSV layout.",
            path=self.path,
            location=location,
        )

    def delimiter(self) -> str:
        # Excel writes ';' in locales that use a decimal comma and tabs for "Unicode text".
        match = re.match(r'\s*"?(?:name|version|description|id)"?\s*([,;\t])', self.text, re.IGNORECASE)
        return match.group(1) if match else ","

    def rows(self) -> list[list[str]]:
        try:
            return list(csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter()))
        except csv.Error as exc:
            raise self.fail(f"the text is not well-formed CSV ({exc})") from None

    def read(self) -> dict:
        rows = self.rows()
        header_index = self.read_preamble(rows)
        columns = self.read_header(rows[header_index], header_index + 1)
        codes = []
        for index in range(header_index + 1, len(rows)):
            row = [unguard(cell) for cell in rows[index]]
            if not any(cell.strip() for cell in row):
                continue  # spreadsheets leave empty rows behind; they are not codes
            codes.append(self.read_code(row, columns, index + 1))
        if not codes and not self.problems:
            raise self.fail(
                f"there are no codes under the header row (row {header_index + 1}); add one row per code",
                location=f"row {header_index + 1}",
            )
        if self.problems:
            where = f" {self.path}" if self.path else ""
            raise CodebookError(
                f"The CSV codebook{where} is not valid: {sentence(join_problems(self.problems))} Fix "
                f"{'this cell' if len(self.problems) == 1 else 'these cells'} in the spreadsheet, "
                f"save it as CSV UTF-8 and run `probation-themes codebook validate{where}` again.",
                path=self.path,
                location=self.problems[0][0],
            )
        self.data["codes"] = codes
        return self.data

    def read_preamble(self, rows: list[list[str]]) -> int:
        for index, raw in enumerate(rows):
            row = [unguard(cell) for cell in raw]
            if not any(cell.strip() for cell in row):
                continue
            first = row[0].strip().lower()
            if first == "id":
                return index
            number = index + 1
            if first == "exclusive_group":
                cells = [*row[1:4], "", "", ""][:3]
                if any(cell.strip() for cell in row[4:]):
                    raise self.fail(f"row {number} (exclusive_group) has text beyond its fourth cell; write the "
                                    "group's name, at_most_one or exactly_one, then its code ids joined by ' | '",
                                    location=f"row {number}")
                members = cells[2].strip()
                group: dict = (
                    {"parent": members[len("children of "):].strip()} if members.lower().startswith("children of ")
                    else {"codes": split_list(cells[2])}
                )
                if cells[0].strip():
                    group["name"] = cells[0].strip()
                if cells[1].strip():
                    group["choose"] = cells[1].strip()
                self.data.setdefault("exclusive_groups", []).append(group)
                continue
            if first not in META_FIELDS:
                raise self.fail(
                    f"row {number} starts with {row[0].strip()!r}; above the table of codes only rows "
                    "starting with name, version, description, exclusive or exclusive_group may appear, and the table must start "
                    "with a header row whose first cell is 'id'",
                    location=f"row {number}",
                )
            if first in self.data:
                raise self.fail(f"row {number} gives the codebook's {first} a second time; keep one row",
                                location=f"row {number}")
            if any(cell.strip() for cell in row[2:]):
                raise self.fail(
                    f"row {number} ({first}) has text beyond its second cell; put the whole {first} "
                    "in the second cell",
                    location=f"row {number}",
                )
            self.data[first] = row[1] if len(row) > 1 else ""
            self.meta_rows[first] = number
        raise self.fail(
            "no header row was found; the table of codes must start with a row whose first cell is "
            f"'id', followed by the column names ({', '.join(COLUMNS)})"
        )

    def read_header(self, header: list[str], number: int) -> dict[int, str]:
        columns: dict[int, str] = {}
        for position, raw in enumerate(header):
            name = raw.strip().lower()
            if not name:
                continue
            if name not in COLUMNS + OPTIONAL_COLUMNS:
                close = difflib.get_close_matches(name, COLUMNS + OPTIONAL_COLUMNS, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else "the columns are " + ", ".join(COLUMNS)
                raise self.fail(f"row {number} (the header) has an unknown column {raw.strip()!r}; {hint}",
                                location=f"row {number}, column {raw.strip()}")
            if name in columns.values():
                raise self.fail(f"row {number} (the header) has the column {name!r} twice; keep one",
                                location=f"row {number}, column {name}")
            columns[position] = name
        missing = [c for c in REQUIRED_COLUMNS if c not in columns.values()]
        if missing:
            raise self.fail(
                f"the header (row {number}) lacks the column(s) {', '.join(missing)}; every codebook "
                "table needs id, label and definition",
                location=f"row {number}",
            )
        return columns

    def read_code(self, row: list[str], columns: dict[int, str], number: int) -> dict:
        cells: dict[str, str] = {}
        for position, cell in enumerate(row):
            if position in columns:
                cells[columns[position]] = cell
            elif cell.strip():
                self.problems.append(
                    (f"row {number}, column {letter(position)}", "this cell is outside the table's "
                     "named columns; move its text into a named column or delete it")
                )
        code: dict = {}
        for field in ("id", "label", "definition", "parent", "color", "negation", "polarity", "exclusive"):
            value = cells.get(field, "").strip()
            if value:
                code[field] = value
        for field in LIST_COLUMNS:
            items = split_list(cells.get(field, ""))
            if items:
                code[field] = items
        rules: dict = {}
        for field in ("any", "all", "none", "regex", "ignore_negation"):
            items = split_list(cells.get(field, ""), exact=field in ("regex", "ignore_negation"))
            if items:
                rules[field] = items
        near = self.read_near(cells.get("near", ""), number)
        if near:
            rules["near"] = near
        if rules:
            code["rules"] = rules
        self.code_rows.append(number)
        return code

    def read_near(self, cell: str, number: int) -> list[list]:
        out: list[list] = []
        for n, parts in enumerate(split_cell(cell, "|~"), start=1):
            parts = [p.strip() for p in parts]
            if parts == [""]:
                continue
            distance = parts[2] if len(parts) == 3 else ""
            if len(parts) != 3 or not re.fullmatch(r"\d+", distance):
                shown = " ~ ".join(parts)
                self.problems.append(
                    (f"row {number}, column near, item {n}",
                     f"{shown!r} must be written 'word ~ word ~ distance', e.g. 'training ~ time ~ 8'")
                )
                continue
            out.append([parts[0], parts[1], int(distance)])
        return out

    def place(self, loc: tuple) -> str:
        """Where a pydantic location is in the spreadsheet, e.g. 'row 7, column any, item 3'."""
        if not loc:
            return "(whole codebook)"
        if loc[0] != "codes":
            row = self.meta_rows.get(str(loc[0]))
            return f"row {row} ({loc[0]})" if row else str(loc[0])
        if len(loc) < 2 or not isinstance(loc[1], int) or loc[1] >= len(self.code_rows):
            return "the table of codes"
        place = f"row {self.code_rows[loc[1]]}"
        rest = list(loc[2:])
        if rest and rest[0] == "rules":
            rest = rest[1:]
        if rest:
            place += f", column {rest[0]}"
        if len(rest) > 1 and isinstance(rest[1], int):
            place += f", item {rest[1] + 1}"
        return place


def _csv_message(problem: Problem) -> str:
    """The explanation, reworded where the YAML wording would not fit a spreadsheet."""
    loc = problem.loc
    if problem.kind == "missing" and len(loc) == 1 and loc[0] in META_FIELDS:
        return (
            f"the codebook's {loc[0]} is missing; add a row above the header with '{loc[0]}' "
            "in its first cell and the value in its second"
        )
    if problem.kind == "missing" and len(loc) == 3 and loc[0] == "codes":
        return f"this cell is empty, but every code needs a {loc[2]}"
    if "regex" in loc and problem.kind == "value_error":
        return problem.message + r" (in the CSV, a '|' that belongs to a regular expression is written '\|')"
    return problem.message


def codebook_from_csv(text: str, path: str | Path | None = None) -> Codebook:
    """Read a codebook from its CSV form (as written by ``codebook_to_csv`` or a spreadsheet).

    Columns may come in any order and optional ones may be left out; empty rows are
    ignored. A comma, semicolon or tab separator is recognised from the first row.

    Args:
        text: the CSV text (a leading byte-order mark is ignored).
        path: the file the text came from, used in error messages.

    Returns:
        The validated codebook.

    Raises:
        CodebookError: naming the row and column of every problem, e.g.
            ``row 7, column any, item 3: unbalanced quote in '"caseload': remove the quote marks``.
    """
    reader = _Reader(text, path)
    data = reader.read()
    try:
        return Codebook.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, data)
        rendered = [(reader.place(p.loc), _csv_message(p)) for p in problems]
        where = f" {path}" if path else ""
        raise CodebookError(
            f"The CSV codebook{where} is not valid: {sentence(join_problems(rendered))} Fix "
            f"{'this cell' if len(rendered) == 1 else 'these cells'} in the spreadsheet, save it "
            f"as CSV UTF-8 and run `probation-themes codebook validate{where}` again.",
            path=path,
            location=rendered[0][0],
            code_id=problems[0].code_id,
        ) from None
