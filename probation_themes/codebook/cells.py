r"""Spreadsheet cells for the CSV form of a codebook: lists in one cell, escapes, formula guard.

A list is written as its entries joined by `` | ``; a `near` rule as ``a ~ b ~ N``. A
``|`` (or, in `near`, a ``~``) that belongs to an entry is written ``\|`` (``\~``), and
a backslash just before one of those characters or another backslash is doubled, so
every list survives the trip into a cell and back exactly.
"""

from __future__ import annotations

import re

SEPARATOR = " | "
NEAR_SEPARATOR = " ~ "

# Spreadsheets run a cell that starts with one of these as a formula; a leading apostrophe,
# which Excel itself treats as "this is text", stops that and is removed again on reading.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_GUARDED = re.compile(r"^'+[=+\-@\t\r]")


def letter(position: int) -> str:
    """Spreadsheet column letters for a 0-based position: 0 → A, 26 → AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def guard(cell: str) -> str:
    """Prefix an apostrophe to a cell a spreadsheet would run as a formula."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def unguard(cell: str) -> str:
    """Remove the apostrophe that :func:`guard` added."""
    return cell[1:] if _GUARDED.match(cell) else cell


def _escape(item: str, specials: str) -> str:
    out = []
    for i, ch in enumerate(item):
        nxt = item[i + 1] if i + 1 < len(item) else ""
        if ch in specials:
            out.append("\\" + ch)
        elif ch == "\\" and nxt and (nxt in specials or nxt == "\\"):
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def split_cell(cell: str, specials: str) -> list[list[str]]:
    """Split a cell on unescaped '|' into entries, and each entry on the other specials into parts.

    Parts keep their surrounding spaces; callers decide how much to trim.
    """
    entries: list[list[str]] = [[""]]
    i = 0
    while i < len(cell):
        ch = cell[i]
        nxt = cell[i + 1] if i + 1 < len(cell) else ""
        if ch == "\\" and nxt and (nxt in specials or nxt == "\\"):
            entries[-1][-1] += nxt
            i += 2
            continue
        if ch == "|":
            entries.append([""])
        elif ch in specials:
            entries[-1].append("")
        else:
            entries[-1][-1] += ch
        i += 1
    return entries


def join_list(items: list[str]) -> str:
    """Write a list of text entries as one cell, escaping any ``|`` inside an entry."""
    return SEPARATOR.join(_escape(item, "|") for item in items)


def split_list(cell: str, *, exact: bool = False) -> list[str]:
    """Read a list cell back into entries.

    Entries are trimmed and blank ones dropped, except with ``exact`` (used for regular
    expressions, where spaces matter): then only the one space on each side of a ``|``
    that the writer adds is removed.
    """
    parts = [entry[0] for entry in split_cell(cell, "|")]
    if not exact:
        return [p.strip() for p in parts if p.strip()]
    out = []
    for n, part in enumerate(parts):
        if n > 0 and part.startswith(" "):
            part = part[1:]
        if n < len(parts) - 1 and part.endswith(" "):
            part = part[:-1]
        if part.strip():
            out.append(part)
    return out


def join_near(pairs: list[tuple[str, str, int]]) -> str:
    """Write near rules as ``training ~ time ~ 8 | ex ~ crc ~ 2``."""
    return SEPARATOR.join(
        NEAR_SEPARATOR.join((_escape(a, "|~"), _escape(b, "|~"), str(n))) for a, b, n in pairs
    )
