"""Workflows end to end on a real project file: ingest, code, re-code, and the demo's scoring."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from probation_themes.codebook import Codebook
from probation_themes.errors import IngestError
from probation_themes.ingest import IngestOptions
from probation_themes.models import Coding, Decision, Quote
from probation_themes.store import Project
from probation_themes.workflows.code import code_project
from probation_themes.workflows.demo import gold_agreement
from probation_themes.workflows.ingest import ingest_files

BOOK = Codebook.model_validate(
    {
        "name": "mini",
        "version": "1.2.0",
        "codes": [
            {"id": "workload", "label": "Workload", "definition": "d", "rules": {"any": ["caseload", "overwhelm*"]}},
            {"id": "ict", "label": "ICT", "definition": "d", "rules": {"any": ["laptop", "nDelius"]}},
            {"id": "pay", "label": "Pay", "definition": "d", "rules": {"any": ["regrading exercise"]}},
        ],
    }
)
OPTIONS = IngestOptions(text_cols=["answer"], id_col="id", region_col="region", org_col="org")


def write_survey(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "region", "org", "answer"])
        writer.writerows(rows)
    return path


@pytest.fixture
def project(tmp_path: Path):
    with Project.open(tmp_path / "p.db") as proj:
        yield proj


def test_ingest_accounts_for_every_row_across_files(project: Project, tmp_path: Path):
    a = write_survey(tmp_path / "a.csv", [("1", "London", "CRC", "My caseloads grow"), ("2", "Wales", "NPS", "")])
    b = write_survey(tmp_path / "b.csv", [("1", "London", "CRC", "same id again"), ("3", "KSS", "NPS", "laptops")])
    report = ingest_files(project, [a, b], OPTIONS)
    fa, fb = report.files
    assert (fa.rows_read, fa.responses, fa.rejects_by_reason) == (2, 1, {"empty_answer": 1})
    assert (fb.rows_read, fb.responses, fb.rejects_by_reason) == (2, 1, {"duplicate_id": 1})
    assert all(f.balanced for f in report.files)
    assert report.project_quotes == 2
    assert {q.region for q in project.quotes()} == {"London", "Kent, Surrey and Sussex"}
    again = ingest_files(project, [a], OPTIONS)
    assert again.files[0].skipped_because and again.project_quotes == 2


def test_a_bad_file_stores_nothing_from_the_same_command(project: Project, tmp_path: Path):
    good = write_survey(tmp_path / "good.csv", [("1", "London", "CRC", "caseload")])
    bad = tmp_path / "bad.csv"
    bad.write_text("id,region,org,comment\n1,x,y,z\n", encoding="utf-8")
    with pytest.raises(IngestError, match="answer"):
        ingest_files(project, [good, bad], OPTIONS)
    assert project.count_quotes() == 0
    assert project.runs() == []  # the bad file is found before anything, even the run, is written


def _project_rows(project: Project) -> dict[str, list[tuple]]:
    db = project._db
    return {
        "quotes": db.execute("SELECT quote_id, response_id, text, row, region, org, start_offset, end_offset"
                             " FROM quotes ORDER BY seq").fetchall(),
        "rejects": db.execute("SELECT source, row, reason, detail, raw FROM rejects ORDER BY reject_id").fetchall(),
        "sources": db.execute("SELECT name, encoding, rows_read, responses, quotes, rejects FROM sources"
                              " ORDER BY source_id").fetchall(),
        "redactions": db.execute("SELECT quote_id, kind, start_offset, end_offset FROM redactions"
                                 " ORDER BY rowid").fetchall(),
    }


def test_files_read_in_small_batches_store_exactly_what_whole_files_do(tmp_path: Path):
    from probation_themes.ingest.redact import Redactor

    rows = [(str(i), "London" if i % 2 else "Wales", "CRC", f"Answer {i}: caseloads. Call 07700 900{i:03d}. Next.")
            for i in range(1, 40)]
    rows[5] = ("6", "London", "CRC", "")  # a reject in the middle
    rows[7] = ("3", "London", "CRC", "an id used before")  # a duplicate within the file
    a = write_survey(tmp_path / "a.csv", rows)
    b = write_survey(tmp_path / "b.csv", [("2", "Wales", "NPS", "id from a.csv"), ("99", "KSS", "NPS", "new")])
    options = OPTIONS.model_copy(update={"split": "sentence"})
    results = []
    for batch_size in (3, 1000):
        with Project.open(tmp_path / f"p{batch_size}.db") as proj:
            first = ingest_files(proj, [a], options, redactor=Redactor(), batch_size=batch_size)
            second = ingest_files(proj, [b], options, redactor=Redactor(), batch_size=batch_size)
            results.append((_project_rows(proj), [first.files, second.files], first.redacted))
    assert results[0] == results[1]
    stored, (first_files, second_files), redacted = results[0]
    assert all(f.balanced for f in first_files + second_files)
    assert second_files[0].rejects_by_reason == {"duplicate_id": 1} and second_files[0].responses == 1
    assert redacted == {"phone": 37} and len(stored["redactions"]) == 37


def test_a_file_that_fails_half_way_leaves_the_project_as_it_was(project: Project, tmp_path: Path):
    good = write_survey(tmp_path / "good.csv", [("1", "London", "CRC", "caseload")])
    ingest_files(project, [good], OPTIONS)
    before = _project_rows(project), [r.run_id for r in project.runs()]
    # Many good rows (several batches are stored first), then a quote never closed.
    bad = tmp_path / "bad.csv"
    body = "".join(f"{i},London,CRC,answer {i}\n" for i in range(2, 200))
    bad.write_text("id,region,org,answer\n" + body + '200,London,CRC,"never closed\n201,x,y,z\n', encoding="utf-8")
    with pytest.raises(IngestError, match="never closed"):
        ingest_files(project, [bad], OPTIONS, batch_size=10)
    assert (_project_rows(project), [r.run_id for r in project.runs()]) == before


def test_recoding_keeps_human_decisions_and_records_the_run(project: Project, tmp_path: Path):
    path = write_survey(
        tmp_path / "s.csv",
        [("1", "London", "CRC", "Caseloads overwhelming"), ("2", "Wales", "NPS", "New laptop broken"),
         ("3", "Wales", "NPS", "Fine as it is")],
    )
    ingest_files(project, [path], OPTIONS)
    report = code_project(project, BOOK, n_jobs=1)
    assert report.per_code == {"workload": 1, "ict": 1}
    assert (report.responses, report.responses_coded) == (3, 2)
    assert report.unmatched == [("ict", "any", "nDelius"), ("pay", "any", "regrading exercise")]
    now = datetime.now(timezone.utc)
    project.record_decision(Decision(quote_id="2:1.1", code="ict", decision="reject", coder="ann", decided_at=now))
    project.record_decision(Decision(quote_id="3:1.1", code="pay", decision="accept", coder="ann", decided_at=now))

    code_project(project, BOOK, n_jobs=1)

    status = {(c.quote_id, c.code): c.status for c in project.codings("all")}
    assert status == {("1:1.1", "workload"): "suggested", ("2:1.1", "ict"): "rejected", ("3:1.1", "pay"): "accepted"}
    run = project.runs()[-1]
    assert (run.command, run.coder, run.codebook_version) == ("code", "rules.v1", "1.2.0")
    assert run.codebook_hash == BOOK.content_hash() and "spacy" in run.versions
    assert project.latest_codebook() == BOOK


def test_coding_in_small_batches_gives_the_same_suggestions(project: Project, tmp_path: Path):
    rows = [(str(i), "London", "CRC", ["caseload high", "laptop", "fine", "overwhelmed by nDelius"][i % 4])
            for i in range(40)]
    ingest_files(project, [write_survey(tmp_path / "s.csv", rows)], OPTIONS)
    code_project(project, BOOK, n_jobs=1, batch_size=7)
    small = project.codings("all")
    code_project(project, BOOK, n_jobs=1, batch_size=1000)
    assert [c.model_dump(exclude={"run_id"}) for c in small] == [
        c.model_dump(exclude={"run_id"}) for c in project.codings("all")
    ]
    assert len(small) == 40


def test_gold_agreement_counts_quotes_placed_under_their_human_theme():
    quotes = [
        Quote(quote_id=f"q{i}", response_id=f"r{i}", text="t", source="s", row=i, attributes={"theme": theme})
        for i, theme in enumerate(["workload", "workload", "ict"])
    ]
    codings = [
        Coding(quote_id="q0", code="workload", method="rules"),
        Coding(quote_id="q1", code="ict", method="rules"),
        Coding(quote_id="q2", code="ict", method="rules", status="rejected"),
    ]
    agreement = gold_agreement(quotes, codings)
    assert (agreement.placed, agreement.quotes) == (1, 3)
    assert agreement.per_theme == {"workload": (1, 2), "ict": (0, 1)}
    assert agreement.codes_per_quote == 2 / 3


def test_quote_split_recovers_every_published_quote_from_the_report_text():
    """The inspectorate's own report text, split by quotation, gives back its 40 quotes exactly."""
    from probation_themes.ingest import read_file

    root = Path(__file__).resolve().parents[1] / "corpora" / "inspectorate_2021"
    result = read_file(root / "report_extract.md", IngestOptions(split="quote"))
    with (root / "quotes.csv").open(encoding="utf-8", newline="") as fh:
        published = [(r["text"], r["region"], r["org"]) for r in csv.DictReader(fh)]
    assert [(q.text, q.region, q.org) for q in result.quotes] == published
    assert result.rows_read == 1 and not result.rejects


def test_two_different_files_with_one_name_are_refused_without_id_col(project: Project, tmp_path: Path):
    (tmp_path / "w1").mkdir()
    (tmp_path / "w2").mkdir()
    first = write_survey(tmp_path / "w1" / "survey.csv", [("1", "London", "CRC", "caseload")])
    second = write_survey(tmp_path / "w2" / "survey.csv", [("9", "Wales", "NPS", "laptop")])
    options = IngestOptions(text_cols=["answer"])
    ingest_files(project, [first], options)
    with pytest.raises(IngestError, match="different file named survey.csv"):
        ingest_files(project, [second], options)
    assert project.count_quotes() == 1
    assert ingest_files(project, [second], OPTIONS).project_quotes == 2  # unique ids make it safe
