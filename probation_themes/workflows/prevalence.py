"""How common each code (and topic) is in each group of respondents, with bootstrap intervals.

So a researcher can write "former CRC staff raised the cultural divide more often
(31%, 95% CI 27–35%) than former NPS staff (18%, 15–21%)". The unit is the
respondent: a respondent counts once for a code if any of their quotes has it.
Intervals are percentile bootstrap intervals: respondents of a group are
resampled with replacement (2,000 times by default, from a fixed seed, so the
same project gives the same intervals), and the 2.5th and 97.5th percentiles of
the resampled shares are reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from probation_themes.codebook import Codebook
from probation_themes.errors import StoreError
from probation_themes.models import Quote
from probation_themes.store import Project, StatusFilter
from probation_themes.store.topics import latest_topics_run, topic_quotes

#: Group name for respondents whose region or organisation was not given.
NOT_GIVEN = "(not given)"

#: Bootstrap resamples, and the most resampled respondents held in memory at once.
N_BOOT = 2000
_CELLS_PER_CHUNK = 4_000_000


@dataclass
class GroupShare:
    """Respondents of one group with a code: count, share and its 95% interval.

    Every figure but the group's name is None where the group has fewer
    respondents than the ``min_cell`` asked for (suppressed, as in reports).
    """

    group: str
    respondents: int | None
    coded: int | None
    share: float | None
    low: float | None
    high: float | None


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
    n_boot: int
    seed: int
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


def _group_of(quotes: Sequence[Quote], attr: str) -> dict[str, str]:
    groups: dict[str, str] = {}
    for q in quotes:
        value = (getattr(q, attr) or "").strip() or NOT_GIVEN
        if groups.get(q.response_id, NOT_GIVEN) == NOT_GIVEN:
            groups[q.response_id] = value
    return groups


def group_prevalence(
    project: Project,
    codebook: Codebook,
    by: Sequence[str],
    *,
    status: StatusFilter = "default",
    n_boot: int = N_BOOT,
    seed: int = 0,
    min_cell: int = 0,
) -> list[PrevalenceTable]:
    """Share of respondents with each code, and each topic of the last ``topics`` run, per group.

    Args:
        project: the open project.
        codebook: gives the codes, their labels and order.
        by: ``org`` and/or ``region``.
        status: which codings count (``default``: suggested and accepted, minus rejected).
        n_boot: bootstrap resamples.
        seed: random seed of the resampling.
        min_cell: groups with fewer respondents than this show no share or interval.

    Raises:
        StoreError: the project has no quotes.
    """
    quotes = [q for batch in project.iter_quotes(substantive=True) for q in batch]  # no non-answers
    if not quotes:
        raise StoreError(f"The project {project.path} has no quotes yet; ingest a file first.", path=project.path)
    respondents = sorted({q.response_id for q in quotes})
    index = {r: i for i, r in enumerate(respondents)}
    response_of = {q.quote_id: q.response_id for q in quotes}
    columns: list[tuple[str, str, str]] = [("code", c.id, c.label) for c in codebook.codes]
    matrix = np.zeros((len(respondents), len(columns)), dtype=np.uint8)
    position = {c.id: j for j, c in enumerate(codebook.codes)}
    for coding in project.codings(status, evidence=False):
        if coding.code in position and coding.quote_id in response_of:
            matrix[index[response_of[coding.quote_id]], position[coding.code]] = 1
    found = latest_topics_run(project)
    if found is not None:
        run, topics = found
        present = topic_quotes(project, int(run.run_id or 0))
        extra = np.zeros((len(respondents), len(topics)), dtype=np.uint8)
        for j, topic in enumerate(topics):
            columns.append(("topic", str(topic["topic_id"]), f"topic {topic['topic_id']}: {topic['label']}"))
            for quote_id in present.get(topic["topic_id"], ()):
                if quote_id in response_of:
                    extra[index[response_of[quote_id]], j] = 1
        matrix = np.hstack([matrix, extra])
    tables = []
    for split in by:
        attr = "org" if split == "org" else "region"
        groups = _group_of(quotes, attr)
        names = sorted({g for g in groups.values() if g != NOT_GIVEN}, key=lambda g: (g.casefold(), g))
        names += [NOT_GIVEN] if NOT_GIVEN in groups.values() else []
        member = np.array([groups[r] for r in respondents], dtype=object)
        overall = bootstrap_shares(matrix, n_boot=n_boot, seed=[seed, 0])
        per_group = []
        for g, name in enumerate(names, start=1):
            rows = matrix[member == name]
            per_group.append((name, len(rows), rows.sum(axis=0), bootstrap_shares(rows, n_boot=n_boot, seed=[seed, g])))
        table_rows = []
        for j, (kind, ident, label) in enumerate(columns):
            shares = [
                _share(name, n, int(coded[j]), stats, j, min_cell) for name, n, coded, stats in per_group
            ]
            table_rows.append(
                PrevalenceRow(kind, ident, label, _share("all", len(respondents), int(matrix[:, j].sum()), overall, j, 0), shares)
            )
        tables.append(PrevalenceTable(split, len(respondents), n_boot, seed, table_rows))
    return tables


def _share(group: str, n: int, coded: int, stats, j: int, min_cell: int) -> GroupShare:
    if n < min_cell:
        return GroupShare(group, None, None, None, None, None)
    share, low, high = (round(float(s[j]), 4) for s in stats)
    return GroupShare(group, n, coded, share, low, high)
