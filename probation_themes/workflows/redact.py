"""Redact personal details from the quotes a project already holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from probation_themes.ingest.redact import Redactor, shift_evidence, summarise
from probation_themes.models import Run
from probation_themes.store import Project
from probation_themes.store.redactions import redact_stored
from probation_themes.workflows.provenance import library_versions


@dataclass
class RedactReport:
    """What a redaction run changed."""

    run_id: int
    quotes: int
    quotes_changed: int
    redacted: dict[str, int]
    evidence_moved: int
    suggestions_dropped: int
    originals_kept: bool


def redact_project(project: Project, redactor: Redactor) -> RedactReport:
    """Replace personal details in every stored quote and rejected row, all or nothing.

    Suggestions stay consistent with the new text: evidence offsets after a
    placeholder move with it, evidence that matched replaced words is removed, and a
    rule suggestion left with no evidence is dropped (run ``code`` again to
    re-suggest). Human decisions are kept as they are. Running it twice changes
    nothing the second time: placeholders are not personal details.
    """
    run_id = project.start_run(
        Run(command="redact", parameters=redactor.parameters(), versions=library_versions(),
            started_at=datetime.now().astimezone())
    )
    try:
        quotes = project.quotes()
        redacted, log = redactor.redact_quotes(quotes)
        before = {q.quote_id: q for q in quotes}
        changed = [q for q in redacted if q != before[q.quote_id]]
        _, moved, dropped = redact_stored(
            project, changed, log,
            rejects=lambda text: redactor.redact(text)[0],
            evidence=lambda quote_id, evidence: shift_evidence(evidence, log[quote_id]),
            run_id=run_id,
        )
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    return RedactReport(
        run_id=run_id, quotes=len(quotes), quotes_changed=len(log), redacted=summarise(log),
        evidence_moved=moved, suggestions_dropped=dropped, originals_kept=redactor.keep_originals,
    )
