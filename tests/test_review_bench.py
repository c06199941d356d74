"""The review benchmark stays runnable (small, by default) and meets its target (slow, 100k)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_review.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_review", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_times_every_session_on_a_small_project(tmp_path: Path):
    results = _bench().run(300, seed=3, workdir=tmp_path, answers=20, jobs=1)
    assert [(r["order"], r["status"]) for r in results] == [
        ("file", "suggested"), ("uncertain", "suggested"), ("file", "all")]
    assert all(r["answers"] == 20 and r["quotes"] == 300 for r in results)
    assert all(0 < r["answer"]["median_ms"] <= r["answer"]["max_ms"] for r in results)
    assert results[2]["in_session"] == 300 >= results[0]["in_session"]


@pytest.mark.slow
def test_the_next_quote_is_ready_within_100_ms_on_100k_quotes(tmp_path: Path):
    bench = _bench()
    for r in bench.run(100_000, seed=1, workdir=tmp_path, answers=300):
        assert r["in_session"] > 90_000 and r["next_quote"]["p95_ms"] < bench.TARGET_MS, r
