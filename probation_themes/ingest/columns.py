"""Find the columns a user named in a file's header, and explain when one is missing."""

from __future__ import annotations

import difflib
from pathlib import Path

from probation_themes.errors import IngestError

#: Header names taken as the answer column when no --text-col is given.
DEFAULT_TEXT_NAMES = ("text", "comment", "comments", "response", "answer", "quote")


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def unique_names(header: list[str]) -> list[str]:
    """Give blank header cells a name and make repeated names distinct.

    A blank third header becomes ``column_3``; a second ``comment`` becomes ``comment.2``.
    """
    names: list[str] = []
    seen: set[str] = set()
    copies: dict[str, int] = {}  # the last copy number tried per name: 100,000 equal names stay linear
    for index, raw in enumerate(header, start=1):
        name = raw.strip() or f"column_{index}"
        candidate, copy = name, copies.get(name, 1)
        while candidate in seen:
            copy += 1
            candidate = f"{name}.{copy}"
        copies[name] = copy
        seen.add(candidate)
        names.append(candidate)
    return names


#: Most columns, and characters of one column's name, a message lists.
_LISTED_COLUMNS = 20
_LISTED_CHARS = 60


def _listing(columns: list[str]) -> str:
    """The columns, for a message: a file with 100,000 columns gets a line, not a megabyte."""
    if not columns:
        return "(none)"

    def shown(name: str) -> str:
        return f"'{name[:_LISTED_CHARS]}…'" if len(name) > _LISTED_CHARS else f"'{name}'"

    listed = ", ".join(shown(c) for c in columns[:_LISTED_COLUMNS])
    if len(columns) > _LISTED_COLUMNS:
        listed += f" and {len(columns) - _LISTED_COLUMNS:,} more ({len(columns):,} in all)"
    return listed


def find_column(columns: list[str], wanted: str, option: str, path: Path) -> int:
    """Return the index of ``wanted``: an exact match, else one ignoring case and spaces.

    Raises:
        IngestError: the column is missing or ambiguous; the message lists the
            columns the file has and suggests the closest name.
    """
    if wanted in columns:
        return columns.index(wanted)
    folded = _fold(wanted)
    matches = [i for i, name in enumerate(columns) if _fold(name) == folded]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise IngestError(
            f"Column '{wanted}' given to {option} matches several columns of {path.name} "
            f"when case is ignored: {_listing([columns[i] for i in matches])}. Give the name "
            "exactly as it is written in the header.",
            path=path,
            column=wanted,
        )
    close = difflib.get_close_matches(wanted, columns, n=1, cutoff=0.6)
    if not close:
        by_fold = {_fold(c): c for c in columns}
        close = [by_fold[m] for m in difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.6)]
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise IngestError(
        f"Column '{wanted}' given to {option} is not in {path.name}. The file has these "
        f"columns: {_listing(columns)}.{hint} Give one of these names, spelled as in the header row.",
        path=path,
        column=wanted,
    )


def default_text_column(columns: list[str], path: Path) -> int:
    """Choose the answer column when the user named none.

    A single column called text, comment(s), response, answer or quote is used;
    otherwise a file with only one column uses it.

    Raises:
        IngestError: the choice is not clear; the message lists the columns.
    """
    named = [i for i, name in enumerate(columns) if _fold(name) in DEFAULT_TEXT_NAMES]
    if len(named) == 1:
        return named[0]
    if len(columns) == 1:
        return 0
    which = "several columns could hold the answers" if named else "no column is called " + ", ".join(
        DEFAULT_TEXT_NAMES
    )
    raise IngestError(
        f"Which column of {path.name} holds the answers? {which[0].upper()}{which[1:]}. The file has "
        f"these columns: {_listing(columns)}. Name the answer column with --text-col (repeat it "
        "for several questions).",
        path=path,
    )
