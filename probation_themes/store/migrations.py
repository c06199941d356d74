"""The project schema, moved forward by named migrations applied in order.

A migration is never edited once released: add a new one instead, so that every
project file, old or new, ends up with the same schema.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

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

MIGRATIONS: list[Migration] = [
    ("001_initial", _M001_INITIAL),
    ("002_coder_codings", _M002_CODER_CODINGS),
]


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
    return applied
