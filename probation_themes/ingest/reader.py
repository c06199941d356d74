"""Read one file, whatever its format, into quotes and rejects: whole, or batch by batch."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from probation_themes.errors import IngestError
from probation_themes.ingest.build import BATCH_ROWS, FileReading, stream_document, stream_table
from probation_themes.ingest.clean import strip_controls
from probation_themes.ingest.decode import decode_bytes
from probation_themes.ingest.options import IngestOptions
from probation_themes.ingest.jsonl import read_jsonl
from probation_themes.ingest.tables import Record, looks_tabular, read_delimited
from probation_themes.ingest.xlsx import read_xlsx
from probation_themes.models import IngestResult

SUPPORTED = (".csv", ".tsv", ".xlsx", ".jsonl", ".txt", ".md")


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_source(path: str | Path) -> bytes:
    """Read a file's bytes in one go: what is parsed, and what its sha256 is taken of.

    Only regular files are read. A named pipe, a device or a socket is refused before
    anything waits on it (opening a pipe with no writer would hang for ever, and its
    content could not be read a second time anyway).

    Raises:
        IngestError: the path is missing, a folder, not a regular file, or unreadable.
    """
    path = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise IngestError(f"{path} does not exist. Check the file name and folder.", path=path) from None
    except IsADirectoryError:
        raise IngestError(f"{path} is a folder; give the files inside it instead.", path=path) from None
    except OSError as exc:
        raise IngestError(f"{path} could not be read: {exc.strerror}. Check its permissions.", path=path) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IngestError(f"{path} is a folder; give the files inside it instead.", path=path)
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise IngestError(
                f"{path} is {kind}, not a file, so it cannot be read safely (it could not be read twice, and "
                "may never end). Save the data to a file first (for example `cat … > survey.csv`) and "
                "ingest that file.",
                path=path,
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read()
    except OSError as exc:
        raise IngestError(f"{path} could not be read: {exc.strerror}. Check its permissions.", path=path) from None
    finally:
        if fd >= 0:
            os.close(fd)


def source_sha256(data: bytes) -> str:
    """The sha256 (hex) of the bytes a file was read as; the project records files by it."""
    return hashlib.sha256(data).hexdigest()


def _read_text(path: Path, options: IngestOptions, data: bytes | None) -> tuple[str, str]:
    if data is None:
        data = read_source(path)
    text, encoding = decode_bytes(data, path, options.encoding)
    text = strip_controls(text)
    if not text.strip():
        raise IngestError(
            f"{path.name} is empty: it holds only blank space. Check that you exported the "
            "survey to this file.",
            path=path,
        )
    return text, encoding


def read_file(path: str | Path, options: IngestOptions, *, data: bytes | None = None) -> IngestResult:
    """Read a whole file into quotes and rejects: :func:`open_file` read to the end."""
    return open_file(path, options, data=data).collect()


def _named(path: Path, records: Iterable[Record]) -> Iterator[Record]:
    """The records, with the file's name put into any problem found while reading them."""
    try:
        yield from records
    except IngestError as exc:
        if exc.path is not None:
            raise
        raise IngestError(f"{path.name}: {exc.message}", path=path, row=exc.row, column=exc.column) from None


def open_file(
    path: str | Path, options: IngestOptions, *, batch_size: int = BATCH_ROWS, data: bytes | None = None
) -> FileReading:
    """Open a survey export or a document for reading into quotes, accounting for every row.

    Formats, chosen by extension:

    - ``.csv``: the delimiter (comma, semicolon, tab or pipe) is sniffed.
    - ``.tsv``: tab-separated.
    - ``.xlsx``: the sheet named by ``options.sheet``, else the first sheet.
    - ``.jsonl``: one JSON object per line; its keys act as columns.
    - ``.txt`` and ``.md``: a document, read whole as one response (row 1, response
      id = file name without extension). Column options do not apply. Exception:
      a ``.txt`` file whose first line contains a tab and whose next rows have as
      many tab-separated cells is read as a tab-separated table, because that is
      how Excel saves "Unicode text".

    Rows are numbered as a spreadsheet shows them: the header is row 1 and the
    first answer row 2 (JSONL: the line number). A record whose every cell is
    blank is skipped and not counted. Every other row becomes quotes or a reject,
    so ``rows_read == responses_with_quotes + len(rejects)``.

    With ``split`` set to paragraph or sentence, a quotation's attribution such as
    ``(Greater Manchester, CRC)`` gives its passages their region and organisation
    (over the region and organisation columns) and is removed from their text; in
    ``.md`` documents, heading lines (``# Findings``) are left out.

    The encoding is detected (UTF-8 with or without BOM, UTF-16, Windows-1252)
    unless ``options.encoding`` names one; mojibake such as ``naÃ¯ve`` is repaired
    with ftfy and counted in ``repaired``.

    The file is decoded and its header and columns checked here; its rows are
    read as the returned :class:`~probation_themes.ingest.build.FileReading` is
    iterated, ``batch_size`` quotes and rejects at a time.

    Args:
        path: the file to read.
        options: columns, splitting and encoding choices.
        batch_size: quotes and rejects per batch.
        data: the file's bytes, already read with :func:`read_source` (so that what
            is parsed is exactly what was hashed); read from ``path`` when None.

    Returns:
        The file, ready to give its quotes and rejected rows (with their
        reasons) batch by batch, then what was noticed.

    Raises:
        IngestError: the file is missing, empty, binary, undecodable, of an
            unsupported type, or a named column or sheet does not exist; while
            iterating, a row that cannot be read at all (an unclosed quote
            running to the end of the file).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(
            f"{path.name} has the extension '{path.suffix or '(none)'}', which cannot be read. "
            f"Supported files are: {', '.join(SUPPORTED)}. Save the survey as CSV or XLSX, or "
            "report text as .txt.",
            path=path,
        )
    if data is None:
        data = read_source(path)
    if suffix == ".xlsx":
        header, records, close = read_xlsx(path, options.sheet, data)
        return stream_table(path, header, _named(path, records), options, None, batch_size=batch_size, close=close)
    text, encoding = _read_text(path, options, data)
    if suffix in (".md", ".txt") and not (suffix == ".txt" and looks_tabular(text)):
        column_options = [
            flag for flag, value in (
                ("--text-col", options.text_cols), ("--id-col", options.id_col),
                ("--region-col", options.region_col), ("--org-col", options.org_col),
                ("--attr-col", options.attr_cols),
            ) if value
        ]
        if column_options:
            raise IngestError(
                f"{path.name} is read as a document (one text, no columns), so "
                f"{', '.join(column_options)} cannot apply to it. Leave those options out — with "
                "--split quote, region and organisation come from each quotation's attribution — "
                "or save the data as a CSV or XLSX table.",
                path=path,
            )
        return stream_document(path, text, options, encoding)
    try:
        if suffix == ".jsonl":
            header, records = read_jsonl(text)
        else:
            header, records = read_delimited(text, None if suffix == ".csv" else "\t")
        return stream_table(
            path, header, _named(path, records), options, encoding, controls_stripped=suffix != ".jsonl",
            batch_size=batch_size,
        )
    except IngestError as exc:
        if exc.path is not None:
            raise
        raise IngestError(f"{path.name}: {exc.message}", path=path, row=exc.row, column=exc.column) from None
