"""Read a sheet of an Excel workbook into a header and raw records."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from probation_themes.errors import IngestError
from probation_themes.ingest.archive import check_zip
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


def read_xlsx(
    path: Path, sheet: str | None, data: bytes | None = None
) -> tuple[list[str], Iterator[Record], Callable[[], None]]:
    """Read a sheet of an Excel workbook (the named one, else the first).

    ``data`` is the workbook's bytes when they were already read (so the file is
    read once); otherwise the file at ``path`` is opened.

    Returns:
        ``(header, records, close)``. Rows are numbered as Excel shows them. Call
        ``close`` when done: a read-only workbook keeps its file open.

    Raises:
        IngestError: the workbook cannot be opened or the sheet does not exist.
    """
    import openpyxl  # imported here: it is only needed for workbooks and slow to import

    if data is None:
        _refuse_non_workbook(path)
        source: Path | io.BytesIO = path
    else:
        _refuse_start(path, data[:8])
        source = io.BytesIO(data)
    _refuse_bomb(path, source)
    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
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
        for row, filled in rows:
            cells, extra = _texts(filled, width)
            filled_cells = [*cells, *extra]
            while filled_cells and not filled_cells[-1]:
                filled_cells.pop()
            raw = "\t".join(filled_cells)
            # A spreadsheet row ends at its last filled cell: blank cells at the end
            # (a question left unanswered, no organisation given) are empty values,
            # never a sign of a broken row as they can be in a CSV file.
            # Cells right of the last headed column (a reviewer's note, say) belong to no
            # question; unlike extra cells in a CSV they cannot mean a broken row, so the
            # row is read up to the header's width and the note stays in ``raw``.
            # (A value far to the right keeps its text in ``raw`` but not its column.)
            yield row, cells, raw, None

    return header, records(), workbook.close


def _sheet_rows(worksheet: Any) -> Iterator[tuple[int, dict[int, object]]]:
    """``(row number, {column number: value})`` of every row the sheet's XML holds.

    The ``<dimension>`` a workbook declares is never trusted: one that says ``A1:B3``
    over a thousand rows would cut the sheet short, and one that says ``A1:XFD100000``
    over empty styled rows would have every row padded to 16,384 cells. Rows are read
    as the file holds them, and only cells holding a value are kept (a row of
    formatted, empty cells comes out empty), so the time taken follows the file's
    size, not the size it claims.
    """
    try:
        from openpyxl.worksheet._reader import WorkSheetParser

        parent = worksheet.parent
        source = worksheet._get_source()
    except (ImportError, AttributeError):  # another openpyxl: its own reading, with the size it finds
        worksheet.reset_dimensions()
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, {i: v for i, v in enumerate(values, start=1) if v is not None and v != ""}
        return
    with source:
        parser = WorkSheetParser(
            source, worksheet._shared_strings, data_only=parent.data_only, epoch=parent.epoch,
            date_formats=parent._date_formats, timedelta_formats=parent._timedelta_formats,
        )
        for number, cells in parser.parse():
            yield number, {c["column"]: c["value"] for c in cells if c["value"] is not None and c["value"] != ""}


def _texts(filled: dict[int, object], width: int | None = None) -> tuple[list[str], list[str]]:
    """A row's cells up to ``width`` (or its last value), and the values right of that, in order."""
    last = max(filled, default=0)
    size = last if width is None else width
    cells = [""] * size
    extra: list[str] = []
    for column in sorted(filled):
        text = _cell_text(filled[column])
        if column <= size:
            cells[column - 1] = text
        elif text:
            extra.append(text)
    return cells, extra


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


def _refuse_bomb(path: Path, source: Path | io.BytesIO) -> None:
    """Refuse a workbook whose parts would expand far beyond its size, before any is unpacked."""
    try:
        with zipfile.ZipFile(source) as archive:
            check_zip(archive, path, kind="Excel workbook",
                      again="Open it in Excel and save it again as .xlsx or as CSV UTF-8, then ingest that file.")
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: openpyxl's own message says the workbook is damaged
    finally:
        if isinstance(source, io.BytesIO):
            source.seek(0)


def _refuse_non_workbook(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            start = fh.read(8)
    except OSError as exc:
        raise IngestError(f"{path} could not be read: {exc.strerror}. Check its permissions.", path=path) from None
    _refuse_start(path, start)


def _refuse_start(path: Path, start: bytes) -> None:
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
    rows = _sheet_rows(worksheet)
    header: list[str] = []
    header_row = 0
    for header_row, filled in rows:
        header = _texts(filled)[0]
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
