"""Code a project's quotes with a codebook and store the suggestions with their run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.model import ModelCoder, Shortfall
from probation_themes.coding.engine import gc_paused
from probation_themes.coding.rules import RulesCoder, TermKey, unmatched_terms
from probation_themes.errors import CoderError, StoreError
from probation_themes.models import Coding, Run
from probation_themes.store import Project, QuoteRef
from probation_themes.workflows.provenance import library_versions
from probation_themes.workflows.train import training_labels

#: Methods ``code_project`` runs; ``all`` combines rules and model (see combine_all).
METHODS = ("rules", "model", "all")


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
    #: model and all: codes the model was trained for, in codebook order.
    trained: list[str] = field(default_factory=list)
    #: model and all: codes with too few coded examples, and how many more each needs.
    skipped: dict[str, Shortfall] = field(default_factory=dict)
    #: model and all: number of labelled quotes the model learned from.
    labelled_quotes: int = 0
    #: model and all: the imported coder whose codings it also learned from, if any.
    train_coder: str | None = None

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
    train_coder: str | None = None,
    random_state: int | None = 0,
) -> CodeReport:
    """Run the coder for ``method`` over every quote, replacing that method's suggestions.

    ``rules`` applies the codebook's rules. ``model`` trains a classifier on the
    project's human labels (see :func:`probation_themes.workflows.train.training_labels`:
    review decisions, plus the imported codings of ``train_coder`` if given) and
    codes every quote with it; codes with too few examples are skipped and
    listed in the report. ``all`` writes one suggestion per quote and code from
    rules and model together, by the rule of
    :func:`probation_themes.coding.model.combine_all`: where the model was
    trained for a code it decides, elsewhere the rules do.

    Quotes are read and codings written batch by batch inside one transaction, so
    memory stays flat on large projects and a failure keeps the earlier suggestions.
    Human decisions are stored apart and are never changed by re-coding.

    Raises:
        StoreError: the project has no quotes, or ``train_coder`` was never imported.
        CoderError: an unknown method, no human labels to learn from, or no
            code with enough examples (the message says how many more each needs).
    """
    if method not in METHODS:
        raise CoderError(f"There is no coding method {method!r}; choose one of: {', '.join(METHODS)}.")
    n_quotes = project.count_quotes()
    if not n_quotes:
        raise StoreError(
            f"The project {project.path} has no quotes to code. Ingest a file first "
            "(`probation-themes ingest FILE`).",
            path=project.path,
        )
    batches = project.iter_quote_refs(batch_size)
    model: ModelCoder | None = None
    if method == "rules":
        name = registry.default_for("rules")
        rules = registry.get(name)(n_jobs=n_jobs).fit(codebook)
        parameters = rules.get_params()
        parts = _rule_parts(rules, batches)
    else:
        model = _train(project, codebook, train_coder, n_jobs, random_state)
        name = model.registry_name if method == "model" else f"{registry.default_for('rules')}+{model.registry_name}"
        parameters = {**model.get_params(), "train_coder": train_coder, "labelled_quotes": model.n_labelled_}
        parts = _model_parts(model, batches, method)
    project.save_codebook(codebook)
    run_id = project.start_run(
        Run(
            command="code",
            method=method,
            coder=name,
            parameters=parameters,
            codebook_name=codebook.name,
            codebook_version=codebook.version,
            codebook_hash=codebook.content_hash(),
            versions=library_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    per_code: Counter[str] = Counter()
    term_counts: Counter[TermKey] = Counter()
    responses: set[str] = set()
    coded: set[str] = set()
    written = 0
    try:
        with gc_paused(), project.replacing_suggestions(method, run_id=run_id) as write:
            for quotes, codings, counts in parts:
                responses.update(q.response_id for q in quotes)
                response_of = {q.quote_id: q.response_id for q in quotes}
                written += write(codings)
                per_code.update(c.code for c in codings)
                coded.update(response_of[c.quote_id] for c in codings)
                term_counts.update(counts)
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
        unmatched=unmatched_terms(dict(term_counts)) if method != "model" else [],
        trained=list(model.trained_codes_) if model else [],
        skipped=dict(model.skipped_codes_) if model else {},
        labelled_quotes=model.n_labelled_ if model else 0,
        train_coder=train_coder,
    )


_Part = tuple[list[QuoteRef], list[Coding], dict[TermKey, int]]


def _rule_parts(coder: RulesCoder, batches: Iterator[list[QuoteRef]]) -> Iterator[_Part]:
    # Each sub-batch of codings goes to the store as soon as it is built, so at most
    # one sub-batch of records is alive at a time.
    for batch in batches:
        for part in coder.iter_scan(batch):
            yield batch, part.codings, part.term_counts


def _model_parts(model: ModelCoder, batches: Iterator[list[QuoteRef]], method: str) -> Iterator[_Part]:
    combine = method == "all"
    for scored in model.iter_score(batches, rule_codings=combine):
        yield list(scored.quotes), scored.combined if combine else scored.codings, scored.term_counts


def _train(
    project: Project, codebook: Codebook, train_coder: str | None, n_jobs: int | None, random_state: int | None
) -> ModelCoder:
    """Fit the model on the project's human labels (streaming the labelled quotes' texts)."""
    labels = training_labels(project, codebook, coder=train_coder)
    if not labels:
        source = f"no review decisions and no codings from {train_coder!r} for" if train_coder else (
            "no review decisions about"
        )
        raise CoderError(
            f"There is nothing for the model to learn from yet: the project has {source} the codes "
            f"of {codebook.name!r}. Accept or reject suggestions in `probation-themes review`, or "
            "import a coder's codings with `probation-themes import-codings FILE --coder NAME` and "
            "pass --train-coder NAME; until then use --method rules."
        )
    quotes = [ref for batch in project.iter_quote_refs() for ref in batch if ref.quote_id in labels]
    model = registry.get(registry.default_for("model"))(n_jobs=n_jobs, random_state=random_state)
    return model.fit(codebook, quotes, labels=labels)
