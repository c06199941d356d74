"""Worker processes started once per run, for the rule coder's matching and the model's scoring.

:func:`in_workers` streams payloads through a pool that shares its state (inherited
under ``fork``, pickled once per worker under ``spawn``) and falls back to this
process if the workers cannot start or die; :func:`gc_paused` pauses the cyclic
collector during bursts of small acyclic objects.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from probation_themes.errors import CoderError

__all__ = ["gc_paused", "in_workers"]

T = TypeVar("T")
S = TypeVar("S")
P = TypeVar("P")
R = TypeVar("R")


# What a worker process works with: a function and the state it reads (compiled rules, a
# fitted model). Under "fork" the parent sets it just before the pool starts, so children
# inherit the state instead of unpickling it.
_WORKER: tuple[Callable[[Any, Any], Any], Any] | None = None
_FORK_LOCK = threading.Lock()


def _start_method() -> str:
    """``fork`` where it is safe, so workers share the compiled automaton; else ``spawn``.

    fork copies the parent as it is; with other threads running a lock they hold
    would be copied locked, so spawn (which pickles the automaton) is used then.
    """
    # macOS system libraries are not fork-safe, so Python itself defaults to spawn there.
    if (
        sys.platform != "darwin"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    ):
        return "fork"
    return "spawn"


def _usable_cpus() -> int:
    """CPUs this process may run on (fewer than os.cpu_count() in many containers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _init_worker(work: tuple[Callable[[Any, Any], Any], Any] | None) -> None:
    global _WORKER
    if work is not None:
        _WORKER = work


def _run_in_worker(payload: Any) -> Any:
    if _WORKER is None:
        raise CoderError("A coding worker started without its coder; run again with n_jobs=1.")
    fn, state = _WORKER
    with gc_paused():
        return fn(state, payload)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Matching creates hundreds of thousands of tuples and records; each burst
    re-triggers full collections that find nothing (coding ran ~40% slower with
    the collector on). Nothing built here forms a reference cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def in_workers(
    fn: Callable[[S, P], R], state: S, items: Iterable[tuple[T, P]], jobs: int, ahead: int
) -> Iterator[tuple[T, R]]:
    """``fn(state, payload)`` for every ``(tag, payload)``, in worker processes, handed back in order.

    The ``jobs`` workers live for the whole stream (started once, sharing ``state``:
    inherited under fork, pickled once each under spawn). At most ``ahead``
    payloads are in flight, so memory stays bounded however long the stream, and
    the workers go on while the caller stores earlier results. If the workers
    cannot start or die, the payloads they had and the rest run in this process:
    the results are the same either way. ``fn`` must be a module-level function.
    """
    global _WORKER
    method = _start_method()
    executor = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(None,) if method == "fork" else ((fn, state),),
    )
    pending: deque[tuple[T, P, Future]] = deque()

    def take() -> tuple[T, R]:
        tag, payload, future = pending.popleft()
        try:
            return tag, future.result()
        except BrokenProcessPool:
            # Workers could not start or were killed (e.g. spawn from a script without an
            # `if __name__ == "__main__":` guard): this payload is worked here.
            return tag, fn(state, payload)

    broken = started = False
    try:
        for tag, payload in items:
            if not broken:
                try:
                    if method == "fork" and not started:
                        # With fork the executor starts every worker at the first submit;
                        # they inherit the work from this global, which is then let go.
                        with _FORK_LOCK:
                            _WORKER = (fn, state)
                            try:
                                future = executor.submit(_run_in_worker, payload)
                            finally:
                                _WORKER = None
                    else:
                        future = executor.submit(_run_in_worker, payload)
                    started = True
                    pending.append((tag, payload, future))
                    while len(pending) >= ahead:
                        yield take()
                    continue
                except BrokenProcessPool:
                    broken = True
            while pending:  # the payloads handed out before, in order, then this one here
                yield take()
            yield tag, fn(state, payload)
        while pending:
            yield take()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
