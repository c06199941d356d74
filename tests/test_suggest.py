"""`codebook suggest`: vocabulary a code's rules miss, from the project's own quotes."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import load_codebook
from probation_themes.codebook.edit import add_rule_terms
from probation_themes.coding.suggest import Vocabulary, log_odds, rank_candidates
from probation_themes.errors import CodebookError, CoderError
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.workflows.suggest import suggest_vocabulary

BOOK_TEXT = """\
# A small codebook; this comment must survive --add.
name: Mini
version: 1.0.0
codes:
  - id: workload
    label: Workload
    definition: Caseloads and hours.   # kept too
    rules:
      any: [caseload*, overtime]
  - id: ict
    label: ICT
    definition: Laptops and systems.
    rules:
      any:
        - laptop
  - id: premises
    label: Premises
    definition: Offices.
"""


def survey_rows(n: int = 240, seed: int = 3) -> list[tuple[str, str]]:
    """Workload answers say "duty rota" (which the rules miss) as often as "caseload"."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            text = rng.choice(["My caseload is huge and the duty rota never ends.",
                               "Overtime every week because of the duty rota.",
                               "Caseloads keep growing."])
        elif kind == 1:
            text = rng.choice(["The duty rota means I cover court every day.",  # workload, not yet coded
                               "My laptop crashes daily.", "The new laptop is slow."])
        else:
            text = rng.choice(["Colleagues have been kind.", "Nothing to add really.", "The canteen food is fine."])
        rows.append((f"r{i}", text))
    return rows


@pytest.fixture
def coded(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "survey.csv"
    with data.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "answer"])
        writer.writerows(survey_rows())
    book = tmp_path / "book.yaml"
    book.write_text(BOOK_TEXT, encoding="utf-8")
    project = tmp_path / "p.db"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(data), "--text-col", "answer", "--id-col", "id", "-p", str(project)]).exit_code == 0
    assert runner.invoke(app, ["code", "-c", str(book), "-p", str(project), "-j", "1"]).exit_code == 0
    return project, book


def test_log_odds_favour_words_frequent_in_the_code_and_rare_elsewhere():
    code = Counter({"rota": 30, "the": 40, "rare": 2})
    other = Counter({"rota": 2, "the": 400, "rare": 0, "laptop": 50})
    scores = log_odds(code, sum(code.values()), other, sum(other.values()))
    assert scores["rota"][1] > scores["rare"][1] > 0 > scores["the"][1]
    assert scores["laptop"][1] < 0
    # the prior shrinks a word seen twice: its log-odds are large but its z is not
    assert scores["rare"][0] > scores["rota"][0] * 0.5 and scores["rare"][1] < scores["rota"][1] / 2


def test_vocabulary_lemmatises_and_keeps_phrases_without_trailing_stop_words():
    found = Vocabulary().candidates("Our Caseloads are growing; no time for the duty rotas")
    assert {"caseload", "duty", "rota", "duty rota", "no time"} <= found
    assert "for the" not in found and "the duty" not in found and "are" not in found


def test_suggestions_name_what_the_rules_miss_with_counts_and_examples(coded):
    project, book = coded
    with Project.open(project, create=False) as proj:
        report = suggest_vocabulary(proj, load_codebook(book), "workload", top=5)
        texts = {q.quote_id: q.text for q in proj.quotes()}
    terms = [s.term for s in report.suggestions]
    assert {"duty rota", "rota", "duty"} & set(terms), terms
    assert not {"caseload", "overtime"} & set(terms)  # already rule terms
    assert [s.log_odds for s in report.suggestions] == sorted((s.log_odds for s in report.suggestions), reverse=True)
    assert all(s.z > 1.96 for s in report.suggestions)
    top = next(s for s in report.suggestions if "rota" in s.term or s.term == "duty")
    with_term = [q for q, t in texts.items() if top.term in t.lower()]
    assert top.quotes == len(with_term)
    coded_ids = report.coded.quote_ids
    assert top.not_coded == sum(q not in coded_ids for q in with_term) > 0
    assert len(top.examples) == 2 and all(not e.coded for e in top.examples)
    for e in top.examples:
        assert texts[e.quote_id] == e.text and e.text[e.start:e.end].lower().startswith(top.term.split()[0])
    assert report.coded.from_rules == len(coded_ids)


def test_suggestions_are_deterministic(coded):
    project, book = coded
    with Project.open(project, create=False) as proj:
        a = suggest_vocabulary(proj, load_codebook(book), "workload")
        b = suggest_vocabulary(proj, load_codebook(book), "workload")
    assert [(s.term, s.z, s.quotes, s.examples) for s in a.suggestions] == [
        (s.term, s.z, s.quotes, s.examples) for s in b.suggestions]


def test_decisions_and_imports_change_the_codes_quotes(coded):
    project, book = coded
    with Project.open(project, create=False) as proj:
        before = suggest_vocabulary(proj, load_codebook(book), "workload").coded
        rota = next(q.quote_id for q in proj.quotes() if q.text.startswith("The duty rota"))
        caseload = next(q.quote_id for q in proj.quotes() if q.text == "Caseloads keep growing.")
        at = datetime.now(timezone.utc)
        proj.record_decision(Decision(quote_id=rota, code="workload", decision="accept", coder="ann", decided_at=at))
        proj.record_decision(Decision(quote_id=caseload, code="workload", decision="reject", coder="ann", decided_at=at))
        after = suggest_vocabulary(proj, load_codebook(book), "workload").coded
    assert rota in after.quote_ids and rota not in before.quote_ids
    assert caseload not in after.quote_ids and after.rejected == 1 and after.accepted == 1


def test_a_code_without_coded_quotes_says_what_to_do_first(coded):
    project, book = coded
    with Project.open(project, create=False) as proj:
        with pytest.raises(CoderError, match=r"no coded quotes .*probation-themes code --codebook"):
            suggest_vocabulary(proj, load_codebook(book), "premises")
        with pytest.raises(CodebookError, match="Did you mean 'workload'"):
            suggest_vocabulary(proj, load_codebook(book), "workloads")


def test_cli_lists_suggestions_and_adds_the_chosen_ones(coded):
    project, book = coded
    runner = CliRunner()
    shown = runner.invoke(app, ["codebook", "suggest", "workload", "-c", str(book), "-p", str(project), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    rota = next(x for x in data["suggestions"] if "rota" in x["term"] or x["term"] == "duty")
    assert rota["not_coded"] > 0 and data["code_quotes"] > 0
    table = runner.invoke(app, ["codebook", "suggest", "workload", "-c", str(book), "-p", str(project)])
    assert table.exit_code == 0 and "not yet coded" in table.output and "--add" in table.output

    added = runner.invoke(app, ["codebook", "suggest", "workload", "-c", str(book), "--add", "duty rota",
                                "--add", "caseload*"])
    assert added.exit_code == 0, added.output
    text = book.read_text(encoding="utf-8")
    assert "# A small codebook; this comment must survive --add." in text and "# kept too" in text
    assert "any: [caseload*, overtime, duty rota]" in text and "version: 1.1.0" in text
    assert text.replace("version: 1.1.0", "version: 1.0.0").replace(", duty rota]", "]") == BOOK_TEXT
    assert "Already among the terms" in added.output

    recoded = runner.invoke(app, ["code", "-c", str(book), "-p", str(project), "-j", "1", "--json"])
    with Project.open(project, create=False) as proj:
        rota = [q.quote_id for q in proj.quotes() if q.text.startswith("The duty rota")]
        assert set(rota) <= set(proj.suggested_codes("rules", rota))
    assert recoded.exit_code == 0


def test_cli_refuses_add_without_a_codebook_and_a_code_without_quotes(coded):
    project, book = coded
    runner = CliRunner()
    assert runner.invoke(app, ["codebook", "suggest", "workload", "-p", str(project), "--add", "x"]).exit_code == 2
    result = runner.invoke(app, ["codebook", "suggest", "premises", "-c", str(book), "-p", str(project)])
    assert result.exit_code == 1 and "Traceback" not in result.output and "no coded quotes" in result.output


def test_add_rule_terms_into_block_lists_new_rules_and_refuses_bad_terms(tmp_path: Path):
    book = tmp_path / "b.yaml"
    book.write_text(BOOK_TEXT, encoding="utf-8")
    add_rule_terms(book, "ict", ["docking station", "yes"])
    add_rule_terms(book, "premises", ["hot desk*"])
    text = book.read_text(encoding="utf-8")
    assert "        - laptop\n        - docking station\n        - 'yes'\n" in text
    assert "    rules:\n      any: [hot desk*]\n" in text
    loaded = load_codebook(book)
    assert loaded.get("ict").rules.any == ["laptop", "docking station", "yes"] and loaded.version == "1.2.0"
    with pytest.raises(CodebookError, match="must end a word"):
        add_rule_terms(book, "ict", ["*bad"])
    assert load_codebook(book).version == "1.2.0"


def test_rank_candidates_reads_a_fixed_sample_of_large_groups():
    quotes = [(f"q{i}", "duty rota again" if i % 2 else "laptop again") for i in range(4000)]
    coded = {q for q, t in quotes if "rota" in t}
    a = rank_candidates([quotes], coded, n_quotes=len(quotes), sample=500)
    b = rank_candidates([quotes], coded, n_quotes=len(quotes), sample=500)
    assert a.code_quotes_read < 2000 and a.other_quotes_read < 2000
    assert [s.term for s in a.suggestions] == [s.term for s in b.suggestions]
    assert a.suggestions[0].term in ("duty rota", "rota", "duty")
