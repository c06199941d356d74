"""Which quotes a code already has: its rule suggestions, human decisions and imported codings.

``codebook suggest`` learns a code's vocabulary from these quotes, so what counts as
"the code's quotes" is decided here, in one query per source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probation_themes.store.project import Project


@dataclass
class CodedQuotes:
    """The quotes coded with one code, and where each source's quotes came from.

    Attributes:
        quote_ids: quotes the code has: a rule suggestion, an accepted decision or an
            imported coding (by quote, or by response for every quote of that
            response), less those whose latest decision rejects the code.
        from_rules: quotes with a rule suggestion of the code.
        accepted: quotes a coder accepted (or added) the code for.
        imported: quotes with an imported coding of the code.
        rejected: quotes whose latest decision rejects the code (left out).
    """

    quote_ids: set[str] = field(default_factory=set)
    from_rules: int = 0
    accepted: int = 0
    imported: int = 0
    rejected: int = 0


def coded_quotes(project: Project, code: str) -> CodedQuotes:
    """The quotes ``code`` already has in ``project`` (see :class:`CodedQuotes`)."""
    db = project._db
    rules = {r[0] for r in db.execute("SELECT quote_id FROM suggestions WHERE code = ? AND method = 'rules'", (code,))}
    latest: dict[str, str] = {}
    for quote_id, decision in db.execute(
        "SELECT quote_id, decision FROM decisions WHERE code = ? ORDER BY decision_id", (code,)
    ):
        latest[quote_id] = decision
    accepted = {q for q, d in latest.items() if d == "accept"}
    rejected = {q for q, d in latest.items() if d == "reject"}
    imported = {r[0] for r in db.execute(
        "SELECT unit_id FROM coder_codings WHERE code = ? AND level = 'quote'", (code,)
    )}
    imported |= {r[0] for r in db.execute(
        "SELECT q.quote_id FROM coder_codings c JOIN quotes q ON q.response_id = c.unit_id"
        " WHERE c.code = ? AND c.level = 'response'", (code,)
    )}
    return CodedQuotes(
        quote_ids=(rules | accepted | imported) - rejected,
        from_rules=len(rules), accepted=len(accepted), imported=len(imported), rejected=len(rejected),
    )
