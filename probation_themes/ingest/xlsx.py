"""Read a sheet of an Excel workbook into a header and raw records."""

from __future__ import annotations

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

    _refuse_non_workbook(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook can fail in any of openpyxl's zip and XML parsers
        raise _damaged(path, exc) from None
    try:
        header, header_row, rows = _xlsx_header(path, workbook, sheet)
    except IngestError:
        workbook.close()
        raise
    except Exception as exc:
        workbook.close()
        raise _damaged(path, exc) from None

    width = len(header)

    def records() -> Iterator[Record]:
        try:
            yield from _records()
        except Exception as exc:  # the sheet's XML breaks off part way: stop before storing anything
            raise _damaged(path, exc) from None

    def _records() -> Iterator[Record]:
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


def _damaged(path: Path, exc: Exception) -> IngestError:
    return IngestError(
        f"{path.name} could not be read as an Excel workbook ({type(exc).__name__}: {' '.join(str(exc).split())}): it is "
        "damaged or not an .xlsx file (an .xls or a CSV renamed .xlsx, say). Open it in Excel and save "
        "it again as .xlsx or as CSV UTF-8, then ingest that file.",
        path=path,
    )


# Excel saves a password-protected workbook (and an old .xls) as an OLE compound file,
# not as the ZIP archive an .xlsx is; the first bytes tell them apart.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refuse_non_workbook(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            start = fh.read(8)
    except OSError as exc:
        raise IngestError(f"{path} could not be read: {exc.strerror}. Check its permissions.", path=path) from None
    if start == _OLE_MAGIC:
        raise IngestError(
            f"{path.name} is password-protected (encrypted), or is an old-style .xls workbook renamed "
            ".xlsx, so it cannot be read. Open it in Excel, remove the password (File > Info > Protect "
            "Workbook > Encrypt with Password, then clear it) or save it as .xlsx, and ingest the saved copy.",
            path=path,
        )
    if not start:
        raise IngestError(f"{path.name} is empty (0 bytes). Check that you saved the workbook to this file.", path=path)


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
        others = [n for n in names if n != worksheet.title]
        hint = (
            f" The workbook's other sheets are: {', '.join(repr(n) for n in others)}; name the one with the "
            "answers with --sheet." if others else " Check that you saved the survey in this workbook."
        )
        raise IngestError(f"The sheet '{worksheet.title}' of {path.name} is empty.{hint}", path=path)
    while header and not header[-1].strip():
        header.pop()  # formatted but empty columns to the right of the table
    return header, header_row, rows
