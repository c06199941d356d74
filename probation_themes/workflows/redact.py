"""Redact personal details from the quotes a project already holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.ingest.redact import Redactor, shift_evidence, summarise
from probation_themes.ingest.scrub import Scrubber, vocabulary
from probation_themes.models import Run
from probation_themes.store import Project
from probation_themes.store.redactions import erase_freed, redact_stored
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
    #: Other stored copies of the replaced words cleaned, by table and column.
    cleaned_elsewhere: dict[str, int] = field(default_factory=dict)
    #: Why the file could not be rebuilt without old copies of the text (None: it was).
    not_erased: str | None = None
    #: Codes whose id or label held a personal detail (from a coder's code names), given new ids.
    codes_renamed: int = 0


def redact_project(project: Project, redactor: Redactor) -> RedactReport:
    """Replace personal details in every stored quote, and in every other stored copy of their words.

    Suggestions stay consistent with the new text: evidence offsets after a
    placeholder move with it, evidence that matched replaced words is removed, and a
    rule suggestion left with no evidence is dropped (run ``code`` again to
    re-suggest). Human decisions are kept as they are. Words of the replaced details
    are also cleaned wherever else the project keeps them — rejected rows, memos,
    topic terms and representative quotes, model evidence, stored codebooks, run
    records (see :func:`probation_themes.store.redactions.redact_stored`) — and the
    file is then rebuilt so no earlier copy is left in it or its log. Running it
    twice changes nothing the second time: placeholders are not personal details.
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
        replaced = [(r.kind, before[qid].text[r.old_start:r.old_end]) for qid, found in log.items() for r in found]
        cleaner = Scrubber(redactor, replaced, vocabulary(q.text for q in redacted))
        done = redact_stored(
            project, changed, log, cleaner=cleaner,
            evidence=lambda quote_id, evidence: shift_evidence(evidence, log[quote_id]),
            run_id=run_id,
        )
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    not_erased = erase_freed(project)
    return RedactReport(
        run_id=run_id, quotes=len(quotes), quotes_changed=len(log), redacted=summarise(log),
        evidence_moved=done.evidence_moved, suggestions_dropped=done.suggestions_dropped,
        originals_kept=redactor.keep_originals, cleaned_elsewhere=done.elsewhere, not_erased=not_erased,
        codes_renamed=done.codes_renamed,
    )
