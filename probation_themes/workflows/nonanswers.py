"""Judge a project's quotes again for non-answers, with another list or none at all.

``ingest`` flags non-answers as it stores quotes (see :mod:`probation_themes.ingest.nonanswers`);
:func:`judge_non_answers` lets a researcher change their mind afterwards — use their own
list, or keep every quote as an answer — without ingesting again. The change is a run:
coding and topics made before it are then renewed in full by the next ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.ingest.nonanswers import NonAnswers
from probation_themes.models import Run
from probation_themes.store import Project
from probation_themes.store.nonanswers import non_answer_ids, non_answer_phrases, replace_non_answers
from probation_themes.workflows.provenance import library_versions


@dataclass
class JudgeReport:
    """What judging the quotes again changed."""

    run_id: int
    quotes: int
    non_answers: int
    flagged: int
    unflagged: int
    #: The list used (see NonAnswers.parameters), or None when every quote is kept as an answer.
    non_answer_list: dict[str, object] | None
    phrases: dict[str, int] = field(default_factory=dict)


def judge_non_answers(project: Project, non_answers: NonAnswers | None) -> JudgeReport:
    """Flag as non-answers exactly the quotes ``non_answers`` matches (None: flag none), all or nothing.

    Quotes, suggestions and review decisions are left as they are; only the flags
    change, and with them which quotes are coded and counted. The run records the
    list used and how many quotes were newly flagged and unflagged.
    """
    before = non_answer_ids(project)
    flags: dict[str, str] = {}
    total = 0
    if non_answers is not None:
        for batch in project.iter_quote_refs():
            total += len(batch)
            for ref in batch:
                phrase = non_answers.match(ref.text)
                if phrase is not None:
                    flags[ref.quote_id] = phrase
    else:
        total = project.count_quotes()
    flagged = len(flags.keys() - before)
    unflagged = len(before - flags.keys())
    run_id = project.start_run(
        Run(
            command="non-answers",
            parameters={
                "non_answers": non_answers.parameters() if non_answers is not None else {"kept": True},
                "flagged": flagged, "unflagged": unflagged, "non_answers_now": len(flags),
            },
            versions=library_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    try:
        replace_non_answers(project, flags.items(), run_id=run_id)
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    return JudgeReport(
        run_id=run_id, quotes=total, non_answers=len(flags), flagged=flagged, unflagged=unflagged,
        non_answer_list=non_answers.parameters() if non_answers is not None else None,
        phrases=non_answer_phrases(project),
    )
