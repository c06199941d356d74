"""Code a project's quotes with a codebook and store the suggestions with their run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.model import ModelCoder, Shortfall, combine_all
from probation_themes.coding.engine import gc_paused
from probation_themes.coding.rules import RulesCoder, TermKey, unmatched_terms
from probation_themes.coding.topics import TopicCoder
from probation_themes.errors import CoderError, StoreError
from probation_themes.models import Coding, Run
from probation_themes.store import Project, QuoteRef
from probation_themes.store.topics import coverage_by_method
from probation_themes.workflows.provenance import library_versions
from probation_themes.workflows.topics import coder_for, latest_topic_params
from probation_themes.workflows.train import training_labels

#: Methods ``code_project`` runs; ``all`` combines rules, topics and model (see combine_all).
METHODS = ("rules", "topics", "model", "all")


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
    #: topics and all: the topic coder's name and parameters (engine, k, seed …).
    topics: dict[str, object] = field(default_factory=dict)
    #: all: why topics could not be fitted (too little text), when they were left out.
    topics_skipped: str = ""
    #: Share of respondents with at least one suggestion, for every method stored in the project.
    coverage_by_method: dict[str, float] = field(default_factory=dict)

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

    ``rules`` applies the codebook's rules. ``topics`` fits the seeded topic model
    on every quote (with the engine and parameters of the project's last
    ``topics`` run for this codebook, else LDA with 5 free topics and seed 0) and
    codes a quote when a code's seeded topic reaches the threshold. ``model``
    trains a classifier on the project's human labels (see
    :func:`probation_themes.workflows.train.training_labels`: review decisions,
    plus the imported codings of ``train_coder`` if given) and codes every quote
    with it; codes with too few examples are skipped and listed in the report.
    ``all`` writes one suggestion per quote and code from rules, topics and —
    when there are human labels — the model, by the rule of
    :func:`probation_themes.coding.model.combine_all`: the model decides the
    codes it was trained for; elsewhere the rules decide where they fire, and a
    topic adds a code only where its topic dominates the quote and one of the
    code's seed words occurs in it.

    Quotes are read and codings written batch by batch inside one transaction, so
    memory stays flat on large projects and a failure keeps the earlier suggestions.
    Human decisions are stored apart and are never changed by re-coding.

    Raises:
        StoreError: the project has no quotes, or ``train_coder`` was never imported.
        CoderError: an unknown method, no human labels to learn from (``model``,
            or ``all`` with ``train_coder``), or no code with enough examples
            (the message says how many more each needs).
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
    topics: TopicCoder | None = None
    topics_skipped = ""
    if method == "topics":
        topics = _fit_topics(project, codebook, random_state)
    elif method == "all":
        try:
            topics = _fit_topics(project, codebook, random_state)
        except CoderError as exc:  # too little text for topics: `all` goes on without them
            topics_skipped = str(exc)
    if method == "model" or (method == "all" and (train_coder or _has_decisions(project, codebook))):
        model = _train(project, codebook, train_coder, n_jobs, random_state)
    rules_name = registry.default_for("rules")
    if method == "rules":
        rules = registry.get(rules_name)(n_jobs=n_jobs).fit(codebook)
        name, parameters = rules_name, rules.get_params()
        parts = _rule_parts(rules, batches)
    elif method == "topics":
        assert topics is not None
        name, parameters = topics.registry_name, _topic_params(topics)
        parts = _topic_parts(topics, batches)
    elif method == "model":
        assert model is not None
        name = model.registry_name
        parameters = {**model.get_params(), "train_coder": train_coder, "labelled_quotes": model.n_labelled_}
        parts = _model_parts(model, batches, method)
    else:
        name = "+".join(n for n in (rules_name, topics and topics.registry_name, model and model.registry_name) if n)
        parameters = {"topics": _topic_params(topics) if topics else {"skipped": topics_skipped}}
        if model is not None:
            parameters["model"] = {
                **model.get_params(), "train_coder": train_coder, "labelled_quotes": model.n_labelled_,
            }
            parts = _model_parts(model, batches, method, topics)
        else:
            parts = _rules_topic_parts(RulesCoder(n_jobs=n_jobs).fit(codebook), topics, batches, codebook.ids)
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
        topics={"coder": topics.registry_name, **_topic_params(topics)} if topics else {},
        topics_skipped=topics_skipped,
        coverage_by_method=coverage_by_method(project),
    )


_Part = tuple[list[QuoteRef], list[Coding], dict[TermKey, int]]


def _rule_parts(coder: RulesCoder, batches: Iterator[list[QuoteRef]]) -> Iterator[_Part]:
    # Each sub-batch of codings goes to the store as soon as it is built, so at most
    # one sub-batch of records is alive at a time.
    for batch in batches:
        for part in coder.iter_scan(batch):
            yield batch, part.codings, part.term_counts


def _model_parts(
    model: ModelCoder, batches: Iterator[list[QuoteRef]], method: str, topics: TopicCoder | None = None
) -> Iterator[_Part]:
    combine = method == "all"
    for scored in model.iter_score(batches, rule_codings=combine):
        codings = scored.codings
        if combine:
            ids = [q.quote_id for q in scored.quotes]
            topic_codings = topics.predict(scored.quotes) if topics is not None else []
            codings = combine_all(
                ids, scored.rule_codings, scored.codings, model.trained_codes_, model.codes_,
                topic_codings=topic_codings,
            )
        yield list(scored.quotes), codings, scored.term_counts


def _topic_parts(topics: TopicCoder, batches: Iterator[list[QuoteRef]]) -> Iterator[_Part]:
    for batch in batches:
        yield batch, topics.predict(batch), {}


def _rules_topic_parts(
    rules: RulesCoder, topics: TopicCoder | None, batches: Iterator[list[QuoteRef]], codes: list[str]
) -> Iterator[_Part]:
    for batch in batches:
        rule_codings: list[Coding] = []
        counts: Counter[TermKey] = Counter()
        for part in rules.iter_scan(batch):
            rule_codings += part.codings
            counts.update(part.term_counts)
        ids = [q.quote_id for q in batch]
        topic_codings = topics.predict(batch) if topics is not None else []
        yield batch, combine_all(ids, rule_codings, [], [], codes, topic_codings=topic_codings), counts


def _topic_params(topics: TopicCoder) -> dict[str, object]:
    return {**topics.get_params(), "engine": topics.engine, "vocabulary_size": topics.vocabulary_size_}


def _fit_topics(project: Project, codebook: Codebook, random_state: int | None) -> TopicCoder:
    """Fit the topic coder on every quote, as the project's last ``topics`` run for this codebook did."""
    engine, params = latest_topic_params(project, codebook)
    if "random_state" not in params and random_state is not None:
        params["random_state"] = random_state
    quotes = [ref for batch in project.iter_quote_refs() for ref in batch]
    return coder_for(engine, **params).fit(codebook, quotes)


def _has_decisions(project: Project, codebook: Codebook) -> bool:
    return bool(training_labels(project, codebook))


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
