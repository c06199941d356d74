"""Scoring with the learned coder in worker processes, a few chunks ahead of the caller."""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from probation_themes.coding.engine import _usable_cpus, in_workers

if TYPE_CHECKING:
    from probation_themes.models import Quote
    from probation_themes.coding.model import Chunk, ModelCoder, Scores

    #: A chunk of quotes as given (kept here) and as sent to a worker.
    _Item = tuple[Sequence[Quote], Chunk]

#: Fewer quotes than this are scored in this process: starting workers costs more.
PARALLEL_MIN_QUOTES = 20_000


def _score(coder: ModelCoder, chunk: Chunk) -> Scores:
    return coder.score_chunk(chunk)


def score_chunks(coder: ModelCoder, items: Iterator[_Item]) -> Iterator[tuple[Sequence[Quote], Chunk, Scores]]:
    """Score chunks in order: here for small inputs, else in worker processes a few chunks ahead."""
    jobs = _usable_cpus() if coder.n_jobs in (None, -1) else coder.n_jobs
    head: list[_Item] = []
    seen = 0
    for item in items:  # look ahead just far enough to know whether workers pay off
        head.append(item)
        seen += len(item[1].refs)
        if seen > PARALLEL_MIN_QUOTES:
            break
    stream = itertools.chain(head, items)
    # A daemon process (e.g. a worker of someone else's pool) may not start children.
    if jobs <= 1 or seen <= PARALLEL_MIN_QUOTES or multiprocessing.current_process().daemon:
        for quotes, chunk in stream:
            yield quotes, chunk, coder.score_chunk(chunk)
        return
    for (quotes, chunk), scores in in_workers(_score, coder, ((item, item[1]) for item in stream), jobs, 2 * jobs):
        yield quotes, chunk, scores
