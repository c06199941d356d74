"""Scoring with the learned coder in worker processes, a few chunks ahead of the caller."""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from probation_themes.coding.engine import _start_method, _usable_cpus, gc_paused
from probation_themes.errors import CoderError

if TYPE_CHECKING:
    from probation_themes.models import Quote
    from probation_themes.coding.model import Chunk, ModelCoder, Scores

    #: A chunk of quotes as given (kept here) and as sent to a worker.
    _Item = tuple[Sequence[Quote], Chunk]

#: Fewer quotes than this are scored in this process: starting workers costs more.
PARALLEL_MIN_QUOTES = 20_000

# Under "fork" the parent sets this just before the workers start, so children
# inherit the fitted model instead of unpickling it.
_WORKER_CODER: ModelCoder | None = None


def _init_worker(coder: ModelCoder | None) -> None:
    global _WORKER_CODER
    if coder is not None:
        _WORKER_CODER = coder


def _score_in_worker(chunk: Chunk) -> Scores:
    if _WORKER_CODER is None:
        raise CoderError("A model worker started without its model; run again with n_jobs=1.")
    with gc_paused():
        return _WORKER_CODER.score_chunk(chunk)




def score_chunks(coder: ModelCoder, items: Iterator[_Item]) -> Iterator[tuple[Sequence[Quote], Chunk, Scores]]:
    """Score chunks in order: here for small inputs, else in worker processes."""
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
    yield from _score_in_workers(coder, stream, jobs)


def _score_in_workers(
    coder: ModelCoder, items: Iterator[_Item], jobs: int
) -> Iterator[tuple[Sequence[Quote], Chunk, Scores]]:
    """Keep ``jobs`` workers busy a few chunks ahead while the caller stores earlier ones."""
    global _WORKER_CODER
    method = _start_method()
    executor = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(None,) if method == "fork" else (coder,),
    )
    pending: deque[tuple[_Item, Future]] = deque()

    def submit() -> None:
        item = next(items, None)
        if item is not None:
            pending.append((item, executor.submit(_score_in_worker, item[1])))

    try:
        if method == "fork":
            # Under fork every worker starts at the first submit and inherits the model
            # from this global, which the parent then lets go.
            _WORKER_CODER = coder
            try:
                submit()
            finally:
                _WORKER_CODER = None
        for _ in range(2 * jobs - len(pending)):
            submit()
        while pending:
            item, future = pending.popleft()
            try:
                scores = future.result()
            except BrokenProcessPool:
                # Workers could not start (e.g. spawn from a script without an
                # `if __name__ == "__main__":` guard): finish in this process.
                rest = itertools.chain([item], (i for i, _ in pending), items)
                pending.clear()
                for quotes, chunk in rest:
                    yield quotes, chunk, coder.score_chunk(chunk)
                return
            submit()
            yield item[0], item[1], scores
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
