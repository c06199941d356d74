"""Coding sheets as researchers keep them: one row per response, code *names* in ``Code 1``…``Code N``.

A common layout has no 0/1 columns: the id, the response text, then columns such as
``Code 1``, ``Code 2`` … ``Code 8`` each holding one code's name (or nothing). A
sub-code is written with its parent, in one of the ways spreadsheets are seen to
use: ``parent->child``, ``parent > child``, ``parent::child``, ``parent\\child`` or
``parent/child``. One separator is used per file: the first of those that occurs
(a bare ``/`` only when some part before it is shared by two names or used alone,
so ``N/A`` or ``and/or`` stay whole names). ``subcode_sep`` overrides the choice.

This module finds the name columns, reads every row's names and splits them into
paths; :class:`probation_themes.codebook.implied.CodeNames` turns the paths into
code ids.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from probation_themes.codebook.implied import CodeNames
from probation_themes.ingest.clean import clean_cell
from probation_themes.ingest.tables import Record

#: Header names taken as code-name columns: ``Code 1``, ``code_2``, ``Theme 3``, ``Codes #4``…
NAME_COLUMN = re.compile(r"^(?:codes?|themes?|categor(?:y|ies)|tags?|labels?)[\s_#.-]*\d+$", re.IGNORECASE)
#: Ways of writing ``parent`` then ``child``, in the order they are tried.
SEPARATORS: tuple[str, ...] = ("->", "=>", "::", ">>", " > ", "\\", " / ", "/", ">")
#: Separators taken only when the names show a hierarchy (a shared or stand-alone parent).
_CAUTIOUS = frozenset({"/", ">"})
#: What ``--subcode-sep`` takes to say that names have no sub-codes.
NO_SEPARATOR = "none"


_BARE = re.compile(r"^(?:codes?|themes?|categor(?:y|ies)|tags?|labels?)$", re.IGNORECASE)


def name_columns(columns: Sequence[str]) -> list[int]:
    """The indexes of the columns whose header looks like ``Code 1``, ``Code 2`` …

    A bare ``Code`` counts too when numbered ones follow it (``Code``, ``Code 2``, or a
    spreadsheet's repeated ``Code`` headers, read as ``Code``, ``Code.2``), and a single
    ``Codes`` (or ``Themes``, ``Tags``…) column holding several names a cell is one.
    """
    numbered = [i for i, name in enumerate(columns) if NAME_COLUMN.match(" ".join(name.split()))]
    bare = [i for i, name in enumerate(columns) if _BARE.match(name.strip())]
    if not numbered:
        # One column of names, several to a cell (``Codes: workload | ict``); a column
        # called just ``code`` is a long file's, one code per row.
        plural = [i for i in bare if columns[i].strip().casefold() not in ("code", "theme", "category", "tag", "label")]
        return plural if len(plural) == 1 and not any(c.strip().casefold() == "code" for c in columns) else []
    return sorted(set(numbered) | set(bare))


def split_name(name: str, separator: str | None) -> tuple[str, ...]:
    """A name as its path of labels from the top (``Workload->Caseload`` → ``("Workload", "Caseload")``)."""
    if not separator:
        return (name,)
    parts = tuple(" ".join(part.split()) for part in name.split(separator))
    return parts if all(parts) else (name,)


def _shows_hierarchy(names: Sequence[str], separator: str) -> bool:
    split = [split_name(n, separator) for n in names]
    parents: dict[str, set[str]] = {}
    for path in split:
        if len(path) > 1:
            parents.setdefault(path[0].casefold(), set()).add(path[1].casefold())
    alone = {path[0].casefold() for path in split if len(path) == 1}
    return any(len(children) > 1 or parent in alone for parent, children in parents.items())


def choose_separator(names: Iterable[str], wanted: str | None = None) -> str | None:
    """The sub-code separator the names use: ``wanted`` if given (``none`` for no sub-codes), else detected."""
    if wanted is not None:
        return None if wanted.strip().casefold() == NO_SEPARATOR else wanted
    distinct = list(dict.fromkeys(names))
    for separator in SEPARATORS:
        used = [n for n in distinct if len(split_name(n, separator)) > 1]
        if not used:
            continue
        if separator not in _CAUTIOUS or _shows_hierarchy(distinct, separator):
            return separator
    return None


#: Several names in one cell are separated by these (``workload | ict``, ``c1|c5``, ``pay; ict``).
_IN_CELL = re.compile(r"\s*[|;]\s*")


def row_names(cells: Sequence[str], indexes: Sequence[int]) -> list[str]:
    """The code names of one row, in column order, blanks and repeats left out.

    A cell may hold several names separated by ``|`` or ``;``.
    """
    names = (part.strip() for i in indexes for part in _IN_CELL.split(clean_cell(cells[i].strip())[0]))
    return list(dict.fromkeys(n for n in names if n))


def text_key(text: str) -> str:
    """How a sheet's response text is matched to an ingested answer: cleaned, spacing and case ignored."""
    return " ".join(clean_cell(text)[0].split()).casefold()


class TextIds:
    """Places a sheet's rows by their response text, when its ids are not the project's.

    A sheet whose first column is a row number, or a project ingested without
    ``--id-col``, still matches: each row's text is looked up among the answers, and a
    text given by several respondents (``Nothing.``) is matched in order, the first row
    with it to the first such respondent. A row whose text is blank or not in the
    project gets a stand-in id that names its row, so it is skipped when it gives no
    code and refused when it does.

    Args:
        texts: (answer text, response id) for every quote of the project, in ingest order.
    """

    def __init__(self, texts: Iterable[tuple[str, str]]) -> None:
        self._ids: dict[str, list[str]] = defaultdict(list)
        for text, response_id in texts:
            ids = self._ids[text_key(text)]
            if response_id not in ids:
                ids.append(response_id)
        self._used: Counter[str] = Counter()

    def __contains__(self, text: str) -> bool:
        return text_key(text) in self._ids

    def unit(self, text: str, row: int) -> str:
        """The response id of the row with this text (or a stand-in naming the row)."""
        key = text_key(text)
        if not key:
            return f"(row {row}: no response text)"
        ids = self._ids.get(key, [])
        seen = self._used[key]
        self._used[key] += 1
        return ids[seen] if seen < len(ids) else f"(row {row}: a text not in the project)"


def best_text_column(rows: Iterable[Sequence[str]], columns: int, skip: set[int], texts: TextIds) -> int | None:
    """The column whose cells are most often answers of the project (at least half of its filled cells)."""
    filled, found = Counter[int](), Counter[int]()
    for cells in rows:
        for index in range(min(columns, len(cells))):
            if index in skip or not cells[index].strip():
                continue
            filled[index] += 1
            found[index] += cells[index] in texts
    scored = [(found[i] / filled[i], found[i], -i) for i in filled if found[i]]
    if not scored:
        return None
    share, _n, index = max(scored)
    return -index if share >= 0.5 else None


def read_names(
    reader: Any, records: Iterator[Record], indexes: list[int]
) -> tuple[list[tuple[int, str, list[str]]], dict[str, list[int]]]:
    """Every row's code names, and each distinct name with the rows it is on."""
    rows: list[tuple[int, str, list[str]]] = []
    names: dict[str, list[int]] = {}
    for row, cells, _raw, problem in records:
        read = reader.cells(row, cells, problem)
        if read is None:
            continue
        unit, cells = read
        found = row_names(cells, indexes)
        rows.append((row, unit, found))
        for name in found:
            names.setdefault(name, []).append(row)
    return rows, names


def names_pairs(
    reader: Any, rows: list[tuple[int, str, list[str]]], code_of: dict[str, str | None]
) -> dict[tuple[str, str], tuple[int, bool]]:
    """(unit, code) pairs of a names sheet; two rows of one unit must name the same codes."""
    pairs: dict[tuple[str, str], tuple[int, bool]] = {}
    first_row: dict[str, tuple[int, frozenset[str]]] = {}
    for row, unit, names in rows:
        codes = frozenset(c for c in (code_of.get(n) for n in names) if c is not None)
        seen = first_row.setdefault(unit, (row, codes))
        if seen[1] != codes:
            differ = sorted(seen[1] ^ codes)
            reader.problems.append(f"rows {seen[0]} and {row} both code '{unit}' but disagree on {', '.join(differ)}")
            continue
        for code in codes:
            pairs.setdefault((unit, code), (row, True))
    return pairs


def resolve_names(names: CodeNames, raw: Collection[str], separator: str | None) -> dict[str, str | None]:
    """Each name's code id. Against a real codebook a name the chosen separator does not
    resolve is tried with the others, so ``High workloads/Caseloads`` finds its sub-code."""
    found: dict[str, str | None] = {}
    for name in raw:
        code = names.resolve(name, split_name(name, separator))
        if code is None and not names.create:
            for other in SEPARATORS:
                path = split_name(name, other)
                code = names.resolve(name, path) if len(path) > 1 else None
                if code is not None:
                    break
        found[name] = code
    return found
