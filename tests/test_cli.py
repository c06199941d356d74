"""Every command through typer's CliRunner: results, exit codes, and one-paragraph errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _assert_user_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    message = result.output.lower()
    for needle in needles:
        assert needle.lower() in message, result.output


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    rows = [
        ["id", "region", "org", "q1", "q2"],
        ["a1", "London", "former CRC", "My caseload is far too high and I work late every night.", ""],
        ["a2", "KSS", "NPS", "The new laptops keep crashing and IT support never answers.", "More admin support."],
        ["a3", "Cymru", "Legacy NPS", "", ""],
        ["a4", "Atlantis", "CRC", "Staff were treated as second class by legacy NPS colleagues.", ""],
        ["a1", "London", "CRC", "A duplicate id.", ""],
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _ingest(survey: Path, project: Path):
    return invoke("ingest", survey, "--project", project, "--id-col", "id", "--region-col", "region",
                  "--org-col", "org", "--text-col", "q1", "--text-col", "q2")


def test_ingest_prints_a_reconciliation(survey: Path, tmp_path: Path):
    result = _ingest(survey, tmp_path / "p.db")
    assert result.exit_code == 0, result.output
    assert "rows read" in result.output
    assert "5 rows read = 3 with quotes + 2 rejected" in result.output
    assert "empty answer" in result.output and "duplicate id" in result.output
    assert "Atlantis" in result.output  # unknown region kept and reported


def test_ingest_json_and_second_run_adds_nothing(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    first = invoke("ingest", survey, "-p", project, "--id-col", "id", "--text-col", "q1", "--json")
    data = json.loads(first.stdout)
    (f,) = data["files"]
    assert f["rows_read"] == f["responses"] + f["rejected"]
    assert data["project_quotes"] == 3
    again = invoke("ingest", survey, "-p", project, "--id-col", "id", "--text-col", "q1", "--json")
    assert again.exit_code == 0
    (skipped,) = json.loads(again.stdout)["files"]
    assert skipped["skipped_because"] and json.loads(again.stdout)["project_quotes"] == 3


def test_missing_column_is_a_one_paragraph_error(survey: Path, tmp_path: Path):
    result = invoke("ingest", survey, "-p", tmp_path / "p.db", "--text-col", "answer")
    _assert_user_error(result, "answer", "q1", "q2")
    assert not (tmp_path / "p.db").exists()  # a failed first ingest leaves no project behind


def test_missing_file_and_missing_project(tmp_path: Path):
    _assert_user_error(invoke("ingest", tmp_path / "nope.csv", "-p", tmp_path / "p.db"), "does not exist")
    _assert_user_error(invoke("code", "-c", CODEBOOK, "-p", tmp_path / "none.db"), "no project")
    _assert_user_error(invoke("report", "-o", tmp_path / "r.md", "-p", tmp_path / "none.db"), "no project")


def test_code_report_stats_and_exports(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    _ingest(survey, project)
    coded = invoke("code", "-c", CODEBOOK, "-p", project, "--jobs", "1", "--json")
    assert coded.exit_code == 0, coded.output
    data = json.loads(coded.stdout)
    assert data["per_code"]["workload"] >= 1 and data["per_code"]["ict"] >= 1
    assert data["responses"] == 3 and 0 < data["coverage"] <= 1

    md = tmp_path / "r.md"
    assert invoke("report", "-p", project, "-o", md).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert text.index("High caseloads and workloads") < text.index("ICT systems and equipment")
    # Three respondents: every group is under 5, so no quote may say where it came from.
    assert "(London, CRC)" not in text and "(region and organisation withheld)" in text
    # Reports are for publication: small counts are suppressed unless --min-cell 0 asks for all.
    assert "counts from 1 to 4 in the organisation and region splits" in text and "shown as <5" in text
    assert "| <5 |" in text
    assert invoke("report", "-p", project, "-o", md, "--min-cell", "0").exit_code == 0
    assert "<5" not in md.read_text(encoding="utf-8") and "(London, CRC)" in md.read_text(encoding="utf-8")

    for fmt in ("html", "csv"):
        out = tmp_path / f"r.{fmt}"
        assert invoke("report", "-p", project, "-f", fmt, "-o", out).exit_code == 0
        assert out.stat().st_size > 0
        # Without --format the output's extension chooses it.
        inferred = tmp_path / f"inferred.{fmt}"
        assert invoke("report", "-p", project, "-o", inferred).exit_code == 0
        assert inferred.read_bytes() == out.read_bytes()
    assert invoke("report", "-p", project, "-o", tmp_path / "notes.txt").exit_code == 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8").startswith("# ")  # anything else: markdown

    stats = invoke("stats", "-p", project, "--json")
    codes = {c["code_id"]: c for c in json.loads(stats.stdout)["codes"]}
    assert codes["workload"]["n_respondents"] >= 1
    assert "Respondents coded" in invoke("stats", "-p", project).output

    long_csv, wide_csv = tmp_path / "long.csv", tmp_path / "wide.csv"
    assert invoke("export", "codings", "-p", project, "-o", long_csv).exit_code == 0
    assert invoke("export", "codings", "-p", project, "-o", wide_csv, "--wide").exit_code == 0
    long_rows = list(csv.DictReader(long_csv.open(encoding="utf-8-sig")))
    assert {"response_id", "quote_id", "code", "method", "confidence", "status", "evidence"} <= set(long_rows[0])
    wide_rows = list(csv.DictReader(wide_csv.open(encoding="utf-8-sig")))
    assert list(wide_rows[0])[1:3] == ["region", "org"] and list(wide_rows[0])[3:] == [
        "cultural_divide", "induction_overload", "workload", "ict", "positive_outlook",
        "leadership_communication", "wellbeing", "staffing", "pay_grading", "premises",
        "bureaucracy", "professional_identity",
    ]
    rejects = tmp_path / "rejects.csv"
    assert invoke("export", "rejects", "-p", project, "-o", rejects).exit_code == 0
    assert {r["reason"] for r in csv.DictReader(rejects.open(encoding="utf-8-sig"))} == {"empty_answer", "duplicate_id"}


def test_report_without_codebook_uses_the_one_last_coded_with(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    _ingest(survey, project)
    _assert_user_error(invoke("report", "-p", project, "-o", tmp_path / "r.md"), "--codebook")
    invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1")
    assert invoke("report", "-p", project, "-o", tmp_path / "r.md").exit_code == 0


def test_codebook_commands(tmp_path: Path):
    assert "valid" in invoke("codebook", "validate", CODEBOOK).output
    shown = json.loads(invoke("codebook", "show", CODEBOOK, "--json").stdout)
    assert len(shown["codes"]) == 12
    out_csv = tmp_path / "cb.csv"
    assert invoke("codebook", "convert", CODEBOOK, "-o", out_csv).exit_code == 0
    back = tmp_path / "cb.yaml"
    assert invoke("codebook", "convert", out_csv, "-o", back).exit_code == 0
    assert invoke("codebook", "validate", back).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1.0.0\ncodes:\n  - id: Bad Id\n    label: L\n    definition: d\n")
    _assert_user_error(invoke("codebook", "validate", bad), "codes -> 0", "-> id:", "snake_case")


def test_only_methods_with_a_coder_are_offered(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    _ingest(survey, project)
    result = runner.invoke(app, ["code", "-c", str(CODEBOOK), "-p", str(project), "--method", "embeddings"])
    assert result.exit_code == 2 and "rules" in result.output and "topics" in result.output


def test_outputs_can_go_to_stdout_and_stats_fit_a_terminal(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    _ingest(survey, project)
    invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1")
    wide = invoke("export", "codings", "-p", project, "--wide", "-o", "-")
    assert wide.stdout.splitlines()[0].startswith("response_id,region,org,cultural_divide")
    assert "# " in invoke("report", "-p", project, "-o", "-").stdout
    regions = invoke("stats", "-p", project, "--by", "region").stdout
    assert "12=professional_identity" in regions and "Kent, Surrey" in regions


def test_bad_usage_exits_2():
    assert runner.invoke(app, ["ingest", "--split", "word", "x.csv"]).exit_code == 2


def test_demo_runs_and_places_quotes_under_the_inspectorate_themes(tmp_path: Path):
    result = invoke("demo", "--out", tmp_path / "demo", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inspectorate_quotes"] == 40
    assert data["inspectorate_theme_placed"] / data["inspectorate_quotes"] >= 0.6
    assert Path(data["report_html"]).exists() and Path(data["report_md"]).exists()


def test_console_script_and_module_entry_point(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "probation_themes", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "probation-themes" in done.stdout


def test_attribution_is_chosen_apart_from_the_splits(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    _ingest(survey, project)
    invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1")
    by_org_only = invoke("report", "-p", project, "-o", "-", "--by", "org", "--min-cell", "0").stdout
    assert "(London, CRC)" in by_org_only
    anonymous = invoke("report", "-p", project, "-o", "-", "--attribute", "none", "--by", "org").stdout
    assert "caseload" in anonymous.lower() and "London" not in anonymous
    _assert_user_error(invoke("report", "-p", project, "-o", "-", "--attribute", "grade"), "region and org")
    _assert_user_error(invoke("export", "codings", "-p", project, "-o", "-", "--wide", "--status", "rejected"),
                       "long form")


def test_code_runs_with_no_other_thread_so_workers_can_fork(survey: Path, tmp_path: Path, monkeypatch):
    # A spinner's thread would make the coders start workers by the slow "spawn" (2–3 s each).
    import importlib
    import threading

    cli_main = importlib.import_module("probation_themes.cli.main")  # the module, not the entry point

    seen = []
    real = cli_main.code_project

    def spy(*args, **kwargs):
        seen.append(threading.active_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(cli_main, "code_project", spy)
    project = tmp_path / "p.db"
    _ingest(survey, project)
    before = threading.active_count()  # threads other tests left in this process (e.g. Dask's) are not ours
    assert invoke("code", "-c", CODEBOOK, "-p", project).exit_code == 0
    assert seen == [before]
