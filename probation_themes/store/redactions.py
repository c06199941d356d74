"""What redaction replaced in a project's quotes, and redacting stored quotes in place.

A redaction record holds the kind of detail and where its placeholder sits in the
quote, never the words replaced. The words are kept only when the researcher asks,
in the table ``redacted_originals_confidential``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from probation_themes.models import Quote
from probation_themes.store.project import Project


class Replaced(Protocol):
    """One replacement: the kind of detail, the placeholder's offsets, the original if kept."""

    kind: str
    start: int
    end: int
    original: str


def _insert_log(db, log: Mapping[str, Sequence[Replaced]], run_id: int) -> int:
    rows = [(qid, r.kind, r.start, r.end, run_id) for qid, found in log.items() for r in found]
    db.executemany(
        "INSERT INTO redactions (quote_id, kind, start_offset, end_offset, run_id) VALUES (?,?,?,?,?)", rows
    )
    db.executemany(
        "INSERT INTO redacted_originals_confidential (quote_id, kind, start_offset, end_offset, original, run_id)"
        " VALUES (?,?,?,?,?,?)",
        [(qid, r.kind, r.start, r.end, r.original, run_id) for qid, found in log.items() for r in found if r.original],
    )
    return len(rows)


def redaction_writer(log: Mapping[str, Sequence[Replaced]], *, run_id: int) -> Callable[[sqlite3.Connection], int]:
    """Records of what redaction replaced, written by ``Project.add_ingest`` with the quotes themselves."""
    return lambda db: _insert_log(db, log, run_id)


def redact_stored(
    project: Project,
    quotes: Iterable[Quote],
    log: Mapping[str, Sequence[Replaced]],
    *,
    rejects: Callable[[str], str],
    evidence: Callable[[str, list[dict]], list[dict]],
    run_id: int,
) -> tuple[int, int, int]:
    """Store redacted quotes, fix their suggestions' evidence and record the log, all or nothing.

    Args:
        project: the open project.
        quotes: the quotes whose text or offsets changed.
        log: what was replaced, by quote id.
        rejects: redacts the stored text of a rejected row.
        evidence: given a quote id and a suggestion's evidence, returns the evidence
            moved into the redacted text (an empty list drops a rule suggestion).
        run_id: the redaction run.

    Returns:
        ``(quotes changed, suggestions whose evidence moved, suggestions dropped)``.
    """
    changed = moved = dropped = 0
    with project._transaction() as db:
        for q in quotes:
            db.execute(
                "UPDATE quotes SET text = ?, start_offset = ?, end_offset = ? WHERE quote_id = ?",
                (q.text, q.start, q.end, q.quote_id),
            )
            changed += 1
        for qid in log:
            # Offsets of matches negation or stance set aside no longer fit the new text;
            # the next `code` run finds them again.
            db.execute("DELETE FROM blocked_matches WHERE quote_id = ?", (qid,))
            for code, method, stored in db.execute(
                "SELECT code, method, evidence FROM suggestions WHERE quote_id = ?", (qid,)
            ).fetchall():
                before = json.loads(stored)
                after = evidence(qid, before)
                if before and not after:
                    db.execute(
                        "DELETE FROM suggestions WHERE quote_id = ? AND code = ? AND method = ?", (qid, code, method)
                    )
                    dropped += 1
                elif after != before:
                    db.execute(
                        "UPDATE suggestions SET evidence = ? WHERE quote_id = ? AND code = ? AND method = ?",
                        (json.dumps(after, ensure_ascii=False, separators=(",", ":")), qid, code, method),
                    )
                    moved += 1
        for reject_id, raw, detail in db.execute("SELECT reject_id, raw, detail FROM rejects").fetchall():
            new_raw = rejects(raw) if raw else raw
            new_detail = rejects(detail)
            if (new_raw, new_detail) != (raw, detail):
                db.execute("UPDATE rejects SET raw = ?, detail = ? WHERE reject_id = ?", (new_raw, new_detail, reject_id))
        _insert_log(db, log, run_id)
    return changed, moved, dropped


def redaction_counts(project: Project) -> dict[str, int]:
    """How many details of each kind have been replaced in the project."""
    return dict(project._db.execute("SELECT kind, COUNT(*) FROM redactions GROUP BY kind ORDER BY kind").fetchall())


def originals_kept(project: Project) -> int:
    """How many replaced originals the project keeps (0 unless --keep-originals was used)."""
    return int(project._db.execute("SELECT COUNT(*) FROM redacted_originals_confidential").fetchone()[0])
