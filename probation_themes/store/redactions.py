"""What redaction replaced in a project's quotes, and redacting stored quotes in place.

A redaction record holds the kind of detail and where its placeholder sits in the
quote, never the words replaced. The words are kept only when the researcher asks,
in the table ``redacted_originals_confidential``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from probation_themes.codebook import Codebook
from probation_themes.store.code_names import rename_codes, renamed_codes
from probation_themes.models import Quote
from probation_themes.store.project import Project, _json, rows_for_ids


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


class Cleaner(Protocol):
    """Cleans the stored copies of redacted words (see :class:`probation_themes.ingest.scrub.Scrubber`)."""

    words: int

    def mentions(self, text: str) -> bool: ...

    def terms(self, text: str) -> str: ...

    def free_text(self, text: str) -> str: ...

    def value(self, value: object, *, free: bool = False) -> object: ...


#: Where a project keeps text taken from quotes, and how each is cleaned: free text (memos,
#: rejected rows) as quotes are, lists of words (evidence, run records) word by word.
#: ``quotes`` is redacted apart (its offsets move); ``redactions`` holds no words and
#: ``redacted_originals_confidential`` keeps originals only on request.
_FREE_TEXT = {("rejects", "raw"), ("rejects", "detail"), ("decisions", "memo"), ("undone_decisions", "memo"),
              ("memos", "text")}
_HANDLED = {"quotes", "suggestions", "topics", "codebooks", "runs", "rejects", "decisions", "undone_decisions",
            "memos", "redactions", "redacted_originals_confidential", "_migrations"}
#: Columns of other tables never cleaned: identities and keys, not words from quotes.
_KEYS = re.compile(r"^(?:id|.*_id|code|method|coder|kind|status|level|scope|command|reason|.*_at|hash|sha256)$")


@dataclass(frozen=True)
class Cleaned:
    """What :func:`redact_stored` changed."""

    quotes: int
    evidence_moved: int
    suggestions_dropped: int
    #: Other stored copies of quote words cleaned, by ``table.column`` (topics, memos, evidence …).
    elsewhere: dict[str, int]
    #: Codes whose id or label held a personal detail, given a new id (see store.code_names).
    codes_renamed: int = 0


def redact_stored(
    project: Project,
    quotes: Iterable[Quote],
    log: Mapping[str, Sequence[Replaced]],
    *,
    cleaner: Cleaner,
    evidence: Callable[[str, list[dict]], list[dict]],
    run_id: int,
) -> Cleaned:
    """Store redacted quotes and clean every other stored copy of their words, all or nothing.

    Besides the quotes: suggestions' evidence moves with the text (an empty list drops a
    rule suggestion) and loses words that were replaced; rejected rows, review memos,
    topic summaries (representative quotes are taken again from the redacted quotes;
    terms and labels are cleaned), the copies of codebooks runs used and run records are
    cleaned; and so is text in any table a later version adds. Then what was replaced
    is recorded.

    Args:
        project: the open project.
        quotes: the quotes whose text or offsets changed.
        log: what was replaced, by quote id.
        cleaner: cleans stored text of the words replaced.
        evidence: given a quote id and a suggestion's evidence, returns the evidence
            moved into the redacted text.
        run_id: the redaction run.

    Returns:
        What was changed (see :class:`Cleaned`).
    """
    changed = moved = dropped = 0
    elsewhere: Counter[str] = Counter()
    # Text replaced or deleted now is overwritten with zeros in the file, whatever the
    # SQLite build's default (see erase_freed for what earlier commands left).
    project._db.execute("PRAGMA secure_delete = ON")
    with project._transaction() as db:
        for q in quotes:
            db.execute(
                "UPDATE quotes SET text = ?, start_offset = ?, end_offset = ?, region = ?, org = ?, attributes = ?"
                " WHERE quote_id = ?",
                (q.text, q.start, q.end, q.region, q.org, _json(q.attributes), q.quote_id),
            )
            changed += 1
        for qid in log:
            # Offsets of matches negation or stance set aside no longer fit the new text;
            # the next `code` run finds them again.
            db.execute("DELETE FROM blocked_matches WHERE quote_id = ?", (qid,))
        moved, dropped = _suggestions(db, log, cleaner, evidence, elsewhere)
        # Before the codebooks are cleaned: a code named after a person gets a new id everywhere.
        renamed = renamed_codes(db, cleaner.free_text)
        rename_codes(db, renamed, elsewhere)
        for table, column in sorted(_FREE_TEXT):
            _clean_column(db, table, column, cleaner.free_text, elsewhere)
        _topics(db, cleaner, elsewhere)
        _json_column(db, "codebooks", "content", lambda value: _codebook(value, cleaner), elsewhere)
        _json_column(db, "runs", "parameters", cleaner.value, elsewhere)
        _other_tables(db, cleaner, elsewhere)
        _insert_log(db, log, run_id)
    return Cleaned(changed, moved, dropped, dict(sorted(elsewhere.items())), len(renamed))


def _suggestions(db, log, cleaner: Cleaner, evidence, elsewhere: Counter[str]) -> tuple[int, int]:
    moved = dropped = 0
    for rowid, qid, stored in _evidence_rows(db, log, every=cleaner.words > 0):
        if qid not in log and not cleaner.mentions(stored):
            continue
        before = json.loads(stored)
        after = evidence(qid, before) if qid in log else before
        # A model's features and a topic's terms are words of the quotes, not offsets into one.
        after = [{**item, **{k: cleaner.terms(item[k]) for k in ("term", "text") if isinstance(item.get(k), str)
                             and item.get("start") is None}} for item in after]
        if before and not after:
            db.execute("DELETE FROM suggestions WHERE rowid = ?", (rowid,))
            dropped += 1
        elif after != before:
            db.execute("UPDATE suggestions SET evidence = ? WHERE rowid = ?",
                       (json.dumps(after, ensure_ascii=False, separators=(",", ":")), rowid))
            moved += 1
            if qid not in log:
                elsewhere["suggestions.evidence"] += 1
    return moved, dropped


def _evidence_rows(db, log, *, every: bool, batch: int = 20_000):
    """(rowid, quote id, evidence) of the redacted quotes' suggestions, or of every suggestion, batch by batch."""
    if not every:
        for qid in log:
            for rowid, stored in db.execute("SELECT rowid, evidence FROM suggestions WHERE quote_id = ?", (qid,)).fetchall():
                yield rowid, qid, stored
        return
    last = 0
    while True:
        rows = db.execute(
            "SELECT rowid, quote_id, evidence FROM suggestions WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch)
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield from rows


def _clean_column(db, table: str, column: str, clean: Callable[[str], str], elsewhere: Counter[str]) -> None:
    if not _has_column(db, table, column):
        return
    for rowid, text in db.execute(f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall():
        if not isinstance(text, str):
            continue
        new = clean(text)
        if new != text:
            db.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (new, rowid))
            elsewhere[f"{table}.{column}"] += 1


def _json_column(db, table: str, column: str, clean: Callable[[object], object], elsewhere: Counter[str]) -> None:
    if not _has_column(db, table, column):
        return
    for rowid, stored in db.execute(f'SELECT rowid, "{column}" FROM "{table}"').fetchall():
        try:
            value = json.loads(stored)
        except (TypeError, ValueError):
            continue
        new = clean(value)
        if new != value:
            db.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (_json(new), rowid))
            elsewhere[f"{table}.{column}"] += 1


def _topics(db, cleaner: Cleaner, elsewhere: Counter[str]) -> None:
    """Topic summaries: representative quotes taken again from the redacted quotes, every other word cleaned."""
    if not _has_column(db, "topics", "summary"):
        return
    for rowid, label, stored in db.execute("SELECT rowid, label, summary FROM topics").fetchall():
        summary = json.loads(stored)
        quotes = summary.get("quotes") if isinstance(summary, dict) else None
        new = cleaner.value({k: v for k, v in summary.items() if k != "quotes"}) if isinstance(summary, dict) \
            else cleaner.value(summary)
        if isinstance(quotes, list):
            texts = dict(rows_for_ids(db, "SELECT quote_id, text FROM quotes WHERE quote_id IN ({marks})",
                                      [q.get("quote_id") for q in quotes if isinstance(q, dict)]))
            new["quotes"] = [
                {**q, "text": texts[q["quote_id"]]} if isinstance(q, dict) and q.get("quote_id") in texts
                else cleaner.value(q, free=True) for q in quotes
            ]
        new_label = cleaner.terms(label)
        if new != summary or new_label != label:
            db.execute("UPDATE topics SET label = ?, summary = ? WHERE rowid = ?", (new_label, _json(new), rowid))
            elsewhere["topics.summary"] += 1


_WRITTEN = frozenset({"label", "definition", "include", "exclude", "examples"})


def _codebook(value: object, cleaner: Cleaner) -> object:
    """A stored codebook: a seed or rule term holding a replaced word is dropped (it would no longer
    be a valid term), example quotes are cleaned as quotes are, other text word by word."""
    if not isinstance(value, dict) or not isinstance(value.get("codes"), list):
        return cleaner.value(value)

    def kept(terms: object) -> object:
        if not isinstance(terms, list):
            return terms
        return [t for t in terms if cleaner.value(t) == t]

    codes = []
    for code in value["codes"]:
        if not isinstance(code, dict):
            codes.append(code)
            continue
        # What a coder wrote (a label taken from a sheet, a definition) is cleaned as quotes are.
        new = {k: cleaner.value(v, free=k in _WRITTEN) for k, v in code.items() if k not in ("seeds", "rules")}
        if "seeds" in code:
            new["seeds"] = kept(code["seeds"])
        if "rules" in code:
            rules = code["rules"]
            new["rules"] = {k: kept(v) for k, v in rules.items()} if isinstance(rules, dict) else rules
        codes.append(new)
    cleaned = {**cleaner.value({k: v for k, v in value.items() if k != "codes"}), "codes": codes}
    try:
        Codebook.model_validate(cleaned)
    except ValidationError:  # a code left with nothing to match: its rules go, the codebook stays readable
        cleaned["codes"] = [
            {k: v for k, v in new.items() if k != "rules"} if new != old else new
            for new, old in zip(codes, value["codes"])
        ]
    return cleaned


def _other_tables(db, cleaner: Cleaner, elsewhere: Counter[str]) -> None:
    """Text in tables this version does not know (added by later features): cleaned as free text."""
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall():
        if table in _HANDLED:
            continue
        for _, column, kind, _, _, pk in db.execute(f'PRAGMA table_info("{table}")').fetchall():
            if pk or _KEYS.match(column.lower()) or kind.upper() not in ("TEXT", "", "BLOB"):
                continue
            _clean_column(db, table, column, lambda text: _free_or_json(text, cleaner), elsewhere)


def _free_or_json(text: str, cleaner: Cleaner) -> str:
    if text[:1] in "[{":
        try:
            value = json.loads(text)
        except ValueError:
            return cleaner.free_text(text)
        new = cleaner.value(value, free=True)
        return text if new == value else _json(new)
    return cleaner.free_text(text)


def _has_column(db, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f'PRAGMA table_info("{table}")'))


def erase_freed(project: Project) -> str | None:
    """Leave no earlier copy of replaced text anywhere in the project's files.

    SQLite keeps old versions of changed pages in the write-ahead log until it is
    checkpointed, and the free space that deleted text leaves behind may keep its bytes
    on builds without secure delete. So the log is checkpointed, the file rebuilt
    (VACUUM) and the log emptied. Returns None when done, else why it could not be
    finished (another program holding the project open, a full disk).
    """
    db = project._db
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        db.execute("VACUUM")
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        return f"the file could not be rebuilt ({exc})"
    if busy:
        return "another program (a review session, a report) has the project open, so its log could not be emptied"
    return None


def was_redacted(project: Project) -> bool:
    """Whether the project's quotes were redacted, at ingest or with ``redact``."""
    row = project._db.execute(
        "SELECT 1 FROM runs WHERE command = 'redact' OR (command = 'ingest' AND"
        " json_extract(parameters, '$.redact') IS NOT NULL) LIMIT 1"
    ).fetchone()
    return row is not None


def redaction_counts(project: Project) -> dict[str, int]:
    """How many details of each kind have been replaced in the project."""
    return dict(project._db.execute("SELECT kind, COUNT(*) FROM redactions GROUP BY kind ORDER BY kind").fetchall())


def originals_kept(project: Project) -> int:
    """How many replaced originals the project keeps (0 unless --keep-originals was used)."""
    return int(project._db.execute("SELECT COUNT(*) FROM redacted_originals_confidential").fetchone()[0])


def text_redacted_after(project: Project, run_id: int) -> int | None:
    """The first ``redact`` run after run ``run_id`` that changed the text of a quote, if any.

    A redaction that found nothing to replace (it reported 0 quotes changed) leaves
    every earlier suggestion and topic standing, so it is not counted. Redaction at
    ingest is not counted either: it happens before the quotes are stored.
    """
    row = project._db.execute(
        "SELECT MIN(r.run_id) FROM redactions r JOIN runs u ON u.run_id = r.run_id"
        " WHERE u.command = 'redact' AND r.run_id > ?",
        (run_id,),
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None
