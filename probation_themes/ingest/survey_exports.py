"""Survey platforms' exports: the extra header rows of Qualtrics and SurveyMonkey files.

- **Qualtrics** CSV/XLSX exports carry three header rows: the column names (``Q5``,
  ``Q5_TEXT``, ``ResponseId``), the question text ("What would improve…?"), and a row of
  ``{"ImportId": …}`` objects. The legacy format has two (``V1``… over ``ResponseID``…).
- **SurveyMonkey** exports carry two: the question text (a question with several
  answer columns names only its first), then the answer columns' labels
  (``Response``, ``Open-Ended Response``, an option's text).

:func:`survey_header` recognises them from their first rows, so those rows never
become answers: the column names stay what ``--text-col`` names (a Qualtrics column
may also be named by its question text), and each answer keeps its question text
as the quote's question.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from probation_themes.ingest.tables import Record

# {"ImportId":"QID1_TEXT"}, also as a spreadsheet may have mangled it ({'ImportId': …}, {ImportId: …}).
_IMPORT_ID = re.compile(r"""^\{\s*["']?importid["']?\s*:""")
_QUALTRICS_NAMES = frozenset({"responseid", "startdate", "enddate", "recordeddate", "progress", "finished",
                              "ipaddress", "duration (in seconds)", "distributionchannel", "userlanguage"})
# Columns every Qualtrics export has that hold no answers (left out of the questions listed in messages).
_QUALTRICS_METADATA = _QUALTRICS_NAMES | {
    "status", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference",
    "externaldatareference", "locationlatitude", "locationlongitude",
}
_MONKEY_NAMES = frozenset({"respondent id", "collector id", "start date", "end date", "ip address"})
_MONKEY_LABELS = frozenset({"response", "open-ended response"})


@dataclass(frozen=True)
class SurveyHeader:
    """What a survey platform's header rows say about each column."""

    #: ``Qualtrics`` or ``SurveyMonkey``.
    platform: str
    #: The column names (one per column; SurveyMonkey's are made from its question rows).
    names: list[str]
    #: The question text of each column, where the export gives one.
    questions: list[str | None]
    #: The 1-based rows that were header rows, not answers.
    header_rows: tuple[int, ...]

    def describe(self) -> str:
        """One line for the ingest summary."""
        rows = " and ".join(str(r) for r in self.header_rows)
        which = f"rows {rows} are header rows" if len(self.header_rows) > 1 else f"row {rows} is a header row"
        return (f"{self.platform} export: {which} (question text, not answers); "
                "each answer keeps its question's text as its question")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _is_import_row(cells: Sequence[str], *, qualtrics: bool = False) -> bool:
    # Every column of a Qualtrics export has its ImportId; an answer that happens to look
    # like one is not an import row. Under a header already known to be Qualtrics', a row
    # whose cells are mostly ImportIds is the import row, damaged (cells lost or cut short).
    filled = [c for c in cells if c.strip()]
    found = sum(1 for c in filled if _IMPORT_ID.match(_fold(c)))
    if qualtrics:
        return found >= 1 and found * 2 >= len(filled)
    return found >= 2 and found * 10 >= len(filled) * 9


def _qualtrics(header: list[str], second: list[str], third: list[str] | None, row: int) -> SurveyHeader | None:
    folded = [_fold(h) for h in header]
    legacy = bool(folded) and folded[0] == "v1" and bool(second) and _fold(second[0]) == "responseid"
    named = len(_QUALTRICS_NAMES.intersection(folded)) >= 2
    # The question row gives the ResponseId column the label "Response ID", whatever else is lost.
    labelled = any(name == "responseid" and i < len(second) and _fold(second[i]) == "response id"
                   for i, name in enumerate(folded))
    known = legacy or labelled or (named and "response id" in {_fold(c) for c in second})
    import_row = third is not None and _is_import_row(third, qualtrics=known)
    if not (import_row or known):
        return None
    width = len(header)
    texts = (second + [""] * width)[:width]
    if legacy:
        # Legacy exports: row 1 is V1, V2 … Q1 …; row 2 names the metadata columns
        # (ResponseID …) and gives the questions' text.
        names = [t.strip() if re.fullmatch(r"V\d+", h.strip()) and t.strip() else h for h, t in zip(header, texts)]
    else:
        names = list(header)
    questions = [t.strip() or None for t in texts]
    rows = (row + 1, row + 2) if import_row else (row + 1,)
    return SurveyHeader("Qualtrics", names, questions, rows)


def _monkey(header: list[str], second: list[str], row: int) -> SurveyHeader | None:
    folded = {_fold(h) for h in header}
    labels = {_fold(c) for c in second if c.strip()}
    if len(_MONKEY_NAMES & folded) < 2 or not labels & _MONKEY_LABELS:
        return None
    width = len(header)
    texts = (second + [""] * width)[:width]
    names: list[str] = []
    questions: list[str | None] = []
    current = ""
    for name, label in zip(header, texts):
        name, label = name.strip(), label.strip()
        if name:
            current = name
        question = current or label
        if not name and label and current:
            column = f"{current} - {label}"  # an answer column of the question before it
        else:
            column = name or label
        names.append(column)
        shown = question if not label or _fold(label) in _MONKEY_LABELS else f"{question} - {label}"
        questions.append(shown or None)
    return SurveyHeader("SurveyMonkey", names, questions, (row + 1,))


def survey_header(header: list[str], records: Iterable[Record]) -> tuple[SurveyHeader | None, Iterator[Record]]:
    """Recognise a Qualtrics or SurveyMonkey export from its first rows.

    Args:
        header: the first row (column names).
        records: the rows after it.

    Returns:
        What the export's header rows say (None for any other file), and the records
        with those rows taken out (the other rows keep their numbers).
    """
    stream = iter(records)
    peeked = list(itertools.islice(stream, 2))
    rows = [cells or [] for _row, cells, _raw, _problem in peeked]
    second = rows[0] if rows else []
    third = rows[1] if len(rows) > 1 else None
    header_row = peeked[0][0] - 1 if peeked else 1
    found = _qualtrics(header, second, third, header_row) or _monkey(header, second, header_row)
    if found is None:
        return None, itertools.chain(peeked, stream)
    kept = [record for record in peeked if record[0] not in found.header_rows]
    return found, itertools.chain(kept, stream)


def is_metadata(name: str) -> bool:
    """Whether a column is one of the platform's own (dates, ids, progress), not a question."""
    return _fold(name) in _QUALTRICS_METADATA or _fold(name) in _MONKEY_NAMES


def find_question(questions: Sequence[str | None], wanted: str) -> int | None:
    """The column whose question text is ``wanted`` (ignoring case and spacing), if exactly one is."""
    folded = _fold(wanted)
    matches = [i for i, q in enumerate(questions) if q and _fold(q) == folded]
    return matches[0] if len(matches) == 1 else None
