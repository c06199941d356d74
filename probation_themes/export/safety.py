"""Safe output: spreadsheet-safe cells, safe file names and atomic file writes."""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path

from probation_themes.codebook.schema import XML_FORBIDDEN as _XML_FORBIDDEN
from probation_themes.errors import ExportError

#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Encoding for CSV files on disk: UTF-8 with a byte-order mark, so Excel shows accents correctly.
CSV_FILE_ENCODING = "utf-8-sig"

# Device names Windows refuses as file names, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)
_SLUG_MAX = 80




def xml_safe(text: str) -> str:
    """Text every XML writer can carry: each character XML 1.0 forbids becomes U+FFFD (�).

    One character stands for one, so offsets into the text (a REFI-QDA selection's
    start and end) still point at the same words; and the replacement shows where
    something unreadable was, rather than silently joining the words around it.
    """
    if not text or _XML_FORBIDDEN.search(text) is None:
        return text
    return _XML_FORBIDDEN.sub("\ufffd", text)


def xml_safe_tree(root: ET.Element) -> ET.Element:
    """Make every text, tail and attribute value of an element tree :func:`xml_safe`, in place."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        if element.tail:
            element.tail = xml_safe(element.tail)
        for name, value in element.attrib.items():
            if value:
                element.attrib[name] = xml_safe(value)
    return root


def safe_cell(value: object) -> str:
    """Make one value safe to put in a CSV cell that someone will open in a spreadsheet.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run
    as a formula by Excel, LibreOffice or Google Sheets ("CSV injection"). Such cells get a
    leading apostrophe, which spreadsheets show as plain text. ``None`` becomes an empty cell.

    Args:
        value: any value; it is converted with ``str``.

    Returns:
        The cell text, neutralised when it could run as a formula.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Write a header and rows as RFC 4180 CSV text, every cell passed through :func:`safe_cell`.

    Lines end with CRLF and cells are quoted only when they need it. The text has no
    byte-order mark; :func:`write_csv_atomic` adds one when it writes a file.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def safe_filename(label: str) -> str:
    """Turn a code label into a file name that is safe on Windows, macOS and Linux.

    The result is a lower-case ASCII slug (accents folded, anything else becomes ``-``),
    at most 80 characters, never empty and never a Windows device name such as ``con``.
    Add your own extension.

    Args:
        label: a code label or any other text.

    Returns:
        A slug such as ``high-caseloads-and-workloads``.
    """
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    slug = slug[:_SLUG_MAX].rstrip("-")
    if not slug:
        return "code"
    if slug in _WINDOWS_RESERVED:
        return f"{slug}-code"
    return slug


def write_bytes_atomic(path: str | Path, data: bytes | Iterable[bytes]) -> Path:
    """Write bytes to ``path`` so that readers see either the old file or the whole new one.

    The data goes to a temporary file in the same folder, is flushed to disk, and then
    replaces ``path`` in one step; if anything fails, ``path`` is left as it was.

    Args:
        path: the file to create or replace.
        data: the complete file content, or its pieces in order (written as they come,
            so a large file need not be held in memory).

    Returns:
        The path written.

    Raises:
        ExportError: the folder does not exist, is not writable, or ``path`` is a folder.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        # os.open with mode 0o666 lets the user's umask decide the permissions, as for any new file.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                for piece in (data,) if isinstance(data, bytes) else data:
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ExportError(
            f"Could not write {target}: {reason}. Check that the folder {target.parent} exists, "
            "that you may write to it and that the path is not a folder, or choose another "
            "output path with -o.",
            path=target,
        ) from None
    return target


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text to ``path`` atomically (see :func:`write_bytes_atomic`).

    Line endings are written exactly as they are in ``text``; nothing is translated.

    Args:
        path: the file to create or replace.
        text: the complete file content.
        encoding: the text encoding; use ``"utf-8-sig"`` for CSV meant for Excel.

    Returns:
        The path written.

    Raises:
        ExportError: the file could not be written, or the text cannot be encoded.
    """
    try:
        data = text.encode(encoding)
    except (LookupError, UnicodeEncodeError) as exc:
        raise ExportError(
            f"Could not write {path}: the text cannot be saved as {encoding!r} ({exc}). "
            "Choose UTF-8, which can hold any text.",
            path=path,
        ) from None
    return write_bytes_atomic(path, data)


def write_csv_atomic(path: str | Path, text: str) -> Path:
    """Write CSV text to ``path`` atomically as UTF-8 with a byte-order mark.

    The byte-order mark makes Excel read the file as UTF-8, so accented names and curly
    quotes show correctly; other spreadsheet programs and Python's ``utf-8-sig`` ignore it.
    """
    return write_text_atomic(path, text, CSV_FILE_ENCODING)
