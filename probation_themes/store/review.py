"""What the review session reads and writes: candidates, one quote's state, answers, undo, memos, audit.

Every write is one small transaction, committed before the function returns, so a
session killed between two keystrokes has lost nothing it had shown as done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.errors import StoreError
from probation_themes.models import Evidence, Quote, blocked_evidence
from probation_themes.store.project import _EVIDENCE_DEFAULTS, _QUOTE_COLUMNS, Project, rows_for_ids
from probation_themes.store.working import quote_clause, suggestion_clause

#: Where-filters that name a quote column; any other key is looked up in the quote's attributes.
QUOTE_FIELDS = ("region", "org", "question")


@dataclass(frozen=True)
class Candidate:
    """A quote a review session may show: its id, its uncertainty and whether this coder finished it."""

    quote_id: str
    gap: float | None  # smallest |confidence - threshold| of its suggestions; None without one
    done: bool


@dataclass(frozen=True)
class StoredSuggestion:
    """One machine suggestion of a code for a quote."""

    code: str
    method: str
    confidence: float | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class QuoteState:
    """One quote as a coder reviews it: the quote, its suggestions, their decisions and the memos."""

    quote: Quote
    suggestions: tuple[StoredSuggestion, ...]
    decisions: dict[str, str]  # this coder's latest decision per code: accept | reject
    memos: dict[str, str]  # latest memo per code ('' = the whole quote)
    done: bool
    #: codes whose rule matches negation or stance set aside, with those matches as evidence
    blocked: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    """A decision to record: accept or reject a code, and the suggestion it answered."""

    code: str
    decision: str  # accept | reject
    suggestion_method: str | None = None
    suggestion_confidence: float | None = None


@dataclass(frozen=True)
class Recorded:
    """What one answer wrote, so that undo can withdraw exactly that."""

    decision_ids: tuple[int, ...]
    review_id: int | None


@dataclass(frozen=True)
class AuditEvent:
    """One line of the decision log: a decision, a memo, a finished quote, or an undo of one."""

    at: datetime
    coder: str
    event: str  # accept | reject | memo | reviewed | undo
    quote_id: str
    code: str
    undoes: str  # for undo: accept | reject | memo | reviewed
    suggestion_method: str | None
    suggestion_confidence: float | None
    memo: str | None


def _scope_sql(code: str | None) -> tuple[str, tuple]:
    # A quote reviewed for every code ('') also counts as reviewed for one code.
    return ("r.scope IN ('', ?)", (code,)) if code else ("r.scope = ''", ())


def _where_sql(project: Project, where: Mapping[str, str]) -> tuple[list[str], list[str]]:
    clauses, params = [], []
    for key, value in where.items():
        if key in QUOTE_FIELDS:
            clauses.append(f"q.{key} = ? COLLATE NOCASE")
            params.append(value)
            continue
        path = '$."' + key.replace('"', "") + '"'
        if project._db.execute("SELECT 1 FROM quotes WHERE json_extract(attributes, ?) IS NOT NULL LIMIT 1",
                               (path,)).fetchone() is None:
            keys = sorted({k for (a,) in project._db.execute("SELECT attributes FROM quotes LIMIT 2000")
                           for k in json.loads(a)})
            raise StoreError(
                f"No quote in {project.path} has an attribute called {key!r}, so --where {key}=... matches "
                f"nothing. Filter by {', '.join((*QUOTE_FIELDS, *keys))} (attributes come from the "
                "--attr-col columns given to ingest).",
                path=project.path,
            )
        clauses.append("json_extract(q.attributes, ?) = ? COLLATE NOCASE")
        params += [path, value]
    return clauses, params


def review_candidates(
    project: Project,
    *,
    coder: str,
    code: str | None = None,
    with_suggestions: bool = True,
    where: Mapping[str, str] | None = None,
    threshold: float = 0.5,
    methods: Sequence[str] | None = None,
) -> list[Candidate]:
    """The quotes a review session covers, in ingest order, each with its uncertainty.

    Args:
        coder: whose finished quotes are marked ``done``.
        code: only suggestions of this code count (and only its review counts as done).
        with_suggestions: only quotes with at least one suggestion (of ``code``); otherwise every quote.
        where: exact (case-insensitive) values of region, org, question or an attribute.
        threshold: the confidence at which a suggestion is least certain.
        methods: only these methods' suggestions count (the working coding; see
            :mod:`probation_themes.store.working`); None for every method.
    """
    clauses, params = _where_sql(project, where or {})
    counted, counted_params = quote_clause("q")  # non-answers are not coded: nothing to review
    clauses.append(counted)
    params += list(counted_params)
    chosen, chosen_params = suggestion_clause(methods, "s")
    scope, scope_params = _scope_sql(code)
    join = "JOIN" if with_suggestions else "LEFT JOIN"
    on = (" AND s.code = ?" if code else "") + f" AND {chosen}"
    sql = (
        "SELECT q.quote_id, MIN(ABS(s.confidence - ?)),"
        f" EXISTS(SELECT 1 FROM reviewed r WHERE r.quote_id = q.quote_id AND r.coder = ? AND {scope}"
        " AND r.undone_at IS NULL)"
        f" FROM quotes q {join} suggestions s ON s.quote_id = q.quote_id{on}"
        + (" WHERE " + " AND ".join(clauses) if clauses else "")
        + " GROUP BY q.seq ORDER BY q.seq"
    )
    args = (threshold, coder, *scope_params, *((code,) if code else ()), *chosen_params, *params)
    return [Candidate(r[0], r[1], bool(r[2])) for r in project._db.execute(sql, args)]


def _evidence(stored: str) -> tuple[Evidence, ...]:
    return tuple(Evidence.model_construct(**{**_EVIDENCE_DEFAULTS, **e}) for e in json.loads(stored))


def quote_state(
    project: Project, quote_id: str, *, coder: str, code: str | None = None, methods: Sequence[str] | None = None
) -> QuoteState:
    """Everything the review screen shows for one quote, read with four indexed look-ups.

    ``methods``: only these methods' suggestions are shown (None: every method's).
    """
    db = project._db
    row = db.execute(f"SELECT {_QUOTE_COLUMNS} FROM quotes WHERE quote_id = ?", (quote_id,)).fetchone()
    if row is None:
        raise StoreError(f"The quote {quote_id} is no longer in {project.path}.", path=project.path)
    only = " AND code = ?" if code else ""
    extra = (code,) if code else ()
    chosen, chosen_params = suggestion_clause(methods, "s")
    suggestions = tuple(
        StoredSuggestion(c, m, conf, _evidence(ev))
        for c, m, conf, ev in db.execute(
            f"SELECT s.code, s.method, s.confidence, s.evidence FROM suggestions s WHERE s.quote_id = ?{only}"
            f" AND {chosen} ORDER BY s.code, s.method",
            (quote_id, *extra, *chosen_params),
        )
    )
    decisions = dict(db.execute(
        f"SELECT code, decision FROM decisions WHERE quote_id = ? AND coder = ?{only} ORDER BY decision_id",
        (quote_id, coder, *extra),
    ).fetchall())
    memos = {c: t for c, t in db.execute(
        "SELECT code, text FROM memos WHERE quote_id = ? ORDER BY memo_id", (quote_id,)
    ) if not code or c in ("", code)}
    scope, scope_params = _scope_sql(code)
    done = db.execute(
        f"SELECT 1 FROM reviewed r WHERE r.quote_id = ? AND r.coder = ? AND {scope} AND r.undone_at IS NULL",
        (quote_id, coder, *scope_params),
    ).fetchone() is not None
    quote = Project._quote(row)
    blocked = {
        c: tuple(blocked_evidence(quote.text, m) for m in matches)
        for c, matches in project.blocked_matches(quote_id).items()
        if not code or c == code
    }
    return QuoteState(quote, suggestions, decisions, {c: t for c, t in memos.items() if t}, done, blocked)


def coder_decisions(project: Project, coder: str, code: str | None = None) -> dict[str, dict[str, str]]:
    """A coder's latest decision per quote and code (quote id → code → accept | reject)."""
    only = " AND code = ?" if code else ""
    latest: dict[str, dict[str, str]] = {}
    for quote_id, c, decision in project._db.execute(
        f"SELECT quote_id, code, decision FROM decisions WHERE coder = ?{only} ORDER BY decision_id",
        (coder, *((code,) if code else ())),
    ):
        latest.setdefault(quote_id, {})[c] = decision
    return latest


def record_answer(
    project: Project,
    quote_id: str,
    choices: Sequence[Choice],
    *,
    coder: str,
    at: datetime,
    finish_scope: str | None = None,
) -> Recorded:
    """Commit a coder's decisions on one quote (and, with ``finish_scope``, mark it reviewed) at once.

    Args:
        finish_scope: '' when the coder finished the quote for every code, a code id when
            they reviewed it for that code only, None when the quote is not finished yet.
    """
    stamp = at.isoformat()
    with project._transaction() as db:
        ids = tuple(
            int(db.execute(
                "INSERT INTO decisions (quote_id, code, decision, coder, decided_at, suggestion_method,"
                " suggestion_confidence) VALUES (?,?,?,?,?,?,?)",
                (quote_id, c.code, c.decision, coder, stamp, c.suggestion_method, c.suggestion_confidence),
            ).lastrowid)
            for c in choices
        )
        review_id = None
        if finish_scope is not None:
            review_id = int(db.execute(
                "INSERT INTO reviewed (quote_id, coder, scope, reviewed_at) VALUES (?,?,?,?)",
                (quote_id, coder, finish_scope, stamp),
            ).lastrowid)
    return Recorded(ids, review_id)


def undo_answer(project: Project, recorded: Recorded, *, coder: str, at: datetime) -> None:
    """Withdraw what one answer recorded: its decisions leave the effective codings, the log keeps them."""
    stamp = at.isoformat()
    with project._transaction() as db:
        for decision_id in recorded.decision_ids:
            db.execute(
                "INSERT INTO undone_decisions (decision_id, quote_id, code, decision, coder, decided_at,"
                " suggestion_method, suggestion_confidence, memo, undone_at, undone_by)"
                " SELECT decision_id, quote_id, code, decision, coder, decided_at, suggestion_method,"
                " suggestion_confidence, memo, ?, ? FROM decisions WHERE decision_id = ?",
                (stamp, coder, decision_id),
            )
            db.execute("DELETE FROM decisions WHERE decision_id = ?", (decision_id,))
        if recorded.review_id is not None:
            db.execute("UPDATE reviewed SET undone_at = ? WHERE review_id = ?", (stamp, recorded.review_id))


@dataclass(frozen=True)
class PastStep:
    """One step a coder took in an earlier session, as undo needs it."""

    quote_id: str
    at: datetime
    choices: tuple[tuple[str, str], ...]  # (code, accept | reject)
    recorded: Recorded | None = None
    memo_id: int | None = None
    memo_code: str = ""
    memo_before: str = ""


def recent_steps(project: Project, coder: str, limit: int = 100) -> list[PastStep]:
    """A coder's last ``limit`` steps still in force, oldest first: what undo can withdraw after a restart.

    A step is what one key press recorded: the decisions and finished-mark written in one
    transaction (they share their time), or one memo.
    """
    db = project._db
    groups: dict[tuple[str, str], tuple[list[int], list[tuple[str, str]], list[int]]] = {}
    for ident, quote_id, code, decision, at in db.execute(
        "SELECT decision_id, quote_id, code, decision, decided_at FROM decisions WHERE coder = ?"
        " ORDER BY decision_id DESC LIMIT ?", (coder, limit * 20),
    ):
        ids, choices, _ = groups.setdefault((at, quote_id), ([], [], []))
        ids.insert(0, ident)
        choices.insert(0, (code, decision))
    for ident, quote_id, at in db.execute(
        "SELECT review_id, quote_id, reviewed_at FROM reviewed WHERE coder = ? AND undone_at IS NULL"
        " ORDER BY review_id DESC LIMIT ?", (coder, limit),
    ):
        groups.setdefault((at, quote_id), ([], [], []))[2].append(ident)
    steps = [
        PastStep(quote_id, datetime.fromisoformat(at), tuple(choices), Recorded(tuple(ids), review[0] if review else None))
        for (at, quote_id), (ids, choices, review) in groups.items()
    ]
    for ident, quote_id, code, at, before in db.execute(
        "SELECT m.memo_id, m.quote_id, m.code, m.written_at, (SELECT p.text FROM memos p WHERE p.quote_id = m.quote_id"
        " AND p.code = m.code AND p.memo_id < m.memo_id ORDER BY p.memo_id DESC LIMIT 1)"
        " FROM memos m WHERE m.coder = ? AND m.undoes IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM memos u WHERE u.undoes = m.memo_id) ORDER BY m.memo_id DESC LIMIT ?",
        (coder, limit),
    ):
        steps.append(PastStep(quote_id, datetime.fromisoformat(at), (), memo_id=ident, memo_code=code,
                              memo_before=before or ""))
    steps.sort(key=lambda step: step.at)
    return steps[-limit:]


def write_memo(
    project: Project, quote_id: str, code: str, text: str, *, coder: str, at: datetime, undoes: int | None = None
) -> int:
    """Append a memo on a quote (``code`` '') or on one code of it; returns its id. Empty text clears."""
    with project._transaction() as db:
        return int(db.execute(
            "INSERT INTO memos (quote_id, code, text, coder, written_at, undoes) VALUES (?,?,?,?,?,?)",
            (quote_id, code, text, coder, at.isoformat(), undoes),
        ).lastrowid)


def latest_memos(project: Project) -> dict[tuple[str, str], str]:
    """The memo in force per (quote id, code), code '' meaning the whole quote; cleared memos left out."""
    latest: dict[tuple[str, str], str] = {}
    for quote_id, code, text in project._db.execute("SELECT quote_id, code, text FROM memos ORDER BY memo_id"):
        latest[(quote_id, code)] = text
    return {key: text for key, text in latest.items() if text}


def memo_notes(project: Project) -> dict[tuple[str, str], tuple[str, str, datetime]]:
    """The memo in force per (quote id, code) with who wrote it and when: (text, coder, written at).

    Code '' is a memo on the whole quote; cleared memos are left out. Exports carry
    these as notes (REFI-QDA ``Notes``) and as a memo column.
    """
    latest: dict[tuple[str, str], tuple[str, str, datetime]] = {}
    for quote_id, code, text, coder, at in project._db.execute(
        "SELECT quote_id, code, text, coder, written_at FROM memos ORDER BY memo_id"
    ):
        latest[(quote_id, code)] = (text, coder, datetime.fromisoformat(at))
    return {key: note for key, note in latest.items() if note[0]}


def audit_log(project: Project) -> list[AuditEvent]:
    """Every decision, memo, finished quote and undo ever recorded, in time order."""
    db = project._db
    events: list[tuple[datetime, int, int, AuditEvent]] = []

    def add(at: str, rank: int, ident: int, **fields: object) -> None:
        stamp = datetime.fromisoformat(at)
        events.append((stamp, rank, ident, AuditEvent(at=stamp, **fields)))  # type: ignore[arg-type]

    decision_sql = (
        "SELECT decision_id, quote_id, code, decision, coder, decided_at, suggestion_method,"
        " suggestion_confidence, memo{} FROM {}"
    )
    for *row, undone_at, undone_by in db.execute(
        decision_sql.format(", NULL, NULL", "decisions") + " UNION ALL " + decision_sql.format(", undone_at, undone_by", "undone_decisions")
    ):
        ident, quote_id, code, decision, coder, at, method, conf, memo = row
        add(at, 0, ident, coder=coder, event=decision, quote_id=quote_id, code=code, undoes="",
            suggestion_method=method, suggestion_confidence=conf, memo=memo)
        if undone_at:
            add(undone_at, 3, ident, coder=undone_by, event="undo", quote_id=quote_id, code=code,
                undoes=decision, suggestion_method=method, suggestion_confidence=conf, memo=None)
    for ident, quote_id, code, text, coder, at, undoes in db.execute(
        "SELECT memo_id, quote_id, code, text, coder, written_at, undoes FROM memos"
    ):
        add(at, 1, ident, coder=coder, event="undo" if undoes else "memo", quote_id=quote_id, code=code,
            undoes="memo" if undoes else "", suggestion_method=None, suggestion_confidence=None, memo=text)
    for ident, quote_id, coder, scope, at, undone_at in db.execute(
        "SELECT review_id, quote_id, coder, scope, reviewed_at, undone_at FROM reviewed"
    ):
        add(at, 2, ident, coder=coder, event="reviewed", quote_id=quote_id, code=scope, undoes="",
            suggestion_method=None, suggestion_confidence=None, memo=None)
        if undone_at:
            add(undone_at, 4, ident, coder=coder, event="undo", quote_id=quote_id, code=scope,
                undoes="reviewed", suggestion_method=None, suggestion_confidence=None, memo=None)
    events.sort(key=lambda e: e[:3])
    return [e[3] for e in events]


def response_ids_of(project: Project, quote_ids: Iterable[str]) -> dict[str, str]:
    """Quote id → response id for the given quotes (the audit log names both)."""
    return dict(rows_for_ids(project._db, "SELECT quote_id, response_id FROM quotes WHERE quote_id IN ({marks})", quote_ids))
