"""Code a project's quotes with a codebook and store the suggestions with their run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.rules import unmatched_terms
from probation_themes.errors import StoreError
from probation_themes.models import Run
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
    batch_size: int = 50_000,
) -> CodeReport:
    """Run the coder for ``method`` over every quote, replacing that method's suggestions.

    Quotes are read and codings written batch by batch inside one transaction, so
    memory stays flat on large projects and a failure keeps the earlier suggestions.
    Human decisions are stored apart and are never changed by re-coding.
    """
    name = registry.default_for(method)
    coder = registry.get(name)(n_jobs=n_jobs)
    n_quotes = project.count_quotes()
    if not n_quotes:
        raise StoreError(
            f"The project {project.path} has no quotes to code. Ingest a file first "
            "(`probation-themes ingest FILE`).",
            path=project.path,
        )
    coder.fit(codebook)
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
    per_code: Counter[str] = Counter()
    term_counts: Counter[tuple[str, str, str]] = Counter()
    responses: set[str] = set()
    coded: set[str] = set()
    written = 0
    try:
        with project.replacing_suggestions(method, run_id=run_id) as write:
            for batch in project.iter_quote_refs(batch_size):
                responses.update(q.response_id for q in batch)
                response_of = {q.quote_id: q.response_id for q in batch}
                for part in coder.iter_scan(batch):
                    written += write(part.codings)
                    per_code.update(c.code for c in part.codings)
                    coded.update(response_of[c.quote_id] for c in part.codings)
                    term_counts.update(part.term_counts)
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    return CodeReport(
        run_id=run_id,
        method=method,
        coder=name,
        quotes=n_quotes,
        responses=len(responses),
        codings=written,
        per_code=dict(per_code),
        responses_coded=len(coded),
        unmatched=unmatched_terms(dict(term_counts)),
    )
