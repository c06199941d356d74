"""The project store: migrations, WAL, atomic ingest, suggestions versus human decisions."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from probation_themes.codebook import Codebook
from probation_themes.errors import StoreError
from probation_themes.models import Coding, Decision, Evidence, IngestResult, Quote, Reject, Run
from probation_themes.store import Project
from probation_themes.store.migrations import MIGRATIONS

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


def _quote(n: int, text: str = "caseloads are too high", **kw) -> Quote:
    return Quote(quote_id=f"r{n}:1.1", response_id=f"r{n}", text=text, source="s.csv", row=n + 1, end=len(text), **kw)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    proj = Project.open(tmp_path / "p.db")
    yield proj
    proj.close()


def _ingest(project: Project, quotes: list[Quote], rejects: list[Reject] = (), sha: str = "abc") -> int:
    run_id = project.start_run(Run(command="ingest", started_at=NOW))
    result = IngestResult(source="s.csv", quotes=quotes, rejects=list(rejects), rows_read=len(quotes) + len(rejects))
    project.add_ingest(result, sha256=sha, run_id=run_id)
    project.finish_run(run_id)
    return run_id


def test_new_project_is_migrated_and_uses_wal(tmp_path: Path):
    path = tmp_path / "new.db"
    Project.open(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert [r[0] for r in db.execute("SELECT name FROM _migrations")] == [name for name, _ in MIGRATIONS]
    db.close()
    Project.open(path).close()  # re-opening applies nothing twice


def test_missing_project_without_create_says_how_to_make_one(tmp_path: Path):
    with pytest.raises(StoreError, match="ingest"):
        Project.open(tmp_path / "nope.db", create=False)
    assert not (tmp_path / "nope.db").exists()


def test_a_file_that_is_not_a_project_is_left_untouched(tmp_path: Path):
    other = tmp_path / "notes.db"
    other.write_bytes(b"not sqlite at all, just text")
    with pytest.raises(StoreError, match="not a probation-themes project"):
        Project.open(other)
    assert other.read_bytes() == b"not sqlite at all, just text"
    foreign = tmp_path / "foreign.db"
    db = sqlite3.connect(foreign)
    db.execute("CREATE TABLE x (a)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="not a probation-themes project"):
        Project.open(foreign)


def test_quotes_round_trip_in_ingest_order(project: Project):
    quotes = [_quote(i, region="London", org="CRC", attributes={"grade": "PO"}) for i in (3, 1, 2)]
    _ingest(project, quotes, [Reject(source="s.csv", row=9, reason="empty_answer")])
    assert project.quotes() == quotes
    assert project.count_quotes() == 3
    assert [r.reason for r in project.rejects()] == ["empty_answer"]
    (src,) = project.sources()
    assert (src.rows_read, src.responses, src.quotes, src.rejects) == (4, 3, 3, 1)
    batches = list(project.iter_quotes(batch_size=2))
    assert [len(b) for b in batches] == [2, 1]


def test_failed_ingest_leaves_nothing_behind(project: Project):
    _ingest(project, [_quote(1)])
    run_id = project.start_run(Run(command="ingest", started_at=NOW))
    clash = IngestResult(source="t.csv", quotes=[_quote(2), _quote(1)], rows_read=2)
    with pytest.raises(sqlite3.IntegrityError):
        project.add_ingest(clash, sha256="def", run_id=run_id)
    assert [q.quote_id for q in project.quotes()] == ["r1:1.1"]
    assert len(project.sources()) == 1


def _suggest(project: Project, codes: dict[int, list[str]], method: str = "rules") -> None:
    run_id = project.start_run(Run(command="code", method=method, started_at=NOW))
    codings = [
        Coding(quote_id=f"r{n}:1.1", code=c, method=method, confidence=0.6,
               evidence=[Evidence(rule="any", term="caseload", text="caseloads", start=0, end=9)])
        for n, cs in codes.items() for c in cs
    ]
    project.replace_suggestions(method, codings, run_id=run_id)
    project.finish_run(run_id)


def test_recoding_replaces_suggestions_but_never_human_decisions(project: Project):
    _ingest(project, [_quote(1), _quote(2)])
    _suggest(project, {1: ["workload", "wellbeing"], 2: ["workload"]})
    project.record_decision(Decision(quote_id="r1:1.1", code="wellbeing", decision="reject", coder="ann", decided_at=NOW))
    project.record_decision(Decision(quote_id="r2:1.1", code="workload", decision="accept", coder="ann", decided_at=NOW))
    project.record_decision(Decision(quote_id="r2:1.1", code="ict", decision="accept", coder="ann", decided_at=NOW))

    _suggest(project, {1: ["wellbeing"], 2: ["workload"]})  # re-run: workload on r1 is gone

    status = {(c.quote_id, c.code): (c.status, c.method) for c in project.codings("all")}
    assert status == {
        ("r1:1.1", "wellbeing"): ("rejected", "rules"),
        ("r2:1.1", "workload"): ("accepted", "rules"),
        ("r2:1.1", "ict"): ("accepted", "human"),
    }
    default = {(c.quote_id, c.code) for c in project.codings()}
    assert default == {("r2:1.1", "workload"), ("r2:1.1", "ict")}
    assert {(c.quote_id, c.code) for c in project.codings("suggested")} == set()
    assert len(project.decisions()) == 3
    (kept,) = [c for c in project.codings("accepted") if c.code == "workload"]
    assert kept.coder == "ann" and kept.evidence[0].text == "caseloads"


def test_recoding_one_method_keeps_the_others_and_checks_quote_ids(project: Project):
    _ingest(project, [_quote(1), _quote(2)])
    _suggest(project, {1: ["workload"]}, method="model")
    _suggest(project, {1: ["ict"], 2: ["ict"]})
    _suggest(project, {2: ["pay"]})  # rules again: only rules' suggestions are replaced
    assert sorted((c.quote_id, c.code, c.method) for c in project.codings("all")) == [
        ("r1:1.1", "workload", "model"), ("r2:1.1", "pay", "rules"),
    ]
    _suggest(project, {1: ["wellbeing"]}, method="model")  # the only method left: the table is emptied whole
    _suggest(project, {2: ["ict"]}, method="model")
    assert sorted((c.quote_id, c.code, c.method) for c in project.codings("all")) == [
        ("r2:1.1", "ict", "model"), ("r2:1.1", "pay", "rules"),
    ]
    # Codings from outside the project are refused (foreign keys), and the earlier suggestions stay.
    with pytest.raises(sqlite3.IntegrityError):
        _suggest(project, {9: ["ict"]}, method="model")
    assert len(project.codings("all")) == 2
    # Rows a coder made from the project's own quotes go in without per-row checks.
    run_id = project.start_run(Run(command="code", method="rules", started_at=NOW))
    with project.replacing_suggestions("rules", run_id=run_id, ids_from_project=True) as write:
        assert write.rows([("r1:1.1", "ict", 0.6, "[]"), ("r2:1.1", "ict", None, "[]")]) == 2
    project.finish_run(run_id)
    assert sorted((c.quote_id, c.code, c.method) for c in project.codings("all")) == [
        ("r1:1.1", "ict", "rules"), ("r2:1.1", "ict", "model"), ("r2:1.1", "ict", "rules"),
    ]
    assert project._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_latest_decision_wins(project: Project):
    _ingest(project, [_quote(1)])
    _suggest(project, {1: ["workload"]})
    for decision in ("reject", "accept"):
        project.record_decision(Decision(quote_id="r1:1.1", code="workload", decision=decision, coder="bo", decided_at=NOW))
    assert [c.status for c in project.codings("all")] == ["accepted"]


def test_codebook_is_kept_with_the_run_that_used_it(project: Project):
    book = Codebook.model_validate(
        {"name": "t", "version": "1.0.0", "codes": [{"id": "workload", "label": "Workload", "definition": "d"}]}
    )
    assert project.latest_codebook() is None
    digest = project.save_codebook(book)
    run_id = project.start_run(Run(command="code", codebook_hash=digest, started_at=NOW))
    project.finish_run(run_id)
    assert project.latest_codebook() == book
    assert project.runs()[-1].status == "done"


def test_busy_project_gives_a_clear_message(tmp_path: Path):
    path = tmp_path / "busy.db"
    Project.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    proj = Project.open(path)
    proj._db.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreError, match="busy"):
        proj.start_run(Run(command="x", started_at=NOW))
    holder.execute("ROLLBACK")
    proj.start_run(Run(command="x", started_at=NOW))
    proj.close()
    holder.close()


def test_coder_codings_replace_earlier_imports_of_that_coder(project: Project):
    _ingest(project, [_quote(1), _quote(2)])
    run_id = project.start_run(Run(command="import-codings", started_at=NOW))
    assert project.coder_codings("ann") is None
    project.replace_coder_codings("ann", "response", ["r1", "r2"], [("r1", "workload")], run_id=run_id)
    project.replace_coder_codings("bo", "quote", ["r1:1.1"], [], run_id=run_id)
    assert project.replace_coder_codings("ann", "response", ["r2"], [("r2", "ict"), ("r2", "ict")], run_id=run_id) == (1, 1)
    ann = project.coder_codings("ann")
    assert (ann.level, ann.units, ann.positives) == ("response", frozenset({"r2"}), frozenset({("r2", "ict")}))
    assert project.coders() == ["ann", "bo"]
    assert project.response_ids() == {"r1", "r2"} and project.quote_ids() == {"r1:1.1", "r2:1.1"}


def test_quote_refs_for_many_ids_come_in_ingest_order(project: Project):
    _ingest(project, [_quote(i) for i in range(1, 2001)])
    wanted = [f"r{i}:1.1" for i in range(2000, 0, -3)] + ["r9999:1.1"]  # reversed, past 900, one unknown
    refs = project.quote_refs_for(wanted)
    assert [r.quote_id for r in refs] == [f"r{i}:1.1" for i in range(2, 2001, 3)]
    assert refs[0] == ("r2:1.1", "r2", _quote(2).text)
