"""Reading a project in bounded batches, so reports and exports of a million quotes fit in memory.

:meth:`Project.snapshot` reads every quote and coding at once, which is fine for a few
thousand answers and far too much for a national consultation. These functions hand the
same facts over a slice of the project at a time: quotes in source order, each with its
effective codings (machine suggestions with the latest human decision applied, exactly
as :meth:`Project.codings` gives them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from probation_themes.models import Reject, WorkingCoding
from probation_themes.store.project import Project, StatusFilter
from probation_themes.store.working import quote_clause, suggestion_clause

#: Quotes read per batch: a few tens of megabytes whatever the size of the project.
BATCH_SIZE = 20_000

_KEEP = {
    "default": ("suggested", "accepted"),
    "suggested": ("suggested",),
    "accepted": ("accepted",),
    "rejected": ("rejected",),
    "all": ("suggested", "accepted", "rejected"),
}


class QuoteFacts(NamedTuple):
    """A quote as reports read it: where it sits (``seq``, source order), who said it, and where from."""

    seq: int
    quote_id: str
    response_id: str
    text: str
    region: str | None
    org: str | None


class EvidenceFacts(NamedTuple):
    """Why a coding was made, with the fields of :class:`~probation_themes.models.Evidence`.

    A plain record is built several times faster than the validated model, which counts
    when a long export reads the evidence of millions of codings.
    """

    kind: str
    rule: str | None
    term: str
    text: str
    start: int | None
    end: int | None
    weight: float | None
    negated: str | None = None
    countered: str | None = None


class CodingFacts(NamedTuple):
    """One effective coding of a quote, with the quote's place in source order and its respondent."""

    seq: int
    quote_id: str
    response_id: str
    code: str
    method: str
    status: str
    confidence: float | None
    coder: str | None
    decided_at: datetime | None
    evidence: tuple[EvidenceFacts, ...]


class Batch(NamedTuple):
    """A slice of the project: quotes in source order and their effective codings.

    Codings are ordered by quote (source order), then code, then method.
    """

    quotes: list[QuoteFacts]
    codings: list[CodingFacts]


Decided = dict[tuple[str, str], tuple[str, str, str]]


def latest_decisions(project: Project) -> Decided:
    """The decision in force per (quote id, code): (accept or reject, coder, when)."""
    latest: Decided = {}
    for quote_id, code, decision, coder, decided_at in project._db.execute(
        "SELECT quote_id, code, decision, coder, decided_at FROM decisions ORDER BY decision_id"
    ):
        latest[(quote_id, code)] = (decision, coder, decided_at)
    return latest


def _added_by_people(
    project: Project, latest: Decided, methods: tuple[str, ...] | None, kinds: tuple[str, ...] = ("accept",),
    *, non_answers: bool = False,
) -> list[tuple[int | None, str, str, str]]:
    """(seq or None, quote id, code, status) of decisions on codes that none of ``methods`` suggested.

    ``methods`` None means every method. Quotes that do not count (see
    :func:`~probation_themes.store.working.quote_clause`) are left out; a quote no
    longer in the project has seq None.
    """
    db = project._db
    chosen, chosen_params = suggestion_clause(methods, "s")
    counted, counted_params = quote_clause("q", non_answers=non_answers)
    added = []
    for (quote_id, code), (decision, _, _) in latest.items():
        if decision not in kinds:
            continue
        if db.execute(f"SELECT 1 FROM suggestions s WHERE s.quote_id = ? AND s.code = ? AND {chosen} LIMIT 1",
                      (quote_id, code, *chosen_params)).fetchone():
            continue
        row = db.execute("SELECT q.seq, " + counted + " FROM quotes q WHERE q.quote_id = ?",
                         (*counted_params, quote_id)).fetchone()
        if row is not None and not row[1]:
            continue
        added.append((row[0] if row else None, quote_id, code, "accepted" if decision == "accept" else "rejected"))
    return sorted(added, key=lambda a: (a[0] or 0, a[1], a[2]))


class ProjectReader:
    """Streams one project's quotes and effective codings with a chosen status.

    Args:
        project: an open project.
        status: which codings count (see :meth:`Project.codings`).
        evidence: read each coding's evidence (slower; only the long export needs it).
        working: the working coding to count (see :mod:`probation_themes.store.working`):
            only its methods' suggestions, and decisions on codes they did not suggest as
            method ``human``. None counts every method's suggestions.
        non_answers: also read the quotes flagged as non-answers. They are left out by
            default, so no count or denominator includes them (see
            :mod:`probation_themes.store.nonanswers`).
    """

    def __init__(
        self, project: Project, status: StatusFilter = "default", *, evidence: bool = False,
        working: WorkingCoding | None = None, non_answers: bool = False,
    ) -> None:
        self.project = project
        self.status = status
        self.evidence = evidence
        self.working = working
        self.non_answers = non_answers
        self._keep = _KEEP[status]
        self._methods = working.methods if working is not None else None
        self._latest = latest_decisions(project)
        kinds = ("accept", "reject") if working is not None else ("accept",)
        added = _added_by_people(project, self._latest, self._methods, kinds, non_answers=non_answers)
        self._added = [a for a in added if a[3] in self._keep]

    @property
    def orphan_quote_ids(self) -> list[str]:
        """Quotes a person coded that are no longer in the project (the file is inconsistent)."""
        if "accepted" not in self._keep:
            return []
        return sorted({q for seq, q, _, _ in self._added if seq is None})

    def coded_codes(self) -> set[str]:
        """Every code that has at least one coding with the chosen status."""
        db = self.project._db
        codes = {code for seq, _, code, _ in self._added if seq is not None}
        chosen, chosen_params = suggestion_clause(self._methods, "s")
        counted, counted_params = quote_clause("q", non_answers=self.non_answers)
        of_code = (
            "SELECT s.quote_id FROM suggestions s JOIN quotes q ON q.quote_id = s.quote_id"
            f" WHERE s.code = ? AND {chosen} AND {counted}"
        )
        if "suggested" not in self._keep:  # only decided suggestions can be accepted or rejected
            for (quote_id, code), (decision, _, _) in self._latest.items():
                status = "accepted" if decision == "accept" else "rejected"
                if status in self._keep and db.execute(
                    of_code + " AND s.quote_id = ?", (code, *chosen_params, *counted_params, quote_id)
                ).fetchone():
                    codes.add(code)
            return codes
        stored: list[str] = []
        # One index seek per code, rather than a pass over every suggestion.
        while row := db.execute(
            f"SELECT s.code FROM suggestions s WHERE s.code > ? AND {chosen} ORDER BY s.code LIMIT 1",
            (stored[-1] if stored else "", *chosen_params),
        ).fetchone():
            stored.append(row[0])
        if not self._latest and counted == "1":
            return codes | set(stored)
        for code in stored:
            if code not in codes and any(
                self._status(quote_id, code)[0] in self._keep
                for (quote_id,) in db.execute(of_code, (code, *chosen_params, *counted_params))
            ):
                codes.add(code)
        return codes

    def _status(self, quote_id: str, code: str) -> tuple[str, str | None, datetime | None]:
        decided = self._latest.get((quote_id, code))
        if decided is None:
            return "suggested", None, None
        return ("accepted" if decided[0] == "accept" else "rejected"), decided[1], datetime.fromisoformat(decided[2])

    def batches(self, batch_size: int = BATCH_SIZE, *, text: bool = False, details: bool = True) -> Iterator[Batch]:
        """The whole project, ``batch_size`` quotes at a time, in source order.

        Args:
            batch_size: quotes per batch.
            text: read the quotes' text.
            details: read the codings' confidence (and evidence, if the reader was asked
                for it). Counting needs neither, and leaving them out reads the project
                about three times faster.
        """
        top = self.project._db.execute("SELECT MAX(seq) FROM quotes").fetchone()[0] or 0
        # (Quotes that do not count are left out in _read, so a batch may hold fewer.)
        for low in range(1, top + 1, batch_size):
            yield self._read("q.seq BETWEEN ? AND ?", (low, low + batch_size - 1), text=text, details=details)

    def batch_of(self, seqs: Iterable[int]) -> Batch:
        """The quotes at the given places in source order, with their codings (for a few thousand quotes)."""
        wanted = sorted(set(seqs))
        quotes: list[QuoteFacts] = []
        codings: list[CodingFacts] = []
        for i in range(0, len(wanted), 900):
            chunk = wanted[i : i + 900]
            batch = self._read(f"q.seq IN ({','.join('?' * len(chunk))})", chunk, text=True, details=True)
            quotes += batch.quotes
            codings += batch.codings
        return Batch(quotes, codings)

    def _read(self, where: str, params: Sequence, *, text: bool, details: bool) -> Batch:
        text_sql = "q.text" if text else "''"
        # Without details the suggestions' index holds every column asked of them, so their rows
        # (large, with the evidence) are never read.
        confidence = "s.confidence" if details else "NULL"
        evidence = "s.evidence" if details and self.evidence else "NULL"
        chosen, chosen_params = suggestion_clause(self._methods, "s")
        counted, counted_params = quote_clause("q", non_answers=self.non_answers)
        # One pass: each quote once, with its suggestions, in the order the loops give (no sorting).
        rows = self.project._db.execute(
            f"SELECT q.seq, q.quote_id, q.response_id, {text_sql}, q.region, q.org, s.code, s.method, {confidence},"
            f" {evidence} FROM quotes q LEFT JOIN suggestions s ON s.quote_id = q.quote_id AND {chosen}"
            f" WHERE {where} AND {counted} ORDER BY q.seq, s.code, s.method",
            (*chosen_params, *params, *counted_params),
        )
        quotes: list[QuoteFacts] = []
        codings: list[CodingFacts] = []
        latest, keep = self._latest, self._keep
        make = tuple.__new__  # builds the named tuples without a Python call each: 2.6 million at 10^6 quotes
        undecided = ("suggested", None, None)
        last = None
        for row in rows:
            seq, quote_id, response_id, _, _, _, code, method, conf, stored = row
            if seq != last:
                quotes.append(make(QuoteFacts, row[:6]))
                last = seq
            if code is None:
                continue
            status, coder, decided_at = self._status(quote_id, code) if latest else undecided
            if status in keep:
                evidence = _evidence(stored) if stored else ()
                codings.append(make(CodingFacts, (seq, quote_id, response_id, code, method, status, conf, coder,
                                                  decided_at, evidence)))
        if self._added:
            responses = {q.seq: q.response_id for q in quotes}
            added = [a for a in self._added if a[0] in responses]
            for seq, quote_id, code, status in added:
                _, coder, decided_at = self._status(quote_id, code)
                codings.append(CodingFacts(seq, quote_id, responses[seq], code, "human", status, None,
                                           coder, decided_at, ()))
            if added:
                codings.sort(key=lambda c: (c.seq, c.code, c.method))
        return Batch(quotes, codings)


def quote_details(project: Project, quote_ids: Iterable[str]) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Quote id → (question, attributes) of the given quotes: the columns a wide export adds."""
    from probation_themes.store.project import rows_for_ids

    sql = "SELECT quote_id, question, attributes FROM quotes WHERE quote_id IN ({marks})"
    return {q: (question, json.loads(attrs)) for q, question, attrs in rows_for_ids(project._db, sql, quote_ids)}


def attribute_names(project: Project) -> list[str]:
    """Names of the --attr-col attributes stored with the project's quotes, in the order first met."""
    names: dict[str, None] = {}
    for attrs, _ in project._db.execute(
        "SELECT attributes, MIN(seq) FROM quotes GROUP BY attributes ORDER BY MIN(seq)"
    ):
        names.update(dict.fromkeys(json.loads(attrs)))
    return list(names)


def iter_rejects(project: Project, batch_size: int = BATCH_SIZE) -> Iterator[Reject]:
    """Every rejected input row, in ingest order, read ``batch_size`` at a time."""
    last = 0
    while True:
        rows = project._db.execute(
            "SELECT reject_id, source, row, reason, detail, raw FROM rejects WHERE reject_id > ?"
            " ORDER BY reject_id LIMIT ?", (last, batch_size)
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield from (Reject(source=r[1], row=r[2], reason=r[3], detail=r[4], raw=r[5]) for r in rows)


def _evidence(stored: str) -> tuple[EvidenceFacts, ...]:
    return tuple(
        EvidenceFacts(e.get("kind", "rule"), e.get("rule"), e["term"], e.get("text", ""), e.get("start"), e.get("end"),
                      e.get("weight"), e.get("negated"), e.get("countered"))
        for e in json.loads(stored)
    )
