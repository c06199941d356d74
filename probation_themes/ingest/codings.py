"""Read codings made elsewhere (another coder's spreadsheet, a gold standard) from a table.

Two layouts are understood:

- **long**: one row per (unit, code), with an id column and a ``code`` column, and
  optionally a ``value`` or ``applied`` column whose 0/no/false marks the unit as
  seen but the code as not applied. A row with a blank code marks a unit that was
  read and given no code.
- **wide**: one row per unit, the id column and then one column per code id holding
  1/0, yes/no, true/false or x/blank (blank means not applied).

A *unit* is a response or a quote, depending on which ids the file uses. Reading is
all or nothing: every problem (unreadable rows, blank ids, values that are not yes
or no, rows that contradict each other, codes not in the codebook, ids not in the
project) is collected and reported in one error, and nothing is returned half-read.
Files are decoded exactly as ``ingest`` decodes them (byte-order marks, UTF-16,
Windows-1252, delimiter sniffing, Excel workbooks).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from probation_themes.errors import IngestError
from probation_themes.ingest.clean import clean_cell, strip_controls
from probation_themes.ingest.columns import find_column, unique_names
from probation_themes.ingest.decode import decode_bytes
from probation_themes.ingest.tables import Record, looks_tabular, read_delimited
from probation_themes.ingest.xlsx import read_xlsx

Level = Literal["response", "quote"]
Layout = Literal["long", "wide"]

CODINGS_SUPPORTED = (".csv", ".tsv", ".txt", ".xlsx")
ID_NAMES = ("response_id", "quote_id", "id")
VALUE_NAMES = ("value", "applied")
_YES = frozenset({"1", "yes", "y", "true", "t", "x", "✓", "✔"})
_NO = frozenset({"", "0", "no", "n", "false", "f"})
_SHOWN = 10


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


def _rows(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:3])
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}" + (", …" if len(rows) > 3 else "")


def _listing(items: dict[str, list[int]]) -> str:
    shown = "; ".join(f"'{value}' ({_rows(rows)})" for value, rows in list(items.items())[:_SHOWN])
    more = len(items) - _SHOWN
    return shown + (f"; and {more:,} more" if more > 0 else "")


class _Reader:
    """Walks the records once, collecting units, positives and every problem with its row."""

    def __init__(self, width: int, id_index: int, id_name: str) -> None:
        self.width = width
        self.id_index = id_index
        self.id_name = id_name
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
        if not unit:
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


def read_codings(
    path: str | Path,
    *,
    code_ids: Collection[str],
    response_ids: Collection[str],
    quote_ids: Collection[str],
    fmt: Layout | None = None,
    level: Level | None = None,
    id_col: str | None = None,
    code_col: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    codebook_name: str = "the codebook",
) -> CodingsFile:
    """Read a codings file and check every code and id, all or nothing.

    Args:
        path: a ``.csv``, ``.tsv``, tab-separated ``.txt`` or ``.xlsx`` file.
        code_ids: the codebook's code ids (codes are matched exactly, then ignoring case).
        response_ids: every response id of the project.
        quote_ids: every quote id of the project.
        fmt: ``long`` or ``wide``; by default long when the file has a ``code``
            column (or ``code_col`` is given), else wide.
        level: ``response`` or ``quote``; by default the one whose ids match more
            of the file's ids (a tie means response).
        id_col: the id column; by default ``response_id``, ``quote_id`` or ``id``
            (a wide file without one uses its first column).
        code_col: the code column of a long file; by default ``code``.
        encoding: an encoding that overrides detection (text files only).
        sheet: the sheet of a workbook (default: the first).
        codebook_name: how to name the codebook in messages.

    Returns:
        The units the file covers (every id in it), the (unit, code) pairs it
        applies, and what was detected.

    Raises:
        IngestError: the file cannot be read, a column is missing or unknown, or
            any row, code or id is wrong; the message counts and lists them.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "is not a regular file" if path.exists() else "does not exist"
        raise IngestError(f"{path} {what}; give the codings file (CSV, TSV or XLSX).", path=path)
    header, records, close, used = _open_table(path, encoding, sheet)
    try:
        return _read(path, header, records, used, code_ids=code_ids, response_ids=response_ids,
                     quote_ids=quote_ids, fmt=fmt, level=level, id_col=id_col, code_col=code_col,
                     codebook_name=codebook_name)
    except IngestError as exc:
        if exc.path is not None:
            raise
        raise IngestError(f"{path.name}: {exc.message}", path=path, row=exc.row, column=exc.column) from None
    finally:
        close()


def _read(
    path: Path,
    header: list[str],
    records: Iterator[Record],
    used: str | None,
    *,
    code_ids: Collection[str],
    response_ids: Collection[str],
    quote_ids: Collection[str],
    fmt: Layout | None,
    level: Level | None,
    id_col: str | None,
    code_col: str | None,
    codebook_name: str,
) -> CodingsFile:
    blank_header = {i for i, name in enumerate(header) if not name.strip()}
    columns = unique_names([clean_cell(strip_controls(name))[0] for name in header])
    if not columns:
        raise IngestError(f"{path.name} has no header row and no codings. Check that this is the codings file.", path=path)
    code_index = find_column(columns, code_col, "--code-col", path) if code_col else _default_column(columns, ("code",))
    if fmt is None:
        fmt = "long" if code_index is not None else "wide"
    if fmt == "long" and code_index is None:
        raise IngestError(
            f"{path.name} has no 'code' column, so it cannot be read as long codings (one row per id and code). "
            f"Its columns are: {', '.join(repr(c) for c in columns)}. Name the code column with --code-col, "
            "or use --format wide for one 0/1 column per code.",
            path=path,
        )
    if fmt == "wide" and code_col:
        raise IngestError(
            "--code-col names the code column of a long file; a wide file has one column per code. "
            "Leave out --code-col, or use --format long.",
            path=path,
        )
    id_index = _id_column(columns, id_col, level, fmt, code_ids, path)
    reader = _Reader(len(columns), id_index, columns[id_index])
    unknown_codes: dict[str, list[int]] = {}
    by_fold = {c.casefold(): c for c in code_ids}
    value_index = None
    missing: tuple[str, ...] = ()
    if fmt == "long":
        assert code_index is not None
        value_index = _default_column(columns, VALUE_NAMES)
        pairs, codes = _read_long(reader, records, code_index, value_index, columns)
        rename = {}
        for code, rows in codes.items():
            known = code if code in code_ids else by_fold.get(code.casefold())
            if known is None:
                unknown_codes[code] = rows
            else:
                rename[code] = known
        pairs = {(unit, rename.get(code, code)): v for (unit, code), v in pairs.items()}
    else:
        code_of, unnamed = _code_columns(columns, id_index, blank_header, code_ids, by_fold, path, codebook_name)
        pairs = _read_wide(reader, records, code_of, unnamed, columns)
        present = set(code_of.values())
        missing = tuple(c for c in code_ids if c not in present)
    if not reader.units and not reader.problems:
        raise IngestError(f"{path.name} has a header but no rows of codings; there is nothing to import.", path=path)
    if level is None:
        level = _choose_level(reader.units, response_ids, quote_ids)
    known_ids = response_ids if level == "response" else quote_ids
    unknown_ids = {u: rows for u, rows in reader.units.items() if u not in known_ids}
    if reader.problems or unknown_codes or unknown_ids:
        other = quote_ids if level == "response" else response_ids
        raise _problems_error(path, reader.problems, unknown_codes, unknown_ids, level, other, codebook_name)
    return CodingsFile(
        source=path.name,
        format=fmt,
        level=level,
        id_column=columns[id_index],
        code_column=columns[code_index] if fmt == "long" and code_index is not None else None,
        value_column=columns[value_index] if value_index is not None else None,
        encoding=used,
        rows_read=reader.rows_read,
        units=tuple(reader.units),
        positives=tuple(pair for pair, (_row, applied) in pairs.items() if applied),
        missing_codes=missing,
    )


def _id_column(
    columns: list[str], id_col: str | None, level: Level | None, fmt: Layout, code_ids: Collection[str], path: Path
) -> int:
    if id_col:
        return find_column(columns, id_col, "--id-col", path)
    # With both id columns present (as in an exported long table) the level decides.
    preferred = ("quote_id", "response_id", "id") if level == "quote" else ID_NAMES
    found = _default_column(columns, preferred)
    if found is not None:
        return found
    folded_codes = {c.casefold() for c in code_ids}
    if fmt == "wide" and _fold(columns[0]) not in folded_codes:
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
    code_ids: Collection[str],
    by_fold: dict[str, str],
    path: Path,
    codebook_name: str,
) -> tuple[dict[int, str], set[int]]:
    code_of: dict[int, str] = {}
    unnamed: set[int] = set()
    unknown: list[str] = []
    for index, name in enumerate(columns):
        if index == id_index:
            continue
        if index in blank_header:
            unnamed.add(index)  # empty spreadsheet columns are harmless; values under no header are not
            continue
        code = name if name in code_ids else by_fold.get(name.casefold())
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
    if unknown:
        listed = ", ".join(repr(c) for c in unknown[:_SHOWN]) + (f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else "")
        raise IngestError(
            f"{path.name} is read as wide codings (the id column '{columns[id_index]}', then one 0/1 column per code), "
            f"but {len(unknown)} column{'s are' if len(unknown) > 1 else ' is'} not a code of {codebook_name}: {listed}. "
            f"The codebook's codes are: {', '.join(code_ids)}. Remove the other columns (or rename them to code ids) "
            "and import again; a file with one row per id and code needs a 'code' column or --code-col.",
            path=path,
        )
    if not code_of:
        raise IngestError(
            f"{path.name} has no column named after a code of {codebook_name}, so there is nothing to import. "
            f"Name the 0/1 columns after the codebook's codes ({', '.join(code_ids)}), or give a long file with a "
            "'code' column.",
            path=path,
        )
    return code_of, unnamed


def _problems_error(
    path: Path,
    problems: list[str],
    unknown_codes: dict[str, list[int]],
    unknown_ids: dict[str, list[int]],
    level: Level,
    other_ids: Collection[str],
    codebook_name: str,
) -> IngestError:
    parts: list[str] = []
    fixes: list[str] = []
    if problems:
        shown = "; ".join(problems[:_SHOWN]) + (f"; and {len(problems) - _SHOWN:,} more" if len(problems) > _SHOWN else "")
        parts.append(f"{len(problems):,} row problem{'s' if len(problems) != 1 else ''} ({shown})")
        fixes.append("correct those rows")
    if unknown_codes:
        n = len(unknown_codes)
        parts.append(f"{n:,} code{'s' if n != 1 else ''} not in {codebook_name} ({_listing(unknown_codes)})")
        fixes.append("correct the codes or pass the codebook they come from with --codebook")
    if unknown_ids:
        n = len(unknown_ids)
        verb = "ids that match" if n != 1 else "id that matches"
        parts.append(f"{n:,} {verb} no {level} in the project ({_listing(unknown_ids)})")
        other = "quote" if level == "response" else "response"
        if sum(1 for u in unknown_ids if u in other_ids) * 2 > n:
            fixes.append(f"most of these are {other} ids, so add --level {other}")
        else:
            fixes.append("remove rows for answers that were not ingested, or check that --project is the right project")
    return IngestError(
        f"{path.name} was not imported, and nothing was stored, because it has " + "; ".join(parts)
        + ". To fix it, " + ", and ".join(fixes) + ", then import the file again.",
        path=path,
    )
