"""Reports and exports read the project in batches and give exactly what a whole snapshot gives."""

from __future__ import annotations

import csv
import importlib.util
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import load_codebook
from probation_themes.errors import ExportError
from probation_themes.export import build_themed_table, export_codings_long, export_codings_wide, render_markdown
from probation_themes.export.csv_tables import csv_chunks, write_csv_chunks_atomic
from probation_themes.export.safety import csv_text
from probation_themes.export.table import spread, themed_table_from_batches
from probation_themes.ingest import IngestOptions
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.review import latest_memos, write_memo
from probation_themes.store.stream import ProjectReader
from probation_themes.workflows.code import code_project
from probation_themes.workflows.ingest import ingest_files

ROOT = Path(__file__).resolve().parents[1]
BOOK = load_codebook(ROOT / "codebooks" / "probation_unification.yaml")
STATUSES = ("default", "suggested", "accepted", "rejected", "all")
AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def _comments(n: int, seed: int) -> list[list[str]]:
    spec = importlib.util.spec_from_file_location("generate_survey", ROOT / "corpora" / "synthetic" / "generate_survey.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_comments(n, seed)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 generated answers cut into sentences (several quotes per respondent), coded, then reviewed."""
    folder = tmp_path_factory.mktemp("stream")
    survey = folder / "comments.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "region", "organisation", "comment"])
        writer.writerows(_comments(60, 11))
    path = folder / "themes.db"
    with Project.open(path) as project:
        options = IngestOptions(text_cols=["comment"], id_col="id", region_col="region", org_col="organisation",
                                split="sentence")
        # Every quote kept as an answer: streaming must give the whole project (non-answers: below).
        ingest_files(project, [survey], options, non_answers=None)
        code_project(project, BOOK, n_jobs=1)
        coded = project.codings("all", evidence=False)
        quotes = project.quotes()
        uncoded = next(q for q in quotes if not any(c.quote_id == q.quote_id for c in coded))
        for coding, decision in ((coded[0], "accept"), (coded[1], "reject"), (coded[5], "reject"), (coded[5], "accept")):
            project.record_decision(Decision(quote_id=coding.quote_id, code=coding.code, decision=decision,
                                             coder="ann", decided_at=AT, memo=None))
        # A code a person added where no machine suggested it.
        project.record_decision(Decision(quote_id=uncoded.quote_id, code=BOOK.ids[-1], decision="accept",
                                         coder="ann", decided_at=AT))
        write_memo(project, coded[0].quote_id, coded[0].code, "a telling example", coder="ann", at=AT)
        write_memo(project, coded[0].quote_id, "", "| pipes and *stars*", coder="ann", at=AT)
    return path


@pytest.fixture
def project(template: Path, tmp_path: Path):
    path = tmp_path / "themes.db"
    shutil.copy(template, path)
    with Project.open(path) as proj:
        yield proj


def test_the_fixture_has_respondents_with_several_quotes_and_decisions(project: Project):
    quotes = project.quotes()
    assert len({q.response_id for q in quotes}) < len(quotes)
    assert {c.status for c in project.codings("all")} == {"suggested", "accepted", "rejected"}
    assert any(c.method == "human" for c in project.codings("accepted"))


@pytest.mark.parametrize("status", STATUSES)
def test_batches_give_every_quote_and_coding_exactly_as_the_whole_project(project: Project, status: str):
    reader = ProjectReader(project, status, evidence=True)
    batches = list(reader.batches(batch_size=7, text=True))
    assert len(batches) > 5
    quotes = [q for b in batches for q in b.quotes]
    assert [(q.quote_id, q.response_id, q.text, q.region, q.org) for q in quotes] == [
        (q.quote_id, q.response_id, q.text, q.region, q.org) for q in project.quotes()
    ]
    streamed = [c for b in batches for c in b.codings]
    whole = project.codings(status)
    assert [(c.quote_id, c.code, c.method, c.status, c.coder, c.confidence, c.decided_at,
             [e._asdict() for e in c.evidence]) for c in streamed] == [
        (c.quote_id, c.code, c.method, c.status, c.coder, c.confidence, c.decided_at,
         [e.model_dump() for e in c.evidence]) for c in whole
    ]
    assert any(c.evidence for c in streamed)
    assert reader.coded_codes() == {c.code for c in whole}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("max_quotes", [None, 0, 1, 3])
def test_the_streamed_themed_table_equals_the_snapshot_table(project: Project, status: str, max_quotes: int | None):
    reader = ProjectReader(project, status)
    memos = latest_memos(project)
    streamed = themed_table_from_batches(project.path.stem, BOOK, reader.batches(batch_size=5), reader.batch_of,
                                         min_cell=3, max_quotes=max_quotes, memos=memos)
    snapshot = build_themed_table(project.snapshot(status), BOOK, min_cell=3, max_quotes=max_quotes)
    # The snapshot path shows no memos; everything else must agree.
    plain = streamed.model_copy(update={"codes": tuple(
        c.model_copy(update={"quotes": tuple(q.model_copy(update={"memo": None, "quote_memo": None}) for q in c.quotes)})
        for c in streamed.codes
    )})
    assert plain == snapshot
    assert all(len(c.quotes) == (c.n_quotes if max_quotes is None else min(c.n_quotes, max_quotes))
               for c in streamed.codes)


def test_non_answers_are_left_out_of_the_streamed_and_the_snapshot_table_alike(project: Project):
    from probation_themes.ingest.nonanswers import builtin_non_answers
    from probation_themes.workflows.nonanswers import judge_non_answers

    before = build_themed_table(project.snapshot(), BOOK, min_cell=0)
    judged = judge_non_answers(project, builtin_non_answers())
    assert judged.non_answers > 0 and sum(judged.phrases.values()) == judged.non_answers
    flagged = {q.quote_id for q in project.quotes()} - {q.quote_id for q in project.snapshot().quotes}
    assert len(flagged) == judged.non_answers
    reader = ProjectReader(project)
    streamed = themed_table_from_batches(project.path.stem, BOOK, reader.batches(batch_size=5), reader.batch_of,
                                         min_cell=0, max_quotes=None)
    snapshot = build_themed_table(project.snapshot(), BOOK, min_cell=0, max_quotes=None)
    assert streamed.total_quotes == snapshot.total_quotes == before.total_quotes - len(flagged)
    assert [(c.code_id, c.n_quotes, c.n_respondents) for c in streamed.codes] == [
        (c.code_id, c.n_quotes, c.n_respondents) for c in snapshot.codes]
    assert not {q.quote_id for c in streamed.codes for q in c.quotes} & flagged
    everything = ProjectReader(project, non_answers=True)
    assert sum(len(b.quotes) for b in everything.batches()) == before.total_quotes


def test_a_capped_theme_shows_quotes_spread_evenly_and_says_so(project: Project):
    table = build_themed_table(project.snapshot(), BOOK, max_quotes=2)
    code = max(table.codes, key=lambda c: c.n_quotes)
    everything = build_themed_table(project.snapshot(), BOOK, max_quotes=None).codes[table.codes.index(code)]
    assert code.n_quotes > 4
    assert [q.quote_id for q in code.quotes] == [everything.quotes[0].quote_id,
                                                 everything.quotes[code.n_quotes // 2].quote_id]
    assert code.n_respondents == everything.n_respondents and code.by_region == everything.by_region
    assert "2 shown, spread evenly through them in survey order" in render_markdown(table)
    assert "shown, spread evenly" not in render_markdown(build_themed_table(project.snapshot(), BOOK, max_quotes=None))
    none = render_markdown(build_themed_table(project.snapshot(), BOOK, max_quotes=0))
    assert "; none of them shown" in none and "No quotes were coded" not in none and "> “" not in none


def test_spread_keeps_the_first_and_spaces_the_rest_evenly():
    assert spread(10, None) == list(range(10))
    assert spread(3, 5) == [0, 1, 2]
    assert spread(10, 4) == [0, 2, 5, 7]
    assert spread(10, 0) == []


@pytest.mark.parametrize("status", ["default", "accepted", "all"])
def test_cli_exports_equal_the_snapshot_exports_byte_for_byte(project: Project, tmp_path: Path, status: str):
    long_out, wide_out = tmp_path / "long.csv", tmp_path / "wide.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["export", "codings", "-p", str(project.path), "-o", str(long_out), "--status", status])
    assert result.exit_code == 0, result.output
    expected = export_codings_long(project.snapshot(status), BOOK, latest_memos(project))
    assert long_out.read_bytes() == expected.encode("utf-8-sig")
    assert "a telling example" in expected and "'| pipes" not in expected
    if status != "all":
        result = runner.invoke(app, ["export", "codings", "--wide", "-p", str(project.path), "-o", str(wide_out),
                                     "--status", status])
        assert result.exit_code == 0, result.output
        snapshot = project.snapshot(status)
        columns = ("region", "org", *dict.fromkeys(k for q in snapshot.quotes for k in q.attributes))  # --attribute all
        assert wide_out.read_bytes() == export_codings_wide(snapshot, BOOK, columns).encode("utf-8-sig")


def test_report_quotes_option_and_memos_from_the_cli(project: Project, tmp_path: Path):
    runner = CliRunner()
    capped, full = tmp_path / "capped.md", tmp_path / "full.md"
    assert runner.invoke(app, ["report", "-p", str(project.path), "-o", str(capped), "--quotes", "1"]).exit_code == 0
    result = runner.invoke(app, ["report", "-p", str(project.path), "-o", str(full), "--quotes", "all", "--memos"])
    assert result.exit_code == 0, result.output
    assert "1 shown, spread evenly" in capped.read_text(encoding="utf-8")
    text = full.read_text(encoding="utf-8")
    assert "shown, spread evenly" not in text
    assert "*Memo:* a telling example" in text and "*Memo:* \\| pipes and *stars*" in text
    assert "Memo:" not in capped.read_text(encoding="utf-8")
    html = tmp_path / "full.html"
    assert runner.invoke(app, ["report", "-f", "html", "-p", str(project.path), "-o", str(html), "--memos"]).exit_code == 0
    assert '<p class="note">Memo: a telling example</p>' in html.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", "-p", str(project.path), "-o", str(full), "--quotes", "some"])
    assert bad.exit_code == 1 and "--quotes takes a number" in bad.output and "Traceback" not in bad.output


def test_a_code_missing_from_the_codebook_stops_the_streamed_export(project: Project, tmp_path: Path):
    smaller = tmp_path / "smaller.yaml"
    text = (ROOT / "codebooks" / "probation_unification.yaml").read_text(encoding="utf-8")
    # Keep only codes before the last one: the person-added code is then unknown to the codebook.
    cut = text.index(f"- id: {BOOK.ids[-1]}")
    smaller.write_text(text[:cut], encoding="utf-8")
    out = tmp_path / "wide.csv"
    result = CliRunner().invoke(app, ["export", "codings", "--wide", "-p", str(project.path), "-o", str(out),
                                      "-c", str(smaller)])
    assert result.exit_code == 1 and BOOK.ids[-1] in result.output and not out.exists()


def test_csv_chunks_join_to_the_same_text_and_a_failed_write_leaves_nothing(tmp_path: Path):
    rows = [[str(i), "=1+1", "a,b", "line\nbreak"] for i in range(25)]
    assert "".join(csv_chunks(["x", "y", "z", "w"], rows, rows_per_chunk=4)) == csv_text(["x", "y", "z", "w"], rows)
    safe = [["'=1+1", "1"], ["a", "0"]]
    assert "".join(csv_chunks(["x", "y"], safe, checked=True)) == csv_text(["x", "y"], [["=1+1", "1"], ["a", "0"]])
    assert "".join(csv_chunks(["x"], [])) == csv_text(["x"], [])

    def failing():
        yield "a,b\r\n"
        raise ExportError("stopped half-way")

    target = tmp_path / "out.csv"
    with pytest.raises(ExportError):
        write_csv_chunks_atomic(target, failing())
    assert list(tmp_path.iterdir()) == []
    write_csv_chunks_atomic(target, csv_chunks(["x"], [["1"]]))
    assert target.read_bytes() == "x\r\n1\r\n".encode("utf-8-sig")
