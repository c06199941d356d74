"""The Dask engine: same results as the local engine, clear errors when it cannot run."""

from __future__ import annotations

import csv
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import load_codebook
from probation_themes.errors import EngineError
from probation_themes.export.table import digest_batch, themed_table_from_batches
from probation_themes.ingest import IngestOptions
from probation_themes.ingest.redact import Redactor
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.stream import ProjectReader
from probation_themes.workflows.code import code_project
from probation_themes.workflows.distributed import LocalEngine, open_engine
from probation_themes.workflows.import_codings import import_codings
from probation_themes.workflows.ingest import ingest_files
from probation_themes.workflows.redact import redact_project
from probation_themes.workflows.topics import fit_topics

pytest.importorskip("dask.distributed")


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


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


# -- the same corpus through both engines ------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "corpora" / "synthetic" / "staff_survey.csv"
THEMES = ROOT / "corpora" / "synthetic" / "staff_survey_themes.csv"
BOOK = ROOT / "codebooks" / "probation_unification.yaml"
OPTIONS = IngestOptions(
    text_cols=["Q1 What has been done particularly well?", "Q2 What should have been done differently?",
               "Q3 Any further comments"],
    id_col="Respondent ID", region_col="Region", org_col="Former organisation",
)


def _gold_file(path: Path) -> Path:
    """The synthetic survey's answer key as a long table (respondent, code) for import-codings."""
    with THEMES.open(encoding="utf-8", newline="") as fh:
        rows = {(r["respondent_id"], t.strip()) for r in csv.DictReader(fh) for t in r["themes"].split("|") if t.strip()}
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "code"])
        writer.writerows(sorted(rows))
    return path


def _new_project(path: Path, engine=None) -> Project:
    project = Project.open(path)
    ingest_files(project, [SURVEY], OPTIONS, engine=engine)
    import_codings(project, _gold_file(path.with_suffix(".gold.csv")), coder="gold", codebook=load_codebook(BOOK))
    return project


def _suggestions(project: Project, method: str) -> list[tuple]:
    return [
        (c.quote_id, c.code, c.confidence, [e.model_dump() for e in c.evidence])
        for c in project.codings(method=method)
    ]


@pytest.fixture(scope="module")
def twins(tmp_path_factory, dask_engine):
    """The synthetic survey ingested into two projects: here, and by the Dask engine."""
    where = tmp_path_factory.mktemp("twins")
    local, remote = _new_project(where / "local.db"), _new_project(where / "dask.db", dask_engine)
    yield local, remote
    local.close()
    remote.close()


def test_ingest_on_dask_stores_exactly_what_local_ingest_stores(twins):
    local, remote = twins
    assert local.count_quotes() > 549
    assert [q.model_dump() for q in remote.quotes()] == [q.model_dump() for q in local.quotes()]
    assert [asdict(s) for s in remote.sources()] == [asdict(s) for s in local.sources()]
    assert [r.model_dump() for r in remote.rejects()] == [r.model_dump() for r in local.rejects()]


@pytest.mark.parametrize("method", ["rules", "topics", "model", "all"])
def test_every_method_codes_identically_on_dask(twins, dask_engine, method):
    local, remote = twins
    book = load_codebook(BOOK)
    train = "gold" if method in ("model", "all") else None
    here = code_project(local, book, method=method, train_coder=train, batch_size=100, full=True)
    there = code_project(remote, book, method=method, train_coder=train, batch_size=100, full=True, engine=dask_engine)
    assert there.engine == "dask" and here.engine == "local"
    assert there.codings == here.codings > 0 and there.per_code == here.per_code
    assert _suggestions(remote, method) == _suggestions(local, method)


@pytest.mark.parametrize("method", ["model", "all"])
def test_topic_features_reach_the_model_on_dask_and_code_identically(twins, dask_engine, method):
    local, remote = twins
    book = load_codebook(BOOK)
    for project in (local, remote):
        if not any(r.command == "topics" for r in project.runs()):
            fit_topics(project, book, k=2)
    here = code_project(local, book, method=method, train_coder="gold", batch_size=100, full=True)
    there = code_project(remote, book, method=method, train_coder="gold", batch_size=100, full=True, engine=dask_engine)
    assert here.used_topics and there.used_topics and there.topic_features == here.topic_features
    assert there.codings == here.codings > 0
    assert _suggestions(remote, method) == _suggestions(local, method)
    assert any(e["term"].startswith("topic ") for *_, evidence in _suggestions(local, method) for e in evidence)


# -- incremental coding -------------------------------------------------------------------


def _answers(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "comment"])
        writer.writerows(rows)
    return path


FIRST = [("a1", "My caseload is far too high"), ("a2", "The laptop is slow"), ("a3", "Fine as it is")]
LATER = [("b1", "Workload keeps rising and IT support never answers"), ("b2", "Pay was wrong again")]
PLAIN = IngestOptions(text_cols=["comment"], id_col="id")


def test_only_quotes_ingested_since_the_last_run_are_coded_and_the_result_is_the_same(tmp_path: Path):
    book = load_codebook(BOOK)
    with Project.open(tmp_path / "p.db") as project:
        ingest_files(project, [_answers(tmp_path / "first.csv", FIRST)], PLAIN)
        first = code_project(project, book)
        assert (first.coded_quotes, first.kept_from_run) == (3, None)
        again = code_project(project, book)
        assert (again.coded_quotes, again.kept_from_run, again.codings) == (0, first.run_id, 0)
        ingest_files(project, [_answers(tmp_path / "later.csv", LATER)], PLAIN)
        later = code_project(project, book)
        assert (later.coded_quotes, later.kept_from_run, later.quotes) == (2, again.run_id, 5)
        incremental = _suggestions(project, "rules")
        assert {q for q, *_ in incremental} >= {"b1:1.1", "b2:1.1", "a1:1.1"}
        full = code_project(project, book, full=True)
        assert (full.coded_quotes, full.kept_from_run) == (5, None)
        assert _suggestions(project, "rules") == incremental


def test_a_changed_codebook_new_training_labels_or_a_redaction_code_everything_again(tmp_path: Path, twins):
    book = load_codebook(BOOK)
    with Project.open(tmp_path / "p.db") as project:
        ingest_files(project, [_answers(tmp_path / "first.csv", FIRST)], PLAIN)
        code_project(project, book)
        changed = book.model_copy(update={"version": "9.9.9"})
        assert code_project(project, changed).kept_from_run is None
        assert code_project(project, changed).kept_from_run is not None
        redact_project(project, Redactor())  # finds nothing to replace: the suggestions still stand
        assert code_project(project, changed).kept_from_run is not None
        project._db.execute("UPDATE quotes SET text = text || ', ring 07700 900123' WHERE quote_id = 'a3:1.1'")
        assert redact_project(project, Redactor()).quotes_changed == 1
        assert code_project(project, changed).kept_from_run is None
    local, _ = twins
    book = load_codebook(BOOK)
    code_project(local, book, method="model", train_coder="gold")
    assert code_project(local, book, method="model", train_coder="gold").kept_from_run is not None
    local.record_decision(
        Decision(quote_id=local.quotes()[0].quote_id, code="premises", decision="accept", coder="ann",
                 decided_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    )
    assert code_project(local, book, method="model", train_coder="gold").kept_from_run is None


# -- the command line ---------------------------------------------------------------------


def test_code_on_dask_from_the_command_line_matches_local_coding(tmp_path: Path):
    for name in ("local", "dask"):
        (tmp_path / name).mkdir()
        db = tmp_path / name / "survey.db"  # the same name: reports are titled by it
        result = invoke("ingest", _answers(tmp_path / "a.csv", FIRST + LATER), "--text-col", "comment", "--id-col",
                        "id", "-p", db, "--engine", name)
        assert result.exit_code == 0, result.output
        result = invoke("code", "-c", BOOK, "-p", db, "--engine", name)
        assert result.exit_code == 0, result.output
        coded = result.output
        assert invoke("export", "codings", "-p", db, "-o", tmp_path / f"{name}.csv").exit_code == 0
        result = invoke("report", "-p", db, "-o", tmp_path / f"{name}.md", "--min-cell", "0", "--engine", name)
        assert result.exit_code == 0, result.output
    assert "Engine: Dask on a local cluster" in coded and "on dask" in coded
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    # The reports agree figure for figure; only their headers differ, naming each project's own code run and its time.
    reports = [(tmp_path / f"{name}.md").read_text(encoding="utf-8").splitlines() for name in ("dask", "local")]
    about = [[line for line in r if line.startswith("**What these figures count.**")] for r in reports]
    assert all(len(a) == 1 and "suggestions of the rules method" in a[0] for a in about)
    assert [[line for line in r if line not in a] for r, a in zip(reports, about)] == [
        [line for line in reports[1] if line not in about[1]]
    ] * 2


def test_report_counts_made_on_dask_in_small_batches_equal_local_counts(twins, dask_engine):
    local, _ = twins
    book = load_codebook(BOOK)
    code_project(local, book, method="rules", full=True)
    reader = ProjectReader(local, "default")
    here = themed_table_from_batches("p", book, reader.batches(), reader.batch_of, min_cell=0)
    there = themed_table_from_batches(
        "p", book, reader.batches(batch_size=37), reader.batch_of, min_cell=0,
        digests=lambda batches: (d for _, d in dask_engine.map(digest_batch, batches, book.ids)),
    )
    assert there == here and sum(c.n_quotes for c in here.codes) > 100


def test_a_scheduler_without_the_dask_engine_is_a_one_paragraph_error(tmp_path: Path):
    result = invoke("code", "-c", BOOK, "-p", tmp_path / "p.db", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 1
    assert "--scheduler tcp://127.0.0.1:8786 only applies to the Dask engine; add --engine dask" in result.output
    assert "Traceback" not in result.output
