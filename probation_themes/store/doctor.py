"""Check that a project file is whole: SQLite integrity, orphans, and every row accounted for.

Used by ``probation-themes doctor`` after a crash, a full disk or a copy made while
the project was in use. It reads only; it never repairs.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.store.project import Project

# Records that point at a quote, and what they are called in a message.
_QUOTE_CHILDREN = (
    ("suggestions", "of the suggestions"),
    ("decisions", "of the review decisions"),
    ("redactions", "of the redaction records"),
    ("non_answers", "of the non-answer flags"),
)


@dataclass
class Health:
    """What the check found. ``problems`` mean damage; ``notes`` are worth knowing but harmless."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted_runs: list[dict] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)
    #: Those of ``problems`` that `code --full` repairs (so they must not stop it from running).
    renewable: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[str]:
        """The problems that stop commands from changing the project until it is repaired."""
        return [p for p in self.problems if p not in self.renewable]

    @property
    def ok(self) -> bool:
        """True when nothing is damaged (interrupted runs are not damage)."""
        return not self.problems


def _tables(project: Project) -> set[str]:
    return {r[0] for r in project._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def check_project(project: Project) -> Health:
    """Check a project and return what was found.

    Checks, in order: SQLite's own ``integrity_check`` and ``foreign_key_check``;
    records that point at quotes or runs that do not exist; for every ingested file,
    that rows read = rows with quotes + rows rejected and that the stored quotes and
    rejects match those figures; that every piece of evidence lies inside its quote;
    and runs left ``running`` by a crash or an interruption (reported as interrupted:
    their work was rolled back or, for ingest, kept file by file).
    """
    health = Health()
    try:
        _check(project, health)
    except sqlite3.DatabaseError as exc:  # a damaged page met part way through the checks
        health.problems.append(f"SQLite cannot read part of the file ({exc})")
    return health


def _check(project: Project, health: Health) -> None:
    db = project._db
    integrity = [
        line.strip()
        for row in db.execute("PRAGMA integrity_check(20)")
        for line in str(row[0]).splitlines()
        if line.strip() and not line.startswith("***")
    ]
    if integrity != ["ok"]:
        more = f" (and {len(integrity) - 3} more)" if len(integrity) > 3 else ""
        health.problems.append("SQLite's integrity check failed: " + "; ".join(integrity[:3]) + more)
        return  # the other checks would read damaged pages
    # Suggestions, decisions and redaction records are checked below with plainer messages.
    explained = {table for table, _ in _QUOTE_CHILDREN}
    fk = [row for row in db.execute("PRAGMA foreign_key_check").fetchall() if row[0] not in explained]
    if fk:
        by_table: dict[str, int] = {}
        for table, *_ in fk:
            by_table[table] = by_table.get(table, 0) + 1
        health.problems.append(
            "records pointing at missing parents: " + ", ".join(f"{t} {n}" for t, n in sorted(by_table.items()))
        )
    tables = _tables(project)
    for table, what in _QUOTE_CHILDREN:
        if table not in tables:
            continue
        n = db.execute(
            f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM quotes q WHERE q.quote_id = t.quote_id)"
        ).fetchone()[0]
        if n:
            verb = "belongs to a quote that is" if n == 1 else "belong to quotes that are"
            health.problems.append(f"{n} {what} {verb} not in the project")
    n = db.execute(
        "SELECT COUNT(*) FROM suggestions s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = s.run_id)"
    ).fetchone()[0]
    if n:
        health.problems.append(f"{n} suggestions were made by runs that are not recorded")
    _reconcile(project, health)
    _evidence(project, health)
    _imported(project, health)
    for run_id, command, started in db.execute(
        "SELECT run_id, command, started_at FROM runs WHERE status = 'running' ORDER BY run_id"
    ):
        health.interrupted_runs.append({"run_id": run_id, "command": command, "started_at": started})
    if health.interrupted_runs:
        listed = ", ".join(f"run {r['run_id']} ({r['command']})" for r in health.interrupted_runs)
        health.notes.append(
            f"{listed} never finished: interrupted (a crash, a closed laptop, Ctrl+C) or still running now. "
            "Nothing is damaged: an interrupted step was rolled back, and every step completed before it is kept"
        )
    health.figures = {
        "quotes": project.count_quotes(),
        "sources": int(db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]),
        "rejects": int(db.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]),
        "suggestions": int(db.execute("SELECT COUNT(*) FROM suggestions").fetchone()[0]),
        "decisions": int(db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]),
        "runs": int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]),
    }


def _imported(project: Project, health: Health) -> None:
    """A note of each imported coder's codings and the days they were made; dates that are not dates."""
    listed, damaged = [], 0
    for coder in project.coders():
        rows = project._db.execute("SELECT coded_at FROM coder_codings WHERE coder = ?", (coder,)).fetchall()
        days = []
        for (when,) in rows:
            if not when:
                continue
            try:
                days.append(datetime.fromisoformat(when).date().isoformat())
            except (TypeError, ValueError):
                damaged += 1
        span = ("undated" if not days else f"coded on {min(days)}" if min(days) == max(days)
                else f"coded {min(days)} to {max(days)}")
        listed.append(f"{coder} ({len(rows):,} codings, {span})")
    if listed:
        health.notes.append("imported coders: " + "; ".join(listed))
    if damaged:
        health.notes.append(f"{damaged:,} imported coding{'s carry' if damaged != 1 else ' carries'} a date that is "
                            "not a date and counts as undated (import the coder again to renew it)")


def _reconcile(project: Project, health: Health) -> None:
    rows = project._db.execute(
        "SELECT s.source_id, s.name, s.rows_read, s.responses, s.quotes, s.rejects,"
        " (SELECT COUNT(*) FROM quotes q WHERE q.source_id = s.source_id),"
        " (SELECT COUNT(DISTINCT q.row) FROM quotes q WHERE q.source_id = s.source_id),"
        " (SELECT COUNT(*) FROM rejects j WHERE j.source_id = s.source_id)"
        " FROM sources s ORDER BY s.source_id"
    ).fetchall()
    for _, name, rows_read, responses, quotes, rejects, held_quotes, held_rows, held_rejects in rows:
        if rows_read != responses + rejects:
            health.problems.append(
                f"{name}: {rows_read} rows read but {responses} with quotes + {rejects} rejected"
            )
        if (held_quotes, held_rows, held_rejects) != (quotes, responses, rejects):
            health.problems.append(
                f"{name}: the project holds {held_quotes} quotes from {held_rows} rows and {held_rejects} "
                f"rejects, but the ingest recorded {quotes} quotes from {responses} rows and {rejects} rejects"
            )


def _evidence(project: Project, health: Health) -> None:
    bad = unreadable = 0
    for text, stored in project._db.execute(
        "SELECT q.text, s.evidence FROM suggestions s JOIN quotes q ON q.quote_id = s.quote_id"
        " WHERE s.evidence LIKE '%\"start\"%'"
    ):
        try:
            items = json.loads(stored)
        except (ValueError, TypeError):
            unreadable += 1
            continue
        for item in items:
            start, end = item.get("start"), item.get("end")
            if start is None or end is None:
                continue
            if not 0 <= start <= end <= len(text) or ("text" in item and text[start:end] != item["text"]):
                bad += 1
    if bad:
        health.problems.append(
            f"{bad} pieces of evidence do not point at their words in the quote (the quote text changed "
            "after coding); run `probation-themes code --full` to renew the suggestions"
        )
        health.renewable.append(health.problems[-1])
    if unreadable:
        health.problems.append(
            f"{unreadable} suggestions have evidence that cannot be read (damaged); run "
            "`probation-themes code --full` with the same method to write them again"
        )
        health.renewable.append(health.problems[-1])
