"""The NVivo bundle: codebook, project, classification sheet, coded quotes and README, from the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import xmlschema

from coded_survey import coded_survey

from cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "probation_themes" / "export" / "schemas"


def _project(tmp_path: Path) -> Path:
    return coded_survey(tmp_path, [
        ["a1", "London", "CRC", "=1+1", "My caseload is far too high."],
        ["a2", "Wales", "NPS", "PSO", "The new laptops keep crashing."],
        ["a3", "", "NPS", "PO", "Fine as it is."],
    ])[0]


def test_nvivo_bundle_has_every_file_in_nvivo_layout(tmp_path: Path):
    project = _project(tmp_path)
    out = tmp_path / "bundle"
    result = invoke("export", "nvivo", "-o", out, "-p", project)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "README.txt", "classification.csv", "classification.xlsx", "codebook.qdc", "coded_quotes.csv",
        "coded_quotes.xlsx", "project.qdpx"]
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert readme.index("project.qdpx") < readme.index("classification.xlsx")
    assert "Import > Codebook" in readme and "3 respondents" in readme
    xmlschema.XMLSchema(str(SCHEMAS / "Codebook.xsd")).validate((out / "codebook.qdc").read_text(encoding="utf-8"))

    sheet = openpyxl.load_workbook(out / "classification.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Respondent", "Region", "Organisation", "grade")
    assert rows[1] == ("a1", "London", "CRC", "'=1+1")  # cannot run as a formula
    assert rows[3][:3] == ("a3", None, "NPS")
    with (out / "classification.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh))[1] == ["a1", "London", "CRC", "'=1+1"]

    quotes = list(openpyxl.load_workbook(out / "coded_quotes.xlsx").active.iter_rows(values_only=True))
    assert quotes[0][-2:] == ("High workloads", "ICT")
    assert quotes[1][-2:] == ("Yes", "No") and quotes[2][-2:] == ("No", "Yes")


def test_nvivo_bundle_is_byte_identical_when_exported_twice(tmp_path: Path):
    project = _project(tmp_path)
    for name in ("one", "two"):
        assert invoke("export", "nvivo", "-o", tmp_path / name, "-p", project).exit_code == 0
    for path in (tmp_path / "one").iterdir():
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name


def test_nvivo_bundle_into_a_file_is_a_user_error(tmp_path: Path):
    project = _project(tmp_path)
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    result = invoke("export", "nvivo", "-o", tmp_path / "taken", "-p", project)
    assert result.exit_code == 1 and "folder" in result.output and "Traceback" not in result.output


def test_projects_too_large_for_qda_programs_stop_with_what_to_do(tmp_path: Path, monkeypatch):
    from probation_themes.cli import commands_export

    project = _project(tmp_path)
    monkeypatch.setattr(commands_export, "QDA_MAX_QUOTES", 2)
    for args in (("qdpx", "-o", tmp_path / "p.qdpx"), ("nvivo", "-o", tmp_path / "bundle")):
        result = invoke("export", *args, "-p", project)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "holds 3 quotes" in result.output and "--allow-large" in result.output
        assert "export codings" in result.output
        assert not Path(args[2]).exists()
        assert invoke("export", *args, "--allow-large", "-p", project).exit_code == 0
        assert Path(args[2]).exists()
