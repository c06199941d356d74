"""Which quotes a code already has: its rule suggestions, human decisions and imported codings.

``codebook suggest`` learns a code's vocabulary from these quotes, so what counts as
"the code's quotes" is decided here, in one query per source. :func:`imported_codings`
gives imported coders' codings per quote, with their dates, for exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.errors import StoreError
from probation_themes.models import Coding
from probation_themes.store.project import Project
from probation_themes.store.stream import Batch, CodingFacts


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


def imported_codings(project: Project, coders: Sequence[str]) -> list[Coding]:
    """The codings imported as each of ``coders``, per quote, with the coder and the date they were coded.

    A response-level coding (a coding sheet by respondent) codes every quote of that
    response. Each coding has method ``import``, status ``accepted``, the coder, and the
    date its file gave (``decided_at``; None where it gave none).

    Raises:
        StoreError: a name is not a coder imported into the project.
    """
    known = project.coders()
    unknown = [c for c in coders if c not in known]
    if unknown:
        listed = ", ".join(known) or "none yet"
        raise StoreError(
            f"No codings were imported as {', '.join(map(repr, unknown))}, so there are none to export. "
            f"Coders imported into this project: {listed}. Import one with "
            "`probation-themes import-codings FILE --coder NAME`.",
            path=project.path,
        )
    quotes_of: dict[str, list[str]] = {}
    for quote_id, response_id in project._db.execute("SELECT quote_id, response_id FROM quotes ORDER BY seq"):
        quotes_of.setdefault(response_id, []).append(quote_id)
    found: list[Coding] = []
    for coder in dict.fromkeys(coders):
        imported = project.coder_codings(coder)
        if imported is None:  # checked above
            continue
        for unit, code in sorted(imported.positives):
            when = _date(imported.coded_at.get((unit, code)))
            for quote_id in (quotes_of.get(unit, []) if imported.level == "response" else [unit]):
                found.append(Coding(quote_id=quote_id, code=code, method="import", status="accepted",
                                    coder=coder, decided_at=when))
    return found


def _date(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:  # a date damaged in the file (doctor names it): exported undated
        return None


def with_imported(batches: Iterable[Batch], imported: Sequence[Coding]) -> Iterator[Batch]:
    """Each batch with the imported codings of its quotes added (method ``import``, the coder, its date).

    For the long coding table: an imported coder's coding is a row of its own, its date
    in ``decided_at`` (empty where the file gave none).
    """
    by_quote: dict[str, list[Coding]] = {}
    for coding in imported:
        by_quote.setdefault(coding.quote_id, []).append(coding)
    for batch in batches:
        added = [
            CodingFacts(q.seq, q.quote_id, q.response_id, c.code, "import", c.status, None, c.coder, c.decided_at, ())
            for q in batch.quotes for c in by_quote.get(q.quote_id, [])
        ]
        yield Batch(batch.quotes, [*batch.codings, *added]) if added else batch
