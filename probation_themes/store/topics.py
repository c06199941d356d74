"""The topics a ``topics`` run found, kept in the project so later commands use what was shown.

``topics promote`` reads a topic's terms from here, ``code --method topics`` reuses
the run's parameters, and ``stats`` counts, per group, the quotes where a topic
reaches its threshold. The fitted model itself is not stored: refitting with the
recorded parameters and seed gives the same topics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from probation_themes.models import Run
from probation_themes.store.nonanswers import SUBSTANTIVE
from probation_themes.store.project import Project, _json, rows_for_ids


_INSERT_SHARES = "INSERT INTO topic_shares (run_id, quote_id, topic, share) VALUES (?,?,?,?)"


def save_topics(
    project: Project, run_id: int, topics: list[dict[str, Any]], shares: Iterable[tuple[str, int, float]]
) -> None:
    """Store a run's topic summaries and the (quote id, topic, share) rows that reach its threshold.

    Each summary is a dict with at least ``topic_id``, ``code`` and ``label``.
    Everything is written in one transaction.
    """
    with project._transaction() as db:
        db.executemany(
            "INSERT INTO topics (run_id, topic, code, label, summary) VALUES (?,?,?,?,?)",
            ((run_id, t["topic_id"], t["code"], t["label"], _json(t)) for t in topics),
        )
        db.executemany(_INSERT_SHARES, ((run_id, q, t, s) for q, t, s in shares))


def add_topic_shares(project: Project, run_id: int, shares: Iterable[tuple[str, int, float]]) -> None:
    """Store more (quote id, topic, share) rows of a run, in one transaction."""
    with project._transaction() as db:
        db.executemany(_INSERT_SHARES, ((run_id, q, t, s) for q, t, s in shares))


def latest_topics_run(project: Project) -> tuple[Run, list[dict[str, Any]]] | None:
    """The most recent finished ``topics`` run and its topic summaries, in topic order."""
    row = project._db.execute(
        "SELECT run_id FROM runs WHERE command = 'topics' AND status = 'done' ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    run = next(r for r in project.runs() if r.run_id == row[0])
    summaries = [
        json.loads(s)
        for (s,) in project._db.execute("SELECT summary FROM topics WHERE run_id = ? ORDER BY topic", (row[0],))
    ]
    return run, summaries


def topic_quotes(project: Project, run_id: int) -> dict[int, set[str]]:
    """For every topic of a run, the ids of the quotes where it reached the run's threshold."""
    found: dict[int, set[str]] = {}
    for quote_id, topic in project._db.execute(
        "SELECT quote_id, topic FROM topic_shares WHERE run_id = ? ORDER BY topic, quote_id", (run_id,)
    ):
        found.setdefault(topic, set()).add(quote_id)
    return found


def topic_shares_for(project: Project, run_id: int, quote_ids: Iterable[str]) -> dict[str, list[tuple[int, float]]]:
    """A run's stored (topic, share) pairs of each of the quotes (quotes with none left out)."""
    found: dict[str, list[tuple[int, float]]] = {}
    sql = "SELECT quote_id, topic, share FROM topic_shares WHERE run_id = ? AND quote_id IN ({marks})"
    for quote_id, topic, share in rows_for_ids(project._db, sql, quote_ids, (run_id,)):
        found.setdefault(quote_id, []).append((topic, share))
    return found


def coverage_by_method(project: Project) -> dict[str, float]:
    """For every method with stored suggestions, the share of respondents with at least one."""
    # Respondents who gave only non-answers are in no denominator.
    total = project._db.execute(f"SELECT COUNT(DISTINCT q.response_id) FROM quotes q WHERE {SUBSTANTIVE}").fetchone()[0]
    if not total:
        return {}
    methods = [r[0] for r in project._db.execute("SELECT DISTINCT method FROM suggestions ORDER BY method")]
    # One pass over the quotes per method, each looking its suggestions up by quote id
    # ("+method" keeps SQLite from walking every suggestion of the method instead).
    sql = (
        "SELECT COUNT(DISTINCT q.response_id) FROM quotes q WHERE EXISTS"
        " (SELECT 1 FROM suggestions s WHERE s.quote_id = q.quote_id AND +s.method = ?)"
        f" AND {SUBSTANTIVE}"
    )
    return {method: round(project._db.execute(sql, (method,)).fetchone()[0] / total, 4) for method in methods}
