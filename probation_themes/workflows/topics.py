"""Fit a topic model on a project's quotes, compare numbers of topics, promote a topic to a code.

``fit_topics`` is what ``probation-themes topics`` runs: it fits the seeded model
(:mod:`probation_themes.coding.topics`), records the run with its engine,
library versions, parameters, seed, vocabulary size and coherence, and keeps the
topics in the project so ``topics promote`` and ``code --method topics`` use the
topics the researcher saw, and ``code --method model`` reads each quote's topics
as features (:func:`topic_features`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from probation_themes.codebook import Codebook, load_codebook
from probation_themes.codebook.promote import add_code
from probation_themes.coding import registry
from probation_themes.coding.model import TopicFeatures
from probation_themes.coding.topics import Topic, TopicCoder, search_k, shares_above
from probation_themes.errors import CoderError, StoreError
from probation_themes.ingest.nonanswers import builtin_non_answers
from probation_themes.models import Quote, Run
from probation_themes.store import Project
from probation_themes.store.nonanswers import count_non_answers, non_answers_changed_after
from probation_themes.store.redactions import text_redacted_after
from probation_themes.store.topics import add_topic_shares, latest_topics_run, save_topics, topic_shares_for
from probation_themes.workflows.provenance import library_versions

#: Engines of ``topics --engine``.
ENGINES = ("lda", "nmf")

#: Most quotes a topic model is fitted on (``topics``, ``topics search``, ``code --method
#: topics|all``): larger projects fit it on a seeded random sample of this many, then infer
#: every quote's topics batch by batch. Fitting is what grows with the corpus (memory above
#: all); a sample this size finds the same themes.
TOPIC_SAMPLE = 200_000

Q = TypeVar("Q")

_NON_ANSWERS = builtin_non_answers()

#: Numbers of free topics tried by ``--k auto``.
AUTO_KS = (2, 4, 6, 8, 10, 12)

#: What a topic model needs to find a topic that is more than noise: about this many quotes,
#: and this many modelled words, for each topic (seeded and free) it is asked for.
QUOTES_PER_TOPIC = 20
TERMS_PER_TOPIC = 10
#: A redaction placeholder such as [NAME] or [NI NUMBER] in a stored topic term.
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z ]*\]")

#: Most terms of a promoted topic written as its seeds, and as suggested ``any`` terms.
PROMOTE_SEEDS = 5
PROMOTE_TERMS = 8


@dataclass
class QuoteView:
    """A representative quote of a topic, attributed only by region and organisation."""

    quote_id: str
    text: str
    region: str | None
    org: str | None
    share: float


@dataclass
class TopicView:
    """One topic as shown to the researcher (see :class:`probation_themes.coding.topics.Topic`)."""

    topic_id: int
    code: str | None
    label: str
    terms: list[str]
    weights: list[float]
    exclusive_terms: list[str]
    seeds: list[str]
    missing_seeds: list[str]
    prevalence: float
    mean_share: float
    c_v: float
    u_mass: float
    quotes: list[QuoteView] = field(default_factory=list)


@dataclass
class TopicsReport:
    """What a ``topics`` run found, and how it was configured."""

    run_id: int
    coder: str
    engine: str
    parameters: dict[str, Any]
    quotes: int
    responses: int
    vocabulary_size: int
    c_v: float
    u_mass: float
    topics: list[TopicView]
    #: For ``--k auto``: the search that chose k (one row per k tried).
    search: list[dict[str, float]] = field(default_factory=list)
    #: Quotes in the project (more than ``quotes`` when the model was fitted on a sample).
    project_quotes: int = 0
    #: What the researcher should know before reading the topics (e.g. too little text).
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return asdict(self)


def _versions() -> dict[str, str]:
    versions = library_versions()
    for name in ("gensim", "scikit-learn", "numpy", "scipy"):
        versions[name] = metadata.version(name)
    return versions


def coder_for(engine: str, **params: Any) -> TopicCoder:
    """A topic coder of the engine ``lda`` or ``nmf`` with the given parameters."""
    if engine not in ENGINES:
        raise CoderError(f"There is no topic engine {engine!r}; choose one of: {', '.join(ENGINES)}.")
    coder = registry.get(f"topics.{engine}.v1")(**params)
    assert isinstance(coder, TopicCoder)
    return coder


def fitting_sample(project: Project, batches: Iterable[Sequence[Q]], seed: int | None) -> list[Q]:
    """The quotes to fit a topic model on: every one, or a seeded sample of ``TOPIC_SAMPLE``.

    ``batches`` are the project's quotes that are not non-answers, in ingest order (as
    ``iter_quotes`` or ``iter_quote_refs`` give them with ``substantive=True``); the
    same project and seed give the same sample.
    """
    total = project.count_quotes(substantive=True)
    if total <= TOPIC_SAMPLE:
        return [q for batch in batches for q in batch]
    rng = np.random.default_rng(0 if seed is None else seed)
    keep = np.zeros(total, dtype=bool)
    keep[rng.choice(total, size=TOPIC_SAMPLE, replace=False)] = True  # places in ingest order
    picked = []
    place = 0
    for batch in batches:
        for quote in batch:
            if place < total and keep[place]:
                picked.append(quote)
            place += 1
    return picked


def project_quotes(project: Project, seed: int | None = 0) -> list[Quote]:
    """The quotes to model (every one, or a seeded sample in large projects; see :func:`fitting_sample`).

    Raises:
        StoreError: the project has no quotes (saying to ingest first).
    """
    quotes = fitting_sample(project, project.iter_quotes(substantive=True), seed)
    if not quotes and count_non_answers(project):
        raise StoreError(
            f"Every quote in the project {project.path} is a non-answer (such as 'Nothing.' or 'n/a'), "
            "so there is nothing to find topics in. List them with `probation-themes non-answers`.",
            path=project.path,
        )
    if not quotes:
        raise StoreError(
            f"The project {project.path} has no quotes to model. Ingest a file first "
            "(`probation-themes ingest FILE`).",
            path=project.path,
        )
    return quotes


def size_warning(n_quotes: int, vocabulary: int, n_seeded: int, k: int) -> str | None:
    """Say so when there is too little text for the topics asked for, and what would do.

    A topic wants about ``QUOTES_PER_TOPIC`` quotes and ``TERMS_PER_TOPIC`` modelled
    words; below that, topics are mostly noise and their top terms and quotes chance.

    Args:
        n_quotes: quotes the model was fitted on.
        vocabulary: words (and phrases) it modelled.
        n_seeded: seeded topics (one per code with seed words found).
        k: free topics asked for.
    """
    n_topics = n_seeded + k
    if n_topics == 0 or (n_quotes >= QUOTES_PER_TOPIC * n_topics and vocabulary >= TERMS_PER_TOPIC * n_topics):
        return None
    supported = min(n_quotes // QUOTES_PER_TOPIC, vocabulary // TERMS_PER_TOPIC)
    asked = f"{n_topics} topics ({n_seeded} seeded from the codebook + {k} free)" if n_seeded else f"{n_topics} topics"
    message = (
        f"{asked} from {n_quotes:,} quotes and {vocabulary:,} modelled words is too little text for that many "
        f"topics: they will be mostly noise, and their terms and quotes chance. A topic needs about "
        f"{QUOTES_PER_TOPIC} quotes and {TERMS_PER_TOPIC} modelled words, so {n_topics} topics need about "
        f"{QUOTES_PER_TOPIC * n_topics:,} quotes and {TERMS_PER_TOPIC * n_topics:,} words."
    )
    if supported >= max(2, n_seeded + 1) and n_seeded:
        return message + f" With these quotes try --k {supported - n_seeded} (at most {supported} topics in all)."
    if supported >= 2:
        return message + (
            f" With these quotes try --no-seeded --k {supported}" + (", or fewer codes with seed words" if n_seeded else "")
            + "."
        )
    return message + (
        f" These {n_quotes:,} quotes are too few for a topic model at all; code them with the codebook's "
        f"rules (`probation-themes code --method rules`) and read them in `probation-themes review`."
    )


def _view(topic: Topic, quotes: Sequence[Quote], shares) -> TopicView:
    return TopicView(
        topic_id=topic.topic_id, code=topic.code, label=topic.label, terms=list(topic.terms),
        weights=list(topic.weights), exclusive_terms=list(topic.exclusive_terms), seeds=list(topic.seeds), missing_seeds=list(topic.missing_seeds),
        prevalence=topic.prevalence, mean_share=topic.mean_share, c_v=topic.c_v, u_mass=topic.u_mass,
        quotes=[
            QuoteView(quotes[i].quote_id, quotes[i].text, quotes[i].region, quotes[i].org,
                      round(float(shares[i, topic.topic_id]), 4))
            for i in topic.quotes
            # Even in a project that keeps non-answers as answers, "Nothing comes to mind." shows nothing
            # of what a topic is about.
            if _NON_ANSWERS.match(quotes[i].text) is None
        ],
    )


def fit_topics(
    project: Project,
    codebook: Codebook,
    *,
    k: int | str = 5,
    seeded: bool = True,
    engine: str = "lda",
    seed: int = 0,
) -> TopicsReport:
    """Fit the topic model on the project's quotes, record the run and keep its topics.

    The model is fitted on every quote, or on a seeded random sample of
    ``TOPIC_SAMPLE`` of them in larger projects; then every quote's topics are
    inferred and the shares that reach the threshold are kept, so later commands
    (``stats``, the model's topic features) see every quote. Topic summaries and
    representative quotes describe the quotes fitted on.

    Args:
        project: the open project.
        codebook: the codebook whose seed words start the seeded topics.
        k: number of free topics, or ``"auto"`` to try each of ``AUTO_KS`` and
            keep the one with the best mean c_v coherence (ties: fewer topics).
        seeded: one seeded topic per code with seed words.
        engine: ``lda`` (gensim) or ``nmf`` (scikit-learn).
        seed: random seed; the same project, codebook, parameters and seed give
            the same topics, byte for byte.

    Raises:
        StoreError: the project has no quotes.
        CoderError: an unknown engine, a bad k, or nothing to model.
    """
    project.check_writable()  # refused before the model is fitted, not after
    quotes = project_quotes(project, seed)
    total = project.count_quotes(substantive=True)  # non-answers are not modelled
    through = project.last_quote_seq()
    search: list[dict[str, float]] = []
    tried: dict[int, TopicCoder] = {}
    if k == "auto":
        if engine not in ENGINES:
            raise CoderError(f"There is no topic engine {engine!r}; choose one of: {', '.join(ENGINES)}.")
        search = search_k(codebook, quotes, AUTO_KS, engine=engine, seeded=seeded, random_state=seed, fitted=tried)
        k = int(max(search, key=lambda row: (row["c_v"], -row["k"]))["k"])
    if not isinstance(k, int):
        raise CoderError(f"k={k!r} must be a whole number of free topics or 'auto'.")
    if k in tried:
        coder = tried.pop(k)
    else:
        coder = coder_for(engine, k=k, seeded=seeded, random_state=seed).fit(codebook, quotes)
    topics = [_view(t, quotes, coder.doc_topics_) for t in coder.topics_]
    parameters = {
        **coder.get_params(), "engine": engine, "vocabulary_size": coder.vocabulary_size_, "fitted_on_quotes": len(quotes),
    }
    c_v = round(sum(t.c_v for t in topics) / len(topics), 4)
    u_mass = round(sum(t.u_mass for t in topics) / len(topics), 4)
    project.save_codebook(codebook)
    run_id = project.start_run(
        Run(
            command="topics", method="topics", coder=coder.registry_name,
            parameters={**parameters, "c_v": c_v, "u_mass": u_mass, "quotes_through": through},
            codebook_name=codebook.name, codebook_version=codebook.version,
            codebook_hash=codebook.content_hash(), versions=_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    try:
        if len(quotes) == total:
            save_topics(project, run_id, [asdict(t) for t in topics], shares_above(_ids(quotes), coder.doc_topics_, coder.threshold))
        else:
            # Fitted on a sample: every quote's topics are inferred and stored batch by batch,
            # each batch in its own short transaction, so a review session writing to the
            # project meanwhile is not kept waiting for minutes. Until the run is finished
            # (below) nothing reads its shares.
            save_topics(project, run_id, [asdict(t) for t in topics], [])
            for batch in project.iter_quote_refs(substantive=True):
                add_topic_shares(project, run_id, shares_above(_ids(batch), coder.transform(batch), coder.threshold))
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    warning = size_warning(len(quotes), coder.vocabulary_size_, len(coder.seed_topics_), int(coder.k))
    return TopicsReport(
        run_id=run_id, coder=coder.registry_name, engine=engine, parameters=parameters,
        quotes=len(quotes), responses=len({q.response_id for q in quotes}), project_quotes=total,
        vocabulary_size=coder.vocabulary_size_, c_v=c_v, u_mass=u_mass, topics=topics, search=search,
        warnings=[warning] if warning else [],
    )


def _ids(quotes: Sequence[Any]) -> list[str]:
    return [q.quote_id for q in quotes]


def search_topics(
    project: Project, codebook: Codebook, ks: Sequence[int], *, seeded: bool = True, engine: str = "lda", seed: int = 0
) -> list[dict[str, float]]:
    """Fit the model for each number of free topics in ``ks`` and report coherence and exclusivity.

    Nothing is stored: run ``topics --k N`` with the chosen number afterwards.
    """
    if engine not in ENGINES:
        raise CoderError(f"There is no topic engine {engine!r}; choose one of: {', '.join(ENGINES)}.")
    return search_k(codebook, project_quotes(project, seed), ks, engine=engine, seeded=seeded, random_state=seed)


def topic_features(project: Project) -> tuple[TopicFeatures | None, str]:
    """The latest ``topics`` run's topics as model features, and what they are; or None and why not.

    The run's stored shares (each quote's topics above the run's threshold) are
    read batch by batch when the model trains and codes. They are only used when
    the run modelled every quote the project holds now and no quote was redacted
    since; otherwise the model goes without topics and the reason says what to do.
    """
    found = latest_topics_run(project)
    if found is None:
        return None, "the project has no topics run yet (`probation-themes topics` adds one)"
    run, summaries = found
    if not summaries:
        return None, f"topics run {run.run_id} kept no topics; run `probation-themes topics` again"
    through = run.parameters.get("quotes_through")
    if through is None:
        return None, (
            f"topics run {run.run_id} was made by an earlier version, which did not record the quotes it "
            "modelled; run `probation-themes topics` again to use topics"
        )
    if int(through) < project.last_quote_seq():
        return None, (
            f"topics run {run.run_id} did not model the quotes ingested after it; run "
            "`probation-themes topics` again to use topics"
        )
    judged = non_answers_changed_after(project, run.run_id)
    if judged is not None:
        return None, (
            f"non-answers were judged again (run {judged}) after topics run {run.run_id}, so it did not model "
            "the quotes coded now; run `probation-themes topics` again to use topics"
        )
    redacted = text_redacted_after(project, run.run_id)
    if redacted is not None:
        return None, (
            f"redaction run {redacted} changed quotes after topics run {run.run_id}, so its topics describe "
            "texts that changed; run `probation-themes topics` again to use topics"
        )
    if [s["topic_id"] for s in summaries] != list(range(len(summaries))):
        return None, f"topics run {run.run_id} has gaps in its topic numbers; run `probation-themes topics` again"
    names = tuple(f"topic {s['topic_id']}: {s['label']}" for s in summaries)
    run_id = run.run_id
    features = TopicFeatures(f"topics run {run_id}", names, lambda ids: topic_shares_for(project, run_id, ids))
    return features, f"{len(names)} topics of topics run {run_id}"


def latest_topic_params(project: Project, codebook: Codebook) -> tuple[str, dict[str, Any]]:
    """The engine and coder parameters of the last ``topics`` run made with this codebook.

    ``code --method topics`` uses them so it codes with the topics the researcher
    looked at; without such a run, the defaults (LDA, 5 free topics, seed 0).
    """
    found = latest_topics_run(project)
    if found is None or found[0].codebook_hash != codebook.content_hash():
        return "lda", {}
    params = dict(found[0].parameters)
    engine = params.pop("engine", "lda")
    names = set(registry.get(f"topics.{engine}.v1")._param_names())
    return engine, {k: v for k, v in params.items() if k in names}


def _codebook_terms(path: str | Path) -> set[str]:
    """Every seed and ``any`` rule term of a codebook file, lower case, as topic terms are shown."""
    book = load_codebook(path)
    terms = set()
    for code in book.codes:
        terms.update(s.lower() for s in code.seeds)
        if code.rules is not None:
            terms.update(t.lower() for t in code.rules.any)
    return terms


@dataclass
class PromoteReport:
    """What ``topics promote`` wrote."""

    path: str
    code_id: str
    label: str
    version: str
    seeds: list[str]
    any_terms: list[str]
    topic_id: int
    run_id: int


def promote_topic(project: Project, topic_id: int, *, code_id: str, label: str, codebook_path: str | Path) -> PromoteReport:
    """Write topic ``topic_id`` of the last ``topics`` run into the codebook file as a new code.

    The code gets the topic's most exclusive terms (FREX order) that are not
    already seeds or ``any`` terms of another code: the first five as seeds, the
    first eight as suggested ``any`` rule terms; and a placeholder definition; the codebook's minor version goes up
    and its comments and order are kept (see
    :func:`probation_themes.codebook.promote.add_code`).

    Raises:
        StoreError: the project has no ``topics`` run, or no such topic.
        CodebookError: the codebook cannot take the new code (see ``add_code``).
    """
    found = latest_topics_run(project)
    if found is None:
        raise StoreError(
            f"The project {project.path} has no topics to promote yet. Run `probation-themes topics` "
            "first, then promote one of the topics it lists.",
            path=project.path,
        )
    run, topics = found
    chosen = next((t for t in topics if t["topic_id"] == topic_id), None)
    if chosen is None:
        raise StoreError(
            f"The last topics run (run {run.run_id}) has no topic {topic_id}; its topics are numbered "
            f"0 to {len(topics) - 1}. Run `probation-themes topics` to see them again.",
            path=project.path,
        )
    if chosen["code"]:
        raise StoreError(
            f"Topic {topic_id} is the seeded topic of the code {chosen['code']!r}, which the codebook "
            "already has. Promote a free topic (one without a code) instead.",
            path=project.path,
        )
    taken = _codebook_terms(codebook_path)
    # A redacted word's placeholder ("[NAME]") is no theme's seed.
    fresh = [t for t in chosen["exclusive_terms"] if t not in taken and not _PLACEHOLDER.search(t)]
    seeds, any_terms = fresh[:PROMOTE_SEEDS], fresh[:PROMOTE_TERMS]
    if not seeds:
        raise StoreError(
            f"Every characteristic term of topic {topic_id} ({', '.join(chosen['exclusive_terms'])}) is already a "
            "seed or rule term of another code, so it adds no new theme; promote another topic.",
            path=project.path,
        )
    source = f"topic {topic_id} of run {run.run_id}: {chosen['label']}"
    book = add_code(codebook_path, code_id=code_id, label=label, seeds=seeds, any_terms=any_terms, source=source)
    return PromoteReport(
        path=str(codebook_path), code_id=code_id, label=label, version=book.version, seeds=seeds,
        any_terms=any_terms, topic_id=topic_id, run_id=int(run.run_id or 0),
    )
