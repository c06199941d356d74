"""Reading a gold coding for ``evaluate``: one table, a texts file with codes files, or a folder.

A gold coding is a set of texts, each with the codes a person gave it. Three
layouts are read as they come, without reshaping:

1. **One table** (CSV or TSV) with a text column (``text`` unless named
   otherwise) and the codes either in a ``codes`` column (code ids joined by
   ``|``, blank when no code applies) or in one 0/1 column per code id
   (``yes``/``no``, ``true``/``false`` and ``x``/blank read the same way; only
   the codes with a column are evaluated). An ``id`` column, when present,
   names the texts (for ``--test-ids`` and ``--test-pattern``); otherwise a text
   is named by its row.
2. **A texts file and codes files**: the texts file has ``id`` and ``text``
   columns; each codes file has an id column (``id`` or ``response_id``) and
   either a ``code`` column, one row per (text, code) — the long form — or a
   ``codes`` or ``gold`` column with code ids joined by ``|``. A text named in
   no codes file is not part of the gold coding (it was not coded).
3. **A folder** holding ``texts.csv`` and codes files in any of those forms
   (every other ``.csv`` or ``.tsv`` file of the folder with an id column and a
   code column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from probation_themes.codebook import Codebook
from probation_themes.errors import IngestError
from probation_themes.ingest.decode import decode_bytes
from probation_themes.ingest.reader import read_source
from probation_themes.ingest.tables import read_delimited

#: The column of the joined form of a gold file.
CODES_COLUMN = "codes"
#: Columns naming a text in a texts or codes file, in the order they are looked for.
ID_COLUMNS = ("id", "response_id")
#: Columns of a codes file holding code ids joined by ``|`` (the joined form).
JOINED_COLUMNS = ("codes", "gold")
#: The column of a codes file holding one code id a row (the long form).
LONG_COLUMN = "code"
#: The texts file of a gold folder.
TEXTS_FILE = "texts.csv"

_TRUE = {"1", "yes", "y", "true", "x"}
_FALSE = {"0", "no", "n", "false", ""}


@dataclass
class GoldSet:
    """A gold coding: texts, their ids and, per evaluated code, 0/1 labels."""

    path: str
    texts: list[str]
    codes: list[str]
    labels: np.ndarray  # (texts, codes), 0/1
    form: str  # "codes" (joined), "columns" (one 0/1 column per code), "long" or "folder"
    missing_codes: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    #: Texts of a texts file that no codes file names (left out of the gold coding).
    uncoded: int = 0

    def __post_init__(self) -> None:
        if not self.ids:
            self.ids = [f"row {i + 2}" for i in range(len(self.texts))]


def _table(path: Path, what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and non-blank rows of a CSV or TSV file, with row numbers."""
    data = read_source(path)  # one read; missing files, folders and named pipes refused plainly
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        raise IngestError(
            f"The {what} {path.name} must be a CSV or TSV file (one row per text); save the "
            "sheet as CSV UTF-8 and try again.",
            path=path,
        )
    text, _ = decode_bytes(data, path)
    header, records = read_delimited(text, "\t" if path.suffix.lower() == ".tsv" else None)
    columns = [h.strip() for h in header]
    rows = []
    for row, cells, _raw, problem in records:
        if cells is None:
            raise IngestError(f"Row {row} of {path.name} cannot be read: {problem}.", path=path, row=row)
        if any(c.strip() for c in cells):
            rows.append((row, cells + [""] * (len(columns) - len(cells))))
    return columns, rows


def _text(cells: list[str], at: int, row: int, path: Path, text_col: str) -> str:
    """The row's text, or the error that names the row and column where it is missing."""
    body = cells[at].strip()
    if not body:
        raise IngestError(
            f"Row {row} of {path.name} has no text in column {text_col!r}; fill it in or delete the row.",
            path=path, row=row, column=text_col,
        )
    return body


def read_gold(path: str | Path, codebook: Codebook, *, text_col: str = "text") -> GoldSet:
    """Read a gold coding for the codes of ``codebook``: one table, or a folder.

    See the module description for the accepted layouts.

    Raises:
        IngestError: the file cannot be read, lacks the text column or any
            codes, or a cell holds an unknown code or a value that is not 0/1;
            the message names the row and column.
    """
    path = Path(path)
    if path.is_dir():
        return read_gold_folder(path, codebook, text_col=text_col)
    columns, rows = _table(path, "gold file")
    if text_col not in columns:
        raise IngestError(
            f"The gold file {path.name} has no column {text_col!r} (its columns are: "
            f"{', '.join(columns) or 'none'}); name the text column with --text-col.",
            path=path,
            column=text_col,
        )
    ids = list(codebook.ids)
    code_columns = [c for c in ids if c in columns]
    if CODES_COLUMN in columns and code_columns:
        raise IngestError(
            f"The gold file {path.name} has both a {CODES_COLUMN!r} column and code columns "
            f"({', '.join(code_columns)}); keep one form: either one {CODES_COLUMN!r} column with "
            "code ids joined by ' | ', or one 0/1 column per code.",
            path=path,
        )
    if CODES_COLUMN not in columns and not code_columns:
        raise IngestError(
            f"The gold file {path.name} names no codes: add a {CODES_COLUMN!r} column with each "
            "text's code ids joined by ' | ', or one 0/1 column per code named by its id "
            f"(codebook codes: {', '.join(ids)}).",
            path=path,
        )
    form = "codes" if CODES_COLUMN in columns else "columns"
    codes = ids if form == "codes" else code_columns
    at = {name: i for i, name in enumerate(columns)}
    id_at = at.get("id")
    texts: list[str] = []
    names: list[str] = []
    labels: list[list[int]] = []
    seen: dict[str, int] = {}
    for row, cells in rows:
        body = _text(cells, at[text_col], row, path, text_col)
        name = cells[id_at].strip() if id_at is not None else f"row {row}"
        if id_at is not None:
            _check_id(name, row, path, seen)
        texts.append(body)
        names.append(name)
        if form == "codes":
            labels.append(_joined(cells[at[CODES_COLUMN]], codes, path, row, CODES_COLUMN))
        else:
            labels.append([_flag(cells[at[c]], c, path, row) for c in codes])
    if not texts:
        raise IngestError(f"The gold file {path.name} has a header but no texts.", path=path)
    matrix = np.array(labels, dtype=np.int8).reshape(len(texts), len(codes))
    missing = [c for c in ids if c not in codes]
    return GoldSet(str(path), texts, codes, matrix, form, missing, names)


def _check_id(name: str, row: int, path: Path, seen: dict[str, int], column: str = "id") -> None:
    if not name:
        raise IngestError(
            f"Row {row} of {path.name} has no id in column {column!r}; give every text an id.",
            path=path, row=row, column=column,
        )
    if name in seen:
        raise IngestError(
            f"Row {row} of {path.name} repeats the id {name!r} of row {seen[name]}; every text "
            "needs its own id.",
            path=path, row=row, column=column,
        )
    seen[name] = row


def read_gold_folder(folder: str | Path, codebook: Codebook, *, text_col: str = "text") -> GoldSet:
    """Read a gold folder: ``texts.csv`` and every codes file beside it (see the module description).

    Raises:
        IngestError: the folder has no ``texts.csv`` or no codes file, or a file is bad.
    """
    folder = Path(folder)
    texts = folder / TEXTS_FILE
    if not texts.is_file():
        raise IngestError(
            f"The gold folder {folder} has no {TEXTS_FILE} (id and text of every answer); add it, "
            "or give the texts and codes files with --texts and --codes.",
            path=folder,
        )
    codes_files = []
    for candidate in sorted(folder.iterdir()):
        if candidate == texts or candidate.suffix.lower() not in (".csv", ".tsv") or not candidate.is_file():
            continue
        columns, _ = _table(candidate, "codes file")
        if any(c in columns for c in ID_COLUMNS) and any(c in columns for c in (LONG_COLUMN, *JOINED_COLUMNS)):
            codes_files.append(candidate)
    if not codes_files:
        raise IngestError(
            f"The gold folder {folder} has no codes file: add a CSV with an id column "
            f"({' or '.join(ID_COLUMNS)}) and a {LONG_COLUMN!r} column (one row per text and code) "
            f"or a {' or '.join(map(repr, JOINED_COLUMNS))} column (code ids joined by '|').",
            path=folder,
        )
    gold = read_texts_and_codes(texts, codes_files, codebook, text_col=text_col)
    gold.path, gold.form = str(folder), "folder"
    return gold


def read_texts_and_codes(
    texts: str | Path, codes_files: list[str | Path], codebook: Codebook, *, text_col: str = "text"
) -> GoldSet:
    """Read a texts file (``id``, text column) and codes files in the long or joined form.

    Raises:
        IngestError: a file cannot be read or lacks its columns, an id repeats
            or is unknown, or a code is not in the codebook.
    """
    texts = Path(texts)
    columns, rows = _table(texts, "texts file")
    id_col = next((c for c in ID_COLUMNS if c in columns), None)
    for needed in (id_col, text_col):
        if needed is None or needed not in columns:
            raise IngestError(
                f"The texts file {texts.name} has no column "
                f"{(needed or ' or '.join(map(repr, ID_COLUMNS)))!r} (its columns are: "
                f"{', '.join(columns) or 'none'}); it needs an id column ({' or '.join(ID_COLUMNS)}) "
                f"and a text column ({text_col!r}, or name it with --text-col).",
                path=texts,
                column=needed,
            )
    at = {name: i for i, name in enumerate(columns)}
    order: dict[str, int] = {}
    bodies: list[str] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    for row, cells in rows:
        name = cells[at[id_col]].strip()
        _check_id(name, row, texts, seen, id_col)
        body = _text(cells, at[text_col], row, texts, text_col)
        order[name] = len(bodies)
        bodies.append(body)
        names.append(name)
    if not bodies:
        raise IngestError(f"The texts file {texts.name} has a header but no texts.", path=texts)
    codes = list(codebook.ids)
    labels = np.zeros((len(bodies), len(codes)), dtype=np.int8)
    coded = np.zeros(len(bodies), dtype=bool)
    if not codes_files:
        raise IngestError("Give at least one codes file with --codes (id and code columns).", path=texts)
    for path in map(Path, codes_files):
        _read_codes(path, codes, order, labels, coded)
    keep = np.flatnonzero(coded)
    if not len(keep):
        raise IngestError(
            f"No text of {texts.name} is named in the codes files; check that their id column "
            "holds the ids of the texts file.",
            path=texts,
        )
    return GoldSet(
        str(texts), [bodies[i] for i in keep], codes, labels[keep], "long", [],
        [names[i] for i in keep], uncoded=int(len(bodies) - len(keep)),
    )


def _read_codes(path: Path, codes: list[str], order: dict[str, int], labels: np.ndarray, coded: np.ndarray) -> None:
    """Add one codes file's codes to ``labels`` (rows in ``order``), marking the texts it names."""
    columns, rows = _table(path, "codes file")
    id_col = next((c for c in ID_COLUMNS if c in columns), None)
    joined = next((c for c in JOINED_COLUMNS if c in columns), None)
    code_col = LONG_COLUMN if LONG_COLUMN in columns else joined
    if id_col is None or code_col is None:
        raise IngestError(
            f"The codes file {path.name} needs an id column ({' or '.join(ID_COLUMNS)}) and a "
            f"{LONG_COLUMN!r} column (one row per text and code) or a "
            f"{' or '.join(map(repr, JOINED_COLUMNS))} column (code ids joined by '|'); its columns "
            f"are: {', '.join(columns) or 'none'}.",
            path=path,
        )
    at = {name: i for i, name in enumerate(columns)}
    long = code_col == LONG_COLUMN
    for row, cells in rows:
        name = cells[at[id_col]].strip()
        if name not in order:
            raise IngestError(
                f"Row {row} of {path.name} names the text {name!r} in column {id_col!r}, which is not "
                "in the texts file; fix the id or add the text.",
                path=path, row=row, column=id_col,
            )
        i = order[name]
        values = _joined(cells[at[code_col]], codes, path, row, code_col, long=long)
        labels[i] |= np.array(values, dtype=np.int8)
        coded[i] = True


def _joined(cell: str, codes: list[str], path: Path, row: int, column: str, long: bool = False) -> list[int]:
    given = {part.strip() for part in ([cell] if long else cell.split("|"))} - {""}
    unknown = sorted(given - set(codes))
    if unknown:
        how = "one code id a row" if long else "joined by ' | '"
        raise IngestError(
            f"Row {row} of {path.name} names {', '.join(map(repr, unknown))} in column "
            f"{column!r}, not a code of the codebook; use the code ids "
            f"({', '.join(codes)}) {how}.",
            path=path, row=row, column=column,
        )
    return [int(c in given) for c in codes]


def _flag(cell: str, code: str, path: Path, row: int) -> int:
    value = cell.strip().lower()
    if value in _TRUE:
        return 1
    if value in _FALSE:
        return 0
    raise IngestError(
        f"Row {row} of {path.name} has {cell!r} in column {code!r}; use 1 if the code applies "
        "and 0 (or blank) if it does not.",
        path=path, row=row, column=code,
    )


def read_ids(path: str | Path) -> list[str]:
    """The ids listed in a file: one a line, or a CSV with an ``id`` (or ``response_id``) column.

    Raises:
        IngestError: the file cannot be read or lists no id.
    """
    path = Path(path)
    try:
        text, _ = decode_bytes(path.read_bytes(), path)
    except FileNotFoundError:
        raise IngestError(f"The ids file {path} does not exist. Check the file name and folder.", path=path) from None
    except OSError as exc:
        raise IngestError(f"The ids file {path} could not be read: {exc.strerror or exc}.", path=path) from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and ("," in lines[0] or "\t" in lines[0] or lines[0] in ID_COLUMNS):
        header, records = read_delimited(text, "\t" if "\t" in lines[0] else None)
        columns = [h.strip() for h in header]
        id_col = next((c for c in ID_COLUMNS if c in columns), None)
        if id_col is None:
            raise IngestError(
                f"The ids file {path.name} has several columns but none named "
                f"{' or '.join(map(repr, ID_COLUMNS))}; name the id column so, or list one id a line.",
                path=path,
            )
        k = columns.index(id_col)
        lines = [cells[k].strip() for _, cells, _, _ in records if cells and len(cells) > k and cells[k].strip()]
    if not lines:
        raise IngestError(f"The ids file {path.name} lists no id; list the test texts' ids, one a line.", path=path)
    return lines


def split_mask(gold: GoldSet, *, ids: list[str] | None = None, pattern: str | None = None, source: str = "") -> np.ndarray:
    """Which gold texts are in the test split: those listed in ``ids``, or whose id matches ``pattern``.

    Raises:
        IngestError: listed ids that are not gold texts, or a split that
            leaves no test or no training text.
    """
    known = set(gold.ids)
    if ids is not None:
        unknown = [i for i in dict.fromkeys(ids) if i not in known]
        if unknown:
            shown = ", ".join(map(repr, unknown[:5])) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
            raise IngestError(
                f"The ids file {source} lists {len(unknown)} id(s) that are not coded texts of the gold "
                f"coding: {shown}. List ids of the gold texts ({gold.ids[0]!r}, …).",
                path=source or None,
            )
        wanted = set(ids)
        mask = np.array([i in wanted for i in gold.ids])
        how = f"the ids of {source}"
    else:
        assert pattern is not None
        rx = re.compile(pattern)
        mask = np.array([bool(rx.search(i)) for i in gold.ids])
        how = f"ids matching {pattern!r}"
    if not mask.any() or mask.all():
        side = "no" if not mask.any() else "every"
        raise IngestError(
            f"The test split ({how}) takes {side} gold text ({len(gold.ids):,} texts, ids like "
            f"{gold.ids[0]!r}); the test split must leave texts to train on and texts to test.",
            path=source or None,
        )
    return mask
