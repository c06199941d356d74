"""Code a project's quotes with a codebook and store the suggestions with their run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.rules import RulesCoder, unmatched_terms
from probation_themes.errors import StoreError
from probation_themes.models import Coding, Run
from probation_themes.store import Project
from probation_themes.workflows.provenance import library_versions


@dataclass
class CodeReport:
    """What a coding run wrote, and what the researcher should look at."""

    run_id: int
    method: str
    coder: str
    quotes: int
    responses: int
    codings: int
    per_code: dict[str, int]
    responses_coded: int
    unmatched: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        """Share of responses with at least one code from this method."""
        return self.responses_coded / self.responses if self.responses else 0.0


def code_project(
    project: Project,
    codebook: Codebook,
    *,
    method: str = "rules",
    n_jobs: int | None = None,
) -> CodeReport:
    """Run the coder for ``method`` over every quote, replacing that method's suggestions.

    Human decisions are stored apart and are never changed by re-coding.
    """
    name = registry.default_for(method)
    coder = registry.get(name)(n_jobs=n_jobs) if method == "rules" else registry.get(name)()
    quotes = project.quotes()
    if not quotes:
        raise StoreError(
            f"The project {project.path} has no quotes to code. Ingest a file first "
            "(`probation-themes ingest FILE`).",
            path=project.path,
        )
    coder.fit(codebook, quotes)
    project.save_codebook(codebook)
    run_id = project.start_run(
        Run(
            command="code",
            method=method,
            coder=name,
            parameters=coder.get_params(),
            codebook_name=codebook.name,
            codebook_version=codebook.version,
            codebook_hash=codebook.content_hash(),
            versions=library_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    try:
        unmatched: list[tuple[str, str, str]] = []
        if isinstance(coder, RulesCoder):
            scan = coder.scan(quotes)
            codings: list[Coding] = scan.codings
            unmatched = unmatched_terms(scan.term_counts)
        else:
            codings = coder.predict(quotes)
        written = project.replace_suggestions(method, codings, run_id=run_id)
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    response_of = {q.quote_id: q.response_id for q in quotes}
    return CodeReport(
        run_id=run_id,
        method=method,
        coder=name,
        quotes=len(quotes),
        responses=len(set(response_of.values())),
        codings=written,
        per_code=dict(Counter(c.code for c in codings)),
        responses_coded=len({response_of[c.quote_id] for c in codings}),
        unmatched=unmatched,
    )
