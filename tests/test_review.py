"""The review session as a library object, its store functions, and the exports of its decisions."""

from __future__ import annotations

import csv
import importlib.util
import io
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import load_codebook
from probation_themes.errors import StoreError
from probation_themes.ingest import IngestOptions
from probation_themes.review import CodeChoice, ReviewSession, pick_codes
from probation_themes.store import Project
from probation_themes.store.review import audit_log, latest_memos
from probation_themes.workflows.code import code_project
from probation_themes.workflows.ingest import ingest_files

ROOT = Path(__file__).resolve().parents[1]
BOOK = load_codebook(ROOT / "codebooks" / "probation_unification.yaml")
CODES = [CodeChoice(c.id, c.label, c.color) for c in BOOK.codes]


def _generator():
    spec = importlib.util.spec_from_file_location("generate_survey", ROOT / "corpora" / "synthetic" / "generate_survey.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_project(folder: Path, n: int = 40, seed: int = 7) -> Path:
    """A project of n generated comments (id, region, organisation, comment), coded with the rules."""
    survey = folder / "comments.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "region", "organisation", "comment"])
        writer.writerows(_generator().generate_comments(n, seed))
    path = folder / "themes.db"
    with Project.open(path) as project:
        options = IngestOptions(text_cols=["comment"], id_col="id", region_col="region", org_col="organisation")
        ingest_files(project, [survey], options)
        code_project(project, BOOK, n_jobs=1)
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_project(tmp_path_factory.mktemp("review"))


@pytest.fixture
def project(template: Path, tmp_path: Path):
    path = tmp_path / "themes.db"
    shutil.copy(template, path)
    with Project.open(path) as proj:
        yield proj


class Clock:
    """A clock that moves one second per reading, so the audit order is plain to check."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def session(project: Project, **kwargs) -> ReviewSession:
    kwargs.setdefault("coder", "ann")
    return ReviewSession(project, codes=CODES, clock=Clock(), **kwargs)


def _suggested_quotes(project: Project) -> list[str]:
    return list(dict.fromkeys(c.quote_id for c in project.codings("all", evidence=False) if c.method == "rules"))


def _stream(s: ReviewSession) -> list:
    seen = []
    while s.current is not None:
        seen.append(s.current)
        s.skip()
    return seen


# -- the stream ---------------------------------------------------------------------------------


def test_file_order_shows_every_suggested_quote_once_in_ingest_order(project: Project):
    items = _stream(session(project))
    assert [i.quote.quote_id for i in items] == _suggested_quotes(project)
    first = items[0]
    assert first.rows and all(r.state == "open" and r.suggestion.method == "rules" for r in first.rows)
    assert [r.number for r in first.rows] == list(range(1, len(first.rows) + 1))
    assert any(e.start is not None for r in first.rows for e in r.suggestion.evidence)


def test_uncertain_order_puts_confidence_nearest_the_threshold_first(project: Project):
    items = _stream(session(project, order="uncertain", threshold=0.7))
    gaps = [min(abs(r.suggestion.confidence - 0.7) for r in i.rows) for i in items]
    assert gaps == sorted(gaps) and len(set(gaps)) > 1
    assert {i.quote.quote_id for i in items} == set(_suggested_quotes(project))


def test_random_order_is_repeatable_with_a_seed(project: Project):
    first = [i.quote.quote_id for i in _stream(session(project, order="random", seed=3))]
    again = [i.quote.quote_id for i in _stream(session(project, order="random", seed=3))]
    other = [i.quote.quote_id for i in _stream(session(project, order="random", seed=4))]
    assert first == again and first != other and sorted(first) == sorted(_suggested_quotes(project))


def test_status_all_and_where_choose_the_quotes(project: Project):
    everything = session(project, scope="all")
    assert everything.progress.total == project.count_quotes() > len(_suggested_quotes(project))
    region = project.quotes()[0].region
    only = _stream(session(project, scope="all", where={"region": region.upper()}))
    assert only and all(i.quote.region == region for i in only)
    with pytest.raises(StoreError, match="has an attribute called 'grade'.*Filter by region, org, question"):
        session(project, where={"grade": "PO"})


def test_one_code_review_shows_and_decides_that_code_only(project: Project):
    s = session(project, code="workload")
    assert s.current is not None and [r.code.id for r in s.current.rows] == ["workload"]
    with pytest.raises(StoreError, match="covers the code workload only"):
        s.decide("ict", "accept")
    with pytest.raises(StoreError, match="no code 'nonsense'"):
        session(project, code="nonsense")
    assert list(s.progress.per_code) == ["workload"]


# -- deciding, undo, resume -----------------------------------------------------------------------


def test_every_answer_is_committed_at_once_with_coder_time_and_suggestion(project: Project):
    s = session(project)
    first = s.current
    rejected = first.rows[0].code.id
    s.toggle(rejected)
    with Project.open(project.path) as other:  # a second connection sees it: it is committed
        assert [(d.code, d.decision, d.coder) for d in other.decisions()] == [(rejected, "reject", "ann")]
    s.accept_all()
    assert s.current.quote.quote_id != first.quote.quote_id
    with Project.open(project.path) as other:
        states = {c.code: c.status for c in other.codings("all") if c.quote_id == first.quote.quote_id}
        events = audit_log(other)
    assert states == {r.code.id: ("rejected" if r.code.id == rejected else "accepted") for r in first.rows}
    decided = [e for e in events if e.event in ("accept", "reject")]
    assert all(e.coder == "ann" and e.suggestion_method == "rules" and e.suggestion_confidence for e in decided)
    assert [e.event for e in events][-1] == "reviewed"
    assert s.progress.done == 1 and s.progress.per_code[rejected][1] == 1


def test_undo_withdraws_several_steps_and_the_audit_keeps_them(project: Project):
    s = session(project)
    first = s.current.quote.quote_id
    s.accept_all()
    second = s.current
    s.toggle(second.rows[0].code.id)
    s.memo("worth quoting")
    assert s.undo() == "memo on the quote"
    assert s.undo().startswith("reject ")
    assert s.current.quote.quote_id == second.quote.quote_id and s.current.rows[0].state == "open"
    assert s.undo().startswith(f"finished {first}, accept ")
    assert s.current.quote.quote_id == first and s.progress.done == 0
    assert all(r.state == "open" for r in s.current.rows)
    assert s.undo() is None
    assert project.codings("accepted") == [] and project.codings("rejected") == [] and latest_memos(project) == {}
    events = [(e.event, e.undoes) for e in audit_log(project)]
    assert events.count(("undo", "accept")) == events.count(("accept", "")) > 0
    assert ("undo", "reject") in events and ("undo", "memo") in events and ("undo", "reviewed") in events
    assert _stream(session(project))[0].quote.quote_id == first  # nothing counts as done


def test_reopening_resumes_where_the_coder_stopped(project: Project):
    s = session(project)
    answered = []
    for _ in range(5):
        answered.append(s.current.quote.quote_id)
        s.reject_all() if len(answered) % 2 else s.accept_all()
    s.skip()
    again = session(project)
    assert again.progress.done == 5 and again.current.quote.quote_id not in answered
    assert again.current.quote.quote_id == _suggested_quotes(project)[5]  # the skipped quote comes back
    assert session(project, coder="bob").progress.done == 0  # another coder reviews independently
    revisit = session(project, revisit=True)
    assert revisit.current.quote.quote_id == answered[0] and revisit.current.done
    assert revisit.current.rows[0].state == "reject" and revisit.progress.done == 5
    revisit.toggle(revisit.current.rows[0].code.id)  # a change of mind, logged as a new decision
    revisit.answer()
    assert revisit.current.quote.quote_id == answered[1] and revisit.progress.done == 5
    code_project(project, BOOK, n_jobs=1)  # re-running the coder keeps every decision
    accepted = {c.quote_id for c in project.codings("accepted")}
    assert accepted == {answered[0], answered[1], answered[3]}
    assert {c.quote_id for c in project.codings("rejected")} >= {answered[2], answered[4]}


def test_undo_reaches_back_into_the_previous_session_of_the_same_coder(project: Project):
    s = session(project)
    first = s.current.quote.quote_id
    s.accept_all()
    second = s.current.quote.quote_id
    s.toggle(s.current.rows[0].code.id)
    s.memo("first thought")
    s.memo("second thought")
    assert session(project, coder="bob").undo() is None  # nobody undoes another coder's work
    again = session(project)
    assert again.current.quote.quote_id == second
    assert again.undo() == "memo on the quote" and again.current.memos == {"": "first thought"}
    assert again.undo() == "memo on the quote" and again.current.memos == {}
    assert again.undo().startswith("reject ") and again.current.rows[0].state == "open"
    assert again.undo().startswith(f"finished {first}, accept ")
    assert again.current.quote.quote_id == first and again.progress.done == 0
    assert again.undo() is None and project.decisions() == []


def test_adding_a_code_and_finishing_a_quote_without_suggestions(project: Project):
    s = session(project, scope="all")
    while s.current.rows:
        s.skip()
    bare = s.current.quote.quote_id
    s.decide("premises", "accept")
    assert [(r.code.id, r.state, r.suggestion) for r in s.current.rows] == [("premises", "accept", None)]
    s.toggle("premises")
    assert s.current.rows[0].state == "reject"
    s.toggle("premises")
    s.answer()
    added = [c for c in project.codings("accepted") if c.quote_id == bare]
    assert [(c.code, c.method, c.coder) for c in added] == [("premises", "human", "ann")]
    assert bare not in {i.quote.quote_id for i in _stream(session(project, scope="all"))}


def test_back_and_skip_move_without_deciding(project: Project):
    s = session(project)
    first = s.current.quote.quote_id
    s.accept_all()
    second = s.current.quote.quote_id
    s.skip()
    assert s.back() and s.current.quote.quote_id == second
    assert s.back() and s.current.quote.quote_id == first and s.current.done
    s.answer()  # a finished quote: nothing new to record
    assert s.current.quote.quote_id == second
    assert len([e for e in audit_log(project) if e.event == "reviewed"]) == 1


def test_memos_per_quote_and_code_reach_the_codings_export(project: Project, tmp_path: Path):
    s = session(project)
    quote_id, code = s.current.quote.quote_id, s.current.rows[0].code.id
    s.memo("=HYPERLINK(x)")
    s.memo("strong example", code)
    assert s.current.memos == {"": "=HYPERLINK(x)", code: "strong example"}
    s.accept_all()
    project.close()
    out = tmp_path / "codings.csv"
    result = CliRunner().invoke(app, ["export", "codings", "-p", str(project.path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    mine = next(r for r in rows if r["quote_id"] == quote_id and r["code"] == code)
    assert mine["status"] == "accepted" and mine["coder"] == "ann" and mine["decided_at"].startswith("2026-03-01T09:00")
    assert mine["memo"] == "strong example" and mine["quote_memo"] == "'=HYPERLINK(x)"
    assert all(r["coder"] == "" for r in rows if r["status"] == "suggested")


def test_export_audit_writes_the_full_log_with_safe_cells(project: Project, tmp_path: Path):
    s = session(project)
    s.toggle(s.current.rows[0].code.id)
    s.memo("-5 points")
    s.accept_all()
    s.undo()
    project.close()
    out = tmp_path / "audit.csv"
    result = CliRunner().invoke(app, ["export", "audit", "-p", str(project.path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == ["time", "coder", "event", "quote_id", "response_id", "code", "undoes",
                             "suggestion_method", "suggestion_confidence", "memo"]
    assert [r["event"] for r in rows][:2] == ["reject", "memo"] and rows[1]["memo"] == "'-5 points"
    assert [r["undoes"] for r in rows if r["event"] == "undo"][-1] == "reviewed"
    assert all(r["response_id"] and r["coder"] == "ann" for r in rows)
    times = [datetime.fromisoformat(r["time"]) for r in rows]
    assert times == sorted(times)


def test_review_refuses_to_run_without_a_terminal(template: Path):
    result = CliRunner().invoke(app, ["review", "-p", str(template), "--coder", "ann"])
    assert result.exit_code == 1 and "needs an interactive terminal" in result.output


def test_pick_codes_finds_codes_from_part_of_a_label_or_id():
    assert pick_codes("work", CODES)[0].id == "workload"
    assert pick_codes("worklod", CODES)[0].id == "workload"
    assert pick_codes("Pay", CODES)[0].id == "pay_grading"
    assert pick_codes("morale", CODES)[0].id == "wellbeing"
    assert pick_codes("zzzz", CODES) == []
    assert len(pick_codes("", CODES, limit=3)) == 3


# -- the terminal front end without a terminal ------------------------------------------------------


def _screen(s: ReviewSession, keys, width: int = 80, height: int = 24) -> list[str]:
    from rich.console import Console

    from probation_themes.cli.review_screen import code_colours, render

    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    console.print(render(s.current, s.progress, keys.state, coder=s.coder, colours=code_colours(s.codes),
                         console=console))
    return console.file.getvalue().splitlines()


def test_keys_drive_the_session_and_the_screen_fits_80_by_24(project: Project):
    from probation_themes.cli.commands_review import Keys

    s = session(project)
    keys = Keys(s)
    first = s.current
    lines = _screen(s, keys)
    assert len(lines) == 24 and lines[0].startswith("Quote 1 of") and "q quit" in lines[-1]
    assert any(first.rows[0].code.label in line and line.lstrip().startswith("1 ·") for line in lines)
    assert len(_screen(s, keys, width=160, height=40)) == 40
    for key in "+wel":
        keys.press(key)
    keys.press("\x7f")  # backspace
    assert keys.state.buffer == "we" and keys.state.matches[0].id == "wellbeing"
    keys.press("down")
    second = keys.state.matches[1]
    assert any("Add code: we" in line for line in _screen(s, keys))
    keys.press("\r")
    assert s.current.row(second.id).state == "accept" and keys.state.message == f"Added {second.label}."
    keys.press("M")
    keys.press("1")
    for key in "odd\x1b":  # Esc cancels: nothing saved
        keys.press(key)
    assert keys.state.prompt is None and s.current.memos == {}
    for key in ["M", "1", *"check", "\r"]:
        keys.press(key)
    assert s.current.memos == {first.rows[0].code.id: "check"}
    assert any(line.startswith(f"memo on {first.rows[0].code.id}: check") for line in _screen(s, keys))
    keys.press("9")
    assert keys.state.message.startswith("There is no code number 9")
    keys.press("?")
    assert any("undo the last step" in line for line in _screen(s, keys))
    keys.press("?")
    keys.press("a")
    assert s.progress.done == 1 and s.current.quote.quote_id != first.quote.quote_id
    keys.press("u")
    assert keys.state.message.startswith(f"Undid: finished {first.quote.quote_id}")
    assert s.current.quote.quote_id == first.quote.quote_id
    assert keys.press("q") is False and keys.press("\x03") is False


def test_the_screen_says_when_the_review_is_finished(project: Project):
    from probation_themes.cli.commands_review import Keys

    s = session(project, where={"region": project.quotes()[0].region})
    while s.current is not None:
        s.accept_all()
    keys = Keys(s)
    keys.press("a")
    text = "\n".join(_screen(s, keys))
    assert "Nothing left to review here" in text and "u undoes" in text
    keys.press("u")
    assert s.current is not None and s.progress.remaining == 1


def test_review_shows_why_a_code_was_not_suggested_and_lets_the_coder_add_it(tmp_path: Path):
    from probation_themes.cli.commands_review import Keys

    text = "It has been chaotic and stressful, with no sign of any positives in the near future."
    survey = tmp_path / "one.csv"
    survey.write_text(f'id,answer\n1,"{text}"\n', encoding="utf-8")
    with Project.open(tmp_path / "p.db") as proj:
        ingest_files(proj, [survey], IngestOptions(text_cols=["answer"], id_col="id"))
        report = code_project(proj, BOOK, n_jobs=1)
        assert report.negation_removed == {"positive_outlook": 1}
        s = ReviewSession(proj, coder="ann", codes=CODES, scope="all")
        [(code, evidence)] = s.current.blocked
        assert code.id == "positive_outlook" and evidence[0].negated == "no sign of any positives"
        keys = Keys(s)
        assert any("not suggested: Positive about unification" in line and "no sign of any positives" in line
                   for line in _screen(s, keys, width=160, height=30))
        for key in ["+", *"positive", "\r"]:
            keys.press(key)
        assert s.current.row("positive_outlook").state == "accept"
        assert not s.current.blocked  # listed as a row now, no longer as a note
