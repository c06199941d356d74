"""The themed quote table: one section per code, its counts, splits and quotes.

Every report format (Markdown, CSV, HTML) and the terminal view render the same
:class:`ThemedTable`, so their figures always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from probation_themes.codebook import Codebook
from probation_themes.errors import ExportError
from probation_themes.models import Coding, Quote, Snapshot

#: Group name for respondents whose region or organisation was not given.
NOT_GIVEN = "(not given)"
#: Legacy organisations in the order the inspectorate reports them.
ORG_ORDER = ("CRC", "NPS", "Other")
# When one quote has codings with different statuses for a code, the strongest one is shown.
_STATUS_RANK = {"accepted": 0, "suggested": 1, "rejected": 2}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupCount(_Frozen):
    """How many respondents are in one region or organisation."""

    group: str = Field(description="Region or organisation; '(not given)' when missing.")
    respondents: int | None = Field(description="Respondents in the group; None when suppressed.")


class Split(_Frozen):
    """One row of a code's split by organisation or region."""

    group: str = Field(description="Region or organisation; '(not given)' when missing.")
    n_coded: int | None = Field(description="Respondents in the group with the code; None when suppressed.")
    n_group: int | None = Field(description="Respondents in the group; None when suppressed.")
    share: float | None = Field(
        description="n_coded / n_group; 0.0 when nobody is coded; None when a count is suppressed."
    )


class QuoteRow(_Frozen):
    """A quote coded with a code, with how and how surely it was coded."""

    quote_id: str
    response_id: str
    text: str
    region: str | None
    org: str | None
    methods: tuple[str, ...] = Field(description="Distinct methods that gave the code, sorted.")
    confidence: float | None = Field(description="Highest confidence among those codings.")
    status: str = Field(description="accepted if any coding is accepted, else suggested, else rejected.")


class CodeSummary(_Frozen):
    """One code's section of the report."""

    code_id: str
    label: str
    color: str | None = Field(description="The code's #RRGGBB colour from the codebook, if any.")
    parent: str | None
    depth: int = Field(description="0 for a top-level code, 1 for its children, and so on.")
    n_quotes: int = Field(description="Distinct quotes with the code.")
    n_respondents: int = Field(description="Distinct respondents with at least one such quote.")
    share_of_respondents: float = Field(description="n_respondents / all respondents in the project.")
    by_org: tuple[Split, ...]
    by_region: tuple[Split, ...]
    quotes: tuple[QuoteRow, ...] = Field(description="Coded quotes in source order.")


class ThemedTable(_Frozen):
    """Everything a themed quote report shows, computed once from a project snapshot."""

    project: str
    total_respondents: int = Field(description="Distinct respondents over all quotes.")
    total_quotes: int
    min_cell: int = Field(description="Counts from 1 to min_cell - 1 in splits are suppressed.")
    respondents_by_org: tuple[GroupCount, ...]
    respondents_by_region: tuple[GroupCount, ...]
    codes: tuple[CodeSummary, ...] = Field(description="Every code, in codebook order.")


def check_snapshot(snapshot: Snapshot, codebook: Codebook) -> None:
    """Raise ExportError if a coding names a quote or code the snapshot or codebook lacks."""
    quote_ids = {q.quote_id for q in snapshot.quotes}
    code_ids = set(codebook.ids)
    stray_quotes = sorted({c.quote_id for c in snapshot.codings} - quote_ids)
    if stray_quotes:
        raise ExportError(
            f"{len(stray_quotes)} coding(s) refer to quotes that are not in project "
            f"{snapshot.project!r} (first: {stray_quotes[0]!r}). The project file is inconsistent; "
            "re-run `probation-themes code` to rebuild the suggestions."
        )
    stray_codes = sorted({c.code for c in snapshot.codings} - code_ids)
    if stray_codes:
        raise ExportError(
            f"The project has codings for code(s) {', '.join(map(repr, stray_codes))}, which codebook "
            f"{codebook.name!r} version {codebook.version} does not contain. Use the codebook the "
            "project was coded with, or add these codes back to it (code ids are never reused)."
        )


def group_name(value: str | None) -> str:
    """The group a region or organisation value falls in: the value, or ``(not given)`` if blank."""
    value = (value or "").strip()
    return value or NOT_GIVEN


def _order_groups(groups: Iterable[str], first: Sequence[str]) -> list[str]:
    present = set(groups)
    head = [g for g in first if g in present]
    rest = sorted((g for g in present if g not in first and g != NOT_GIVEN), key=lambda g: (g.casefold(), g))
    tail = [NOT_GIVEN] if NOT_GIVEN in present else []
    return head + rest + tail


def _suppress(n: int, min_cell: int) -> int | None:
    return None if 0 < n < min_cell else n


def _respondent_groups(quotes: Sequence[Quote], attr: str) -> dict[str, str]:
    """Each respondent's group: the first value given on any of their quotes, in source order."""
    groups: dict[str, str] = {}
    for quote in quotes:
        value = group_name(getattr(quote, attr))
        if groups.get(quote.response_id, NOT_GIVEN) == NOT_GIVEN:
            groups[quote.response_id] = value
    return groups


def _splits(
    coded: set[str], groups: dict[str, str], order: list[str], sizes: dict[str, int], min_cell: int
) -> tuple[Split, ...]:
    coded_by_group: dict[str, int] = defaultdict(int)
    for response_id in coded:
        coded_by_group[groups[response_id]] += 1
    rows = []
    for group in order:
        n_coded = _suppress(coded_by_group[group], min_cell)
        n_group = _suppress(sizes[group], min_cell)
        if n_coded == 0:
            share = 0.0  # nobody coded: saying 0% reveals nothing about a small group
        elif n_coded is None or n_group is None:
            share = None
        else:
            share = n_coded / n_group
        rows.append(Split(group=group, n_coded=n_coded, n_group=n_group, share=share))
    return tuple(rows)


def _quote_row(quote: Quote, codings: list[Coding]) -> QuoteRow:
    confidences = [c.confidence for c in codings if c.confidence is not None]
    return QuoteRow(
        quote_id=quote.quote_id,
        response_id=quote.response_id,
        text=quote.text,
        region=quote.region,
        org=quote.org,
        methods=tuple(sorted({c.method for c in codings})),
        confidence=max(confidences) if confidences else None,
        status=min((c.status for c in codings), key=_STATUS_RANK.__getitem__),
    )


def code_depths(codebook: Codebook) -> dict[str, int]:
    """How deep each code sits under its parents (0 for a top-level code)."""
    parents = {c.id: c.parent for c in codebook.codes}
    depths = {}
    for code in codebook.codes:
        depth, node = 0, code.parent
        while node is not None:
            depth, node = depth + 1, parents[node]
        depths[code.id] = depth
    return depths


def build_themed_table(snapshot: Snapshot, codebook: Codebook, *, min_cell: int = 0) -> ThemedTable:
    """Compute the themed quote table for a project snapshot.

    Respondents are distinct ``response_id`` values over all quotes in the snapshot,
    coded or not. A respondent belongs to the region and organisation of their first
    quote that gives one, so the groups of a split always add up to the total. Every
    code of the codebook is listed, in codebook order, including codes with no quotes.
    The snapshot's codings are used as given: choose the statuses before calling.

    Args:
        snapshot: the project's quotes and effective codings.
        codebook: the codes, in the order the report lists them.
        min_cell: counts from 1 to ``min_cell - 1`` in the organisation and region
            splits (and the group sizes) are suppressed to protect respondents;
            0 or 1 suppresses nothing.

    Returns:
        The table every report format renders.

    Raises:
        ExportError: ``min_cell`` is negative, or a coding names a quote or code that
            the snapshot or codebook does not have.
    """
    if min_cell < 0:
        raise ExportError(
            f"The minimum cell size must be 0 or more, not {min_cell}. "
            "Use --min-cell 5 (for example) to hide counts from 1 to 4, or 0 to show every count."
        )
    check_snapshot(snapshot, codebook)
    quotes_by_id = {q.quote_id: q for q in snapshot.quotes}
    position = {q.quote_id: i for i, q in enumerate(snapshot.quotes)}
    by_code: dict[str, dict[str, list[Coding]]] = defaultdict(lambda: defaultdict(list))
    for coding in snapshot.codings:
        by_code[coding.code][coding.quote_id].append(coding)

    org_of = _respondent_groups(snapshot.quotes, "org")
    region_of = _respondent_groups(snapshot.quotes, "region")
    org_sizes: dict[str, int] = defaultdict(int)
    region_sizes: dict[str, int] = defaultdict(int)
    for response_id in org_of:
        org_sizes[org_of[response_id]] += 1
        region_sizes[region_of[response_id]] += 1
    org_order = _order_groups(org_sizes, ORG_ORDER)
    region_order = _order_groups(region_sizes, ())
    total = len(org_of)
    depths = code_depths(codebook)

    summaries = []
    for code in codebook.codes:
        coded_quotes = sorted(by_code.get(code.id, {}).items(), key=lambda item: position[item[0]])
        rows = tuple(_quote_row(quotes_by_id[qid], codings) for qid, codings in coded_quotes)
        respondents = {row.response_id for row in rows}
        summaries.append(
            CodeSummary(
                code_id=code.id,
                label=code.label,
                color=code.color,
                parent=code.parent,
                depth=depths[code.id],
                n_quotes=len(rows),
                n_respondents=len(respondents),
                share_of_respondents=len(respondents) / total if total else 0.0,
                by_org=_splits(respondents, org_of, org_order, org_sizes, min_cell),
                by_region=_splits(respondents, region_of, region_order, region_sizes, min_cell),
                quotes=rows,
            )
        )
    return ThemedTable(
        project=snapshot.project,
        total_respondents=total,
        total_quotes=len(snapshot.quotes),
        min_cell=min_cell,
        respondents_by_org=tuple(
            GroupCount(group=g, respondents=_suppress(org_sizes[g], min_cell)) for g in org_order
        ),
        respondents_by_region=tuple(
            GroupCount(group=g, respondents=_suppress(region_sizes[g], min_cell)) for g in region_order
        ),
        codes=tuple(summaries),
    )
