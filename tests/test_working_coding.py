"""One working coding: every report, table, export and review counts one method's suggestions, and says so."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from coded_survey import coded_survey
from probation_themes.errors import StoreError
from probation_themes.models import Coding, Decision, Run
from probation_themes.store import Project
from probation_themes.store.review import review_candidates
from probation_themes.store.stream import ProjectReader
from probation_themes.store.working import parse_methods, working_coding
from cli_helpers import invoke

ANSWERS = [[f"r{i}", "London", "CRC", "G1", "My caseload is too high." if i < 6 else "Laptops crash."]
           for i in range(10)]


def add_method_run(project: Path, method: str, codings: list[tuple[str, str]], *, book_version: str = "1.0.0") -> int:
    """Store suggestions of another method, as its `code` run would."""
    with Project.open(project) as proj:
        run_id = proj.start_run(Run(command="code", method=method, coder=f"{method}.v1", codebook_name="mini",
                                    codebook_version=book_version, parameters={"coded_after": 0},
                                    started_at=datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)))
        proj.replace_suggestions(method, [Coding(quote_id=q, code=c, method=method, confidence=0.9)
                                          for q, c in codings], run_id=run_id)
        proj.finish_run(run_id)
    return run_id


@pytest.fixture
def two_methods(tmp_path: Path) -> tuple[Path, Path, int]:
    project, book = coded_survey(tmp_path, ANSWERS)  # rules: 6 workload, 4 ict
    # The latest code run is "model", which gave premises-like silence: only one ict coding.
    run_id = add_method_run(project, "model", [("r7:1.1", "ict")])
    return project, book, run_id


def test_the_default_is_the_latest_code_runs_method_and_the_header_says_so(two_methods, tmp_path: Path):
    project, _, run_id = two_methods
    out = tmp_path / "r.md"
    result = invoke("report", "-p", project, "-o", out, "--min-cell", "0")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    # Not 6 + 4 rule suggestions added to the model's: the model's one coding only.
    workload = text.split("## High workloads", 1)[1].split("## ICT", 1)[0]
    assert "0 quotes from 0 respondents" in workload and "No quotes were coded" in workload
    assert "1 quote from 1 respondent" in text.split("## ICT", 1)[1]
    assert "suggestions of the model method" in text and f"run {run_id} (model, 2024-05-01 09:30" in text
    assert "codebook “mini” version 1.0.0" in text and "Status filter: default" in text
    assert "choose another with --method" in text
    assert "model method" in result.output  # said on the terminal too


def test_method_chooses_another_working_coding_and_several_are_counted_only_by_name(two_methods, tmp_path: Path):
    project, _, _ = two_methods
    rules = json.loads(invoke("stats", "-p", project, "--method", "rules", "--json").stdout)
    counts = {c["code_id"]: c["n_respondents"] for c in rules["codes"]}
    assert counts == {"workload": 6, "ict": 4}
    assert rules["working"]["methods"] == ["rules"] and rules["working"]["chosen_by"] == "asked"
    both = json.loads(invoke("stats", "-p", project, "--method", "rules,model", "--json").stdout)
    assert {c["code_id"]: c["n_respondents"] for c in both["codes"]} == {"workload": 6, "ict": 4}
    assert both["working"]["methods"] == ["rules", "model"] and len(both["working"]["runs"]) == 2
    assert "methods, counted together" in both["counts"][0]


def test_a_method_never_run_or_unknown_is_a_clear_error(two_methods):
    project, _, _ = two_methods
    result = invoke("report", "-p", project, "-o", "-", "--method", "topics")
    assert result.exit_code == 1 and "no finished `code --method topics` run" in result.output
    assert "rules (run" in result.output and "model (run" in result.output
    result = invoke("stats", "-p", project, "--method", "magic")
    assert result.exit_code == 1 and "rules, topics, model, all" in result.output
    with pytest.raises(StoreError):
        parse_methods("rules,nope")


def test_human_decisions_count_in_every_working_coding(two_methods):
    project, _, _ = two_methods
    with Project.open(project) as proj:
        at = datetime(2024, 6, 1, tzinfo=timezone.utc)
        proj.record_decision(Decision(quote_id="r0:1.1", code="workload", decision="accept", coder="ann", decided_at=at))
        proj.record_decision(Decision(quote_id="r7:1.1", code="ict", decision="reject", coder="ann", decided_at=at))
        model = working_coding(proj)
        assert model.methods == ("model",) and (model.accepted, model.rejected) == (1, 1)
        codings = proj.codings("default", working=model, evidence=False)
        # The model's one suggestion was rejected; ann's accepted rule coding is hers, method human.
        assert [(c.quote_id, c.code, c.method, c.status) for c in codings] == [("r0:1.1", "workload", "human", "accepted")]
        streamed = [c for b in ProjectReader(proj, "default", working=model).batches() for c in b.codings]
        assert [(c.quote_id, c.code, c.method) for c in streamed] == [("r0:1.1", "workload", "human")]
        rules = working_coding(proj, ("rules",))
        # 6 + 4 rule suggestions; ann's rejection of ict on r7 applies to the rules' suggestion too.
        assert len(proj.codings("default", working=rules)) == 9
        # The review of the model's working coding shows only the model's suggestions.
        assert [c.quote_id for c in review_candidates(proj, coder="bob", methods=model.methods)] == ["r7:1.1"]
        assert len(review_candidates(proj, coder="bob", methods=rules.methods)) == 10


def test_every_export_states_what_it_counts(two_methods, tmp_path: Path):
    project, _, run_id = two_methods
    wide = tmp_path / "wide.csv"
    assert invoke("export", "codings", "-p", project, "-o", wide, "--wide", "--method", "rules").exit_code == 0
    about = json.loads((tmp_path / "wide.csv-metadata.json").read_text(encoding="utf-8"))
    assert about["url"] == "wide.csv" and about["probation_themes"]["working_coding"]["methods"] == ["rules"]
    assert "suggestions of the rules method" in about["dc:description"]
    rows = list(csv.reader(wide.open(encoding="utf-8-sig")))
    assert [t["titles"] for t in about["tableSchema"]["columns"]] == rows[0]
    qdpx = tmp_path / "p.qdpx"
    assert invoke("export", "qdpx", "-p", project, "-o", qdpx).exit_code == 0
    import zipfile

    xml = zipfile.ZipFile(qdpx).read("project.qde").decode("utf-8")
    assert "<Description>Counts: suggestions of the model method" in xml and f"run {run_id}" in xml
    assert invoke("export", "nvivo", "-p", project, "-o", tmp_path / "nv").exit_code == 0
    assert "suggestions of the model method" in (tmp_path / "nv" / "README.txt").read_text(encoding="utf-8")
    for fmt in ("html", "docx", "xlsx", "pdf", "csv"):
        out = tmp_path / f"r.{fmt}"
        assert invoke("report", "-p", project, "-o", out).exit_code == 0, fmt
    assert "suggestions of the model method" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "model method" in json.loads((tmp_path / "r.csv-metadata.json").read_text(encoding="utf-8"))["dc:description"]
    ci = json.loads(invoke("stats", "-p", project, "--ci", "--json").stdout)
    assert ci["working_coding"]["methods"] == ["model"] and ci["interval"].startswith("Wilson")


def test_runs_that_kept_earlier_suggestions_are_named(tmp_path: Path):
    project, book = coded_survey(tmp_path, ANSWERS[:4])
    more = tmp_path / "more.csv"
    with more.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "region", "org", "grade", "q1"], ["z1", "Wales", "NPS", "G2", "caseload"]])
    assert invoke("ingest", more, "-p", project, "--id-col", "id", "--region-col", "region", "--org-col", "org",
                  "--attr-col", "grade", "--text-col", "q1").exit_code == 0
    assert invoke("code", "--codebook", book, "-p", project).exit_code == 0  # codes only the new quote
    with Project.open(project) as proj:
        working = working_coding(proj)
    assert working.methods == ("rules",) and len(working.runs) == 2
    assert working.runs[0].parameters["coded_after"] > 0
