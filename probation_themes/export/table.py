"""The themed quote table: one section per code, its counts, splits and quotes.

Every report format (Markdown, CSV, HTML, Word, Excel) and the terminal view render the
same :class:`ThemedTable`, so their figures always agree. One :class:`ThemeTally` computes
it, from a whole snapshot (:func:`build_themed_table`) or from a project read in batches
(:func:`themed_table_from_batches`), so a survey of a million answers needs a few hundred
megabytes, not the whole project in memory. Counts cover every quote; each theme shows at
most :data:`MAX_QUOTES` of its quotes unless asked for all, spread evenly in source order.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress
from typing import NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field

from probation_themes.codebook import Codebook
from probation_themes.errors import ExportError
from probation_themes.export.disclosure import protect_row
from probation_themes.models import Snapshot, WorkingCoding

#: Group name for respondents whose region or organisation was not given.
NOT_GIVEN = "(not given)"
#: Legacy organisations in the order the inspectorate reports them.
ORG_ORDER = ("CRC", "NPS", "Other")
#: Most quotes a report shows per code unless asked for all; counts always cover every quote.
MAX_QUOTES = 500
# When one quote has codings with different statuses for a code, the strongest one is shown.
_STATUS_RANK = {"accepted": 0, "suggested": 1, "rejected": 2}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupCount(_Frozen):
    """How many respondents are in one region or organisation."""

    group: str = Field(description="Region or organisation; '(not given)' when missing.")
    respondents: int | None = Field(description="Respondents in the group; None when suppressed.")
    hidden: str = Field(default="", description="Why the size is suppressed: small, secondary, or '' (shown).")


class Split(_Frozen):
    """One row of a code's split by organisation or region."""

    group: str = Field(description="Region or organisation; '(not given)' when missing.")
    n_coded: int | None = Field(description="Respondents in the group with the code; None when suppressed.")
    n_group: int | None = Field(description="Respondents in the group; None when suppressed.")
    share: float | None = Field(
        description="n_coded / n_group; 0.0 when nobody is coded; None when a count is suppressed."
    )
    hidden: str = Field(default="", description="Why n_coded is suppressed: small, secondary, or '' (shown).")
    group_hidden: str = Field(default="", description="Why n_group is suppressed: small, secondary, or ''.")


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
    memo: str | None = Field(default=None, description="The memo on this code of this quote, when asked for.")
    quote_memo: str | None = Field(default=None, description="The memo on the whole quote, when asked for.")
    withheld: tuple[str, ...] = Field(
        default=(), description="Attributes (region, org) withheld from this quote because its group's count "
        "under this code is suppressed; their values are not in the table."
    )


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
    codebook_name: str = Field(default="", description="The codebook giving the labels and order.")
    codebook_version: str = Field(default="", description="Its version.")
    working: WorkingCoding | None = Field(
        default=None, description="What the figures count: methods, runs, codebook, status, decisions."
    )


class QuoteLike(Protocol):
    """A quote as a themed table reads it; ``seq`` is its place in source order."""

    seq: int
    quote_id: str
    response_id: str
    text: str
    region: str | None
    org: str | None


class CodingLike(Protocol):
    """An effective coding as a themed table reads it, with its quote's ``seq`` and respondent."""

    seq: int
    quote_id: str
    response_id: str
    code: str
    method: str
    status: str
    confidence: float | None


def check_snapshot(snapshot: Snapshot, codebook: Codebook) -> None:
    """Raise ExportError if a coding names a quote or code the snapshot or codebook lacks."""
    quote_ids = {q.quote_id for q in snapshot.quotes}
    check_coded(
        snapshot.project, codebook,
        orphan_quote_ids={c.quote_id for c in snapshot.codings} - quote_ids,
        codes={c.code for c in snapshot.codings},
    )


def check_coded(project: str, codebook: Codebook, *, orphan_quote_ids: Iterable[str], codes: Iterable[str]) -> None:
    """Raise ExportError if codings name quotes that are gone or codes the codebook lacks.

    Args:
        project: the project's name, for the message.
        codebook: the codebook the report or export uses.
        orphan_quote_ids: ids of coded quotes that are not in the project.
        codes: every code that has a coding in what is being exported.
    """
    stray_quotes = sorted(orphan_quote_ids)
    if stray_quotes:
        raise ExportError(
            f"{len(stray_quotes)} coding(s) refer to quotes that are not in project "
            f"{project!r} (first: {stray_quotes[0]!r}). The project file is inconsistent; "
            "re-run `probation-themes code` to rebuild the suggestions."
        )
    stray_codes = sorted(set(codes) - set(codebook.ids))
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


def _protected_sizes(order: list[str], sizes: Mapping[str, int], min_cell: int) -> tuple[GroupCount, ...]:
    """Group sizes with small ones hidden, and others hidden too where the total would give them away."""
    values = [sizes[g] for g in order]
    hidden = protect_row(values, min_cell, at_least_one=True)
    return tuple(
        GroupCount(group=g, respondents=None if h else n, hidden=h) for g, n, h in zip(order, values, hidden)
    )


def _splits(
    coded_by_group: Mapping[str, int], groups: Sequence[GroupCount], sizes: Mapping[str, int], min_cell: int
) -> tuple[Split, ...]:
    values = [coded_by_group.get(g.group, 0) for g in groups]
    small = [0 < sizes[g.group] < min_cell for g in groups]
    # A reader knows a count is at most its group's size when that is shown.
    bounds = [sizes[g.group] if g.respondents is not None else sum(sizes.values()) for g in groups]
    hidden = protect_row(values, min_cell, small_groups=small, bounds=bounds)
    rows = []
    for g, value, h in zip(groups, values, hidden):
        n_coded = None if h else value
        if n_coded == 0:
            share = 0.0  # nobody coded in a group shown: saying 0% reveals nothing about its size
        elif n_coded is None or g.respondents is None:
            share = None
        else:
            share = n_coded / g.respondents
        rows.append(Split(group=g.group, n_coded=n_coded, n_group=g.respondents, share=share, hidden=h,
                          group_hidden=g.hidden))
    return tuple(rows)


def _withheld(
    row: QuoteRow, code: CodeSummary, joint: Mapping[tuple[str, str], int], min_cell: int
) -> QuoteRow:
    """The quote with the attributes a reader must not see under this code taken off.

    An attribute is withheld when the quote's group has a suppressed count under the
    code (or is itself too small); region and organisation together are shown only
    when at least ``min_cell`` respondents share both (else organisation is withheld).
    """
    if min_cell <= 1:
        return row
    cells = {"org": {s.group: s for s in code.by_org}, "region": {s.group: s for s in code.by_region}}
    withheld = []
    for attr in ("region", "org"):
        value = getattr(row, attr)
        if value is None or not value.strip():
            continue
        cell = cells[attr].get(group_name(value))
        if cell is None or cell.hidden or cell.group_hidden == "small":
            withheld.append(attr)
    if not withheld and row.region and row.region.strip() and row.org and row.org.strip():
        if joint.get((group_name(row.org), group_name(row.region)), 0) < min_cell:
            withheld.append("org")
    if not withheld:
        return row
    return row.model_copy(update={"withheld": tuple(withheld), **{a: None for a in withheld}})


def _quote_row(quote: QuoteLike, codings: Sequence[CodingLike], memos: Mapping[tuple[str, str], str]) -> QuoteRow:
    confidences = [c.confidence for c in codings if c.confidence is not None]
    return QuoteRow(
        memo=memos.get((quote.quote_id, codings[0].code)),
        quote_memo=memos.get((quote.quote_id, "")),
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


def spread(n: int, k: int | None) -> list[int]:
    """Which of ``n`` items (by index) to show when at most ``k`` fit: all, or ``k`` evenly spaced from the first."""
    if k is None or n <= k:
        return list(range(n))
    return [i * n // k for i in range(k)]


class BatchDigest(NamedTuple):
    """What one batch adds to a themed table's counts: computable anywhere, merged in batch order.

    ``respondents`` lists each respondent of the batch once, in order of first appearance,
    with the first organisation and region group their quotes give (``(not given)`` if
    none does); ``coded`` holds, per code in codebook order, the places (``seq``) of the
    quotes coded with it and the respondents those quotes belong to.
    """

    n_quotes: int
    respondents: list[tuple[str, str, str]]
    coded: list[tuple[list[int], list[str]]]


def digest_batch(
    batch: tuple[Sequence[QuoteLike], Sequence[CodingLike]], code_ids: Sequence[str]
) -> BatchDigest:
    """Summarise a batch of quotes (source order) and their codings (by quote, code, method)."""
    quotes, codings = batch
    names: dict[str | None, str] = {}  # values as stored -> group, to clean each value once

    def name(value: str | None) -> str:
        found = names.get(value)
        if found is None:
            found = names[value] = group_name(value)
        return found

    first: dict[str, tuple[str, str]] = {}
    for quote in quotes:
        groups = first.get(quote.response_id)
        if groups is None:
            first[quote.response_id] = (name(quote.org), name(quote.region))
        elif NOT_GIVEN in groups:
            org, region = groups
            first[quote.response_id] = (
                name(quote.org) if org == NOT_GIVEN else org, name(quote.region) if region == NOT_GIVEN else region
            )
    index = {cid: k for k, cid in enumerate(code_ids)}
    coded: list[tuple[list[int], list[str]]] = [([], []) for _ in code_ids]
    for coding in codings:
        seqs, who = coded[index[coding.code]]
        if not seqs or seqs[-1] != coding.seq:  # a second method on the same quote counts once
            seqs.append(coding.seq)
            who.append(coding.response_id)
    return BatchDigest(len(quotes), [(rid, *groups) for rid, groups in first.items()], coded)


class ThemeTally:
    """The counts of a themed table, gathered batch by batch so that a million quotes fit in memory.

    Feed it every batch of quotes with their effective codings, in source order, as
    :func:`digest_batch` summaries with :meth:`add_digest`;
    then ask which quotes each theme shows (:meth:`chosen`) and build the table
    (:meth:`table`). It keeps one small number per respondent and per coded quote,
    never the quotes themselves.
    """

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.n_quotes = 0
        self._code_index = {cid: i for i, cid in enumerate(codebook.ids)}
        self._respondents: dict[str, int] = {}
        self._group_index: dict[str, int] = {NOT_GIVEN: 0}
        self._org = array("I")
        self._region = array("I")
        self._coded = [bytearray() for _ in codebook.ids]  # per code: 1 for each respondent coded
        self._seqs = [array("q") for _ in codebook.ids]  # per code: where its quotes sit, in source order

    def _group(self, name: str) -> int:
        return self._group_index.setdefault(name, len(self._group_index))

    def add_digest(self, digest: BatchDigest) -> None:
        """Count a batch from its :func:`digest_batch`; digests must come in source order.

        A respondent belongs to the region and organisation of their first quote that gives one.
        """
        respondents, org, region = self._respondents, self._org, self._region
        self.n_quotes += digest.n_quotes
        for rid, org_name, region_name in digest.respondents:
            i = respondents.setdefault(rid, len(respondents))
            if i == len(org):
                org.append(self._group(org_name))
                region.append(self._group(region_name))
            else:
                if org[i] == 0:
                    org[i] = self._group(org_name)
                if region[i] == 0:
                    region[i] = self._group(region_name)
        for coded in self._coded:
            coded.extend(bytes(len(respondents) - len(coded)))
        for k, (seqs, who) in enumerate(digest.coded):
            flags, mine = self._coded[k], self._seqs[k]
            for seq, rid in zip(seqs, who):
                if not mine or mine[-1] != seq:  # the same quote may close one batch and open the next
                    mine.append(seq)
                    flags[respondents[rid]] = 1

    def chosen(self, max_quotes: int | None) -> dict[str, list[int]]:
        """Per code, the places (``seq``) of the quotes to show: all, or ``max_quotes`` spread evenly."""
        return {cid: [self._seqs[k][i] for i in spread(len(self._seqs[k]), max_quotes)]
                for cid, k in self._code_index.items()}

    def table(
        self, project: str, rows: Mapping[tuple[str, int], QuoteRow], chosen: Mapping[str, Sequence[int]], *,
        min_cell: int = 0,
    ) -> ThemedTable:
        """The themed table, with the quotes ``rows`` holds for each (code, seq) in ``chosen``."""
        names = list(self._group_index)
        org_sizes = {names[g]: n for g, n in Counter(self._org).items()}
        region_sizes = {names[g]: n for g, n in Counter(self._region).items()}
        org_groups = _protected_sizes(_order_groups(org_sizes, ORG_ORDER), org_sizes, min_cell)
        region_groups = _protected_sizes(_order_groups(region_sizes, ()), region_sizes, min_cell)
        joint = {(names[o], names[r]): n for (o, r), n in Counter(zip(self._org, self._region)).items()}
        total = len(self._respondents)
        depths = code_depths(self.codebook)
        summaries = []
        for code in self.codebook.codes:
            k = self._code_index[code.id]
            coded = self._coded[k]
            n_respondents = coded.count(1)
            summary = CodeSummary(
                code_id=code.id,
                label=code.label,
                color=code.color,
                parent=code.parent,
                depth=depths[code.id],
                n_quotes=len(self._seqs[k]),
                n_respondents=n_respondents,
                share_of_respondents=n_respondents / total if total else 0.0,
                by_org=_splits(self._counts(self._org, coded), org_groups, org_sizes, min_cell),
                by_region=_splits(self._counts(self._region, coded), region_groups, region_sizes, min_cell),
                quotes=(),
            )
            quotes = tuple(_withheld(rows[(code.id, seq)], summary, joint, min_cell) for seq in chosen[code.id])
            summaries.append(summary.model_copy(update={"quotes": quotes}))
        return ThemedTable(
            project=project,
            total_respondents=total,
            total_quotes=self.n_quotes,
            min_cell=min_cell,
            respondents_by_org=org_groups,
            respondents_by_region=region_groups,
            codes=tuple(summaries),
            codebook_name=self.codebook.name,
            codebook_version=self.codebook.version,
        )

    def _counts(self, groups: array, coded: bytearray) -> dict[str, int]:
        names = list(self._group_index)
        return {names[g]: n for g, n in Counter(compress(groups, coded)).items()}


def quote_rows(
    quotes: Iterable[QuoteLike], codings: Iterable[CodingLike], memos: Mapping[tuple[str, str], str] | None = None
) -> dict[tuple[str, int], QuoteRow]:
    """The report's row for each (code, seq) of the given quotes and their codings, with memos if given."""
    by_seq = {q.seq: q for q in quotes}
    grouped: dict[tuple[str, int], list[CodingLike]] = defaultdict(list)
    for coding in codings:
        grouped[(coding.code, coding.seq)].append(coding)
    return {key: _quote_row(by_seq[key[1]], found, memos or {}) for key, found in grouped.items()}


def check_min_cell(min_cell: int) -> None:
    """Raise ExportError for a negative minimum cell size."""
    if min_cell < 0:
        raise ExportError(
            f"The minimum cell size must be 0 or more, not {min_cell}. "
            "Use --min-cell 5 (for example) to hide counts from 1 to 4, or 0 to show every count."
        )


def themed_table_from_batches(
    project: str,
    codebook: Codebook,
    batches: Iterable[tuple[Sequence[QuoteLike], Sequence[CodingLike]]],
    fetch: Callable[[Sequence[int]], tuple[Sequence[QuoteLike], Sequence[CodingLike]]],
    *,
    min_cell: int = 0,
    max_quotes: int | None = MAX_QUOTES,
    memos: Mapping[tuple[str, str], str] | None = None,
    digests: Callable[[Iterable], Iterable[BatchDigest]] | None = None,
) -> ThemedTable:
    """Compute the themed quote table from a project read batch by batch.

    Args:
        project: the project's name.
        codebook: the codes, in the order the report lists them; every coding's code must be in it.
        batches: (quotes, codings) in source order; each quote's codings come in the same
            batch, ordered by quote, code and method.
        fetch: gives the quotes (with their text) and codings at the chosen places ``seq``.
        min_cell: see :func:`build_themed_table`.
        max_quotes: see :func:`build_themed_table`.
        memos: the memo in force per (quote id, code id), code '' for the whole quote, to
            show with the quotes; None shows none.
        digests: turns ``batches`` into their :func:`digest_batch` summaries, in order
            (e.g. computed on a cluster); by default each batch is digested here.
    """
    check_min_cell(min_cell)
    tally = ThemeTally(codebook)
    summaries = digests(batches) if digests is not None else (digest_batch(b, codebook.ids) for b in batches)
    for digest in summaries:
        tally.add_digest(digest)
    chosen = tally.chosen(max_quotes)
    rows = quote_rows(*fetch(sorted({seq for seqs in chosen.values() for seq in seqs})), memos)
    return tally.table(project, rows, chosen, min_cell=min_cell)


class _QuoteAt(NamedTuple):
    seq: int
    quote_id: str
    response_id: str
    text: str
    region: str | None
    org: str | None


class _CodingAt(NamedTuple):
    seq: int
    quote_id: str
    response_id: str
    code: str
    method: str
    status: str
    confidence: float | None


def build_themed_table(
    snapshot: Snapshot, codebook: Codebook, *, min_cell: int = 0, max_quotes: int | None = MAX_QUOTES
) -> ThemedTable:
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
        max_quotes: most quotes shown per code (every count still covers all of them):
            when a code has more, this many are shown, spread evenly through its quotes in
            source order (the first, then every n-th). None shows every quote.

    Returns:
        The table every report format renders.

    Raises:
        ExportError: ``min_cell`` is negative, or a coding names a quote or code that
            the snapshot or codebook does not have.
    """
    check_min_cell(min_cell)
    check_snapshot(snapshot, codebook)
    quotes = [_QuoteAt(i, q.quote_id, q.response_id, q.text, q.region, q.org) for i, q in enumerate(snapshot.quotes)]
    at = {q.quote_id: q for q in quotes}
    codings = sorted(
        (_CodingAt(at[c.quote_id].seq, c.quote_id, at[c.quote_id].response_id, c.code, c.method, c.status, c.confidence)
         for c in snapshot.codings),
        key=lambda c: (c.seq, c.code, c.method),
    )
    return themed_table_from_batches(
        snapshot.project, codebook, [(quotes, codings)], lambda seqs: (quotes, codings),
        min_cell=min_cell, max_quotes=max_quotes,
    )
