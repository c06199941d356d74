"""The codebook fields for negation and stance: validation with the place named, and round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.codebook import (
    Codebook,
    codebook_from_csv,
    codebook_from_yaml,
    codebook_to_csv,
    convert_codebook,
    dump_codebook_yaml,
    load_codebook,
)
from probation_themes.codebook.qdc import codebook_to_qdc, qdc_to_data
from probation_themes.errors import CodebookError

ROOT = Path(__file__).resolve().parents[1]

LEANING = {"name": "T", "version": "1.0.0", "codes": [
    {"id": "pos", "label": "Positive", "definition": "d", "polarity": "positive",
     "rules": {"any": ["smooth*", "one service"], "regex": [r"\bglad\b"], "ignore_negation": ["one service", r"\bglad\b"]}},
    {"id": "ict", "label": "ICT", "definition": "d", "negation": False, "rules": {"any": ["laptop"]}},
    {"id": "plain", "label": "Plain", "definition": "d"},
]}


def test_new_fields_default_to_what_coding_did_before():
    code = Codebook.model_validate(LEANING).codes[2]
    assert code.negation is True and code.polarity is None


def test_yaml_and_csv_round_trip_the_new_fields():
    book = Codebook.model_validate(LEANING)
    text = dump_codebook_yaml(book)
    assert "negation: false" in text and "polarity: positive" in text and "ignore_negation" in text
    assert text.count("    negation:") == 1  # the default (true) is not written
    assert codebook_from_yaml(text) == book
    assert codebook_from_csv(codebook_to_csv(book)) == book


def test_csv_of_a_codebook_without_them_keeps_its_columns():
    book = Codebook.model_validate({"name": "T", "version": "1.0.0", "codes": [{"id": "a", "label": "A", "definition": "d"}]})
    header = codebook_to_csv(book).splitlines()[4]
    assert "negation" not in header and "polarity" not in header


def test_qdc_keeps_polarity_and_negation_off():
    data = qdc_to_data(codebook_to_qdc(Codebook.model_validate(LEANING)))
    codes = {c["id"]: c for c in data["codes"]}
    assert codes["pos"]["polarity"] == "positive" and codes["ict"]["negation"] is False
    assert "negation" not in codes["plain"] and "polarity" not in codes["plain"]
    assert codes["pos"]["definition"] == "d"


def test_convert_through_qdc_and_back(tmp_path: Path):
    source = tmp_path / "book.yaml"
    source.write_text(dump_codebook_yaml(Codebook.model_validate(LEANING)), encoding="utf-8")
    convert_codebook(source, tmp_path / "book.qdc")
    convert_codebook(tmp_path / "book.qdc", tmp_path / "back.yaml")
    back = load_codebook(tmp_path / "back.yaml")
    assert [(c.id, c.polarity, c.negation) for c in back.codes] == [
        ("pos", "positive", True), ("ict", None, False), ("plain", None, True)]


@pytest.mark.parametrize(("field", "value", "place", "words"), [
    ("negation", "maybe", "codes -> 0 (a) -> negation", "must be true or false"),
    ("negation", 2, "codes -> 0 (a) -> negation", "must be true or false"),
    ("polarity", "sideways", "codes -> 0 (a) -> polarity", "must be positive or negative"),
    ("polarity", ["positive"], "codes -> 0 (a) -> polarity", "must be positive or negative"),
])
def test_bad_values_fail_validation_with_the_place_named(tmp_path: Path, field, value, place, words):
    data = {"name": "T", "version": "1.0.0", "codes": [
        {"id": "a", "label": "A", "definition": "d", field: value, "rules": {"any": ["x"]}}]}
    path = tmp_path / "bad.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["codebook", "validate", str(path)])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert place in message and words in message, message
    assert "Traceback" not in result.output


def test_ignore_negation_must_name_a_rule_of_the_code():
    data = {"name": "T", "version": "1.0.0", "codes": [
        {"id": "a", "label": "A", "definition": "d", "rules": {"any": ["x"], "ignore_negation": ["x", "y"]}}]}
    with pytest.raises(CodebookError, match=r"codes -> 0 \(a\) -> rules -> ignore_negation -> 1: 'y' is not"):
        codebook_from_yaml(dump_yaml(data))


def test_csv_cells_accept_yes_no_and_name_the_cell_when_wrong():
    csv_text = "name,T\nversion,1.0.0\n\nid,label,definition,any,negation,polarity\na,A,d,x,no,Positive\n"
    code = codebook_from_csv(csv_text).codes[0]
    assert code.negation is False and code.polarity == "positive"
    with pytest.raises(CodebookError, match=r"row 5, column negation"):
        codebook_from_csv(csv_text.replace(",no,", ",perhaps,"))


def test_bundled_codebook_leans_where_its_definitions_do():
    book = load_codebook(ROOT / "codebooks" / "probation_unification.yaml")
    assert book.get("positive_outlook").polarity == "positive"
    assert book.get("cultural_divide").polarity == "negative"
    # negation counts where the terms assert something ("welcoming", "divide"), not for topics
    assert {c.id for c in book.codes if c.negation} == {"cultural_divide", "positive_outlook"}


def dump_yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def test_bundled_rules_on_the_inspectorate_quotes_place_its_themes_with_few_codes():
    """Targets of the rules: the inspectorate's theme for 34 of its 40 quotes, at most 1.6 codes a quote."""
    import csv

    from probation_themes.coding.rules import RulesCoder
    from probation_themes.models import Quote

    with (ROOT / "corpora" / "inspectorate_2021" / "quotes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    quotes = [Quote(quote_id=r["quote_id"], response_id=r["quote_id"], text=r["text"], source="s", row=i + 2)
              for i, r in enumerate(rows)]
    scan = RulesCoder(n_jobs=1).fit(load_codebook(ROOT / "codebooks" / "probation_unification.yaml")).scan(quotes)
    codes: dict[str, set[str]] = {}
    for c in scan.codings:
        codes.setdefault(c.quote_id, set()).add(c.code)
    placed = sum(r["theme"] in codes.get(r["quote_id"], set()) for r in rows)
    assert placed >= 34
    assert sum(len(v) for v in codes.values()) / len(rows) <= 1.6
    # The quote that says "chaotic and stressful, with no sign of any positives" is not positive.
    gloomy = next(r["quote_id"] for r in rows if "no sign of any positives" in r["text"])
    assert "positive_outlook" not in codes.get(gloomy, set())
    assert any(b.quote_id == gloomy and b.code == "positive_outlook" for b in scan.blocked)
