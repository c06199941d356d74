"""The review screen driven by key presses in a real pseudo-terminal, as a researcher would use it."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.store import Project

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the review screen needs a POSIX terminal")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_review import build_project

    return build_project(tmp_path_factory.mktemp("terminal"), n=60)


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "themes.db"
    shutil.copy(template, path)
    return path


def spawn(project: Path, *args: str, rows: int = 24, cols: int = 80):
    env = {**os.environ, "PROBATION_THEMES_CODER": "ann", "TERM": "xterm-256color",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "probation_themes", "review", "-p", str(project), *args],
                          env=env, dimensions=(rows, cols), encoding="utf-8", timeout=30, cwd=str(project.parent))
    child.delaybeforesend = None
    return child


def press(child, keys: str, screen_shows: str) -> None:
    child.send(keys)
    child.expect_exact(screen_shows)


def audit(project: Path) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, ["export", "audit", "-p", str(project), "-o", "-"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_review_30_quotes_undo_quit_with_ctrl_c_reopen_continue_and_close_the_terminal(project: Path):
    child = spawn(project)
    child.expect_exact("done 0 · left")
    for i in range(30):
        step = i % 5
        if step == 0:
            press(child, "1", "ed ")  # toggled: "rejected <label>"
        elif step == 2:
            press(child, "+", "Add code")
            press(child, "pay", "(pay_grading)")
            press(child, "\r", "Added Pay")
        elif step == 3:
            press(child, "m", "Memo on the quote")
            press(child, f"note {i}\r", "Memo saved")
        press(child, "r" if step == 1 else "a", f"done {i + 1} · left")
    press(child, "u", "done 29 · left")
    press(child, "u", "done 28 · left")
    press(child, "a", "done 29 · left")
    press(child, "\r", "done 30 · left")
    press(child, "?", "undo the last step")
    press(child, "?", "done 30 · left")
    press(child, "a", "done 31 · left")
    press(child, "1", "ed ")  # a decision on the 32nd quote, which is not finished
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "31 quotes finished this session by ann" in child.before

    wide = spawn(project, rows=40, cols=160)
    wide.expect_exact("done 31 · left")
    press(wide, "a", "done 32 · left")  # the half-done quote comes back first
    press(wide, "a", "done 33 · left")
    wide.kill(signal.SIGHUP)  # the terminal window is closed
    wide.expect(pexpect.EOF)
    wide.close()
    assert wide.signalstatus == signal.SIGHUP
    _check_intact(project, 33)

    events = audit(project)
    reviewed = [e for e in events if e["event"] == "reviewed"]
    undone = [e for e in events if e["event"] == "undo" and e["undoes"] == "reviewed"]
    assert len(reviewed) - len(undone) == 33 and len(undone) == 2
    assert sum(e["event"] == "memo" for e in events) == 6
    with Project.open(project) as proj:
        logged = {(e["quote_id"], e["code"], e["event"]) for e in events}
        decided = proj.decisions()
        assert decided and {(d.quote_id, d.code, d.decision) for d in decided} <= logged
        assert {e["coder"] for e in events} == {"ann"}
        assert any(c.code == "pay_grading" and c.status == "accepted" for c in proj.codings("accepted"))
        assert sum(e["event"] in ("accept", "reject") for e in events) == len(decided) + sum(
            e["event"] == "undo" and e["undoes"] in ("accept", "reject") for e in events)


def _check_intact(project: Path, finished: int) -> None:
    db = sqlite3.connect(project)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    with Project.open(project, create=False) as proj:
        assert len(proj.codings("accepted")) >= finished
    events = audit(project)
    undone = sum(e["event"] == "undo" and e["undoes"] == "reviewed" for e in events)
    assert sum(e["event"] == "reviewed" for e in events) - undone == finished


def test_killing_the_process_between_keystrokes_loses_nothing(project: Path):
    child = spawn(project)
    child.expect_exact("done 0 · left")
    for i in range(5):
        press(child, "a", f"done {i + 1} · left")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL
    _check_intact(project, 5)


def test_q_and_ctrl_d_in_a_prompt_are_typed_or_cancel_and_never_quit(project: Path):
    """Typing a memo with a q in it keeps the session; the memo is stored; q quits only outside prompts."""
    child = spawn(project)
    child.expect_exact("done 0 · left")
    press(child, "m", "Memo on the quote")
    press(child, "question quality", "question quality")
    press(child, "\r", "Memo saved")
    press(child, "+", "Add code")
    press(child, "q", "Add code: q")  # a letter of the code's name, not quit
    press(child, "\x04", "Cancelled: no code added")  # Ctrl-D cancels the prompt ...
    press(child, "m", "Memo on the quote")
    press(child, "\x03", "Cancelled: memo not saved")  # ... and so does Ctrl-C
    press(child, "m", "Memo on the quote")
    press(child, "\x1b", "Cancelled")  # Esc, as ever
    press(child, "a", "done 1 · left")
    child.send("q")  # no prompt open: quit
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "1 quotes finished this session by ann" in child.before
    memos = [e for e in audit(project) if e["event"] == "memo"]
    assert [m["memo"] for m in memos] == ["question quality"]
