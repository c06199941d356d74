"""Every command a message suggests runs as printed: a walk through the commands, running each hint.

A researcher on `--project "work/my survey.db"` pastes what the program suggests. Each hint
is collected from what the commands print (notes and errors alike), its placeholders (FILE,
NAME, METHOD) filled as the researcher would, and run exactly as printed otherwise.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from probation_themes.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
HINT = re.compile(r"`(probation-themes [^`\n]+)`|(?::\s)(probation-themes [^`\n]+?)\s*$", re.M)
PROJECT = Path("work") / "my survey.db"


def _takes_project(words: list[str]) -> bool:
    found = typer.main.get_command(app)
    for word in words:
        sub = getattr(found, "commands", {}).get(word)
        if sub is None:
            break
        found = sub
    return any("--project" in getattr(p, "opts", ()) for p in found.params)


def _hints(text: str) -> list[str]:
    return [a or b for a, b in HINT.findall(text)]


@pytest.fixture
def walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    spec = importlib.util.spec_from_file_location("generate_survey", ROOT / "corpora" / "synthetic" / "generate_survey.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    survey = tmp_path / "survey.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "region", "org", "answer"])
        writer.writerows(list(module.generate_comments(40, 2)))
        writer.writerow(["N1", "Wales", "NPS", "Nothing."])  # a non-answer
        writer.writerow(["", "London", "CRC", "A row without an id is rejected."])
    sheet = tmp_path / "ann.csv"
    sheet.write_text("id,workload\nC0000001,1\nC0000002,0\nC0000003,0\n", encoding="utf-8")
    printed: list[str] = []

    def run(*args: object) -> None:
        result = runner.invoke(app, [str(a) for a in args])
        printed.append(result.output)

    run("ingest", survey, "--id-col", "id", "--region-col", "region", "--org-col", "org", "--text-col", "answer",
        "-p", PROJECT)
    run("stats", "-p", PROJECT)  # not coded yet
    run("code", "-c", "missing.yaml", "-p", PROJECT)
    run("code", "-p", PROJECT, "-j", "1")  # no codebook yet
    run("codebook", "init")
    run("code", "-c", "codebook.yaml", "-p", PROJECT, "-j", "1")
    run("code", "--method", "model", "-p", PROJECT, "-j", "1")  # nothing to learn from yet
    run("agree", "--coder", "ann", "--coder", "rules", "-p", PROJECT)  # ann not imported yet
    run("topics", "--k", "2", "-p", PROJECT)
    run("non-answers", "-p", PROJECT)
    run("review", "-p", PROJECT)  # not a terminal
    run("export", "qdpx", "-o", "project.qdpx", "-p", PROJECT)
    run("non-answers", "list", "-o", "my_list.txt")
    return printed, {"survey": survey, "sheet": sheet}


def _fill(words: list[str], files: dict[str, Path]) -> list[str]:
    filled = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if word == "FILE" and before in ("--project", "-p"):
            word = str(PROJECT)
        elif word == "FILE":
            word = "codebook.yaml" if before in ("--codebook", "-c") else str(
                files["sheet"] if words[0] == "import-codings" else files["survey"])
        filled.append({"NAME": "ann", "METHOD": "rules"}.get(word, word))
    return filled


def test_every_hint_carries_the_project_and_runs_as_printed(walk, tmp_path: Path):
    printed, files = walk
    hints = list(dict.fromkeys(h for text in printed for h in _hints(text)))
    assert len(hints) >= 12, hints
    subcommands = {shlex.split(h)[1] for h in hints}
    assert {"export", "non-answers", "code", "codebook", "topics", "import-codings"} <= subcommands, hints
    ran = 0
    for hint in hints:
        words = _fill(shlex.split(hint)[1:], files)
        if _takes_project(words):
            assert "--project" in words and str(PROJECT) in words, hint
        for target in ("-o", "--output"):
            if words[:2] == ["codebook", "init"] and target in words:  # it refuses to overwrite, by design
                (tmp_path / words[words.index(target) + 1]).unlink(missing_ok=True)
        result = runner.invoke(app, words)
        if words[0] == "review":  # a full-screen session: here it can only say it needs a terminal
            assert result.exit_code == 1 and "interactive terminal" in result.output, hint
            continue
        assert result.exit_code == 0, f"{hint}\n{result.output}"
        ran += 1
    assert ran >= 10
