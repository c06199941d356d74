"""How common each code (and topic) is in each group of respondents, with 95% intervals.

So a researcher can write "former CRC staff raised the cultural divide more often
(31%, 95% CI 27–35%) than former NPS staff (18%, 15–21%)". The unit is the
respondent: a respondent counts once for a code if any of their quotes has it.

Intervals are Wilson score intervals (computed by scipy), which stay honest where
a percentile bootstrap fails: for 0 of 13 respondents the bootstrap gives 0–0%,
the Wilson interval 0–23%; for 1 of 1, 21–100% instead of 100–100%. The
percentile bootstrap (:func:`bootstrap_shares`) remains for statistics without
a closed form.

Counts follow the same small-cell policy as reports (docs/confidentiality.md):
with ``min_cell`` a group's count from 1 to ``min_cell - 1``, every figure of a
group smaller than that, and further counts that would let a hidden one be
worked out from the totals are left out, with their shares and intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from probation_themes.codebook import Codebook
from probation_themes.errors import StoreError
from probation_themes.models import WorkingCoding
from probation_themes.store import Project, StatusFilter
from probation_themes.store.stream import ProjectReader
from probation_themes.store.topics import latest_topics_run, topic_quotes

#: The interval every share is shown with.
INTERVAL = "Wilson score 95% interval"

#: Group name for respondents whose region or organisation was not given.
NOT_GIVEN = "(not given)"

#: Bootstrap resamples, and the most resampled respondents held in memory at once.
N_BOOT = 2000
_CELLS_PER_CHUNK = 4_000_000


@dataclass
class GroupShare:
    """Respondents of one group with a code: count, share and its 95% interval.

    Figures are None where the small-cell policy hides them (``hidden`` says why:
    ``small`` or ``secondary``; ``group_hidden`` for the group's size).
    """

    group: str
    respondents: int | None
    coded: int | None
    share: float | None
    low: float | None
    high: float | None
    hidden: str = ""
    group_hidden: str = ""


@dataclass
class PrevalenceRow:
    """One code or topic: every respondent (``overall``) and each group."""

    kind: str  # "code" or "topic"
    id: str
    label: str
    overall: GroupShare
    groups: list[GroupShare]


@dataclass
class PrevalenceTable:
    """Prevalence of every code (and topic of the last ``topics`` run) by region or organisation."""

    by: str
    respondents: int
    interval: str
    min_cell: int
    rows: list[PrevalenceRow]


def bootstrap_shares(
    indicators: np.ndarray, *, n_boot: int = N_BOOT, seed: int | Sequence[int] = 0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of respondents with each column, and their percentile bootstrap interval.

    Resampling ``n`` respondents with replacement is the same as giving each
    respondent a weight drawn from a multinomial distribution (``n`` draws, equal
    chances); one matrix product then gives every resample's share of every
    column at once.

    Args:
        indicators: one row per respondent, one 0/1 column per code or topic.
        n_boot: number of resamples.
        seed: random seed (the same seed gives the same intervals).
        level: coverage of the interval.

    Returns:
        ``(share, low, high)``, each with one value per column.
    """
    x = np.asarray(indicators, dtype=np.float64)
    n = x.shape[0]
    if n == 0:
        empty = np.full(x.shape[1], np.nan)
        return empty, empty, empty
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // n)
    draws = []
    for start in range(0, n_boot, chunk):
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, n_boot - start))
        draws.append(weights @ x / n)
    boot = np.vstack(draws)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    return x.mean(axis=0), low, high


def wilson_interval(coded: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``coded`` of ``n`` (scipy's ``binomtest(...).proportion_ci``)."""
    ci = binomtest(coded, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def group_prevalence(
    project: Project,
    codebook: Codebook,
    by: Sequence[str],
    *,
    status: StatusFilter = "default",
    min_cell: int = 0,
    working: WorkingCoding | None = None,
    protect: Callable[..., list[str]] | None = None,
) -> list[PrevalenceTable]:
    """Share of respondents with each code, and each topic of the last ``topics`` run, per group.

    Args:
        project: the open project.
        codebook: gives the codes, their labels and order.
        by: ``org`` and/or ``region``.
        status: which codings count (``default``: suggested and accepted, minus rejected).
        min_cell: the small-cell policy's threshold (0: every figure is shown).
        working: the working coding to count (see :mod:`probation_themes.store.working`).
        protect: the small-cell policy, as ``probation_themes.export.disclosure.protect_row``
            (which reports use too); needed when ``min_cell`` is above 1.

    Raises:
        StoreError: the project has no quotes.
        ValueError: ``min_cell`` is above 1 and no ``protect`` was given.
    """
    if min_cell > 1 and protect is None:
        raise ValueError("group_prevalence needs protect= (the small-cell policy) when min_cell is above 1")

    def hide(values: Sequence[int], **kwargs: object) -> list[str]:
        return protect(values, min_cell, **kwargs) if protect is not None and min_cell > 1 else [""] * len(values)

    reader = ProjectReader(project, status, working=working)
    position = {c.id: j for j, c in enumerate(codebook.codes)}
    index: dict[str, int] = {}
    groups: dict[str, dict[str, str]] = {"org": {}, "region": {}}
    quote_owner: dict[str, int] = {}
    coded_pairs: list[tuple[int, int]] = []
    topics_found = latest_topics_run(project)
    for batch in reader.batches(details=False):
        for q in batch.quotes:
            i = index.setdefault(q.response_id, len(index))
            for attr in ("org", "region"):
                value = (getattr(q, attr) or "").strip() or NOT_GIVEN
                if groups[attr].get(q.response_id, NOT_GIVEN) == NOT_GIVEN:
                    groups[attr][q.response_id] = value
            if topics_found is not None:
                quote_owner[q.quote_id] = i
        coded_pairs += [(index[c.response_id], position[c.code]) for c in batch.codings if c.code in position]
    if not index:
        raise StoreError(f"The project {project.path} has no quotes yet; ingest a file first.", path=project.path)
    respondents = list(index)
    columns: list[tuple[str, str, str]] = [("code", c.id, c.label) for c in codebook.codes]
    matrix = np.zeros((len(respondents), len(columns)), dtype=np.uint8)
    for i, j in coded_pairs:
        matrix[i, j] = 1
    if topics_found is not None:
        run, topics = topics_found
        present = topic_quotes(project, int(run.run_id or 0))
        extra = np.zeros((len(respondents), len(topics)), dtype=np.uint8)
        for j, topic in enumerate(topics):
            columns.append(("topic", str(topic["topic_id"]), f"topic {topic['topic_id']}: {topic['label']}"))
            for quote_id in present.get(topic["topic_id"], ()):
                if quote_id in quote_owner:
                    extra[quote_owner[quote_id], j] = 1
        matrix = np.hstack([matrix, extra])
    tables = []
    for split in by:
        attr = "org" if split == "org" else "region"
        names = sorted({g for g in groups[attr].values() if g != NOT_GIVEN}, key=lambda g: (g.casefold(), g))
        names += [NOT_GIVEN] if NOT_GIVEN in groups[attr].values() else []
        member = np.array([groups[attr][r] for r in respondents], dtype=object)
        sizes = [int((member == name).sum()) for name in names]
        size_hidden = hide(sizes, at_least_one=True)
        counts = np.vstack([matrix[member == name].sum(axis=0) for name in names]) if names else np.zeros((0, 0))
        total = len(respondents)
        table_rows = []
        for j, (kind, ident, label) in enumerate(columns):
            values = [int(counts[g, j]) for g in range(len(names))]
            hidden = hide(
                values, small_groups=[0 < n < min_cell for n in sizes],
                bounds=[n if not h else total for n, h in zip(sizes, size_hidden)],
            )
            shares = [
                _share(name, n, value, h, hs) for name, n, value, h, hs in zip(names, sizes, values, hidden, size_hidden)
            ]
            table_rows.append(PrevalenceRow(kind, ident, label, _share("all", total, int(matrix[:, j].sum()), "", ""),
                                            shares))
        tables.append(PrevalenceTable(split, total, INTERVAL, min_cell, table_rows))
    return tables


def _share(group: str, n: int, coded: int, hidden: str, group_hidden: str) -> GroupShare:
    if group_hidden == "small" or hidden:
        return GroupShare(group, None if group_hidden else n, None, None, None, None, hidden or "small", group_hidden)
    if n == 0:
        return GroupShare(group, n, coded, None, None, None)
    low, high = wilson_interval(coded, n)
    if group_hidden:  # the share and the count shown would give the group's hidden size
        return GroupShare(group, None, coded, None, None, None, hidden, group_hidden)
    return GroupShare(group, n, coded, round(coded / n, 4), round(low, 4), round(high, 4), hidden, group_hidden)
