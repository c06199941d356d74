"""Quotes flagged as non-answers, and the one predicate that keeps them out of coding and counts.

A non-answer ("Nothing.", "n/a", "No comment") stays in the project — it was read, and the
reconciliation accounts for its row — but it is not coded and it counts in no denominator.
Every query that selects quotes to code or counts quotes or respondents for a figure
applies :data:`SUBSTANTIVE` (or :func:`substantive`), so all figures leave out the same
quotes. A project ingested with ``--keep-non-answers`` has no flags, and the predicate is
then true of every quote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the project module imports this one
    from probation_themes.store.project import Project


def substantive(alias: str = "q") -> str:
    """SQL that is true for a quote (of table alias ``alias``) not flagged as a non-answer."""
    return f"NOT EXISTS (SELECT 1 FROM non_answers na WHERE na.quote_id = {alias}.quote_id)"


#: True for a quote (table alias ``q``) that is not a non-answer: add it to every query that
#: picks quotes to code or counts quotes or respondents (``... WHERE {SUBSTANTIVE}``).
SUBSTANTIVE = substantive("q")


class NonAnswer(NamedTuple):
    """A quote flagged as a non-answer, where it came from, and the phrase that matched."""

    quote_id: str
    response_id: str
    text: str
    source: str
    row: int
    phrase: str


def non_answer_writer(flags: Iterable[tuple[str, str]], *, run_id: int) -> Callable[[sqlite3.Connection], int]:
    """Writes (quote id, phrase) flags with the quotes they belong to (see ``IngestWriter.add``)."""
    rows = [(quote_id, phrase, run_id) for quote_id, phrase in flags]

    def write(db: sqlite3.Connection) -> int:
        db.executemany("INSERT INTO non_answers (quote_id, phrase, run_id) VALUES (?,?,?)", rows)
        return len(rows)

    return write


def count_non_answers(project: Project) -> int:
    """How many quotes of the project are flagged as non-answers."""
    return int(project._db.execute("SELECT COUNT(*) FROM non_answers").fetchone()[0])


def non_answer_ids(project: Project) -> set[str]:
    """The ids of the quotes flagged as non-answers."""
    return {r[0] for r in project._db.execute("SELECT quote_id FROM non_answers")}


def iter_non_answers(project: Project) -> Iterator[NonAnswer]:
    """Every flagged quote, in ingest order, with its source row and the phrase that matched."""
    for row in project._db.execute(
        "SELECT q.quote_id, q.response_id, q.text, q.source, q.row, na.phrase FROM non_answers na"
        " JOIN quotes q ON q.quote_id = na.quote_id ORDER BY q.seq"
    ):
        yield NonAnswer(*row)


def non_answer_phrases(project: Project) -> dict[str, int]:
    """How many quotes each phrase flagged, most first."""
    return dict(project._db.execute(
        "SELECT phrase, COUNT(*) AS n FROM non_answers GROUP BY phrase ORDER BY n DESC, phrase"
    ).fetchall())


def only_non_answer_responses(project: Project) -> int:
    """Respondents all of whose quotes are non-answers: they count in no denominator."""
    return int(project._db.execute(
        "SELECT COUNT(*) FROM (SELECT q.response_id FROM quotes q GROUP BY q.response_id"
        f" HAVING SUM({SUBSTANTIVE}) = 0)"
    ).fetchone()[0])


def non_answer_units(project: Project) -> dict[str, set[str]]:
    """The units that are non-answers: ``quote`` ids flagged, and ``response`` ids whose every quote is."""
    quotes = non_answer_ids(project)
    if not quotes:
        return {"quote": set(), "response": set()}
    responses = {r[0] for r in project._db.execute(
        f"SELECT q.response_id FROM quotes q GROUP BY q.response_id HAVING SUM({SUBSTANTIVE}) = 0"
    )}
    return {"quote": quotes, "response": responses}


def replace_non_answers(project: Project, flags: Iterable[tuple[str, str]], *, run_id: int) -> tuple[int, int]:
    """Flag exactly these (quote id, phrase) pairs as the project's non-answers, all or nothing.

    Returns (quotes newly flagged, quotes no longer flagged).
    """
    wanted = dict(flags)
    with project._transaction() as db:
        before = dict(db.execute("SELECT quote_id, phrase FROM non_answers").fetchall())
        dropped = [q for q in before if q not in wanted]
        db.executemany("DELETE FROM non_answers WHERE quote_id = ?", ((q,) for q in dropped))
        db.executemany(
            "INSERT INTO non_answers (quote_id, phrase, run_id) VALUES (?,?,?)"
            " ON CONFLICT(quote_id) DO UPDATE SET phrase = excluded.phrase, run_id = excluded.run_id",
            ((q, p, run_id) for q, p in wanted.items() if before.get(q) != p),
        )
    return sum(1 for q in wanted if q not in before), len(dropped)


def non_answers_changed_after(project: Project, run_id: int) -> int | None:
    """The first ``non-answers`` run after run ``run_id`` that flagged or unflagged a quote, if any.

    Such a run changes which quotes are coded, so coding and topics made before it are
    renewed in full rather than incrementally.
    """
    for later, in project._db.execute(
        "SELECT run_id FROM runs WHERE command = 'non-answers' AND status = 'done' AND run_id > ?"
        " AND (json_extract(parameters, '$.flagged') > 0 OR json_extract(parameters, '$.unflagged') > 0)"
        " ORDER BY run_id LIMIT 1",
        (run_id,),
    ):
        return int(later)
    return None
