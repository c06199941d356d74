"""Agreement statistics against textbook values, and `agree` on real projects."""

from __future__ import annotations

import csv
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from rich.console import Console
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.cli.commands_agree import agreement_table
from probation_themes.codebook import Codebook
from probation_themes.errors import CodebookError, StoreError
from probation_themes.ingest import IngestOptions
from probation_themes.models import Decision, Run
from probation_themes.store import Project
from probation_themes.workflows.agreement import (
    AgreementReport,
    CoderLabels,
    agreement_statistics,
    cohen_kappa,
    compare_coders,
    compare_labels,
    krippendorff_alpha,
    rates_from_counts,
    roll_up,
)
from probation_themes.workflows.code import code_project
from probation_themes.workflows.ingest import ingest_files


def pairs_from_counts(both: int, a_only: int, b_only: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    a = [1] * both + [1] * a_only + [0] * b_only + [0] * neither
    b = [1] * both + [0] * a_only + [1] * b_only + [0] * neither
    return np.array(a), np.array(b)


# -- textbook values -------------------------------------------------------------

# The classic 50-item example (e.g. Wikipedia, "Cohen's kappa"): both yes 20, A yes/B no 5,
# A no/B yes 10, both no 15. p_o = 0.70, p_e = 0.5·0.6 + 0.5·0.4 = 0.50, κ = 0.2 / 0.5 = 0.40.
COHEN = (20, 5, 10, 15)


def test_cohen_kappa_of_the_classic_50_item_example_is_0_40():
    a, b = pairs_from_counts(*COHEN)
    assert cohen_kappa(a, b) == pytest.approx(0.40)
    assert rates_from_counts(*COHEN)["kappa"] == pytest.approx(0.40)


def test_percentage_agreement_and_precision_recall_f1_of_the_classic_example():
    a, b = pairs_from_counts(*COHEN)
    (result,), overall = agreement_statistics(a[:, None], b[:, None], ["yes"], resamples=0)
    assert result.n == 50
    assert (result.counts.both, result.counts.a_only, result.counts.b_only, result.counts.neither) == COHEN
    assert (result.counts.a, result.counts.b) == (25, 30)
    assert result.percent_agreement.value == pytest.approx(70.0)
    assert result.kappa.value == pytest.approx(0.40)
    assert result.precision.value == pytest.approx(20 / 30)  # of B's 30 yeses, 20 are A's
    assert result.recall.value == pytest.approx(20 / 25)  # of A's 25 yeses, B found 20
    assert result.f1.value == pytest.approx(2 * 20 / (2 * 20 + 5 + 10))
    assert result.kappa.low is None and result.kappa.high is None  # no bootstrap asked for
    assert overall.kappa.value == pytest.approx(0.40)  # one code: pooled equals per code


# Krippendorff (2011) "Computing Krippendorff's alpha-reliability", section A: binary data,
# two observers, ten units, no missing data. By hand: 1 unit both 1, 1 unit A only, 3 units
# B only, 5 units both 0; n_0 = 14, n_1 = 6 of 20 pairable values; 4 disagreeing units give
# 8 off-diagonal coincidences, so α = 1 − (20 − 1)·8 / (2·14·6) = 1 − 152/168 = 2/21 ≈ 0.095.
KRIPPENDORFF_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
KRIPPENDORFF_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_krippendorff_alpha_of_krippendorffs_binary_example_is_0_095():
    assert 1 - (20 - 1) * 8 / (2 * 14 * 6) == pytest.approx(2 / 21)
    alpha = krippendorff_alpha(KRIPPENDORFF_A, KRIPPENDORFF_B)
    assert round(alpha, 3) == 0.095
    assert alpha == pytest.approx(2 / 21)
    assert rates_from_counts(1, 1, 3, 5)["alpha"] == pytest.approx(2 / 21)


def test_the_vectorised_formulas_agree_with_scikit_learn_and_krippendorff():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(2, 40))
        a = (rng.random(n) < rng.random()).astype(int)
        b = np.where(rng.random(n) < 0.7, a, 1 - a)
        table = pairs_to_counts(a, b)
        rates = rates_from_counts(*table)
        if len(set(a)) > 1 or len(set(b)) > 1:
            assert rates["kappa"] == pytest.approx(cohen_kappa_score(a, b, labels=[0, 1]))
        if len(set(a) | set(b)) > 1:
            expected = krippendorff.alpha(reliability_data=[a, b], level_of_measurement="nominal")
            assert rates["alpha"] == pytest.approx(expected)


def pairs_to_counts(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()), int((~a & ~b).sum())


def test_undefined_statistics_are_none_with_a_note_not_nan():
    zeros = np.zeros((6, 1), dtype=int)
    (nobody,), _ = agreement_statistics(zeros, zeros, ["pay"], resamples=50)
    assert nobody.percent_agreement.value == 100.0
    for stat in ("kappa", "alpha", "precision", "recall", "f1"):
        estimate = getattr(nobody, stat)
        assert estimate.value is None and estimate.note, stat
        assert estimate.low is None and estimate.undefined_resamples == 50
    assert "same answer" in nobody.kappa.note

    # A says yes to everything, B to nothing: both constant, so κ is undefined, but α is
    # defined (two values occur) and strongly negative; recall is 0, precision undefined.
    (opposite,), _ = agreement_statistics(np.ones((4, 1), int), zeros[:4], ["pay"], resamples=0)
    assert opposite.kappa.value is None and opposite.kappa.note
    assert opposite.alpha.value == pytest.approx(1 - 7 * 4 / (4 * 4))
    assert opposite.recall.value == 0.0 and opposite.precision.value is None
    assert "B never applied" in opposite.precision.note


# -- the bootstrap ----------------------------------------------------------------


def _random_pair(units: int, codes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.random((units, codes)) < 0.15
    return a, a ^ (rng.random((units, codes)) < 0.05)


def test_bootstrap_is_deterministic_for_a_seed_and_brackets_the_estimate():
    a, b = _random_pair(300, 3, seed=1)
    codes = ["x", "y", "z"]
    first = agreement_statistics(a, b, codes, resamples=200, seed=11)
    again = agreement_statistics(a, b, codes, resamples=200, seed=11)
    other = agreement_statistics(a, b, codes, resamples=200, seed=12)
    assert first == again
    assert first != other
    for result in [*first[0], first[1]]:
        for stat in ("percent_agreement", "kappa", "alpha", "precision", "recall", "f1"):
            e = getattr(result, stat)
            assert e.low <= e.value <= e.high, (result.code, stat)
            assert e.low < e.high
    # A wider sample gives a narrower interval.
    a2, b2 = _random_pair(3000, 3, seed=1)
    wide = first[1].kappa.high - first[1].kappa.low
    narrow = agreement_statistics(a2, b2, codes, resamples=200, seed=11)[1].kappa
    assert narrow.high - narrow.low < wide


def test_bootstrap_of_ten_thousand_units_and_twelve_codes_takes_seconds():
    a, b = _random_pair(10_000, 12, seed=2)
    start = time.perf_counter()
    per_code, overall = agreement_statistics(a, b, [f"c{i}" for i in range(12)], resamples=1000, seed=0)
    assert time.perf_counter() - start < 10
    assert len(per_code) == 12 and overall.n == 120_000


# -- uncoded units and roll-up (coder labels) ----------------------------------------


def labels(name: str, level: str, units, positives) -> CoderLabels:
    return CoderLabels(name, "imported", level, frozenset(units), frozenset(positives))


def test_units_nobody_coded_do_not_change_the_results_unless_asked_for():
    units = [f"u{i}" for i in range(20)]
    a_pos = [(u, "x") for u in units[:8]] + [(u, "y") for u in units[5:12]]
    b_pos = [(u, "x") for u in units[2:9]] + [(u, "y") for u in units[6:14]]
    padded = units + [f"blank{i}" for i in range(1000)]
    base = compare_labels(labels("a", "quote", units, a_pos), labels("b", "quote", units, b_pos),
                          codes=["x", "y"], resamples=100)
    more = compare_labels(labels("a", "quote", padded, a_pos), labels("b", "quote", padded, b_pos),
                          codes=["x", "y"], resamples=100)
    assert base.units_compared == more.units_compared == 14  # u0..u13 have a code from someone
    assert base.uncoded_excluded == 6 and more.uncoded_excluded == 1006
    assert more.codes == base.codes and more.overall == base.overall

    kept = compare_labels(labels("a", "quote", padded, a_pos), labels("b", "quote", padded, b_pos),
                          codes=["x", "y"], include_uncoded=True, resamples=100)
    assert kept.units_compared == 1020 and kept.uncoded_excluded == 0
    assert kept.codes[0].counts.neither == base.codes[0].counts.neither + 1006
    assert kept.codes[0].percent_agreement.value > base.codes[0].percent_agreement.value
    assert kept.codes[0].kappa.value != base.codes[0].kappa.value


def test_a_unit_coded_with_another_code_is_not_uncoded():
    # Only x is compared, but u2 was given y by A: both coders did look at u2 and
    # neither gave it x, which is a real agreement on x.
    a = labels("a", "quote", ["u1", "u2", "u3"], [("u1", "x"), ("u2", "y")])
    b = labels("b", "quote", ["u1", "u2", "u3"], [("u1", "x")])
    report = compare_labels(a, b, codes=["x"], resamples=0)
    assert report.units_compared == 2 and report.uncoded_excluded == 1
    assert report.codes[0].counts.neither == 1


def test_quote_codings_roll_up_to_responses():
    response_of = {"r1:1.1": "r1", "r1:2.1": "r1", "r2:1.1": "r2", "r3:1.1": "r3"}
    quotes = labels("q", "quote", response_of, [("r1:2.1", "x"), ("r2:1.1", "y")])
    rolled = roll_up(quotes, response_of)
    assert rolled.level == "response"
    assert rolled.units == {"r1", "r2", "r3"}
    assert rolled.positives == {("r1", "x"), ("r2", "y")}

    responses = labels("r", "response", ["r1", "r2", "r3"], [("r1", "x"), ("r3", "y")])
    report = compare_labels(responses, quotes, codes=["x", "y"], response_of=response_of, resamples=0)
    assert report.level == "response" and report.units_compared == 3
    x, y = report.codes
    assert (x.counts.both, x.counts.a_only, x.counts.b_only) == (1, 0, 0)
    assert (y.counts.both, y.counts.a_only, y.counts.b_only) == (0, 1, 1)


def test_response_level_codings_cannot_be_compared_per_quote():
    responses = labels("gold", "response", ["r1"], [("r1", "x")])
    quotes = labels("q", "quote", ["r1:1.1"], [("r1:1.1", "x")])
    with pytest.raises(StoreError, match="gold's codings are per response.*--level response"):
        compare_labels(responses, quotes, codes=["x"], level="quote")


def test_coders_with_no_units_in_common_are_told_so():
    with pytest.raises(StoreError, match="no quotes in common"):
        compare_labels(labels("a", "quote", ["u1"], [("u1", "x")]), labels("b", "quote", ["u2"], []), codes=["x"])


# -- on a project: imported coders, reviewers and methods ---------------------------------

BOOK = Codebook.model_validate(
    {
        "name": "mini",
        "version": "1.0.0",
        "codes": [
            {"id": "workload", "label": "Workload", "definition": "d", "rules": {"any": ["caseload*", "workload"]}},
            {"id": "ict", "label": "ICT", "definition": "d", "rules": {"any": ["laptop*"]}},
            {"id": "pay", "label": "Pay", "definition": "d", "rules": {"any": ["pay"]}},
        ],
    }
)
ANSWERS = [
    ("r1", "My caseload is huge.", "The laptop is slow."),
    ("r2", "Workload is fine.", ""),
    ("r3", "The laptops crash daily.", ""),
    ("r4", "The canteen is fine.", ""),
    ("r5", "Good team spirit.", "Caseloads keep growing."),
    ("r6", "I like my manager.", ""),
]


@pytest.fixture
def project(tmp_path: Path):
    path = tmp_path / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "q1", "q2"])
        writer.writerows(ANSWERS)
    with Project.open(tmp_path / "p.db") as proj:
        ingest_files(proj, [path], IngestOptions(text_cols=["q1", "q2"], id_col="id"))
        code_project(proj, BOOK, method="rules", n_jobs=1)
        run = proj.start_run(Run(command="import-codings", started_at=datetime.now(timezone.utc)))
        # alice read every response; she disagrees with the rules on r2 (no workload) and r3
        # (not ict but pay), and coded r6, which the rules left blank. r4 nobody coded.
        proj.replace_coder_codings(
            "alice", "response", ["r1", "r2", "r3", "r4", "r5", "r6"],
            [("r1", "workload"), ("r1", "ict"), ("r3", "pay"), ("r5", "workload"), ("r6", "pay")],
            run_id=run,
        )
        proj.finish_run(run)
        yield proj


def test_a_method_can_stand_in_for_a_coder(project: Project):
    report = compare_coders(project, "alice", "rules", resamples=0)
    assert report.level == "response"
    assert report.description_b == "rules (machine suggestions, quote level, rolled up to responses)"
    assert [c.code for c in report.codes] == ["workload", "ict", "pay"]
    assert report.units_compared == 5 and report.uncoded_excluded == 1  # r4
    workload, ict, pay = report.codes
    # rules: workload on r1, r2, r5 (quote r5:2.1 rolls up); ict on r1, r3.
    assert (workload.counts.both, workload.counts.a_only, workload.counts.b_only, workload.counts.neither) == (2, 0, 1, 2)
    assert (ict.counts.both, ict.counts.a_only, ict.counts.b_only, ict.counts.neither) == (1, 0, 1, 3)
    assert (pay.counts.both, pay.counts.a_only, pay.counts.b_only, pay.counts.neither) == (0, 2, 0, 3)
    assert workload.precision.value == pytest.approx(2 / 3) and workload.recall.value == 1.0
    assert pay.precision.value is None and pay.recall.value == 0.0
    assert report.overall.n == 15
    assert report.overall.counts.both == 3


def test_a_reviewer_is_a_quote_level_coder(project: Project):
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    for quote, code, decision in [("r1:1.1", "workload", "accept"), ("r2:1.1", "workload", "reject"),
                                  ("r3:1.1", "ict", "accept"), ("r3:1.1", "ict", "reject")]:
        project.record_decision(Decision(quote_id=quote, code=code, decision=decision, coder="sam", decided_at=when))
    report = compare_coders(project, "sam", "rules", resamples=0)
    assert report.level == "quote"
    # sam decided on three quotes; his latest word on r3's ict is a rejection.
    assert report.units_compared == 3 and report.uncoded_excluded == 0
    workload, ict, _ = report.codes
    assert (workload.counts.both, workload.counts.b_only) == (1, 1)
    assert (ict.counts.both, ict.counts.b_only) == (0, 1)
    # The machine's raw suggestions count, whatever sam decided about them.
    assert report.codes[1].counts.b == 1


def test_unknown_coders_codes_and_unrun_methods_are_explained(project: Project):
    with pytest.raises(StoreError) as caught:
        compare_coders(project, "alice", "bob")
    message = str(caught.value)
    assert "'bob'" in message and "alice" in message and "rules" in message and "import-codings" in message
    with pytest.raises(StoreError, match="has not coded .* --method model"):
        compare_coders(project, "alice", "model")
    with pytest.raises(CodebookError, match="'wellbeing'.*workload, ict, pay"):
        compare_coders(project, "alice", "rules", codes=["wellbeing"])
    only = compare_coders(project, "alice", "method:rules", codes=["pay"], resamples=0)
    assert [c.code for c in only.codes] == ["pay"]


# -- the command -------------------------------------------------------------------

runner = CliRunner()


def test_a_name_that_is_both_an_import_and_a_reviewer_says_which_was_used_and_how_to_choose(project: Project):
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    project.record_decision(Decision(quote_id="r1:1.1", code="workload", decision="accept", coder="alice",
                                     decided_at=when))
    args = ["agree", "--coder", "alice", "--coder", "rules", "-p", str(project.path), "--bootstrap", "0"]
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "'alice' is both an imported coder and a reviewer" in said
    assert "A is alice's imported codings" in said and "--coder review:alice" in said
    assert "alice (imported codings, response level)" in result.stdout
    for prefix, described in (("review:", "alice (review decisions, quote level)"),
                              ("reviewer:", "alice (review decisions, quote level)"),
                              ("import:", "alice (imported codings, response level)")):
        chosen = runner.invoke(app, [*args[:2], prefix + "alice", *args[3:], "--json"], catch_exceptions=False)
        assert chosen.exit_code == 0, chosen.output
        data = json.loads(chosen.stdout)
        assert data["description_a"] == described and data["notes"] == []
        assert "is both" not in chosen.stderr
    ambiguous = json.loads(runner.invoke(app, [*args, "--json"], catch_exceptions=False).stdout)
    assert len(ambiguous["notes"]) == 1 and "import:alice" in ambiguous["notes"][0]


def test_agree_json_has_every_number_and_interval(project: Project):
    args = ["agree", "--coder", "alice", "--coder", "rules", "-p", str(project.path), "--json",
            "--bootstrap", "200", "--seed", "3"]
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["coder_a"] == "alice" and data["level"] == "response"
    assert data["units_compared"] == 5 and data["uncoded_excluded"] == 1 and data["resamples"] == 200
    workload = data["codes"][0]
    assert workload["code"] == "workload" and workload["counts"] == {
        "both": 2, "a_only": 0, "b_only": 1, "neither": 2, "a": 2, "b": 3}
    for stat in ("percent_agreement", "kappa", "alpha", "precision", "recall", "f1"):
        assert set(workload[stat]) == {"value", "low", "high", "undefined_resamples", "note"}
    assert workload["kappa"]["low"] <= workload["kappa"]["value"] <= workload["kappa"]["high"]
    assert data["codes"][2]["precision"]["value"] is None and data["codes"][2]["precision"]["note"]
    again = runner.invoke(app, args, catch_exceptions=False)
    assert again.stdout == result.stdout

    kept = json.loads(runner.invoke(app, [*args, "--include-uncoded"]).stdout)
    assert kept["units_compared"] == 6 and kept["codes"][0]["counts"]["neither"] == 3


def test_agree_prints_a_table_and_the_uncoded_line(project: Project):
    result = runner.invoke(app, ["agree", "--coder", "alice", "--coder", "rules", "-p", str(project.path)])
    assert result.exit_code == 0, result.output
    assert "workload" in result.stdout and "κ" in result.stdout
    assert "5 responses compared; 1 response that neither coder applied any code to was excluded" in result.stdout
    assert "pay: B never applied this code, so precision is undefined." in result.stdout
    assert "rules (machine suggestions, quote level, rolled up to responses)" in result.stdout


def test_the_table_fits_a_100_column_terminal():
    a, b = _random_pair(20_000, 12, seed=4)
    ids = ["leadership_communication", "professional_identity", *[f"code_{i}" for i in range(10)]]
    per_code, overall = agreement_statistics(a, b, ids, resamples=50)
    report = AgreementReport(
        coder_a="a", coder_b="b", description_a="a", description_b="b", level="quote", units_compared=20_000,
        uncoded_excluded=0, include_uncoded=False, only_a=0, only_b=0, resamples=50, seed=0,
        codes=per_code, overall=overall,
    )
    console = Console(width=100, record=True)
    console.print(agreement_table(report))
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 100
    row = next(line for line in lines if line.strip().startswith("code_0"))
    kappa = per_code[2].kappa
    shown = f"{kappa.value:.2f} [{kappa.low:.2f},{kappa.high:.2f}]".replace("0.", ".")
    assert shown in row  # intervals are not cut


def test_agree_usage_and_user_errors(project: Project):
    one = runner.invoke(app, ["agree", "--coder", "alice", "-p", str(project.path)])
    assert one.exit_code == 2
    unknown = runner.invoke(app, ["agree", "--coder", "alice", "--coder", "bob", "-p", str(project.path)])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    assert "bob" in unknown.output and "import-codings" in unknown.output
