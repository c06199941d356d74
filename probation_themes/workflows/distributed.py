"""Where the heavy steps run: in this process (``local``) or on a Dask cluster (``dask``).

An engine maps a function over parts of the work (files to parse, batches of
quotes to code, batches of codings to count) and hands the results back in the
order the parts were given, so every result is identical whichever engine ran
it. The project file is never touched by a worker: this process reads the
parts from the store and writes the results, so the store keeps a single writer.

The Dask engine is optional (``pip install 'probation-themes[dask]'``). Without
a scheduler address it starts a local cluster of worker processes on this
machine; with one (``tcp://host:8786``) it uses that cluster, whose workers
must have the same version of probation-themes installed and, for ``ingest``,
see the input files at the same paths (a shared file system).
"""

from __future__ import annotations

import logging
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from probation_themes.coding.engine import _usable_cpus
from probation_themes.errors import EngineError

T = TypeVar("T")
R = TypeVar("R")

#: Engines ``--engine`` accepts.
ENGINES = ("local", "dask")

INSTALL_HINT = "Install it with `pip install 'probation-themes[dask]'` (or `pip install 'dask[distributed]'`)."


class Engine(Protocol):
    """Runs ``fn(part, *shared)`` for every part and yields ``(part, result)`` in order."""

    name: str

    def map(self, fn: Callable[..., R], parts: Iterable[T], *shared: Any) -> Iterator[tuple[T, R]]: ...

    def close(self) -> None: ...


class LocalEngine:
    """Runs every part here, one after another (coders use this machine's cores themselves)."""

    name = "local"

    def map(self, fn: Callable[..., R], parts: Iterable[T], *shared: Any) -> Iterator[tuple[T, R]]:
        for part in parts:
            yield part, fn(part, *shared)

    def close(self) -> None:
        return None

    def describe(self) -> str:
        return "this process"

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskEngine:
    """Runs parts as tasks on a dask.distributed cluster, at most ``window`` in flight.

    Args:
        scheduler: address of a running scheduler (``tcp://host:8786``); None starts
            a local cluster of ``n_workers`` single-threaded worker processes.
        n_workers: workers of the local cluster (default: this machine's cores).
        window: parts in flight per worker; bounds memory on both sides, since
            results are handed back (and stored) in order as they complete.
        timeout: seconds to wait for the scheduler before giving up.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        n_workers: int | None = None,
        window: int = 2,
        timeout: float = 20.0,
    ) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise EngineError(f"The Dask engine needs the optional packages dask and distributed. {INSTALL_HINT}") from None
        self.scheduler = scheduler
        self._cluster = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout=f"{timeout}s")
            else:
                self._cluster = LocalCluster(
                    n_workers=n_workers or _usable_cpus(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: never clashes with another cluster
                    host="127.0.0.1",
                    silence_logs=logging.CRITICAL,  # task errors reach the user once, as their own message
                )
                self._client = Client(self._cluster, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            self.close()
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise EngineError(
                f"Could not connect to {where} ({exc}). Check that the scheduler is running and the "
                "address (e.g. tcp://host:8786) is reachable from this machine, or leave out "
                "--scheduler to start a local cluster."
            ) from None
        n = len(self._client.scheduler_info().get("workers", {})) or 1
        self.window = max(1, window) * n

    def describe(self) -> str:
        workers = len(self._client.scheduler_info().get("workers", {}))
        where = self.scheduler or "a local cluster"
        return f"Dask on {where} ({workers} worker{'s' if workers != 1 else ''})"

    def map(self, fn: Callable[..., R], parts: Iterable[T], *shared: Any) -> Iterator[tuple[T, R]]:
        client = self._client
        # Shared objects (a fitted coder, options) go to every worker once.
        handles = [client.scatter(obj, broadcast=True) for obj in shared]
        pending: deque = deque()
        try:
            for part in parts:
                with warnings.catch_warnings():
                    # Each part (a batch of quotes) is data the task needs once: Dask's advice to
                    # scatter large arguments ahead of time does not apply, so its warning is not shown.
                    warnings.filterwarnings("ignore", message=r"(?s).*Large object of size", category=UserWarning)
                    pending.append((part, client.submit(fn, part, *handles, pure=False)))
                if len(pending) >= self.window:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        finally:
            for _, future in pending:
                future.cancel()

    def close(self) -> None:
        client, cluster = getattr(self, "_client", None), self._cluster
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_engine(
    name: str = "local", scheduler: str | None = None, *, n_workers: int | None = None, timeout: float = 20.0
) -> LocalEngine | DaskEngine:
    """The engine called ``name``; close it (or use ``with``) when done.

    Raises:
        EngineError: an unknown engine, ``scheduler`` given without the Dask engine,
            Dask not installed, or the scheduler unreachable.
    """
    if name not in ENGINES:
        raise EngineError(f"There is no engine {name!r}; choose one of: {', '.join(ENGINES)}.")
    if name == "local":
        if scheduler:
            raise EngineError(
                f"--scheduler {scheduler} only applies to the Dask engine; add --engine dask, or leave out --scheduler."
            )
        return LocalEngine()
    return DaskEngine(scheduler, n_workers=n_workers, timeout=timeout)
