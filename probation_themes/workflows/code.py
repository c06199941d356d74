"""Code a project's quotes with a codebook and store the suggestions with their run."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.base import CodedRows
from probation_themes.coding.combine import combine_all
from probation_themes.coding.exclusive import enforce_rows
from probation_themes.coding.model import ModelCoder, Shortfall, TopicFeatures
from probation_themes.coding.engine import gc_paused
from probation_themes.coding.rules import RuleScan, RulesCoder, TermKey, unmatched_terms
from probation_themes.coding.topics import TopicCoder
from probation_themes.errors import CoderError, StoreError
from probation_themes.models import Coding, Run
from probation_themes.store import Project, QuoteRef, SuggestionRow, suggestion_row
from probation_themes.store.nonanswers import count_non_answers, non_answers_changed_after
from probation_themes.store.redactions import text_redacted_after
from probation_themes.store.topics import coverage_by_method
from probation_themes.workflows.distributed import Engine
from probation_themes.workflows.provenance import library_versions
from probation_themes.workflows.topics import (
    coder_for, fitting_sample, latest_topic_params, size_warning, topic_features,
)
from probation_themes.workflows.train import RESPONSE_UNIT, Labels, training_labels, unit_texts

#: A batch's stored topic shares: ``{quote id: [(topic, share), ...]}``.
Shares = dict[str, list[tuple[int, float]]]

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
    #: model and all: how the model decided each code (``ModelCoder.decisions_``).
    decisions: dict[str, str] = field(default_factory=dict)
    #: model and all: each trained code's threshold, and each 'always' code's share of the coded quotes.
    thresholds: dict[str, float] = field(default_factory=dict)
    #: model and all: how the model chose each quote's codes (``set`` or ``threshold``; see ModelCoder).
    decision: str = ""
    #: model and all: of the units learned from, the respondents with several quotes read as one
    #: text (the imported coder coded whole respondents).
    joined_responses: int = 0
    #: model and all: number of labelled quotes the model learned from.
    labelled_quotes: int = 0
    #: model and all: what it learned from beyond the labels (weak labels, a representation of the text).
    aids: str = ""
    #: model and all: why an aid was not used.
    aids_notes: list[str] = field(default_factory=list)
    #: model and all: the imported coder whose codings it also learned from, if any.
    train_coder: str | None = None
    #: topics and all: the topic coder's name and parameters (engine, k, seed …).
    topics: dict[str, object] = field(default_factory=dict)
    #: all: why topics could not be fitted (too little text), when they were left out.
    topics_skipped: str = ""
    #: topics and all: a warning that there is too little text for the topics asked for.
    topics_warning: str = ""
    #: Share of respondents with at least one suggestion, for every method stored in the project.
    coverage_by_method: dict[str, float] = field(default_factory=dict)
    #: Quotes coded by this run: all of them, or only those ingested since an earlier
    #: run with the same codebook, method and training data (see code_project).
    coded_quotes: int = 0
    #: When only new quotes were coded: the earlier run whose suggestions were kept.
    kept_from_run: int | None = None
    #: The engine that ran the coder ("local" or "dask").
    engine: str = "local"
    #: model and all: the topic features the model read, or why it read none.
    topic_features: str = ""
    #: model and all: whether the model read topic features.
    used_topics: bool = False
    #: Quotes flagged as non-answers, which were not coded (and count in no figure).
    non_answers: int = 0
    #: rules: per code, the codings negation removed (its rules matched only negated words).
    negation_removed: dict[str, int] = field(default_factory=dict)
    #: rules: per code, the codings stance removed (every match was countered; codes with a polarity).
    stance_removed: dict[str, int] = field(default_factory=dict)
    #: rules: per code, the matches negation set aside, whether or not the code fired on others.
    negated_matches: dict[str, int] = field(default_factory=dict)
    #: Per single-choice group: the suggestions set aside because a quote had a more likely code of the group.
    single_choice_removed: dict[str, int] = field(default_factory=dict)

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
    engine: Engine | None = None,
    full: bool = False,
    use_topics: bool = True,
    min_precision: float | None = None,
    decision: str | None = None,
) -> CodeReport:
    """Run the coder for ``method`` over every quote, replacing that method's suggestions.

    ``rules`` applies the codebook's rules. ``topics`` fits the seeded topic model
    on every quote — on a random sample of ``topics.TOPIC_SAMPLE`` quotes in larger
    projects — (with the engine and parameters of the project's last ``topics``
    run for this codebook, else LDA with 5 free topics and seed 0), infers every
    quote's topics and codes a quote when a code's seeded topic reaches the
    threshold. ``model``
    trains a classifier on the project's human labels (see
    :func:`probation_themes.workflows.train.training_labels`: review decisions,
    plus the imported codings of ``train_coder`` if given) and codes every quote
    with it; codes with too few examples are skipped and listed in the report.
    The model also reads each quote's topics from the project's latest ``topics``
    run when that run modelled every quote (see
    :func:`probation_themes.workflows.topics.topic_features`; ``use_topics=False``
    leaves them out). ``all`` writes one suggestion per quote and code from rules, topics and —
    when there are human labels — the model, by the rule of
    :func:`probation_themes.coding.combine.combine_all`: the model decides the
    codes it was trained for; elsewhere the rules decide where they fire, and a
    topic adds a code only where its topic dominates the quote and one of the
    code's seed words occurs in it.

    Quotes are read and codings written batch by batch inside one transaction, so
    memory stays flat on large projects and a failure keeps the earlier suggestions.
    Human decisions are stored apart and are never changed by re-coding.

    Coding is incremental for ``rules`` and ``model``: when the method's last run
    used the same codebook, coder and training labels, only the quotes ingested
    since are coded and the earlier suggestions kept (they would come out the
    same); ``full`` codes every quote regardless. Topics are refitted each time,
    so ``topics`` and ``all`` always code everything.

    An ``engine`` (see :mod:`probation_themes.workflows.distributed`) runs the fitted
    coder over the batches, e.g. on a Dask cluster; this process fits, reads and
    writes, and the suggestions are identical to local coding.

    Raises:
        StoreError: the project has no quotes, or ``train_coder`` was never imported.
        CoderError: an unknown method, no human labels to learn from (``model``,
            or ``all`` with ``train_coder``), or no code with enough examples
            (the message says how many more each needs).
    """
    if method not in METHODS:
        raise CoderError(f"There is no coding method {method!r}; choose one of: {', '.join(METHODS)}.")
    n_quotes = project.count_quotes(substantive=True)
    if not n_quotes:
        flagged = count_non_answers(project)
        if flagged:
            raise StoreError(
                f"Every one of the {flagged:,} quotes in the project {project.path} is a non-answer (such as "
                "'Nothing.' or 'n/a'), and non-answers are not coded. List them with "
                "`probation-themes non-answers`; to code them anyway, keep them with "
                "`probation-themes non-answers judge --keep-non-answers`.",
                path=project.path,
            )
        raise StoreError(
            f"The project {project.path} has no quotes to code. Ingest a file first "
            "(`probation-themes ingest FILE`).",
            path=project.path,
        )
    # Before any model is fitted: a project that must not change is refused at once. Coding
    # every quote again is the repair for evidence out of line, so it may run then.
    project.check_writable(renewing=full or method in ("topics", "all"))
    model: ModelCoder | None = None
    labels_hash = ""
    topics: TopicCoder | None = None
    topics_skipped = ""
    if method == "topics":
        topics = _fit_topics(project, codebook, random_state)
    elif method == "all":
        try:
            topics = _fit_topics(project, codebook, random_state)
        except CoderError as exc:  # too little text for topics: `all` goes on without them
            topics_skipped = str(exc)
    labels = training_labels(project, codebook, coder=train_coder, responses=True) if method in ("model", "all") else {}
    topic_input: TopicFeatures | None = None
    topics_note = ""
    if method == "model" or (method == "all" and (train_coder or labels)):
        topic_input, topics_note = topic_features(project) if use_topics else (None, "left out on request")
        model, labels_hash = _train(
            project, codebook, labels, train_coder, n_jobs, random_state, topic_input, min_precision, decision
        )
        if not model.topic_names_:
            topic_input = None
    rules_name = registry.default_for("rules")
    if engine is not None:  # each worker codes its batch alone; the engine spreads the batches
        n_jobs = 1
        for coder in (model, topics):
            if coder is not None and "n_jobs" in coder.get_params():
                coder.set_params(n_jobs=1)
    rules = registry.get(rules_name)(n_jobs=n_jobs).fit(codebook) if method in ("rules", "all") and not model else None
    if method == "rules":
        name, parameters = rules_name, rules.get_params()
    elif method == "topics":
        assert topics is not None
        name, parameters = topics.registry_name, _topic_params(topics)
    elif method == "model":
        assert model is not None
        name = model.registry_name
        parameters = _model_params(model, train_coder)
    else:
        name = "+".join(n for n in (rules_name, topics and topics.registry_name, model and model.registry_name) if n)
        parameters = {"topics": _topic_params(topics) if topics else {"skipped": topics_skipped}}
        if model is not None:
            parameters["model"] = _model_params(model, train_coder)
    scorer = _Scorer(method, codebook.ids, rules, topics, model, topic_features=topic_input)
    if method == "model" and engine is None and _rules_stored(project, codebook, random_state):
        # The project's rule suggestions are current for this codebook: the model's rule
        # features are read from them instead of matching the rules again.
        scorer.rules_fired = lambda batch: project.suggested_codes("rules", (q.quote_id for q in batch))
    # What must match for earlier suggestions to be kept: the coder and what it learned from.
    fingerprint = _fingerprint(
        name, codebook.content_hash(), labels_hash, train_coder, random_state,
        *([topic_input.source] if topic_input is not None else []),
        *([{"min_precision": min_precision}] if model is not None and min_precision is not None else []),
        *([{"decision": model.decision_}] if model is not None else []),
    )
    through = project.last_quote_seq()
    earlier = None if full or method in ("topics", "all") else _reusable_run(project, method, fingerprint)
    after = int(earlier.parameters["quotes_through"]) if earlier else 0
    parameters = {**parameters, "fingerprint": fingerprint, "quotes_through": through, "coded_after": after}
    # Non-answers are not coded: they stay in the project, out of every count.
    coded_quotes = project.count_quotes(after=after, until=through, substantive=True)
    batches = project.iter_quote_refs(batch_size, after=after, until=through, substantive=True)
    if engine is None:
        parts = scorer.local_parts(batches, coded_quotes)
    else:
        # The workers cannot read the project: each batch travels with its stored topic shares.
        shipped = replace(scorer, topic_features=None)
        work = ((batch, _shares(topic_input, batch)) for batch in batches)
        parts = (CodedRows(item[0], *result) for item, result in engine.map(_score, work, shipped))
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
    removed: dict[str, Counter[str]] = {
        "negation": Counter(), "stance": Counter(), "negated_matches": Counter(), "single_choice": Counter()}
    groups = codebook.single_choice_groups()
    term_counts: Counter[TermKey] = Counter()
    responses: set[str] = set()
    coded: set[str] = set()
    written = 0
    try:
        with gc_paused(), project.replacing_suggestions(
            method, run_id=run_id, keep_existing=bool(earlier), ids_from_project=True
        ) as write:
            for part in parts:
                quotes = part.quotes
                responses.update([q.response_id for q in quotes])
                # Every method keeps at most one code of a single-choice group per quote.
                rows, lost = enforce_rows(part.rows, groups)
                removed["single_choice"].update(lost)
                written += write.rows(rows)
                if part.blocked:
                    write.blocked(part.blocked)
                for why, counts in part.removed.items():
                    removed[why].update(counts)
                per_code.update([row[1] for row in rows])
                coded.update([quotes[i].response_id for i in part.coded])
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
        # Counts over only the new quotes would call most terms unmatched: left out then.
        unmatched=unmatched_terms(dict(term_counts)) if method != "model" and not earlier else [],
        trained=list(model.trained_codes_) if model else [],
        skipped=dict(model.skipped_codes_) if model else {},
        decisions=dict(model.decisions_) if model else {},
        thresholds=_shown_thresholds(model) if model else {},
        decision=model.decision_ if model else "",
        labelled_quotes=model.n_labelled_ if model else 0,
        aids=model.aids_.describe() if model else "",
        aids_notes=list(model.aids_.notes) if model else [],
        joined_responses=sum(1 for k in labels if k.startswith(RESPONSE_UNIT)) if model else 0,
        train_coder=train_coder,
        topics={"coder": topics.registry_name, **_topic_params(topics)} if topics else {},
        topics_skipped=topics_skipped,
        topics_warning=(size_warning(topics.n_quotes_, topics.vocabulary_size_, len(topics.seed_topics_), int(topics.k))
                        or "") if topics else "",
        coverage_by_method=coverage_by_method(project),
        coded_quotes=coded_quotes,
        kept_from_run=earlier.run_id if earlier else None,
        engine=engine.name if engine is not None else "local",
        topic_features=topics_note,
        used_topics=topic_input is not None,
        non_answers=count_non_answers(project),
        negation_removed=dict(removed["negation"]),
        stance_removed=dict(removed["stance"]),
        negated_matches=dict(removed["negated_matches"]),
        single_choice_removed=dict(removed["single_choice"]),
    )


def _rows(quotes: Sequence[QuoteRef], codings: list[Coding]) -> tuple[list[SuggestionRow], list[int]]:
    """Codings as store rows, with the positions of the quotes they code."""
    position = {q.quote_id: i for i, q in enumerate(quotes)}
    rows = [suggestion_row(c) for c in codings]
    return rows, list(dict.fromkeys(position[c.quote_id] for c in codings))


@dataclass
class _Scorer:
    """The fitted coders of one method, applied to a batch of quotes here or on an engine's worker."""

    method: str
    codes: list[str]
    rules: RulesCoder | None = None
    topics: TopicCoder | None = None
    model: ModelCoder | None = None
    #: model, locally: where the rules fired on a batch's quotes, read from the store.
    rules_fired: Callable[[Sequence[QuoteRef]], Mapping[str, list[str]]] | None = None
    #: model, locally: the stored topic shares the model was trained with (None: no topic features).
    topic_features: TopicFeatures | None = None

    def __call__(
        self, batch: list[QuoteRef], shares: Shares | None = None
    ) -> tuple[list[SuggestionRow], list[int], dict[TermKey, int], list[SuggestionRow], dict[str, Counter]]:
        """Store rows, coded positions, rule-term counts, blocked rows and removal counts of one batch.

        ``shares``: the batch's stored topic shares, when the model reads topics
        and this runs where the project cannot be read (an engine's worker).
        """
        if self.method == "rules":
            # One chunk for the whole batch, coded in this process (the engine spreads batches).
            part = next(self.rules.iter_rows([batch], n_quotes=len(batch), chunk_size=max(1, len(batch))))
            return part.rows, part.coded, part.term_counts, part.blocked, part.removed
        codings, counts, removed = self._codings(batch, shares)
        return (*_rows(batch, codings), counts, [], removed)

    def _topics_for(self, shares: Shares | None) -> TopicFeatures | None:
        model = self.model
        if shares is None or model is None or not model.topic_names_:
            return self.topic_features
        return TopicFeatures(model.topic_source_, tuple(model.topic_names_), lambda ids: shares)

    def _codings(
        self, batch: list[QuoteRef], shares: Shares | None = None
    ) -> tuple[list[Coding], dict[TermKey, int], dict[str, Counter]]:
        if self.model is not None:
            scored = next(self.model.iter_score(
                iter([batch]), rule_codings=self.method == "all", topics=self._topics_for(shares)
            ))
            return self._model_codings(scored), scored.term_counts, {}
        if self.method == "topics":
            return self.topics.predict(batch), {}, {}
        scan = self.rules.scan(batch)
        return self._with_topics(batch, scan), scan.term_counts, {"single_choice": scan.single_choice_removed}

    def local_parts(self, batches: Iterator[list[QuoteRef]], n_quotes: int) -> Iterator[CodedRows]:
        """Every batch coded in this process, using the coders' own worker processes."""
        if self.method == "model":
            # The model's workers score several batches at once and encode the rows themselves.
            for part in self.model.iter_rows(batches, rules_fired=self.rules_fired, topics=self.topic_features):
                yield part
        elif self.model is not None:
            for scored in self.model.iter_score(
                batches, rule_codings=self.method == "all", topics=self.topic_features
            ):
                quotes = list(scored.quotes)
                yield CodedRows(quotes, *_rows(quotes, self._model_codings(scored)), scored.term_counts)
        elif self.method == "topics":
            for batch in batches:
                yield CodedRows(batch, *_rows(batch, self.topics.predict(batch)), {})
        elif self.method == "rules":
            # Workers started once for the whole stream encode the rows themselves; each
            # chunk goes to the store as soon as it comes back.
            for part in self.rules.iter_rows(batches, n_quotes=n_quotes):
                yield part
        else:
            for batch in batches:
                yield CodedRows(batch, *self(batch))

    def _model_codings(self, scored) -> list[Coding]:
        if self.method != "all":
            return scored.codings
        model = self.model
        rules = getattr(model, "rules_", None)
        texts = {q.quote_id: q.text for q in scored.quotes}
        return combine_all(
            [q.quote_id for q in scored.quotes], scored.rule_codings, scored.codings, model.trained_codes_,
            model.codes_, topic_codings=self.topics.predict(scored.quotes) if self.topics is not None else [],
            set_aside=(lambda quote_id, code, spans: rules.sets_aside(texts[quote_id], code, spans)) if rules else None,
        )

    def _with_topics(self, batch: list[QuoteRef], scan: RuleScan) -> list[Coding]:
        if self.method != "all":
            return scan.codings
        topic_codings = self.topics.predict(batch) if self.topics is not None else []
        texts = {q.quote_id: q.text for q in batch}
        return combine_all(
            [q.quote_id for q in batch], scan.codings, [], [], self.codes, topic_codings=topic_codings,
            blocked={(b.quote_id, b.code) for b in scan.blocked},
            set_aside=lambda quote_id, code, spans: self.rules.sets_aside(texts[quote_id], code, spans),
        )


def _score(
    item: tuple[list[QuoteRef], Shares | None], scorer: _Scorer
) -> tuple[list[SuggestionRow], list[int], dict[TermKey, int], list[SuggestionRow], dict[str, Counter]]:
    batch, shares = item
    return scorer(batch, shares)


def _shares(topics: TopicFeatures | None, batch: Sequence[QuoteRef]) -> Shares | None:
    """The stored topic shares of a batch's quotes, to send with it (None without topic features)."""
    if topics is None:
        return None
    return {k: list(v) for k, v in topics.shares([q.quote_id for q in batch]).items()}


def _model_params(model: ModelCoder, train_coder: str | None) -> dict[str, object]:
    """What a run records about its model: parameters, what it learned from and its topic features."""
    return {
        **model.get_params(), "train_coder": train_coder, "labelled_quotes": model.n_labelled_,
        "topic_features": model.topic_source_, "decisions": dict(model.decisions_),
        "thresholds": _shown_thresholds(model), "learned_from": model.aids_.as_dict(),
    }


def _shown_thresholds(model: ModelCoder) -> dict[str, float]:
    """Each trained code's threshold; for a code suggested everywhere, its share of the coded quotes."""
    return {c: model.constants_.get(c, t) for c, t in model.thresholds_.items()}


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _reusable_run(project: Project, method: str, fingerprint: str) -> Run | None:
    """The method's last run, when it completed with the same fingerprint (its suggestions still stand).

    After a redaction that changed quote texts, every quote is coded again.
    """
    runs = project.runs()
    last = next((r for r in reversed(runs) if r.command == "code" and r.method == method), None)
    if last is None or last.status != "done" or last.parameters.get("fingerprint") != fingerprint:
        return None
    if text_redacted_after(project, last.run_id) is not None:
        return None
    if non_answers_changed_after(project, last.run_id) is not None:  # other quotes are to be coded now
        return None
    return last if "quotes_through" in last.parameters else None


def _rules_stored(project: Project, codebook: Codebook, random_state: int | None) -> bool:
    """Whether the stored rule suggestions are what the codebook's rules find in every quote now.

    True when the last rules run used this codebook, its suggestions still stand
    (no redaction or judging of non-answers since) and it covered every quote ingested so far.
    """
    fingerprint = _fingerprint(registry.default_for("rules"), codebook.content_hash(), "", None, random_state)
    run = _reusable_run(project, "rules", fingerprint)
    return run is not None and int(run.parameters["quotes_through"]) >= project.last_quote_seq()


def _topic_params(topics: TopicCoder) -> dict[str, object]:
    return {
        **topics.get_params(), "engine": topics.engine, "vocabulary_size": topics.vocabulary_size_,
        "fitted_on_quotes": topics.n_quotes_,
    }


def _fit_topics(project: Project, codebook: Codebook, random_state: int | None) -> TopicCoder:
    """Fit the topic coder as the project's last ``topics`` run for this codebook did.

    It is fitted on every quote, or on a random sample of ``topics.TOPIC_SAMPLE`` of them
    (seeded by ``random_state``) in larger projects; either way every quote's
    topics are then inferred, batch by batch.
    """
    engine, params = latest_topic_params(project, codebook)
    if "random_state" not in params and random_state is not None:
        params["random_state"] = random_state
    # The sample is drawn with the seed the topics run used, so its topics come out again.
    quotes = fitting_sample(
        project, project.iter_quote_refs(substantive=True), params.get("random_state", random_state)
    )
    return coder_for(engine, **params).fit(codebook, quotes)


#: Most quotes a project may hold for the model to read character n-grams as well as words.
CHAR_NGRAMS_MAX_QUOTES = 200_000


def _train(
    project: Project, codebook: Codebook, labels: Labels, train_coder: str | None, n_jobs: int | None,
    random_state: int | None, topics: TopicFeatures | None = None, min_precision: float | None = None,
    decision: str | None = None,
) -> tuple[ModelCoder, str]:
    """Fit the model on the project's human labels (and topics, if given); returns it with a fingerprint.

    The fingerprint is of the labels and, when the model learned from uncoded quotes too
    (weak labels kept, or a representation of the text), of which quotes those were: a
    later run may keep this run's suggestions only if its model learned from the same.
    """
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
    quotes = unit_texts(project, labels)
    # Character n-grams read misspellings and word endings (4-11 points of sample F1 on the ANES
    # sets) but score ~3.5x slower per quote; past CHAR_NGRAMS_MAX_QUOTES quotes the model reads
    # words only, so a million quotes are still scored within a minute.
    n_quotes = project.count_quotes(substantive=True)
    chars = n_quotes <= CHAR_NGRAMS_MAX_QUOTES
    model = registry.get(registry.default_for("model"))(
        n_jobs=n_jobs, random_state=random_state, min_precision=min_precision, char_ngrams=chars,
        **({"decision": decision} if decision is not None else {}),
    )
    # A representation of the text costs scoring time on every quote: none in large projects.
    dropped = n_quotes > REPRESENTATION_MAX_QUOTES and model.get_params().get("representation", "none") != "none"
    if dropped:
        model.set_params(representation="none")
    # The quotes nobody coded: weak labels from the rules (and the representation's text).
    uncoded = uncoded_sample(project, labels, random_state)
    model.fit(codebook, quotes, labels=labels, topics=topics, unlabelled=uncoded)
    if dropped:
        model.aids_.notes.append(
            f"no text representation: the project holds more than {REPRESENTATION_MAX_QUOTES:,} quotes"
        )
    sample = sorted(r.quote_id for r in uncoded) if model.aids_.used_uncoded else []
    return model, _fingerprint(sorted((q, sorted(c.items())) for q, c in labels.items()), sample)


#: Most quotes a project may hold for the model to read an LSA representation of its text
#: (it costs scoring time on every quote).
REPRESENTATION_MAX_QUOTES = 100_000

#: Most uncoded quotes the model reads while it learns: a seeded sample in larger projects.
UNCODED_SAMPLE = 50_000


def uncoded_sample(project: Project, labels: Labels, seed: int | None) -> list[QuoteRef]:
    """The project's quotes nobody labelled (nor their respondents, as a whole): all, or a seeded sample.

    The same project, labels and seed give the same sample.
    """
    total = project.count_quotes(substantive=True)
    keep = None
    if total > UNCODED_SAMPLE:
        rng = np.random.default_rng(0 if seed is None else seed)
        keep = np.zeros(total, dtype=bool)
        keep[rng.choice(total, size=UNCODED_SAMPLE, replace=False)] = True
    units = {k[len(RESPONSE_UNIT):] for k in labels if k.startswith(RESPONSE_UNIT)}
    picked: list[QuoteRef] = []
    place = 0
    for batch in project.iter_quote_refs(substantive=True):
        for ref in batch:
            chosen = keep is None or (place < total and keep[place])
            if chosen and ref.quote_id not in labels and ref.response_id not in units:
                picked.append(ref)
            place += 1
    return picked
