"""Refuse zip archives (.xlsx, .qdpx) that escape themselves or expand far beyond their size."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from probation_themes.errors import IngestError

#: Largest total size the entries of an archive may expand to (2 GiB).
MAX_TOTAL_BYTES = 2 * 1024**3
#: Largest ratio of expanded to compressed size of an entry; text compresses about 3-10 times,
#: a sheet of thousands of empty formatted rows about 100 times.
MAX_RATIO = 200


def check_zip(archive: zipfile.ZipFile, path: Path, *, kind: str, again: str) -> None:
    """Refuse an archive whose entries point outside it or expand suspiciously (a "zip bomb").

    The sizes checked are the ones the archive declares; Python's zip reader never gives
    more than the declared size of an entry, so the check bounds what is read.

    Args:
        archive: the open archive.
        path: its file, for the message.
        kind: what a genuine file of this type is ("REFI-QDA project", "Excel workbook").
        again: how to get a sound copy ("Export the project again from the program that made it.").

    Raises:
        IngestError: an entry escapes the archive or expands too much.
    """
    total = 0
    for info in archive.infolist():
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in info.filename:
            raise IngestError(
                f"{path.name} contains the entry {info.filename!r}, which points outside the archive. "
                f"A genuine {kind} never does that; {again[0].lower()}{again[1:]}",
                path=path,
            )
        total += info.file_size
        if info.file_size > MAX_RATIO * max(info.compress_size, 1024) or total > MAX_TOTAL_BYTES:
            raise IngestError(
                f"{path.name} would expand to far more data than it holds (entry {info.filename!r}: "
                f"{info.file_size:,} bytes from {info.compress_size:,}), as a 'zip bomb' does, so it was not opened. "
                f"{again}",
                path=path,
            )
