"""Turn a file's bytes into text, choosing the encoding the way a careful person would.

Order of detection (unless the caller names an encoding):

1. a byte-order mark: UTF-8 with BOM, UTF-32 or UTF-16 (little- or big-endian;
   Excel's "Unicode text" export is UTF-16 LE with a BOM);
2. UTF-16 without a BOM, recognised by the zero bytes every other byte;
3. UTF-8;
4. Windows-1252 (what Excel on Windows writes for "CSV");
5. charset-normalizer's best guess, as a last resort.

Files that are not text at all (PDF, ZIP, an XLSX renamed to ``.csv``, images)
are refused with a message saying what they look like and what to do.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from probation_themes.errors import IngestError

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", "Copy the text out of it into a .txt file, or export the survey as CSV"),
    (
        b"PK\x03\x04",
        "a ZIP archive (an .xlsx or .docx file is one)",
        "If it is an Excel workbook, give it the .xlsx extension; otherwise unpack it "
        "or save the data as CSV",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "an old Microsoft Office file (.xls or .doc)",
        "Open it and save it as .xlsx or CSV UTF-8",
    ),
    (b"\x1f\x8b", "a gzip archive", "Unpack it first"),
    (b"\x89PNG", "a PNG image", "Give the survey export instead"),
    (b"\xff\xd8\xff", "a JPEG image", "Give the survey export instead"),
    (b"SQLite format 3\x00", "an SQLite database", "Export the table as CSV first"),
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_FIX_HINT = (
    "If the file came from Excel on Windows try `--encoding cp1252`; if it is an Excel "
    "'Unicode text' export try `--encoding utf-16`; or re-save it as 'CSV UTF-8'."
)


def _refuse_binary(data: bytes, path: Path) -> None:
    for magic, what, fix in _SIGNATURES:
        if data.startswith(magic):
            raise IngestError(
                f"{path.name} is not a text file: it looks like {what}. {fix}, then ingest that file.",
                path=path,
            )


def _bom_encoding(data: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """Spot UTF-16 by its zero bytes: mostly-Latin text has one in every other byte."""
    if len(sample) < 4:
        return None
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.4 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.4 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _looks_binary(sample: bytes) -> bool:
    """A few stray control bytes are cleaned later; a text file is never one tenth control bytes."""
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > 0.1 * len(sample)


def _decode_error(path: Path, encoding: str, exc: UnicodeDecodeError, offset: int) -> IngestError:
    position = exc.start + offset
    bad = exc.object[exc.start : exc.start + 1].hex()
    return IngestError(
        f"{path.name} cannot be decoded as {encoding}: the byte 0x{bad} at byte offset {position} "
        f"is not valid in that encoding. {_FIX_HINT}",
        path=path,
    )


def decode_bytes(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Decode a whole file's bytes.

    Args:
        data: the file's contents.
        path: the file (for messages only).
        encoding: an encoding the user named; it overrides detection.

    Returns:
        ``(text, encoding used)``; a leading byte-order mark is removed from the text.

    Raises:
        IngestError: the file is empty, binary, or cannot be decoded.
    """
    if not data:
        raise IngestError(
            f"{path.name} is empty (0 bytes). Check that you exported the survey to this file.",
            path=path,
        )
    if encoding is not None:
        try:
            info = codecs.lookup(encoding)
        except (LookupError, TypeError, ValueError):
            info = None
        # rot13, base64, zlib …: codecs Python knows that turn bytes into bytes, not into text.
        if info is None or not getattr(info, "_is_text_encoding", True):
            what = "is not an encoding Python knows" if info is None else "is a codec, not a text encoding"
            raise IngestError(
                f"'{encoding}' given to --encoding {what}. Common ones "
                "are utf-8, utf-8-sig, utf-16, cp1252 and latin-1.",
                path=path,
            )
        try:
            return data.decode(encoding).removeprefix("\ufeff"), encoding
        except UnicodeDecodeError as exc:
            raise _decode_error(path, encoding, exc, 0) from None
        except (UnicodeError, LookupError, ValueError, TypeError) as exc:  # idna, punycode … refuse most bytes
            raise IngestError(
                f"{path.name} cannot be decoded as {encoding} ({exc}). {_FIX_HINT}", path=path
            ) from None

    bom = _bom_encoding(data)
    if bom is not None:
        name, skip = bom
        try:
            return data[skip:].decode(name.removesuffix("-sig")), name
        except UnicodeDecodeError as exc:
            raise _decode_error(path, name, exc, skip) from None

    _refuse_binary(data, path)
    utf16 = _utf16_without_bom(data[:4096])
    if utf16 is not None:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError as exc:
            raise _decode_error(path, utf16, exc, 0) from None
    if _looks_binary(data[:8192]):
        raise IngestError(
            f"{path.name} is not a text file: it is full of control bytes, as binary files are. "
            "Export the survey as CSV, XLSX, JSONL or plain text and ingest that file.",
            path=path,
        )

    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        pass
    return _guess(data, path)


def _guess(data: bytes, path: Path) -> tuple[str, str]:
    from charset_normalizer import from_bytes  # imported late: it is slow to import and rarely needed

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(
            f"{path.name} is in an encoding that could not be recognised. Re-save it as "
            f"'CSV UTF-8' or name the encoding with --encoding. {_FIX_HINT}",
            path=path,
        )
    return str(best), best.encoding
