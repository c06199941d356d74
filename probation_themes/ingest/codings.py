"""Read codings made elsewhere (another coder's spreadsheet, a gold standard) from a table.

Three layouts are understood:

- **long**: one row per (unit, code), with an id column and a ``code`` column, and
  optionally a ``value`` or ``applied`` column whose 0/no/false marks the unit as
  seen but the code as not applied. A row with a blank code marks a unit that was
  read and given no code.
- **wide**: one row per unit, the id column and then one column per code id holding
  1/0, yes/no, true/false or x/blank (blank means not applied).
- **names**: one row per unit, the id column, perhaps the response text, and columns
  such as ``Code 1`` … ``Code 8`` each holding a code's *name* (see
  :mod:`probation_themes.ingest.coding_sheets`); a row with no names was read and
  given no code.

Codes are matched to the codebook by id, then by label, then by their path of
labels (``Workload->Caseload``). With ``create_codes`` a name the codebook lacks
becomes a code of the implied codebook (:mod:`probation_themes.codebook.implied`).

A *unit* is a response or a quote, depending on which ids the file uses. Reading is
all or nothing: every problem (unreadable rows, blank ids, values that are not yes
or no, rows that contradict each other, codes not in the codebook, ids not in the
project that carry a code) is collected and reported in one error, and nothing is
returned half-read. An id the project lacks whose row applies no code (a respondent
dropped at ingest, listed blank or all zeros) is skipped and reported.
Files are decoded exactly as ``ingest`` decodes them (byte-order marks, UTF-16,
Windows-1252, delimiter sniffing, Excel workbooks).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from probation_themes.codebook import Code, Codebook
from probation_themes.codebook.implied import CodeNames
from probation_themes.errors import IngestError
from probation_themes.ingest.clean import clean_cell, strip_controls
from probation_themes.ingest.coding_sheets import (
    TextIds,
    best_text_column,
    choose_separator,
    name_columns,
    names_pairs,
    read_names,
    resolve_names,
    split_name,
)
from probation_themes.ingest.codings_messages import SHOWN as _SHOWN
from probation_themes.ingest.codings_messages import problems_error as _problems_error
from probation_themes.ingest.columns import DEFAULT_TEXT_NAMES, find_column, unique_names
from probation_themes.ingest.decode import decode_bytes
from probation_themes.ingest.tables import Record, looks_tabular, read_delimited
from probation_themes.ingest.xlsx import read_xlsx

Level = Literal["response", "quote"]
Layout = Literal["long", "wide", "names"]

CODINGS_SUPPORTED = (".csv", ".tsv", ".txt", ".xlsx")
ID_NAMES = ("response_id", "quote_id", "id")
VALUE_NAMES = ("value", "applied")
_YES = frozenset({"1", "yes", "y", "true", "t", "x", "✓", "✔"})
_NO = frozenset({"", "0", "no", "n", "false", "f"})


@dataclass(frozen=True)
class CodingsFile:
    """A codings file read and checked against a codebook and a project's ids."""

    source: str
    format: Layout
    level: Level
    id_column: str
    code_column: str | None
    value_column: str | None
    encoding: str | None
    rows_read: int
    units: tuple[str, ...]
    positives: tuple[tuple[str, str], ...]
    missing_codes: tuple[str, ...]
    #: Ids the project lacks whose rows applied no code: skipped, not refused.
    skipped_ids: tuple[str, ...] = ()
    #: The codebook the codes were resolved against, with any codes the file created.
    codebook: Codebook | None = None
    #: Ids of the codes this file added to an implied codebook.
    created_codes: tuple[str, ...] = ()
    #: The sub-code separator read in code names (``->``, ``/`` …), if any.
    separator: str | None = None
    #: The columns that held code names (names layout).
    name_columns: tuple[str, ...] = ()
    #: When only one of a REFI-QDA project's users was read: that user's name.
    coder_in_file: str | None = None
    #: Whether rows were matched to answers by their response text (the ids matched none).
    matched_by_text: bool = False
    #: The earliest and latest coding dates a REFI-QDA project gives (ISO 8601 as written), if any.
    coded_between: tuple[str, str] | None = None
    #: When each (unit, code) was coded (ISO 8601), where the file says (REFI-QDA); the earliest if coded twice.
    coded_at: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: A REFI-QDA project's users with codings, and how many each made.
    users_in_file: tuple[tuple[str, int], ...] = ()
    #: The codings of the file's other users, left out because one user was chosen: (user, codings).
    left_out: tuple[tuple[str, int], ...] = ()
    #: Codings whose date could not be read as a date (kept, undated).
    unreadable_dates: int = 0


class _NoIdMatches(IngestError):
    """Not one id of the file is the project's (the file may be matched by its texts instead)."""


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _open_table(path: Path, encoding: str | None, sheet: str | None) -> tuple[list[str], Iterator[Record], Callable[[], None], str | None]:
    suffix = path.suffix.lower()
    if suffix not in CODINGS_SUPPORTED:
        raise IngestError(
            f"{path.name} has the extension '{path.suffix or '(none)'}', which cannot be read as codings. "
            f"Save the codings as {', '.join(CODINGS_SUPPORTED)} (CSV UTF-8 or an Excel workbook) and import that file.",
            path=path,
        )
    if suffix == ".xlsx":
        header, records, close = read_xlsx(path, sheet)
        return header, records, close, None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path} could not be read: {exc.strerror}. Check its permissions.", path=path) from None
    text, used = decode_bytes(data, path, encoding)
    text = strip_controls(text)
    if not text.strip():
        raise IngestError(f"{path.name} holds only blank space; there are no codings to import.", path=path)
    tabs = suffix == ".tsv" or (suffix == ".txt" and looks_tabular(text))
    header, records = read_delimited(text, "\t" if tabs else None)
    return header, records, lambda: None, used


def _default_column(columns: list[str], names: tuple[str, ...]) -> int | None:
    folded = [_fold(c) for c in columns]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def _flag(value: str) -> bool | None:
    """1/yes/true/x → True; 0/no/false/blank → False; anything else → None (unreadable)."""
    text = value.strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    try:
        number = float(text)
    except ValueError:
        return None
    return {1.0: True, 0.0: False}.get(number)


class _Reader:
    """Walks the records once, collecting units, positives and every problem with its row."""

    def __init__(self, width: int, id_index: int, id_name: str, text_ids: TextIds | None = None) -> None:
        self.width = width
        self.id_index = id_index
        self.id_name = id_name
        self.text_ids = text_ids
        self.rows_read = 0
        self.units: dict[str, list[int]] = {}
        self.problems: list[str] = []

    def cells(self, row: int, cells: list[str] | None, problem: str | None) -> tuple[str, list[str]] | None:
        if cells is None:
            self.rows_read += 1
            self.problems.append(problem or f"row {row} could not be read")
            return None
        if not any(cell.strip() for cell in cells):
            return None  # a blank line holds no codings, as in ingest
        self.rows_read += 1
        if len(cells) > self.width and any(cell.strip() for cell in cells[self.width :]):
            self.problems.append(
                f"row {row} has {len(cells)} cells but the header has {self.width} columns"
            )
            return None
        cells = cells[: self.width] + [""] * (self.width - len(cells))
        unit = cells[self.id_index].strip()
        if self.text_ids is not None:
            unit = self.text_ids.unit(cells[self.id_index], row)
        elif not unit:
            self.problems.append(f"row {row} has no id in column '{self.id_name}'")
            return None
        self.units.setdefault(unit, []).append(row)
        return unit, cells


def _read_long(
    reader: _Reader, records: Iterator[Record], code_index: int, value_index: int | None, columns: list[str]
) -> tuple[dict[tuple[str, str], tuple[int, bool]], dict[str, list[int]]]:
    pairs: dict[tuple[str, str], tuple[int, bool]] = {}
    codes: dict[str, list[int]] = {}
    for row, cells, _raw, problem in records:
        read = reader.cells(row, cells, problem)
        if read is None:
            continue
        unit, cells = read
        code = clean_cell(cells[code_index].strip())[0]
        if not code:
            continue  # the unit was read and given no code
        applied = True
        if value_index is not None:
            flag = _flag(cells[value_index])
            if flag is None:
                reader.problems.append(
                    f"row {row} has '{cells[value_index].strip()}' in column '{columns[value_index]}', "
                    "which is not 1/0, yes/no, true/false or x/blank"
                )
                continue
            applied = flag
        codes.setdefault(code, []).append(row)
        earlier = pairs.setdefault((unit, code), (row, applied))
        if earlier[1] != applied:
            reader.problems.append(
                f"rows {earlier[0]} and {row} disagree on whether '{unit}' has code '{code}'"
            )
    return pairs, codes


def _read_wide(
    reader: _Reader, records: Iterator[Record], code_of: dict[int, str], unnamed: set[int], columns: list[str]
) -> dict[tuple[str, str], tuple[int, bool]]:
    pairs: dict[tuple[str, str], tuple[int, bool]] = {}
    first_row: dict[str, tuple[int, frozenset[str]]] = {}
    for row, cells, _raw, problem in records:
        read = reader.cells(row, cells, problem)
        if read is None:
            continue
        unit, cells = read
        stray = [i + 1 for i in sorted(unnamed) if cells[i].strip()]
        if stray:
            reader.problems.append(
                f"row {row} has a value under column {', '.join(map(str, stray))} of the header, which has no name"
            )
            continue
        applied: set[str] = set()
        bad = False
        for index, code in code_of.items():
            flag = _flag(cells[index])
            if flag is None:
                reader.problems.append(
                    f"row {row} has '{cells[index].strip()}' in column '{columns[index]}', "
                    "which is not 1/0, yes/no, true/false or x/blank"
                )
                bad = True
            elif flag:
                applied.add(code)
        if bad:
            continue
        seen = first_row.setdefault(unit, (row, frozenset(applied)))
        if seen[1] != applied:
            differ = sorted(seen[1] ^ applied)
            reader.problems.append(
                f"rows {seen[0]} and {row} both code '{unit}' but disagree on {', '.join(differ)}"
            )
            continue
        for code in applied:
            pairs.setdefault((unit, code), (row, True))
    return pairs


def _choose_level(units: Collection[str], response_ids: Collection[str], quote_ids: Collection[str]) -> Level:
    as_response = sum(1 for u in units if u in response_ids)
    as_quote = sum(1 for u in units if u in quote_ids)
    return "quote" if as_quote > as_response else "response"


def _ids_only(code_ids: Collection[str]) -> Codebook | None:
    """A stand-in codebook for callers that give code ids only (names then match ids)."""
    ids = list(dict.fromkeys(code_ids))
    if not ids:
        return None
    return Codebook(name="codes", version="1.0.0", codes=[Code(id=c, label=c, definition=c) for c in ids])


def read_codings(
    path: str | Path,
    *,
    code_ids: Collection[str] = (),
    response_ids: Collection[str],
    quote_ids: Collection[str],
    codebook: Codebook | None = None,
    create_codes: bool = False,
    fmt: Layout | None = None,
    level: Level | None = None,
    id_col: str | None = None,
    code_col: str | None = None,
    name_cols: Sequence[str] = (),
    subcode_sep: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    codebook_name: str = "the codebook",
    texts: Callable[[], Iterable[tuple[str, str]]] | None = None,
    clean_names: Callable[[str], str] | None = None,
) -> CodingsFile:
    """Read a codings file and check every code and id, all or nothing.

    Args:
        path: a ``.csv``, ``.tsv``, tab-separated ``.txt`` or ``.xlsx`` file.
        code_ids: the codebook's code ids, when no ``codebook`` is given (codes are
            then matched exactly, then ignoring case).
        response_ids: every response id of the project.
        quote_ids: every quote id of the project.
        codebook: the codebook the codes belong to; codes are matched by id, label or
            path of labels (``Workload->Caseload``).
        create_codes: names the codebook lacks become new codes of an implied
            codebook (returned as ``codebook``) instead of being refused.
        fmt: ``long``, ``wide`` or ``names``; by default long when the file has a
            ``code`` column (or ``code_col`` is given), names when it has columns
            such as ``Code 1``, ``Code 2`` (or ``name_cols`` are given), else wide.
        level: ``response`` or ``quote``; by default the one whose ids match more
            of the file's ids (a tie means response).
        id_col: the id column; by default ``response_id``, ``quote_id`` or ``id``
            (a wide or names file without one uses its first column).
        code_col: the code column of a long file; by default ``code``.
        name_cols: the columns holding code names (names layout); by default every
            column named like ``Code 1``.
        subcode_sep: how a sub-code is written after its parent (``->``, ``/`` …;
            ``none`` for no sub-codes); by default detected.
        encoding: an encoding that overrides detection (text files only).
        sheet: the sheet of a workbook (default: the first).
        codebook_name: how to name the codebook in messages.
        texts: gives (answer text, response id) for the project's quotes in ingest order;
            when no id of the file is the project's and no ``id_col`` was named, rows are
            matched to answers by the column that holds their text (see
            :class:`~probation_themes.ingest.coding_sheets.TextIds`).
        clean_names: how code names are cleaned before they become codes of an implied
            codebook (see :class:`~probation_themes.codebook.implied.CodeNames`).

    Returns:
        The units the file covers (every id in it the project has), the (unit, code)
        pairs it applies, the ids it skipped, and what was detected.

    Raises:
        IngestError: the file cannot be read, a column is missing or unknown, or
            any row, code or id is wrong; the message counts and lists them.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "is not a regular file" if path.exists() else "does not exist"
        raise IngestError(f"{path} {what}; give the codings file (CSV, TSV or XLSX).", path=path)
    book = codebook if codebook is not None else _ids_only(code_ids)
    options = dict(response_ids=response_ids, quote_ids=quote_ids, fmt=fmt, level=level, code_col=code_col,
                   name_cols=name_cols, subcode_sep=subcode_sep, codebook_name=codebook_name,
                   codebook_given=codebook is not None)

    def read(column: str | None, text_ids: TextIds | None) -> CodingsFile:
        header, records, close, used = _open_table(path, encoding, sheet)
        try:
            return _read(path, header, records, used, names=CodeNames(book, create=create_codes, clean=clean_names),
                         id_col=column, text_ids=text_ids, **options)
        except IngestError as exc:
            if exc.path is not None:
                raise
            raise type(exc)(f"{path.name}: {exc.message}", path=path, row=exc.row, column=exc.column) from None
        finally:
            close()

    try:
        return read(id_col, None)
    except _NoIdMatches:
        if id_col or texts is None:
            raise
        text_ids = TextIds(texts())
        column = _text_column(path, encoding, sheet, text_ids)
        if column is None:
            raise
        return read(column, text_ids)


def _text_column(path: Path, encoding: str | None, sheet: str | None, texts: TextIds) -> str | None:
    header, records, close, _used = _open_table(path, encoding, sheet)
    try:
        columns = unique_names([clean_cell(strip_controls(name))[0] for name in header])
        skip = set(name_columns(columns))
        index = best_text_column((cells for _row, cells, _raw, _p in records if cells), len(columns), skip, texts)
    finally:
        close()
    return columns[index] if index is not None else None


def _read(
    path: Path,
    header: list[str],
    records: Iterator[Record],
    used: str | None,
    *,
    names: CodeNames,
    response_ids: Collection[str],
    quote_ids: Collection[str],
    fmt: Layout | None,
    level: Level | None,
    id_col: str | None,
    code_col: str | None,
    name_cols: Sequence[str],
    subcode_sep: str | None,
    codebook_name: str,
    codebook_given: bool,
    text_ids: TextIds | None = None,
) -> CodingsFile:
    blank_header = {i for i, name in enumerate(header) if not name.strip()}
    columns = unique_names([clean_cell(strip_controls(name))[0] for name in header])
    if not columns:
        raise IngestError(f"{path.name} has no header row and no codings. Check that this is the codings file.", path=path)
    code_index = find_column(columns, code_col, "--code-col", path) if code_col else _default_column(columns, ("code",))
    name_indexes = [find_column(columns, c, "--code-col", path) for c in name_cols]
    if fmt is None:
        if code_col:
            fmt = "long"
        elif name_indexes or name_columns(columns):
            fmt = "names"  # Code 1 … Code N (perhaps beside a bare Code column)
        elif code_index is not None:
            fmt = "long"
        else:
            fmt = "wide"
    if fmt == "long" and code_index is None:
        raise IngestError(
            f"{path.name} has no 'code' column, so it cannot be read as long codings (one row per id and code). "
            f"Its columns are: {', '.join(repr(c) for c in columns)}. Name the code column with --code-col, "
            "use --format wide for one 0/1 column per code, or --format names for columns of code names.",
            path=path,
        )
    if fmt == "wide" and (code_col or name_cols):
        raise IngestError(
            "--code-col names the code column of a long file, or the code-name columns of a coding sheet; "
            "a wide file has one 0/1 column per code. Leave out --code-col, or use --format long or --format names.",
            path=path,
        )
    id_index = _id_column(columns, id_col, level, fmt, names, path)
    if fmt == "names":
        if code_index is not None and code_col and not name_indexes:
            name_indexes = [code_index]
        name_indexes = [i for i in (name_indexes or name_columns(columns)) if i != id_index]
        if not name_indexes:
            raise IngestError(
                f"{path.name} has no columns of code names such as 'Code 1', 'Code 2'. Its columns are: "
                f"{', '.join(repr(c) for c in columns)}. Name them with --code-col (once per column).",
                path=path,
            )
    reader = _Reader(len(columns), id_index, columns[id_index], text_ids)
    unknown_codes: dict[str, list[int]] = {}
    value_index = None
    missing: tuple[str, ...] = ()
    separator: str | None = None
    if fmt == "long":
        assert code_index is not None
        value_index = _default_column(columns, VALUE_NAMES)
        pairs, codes = _read_long(reader, records, code_index, value_index, columns)
        separator = choose_separator(codes, subcode_sep)
        rename = resolve_names(names, codes, separator)
        unknown_codes = {code: codes[code] for code, known in rename.items() if known is None}
        resolved: dict[tuple[str, str], tuple[int, bool]] = {}
        for (unit, code), value in pairs.items():
            known = rename.get(code)
            if known is None:
                continue
            earlier = resolved.setdefault((unit, known), value)
            if earlier[1] != value[1]:
                reader.problems.append(
                    f"rows {earlier[0]} and {value[0]} disagree on whether '{unit}' has code '{known}'"
                )
        pairs = resolved
    elif fmt == "names":
        rows, found = read_names(reader, records, name_indexes)
        separator = choose_separator(found, subcode_sep)
        code_of = resolve_names(names, found, separator)
        unknown_codes = {name: found[name] for name, known in code_of.items() if known is None}
        pairs = names_pairs(reader, rows, code_of)
    else:
        code_of, unnamed = _code_columns(columns, id_index, blank_header, names, path, codebook_name, codebook_given,
                                         subcode_sep)
        pairs = _read_wide(reader, records, code_of, unnamed, columns)
        present = set(code_of.values())
        book = names.codebook()
        missing = tuple(c for c in book.ids if c not in present) if codebook_given else ()
    if not reader.units and not reader.problems:
        raise IngestError(f"{path.name} has a header but no rows of codings; there is nothing to import.", path=path)
    if text_ids is not None:
        level = "response"
    elif level is None:
        level = _choose_level(reader.units, response_ids, quote_ids)
    known_ids = response_ids if level == "response" else quote_ids
    unknown_ids = {u: rows for u, rows in reader.units.items() if u not in known_ids}
    coded = {unit for (unit, _code), (_row, applied) in pairs.items() if applied}
    refused = {u: rows for u, rows in unknown_ids.items() if u in coded}
    if len(unknown_ids) == len(reader.units):
        refused = unknown_ids  # nothing matches: the wrong project or the wrong level, not dropped respondents
    skipped = tuple(u for u in unknown_ids if u not in refused)
    if reader.problems or unknown_codes or refused:
        other = quote_ids if level == "response" else response_ids
        error = _problems_error(path, reader.problems, unknown_codes, refused, level, other, codebook_name)
        if refused and len(refused) == len(reader.units) and text_ids is None:
            raise _NoIdMatches(error.message, path=error.path)
        raise error
    book = names.codebook()
    return CodingsFile(
        source=path.name,
        format=fmt,
        level=level,
        id_column=columns[id_index],
        code_column=columns[code_index] if fmt == "long" and code_index is not None else None,
        value_column=columns[value_index] if value_index is not None else None,
        encoding=used,
        rows_read=reader.rows_read,
        units=tuple(u for u in reader.units if u not in unknown_ids),
        positives=tuple(pair for pair, (_row, applied) in pairs.items() if applied and pair[0] not in unknown_ids),
        missing_codes=missing,
        skipped_ids=skipped,
        codebook=book if names.created or codebook_given else None,
        created_codes=tuple(names.created),
        separator=separator,
        name_columns=tuple(columns[i] for i in name_indexes) if fmt == "names" else (),
        matched_by_text=text_ids is not None,
    )


def _id_column(
    columns: list[str], id_col: str | None, level: Level | None, fmt: Layout, names: CodeNames, path: Path
) -> int:
    if id_col:
        return find_column(columns, id_col, "--id-col", path)
    # With both id columns present (as in an exported long table) the level decides.
    preferred = ("quote_id", "response_id", "id") if level == "quote" else ID_NAMES
    found = _default_column(columns, preferred)
    if found is not None:
        return found
    first_is_code = names.find(columns[0]) is not None or bool(name_columns(columns[:1]))
    if fmt in ("wide", "names") and not first_is_code:
        return 0
    raise IngestError(
        f"Which column of {path.name} holds the response or quote ids? None is called "
        f"{', '.join(ID_NAMES)}. Its columns are: {', '.join(repr(c) for c in columns)}. "
        "Name the id column with --id-col.",
        path=path,
    )


def _code_columns(
    columns: list[str],
    id_index: int,
    blank_header: set[int],
    names: CodeNames,
    path: Path,
    codebook_name: str,
    codebook_given: bool,
    subcode_sep: str | None = None,
) -> tuple[dict[int, str], set[int]]:
    code_of: dict[int, str] = {}
    unnamed: set[int] = set()
    unknown: list[str] = []
    separator = choose_separator([c for i, c in enumerate(columns) if i != id_index and i not in blank_header],
                                 subcode_sep)
    for index, name in enumerate(columns):
        if index == id_index:
            continue
        if index in blank_header:
            unnamed.add(index)  # empty spreadsheet columns are harmless; values under no header are not
            continue
        if names.create and _fold(name) in (*DEFAULT_TEXT_NAMES, *ID_NAMES):
            continue  # the response text (or the other id) beside the 0/1 columns is not a code
        code = names.resolve(name, split_name(name, separator))
        if code is None:
            unknown.append(name)
        elif code in code_of.values():
            raise IngestError(
                f"{path.name} has two columns for the code '{code}'. Keep one of them and import again.",
                path=path,
                column=name,
            )
        else:
            code_of[index] = code
    known = names.codebook().ids if codebook_given or names.created else []
    if unknown:
        listed = ", ".join(repr(c) for c in unknown[:_SHOWN]) + (f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else "")
        raise IngestError(
            f"{path.name} is read as wide codings (the id column '{columns[id_index]}', then one 0/1 column per code), "
            f"but {len(unknown)} column{'s are' if len(unknown) > 1 else ' is'} not a code of {codebook_name}: {listed}. "
            f"The codebook's codes are: {', '.join(known)}. Remove the other columns (or rename them to code ids) "
            "and import again; a file with one row per id and code needs a 'code' column or --code-col, and a "
            "sheet of code names (Code 1, Code 2, …) needs --format names.",
            path=path,
        )
    if not code_of:
        raise IngestError(
            f"{path.name} has no column named after a code of {codebook_name}, so there is nothing to import. "
            f"Name the 0/1 columns after the codebook's codes ({', '.join(known)}), or give a long file with a "
            "'code' column.",
            path=path,
        )
    return code_of, unnamed
