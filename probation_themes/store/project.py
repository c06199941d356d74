"""A project: one SQLite file holding quotes, rejects, suggestions, decisions and runs.

This is the only module that speaks SQL. Every change happens in one
transaction, so a crash leaves the project as it was before the change or after
it, never in between; the write-ahead log (WAL) keeps readers unblocked.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

from probation_themes.codebook import Codebook
from probation_themes.errors import StoreError
from probation_themes.models import (
    Coding,
    Decision,
    IngestResult,
    Quote,
    Reject,
    Run,
    Snapshot,
    WorkingCoding,
)
from probation_themes.store.guard import busy_error, connect, damage_refusal, sqlite_problem
from probation_themes.store.migrations import apply_migrations
from probation_themes.store.nonanswers import SUBSTANTIVE
from probation_themes.store.effective import _EVIDENCE_DEFAULTS, StatusFilter, effective_codings  # noqa: F401
from probation_themes.store.writers import (  # noqa: F401  (re-exported)
    _QUOTE_COLUMNS,
    IngestWriter,
    SourceRecord,
    SuggestionRow,
    SuggestionWriter,
    _existing_quote_ids,
    _finish_run,
    _insert_run,
    _json,
    rows_for_ids,
    suggestion_row,
)




@dataclass(frozen=True)
class CoderCodings:
    """One coder's imported codings: the units they looked at and the codes they gave."""

    coder: str
    level: Literal["response", "quote"]
    units: frozenset[str]
    positives: frozenset[tuple[str, str]]  # (unit_id, code)
    #: When each coding was made (ISO 8601), for the codings whose file dates them (REFI-QDA).
    coded_at: Mapping[tuple[str, str], str] = field(default_factory=dict, compare=False)


class QuoteRef(NamedTuple):
    """The part of a quote a coder reads: cheap to build for millions of quotes."""

    quote_id: str
    response_id: str
    text: str



class Project:
    """An open project file. Use ``Project.open(path)`` and close it (or use ``with``)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._refusal: str | None = None  # why the project may not be changed, when it may not
        self._write_checked = False

    @property
    def writable(self) -> bool:
        """False when the project can only be read (read-only file or media, newer schema)."""
        return self._refusal is None

    def check_writable(self, *, renewing: bool = False) -> None:
        """Refuse, before anything is written, a project that must not be changed.

        ``renewing`` says the command rewrites every suggestion (``code --full``), which
        is allowed when the only damage ``doctor`` found is evidence out of line.

        Raises:
            StoreError: the file or its folder is read-only, a newer version wrote it,
                or it is damaged (``doctor`` found damage, or its stored rows no longer
                match what their ingests recorded).
        """
        if self._refusal is not None:
            raise StoreError(self._refusal, path=self.path)
        if self._write_checked:
            return
        damage = damage_refusal(self._db, self.path, renewing=renewing)
        if damage is not None:
            raise StoreError(damage, path=self.path)
        self._write_checked = True

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Project:
        """Open (and, if ``create``, create) the project at ``path``, bringing its schema up to date."""
        path = Path(path)
        if not path.exists() and not create:
            raise StoreError(
                f"There is no project at {path}. Create one by ingesting a file "
                f"(`probation-themes ingest FILE --project {path}`), or point --project "
                "(or PROBATION_THEMES_PROJECT) at an existing project file.",
                path=path,
            )
        if path.is_dir():
            raise StoreError(f"The project path {path} is a folder; give a file name such as themes.db.", path=path)
        if path.exists() and path.stat().st_size > 0:
            with path.open("rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise StoreError(
                        f"{path} is not a probation-themes project (it is not an SQLite file). "
                        "Choose another --project file name; this file was left untouched.",
                        path=path,
                    )
        if not path.parent.exists():
            raise StoreError(
                f"Cannot create the project {path}: the folder {path.parent} does not exist.", path=path
            )
        db, refusal = connect(path)
        project = cls(path, db)
        project._refusal = refusal
        return project

    def close(self) -> None:
        """Close the project file."""
        self._db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.check_writable()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise busy_error(self.path, exc) from None
            raise (sqlite_problem(exc, self.path) or exc) from None
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException as exc:
            # SQLite has already rolled back after some failures (a full disk): rolling back
            # again would hide the real error behind "no transaction is active".
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            problem = sqlite_problem(exc, self.path)
            if problem is not None:
                raise problem from None
            raise

    # -- runs ------------------------------------------------------------------

    def start_run(self, run: Run) -> int:
        """Record that a command started; returns its run id."""
        with self._transaction() as db:
            return _insert_run(db, run)

    def finish_run(self, run_id: int, *, status: Literal["done", "failed"] = "done") -> None:
        """Mark a run as finished (or failed)."""
        with self._transaction() as db:
            _finish_run(db, run_id, status)

    @contextmanager
    def ingesting(self, run: Run) -> Iterator[IngestWriter]:
        """Record an ingest and every file's quotes and rejects in one transaction.

        Yields an :class:`IngestWriter`. The run is recorded, and marked done,
        inside the same transaction, so if anything fails before the block ends —
        a file that cannot be read half way, an interruption — the project is left
        exactly as it was: no run, no source, no quote.
        """
        with self._transaction() as db:
            writer = IngestWriter(db, _insert_run(db, run))
            yield writer
            _finish_run(db, writer.run_id, "done")

    def runs(self) -> list[Run]:
        """Every run recorded in the project, oldest first."""
        rows = self._db.execute(
            "SELECT run_id, command, method, coder, parameters, codebook_name, codebook_version,"
            " codebook_hash, input_hash, versions, started_at, finished_at, status FROM runs ORDER BY run_id"
        ).fetchall()
        return [
            Run(
                run_id=r[0], command=r[1], method=r[2], coder=r[3], parameters=json.loads(r[4]),
                codebook_name=r[5], codebook_version=r[6], codebook_hash=r[7], input_hash=r[8],
                versions=json.loads(r[9]), started_at=datetime.fromisoformat(r[10]),
                finished_at=datetime.fromisoformat(r[11]) if r[11] else None, status=r[12],
            )
            for r in rows
        ]

    # -- codebooks -------------------------------------------------------------

    def save_codebook(self, codebook: Codebook) -> str:
        """Keep a copy of the codebook a run used (by content hash); returns the hash."""
        digest = codebook.content_hash()
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO codebooks (hash, name, version, content, stored_at) VALUES (?,?,?,?,?)",
                (digest, codebook.name, codebook.version, _json(codebook.model_dump(mode="json")),
                 datetime.now().astimezone().isoformat()),
            )
        return digest

    def latest_codebook(self) -> Codebook | None:
        """The codebook of the most recent finished coding run, if any."""
        row = self._db.execute(
            "SELECT c.content FROM runs r JOIN codebooks c ON c.hash = r.codebook_hash"
            " WHERE r.status = 'done' ORDER BY r.run_id DESC LIMIT 1"
        ).fetchone()
        return Codebook.model_validate(json.loads(row[0])) if row else None

    # -- ingest ----------------------------------------------------------------

    def find_source(self, sha256: str) -> SourceRecord | None:
        """The earlier ingest of a file with exactly this content, if any."""
        row = self._db.execute(
            "SELECT source_id, name, sha256, encoding, rows_read, responses, quotes, rejects, run_id"
            " FROM sources WHERE sha256 = ? ORDER BY source_id LIMIT 1",
            (sha256,),
        ).fetchone()
        return SourceRecord(*row) if row else None

    def existing_quote_ids(self, quote_ids: Iterable[str]) -> set[str]:
        """Those of ``quote_ids`` already stored in the project."""
        return _existing_quote_ids(self._db, quote_ids)

    def suggested_codes(self, method: str, quote_ids: Iterable[str]) -> dict[str, list[str]]:
        """The codes ``method`` suggested for each of the quotes (quotes without any left out)."""
        found: dict[str, list[str]] = {}
        # "+method": look the quotes up by their ids, not every suggestion of the method up by method.
        sql = "SELECT quote_id, code FROM suggestions WHERE +method = ? AND quote_id IN ({marks})"
        for quote_id, code in rows_for_ids(self._db, sql, quote_ids, (method,)):
            found.setdefault(quote_id, []).append(code)
        return found

    def add_ingest(
        self,
        result: IngestResult,
        *,
        sha256: str,
        run_id: int,
        options: dict | None = None,
        also: Callable[[sqlite3.Connection], object] | None = None,
    ) -> SourceRecord:
        """Store one file's quotes and rejects, all or nothing, with its reconciliation.

        ``also`` writes records that belong with these quotes (e.g. what redaction
        replaced in them) in the same transaction. (``ingest`` itself streams
        files through :meth:`ingesting`; this stores one whole result.)
        """
        with self._transaction() as db:
            writer = IngestWriter(db, run_id)
            source_id = writer.add_source(result.source, sha256, options)
            writer.add(source_id, result.quotes, result.rejects, also)
            return writer.finish_source(
                source_id, encoding=result.encoding, rows_read=result.rows_read,
                responses=result.responses_with_quotes, quotes=len(result.quotes), rejects=len(result.rejects),
            )

    def sources(self) -> list[SourceRecord]:
        """Every ingested file, in ingest order."""
        rows = self._db.execute(
            "SELECT source_id, name, sha256, encoding, rows_read, responses, quotes, rejects, run_id"
            " FROM sources ORDER BY source_id"
        ).fetchall()
        return [SourceRecord(*r) for r in rows]

    def rejects(self) -> list[Reject]:
        """Every rejected input row, in ingest order."""
        rows = self._db.execute(
            "SELECT source, row, reason, detail, raw FROM rejects ORDER BY reject_id"
        ).fetchall()
        return [Reject(source=r[0], row=r[1], reason=r[2], detail=r[3], raw=r[4]) for r in rows]

    # -- codings by other coders ------------------------------------------------

    def replace_coder_codings(
        self,
        coder: str,
        level: Literal["response", "quote"],
        units: Iterable[str],
        positives: Iterable[tuple[str, str]],
        *,
        run_id: int,
        coded_at: Mapping[tuple[str, str], str] | None = None,
    ) -> tuple[int, int]:
        """Store a coder's codings, replacing any earlier import by that coder, all or nothing.

        ``units`` are every response or quote the coder looked at (coded or not);
        ``positives`` the (unit_id, code) pairs they applied; ``coded_at`` when each was
        made (ISO 8601), where the file says. Returns (units, codings) stored.
        """
        dates = coded_at or {}
        unit_list = list(dict.fromkeys(units))
        pairs = list(dict.fromkeys(positives))
        with self._transaction() as db:
            db.execute("DELETE FROM coder_units WHERE coder = ?", (coder,))
            db.execute("DELETE FROM coder_codings WHERE coder = ?", (coder,))
            db.executemany(
                "INSERT INTO coder_units (coder, level, unit_id, run_id) VALUES (?,?,?,?)",
                ((coder, level, u, run_id) for u in unit_list),
            )
            db.executemany(
                "INSERT INTO coder_codings (coder, level, unit_id, code, run_id, coded_at) VALUES (?,?,?,?,?,?)",
                ((coder, level, u, code, run_id, dates.get((u, code))) for u, code in pairs),
            )
        return len(unit_list), len(pairs)

    def coders(self) -> list[str]:
        """Names of coders whose codings were imported, sorted."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT coder FROM coder_units ORDER BY coder")]

    def coder_codings(self, coder: str) -> CoderCodings | None:
        """A coder's imported codings, or None if nothing was imported under that name."""
        rows = self._db.execute("SELECT level, unit_id FROM coder_units WHERE coder = ?", (coder,)).fetchall()
        if not rows:
            return None
        positives = self._db.execute(
            "SELECT unit_id, code, coded_at FROM coder_codings WHERE coder = ?", (coder,)
        ).fetchall()
        return CoderCodings(
            coder=coder,
            level=rows[0][0],
            units=frozenset(r[1] for r in rows),
            positives=frozenset((u, c) for u, c, _at in positives),
            coded_at={(u, c): at for u, c, at in positives if at},
        )

    def response_ids(self) -> set[str]:
        """Every response id in the project."""
        return {r[0] for r in self._db.execute("SELECT DISTINCT response_id FROM quotes")}

    def quote_ids(self) -> set[str]:
        """Every quote id in the project."""
        return {r[0] for r in self._db.execute("SELECT quote_id FROM quotes")}

    def decision_coders(self) -> list[str]:
        """Names of people who recorded decisions (accept/reject) in the project."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT coder FROM decisions ORDER BY coder")]

    # -- quotes ----------------------------------------------------------------

    def count_quotes(self, *, after: int = 0, until: int | None = None, substantive: bool = False) -> int:
        """Number of quotes in the project (between places ``after`` and ``until``, if given).

        ``substantive`` leaves out the quotes flagged as non-answers (see
        :mod:`probation_themes.store.nonanswers`).
        """
        upto = until if until is not None else 2**62
        only = f" AND {SUBSTANTIVE}" if substantive else ""
        return int(
            self._db.execute(
                f"SELECT COUNT(*) FROM quotes q WHERE q.seq > ? AND q.seq <= ?{only}", (after, upto)
            ).fetchone()[0]
        )

    def last_quote_seq(self) -> int:
        """The place in ingest order of the newest quote (0 when there is none); it only grows."""
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM quotes").fetchone()[0])

    @staticmethod
    def _quote(row: Sequence) -> Quote:
        # Rows were validated on the way in; constructing without re-validation keeps reads fast.
        return Quote.model_construct(
            quote_id=row[0], response_id=row[1], text=row[2], source=row[3], row=row[4],
            question=row[5], position=row[6], start=row[7], end=row[8], region=row[9], org=row[10],
            attributes=json.loads(row[11]),
        )

    def iter_quotes(self, batch_size: int = 10_000, *, substantive: bool = False) -> Iterator[list[Quote]]:
        """Quotes in ingest order, in batches of at most ``batch_size`` (``substantive``: no non-answers)."""
        last = 0
        only = f" AND {SUBSTANTIVE}" if substantive else ""
        columns = ", ".join(f"q.{c.strip()}" for c in _QUOTE_COLUMNS.split(","))
        while True:
            rows = self._db.execute(
                f"SELECT {columns}, q.seq FROM quotes q WHERE q.seq > ?{only} ORDER BY q.seq LIMIT ?",
                (last, batch_size),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][-1]
            yield [self._quote(r) for r in rows]

    def iter_quote_refs(
        self, batch_size: int = 20_000, *, after: int = 0, until: int | None = None, substantive: bool = False
    ) -> Iterator[list[QuoteRef]]:
        """(quote_id, response_id, text) in ingest order, in batches: what coders read.

        ``after`` and ``until`` limit the quotes to those places in ingest order
        (see :meth:`last_quote_seq`): after ``after``, up to and including ``until``.
        ``substantive`` leaves out the quotes flagged as non-answers, which are not coded.
        """
        last = after
        upto = until if until is not None else 2**62
        only = f" AND {SUBSTANTIVE}" if substantive else ""
        while True:
            rows = self._db.execute(
                "SELECT q.seq, q.quote_id, q.response_id, q.text FROM quotes q WHERE q.seq > ? AND q.seq <= ?"
                f"{only} ORDER BY q.seq LIMIT ?",
                (last, upto, batch_size),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [QuoteRef(r[1], r[2], r[3]) for r in rows]

    def quote_refs_for(self, quote_ids: Iterable[str], *, substantive: bool = False) -> list[QuoteRef]:
        """The (quote_id, response_id, text) of the given quotes that exist, in ingest order.

        ``substantive`` leaves out the quotes flagged as non-answers.
        """
        only = f" AND {SUBSTANTIVE}" if substantive else ""
        sql = "SELECT q.seq, q.quote_id, q.response_id, q.text FROM quotes q WHERE q.quote_id IN ({marks})" + only
        rows = sorted(rows_for_ids(self._db, sql, quote_ids))
        return [QuoteRef(q, r, t) for _, q, r, t in rows]

    def quotes(self) -> list[Quote]:
        """All quotes in ingest order."""
        return [q for batch in self.iter_quotes() for q in batch]

    # -- codings ---------------------------------------------------------------

    @contextmanager
    def replacing_suggestions(
        self, method: str, *, run_id: int, keep_existing: bool = False, ids_from_project: bool = False
    ) -> Iterator[SuggestionWriter]:
        """Replace every suggestion of ``method`` in one transaction, written batch by batch.

        Yields a :class:`SuggestionWriter`: call it with a batch of codings, or its
        ``rows`` with ready-made rows; each returns how many suggestions it wrote.
        If anything fails before the block ends, the earlier suggestions are kept intact.
        With ``keep_existing`` the earlier suggestions stay and the new ones are added
        (coding only quotes ingested since). Human decisions live apart from
        suggestions and are never touched here.

        ``ids_from_project`` says every suggestion is about a quote read from this
        project (as a coder reading :meth:`iter_quote_refs` inside the block
        does): the per-row foreign-key checks, a tenth of a million-quote
        write, are then left off for this transaction.
        """
        if ids_from_project:
            self._db.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction, so set first
        try:
            with self._transaction() as db:
                if not keep_existing:
                    others = db.execute(
                        "SELECT 1 FROM suggestions WHERE method < ? OR method > ? LIMIT 1", (method, method)
                    ).fetchone()
                    # Without a WHERE clause SQLite drops the table's pages at once instead of
                    # deleting a million rows one by one.
                    if others is None:
                        db.execute("DELETE FROM suggestions")
                    else:
                        db.execute("DELETE FROM suggestions WHERE method = ?", (method,))
                    db.execute("DELETE FROM blocked_matches WHERE method = ?", (method,))
                yield SuggestionWriter(db, method, run_id)
        finally:
            if ids_from_project:
                self._db.execute("PRAGMA foreign_keys = ON")

    def replace_suggestions(self, method: str, codings: Iterable[Coding], *, run_id: int) -> int:
        """Replace every suggestion of ``method`` with ``codings``, in one transaction.

        Returns the number of suggestions written.
        """
        with self.replacing_suggestions(method, run_id=run_id) as write:
            return write(codings)

    def record_decision(self, decision: Decision) -> int:
        """Commit one human decision at once; returns its id in the audit log."""
        with self._transaction() as db:
            cur = db.execute(
                "INSERT INTO decisions (quote_id, code, decision, coder, decided_at, suggestion_method, memo)"
                " VALUES (?,?,?,?,?,?,?)",
                (
                    decision.quote_id, decision.code, decision.decision, decision.coder,
                    decision.decided_at.isoformat(), decision.suggestion_method, decision.memo,
                ),
            )
            return int(cur.lastrowid)

    def decisions(self) -> list[Decision]:
        """The full decision log, oldest first."""
        rows = self._db.execute(
            "SELECT quote_id, code, decision, coder, decided_at, suggestion_method, memo"
            " FROM decisions ORDER BY decision_id"
        ).fetchall()
        return [
            Decision(quote_id=r[0], code=r[1], decision=r[2], coder=r[3],
                     decided_at=datetime.fromisoformat(r[4]), suggestion_method=r[5], memo=r[6])
            for r in rows
        ]

    def blocked_matches(self, quote_id: str, method: str = "rules") -> dict[str, list[dict]]:
        """The codes whose rule matches in one quote were set aside by negation or stance.

        Returns ``{code: [match, …]}`` as stored (``rule``, ``term``, ``start``, ``end``
        and ``negated`` or ``countered`` offsets); read the words from the quote's text,
        e.g. with :func:`probation_themes.coding.rules.blocked_evidence`.
        """
        return {
            code: json.loads(evidence)
            for code, evidence in self._db.execute(
                "SELECT code, evidence FROM blocked_matches WHERE quote_id = ? AND method = ? ORDER BY code",
                (quote_id, method),
            )
        }

    def suggestion_counts(self) -> dict[str, int]:
        """Number of stored suggestions per method."""
        return dict(self._db.execute("SELECT method, COUNT(*) FROM suggestions GROUP BY method").fetchall())

    def codings(
        self,
        status: StatusFilter = "default",
        *,
        method: str | None = None,
        working: WorkingCoding | None = None,
        evidence: bool = True,
        non_answers: bool = False,
    ) -> list[Coding]:
        """Effective codings: machine suggestions with the latest human decision applied.

        See :func:`probation_themes.store.effective.effective_codings` for what each argument chooses.
        """
        return effective_codings(self._db, status, method=method, working=working, evidence=evidence,
                                 non_answers=non_answers)

    def snapshot(
        self,
        status: StatusFilter = "default",
        *,
        method: str | None = None,
        working: WorkingCoding | None = None,
        evidence: bool = True,
        non_answers: bool = False,
    ) -> Snapshot:
        """Everything an exporter needs, read in one go (evidence only if asked for).

        With ``working``, the codings are those the working coding counts. Quotes flagged
        as non-answers, and any coding of them, are left out unless ``non_answers``, as
        :class:`~probation_themes.store.stream.ProjectReader` leaves them out.
        """
        quotes = [q for batch in self.iter_quotes(substantive=not non_answers) for q in batch]
        return Snapshot.model_construct(
            project=self.path.stem,
            quotes=quotes,
            codings=self.codings(status, method=method, working=working, evidence=evidence, non_answers=non_answers),
            working=working,
        )
