"""Single-choice groups end to end: code (rules, all), import-codings, agree, codebook validate/show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probation_themes.store import Project
from probation_themes.workflows.single_choice import group_agreement
from probation_themes.codebook import SingleChoiceGroup
from cli_helpers import invoke, write_csv


FRAME = """\
name: frame
version: 1.0.0
codes:
  - id: tone
    label: Tone
    definition: How the answer feels.
    exclusive: true
  - id: praise
    label: Praise
    parent: tone
    definition: Good things said.
    rules: {any: [good, great]}
  - id: complaint
    label: Complaint
    parent: tone
    definition: Bad things said.
    rules: {any: [bad, awful, terrible]}
  - id: laptops
    label: Laptops
    definition: Computers.
    rules: {any: [laptop*]}
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    survey = write_csv(tmp_path / "survey.csv", [
        ["id", "q1"],
        ["r1", "The laptops are good but the training was bad, awful and terrible."],
        ["r2", "Great team, good managers."],
        ["r3", "A bad move, and the laptop is great."],
        ["r4", "Nothing to add about it."],
    ])
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--id-col", "id", "--text-col", "q1")
    assert result.exit_code == 0, result.output
    book = tmp_path / "frame.yaml"
    book.write_text(FRAME, encoding="utf-8")
    return project, book


@pytest.mark.parametrize("method", ["rules", "all"])
def test_code_keeps_one_code_of_a_group_and_names_the_losers(setup, method):
    project, book = setup
    result = invoke("code", "-c", book, "-p", project, "--method", method, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "Single choice" in result.output
    with Project.open(project, create=False) as proj:
        codings = proj.codings("all", method=method)
    by_quote: dict[str, list] = {}
    for c in codings:
        by_quote.setdefault(c.quote_id.split(":")[0], []).append(c)
    for quote, found in by_quote.items():
        assert len([c for c in found if c.code in ("praise", "complaint")]) <= 1, quote
    r1 = {c.code: c for c in by_quote["r1"]}
    assert "laptops" in r1 and "complaint" in r1 and "praise" not in r1
    note = [e for e in r1["complaint"].evidence if e.kind == "single_choice"]
    assert len(note) == 1 and note[0].term == "children of tone" and note[0].text.startswith("chosen over: praise (")
    assert {c.code for c in by_quote["r2"]} == {"praise"}  # nothing to choose between: no note
    assert not [e for e in by_quote["r2"][0].evidence if e.kind == "single_choice"]


def test_exports_and_review_render_the_choice(setup, tmp_path):
    project, book = setup
    assert invoke("code", "-c", book, "-p", project, "--jobs", "1").exit_code == 0
    from probation_themes.export.csv_tables import format_evidence

    with Project.open(project, create=False) as proj:
        kept = next(c for c in proj.codings("all") if c.code == "complaint" and c.quote_id.startswith("r1"))
    assert "single choice: children of tone, chosen over: praise (" in format_evidence(kept.evidence)


def test_import_codings_refuses_two_codes_of_a_group_and_stores_nothing(setup, tmp_path):
    project, book = setup
    codings = write_csv(tmp_path / "ann.csv", [
        ["response_id", "code"],
        ["r1", "praise"], ["r1", "complaint"], ["r2", "praise"], ["r3", "complaint"], ["r3", "praise"],
        ["r3", "laptops"],
    ])
    result = invoke("import-codings", codings, "--coder", "ann", "--codebook", book, "-p", project)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "nothing was stored" in message and "Traceback" not in result.output
    assert "r1: praise, complaint" in message and "r3: " in message and "children of tone" in message
    with Project.open(project, create=False) as proj:
        assert proj.coder_codings("ann") is None


def test_agree_gives_single_label_figures_per_group(setup, tmp_path):
    project, book = setup
    ann = write_csv(tmp_path / "ann.csv", [
        ["response_id", "code"], ["r1", "complaint"], ["r2", "praise"], ["r3", "praise"], ["r4", ""]])
    bob = write_csv(tmp_path / "bob.csv", [
        ["response_id", "code"], ["r1", "complaint"], ["r2", "praise"], ["r3", "complaint"], ["r4", ""]])
    for name, path in (("ann", ann), ("bob", bob)):
        result = invoke("import-codings", path, "--coder", name, "--codebook", book, "-p", project)
        assert result.exit_code == 0, result.output
    args = ["agree", "--coder", "ann", "--coder", "bob", "-p", project, "-c", book, "--bootstrap", "0"]
    data = json.loads(invoke(*args, "--json").stdout)
    (group,) = data["single_choice"]
    # r4, which neither coded, is left out as in the per-code figures.
    assert group["group"] == "children of tone" and group["n"] == 3
    # Labels ann: complaint, praise, praise; bob: complaint, praise, complaint.
    assert group["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    # F1 of complaint (P 1/2, R 1) and of praise (P 1, R 1/2) are both 2/3.
    assert group["macro_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # Observed 2/3, expected by chance 4/9: kappa (2/3 - 4/9) / (5/9) = 0.4.
    assert group["kappa"] == pytest.approx(0.4, abs=1e-4)
    table = invoke(*args)
    assert table.exit_code == 0 and "Single-choice groups" in table.output and "children of tone" in table.output


def test_group_agreement_counts_units_given_two_codes():
    group = SingleChoiceGroup("g", ("a", "b"), False)
    (result,) = group_agreement(["u1", "u2", "u3"], [("u1", "a"), ("u1", "b"), ("u2", "b")],
                                [("u1", "a"), ("u2", "a")], [group])
    # u1 counts as a (its first code in codebook order) for A, and is counted among A's multiples.
    assert (result.accuracy, result.multiple_a, result.multiple_b) == (pytest.approx(2 / 3, abs=1e-4), 1, 0)
    (empty,) = group_agreement([], [], [], [group])
    assert empty.accuracy is None and empty.n == 0


def test_codebook_validate_and_show(tmp_path):
    good = tmp_path / "frame.yaml"
    good.write_text(FRAME, encoding="utf-8")
    shown = invoke("codebook", "show", good)
    assert shown.exit_code == 0 and "children of tone" in shown.output and "at most one" in shown.output
    data = json.loads(invoke("codebook", "show", good, "--json").stdout)
    assert data["single_choice_groups"] == [
        {"name": "children of tone", "codes": ["praise", "complaint"], "rule": "at most one"}]
    bad = tmp_path / "bad.yaml"
    bad.write_text(FRAME.replace("codes:\n", "exclusive_groups:\n  - codes: [laptops, printers]\n"
                                 "  - parent: nothing\ncodes:\n", 1), encoding="utf-8")
    result = invoke("codebook", "validate", bad)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "'printers' is not the id of a code" in message and "'nothing' is not the id of a code" in message
    assert "exclusive_groups" in message and "Traceback" not in result.output


def test_the_review_screen_says_which_codes_lost(tmp_path):
    import io

    from rich.console import Console

    from probation_themes.cli.commands_review import Keys
    from probation_themes.cli.review_screen import code_colours, render
    from probation_themes.codebook import codebook_from_yaml
    from probation_themes.ingest import IngestOptions
    from probation_themes.review import ReviewSession
    from probation_themes.workflows.code import code_project
    from probation_themes.workflows.ingest import ingest_files

    survey = write_csv(tmp_path / "one.csv", [["id", "answer"], ["1", "Good people, but bad, awful systems."]])
    book = codebook_from_yaml(FRAME)
    with Project.open(tmp_path / "p.db") as proj:
        ingest_files(proj, [survey], IngestOptions(text_cols=["answer"], id_col="id"))
        report = code_project(proj, book, n_jobs=1)
        assert report.single_choice_removed == {"children of tone": 1}
        s = ReviewSession(proj, coder="ann", codes=list(book.codes), scope="all")
        console = Console(file=io.StringIO(), width=160, height=30, color_system=None)
        console.print(render(s.current, s.progress, Keys(s).state, coder=s.coder, colours=code_colours(s.codes),
                             console=console))
        screen = console.file.getvalue()
    assert "single choice: children of tone — Complaint chosen over: praise (" in screen
