"""The Dask engine: same results as the local engine, clear errors when it cannot run."""

from __future__ import annotations

import pytest

from probation_themes.errors import EngineError
from probation_themes.workflows.distributed import LocalEngine, open_engine

pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def dask_engine():
    with open_engine("dask", n_workers=2) as engine:
        yield engine


def _scaled(part: list[int], factor: int) -> list[int]:
    return [x * factor for x in part]


def _fails(part: int) -> int:
    if part == 3:
        raise ValueError("part 3 is broken")
    return part


def test_both_engines_give_each_part_its_result_in_order(dask_engine):
    parts = [list(range(i, i + 5)) for i in range(0, 60, 5)]
    local = list(LocalEngine().map(_scaled, parts, 3))
    assert list(dask_engine.map(_scaled, iter(parts), 3)) == local
    assert [p for p, _ in local] == parts and local[2][1] == [30, 33, 36, 39, 42]
    assert "2 workers" in dask_engine.describe()


def test_a_failing_part_raises_its_error_and_stops_the_map(dask_engine):
    with pytest.raises(ValueError, match="part 3 is broken"):
        list(dask_engine.map(_fails, range(10)))
    # The engine is still usable afterwards.
    assert [r for _, r in dask_engine.map(_fails, range(3))] == [0, 1, 2]


def test_unknown_engine_and_misplaced_scheduler_are_explained():
    with pytest.raises(EngineError, match="no engine 'spark'.*local, dask"):
        open_engine("spark")
    with pytest.raises(EngineError, match="only applies to the Dask engine"):
        open_engine("local", "tcp://127.0.0.1:8786")


def test_unreachable_scheduler_is_one_clear_error():
    with pytest.raises(EngineError, match=r"Could not connect to the Dask scheduler at tcp://127\.0\.0\.1:9 .*--scheduler"):
        open_engine("dask", "tcp://127.0.0.1:9", timeout=1)
