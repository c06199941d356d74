"""Non-answers ("Nothing.", "n/a", "No comment"): flagged at ingest, kept out of coding and of every denominator."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probation_themes.errors import IngestError
from probation_themes.ingest.nonanswers import builtin_non_answers, normalise, read_non_answers
from probation_themes.store import Project
from probation_themes.store.nonanswers import count_non_answers, non_answer_ids
from cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
BUILTIN = builtin_non_answers()

NON_ANSWERS = [
    "Nothing.", "nothing", "NOTHING!!", "n/a", "N/A.", "n.a.", "NA", "No comment", "No comments, thanks.",
    "no comment at this time", "I would rather not say", "I'd rather not say", "Prefer not to say", "Not sure",
    "not sure really", "I don't know", "Don’t know", "dont know", "DK", "<DK>", "dk//dk", "<RF>", "nothing really",
    "Nothing to add at this time, thank you.", "None.", "None at all", "Nil", "Not applicable", "No idea",
    "I have no idea", "Nothing comes to mind.", "Nothing springs to mind", "Can't think of anything else.", "No.",
    "Nope", "-", "...", "?", "Rien à signaler", "Weiß nicht", "No sé", "Dim sylw", "Geen idee", "Non so",
]
ANSWERS = [
    "Nothing has improved since the merger.", "Nothing works: the laptops crash every day.",
    "None of the managers listen to us.", "No support from senior leaders.", "Not sure the new system is any better.",
    "I don't know who my line manager is any more.", "N/A for me, but colleagues lost their jobs.",
    "No comment from HR in six months about my regrading.", "Not applicable to PSOs, who still do the work.",
    "No idea what the strategy is.", "Rather not say how long I have been off sick.", "Nothing to add except the pay.",
    "Workload.", "Caseloads", "0", "Yes", "The training was nothing like the job.", "Zero support.",
]


@pytest.mark.parametrize("text", NON_ANSWERS)
def test_non_answers_are_recognised_whatever_their_case_and_punctuation(text: str):
    assert BUILTIN.match(text) is not None


@pytest.mark.parametrize("text", ANSWERS)
def test_answers_that_start_like_a_non_answer_are_answers(text: str):
    assert BUILTIN.match(text) is None


def test_the_matcher_beats_an_exact_list_look_up_with_no_false_positive():
    """The spreadsheet way (the trimmed, lower-cased cell equals a list entry) is the baseline."""
    entries = {" ".join(p) for p in BUILTIN.phrases} | set(BUILTIN.spelled.values())

    def exact(text: str) -> bool:
        return text.strip().lower() in entries

    found = sum(BUILTIN.match(t) is not None for t in NON_ANSWERS)
    baseline = sum(exact(t) for t in NON_ANSWERS)
    assert found == len(NON_ANSWERS) and baseline < 0.75 * len(NON_ANSWERS)
    assert sum(BUILTIN.match(t) is not None for t in ANSWERS) == 0 == sum(exact(t) for t in ANSWERS)


CONTENT = st.sampled_from(["caseload", "laptop", "manager", "merger", "training", "office", "pay", "stress"])


@settings(max_examples=200, deadline=None)
@given(phrase=st.sampled_from(sorted(BUILTIN.spelled.values())), word=CONTENT, first=st.booleans())
def test_one_word_of_content_makes_any_non_answer_an_answer(phrase: str, word: str, first: bool):
    text = f"{word} {phrase}" if first else f"{phrase} {word}"
    assert BUILTIN.match(phrase) is not None
    assert BUILTIN.match(text) is None


def test_filler_words_alone_are_not_a_non_answer():
    assert BUILTIN.match("really") is None and BUILTIN.match("ok") is None
    assert normalise("N/A.") == ("n", "a") and normalise("Don’t KNOW") == ("dont", "know")


def test_a_researchers_own_list_replaces_the_phrases_and_keeps_the_fillers(tmp_path: Path):
    mine = tmp_path / "mine.txt"
    mine.write_text("# our survey\nas above\nsee previous answer\n", encoding="utf-8")
    own = read_non_answers(mine)
    assert own.source == "mine.txt" and own.fillers == BUILTIN.fillers
    assert own.match("As above, thanks.") == "as above" and own.match("n/a") is None
    strict = tmp_path / "strict.txt"
    strict.write_text("as above\n[fillers]\n", encoding="utf-8")
    assert read_non_answers(strict).match("as above thanks") is None
    for text, problem in (("[extras]\nfoo\n", r"section \[extras\]"), ("# nothing here\n", "has no phrases")):
        bad = tmp_path / "bad.txt"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(IngestError, match=problem):
            read_non_answers(bad)
    with pytest.raises(IngestError, match="non-answers list -o"):
        read_non_answers(tmp_path / "missing.txt")


# -- in a project ----------------------------------------------------------------------

ROWS = [
    ("r1", "London", "CRC", "Nothing.", "My caseload has doubled since the merger and I work every evening."),
    ("r2", "Wales", "NPS", "n/a", "N/A."),
    ("r3", "London", "NPS", "The laptops keep crashing and IT support never answers.", "No comment"),
    ("r4", "Wales", "CRC", "I would rather not say", ""),
    ("r5", "London", "CRC", "Nothing has improved since the merger", "Not sure"),
    ("r6", "Wales", "NPS", "Workload is unmanageable and caseloads are far too high.", "nothing really"),
]


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "region", "org", "q1", "q2"])
        writer.writerows(ROWS)
    return path


def ingest(survey: Path, project: Path, *extra: object):
    return invoke("ingest", survey, "--id-col", "id", "--region-col", "region", "--org-col", "org",
                  "--text-col", "q1", "--text-col", "q2", "-p", project, *extra)


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_ingest_flags_non_answers_and_the_reconciliation_still_adds_up(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    result = ingest(survey, project)
    assert result.exit_code == 0, result.output
    said = one_line(result.stdout)
    assert "of which non-answers 7" in said and "of which only non-answers 2" in said
    assert "✓ 6 rows read = 6 with quotes (2 of them only non-answers) + 0 rejected" in said
    assert "non-answers --project" in result.stderr  # the hint carries the project
    data = json.loads(ingest(survey, tmp_path / "j.db", "--json").stdout)
    (f,) = data["files"]
    assert (f["rows_read"], f["responses"], f["rejected"], f["quotes"], f["non_answers"], f["non_answer_rows"]) == (
        6, 6, 0, 11, 7, 2)
    assert data["non_answer_list"]["list"] == "built-in"
    with Project.open(project) as proj:
        assert count_non_answers(proj) == 7 and proj.count_quotes() == 11
        assert proj.count_quotes(substantive=True) == 4
        run = proj.runs()[-1]
        assert run.parameters["non_answers"]["list"] == "built-in" and run.parameters["non_answers"]["sha256"]


def test_non_answers_are_not_coded_nor_counted_in_stats_or_reports(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    assert ingest(survey, project).exit_code == 0
    coded = json.loads(invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1", "--json").stdout)
    assert coded["non_answers"] == 7 and coded["quotes"] == 4 and coded["responses"] == 4  # r2, r4 gave nothing
    with Project.open(project) as proj:
        flagged = non_answer_ids(proj)
        assert not {c.quote_id for c in proj.codings("all")} & flagged
    shown = invoke("stats", "-p", project, "--json")
    stats = json.loads(shown.stdout)
    assert stats["total_respondents"] == 4 and stats["total_quotes"] == 4
    assert "7 quotes are non-answers" in shown.stderr and "left out of every count" in shown.stderr
    ci = json.loads(invoke("stats", "-p", project, "--ci", "--json", "--by", "org").stdout)
    assert ci["tables"][0]["respondents"] == 4
    out = tmp_path / "report.md"
    assert invoke("report", "-p", project, "-o", out, "--min-cell", "0").exit_code == 0
    text = out.read_text(encoding="utf-8")
    for flagged_text in ("Nothing.", "No comment", "rather not say"):
        assert flagged_text not in text


def test_keep_non_answers_codes_and_counts_them(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    result = ingest(survey, project, "--keep-non-answers")
    assert result.exit_code == 0, result.output
    assert "non-answers" not in result.stdout
    with Project.open(project) as proj:
        assert count_non_answers(proj) == 0 and proj.runs()[-1].parameters["non_answers"] == {"kept": True}
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    stats = json.loads(invoke("stats", "-p", project, "--json").stdout)
    assert stats["total_respondents"] == 6 and stats["total_quotes"] == 11
    both = ingest(survey, tmp_path / "x.db", "--keep-non-answers", "--non-answers", survey)
    assert both.exit_code == 2


def test_a_list_of_ones_own_at_ingest(survey: Path, tmp_path: Path):
    mine = tmp_path / "mine.txt"
    mine.write_text("no comment\n", encoding="utf-8")
    project = tmp_path / "p.db"
    assert ingest(survey, project, "--non-answers", mine).exit_code == 0
    with Project.open(project) as proj:
        assert count_non_answers(proj) == 1
        assert proj.runs()[-1].parameters["non_answers"]["list"] == "mine.txt"


def test_judging_again_changes_the_flags_and_code_then_codes_every_quote(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    assert ingest(survey, project).exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    listed = invoke("non-answers", "-p", project)
    assert listed.exit_code == 0 and "7 of the 11 quotes are non-answers" in one_line(listed.stdout)
    assert "I would rather not say" in listed.stdout
    kept = json.loads(invoke("non-answers", "judge", "--keep-non-answers", "-p", project, "--json").stdout)
    assert (kept["non_answers"], kept["flagged"], kept["unflagged"]) == (0, 0, 7)
    recoded = json.loads(invoke("code", "-p", project, "-j", "1", "--json").stdout)
    assert recoded["kept_from_run"] is None and recoded["coded_quotes"] == 11  # not only new quotes
    again = json.loads(invoke("non-answers", "judge", "-p", project, "--json").stdout)
    assert (again["non_answers"], again["flagged"], again["unflagged"]) == (7, 7, 0)
    same = json.loads(invoke("non-answers", "judge", "-p", project, "--json").stdout)
    assert (same["flagged"], same["unflagged"]) == (0, 0)
    written = tmp_path / "list.txt"
    assert invoke("non-answers", "list", "-o", written).exit_code == 0
    assert read_non_answers(written).phrases == BUILTIN.phrases
    assert invoke("non-answers", "list", "-o", written).exit_code == 1  # kept unless --force


def test_agreement_leaves_non_answers_out_of_its_denominator(survey: Path, tmp_path: Path):
    project = tmp_path / "p.db"
    assert ingest(survey, project).exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    sheet = tmp_path / "ann.csv"
    # ann read every response; she coded r1 and r6 with workload, and r2 (all non-answers) with nothing.
    sheet.write_text("id,workload\nr1,1\nr2,0\nr3,0\nr4,0\nr5,0\nr6,1\n", encoding="utf-8")
    assert invoke("import-codings", sheet, "--coder", "ann", "-p", project).exit_code == 0
    result = invoke("agree", "--coder", "ann", "--coder", "rules", "-p", project, "--json", "--bootstrap", "0",
                    "--include-uncoded")
    data = json.loads(result.stdout)
    assert data["non_answers_excluded"] == 2 and data["units_compared"] == 4  # r2 and r4 gave nothing else
    shown = invoke("agree", "--coder", "ann", "--coder", "rules", "-p", project, "--bootstrap", "0")
    assert "2 responses that both coders covered are non-answers" in one_line(shown.stdout)


def test_review_and_topics_skip_non_answers(survey: Path, tmp_path: Path):
    from probation_themes.store.review import review_candidates
    from probation_themes.codebook import load_codebook
    from probation_themes.workflows.topics import project_quotes

    project = tmp_path / "p.db"
    assert ingest(survey, project).exit_code == 0
    with Project.open(project) as proj:
        flagged = non_answer_ids(proj)
        every = review_candidates(proj, coder="ann", with_suggestions=False)
        assert len(every) == 4 and not {c.quote_id for c in every} & flagged
        assert not {q.quote_id for q in project_quotes(proj)} & flagged
        assert load_codebook(CODEBOOK)  # the codebook the topics would be seeded from


def test_a_project_of_only_non_answers_says_so_instead_of_coding_nothing(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_text("id,answer\n1,Nothing.\n2,n/a\n", encoding="utf-8")
    project = tmp_path / "p.db"
    assert invoke("ingest", path, "--id-col", "id", "-p", project).exit_code == 0
    result = invoke("code", "-c", CODEBOOK, "-p", project)
    assert result.exit_code == 1
    message = one_line(result.stderr)
    assert "Every one of the 2 quotes" in message and "non-answers judge --keep-non-answers --project" in message
