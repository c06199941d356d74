"""The project schema, moved forward by named migrations applied in order.

A migration is never edited once released: add a new one instead, so that every
project file, old or new, ends up with the same schema.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from importlib import metadata


#: (name, SQL script). Scripts must not contain BEGIN/COMMIT: apply_migrations wraps each.
Migration = tuple[str, str]

_M001_INITIAL = """
        CREATE TABLE runs (
            run_id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            method TEXT,
            coder TEXT,
            parameters TEXT NOT NULL DEFAULT '{}',
            codebook_name TEXT,
            codebook_version TEXT,
            codebook_hash TEXT,
            input_hash TEXT,
            versions TEXT NOT NULL DEFAULT '{}',
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running'
        );
        CREATE TABLE sources (
            source_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            encoding TEXT,
            options TEXT NOT NULL DEFAULT '{}',
            rows_read INTEGER NOT NULL,
            responses INTEGER NOT NULL,
            quotes INTEGER NOT NULL,
            rejects INTEGER NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id)
        );
        CREATE TABLE quotes (
            seq INTEGER PRIMARY KEY,
            quote_id TEXT NOT NULL UNIQUE,
            response_id TEXT NOT NULL,
            text TEXT NOT NULL,
            source TEXT NOT NULL,
            row INTEGER NOT NULL,
            question TEXT,
            position INTEGER NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            region TEXT,
            org TEXT,
            attributes TEXT NOT NULL DEFAULT '{}',
            source_id INTEGER NOT NULL REFERENCES sources(source_id)
        );
        CREATE INDEX quotes_response ON quotes(response_id);
        CREATE TABLE rejects (
            reject_id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            row INTEGER NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            raw TEXT,
            source_id INTEGER NOT NULL REFERENCES sources(source_id)
        );
        CREATE TABLE suggestions (
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            code TEXT NOT NULL,
            method TEXT NOT NULL,
            confidence REAL,
            evidence TEXT NOT NULL DEFAULT '[]',
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            PRIMARY KEY (quote_id, code, method)
        );
        CREATE INDEX suggestions_method ON suggestions(method);
        CREATE TABLE decisions (
            decision_id INTEGER PRIMARY KEY,
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            code TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject')),
            coder TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            suggestion_method TEXT,
            memo TEXT
        );
        CREATE INDEX decisions_quote_code ON decisions(quote_id, code);
        CREATE TABLE codebooks (
            hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            content TEXT NOT NULL,
            stored_at TEXT NOT NULL
        );
"""


# Codings made elsewhere (another researcher, a gold standard), kept per coder. A coder's
# units are everything they looked at: a unit with no row in coder_codings was left uncoded.
_M002_CODER_CODINGS = """
        CREATE TABLE coder_units (
            coder TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('response', 'quote')),
            unit_id TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            PRIMARY KEY (coder, level, unit_id)
        );
        CREATE TABLE coder_codings (
            coder TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('response', 'quote')),
            unit_id TEXT NOT NULL,
            code TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            PRIMARY KEY (coder, level, unit_id, code)
        );
"""

# The review session. Memos are appended, never changed: the latest per quote and code is in
# force (code '' is a memo on the whole quote; empty text clears it; `undoes` names the memo an
# undo reverted). `reviewed` marks the quotes a coder finished. An undone decision moves to
# undone_decisions, so effective codings forget it while the audit log keeps it.
_M003_REVIEW = """
        CREATE TABLE memos (
            memo_id INTEGER PRIMARY KEY,
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            code TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            coder TEXT NOT NULL,
            written_at TEXT NOT NULL,
            undoes INTEGER
        );
        CREATE INDEX memos_quote_code ON memos(quote_id, code);
        CREATE INDEX memos_undoes ON memos(undoes);
        CREATE TABLE reviewed (
            review_id INTEGER PRIMARY KEY,
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            coder TEXT NOT NULL,
            scope TEXT NOT NULL DEFAULT '',
            reviewed_at TEXT NOT NULL,
            undone_at TEXT
        );
        CREATE INDEX reviewed_quote_coder ON reviewed(quote_id, coder);
        CREATE TABLE undone_decisions (
            undo_id INTEGER PRIMARY KEY,
            decision_id INTEGER NOT NULL,
            quote_id TEXT NOT NULL,
            code TEXT NOT NULL,
            decision TEXT NOT NULL,
            coder TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            suggestion_method TEXT,
            suggestion_confidence REAL,
            memo TEXT,
            undone_at TEXT NOT NULL,
            undone_by TEXT NOT NULL
        );
        ALTER TABLE decisions ADD COLUMN suggestion_confidence REAL;
        CREATE INDEX decisions_coder ON decisions(coder);
        CREATE INDEX suggestions_code ON suggestions(code, quote_id);
"""

# What redaction replaced: the kind and where the placeholder sits in the quote, never the
# words. Originals are kept only on request, in a table whose name says what it holds.
_M004_REDACTIONS = """
        CREATE TABLE redactions (
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            kind TEXT NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id)
        );
        CREATE INDEX redactions_quote ON redactions(quote_id);
        CREATE TABLE redacted_originals_confidential (
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            kind TEXT NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            original TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id)
        );
"""

# The topics of each `topics` run (one row per topic: its summary as JSON, so `topics promote`
# and `stats` read what the researcher saw) and, per quote, the topics that reach the run's
# threshold (for topic prevalence by group).
_M005_TOPICS = """
        CREATE TABLE topics (
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            topic INTEGER NOT NULL,
            code TEXT,
            label TEXT NOT NULL,
            summary TEXT NOT NULL,
            PRIMARY KEY (run_id, topic)
        );
        CREATE TABLE topic_shares (
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            topic INTEGER NOT NULL,
            share REAL NOT NULL,
            PRIMARY KEY (run_id, quote_id, topic)
        );
"""

# Each migration applied from here on records the version of the toolkit that applied it, so
# a version that meets a migration it does not know can say which version is needed.
_M006_MIGRATION_VERSIONS = """
        ALTER TABLE _migrations ADD COLUMN version TEXT;
"""

# Quotes judged non-answers ("Nothing.", "n/a", "No comment"): kept in the project, left out of
# coding and of every denominator (see store/nonanswers.py). `phrase` is what matched; the run
# that judged them records the list used.
_M007_NON_ANSWERS = """
        CREATE TABLE non_answers (
            quote_id TEXT PRIMARY KEY REFERENCES quotes(quote_id),
            phrase TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id)
        );
"""

# Rule matches that did not count because negation or stance set them aside, per quote and code:
# the offsets and the reason only (the words are read from the quote when shown), so review can
# say why a code was not suggested. Replaced with the method's suggestions.
_M008_BLOCKED_MATCHES = """
        CREATE TABLE blocked_matches (
            quote_id TEXT NOT NULL REFERENCES quotes(quote_id),
            code TEXT NOT NULL,
            method TEXT NOT NULL,
            evidence TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(run_id),
            PRIMARY KEY (quote_id, code, method)
        );
"""

# When each imported coding was made, where the file says (a REFI-QDA coding's creationDateTime,
# as ISO 8601); NULL for coding sheets, which carry no dates, and for codings imported before.
_M009_CODING_DATES = """
        ALTER TABLE coder_codings ADD COLUMN coded_at TEXT;
"""

MIGRATIONS: list[Migration] = [
    ("001_initial", _M001_INITIAL),
    ("002_coder_codings", _M002_CODER_CODINGS),
    ("003_review", _M003_REVIEW),
    ("004_redactions", _M004_REDACTIONS),
    ("005_topics", _M005_TOPICS),
    ("006_migration_versions", _M006_MIGRATION_VERSIONS),
    ("007_non_answers", _M007_NON_ANSWERS),
    ("008_blocked_matches", _M008_BLOCKED_MATCHES),
    ("009_coding_dates", _M009_CODING_DATES),
]


def package_version() -> str:
    """This toolkit's version, as recorded with the schema changes it applies."""
    try:
        return metadata.version("probation-themes")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def apply_migrations(db: sqlite3.Connection) -> list[str]:
    """Apply every migration the project file lacks, each all-or-nothing.

    The connection must be in autocommit mode (``isolation_level=None``).
    Returns the names of the migrations applied now.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, script in MIGRATIONS:
        if name in done:
            continue
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\n"
                f"INSERT INTO _migrations (name, applied_at) VALUES ('{name}', '{stamp}');\nCOMMIT;"
            )
        except sqlite3.Error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        applied.append(name)
    columns = {row[1] for row in db.execute("PRAGMA table_info(_migrations)")}
    if applied and "version" in columns:
        db.executemany("UPDATE _migrations SET version = ? WHERE name = ?", [(package_version(), n) for n in applied])
    return applied
