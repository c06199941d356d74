"""Read delimited text (CSV, TSV) into a header and a stream of raw records.

A record is ``(row, cells, raw, problem)``: the 1-based row (the header is row 1;
for JSONL the line number), the cells as strings, the row as read (kept for
rejects), and a description of why it could not be read (cells is then None).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator

from probation_themes.errors import IngestError

Record = tuple[int, list[str] | None, str | None, str | None]

_DELIMITERS = ",;\t|"
# Used for one-column files: a control character, so cleaning has already
# removed every occurrence of it and a comma inside an answer stays text.
_NO_DELIMITER = "\x1f"
_SAMPLE_CHARS = 32_768
_SEP_LINE = re.compile(r"sep=([^\n\r])[ \t]*(?:\r\n|\n|\r)")
_SAMPLE_ROWS = 50
# The csv module refuses cells over 128 KB by default; a pasted essay or a 10 MB
# answer is still an answer. 2**31 - 1 is the largest limit every platform accepts.
csv.field_size_limit(2**31 - 1)


def _sample(text: str) -> tuple[str, bool]:
    if len(text) <= _SAMPLE_CHARS:
        return text, False
    cut = text.rfind("\n", 0, _SAMPLE_CHARS)
    return (text[: cut + 1] if cut > 0 else text[:_SAMPLE_CHARS]), True


# A physical line with its ending (\r\n, \n or \r), as io.StringIO(newline="") splits them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (StringIO would copy a 200 MB text into 800 MB first)."""
    return (m.group() for m in _LINE.finditer(text))


def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(_lines(text), delimiter=delimiter, quotechar='"', doublequote=True)


def _fit(sample: str, truncated: bool, delimiter: str) -> tuple[float, int]:
    rows = [row for row in itertools.islice(_reader(sample, delimiter), _SAMPLE_ROWS + 1) if row]
    if truncated and len(rows) > 2:
        rows = rows[:-1]  # the sample may end inside a quoted newline
    if not rows or len(rows[0]) < 2:
        return 0.0, 0
    width = len(rows[0])
    body = rows[1:]
    if not body:
        return 0.5, width
    score = sum(1.0 if len(r) == width else 0.5 if len(r) < width else 0.0 for r in body)
    return score / len(body), width


def sniff_delimiter(text: str) -> str:
    """Choose the delimiter of a CSV text: comma, semicolon, tab or pipe.

    csv.Sniffer's guess is tried first; each candidate is then scored by how many
    of the first rows have as many cells as the header, and the best wins. A file
    whose header has a single column is read as one column, commas and all.
    """
    sample, truncated = _sample(text)
    candidates = list(_DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
        candidates.remove(sniffed)
        candidates.insert(0, sniffed)
    except csv.Error:
        candidates.remove(",")
        candidates.insert(0, ",")
    best, best_score = _NO_DELIMITER, (0.0, 0)
    for delimiter in candidates:
        score = _fit(sample, truncated, delimiter)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def looks_tabular(text: str) -> bool:
    """Whether a ``.txt`` file is really a tab-separated table.

    Excel's "Unicode text" export is a UTF-16 tab-separated table saved as
    ``.txt``. A ``.txt`` file is read as a table when its first line contains a
    tab and most of the following rows have as many tab-separated cells as it.
    """
    first_line = text.split("\n", 1)[0]
    if "\t" not in first_line:
        return False
    sample, truncated = _sample(text)
    score, width = _fit(sample, truncated, "\t")
    return width >= 2 and score >= 0.75


def read_delimited(text: str, delimiter: str | None) -> tuple[list[str], Iterator[Record]]:
    """Split delimited text into its header and records.

    Args:
        text: the decoded, cleaned file.
        delimiter: the delimiter, or None to sniff it.
    """
    declared = _SEP_LINE.match(text)
    if declared:
        # Excel writes "sep=;" above the header when asked to; it names the
        # delimiter and is not part of the table (Excel does not show it).
        text = text[declared.end() :]
        delimiter = declared.group(1)
    elif delimiter is None:
        delimiter = sniff_delimiter(text)
    else:
        _refuse_wrong_delimiter(text, delimiter)
    reader = _reader(text, delimiter)
    header: list[str] = []
    header_row = 0
    # Rows are counted in records, not lines: a spreadsheet shows a record with a
    # quoted line break as one row. Blank lines above the header count as rows.
    for header_row, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            header = cells
            break
    shown = "\t" if delimiter == _NO_DELIMITER else delimiter

    def records() -> Iterator[Record]:
        row, first_line = header_row, reader.line_num + 1
        for row, cells in enumerate(reader, start=header_row + 1):
            yield row, cells, shown.join(cells), None
            last_first_line, first_line = first_line, reader.line_num + 1
        if row > header_row and reader.line_num > last_first_line and _unclosed(text, last_first_line, delimiter):
            raise IngestError(
                f"Row {row} opens a quoted answer (\") that is never closed, so the "
                f"{reader.line_num - last_first_line + 1} lines from it to the end of the file would be "
                "read as one answer and their rows lost. Close the quote in that row (or export the file again from "
                "the spreadsheet) and ingest again.",
                row=row,
            )

    return header, records()


def _refuse_wrong_delimiter(text: str, delimiter: str) -> None:
    """Stop when a file said to be tab-separated is plainly separated by something else.

    Read with the wrong delimiter, every row would become one long answer, so the
    mistake would be stored silently rather than reported.
    """
    sample, truncated = _sample(text)
    if _fit(sample, truncated, delimiter)[1] >= 2:
        return
    other = sniff_delimiter(text)
    if other == _NO_DELIMITER:
        return
    score, width = _fit(sample, truncated, other)
    if width >= 2 and score >= 0.75:
        names = {",": "commas", ";": "semicolons", "|": "pipes (|)"}
        raise IngestError(
            f"The file is read as tab-separated (its extension says so), but its rows are separated by "
            f"{names.get(other, repr(other))}, so each row would become one long answer. Rename it "
            "to .csv (the delimiter is then detected) and ingest again."
        )


def _unclosed(text: str, first_line: int, delimiter: str) -> bool:
    """Whether the record starting at physical line ``first_line`` runs to the end inside quotes."""
    tail = itertools.islice(_lines(text), first_line - 1, None)
    try:
        for _ in csv.reader(tail, delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False
