"""Read one file, whatever its format, into an IngestResult."""

from __future__ import annotations

from pathlib import Path

from probation_themes.errors import IngestError
from probation_themes.ingest.build import build_document, build_table
from probation_themes.ingest.clean import strip_controls
from probation_themes.ingest.decode import decode_bytes
from probation_themes.ingest.options import IngestOptions
from probation_themes.ingest.jsonl import read_jsonl
from probation_themes.ingest.tables import looks_tabular, read_delimited
from probation_themes.ingest.xlsx import read_xlsx
from probation_themes.models import IngestResult

SUPPORTED = (".csv", ".tsv", ".xlsx", ".jsonl", ".txt", ".md")


def _read_text(path: Path, options: IngestOptions) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(f"{path} does not exist. Check the file name and folder.", path=path) from None
    except IsADirectoryError:
        raise IngestError(f"{path} is a folder; give the files inside it instead.", path=path) from None
    except OSError as exc:
        raise IngestError(
            f"{path} could not be read: {exc.strerror}. Check its permissions.", path=path
        ) from None
    text, encoding = decode_bytes(data, path, options.encoding)
    text = strip_controls(text)
    if not text.strip():
        raise IngestError(
            f"{path.name} is empty: it holds only blank space. Check that you exported the "
            "survey to this file.",
            path=path,
        )
    return text, encoding


def read_file(path: str | Path, options: IngestOptions) -> IngestResult:
    """Read a survey export or a document into quotes, accounting for every row.

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

    Args:
        path: the file to read.
        options: columns, splitting and encoding choices.

    Returns:
        The quotes, the rejected rows with their reasons, and what was noticed.

    Raises:
        IngestError: the file is missing, empty, binary, undecodable, of an
            unsupported type, or a named column or sheet does not exist.
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
    if suffix == ".xlsx":
        if not path.exists():
            raise IngestError(f"{path} does not exist. Check the file name and folder.", path=path)
        header, records, close = read_xlsx(path, options.sheet)
        try:
            return build_table(path, header, records, options, encoding=None)
        finally:
            close()
    text, encoding = _read_text(path, options)
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
        return build_document(path, text, options, encoding)
    try:
        if suffix == ".jsonl":
            header, records = read_jsonl(text)
        else:
            header, records = read_delimited(text, None if suffix == ".csv" else "\t")
        return build_table(path, header, records, options, encoding, controls_stripped=suffix != ".jsonl")
    except IngestError as exc:
        if exc.path is not None:
            raise
        raise IngestError(f"{path.name}: {exc.message}", path=path, row=exc.row, column=exc.column) from None
