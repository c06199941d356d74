"""Agreement between two coders: per code and overall, with bootstrap intervals.

A *coder* is anyone (or anything) that said, for a set of units, which codes
apply: a person whose codings were imported, a person who reviewed suggestions,
or one of the machine's methods. Two coders are compared on the units both
covered, code by code, as 0/1 decisions.

Uncoded text does not count as agreement: a unit to which neither coder applied
any code at all is left out unless the caller asks for it (QDA tools that count
such text as agreement report near-perfect agreement on mostly uncoded data).

The statistics themselves are in :mod:`probation_themes.workflows.agreement_stats`
(scikit-learn's ``cohen_kappa_score``, the ``krippendorff`` package, and a
vectorised bootstrap: a thousand resamples of ten thousand units take a second
or so); single-label figures of single-choice groups in
:mod:`probation_themes.workflows.single_choice`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from probation_themes.codebook import Codebook, SingleChoiceGroup
from probation_themes.errors import CodebookError, StoreError
from probation_themes.workflows.single_choice import GroupAgreement, group_agreement
from probation_themes.store import Project
from probation_themes.store.nonanswers import non_answer_units
from probation_themes.workflows.agreement_stats import (  # noqa: F401  (re-exported)
    _STATISTICS,
    CodeAgreement,
    Counts,
    Estimate,
    agreement_statistics,
    cohen_kappa,
    krippendorff_alpha,
    rates_from_counts,
)

Level = Literal["response", "quote"]
CoderKind = Literal["imported", "reviewer", "method"]

#: Machine methods that can stand in for a coder.
METHODS: tuple[str, ...] = ("rules", "topics", "model", "all")
#: Prefixes that pick a kind of coder when a name is used for more than one.
PREFIXES: dict[str, CoderKind] = {
    "import": "imported", "imported": "imported", "review": "reviewer", "reviewer": "reviewer", "method": "method",
}
#: The prefix that names each kind of coder, and how the kind is described.
PREFIX_OF: dict[CoderKind, str] = {"imported": "import", "reviewer": "review", "method": "method"}
KIND_NAMES: dict[CoderKind, str] = {
    "imported": "an imported coder", "reviewer": "a reviewer", "method": "a coding method",
}
WHAT: dict[CoderKind, str] = {
    "imported": "imported codings", "reviewer": "review decisions", "method": "machine suggestions",
}

@dataclass(frozen=True)
class CoderLabels:
    """One coder's judgements: the units they covered and the (unit, code) pairs they applied."""

    name: str
    kind: CoderKind
    level: Level
    units: frozenset[str]
    positives: frozenset[tuple[str, str]]
    #: Other kinds of coder the same name belongs to, when it was given without a prefix.
    also: tuple[CoderKind, ...] = ()
    #: The days an imported coder's dated codings were made (first, last), where their file dated them.
    coded_days: tuple[str, str] | None = None

    def describe(self, compared_at: Level | None = None) -> str:
        """How the coder is described in reports, saying whether quotes were rolled up and when they coded."""
        rolled = ", rolled up to responses" if compared_at == "response" and self.level == "quote" else ""
        days = self.coded_days
        when = "" if days is None else f", coded on {days[0]}" if days[0] == days[1] else f", coded {days[0]} to {days[1]}"
        return f"{self.name} ({WHAT[self.kind]}, {self.level} level{rolled}{when})"

    def choice_note(self, role: str) -> str | None:
        """When the name belongs to several coders: which one was used, and how to pick another."""
        if not self.also:
            return None
        kinds = [self.kind, *self.also]
        listed = " and ".join(KIND_NAMES[k] for k in kinds)
        others = " or ".join(f"--coder {PREFIX_OF[k]}:{self.name}" for k in self.also)
        return (
            f"{self.name!r} is both {listed} in this project; {role} is {self.name}'s {WHAT[self.kind]} "
            f"(the first in the order imported, reviewer, method). Give {others} to compare the "
            f"{' or '.join(WHAT[k] for k in self.also)} instead, or --coder {PREFIX_OF[self.kind]}:{self.name} "
            "to say which you mean."
        )


@dataclass(frozen=True)
class AgreementReport:
    """Agreement of coder B with coder A, per code in codebook order and pooled."""

    coder_a: str
    coder_b: str
    description_a: str
    description_b: str
    level: Level
    units_compared: int
    uncoded_excluded: int
    include_uncoded: bool
    only_a: int
    only_b: int
    resamples: int
    seed: int | None
    codes: list[CodeAgreement]
    overall: CodeAgreement
    #: Which of several coders of one name was used, and how to choose another.
    notes: list[str] = field(default_factory=list)
    #: Units left out because they are non-answers ("Nothing.", "n/a"): quotes flagged as
    #: such, or responses whose every quote is one.
    non_answers_excluded: int = 0
    #: Single-label figures per single-choice group of the codebook (accuracy, macro-F1, kappa).
    single_choice: list[GroupAgreement] = field(default_factory=list)


# -- coders from a project ----------------------------------------------------------


def available_coders(project: Project) -> dict[str, list[str]]:
    """Who can be compared in this project: imported coders, reviewers, and methods that have run.

    Returns:
        ``{"imported": [...], "reviewer": [...], "method": [...]}``.
    """
    ran = {r.method for r in project.runs() if r.command == "code" and r.status == "done"}
    ran |= set(project.suggestion_counts())
    return {
        "imported": project.coders(),
        "reviewer": project.decision_coders(),
        "method": [m for m in METHODS if m in ran],
    }


def _unknown_coder(project: Project, name: str, available: dict[str, list[str]]) -> StoreError:
    listed = "; ".join(
        f"{label}: {', '.join(names) if names else 'none'}"
        for label, names in (
            ("imported coders", available["imported"]),
            ("reviewers", available["reviewer"]),
            ("methods that have coded this project", available["method"]),
        )
    )
    return StoreError(
        f"There is no coder called {name!r} in the project {project.path}. Available are {listed} "
        f"(any of the methods {', '.join(METHODS)} can be compared once it has coded the project). "
        "Import a coder with `probation-themes import-codings FILE --coder NAME`, code with "
        "`probation-themes code --codebook FILE --method METHOD`, or pick one of the names above; "
        "where a name is used twice, say which you mean with import:NAME, review:NAME or method:NAME.",
        path=project.path,
    )


def load_coder(project: Project, name: str) -> CoderLabels:
    """Read one coder's judgements from the project.

    ``name`` is looked up, in this order, among coders imported with
    ``import-codings``, people who recorded review decisions, and the machine
    methods ``rules``, ``topics``, ``model`` and ``all``. Prefix it with
    ``import:``, ``review:`` or ``method:`` to choose when a name is used twice.

    - An imported coder keeps the level and units they were imported with.
    - A reviewer works at quote level: their units are the quotes they decided
      on, a code they accepted (latest decision) is 1, anything else 0.
    - A method's raw suggestions count, whatever people later decided about
      them; its units are every quote in the project.

    Raises:
        StoreError: the name matches nothing; the message lists what does.
    """
    prefix, sep, rest = name.partition(":")
    wanted = PREFIXES.get(prefix.strip().lower()) if sep else None
    bare = rest.strip() if wanted else name
    available = available_coders(project)
    # Without a prefix, the first kind the name belongs to is used, and the others are said.
    kinds: list[CoderKind] = [k for k in ("imported", "reviewer", "method") if bare in available[k]]
    also = tuple(k for k in kinds[1:]) if wanted is None else ()

    if wanted in (None, "imported") and bare in available["imported"]:
        imported = project.coder_codings(bare)
        if imported is not None:
            days = sorted(when[:10] for when in imported.coded_at.values())
            return CoderLabels(bare, "imported", imported.level, imported.units, imported.positives, also,
                               (days[0], days[-1]) if days else None)
    if wanted in (None, "reviewer") and bare in available["reviewer"]:
        latest: dict[tuple[str, str], str] = {}
        for d in project.decisions():
            if d.coder == bare:
                latest[(d.quote_id, d.code)] = d.decision
        units = frozenset(quote for quote, _ in latest)
        positives = frozenset(key for key, decision in latest.items() if decision == "accept")
        return CoderLabels(bare, "reviewer", "quote", units, positives, also)
    if wanted in (None, "method") and bare in available["method"]:
        positives = frozenset((c.quote_id, c.code) for c in project.codings("all", method=bare, evidence=False))
        return CoderLabels(bare, "method", "quote", frozenset(project.quote_ids()), positives)
    if wanted in (None, "method") and bare in METHODS:
        raise StoreError(
            f"The method {bare!r} has not coded the project {project.path} yet, so it cannot be compared. "
            f"Run `probation-themes code --codebook FILE --method {bare}` first.",
            path=project.path,
        )
    raise _unknown_coder(project, name, available)


def roll_up(labels: CoderLabels, response_of: Mapping[str, str]) -> CoderLabels:
    """Turn quote-level judgements into response-level ones.

    A response is covered if any of its quotes was, and has a code if any of
    its quotes has it. Quote ids missing from ``response_of`` are dropped.
    """
    if labels.level == "response":
        return labels
    units = frozenset(response_of[q] for q in labels.units if q in response_of)
    positives = frozenset((response_of[q], code) for q, code in labels.positives if q in response_of)
    return replace(labels, level="response", units=units, positives=positives)


def _decisions_matrix(units: Sequence[str], positives: Iterable[tuple[str, str]], codes: Sequence[str]) -> np.ndarray:
    row = {u: i for i, u in enumerate(units)}
    column = {c: j for j, c in enumerate(codes)}
    matrix = np.zeros((len(units), len(codes)), dtype=bool)
    for unit, code in positives:
        i, j = row.get(unit), column.get(code)
        if i is not None and j is not None:
            matrix[i, j] = True
    return matrix


def compare_labels(
    a: CoderLabels,
    b: CoderLabels,
    *,
    codes: Sequence[str],
    level: Level | None = None,
    response_of: Mapping[str, str] | None = None,
    include_uncoded: bool = False,
    resamples: int = 1000,
    seed: int | None = 0,
    groups: Sequence[SingleChoiceGroup] = (),
) -> AgreementReport:
    """Compare two coders' judgements on the units both covered.

    Uncoded units are excluded by default: a unit to which neither coder applied
    any code (of any code, not only those in ``codes``) says nothing about
    whether they agree, and counting it as agreement inflates every statistic.
    Their number is reported as ``uncoded_excluded``; ``include_uncoded=True``
    keeps them (as agreement on "no code").

    Args:
        a: the reference coder (precision, recall and F1 score B against A).
        b: the coder being scored.
        codes: code ids to compare, in report order.
        level: ``response`` or ``quote``; default response if either coder is
            response-level, else quote. Quote-level judgements roll up to
            responses (a response has a code if any of its quotes has it).
        response_of: quote id → response id, needed to roll quotes up.
        include_uncoded: keep units neither coder applied any code to.
        resamples: bootstrap resamples of units (0: no intervals).
        seed: seed of the bootstrap.
        groups: single-choice groups to give single-label figures for (see
            :mod:`probation_themes.workflows.single_choice`).

    Raises:
        StoreError: response-level codings asked for at quote level, or no unit to compare.
    """
    chosen: Level = level or ("response" if "response" in (a.level, b.level) else "quote")
    description_a, description_b = a.describe(chosen), b.describe(chosen)
    if chosen == "quote":
        for coder in (a, b):
            if coder.level == "response":
                raise StoreError(
                    f"{coder.name}'s codings are per response, so they cannot be compared quote by quote: "
                    "a code given to a whole response does not say which of its quotes it belongs to. "
                    "Compare at response level instead (--level response, the default for these coders)."
                )
    elif a.level == "quote" or b.level == "quote":
        if response_of is None:
            raise ValueError("response_of is needed to roll quote-level codings up to responses")
        a, b = roll_up(a, response_of), roll_up(b, response_of)

    shared = a.units & b.units
    if not shared:
        raise StoreError(
            f"{a.name} and {b.name} have no {chosen}s in common: {a.name} covered {len(a.units):,} and "
            f"{b.name} {len(b.units):,}, none of them the same. Check that both codings belong to this "
            "project (their response or quote ids must match the ingested ones)."
        )
    coded = {unit for unit, _ in a.positives} | {unit for unit, _ in b.positives}
    units = sorted(shared if include_uncoded else shared & coded)
    excluded = 0 if include_uncoded else len(shared) - len(units)
    if not units:
        raise StoreError(
            f"Neither {a.name} nor {b.name} applied any code to the {len(shared):,} {chosen}s they share, "
            "so there is no coding to compare. Counting uncoded text as agreement would only inflate the "
            "figures; if you want that anyway, add --include-uncoded."
        )
    per_code, overall = agreement_statistics(
        _decisions_matrix(units, a.positives, codes),
        _decisions_matrix(units, b.positives, codes),
        codes,
        resamples=resamples,
        seed=seed,
    )
    return AgreementReport(
        coder_a=a.name,
        coder_b=b.name,
        description_a=description_a,
        description_b=description_b,
        level=chosen,
        units_compared=len(units),
        uncoded_excluded=excluded,
        include_uncoded=include_uncoded,
        only_a=len(a.units - b.units),
        only_b=len(b.units - a.units),
        resamples=resamples,
        seed=seed,
        codes=per_code,
        overall=overall,
        notes=[note for note in (a.choice_note("A"), b.choice_note("B")) if note],
        single_choice=group_agreement(units, a.positives, b.positives, groups),
    )


def _without(labels: CoderLabels, skipped: dict[str, set[str]]) -> CoderLabels:
    """A coder's judgements without the units that are non-answers."""
    gone = skipped[labels.level]
    if not gone & labels.units:
        return labels
    return replace(
        labels, units=labels.units - gone, positives=frozenset(p for p in labels.positives if p[0] not in gone)
    )


def _choose_codes(a: CoderLabels, b: CoderLabels, codebook: Codebook | None, selected: Sequence[str]) -> list[str]:
    seen = {code for _, code in a.positives} | {code for _, code in b.positives}
    ordered = list(codebook.ids) if codebook is not None else []
    ordered += sorted(seen - set(ordered))
    if not selected:
        if not ordered:
            raise StoreError(
                f"Neither {a.name} nor {b.name} applied any code, and no codebook says which codes to "
                "compare. Give one with --codebook FILE."
            )
        return ordered
    unknown = [c for c in selected if c not in ordered]
    if unknown:
        raise CodebookError(
            f"--code {unknown[0]!r} is neither in the codebook nor used by {a.name} or {b.name}. "
            f"Codes you can compare: {', '.join(ordered) or 'none'}.",
            code_id=unknown[0],
        )
    return [c for c in ordered if c in set(selected)]


def compare_coders(
    project: Project,
    coder_a: str,
    coder_b: str,
    *,
    level: Level | None = None,
    codes: Sequence[str] = (),
    codebook: Codebook | None = None,
    include_uncoded: bool = False,
    resamples: int = 1000,
    seed: int | None = 0,
) -> AgreementReport:
    """Measure how far coder B agrees with coder A in a project, per code and overall.

    Coders are named as in :func:`load_coder`. Units neither coder applied any
    code to are excluded unless ``include_uncoded`` (see :func:`compare_labels`).
    Codes are the codebook's (``codebook``, else the one the project was last
    coded with) in codebook order, plus any other code either coder used.

    Args:
        project: the open project.
        coder_a: the reference coder.
        coder_b: the coder scored against A.
        level: ``response`` or ``quote`` (default: response if either coder is response-level).
        codes: compare only these codes.
        codebook: codebook giving the codes and their order.
        include_uncoded: keep units neither coder applied any code to.
        resamples: bootstrap resamples for the 95% intervals (0: none).
        seed: seed of the bootstrap.
    """
    a, b = load_coder(project, coder_a), load_coder(project, coder_b)
    chosen = _choose_codes(a, b, codebook if codebook is not None else project.latest_codebook(), codes)
    chosen_level = level or ("response" if "response" in (a.level, b.level) else "quote")
    response_of = None
    if chosen_level == "response" and "quote" in (a.level, b.level):
        response_of = {q.quote_id: q.response_id for batch in project.iter_quote_refs() for q in batch}
    # Non-answers are in no denominator: whether two coders both left "n/a" uncoded says
    # nothing about how far they agree. One that a coder did code (a "don't know" code in a
    # human coding frame, say) stays: that coding is a judgement the other can agree with.
    skipped = non_answer_units(project)
    left_out = 0
    if skipped["quote"]:
        coded = {unit for coder in (a, b) for unit, _ in coder.positives}
        if response_of is not None:
            coded |= {response_of[u] for u in coded if u in response_of}
        skipped = {level_: units - coded for level_, units in skipped.items()}

        def covered(coder: CoderLabels) -> set[str]:
            if coder.level == chosen_level or response_of is None:
                return set(coder.units)
            return {response_of[q] for q in coder.units if q in response_of}

        left_out = len(covered(a) & covered(b) & skipped[chosen_level])
        a, b = _without(a, skipped), _without(b, skipped)
    book = codebook if codebook is not None else project.latest_codebook()
    report = compare_labels(
        a, b, codes=chosen, level=level, response_of=response_of,
        include_uncoded=include_uncoded, resamples=resamples, seed=seed,
        groups=book.single_choice_groups() if book is not None else (),
    )
    return replace(report, non_answers_excluded=left_out)
