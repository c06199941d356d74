"""The bundled corpora: the inspectorate's published quotes and the synthetic survey."""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import pytest

from probation_themes.ingest.normalise import ORGS, REGIONS

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
QUOTES = CORPORA / "inspectorate_2021" / "quotes.csv"
EXTRACT = CORPORA / "inspectorate_2021" / "report_extract.md"
SURVEY = CORPORA / "synthetic" / "staff_survey.csv"
SURVEY_KEY = CORPORA / "synthetic" / "staff_survey_themes.csv"
GENERATOR = CORPORA / "synthetic" / "generate_survey.py"

# The code ids of DESIGN.md section 4, in codebook order.
CODE_IDS = (
    "cultural_divide", "induction_overload", "workload", "ict", "positive_outlook",
    "leadership_communication", "wellbeing", "staffing", "pay_grading", "premises",
    "bureaucracy", "professional_identity",
)


@pytest.fixture(scope="module")
def gen():
    # corpora/ is not a package, so load the script from its path as the benchmarks do.
    spec = importlib.util.spec_from_file_location("generate_survey", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def quotes() -> list[dict[str, str]]:
    return read_csv(QUOTES)[1]


# --- the inspectorate's quotes ----------------------------------------------------------

def test_quotes_have_the_documented_columns():
    columns, rows = read_csv(QUOTES)
    assert columns == ["quote_id", "region", "org", "theme", "section", "text"]
    # Every quotation in the inspectorate's themed table, two of them sharing one line.
    assert len(rows) == 40


def test_quote_ids_are_unique_and_in_document_order(quotes):
    ids = [q["quote_id"] for q in quotes]
    assert ids == [f"ihmip-2021-{i:03d}" for i in range(1, len(quotes) + 1)]


def test_quote_attributions_are_canonical(quotes):
    for q in quotes:
        assert q["region"] in REGIONS, q
        assert q["org"] in ORGS, q
        assert q["theme"] in CODE_IDS, q


def test_quote_texts_are_clean(quotes):
    for q in quotes:
        text = q["text"]
        assert text.strip() == text and text, q["quote_id"]
        assert text[0] not in "“”\"" and text[-1] not in "“”", q["quote_id"]
        assert not re.search(r"\((?:%s)" % "|".join(map(re.escape, REGIONS)), text), q["quote_id"]


def test_quotes_cover_the_inspectorate_themes(quotes):
    by_theme = {}
    for q in quotes:
        by_theme.setdefault(q["theme"], []).append(q)
    assert set(by_theme) == set(CODE_IDS[:5])
    # Quotes of one theme sit together, in codebook order, as the report presents them.
    order = [q["theme"] for q in quotes]
    assert sorted(order, key=CODE_IDS.index) == order


def test_tricky_attributions_were_parsed(quotes):
    assert {"Kent, Surrey and Sussex", "Yorkshire and the Humber"} <= {q["region"] for q in quotes}
    assert any(q["org"] == "Other" for q in quotes)
    assert any(q["region"] == "London" and q["org"] == "NPS" for q in quotes)


def test_every_quote_and_section_is_verbatim_in_the_report_extract(quotes):
    extract = EXTRACT.read_text(encoding="utf-8")
    for q in quotes:
        assert f"“{q['text']}”" in extract, q["quote_id"]
        assert q["section"] in extract, q["quote_id"]


def test_report_extract_is_the_inspectorate_text_only():
    lines = EXTRACT.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Analysis of respondent comments to open questions")
    assert lines[-1].endswith("undertake that task.")
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Serious divisions exist between former CRC and NPS staff",
        "## High workloads and caseloads have made unification even more difficult",
    ]
    assert not any("Reply" in line or "http" in line for line in lines)


def test_readme_names_source_and_licence():
    readme = (CORPORA / "README.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in readme
    assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in readme
    assert "Crown copyright" in readme


# --- the synthetic survey ---------------------------------------------------------------

def test_generate_rows_is_deterministic(gen):
    assert gen.generate_rows(60, 7) == gen.generate_rows(60, 7)
    assert gen.generate_rows(60, 7) != gen.generate_rows(60, 8)


def test_committed_survey_is_a_fresh_generation_with_default_arguments(gen):
    columns, rows = read_csv(SURVEY)
    assert columns == list(gen.COLUMNS)
    assert rows == gen.generate_rows(gen.DEFAULT_N, gen.DEFAULT_SEED)
    key_columns, key = read_csv(SURVEY_KEY)
    assert key_columns == list(gen.THEME_COLUMNS)
    assert key == gen.generate_theme_key(gen.DEFAULT_N, gen.DEFAULT_SEED)
    assert SURVEY.stat().st_size < 300_000


def test_survey_looks_like_a_real_export(gen):
    rows = gen.generate_rows(400, 2021)
    ids = [r["Respondent ID"] for r in rows]
    assert len(set(ids)) == len(ids) == 400
    answers = [[r[q] for q in gen.QUESTIONS] for r in rows]
    silent = sum(not any(a) for a in answers)
    assert 1 <= silent <= 30
    assert any(sum(bool(x) for x in a) == 1 for a in answers)
    regions = {r["Region"] for r in rows}
    orgs = {r["Former organisation"] for r in rows}
    assert "" in regions and "Prefer not to say" in regions
    assert regions - set(REGIONS) - {"", "Prefer not to say"}, "no region aliases"
    assert orgs - set(ORGS) - {"", "Prefer not to say"}, "no organisation aliases"
    assert "Kent, Surrey and Sussex" in regions
    for answer in (x for a in answers for x in a if x):
        assert 10 <= len(answer.split()) <= 60, answer


def test_answer_key_covers_every_answer_with_known_codes(gen):
    rows = gen.generate_rows(120, 3)
    key = gen.generate_theme_key(120, 3)
    answered = [(r["Respondent ID"], q) for r in rows for q in gen.QUESTIONS if r[q]]
    assert [(k["respondent_id"], k["question"]) for k in key] == answered
    assert gen.THEMES == CODE_IDS
    for k in key:
        themes = [t for t in k["themes"].split(" | ") if t]
        assert all(t in CODE_IDS for t in themes), k
        assert themes == sorted(themes, key=CODE_IDS.index)
    assert sum(bool(k["themes"]) for k in key) > 0.9 * len(key)


def test_generate_comments_respects_word_limits_and_seed(gen):
    comments = list(gen.generate_comments(3000, 11))
    assert comments == list(gen.generate_comments(3000, 11))
    assert len({c[0] for c in comments}) == 3000
    lengths = [len(c[3].split()) for c in comments]
    assert min(lengths) >= 10 and max(lengths) <= 60
    assert max(lengths) - min(lengths) > 30
    tight = [len(c[3].split()) for c in gen.generate_comments(300, 1, min_words=5, max_words=8)]
    assert min(tight) >= 5 and max(tight) <= 8
    with pytest.raises(ValueError):
        next(gen.generate_comments(1, 1, min_words=20, max_words=10))


def test_cli_writes_survey_key_and_benchmark_corpus(gen, tmp_path):
    survey = tmp_path / "survey.csv"
    assert gen.main(["-o", str(survey), "--n", "25", "--seed", "5"]) == 0
    assert read_csv(survey)[1] == gen.generate_rows(25, 5)
    assert read_csv(tmp_path / "survey_themes.csv")[1] == gen.generate_theme_key(25, 5)

    big = tmp_path / "big.csv"
    assert gen.main(["--comments", "40", "-o", str(big)]) == 0
    columns, rows = read_csv(big)
    assert columns == ["id", "region", "organisation", "comment"]
    assert [tuple(r.values()) for r in rows] == list(gen.generate_comments(40, gen.DEFAULT_SEED))
