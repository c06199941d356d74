"""Escape sequences in labels, quotes and groups never reach the terminal: they are shown, not run.

Colour (ESC[31m), screen clears and cursor moves (ESC[2J, ESC[H), the window title
(OSC 0), the clipboard (OSC 52), their 8-bit forms (U+009B, U+009D) and direction
overrides go through `codebook show`, `code`, `stats` and `review` as visible symbols.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.cli.common import SafeConsole
from probation_themes.cli.terminal import visible

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()

HOSTILE = ("red \x1b[31mRED\x1b[0m clear \x1b[2J\x1b[H title \x1b]0;HACKED\x07 clip \x1b]52;c;aGVsbG8=\x1b\\ "
           "csi8 \x9b2J osc8 \x9d0;T\x9c rtl \u202eevil")
#: What only a control sequence from the data could put on the screen.
RUNS = re.compile(r"\x1b(?!\[[0-9;]*m)|[\x80-\x9f\u202e]")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, env={"COLUMNS": "200"})


def _shown_safely(output: str) -> None:
    assert RUNS.search(output) is None, repr(output)
    assert "Traceback" not in output and "internal error" not in output


def test_visible_shows_every_control_character_one_for_one():
    shown = visible(HOSTILE)
    assert len(shown) == len(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown and "\u202e" not in shown
    assert "␛[31m" in shown and "␛]0;HACKED␇" in shown
    assert visible("tab\tand\nline") == "tab\tand\nline"


def test_codebook_show_prints_labels_as_written(tmp_path):
    # ESC itself cannot be in a codebook (XML could not carry it); the 8-bit forms and markup can.
    book = tmp_path / "book.yaml"
    book.write_text(yaml.safe_dump({"name": "T \x9b2J", "version": "1.0.0", "codes": [
        {"id": "a", "label": "Label \x9b31m [/x] [link=http://example.invalid]click[/link] \u202eevil",
         "definition": "d", "rules": {"any": ["caseload"]}}]}), encoding="utf-8")
    result = invoke("codebook", "show", book)
    assert result.exit_code == 0, result.output
    _shown_safely(result.output)
    assert "[/x]" in result.output and "[link=http://example.invalid]" in result.output
    escaped = tmp_path / "esc.yaml"
    escaped.write_text(yaml.safe_dump({"name": "T", "version": "1.0.0", "codes": [
        {"id": "a", "label": "A \x1b]0;HACKED\x07", "definition": "d"}]}), encoding="utf-8")
    result = invoke("codebook", "show", escaped)
    assert result.exit_code == 1
    _shown_safely(result.output)
    assert "U+001B" in result.output


@pytest.fixture
def hostile_project(tmp_path: Path) -> tuple[Path, Path]:
    survey = tmp_path / "s.csv"
    survey.write_text("id,region,org,answer\n1,London,CRC,My caseload is far too high.\n"
                      "2,Wales,NPS,The laptops keep crashing and my caseload grows.\n", encoding="utf-8")
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--region-col", "region",
                  "--org-col", "org").exit_code == 0
    book = tmp_path / "book.yaml"
    data = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    data["codes"][2]["label"] = "Workload \x9b2J\x9d0;T\x9c [/x]"
    book.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # Text no reader lets in (ingest removes ESC), as another tool or an old version may have stored it.
    db = sqlite3.connect(project)
    db.execute("UPDATE quotes SET text = text || ?, region = ?, org = ? WHERE response_id = '1'",
               (" " + HOSTILE, "Lon\x1b[2Jdon\x9b", "C\x1b]52;c;eA==\x07RC"))
    db.commit()
    db.close()
    return project, book


def test_code_and_stats_show_labels_and_groups_without_running_them(hostile_project):
    project, book = hostile_project
    result = invoke("code", "-c", book, "-p", project, "-j", "1")
    assert result.exit_code == 0, result.output
    _shown_safely(result.output)
    assert "Workload" in result.output
    for args in (["stats"], ["stats", "--by", "region"], ["stats", "--json"]):
        result = invoke(*args, "-p", project)
        assert result.exit_code == 0, result.output
        _shown_safely(result.output)
    data = json.loads(invoke("stats", "--json", "-p", project).stdout)  # still JSON, the text escaped
    assert data


def test_the_review_screen_shows_quotes_labels_and_groups_without_running_them(hostile_project):
    from probation_themes.cli.review_screen import ScreenState, render
    from probation_themes.review import CodeChoice, ReviewSession
    from probation_themes.store import Project

    project, book = hostile_project
    assert invoke("code", "-c", book, "-p", project, "-j", "1").exit_code == 0
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True, width=100, height=40, color_system="truecolor")
    with Project.open(project) as proj:
        codes = [CodeChoice(c["id"], c["label"], c.get("color"))
                 for c in yaml.safe_load(book.read_text(encoding="utf-8"))["codes"]]
        session = ReviewSession(proj, coder="ann", codes=codes, order="file", scope="all", threshold=0.5)
        state = ScreenState(message="typed \x1b[2J")
        console.print(render(session.current, session.progress, state, coder="ann\x1b]0;x\x07",
                             colours={}, console=console))
    output = buffer.getvalue()
    _shown_safely(output)
    assert "␛]0;HACKED" in output and "RED" in output


@pytest.mark.skipif(os.name != "posix", reason="the review screen needs a POSIX terminal")
def test_review_in_a_real_terminal_never_receives_the_sequences(hostile_project):
    pexpect = pytest.importorskip("pexpect")
    project, book = hostile_project
    assert invoke("code", "-c", book, "-p", project, "-j", "1").exit_code == 0
    env = {**os.environ, "PROBATION_THEMES_CODER": "ann", "TERM": "xterm-256color",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    child = pexpect.spawn(sys.executable, ["-m", "probation_themes", "review", "-p", str(project), "-c", str(book),
                                           "--order", "file"], env=env, dimensions=(40, 120), encoding="utf-8",
                          timeout=60, cwd=str(project.parent))
    screen = io.StringIO()
    child.logfile_read = screen
    child.expect_exact("HACKED")
    child.expect_exact("done 0")
    child.send("q")
    child.expect(pexpect.EOF)
    seen = screen.getvalue()
    assert "\x1b]0;HACKED" not in seen and "\x1b]52;" not in seen and "\x1b[2J\x1b[H title" not in seen
    assert "␛]0;HACKED" in seen
