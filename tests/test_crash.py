"""Crash safety: commands killed at random points, and two commands on one project at once.

After every kill the project must open, pass `doctor`, and hold all the work completed
before the kill: each ingested file whole or not at all, each coding run's suggestions
all or none, and every review decision recorded before it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.errors import StoreError
from probation_themes.ingest import IngestOptions
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.doctor import check_project
from probation_themes.workflows.ingest import ingest_files

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
runner = CliRunner()
WORDS = ("caseload", "laptop", "training", "office", "pay", "manager", "morale", "vacancies", "stress", "emails")


def _survey(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = ["id,answer"] + [
        f"{path.stem}-{i},\"My {rng.choice(WORDS)} and the {rng.choice(WORDS)} are a problem, {i}.\"" for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "probation_themes", *args], env=ENV, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _running(project: Path, command: str) -> bool:
    """Whether the project records a ``command`` run in progress (read-only peek)."""
    try:
        db = sqlite3.connect(f"file:{project}?mode=ro", uri=True, timeout=0.1)
        try:
            return db.execute("SELECT 1 FROM runs WHERE command = ? AND status = 'running'", (command,)).fetchone() is not None
        finally:
            db.close()
    except sqlite3.Error:
        return False


def _kill_during(
    proc: subprocess.Popen,
    project: Path,
    command: str,
    rng: random.Random,
    lasts: float | None = None,
    *,
    writes_seen: bool = False,
) -> bool:
    """SIGKILL ``proc`` at a random point; returns True if it was killed before finishing.

    ``lasts`` is how many seconds an uninterrupted run of the same command took. Half
    the kills land at a random time within it (often while files are read or the
    coder is built); the others, with ``writes_seen``, a random moment after the
    command began writing. ``ingest`` records its run in the same transaction as its
    quotes, so no other connection sees it begin: all its kills land within ``lasts``.
    """
    deadline = time.monotonic() + 60
    if rng.random() < 0.5:
        time.sleep(rng.uniform(0.5, max(1.0, lasts)) if lasts is not None else rng.uniform(0.5, 6.0))
    elif not writes_seen and lasts is not None:
        time.sleep(rng.uniform(0.0, lasts))
    else:
        while proc.poll() is None and not _running(project, command) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.5))
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def _assert_whole(project: Path, files: dict[str, int]) -> None:
    with Project.open(project, create=False) as proj:
        health = check_project(proj)
        assert health.ok, health.problems
    db = sqlite3.connect(project)
    per_source = dict(db.execute("SELECT source, COUNT(*) FROM quotes GROUP BY source").fetchall())
    for name, n in per_source.items():
        assert n == files[name], (name, n)  # a file is stored whole or not at all
    db.close()


def _kill_ingest(tmp_path: Path, rng: random.Random, i: int) -> bool:
    files = [_survey(tmp_path / f"wave{i}_{k}.csv", 4000, seed=i * 10 + k) for k in range(3)]
    project = tmp_path / f"ingest{i}.db"
    # How long the same ingest takes when nothing stops it.
    started = time.monotonic()
    whole = _cli("ingest", *map(str, files), "-p", str(tmp_path / f"whole{i}.db"), "--id-col", "id")
    assert whole.wait() == 0
    lasts = time.monotonic() - started
    proc = _cli("ingest", *map(str, files), "-p", str(project), "--id-col", "id")
    killed = _kill_during(proc, project, "ingest", rng, lasts)
    if project.exists():
        _assert_whole(project, {f.name: 4000 for f in files})
        # The project is still usable: ingesting again completes the job.
        result = runner.invoke(app, ["ingest", *map(str, files), "-p", str(project), "--id-col", "id"])
        assert result.exit_code == 0, result.output
        _assert_whole(project, {f.name: 4000 for f in files})
    return killed


def _kill_code(tmp_path: Path, rng: random.Random, i: int) -> bool:
    project = tmp_path / f"code{i}.db"
    survey = _survey(tmp_path / f"s{i}.csv", 3000, seed=i)
    assert runner.invoke(app, ["ingest", str(survey), "-p", str(project), "--id-col", "id"]).exit_code == 0
    # How long the command takes when nothing stops it (kills land within that time).
    started = time.monotonic()
    assert _cli("code", "-c", str(CODEBOOK), "-p", str(project), "-j", "1").wait() == 0
    lasts = time.monotonic() - started
    with Project.open(project) as proj:
        first = proj.codings("suggested")
        for coding in first[:25]:
            proj.record_decision(Decision(quote_id=coding.quote_id, code=coding.code, decision="accept",
                                          coder="ana", decided_at=datetime.now().astimezone()))
        before = {(c.quote_id, c.code) for c in proj.codings("suggested", evidence=False)}
    # --full: the same codebook again would otherwise code only new quotes (none here) and be done at once.
    proc = _cli("code", "-c", str(CODEBOOK), "-p", str(project), "-j", "1", "--full")
    killed = _kill_during(proc, project, "code", rng, lasts, writes_seen=True)
    _assert_whole(project, {survey.name: 3000})
    with Project.open(project) as proj:
        assert len(proj.decisions()) == 25  # no decision lost
        after = {(c.quote_id, c.code) for c in proj.codings("suggested", evidence=False)}
    assert after == before  # the same rules give the same suggestions: old set kept or new set whole
    return killed


def test_kill_ingest_and_code_at_random_points(tmp_path):
    rng = random.Random(7)
    assert _kill_ingest(tmp_path, rng, 0)
    assert _kill_code(tmp_path, rng, 0)


@pytest.mark.slow
def test_kill_ingest_and_code_many_times(tmp_path):
    rng = random.Random(2026)
    killed = [(_kill_ingest(tmp_path, rng, i), _kill_code(tmp_path, rng, i)) for i in range(25)]
    assert sum(a for a, _ in killed) > 10 and sum(b for _, b in killed) > 10


def test_two_commands_on_one_project_never_corrupt_it(tmp_path):
    project = tmp_path / "busy.db"
    seed = _survey(tmp_path / "seed.csv", 10, seed=1)
    assert runner.invoke(app, ["ingest", str(seed), "-p", str(project), "--id-col", "id"]).exit_code == 0
    files = [_survey(tmp_path / "a0.csv", 2000, seed=3)]
    procs = [_cli("ingest", str(f), "-p", str(project), "--id-col", "id") for f in files]
    procs.append(_cli("code", "-c", str(CODEBOOK), "-p", str(project), "-j", "1"))
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for status, stderr in results:
        assert "Traceback" not in stderr
        assert status == 0 or "is busy" in stderr, stderr
    _assert_whole(project, {"seed.csv": 10, **{f.name: 2000 for f in files}})


def test_a_held_lock_gives_a_clear_busy_message(tmp_path):
    project = tmp_path / "locked.db"
    seed = _survey(tmp_path / "seed.csv", 5, seed=1)
    assert runner.invoke(app, ["ingest", str(seed), "-p", str(project)]).exit_code == 0
    before = sqlite3.connect(project).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    holder = sqlite3.connect(project, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another command is in the middle of writing
    try:
        with Project.open(project) as proj:
            proj._db.execute("PRAGMA busy_timeout = 50")  # do not wait the usual 10 seconds in a test
            with pytest.raises(StoreError, match="is busy: another probation-themes command is writing"):
                ingest_files(proj, [_survey(tmp_path / "other.csv", 5, seed=2)], IngestOptions())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sqlite3.connect(project).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == before
    result = runner.invoke(app, ["doctor", "-p", str(project), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"]


@pytest.mark.slow
def test_a_held_lock_gives_a_clear_busy_message_on_the_command_line(tmp_path):
    project = tmp_path / "locked.db"
    seed = _survey(tmp_path / "seed.csv", 5, seed=1)
    assert runner.invoke(app, ["ingest", str(seed), "-p", str(project)]).exit_code == 0
    holder = sqlite3.connect(project, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = _cli("ingest", str(_survey(tmp_path / "other.csv", 5, seed=2)), "-p", str(project))
        status, stderr = proc.wait(timeout=60), proc.stderr.read()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 1 and "is busy" in stderr and "Traceback" not in stderr, stderr
