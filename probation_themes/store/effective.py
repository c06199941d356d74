"""Effective codings: machine suggestions with the latest human decision applied (see :meth:`Project.codings`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Literal

from probation_themes.models import Coding, Evidence, WorkingCoding
from probation_themes.store.working import quote_clause, suggestion_clause

#: Which codings count: ``default`` is suggested ∪ accepted, minus rejected.
StatusFilter = Literal["default", "suggested", "accepted", "rejected", "all"]

_EVIDENCE_DEFAULTS = {
    "kind": "rule", "rule": None, "text": "", "start": None, "end": None, "weight": None, "negated": None, "countered": None,
}


def effective_codings(
    db: sqlite3.Connection,
    status: StatusFilter = "default",
    *,
    method: str | None = None,
    working: WorkingCoding | None = None,
    evidence: bool = True,
    non_answers: bool = False,
) -> list[Coding]:
    """Effective codings: machine suggestions with the latest human decision applied.

    ``status``: ``default`` (suggested ∪ accepted, minus rejected), ``suggested``
    (undecided suggestions only), ``accepted``, ``rejected`` or ``all``.
    ``working`` counts the suggestions of its methods only (see
    :mod:`probation_themes.store.working`): a code a person accepted or rejected
    that none of them suggested appears with method ``human``. ``method`` alone
    gives that one method's suggestions and no human additions (for comparing a
    method with a coder); with neither, every method's suggestions count.
    Ordered by quote (ingest order), then code, then method. ``evidence=False``
    skips reading the evidence (much faster for counts and tables). Codings of quotes
    flagged as non-answers are left out unless ``non_answers``.
    """
    latest: dict[tuple[str, str], tuple[str, str, str]] = {}
    for quote_id, code, decision, coder, decided_at in db.execute(
        "SELECT quote_id, code, decision, coder, decided_at FROM decisions ORDER BY decision_id"
    ):
        latest[(quote_id, code)] = (decision, coder, decided_at)

    methods = working.methods if working is not None else ((method,) if method is not None else None)
    chosen, chosen_params = suggestion_clause(methods, "s")
    counted, counted_params = quote_clause("q", non_answers=non_answers)
    sql = (
        "SELECT s.quote_id, s.code, s.method, s.confidence, "
        + ("s.evidence" if evidence else "'[]'")
        + ", s.run_id, q.seq"
        f" FROM suggestions s JOIN quotes q ON q.quote_id = s.quote_id WHERE {chosen} AND {counted}"
    )
    rows = db.execute(sql, (*chosen_params, *counted_params)).fetchall()
    out: list[tuple[int, Coding]] = []
    suggested_pairs: set[tuple[str, str]] = set()
    for quote_id, code, meth, confidence, stored, run_id, seq in rows:
        suggested_pairs.add((quote_id, code))
        decided = latest.get((quote_id, code))
        state = "suggested" if decided is None else ("accepted" if decided[0] == "accept" else "rejected")
        coding = Coding.model_construct(
            quote_id=quote_id, code=code, method=meth, status=state,
            coder=decided[1] if decided else None, confidence=confidence,
            evidence=[Evidence.model_construct(**{**_EVIDENCE_DEFAULTS, **e}) for e in json.loads(stored)]
            if evidence else [],
            run_id=run_id, decided_at=datetime.fromisoformat(decided[2]) if decided else None,
        )
        out.append((seq, coding))
    if method is None or working is not None:
        # Decisions on codes the counted methods did not suggest are people's own codings.
        kinds = ("accept", "reject") if working is not None else ("accept",)
        added = [key for key, d in latest.items() if key not in suggested_pairs and d[0] in kinds]
        if added:
            seqs = dict(db.execute(f"SELECT q.quote_id, q.seq FROM quotes q WHERE {counted}",
                                         counted_params).fetchall())
            for quote_id, code in added:
                if quote_id not in seqs:
                    continue  # a quote that does not count (a non-answer, say)
                decision, coder, decided_at = latest[(quote_id, code)]
                out.append((seqs.get(quote_id, 0), Coding(
                    quote_id=quote_id, code=code, method="human",
                    status="accepted" if decision == "accept" else "rejected", coder=coder,
                    decided_at=datetime.fromisoformat(decided_at),
                )))
    keep = {
        "default": {"suggested", "accepted"},
        "suggested": {"suggested"},
        "accepted": {"accepted"},
        "rejected": {"rejected"},
        "all": {"suggested", "accepted", "rejected"},
    }[status]
    out.sort(key=lambda pair: (pair[0], pair[1].code, pair[1].method))
    return [c for _, c in out if c.status in keep]
