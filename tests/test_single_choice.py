"""Single-choice groups: declared in the codebook, validated, round-tripped, respected by coders, imports and agree."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from probation_themes.codebook import Codebook, SingleChoiceGroup, codebook_from_csv, codebook_to_csv
from probation_themes.codebook.dialects import codebook_to_dialect_csv
from probation_themes.codebook.io import codebook_from_yaml
from probation_themes.codebook.qdc import codebook_to_qdc, qdc_to_data, unfold_description
from probation_themes.codebook.yamlform import dump_codebook_yaml
from probation_themes.coding.exclusive import enforce, enforce_rows, pick
from probation_themes.coding.rules import RulesCoder
from probation_themes.models import Coding, Quote
from probation_themes.workflows.single_choice import group_agreement
from cli_helpers import invoke



def code(id_: str, **extra) -> dict:
    return {"id": id_, "label": id_.title(), "definition": f"About {id_}.", **extra}


def book(**extra) -> Codebook:
    data = {
        "name": "tone", "version": "1.0.0",
        "codes": [
            code("praise", rules={"any": ["good", "helpful"]}),
            code("complaint", rules={"any": ["slow", "rude"]}),
            code("staff", rules={"any": ["staff"]}),
            code("outcome", exclusive="exactly_one"),
            code("better", parent="outcome", rules={"any": ["better"]}),
            code("worse", parent="outcome", rules={"any": ["worse"]}),
        ],
    }
    data.update(extra)
    return Codebook.model_validate(data)


TONE = [{"name": "tone", "codes": ["praise", "complaint"]}]


def test_three_ways_to_declare_groups_in_codebook_order():
    b = book(exclusive_groups=[{"name": "tone", "codes": ["complaint", "praise"]}])
    assert b.single_choice_groups() == [
        SingleChoiceGroup("children of outcome", ("better", "worse"), True),
        SingleChoiceGroup("tone", ("praise", "complaint"), False),
    ]
    top = Codebook.model_validate({"name": "t", "version": "1.0.0", "exclusive": True,
                                   "codes": [code("a"), code("b"), code("c", parent="a")]})
    assert top.single_choice_groups() == [SingleChoiceGroup("top-level codes", ("a", "b"), False)]


@pytest.mark.parametrize("value, expected", [
    (True, "at_most_one"), ("true", "at_most_one"), ("exactly one", "exactly_one"), ("Exactly-One", "exactly_one"),
    (False, None), ("", None),
])
def test_exclusive_values(value, expected):
    assert book().model_copy().get("outcome").exclusive == "exactly_one"
    b = Codebook.model_validate({"name": "t", "version": "1.0.0", "exclusive": value, "codes": [code("a"), code("b")]})
    assert b.exclusive == expected


@pytest.mark.parametrize("extra, place, words", [
    ({"exclusive_groups": [{"codes": ["praise", "nope"]}]}, "exclusive_groups -> 0 -> codes -> 1",
     "'nope' is not the id of a code"),
    ({"exclusive_groups": [{"codes": ["praise"]}]}, "exclusive_groups -> 0", "two or more codes"),
    ({"exclusive_groups": [{"codes": ["better", "praise"]}]}, "exclusive_groups -> 0", "already in the single-choice group"),
    ({"exclusive_groups": [{"codes": ["praise", "staff"], "choose": "several"}]}, "exclusive_groups -> 0 -> choose",
     "not a single-choice rule"),
])
def test_codebook_validate_names_the_place(tmp_path: Path, extra, place, words):
    data = book().model_dump(mode="json", exclude_defaults=True)
    data.update(extra)
    path = tmp_path / "book.yaml"
    import yaml
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = invoke("codebook", "validate", path)
    assert result.exit_code == 1
    assert place in result.output and words in result.output
    assert "Traceback" not in result.output


def test_exclusive_on_a_code_without_children_is_refused(tmp_path: Path):
    path = tmp_path / "book.yaml"
    path.write_text("name: t\nversion: 1.0.0\ncodes:\n  - {id: a, label: A, definition: d, exclusive: true}\n"
                    "  - {id: b, label: B, definition: d}\n", encoding="utf-8")
    result = invoke("codebook", "validate", path)
    assert result.exit_code == 1 and "codes -> 0 (a) -> exclusive" in result.output
    assert "fewer than two children" in result.output


def test_round_trips_through_yaml_csv_and_qdc():
    b = Codebook.model_validate({
        "name": "t", "version": "1.0.0",
        "exclusive_groups": [{"name": "tone", "codes": ["praise", "complaint"]}, {"codes": ["x", "y"], "choose": "exactly_one"}],
        "codes": [code("praise"), code("complaint"), code("outcome", exclusive=True),
                  code("better", parent="outcome"), code("worse", parent="outcome"),
                  code("other"), code("x", parent="other"), code("y", parent="other")],
    })
    assert codebook_from_yaml(dump_codebook_yaml(b)) == b
    assert codebook_from_csv(codebook_to_csv(b)) == b
    data = qdc_to_data(codebook_to_qdc(b), "t.qdc")
    assert Codebook.model_validate({**data, "name": "t"}) == b
    top = Codebook.model_validate({"name": "t", "version": "1.0.0", "exclusive": "exactly_one",
                                   "codes": [code("a"), code("b")]})
    assert Codebook.model_validate({**qdc_to_data(codebook_to_qdc(top), "t.qdc"), "name": "t"}) == top
    # Taguette's one-line descriptions carry the group too
    line = codebook_to_dialect_csv(b, "taguette").splitlines()[1]
    assert "Single choice group 1: tone (at most one)" in line
    assert "Single choice" not in unfold_description(line.split(",", 1)[1]).get("definition", "")


def test_pick_highest_score_ties_to_codebook_order():
    group = SingleChoiceGroup("tone", ("praise", "complaint", "staff"), False)
    assert pick({"complaint": 0.7, "praise": 0.4}, group) == ("complaint", [("praise", 0.4)])
    assert pick({"complaint": 0.5, "praise": 0.5}, group)[0] == "praise"
    assert pick({"staff": 0.5, "complaint": 0.5}, group)[0] == "complaint"
    assert pick({"other": 1.0}, group) == (None, [])


def test_enforce_keeps_people_and_names_the_losers():
    group = SingleChoiceGroup("tone", ("praise", "complaint"), False)
    machine = [Coding(quote_id="q1", code="praise", method="rules", confidence=0.6),
               Coding(quote_id="q1", code="complaint", method="rules", confidence=0.8),
               Coding(quote_id="q2", code="praise", method="rules", confidence=0.6)]
    kept = enforce(machine, [group])
    assert [(c.quote_id, c.code) for c in kept] == [("q1", "complaint"), ("q2", "praise")]
    assert kept[0].evidence[-1].kind == "single_choice"
    assert kept[0].evidence[-1].text == "chosen over: praise (0.60)"
    human = Coding(quote_id="q1", code="praise", method="rules", status="accepted", coder="ann")
    kept = enforce([machine[1], human], [group])
    assert [(c.code, c.status) for c in kept] == [("praise", "accepted")]
    rows, lost = enforce_rows([("q1", "praise", 0.6, "[]"), ("q1", "complaint", 0.8, '[{"term":"x"}]')], [group])
    assert lost == {"tone": 1}
    assert rows[0][1] == "complaint" and json.loads(rows[0][3])[-1]["text"] == "chosen over: praise (0.60)"


def test_rules_respect_groups_in_every_path():
    b = book(exclusive_groups=TONE)
    quotes = [Quote(quote_id="q1", response_id="r1", source="s", row=1, text="Helpful staff but slow, and rude."),
              Quote(quote_id="q2", response_id="r2", source="s", row=2, text="It got better and worse.")]
    coder = RulesCoder(n_jobs=1).fit(b)
    got = {(c.quote_id, c.code) for c in coder.predict(quotes)}
    # "slow" and "rude" (two terms) beat "helpful" (one): complaint wins the tone group
    assert ("q1", "complaint") in got and ("q1", "praise") not in got and ("q1", "staff") in got
    assert len({c for q, c in got if q == "q2"} & {"better", "worse"}) == 1
    part = next(coder.iter_rows([quotes]))
    assert {(r[0], r[1]) for r in part.rows} == got
    assert part.removed["single_choice"] == {"tone": 1, "children of outcome": 1}


def test_code_import_and_agree_end_to_end(tmp_path: Path):
    survey = tmp_path / "a.csv"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "answer"], ["r1", "The staff were good and helpful but slow."],
                                  ["r2", "Rude staff."], ["r3", "Helpful."]])
    path = tmp_path / "book.yaml"
    path.write_text(dump_codebook_yaml(book(exclusive_groups=TONE)), encoding="utf-8")
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "--text-col", "answer", "--id-col", "id", "-p", project).exit_code == 0
    result = invoke("code", "-c", path, "-p", project)
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "Single choice:" in said and "tone: 1 suggestion" in said
    rows = list(csv.DictReader(invoke("export", "codings", "-p", project, "-o", "-").stdout.splitlines()))
    r1 = {r["code"]: r for r in rows if r["response_id"] == "r1"}
    assert set(r1) == {"praise", "staff"} and "chosen over: complaint" in r1["praise"]["evidence"]

    bad = tmp_path / "bad.csv"
    bad.write_text("id,praise,complaint\nr1,1,1\nr2,0,1\nr3,1,0\n", encoding="utf-8")
    result = invoke("import-codings", bad, "--coder", "ann", "-p", project)
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "respondent r1: praise, complaint (tone)" in said and "nothing was stored" in said
    (tmp_path / "ann.csv").write_text("id,praise,complaint\nr1,1,0\nr2,0,1\nr3,1,0\n", encoding="utf-8")
    (tmp_path / "bob.csv").write_text("id,praise,complaint\nr1,0,1\nr2,0,1\nr3,1,0\n", encoding="utf-8")
    for who in ("ann", "bob"):
        assert invoke("import-codings", tmp_path / f"{who}.csv", "--coder", who, "-p", project).exit_code == 0
    result = invoke("agree", "--coder", "ann", "--coder", "bob", "-p", project, "-c", path, "--json")
    groups = {g["group"]: g for g in json.loads(result.stdout)["single_choice"]}
    assert set(groups) == {"children of outcome", "tone"}
    group = groups["tone"]
    # labels ann: praise, complaint, praise; bob: complaint, complaint, praise
    assert group["group"] == "tone" and group["n"] == 3
    assert group["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert group["macro_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert group["kappa"] == pytest.approx(0.4, abs=1e-4)


def test_group_agreement_counts_none_and_doubles():
    group = SingleChoiceGroup("g", ("a", "b"), False)
    figures = group_agreement(["u1", "u2", "u3", "u4"], [("u1", "a"), ("u2", "b")],
                              [("u1", "a"), ("u1", "b"), ("u3", "b")], [group])[0]
    # labels A: a, b, none, none; B: a (first of two), none, b, none
    assert figures.accuracy == 0.5 and figures.multiple_b == 1 and figures.multiple_a == 0
