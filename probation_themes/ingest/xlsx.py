"""Read a sheet of an Excel workbook into a header and raw records."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from probation_themes.errors import IngestError
from probation_themes.ingest.tables import Record


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores whole numbers as floats: id 1001, not 1001.0
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], Iterator[Record], Callable[[], None]]:
    """Read a sheet of an Excel workbook (the named one, else the first).

    Returns:
        ``(header, records, close)``. Rows are numbered as Excel shows them. Call
        ``close`` when done: a read-only workbook keeps its file open.

    Raises:
        IngestError: the workbook cannot be opened or the sheet does not exist.
    """
    import openpyxl  # imported here: it is only needed for workbooks and slow to import

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(
            f"{path.name} could not be opened as an Excel workbook ({exc}). Check that it is an "
            ".xlsx file (not .xls or a renamed CSV); re-save it from Excel as .xlsx or as CSV UTF-8.",
            path=path,
        ) from None
    try:
        header, header_row, rows = _xlsx_header(path, workbook, sheet)
    except BaseException:
        workbook.close()
        raise

    width = len(header)

    def records() -> Iterator[Record]:
        for row, values in enumerate(rows, start=header_row + 1):
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            raw = "\t".join(cells)
            # A spreadsheet row ends at its last filled cell: blank cells at the end
            # (a question left unanswered, no organisation given) are empty values,
            # never a sign of a broken row as they can be in a CSV file.
            # Cells right of the last headed column (a reviewer's note, say) belong to no
            # question; unlike extra cells in a CSV they cannot mean a broken row, so the
            # row is read up to the header's width and the note stays in ``raw``.
            cells = cells[:width] + [""] * (width - len(cells))
            yield row, cells, raw, None

    return header, records(), workbook.close


def _xlsx_header(path: Path, workbook: Any, sheet: str | None) -> tuple[list[str], int, Iterator[tuple]]:
    names = workbook.sheetnames
    if sheet is None:
        if not names:
            raise IngestError(
                f"{path.name} has no sheets. Open it in Excel and check its contents.", path=path
            )
        worksheet = workbook[names[0]]
    else:
        wanted = sheet.strip().casefold()
        matches = [n for n in names if n == sheet] or [n for n in names if n.strip().casefold() == wanted]
        if not matches:
            raise IngestError(
                f"{path.name} has no sheet called '{sheet}'. Its sheets are: "
                + ", ".join(f"'{n}'" for n in names)
                + ". Give one of these to --sheet.",
                path=path,
            )
        worksheet = workbook[matches[0]]
    if worksheet.max_row is None:
        worksheet.reset_dimensions()  # some writers omit the size; read every row anyway
    rows = worksheet.iter_rows(values_only=True)
    header: list[str] = []
    header_row = 0
    for header_row, values in enumerate(rows, start=1):
        header = [_cell_text(v) for v in values]
        if any(cell.strip() for cell in header):
            break
    else:
        header = []
    while header and not header[-1].strip():
        header.pop()  # formatted but empty columns to the right of the table
    return header, header_row, rows
