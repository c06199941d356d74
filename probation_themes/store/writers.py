"""Writers used inside a project's transactions: runs, ingested sources and quotes, suggestions.

Split from :mod:`probation_themes.store.project`, which re-exports the public names.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from probation_themes.models import Coding, Quote, Reject, Run, evidence_json

_QUOTE_COLUMNS = (
    "quote_id, response_id, text, source, row, question, position, start_offset, end_offset, "
    "region, org, attributes"
)


@dataclass(frozen=True)
class SourceRecord:
    """One ingested file, with its reconciliation figures."""

    source_id: int
    name: str
    sha256: str
    encoding: str | None
    rows_read: int
    responses: int
    quotes: int
    rejects: int
    run_id: int


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _insert_run(db: sqlite3.Connection, run: Run) -> int:
    cur = db.execute(
        "INSERT INTO runs (command, method, coder, parameters, codebook_name, codebook_version,"
        " codebook_hash, input_hash, versions, started_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            run.command, run.method, run.coder, _json(run.parameters), run.codebook_name,
            run.codebook_version, run.codebook_hash, run.input_hash, _json(run.versions),
            run.started_at.isoformat(), "running",
        ),
    )
    return int(cur.lastrowid)


def _finish_run(db: sqlite3.Connection, run_id: int, status: str) -> None:
    db.execute(
        "UPDATE runs SET finished_at = ?, status = ? WHERE run_id = ?",
        (datetime.now().astimezone().isoformat(), status, run_id),
    )


def rows_for_ids(db: sqlite3.Connection, sql: str, ids: Iterable[str], params: Sequence = ()) -> Iterator[tuple]:
    """Rows of ``sql`` for many ids, 900 at a time (SQLite caps a statement's parameters).

    ``sql`` holds ``{marks}`` where the ids' placeholders go, as in ``WHERE id IN ({marks})``,
    after any other placeholders, whose values are ``params``.
    """
    unique = list(dict.fromkeys(ids))
    for lo in range(0, len(unique), 900):
        chunk = unique[lo : lo + 900]
        yield from db.execute(sql.format(marks=",".join("?" * len(chunk))), (*params, *chunk))


def _existing_quote_ids(db: sqlite3.Connection, quote_ids: Iterable[str]) -> set[str]:
    return {r[0] for r in rows_for_ids(db, "SELECT quote_id FROM quotes WHERE quote_id IN ({marks})", quote_ids)}


class IngestWriter:
    """Stores files' quotes and rejects inside :meth:`Project.ingesting`, batch by batch."""

    def __init__(self, db: sqlite3.Connection, run_id: int) -> None:
        self._db = db
        self.run_id = run_id

    def known_quote_ids(self, quote_ids: Iterable[str]) -> set[str]:
        """Those of ``quote_ids`` already stored (by earlier ingests or earlier in this one)."""
        return _existing_quote_ids(self._db, quote_ids)

    def add_source(self, name: str, sha256: str, options: dict | None = None) -> int:
        """Record a file about to be read; returns its source id. Its counts come with :meth:`finish_source`."""
        cur = self._db.execute(
            "INSERT INTO sources (name, sha256, encoding, options, rows_read, responses, quotes, rejects, run_id)"
            " VALUES (?,?,?,?,0,0,0,0,?)",
            (name, sha256, None, _json(options or {}), self.run_id),
        )
        return int(cur.lastrowid)

    def add(
        self,
        source_id: int,
        quotes: Sequence[Quote],
        rejects: Sequence[Reject],
        also: Callable[[sqlite3.Connection], object] | None = None,
    ) -> None:
        """Store a batch of a file's quotes and rejects; ``also`` writes records that belong with them."""
        db = self._db
        db.executemany(
            f"INSERT INTO quotes ({_QUOTE_COLUMNS}, source_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    q.quote_id, q.response_id, q.text, q.source, q.row, q.question, q.position,
                    q.start, q.end, q.region, q.org, _json(q.attributes), source_id,
                )
                for q in quotes
            ),
        )
        db.executemany(
            "INSERT INTO rejects (source, row, reason, detail, raw, source_id) VALUES (?,?,?,?,?,?)",
            ((r.source, r.row, r.reason, r.detail, r.raw, source_id) for r in rejects),
        )
        if also is not None:
            also(db)

    def finish_source(
        self, source_id: int, *, encoding: str | None, rows_read: int, responses: int, quotes: int, rejects: int
    ) -> SourceRecord:
        """Record a file's reconciliation once all of it is stored."""
        self._db.execute(
            "UPDATE sources SET encoding = ?, rows_read = ?, responses = ?, quotes = ?, rejects = ?"
            " WHERE source_id = ?",
            (encoding, rows_read, responses, quotes, rejects, source_id),
        )
        name, sha256 = self._db.execute("SELECT name, sha256 FROM sources WHERE source_id = ?", (source_id,)).fetchone()
        return SourceRecord(source_id, name, sha256, encoding, rows_read, responses, quotes, rejects, self.run_id)


#: (quote id, code, confidence, evidence as JSON): a suggestion ready for the store.
SuggestionRow = tuple[str, str, "float | None", str]


def suggestion_row(coding: Coding) -> SuggestionRow:
    """A coding as the store keeps a suggestion (see :class:`SuggestionWriter`)."""
    return coding.quote_id, coding.code, coding.confidence, evidence_json(coding.evidence)


class SuggestionWriter:
    """Writes one method's suggestions inside :meth:`Project.replacing_suggestions`."""

    def __init__(self, db: sqlite3.Connection, method: str, run_id: int) -> None:
        self._db = db
        self._method = method
        self._run_id = run_id

    def __call__(self, codings: Iterable[Coding]) -> int:
        """Store a batch of codings; returns how many were written."""
        return self.rows(suggestion_row(c) for c in codings)

    def rows(self, rows: Iterable[SuggestionRow]) -> int:
        """Store a batch of ready-made rows (see :func:`probation_themes.models.rule_evidence_json`)."""
        before = self._db.total_changes
        method, run_id = self._method, self._run_id
        self._db.executemany(
            "INSERT INTO suggestions (quote_id, code, method, confidence, evidence, run_id) VALUES (?,?,?,?,?,?)",
            ((q, c, method, conf, ev, run_id) for q, c, conf, ev in rows),
        )
        return self._db.total_changes - before

    def blocked(self, rows: Iterable[SuggestionRow]) -> int:
        """Store the codes whose rule matches negation or stance set aside (offsets only, no words)."""
        before = self._db.total_changes
        method, run_id = self._method, self._run_id
        self._db.executemany(
            "INSERT OR REPLACE INTO blocked_matches (quote_id, code, method, evidence, run_id) VALUES (?,?,?,?,?)",
            ((q, c, method, ev, run_id) for q, c, _conf, ev in rows),
        )
        return self._db.total_changes - before
