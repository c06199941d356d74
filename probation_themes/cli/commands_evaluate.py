"""``probation-themes evaluate``: the model against the rules and a plain baseline on a gold coding."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from probation_themes.cli.common import DecisionOption, JsonOption, err, out, print_json, user_errors
from probation_themes.cli.main import app
from probation_themes.codebook import load_codebook
from probation_themes.coding.model import MIN_POSITIVES
from probation_themes.workflows.evaluate import (
    Evaluation,
    Metrics,
    Score,
    evaluate,
    model_accepts,
    read_gold,
    read_ids,
    read_texts_and_codes,
    split_mask,
)

#: The codebook a gold folder may hold, used when --codebook is not given.
FOLDER_CODEBOOK = "codebook.yaml"

_SIZE = re.compile(r"\d+(\.\d+)?%|\d+")


def _sizes(value: Optional[str]) -> Optional[list[int | str]]:
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts or not all(_SIZE.fullmatch(p) for p in parts):
        raise typer.BadParameter(
            f"{value!r} is not a comma-separated list of training sizes: whole numbers of quotes "
            "(50,100,200) or shares of the training quotes (2%,5%,10%,25%)."
        )
    sizes: list[int | str] = [p if p.endswith("%") else int(p) for p in parts]
    for size in sizes:
        if isinstance(size, int) and size < 1:
            raise typer.BadParameter("give training sizes of 1 or more, e.g. 50,100,200.")
        if isinstance(size, str) and not 0 < float(size[:-1]) <= 100:
            raise typer.BadParameter(f"the share {size} must be above 0% and at most 100%.")
    return sizes


def _pattern(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    try:
        re.compile(value)
    except re.error as exc:
        raise typer.BadParameter(f"{value!r} is not a regular expression ({exc}); e.g. '^te' for ids starting te.") from None
    return value


def _usage(message: str) -> None:
    err.print(f"[bold red]Error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(2)


def _cell(score: Score | None) -> str:
    if score is None or score.mean is None:
        return "—"
    return f"{score.mean:.2f}" if score.folds == 1 else f"{score.mean:.2f}±{score.sd:.2f}"


def _rows(result: Evaluation) -> list[tuple[str, str, Metrics | None]]:
    """(size label, method, metrics) of every row of the curve."""
    rows: list[tuple[str, str, Metrics | None]] = []
    if result.rules is not None:
        rows.append(("—", "rules only", result.rules))
    for point in result.points:
        size = f"{point.size:,}" + (f" ({point.label})" if point.label.endswith("%") else "")
        rows.append((size, "model", point.model))
        if point.model_without_aids is not None:
            rows.append((size, "model, aids off", point.model_without_aids))
        if point.all is not None:
            rows.append((size, "model + rules", point.all))
        if point.baseline is not None:
            rows.append((size, "TF-IDF + LR", point.baseline))
    return rows


def render_evaluation(result: Evaluation) -> None:
    """Print the learning curve, F1 per code, single-choice groups and the notes."""
    if result.mode == "split":
        where = f"{result.test_examples:,} test texts, training on up to {result.train_pool:,}"
    else:
        where = f"mean ± sd over {result.folds} folds ({result.examples:,} gold texts)"
    curve = Table(title=f"F1 on held-out gold quotes, {where}", title_justify="left")
    curve.add_column("training quotes", justify="right")
    curve.add_column("method")
    for name in ("micro F1", "macro F1", "sample F1"):
        curve.add_column(name, justify="right")
    curve.add_column("codes trained", justify="right")
    trained = {f"{p.size:,}": sum(1 for n in p.trained_folds.values() if n == result.folds) for p in result.points}
    for size, method, m in _rows(result):
        count = size.split(" ")[0]
        codes = f"{trained[count]} of {len(result.codes)}" if method == "model" and count in trained else ""
        curve.add_row(size, method, _cell(m.micro if m else None), _cell(m.macro if m else None),
                      _cell(m.sample if m else None), codes)
    out.print(curve)
    _render_gains(result)
    _render_per_code(result)
    _render_groups(result)
    out.print(
        "model: codes the model could not train get no suggestions. model + rules: rules stand in "
        "for them, as in `code --method all`. TF-IDF + LR: a plain TF-IDF + one-vs-rest logistic "
        "regression trained on the same quotes. Sample F1: mean over answers of the F1 between "
        f"predicted and gold codes. A code is trained once {result.min_positives} training quotes "
        f"have it and {result.min_positives} do not."
    )
    features = "none (--no-topics)" if result.topic_features == "off" else result.topic_features
    out.print(f"Topic features of the model: {features}.")
    if result.decision:
        how = {"set": "each text keeps the likeliest set of the codes reaching their thresholds",
               "threshold": "every code reaching its threshold"}.get(result.decision, result.decision)
        out.print(f"The model's decision: {result.decision} ({how}).")
    if result.aids:
        out.print(f"Few-label aids of the model ({result.aids}): on in 'model', off in 'model, aids off'.")
    if result.dropped_sizes:
        err.print(
            "[yellow]warning:[/] sizes larger than the training quotes were left out: "
            + ", ".join(f"{s:,}" if isinstance(s, int) else s for s in result.dropped_sizes)
            + "."
        )
    if result.missing_codes:
        err.print(
            "[yellow]note:[/] the gold file has no column for these codes, so they were not evaluated: "
            + ", ".join(result.missing_codes)
            + "."
        )
    if result.uncoded:
        err.print(f"[yellow]note:[/] {result.uncoded:,} texts are named in no codes file and were left out.")


def _render_gains(result: Evaluation) -> None:
    """Sample F1 gained over the plain baseline (and with the aids) at each size."""
    points = [p for p in result.points if p.baseline is not None or p.model_without_aids is not None]
    if not points:
        return
    table = Table(title="Gain of the model in sample F1", title_justify="left")
    table.add_column("training quotes", justify="right")
    table.add_column("over TF-IDF + LR", justify="right")
    if any(p.model_without_aids for p in points):
        table.add_column("aids on vs off", justify="right")

    def gain(a: Metrics | None, b: Metrics | None) -> str:
        if a is None or b is None or a.sample is None or b.sample is None or None in (a.sample.mean, b.sample.mean):
            return "—"
        return f"{a.sample.mean - b.sample.mean:+.2f}"

    for p in points:
        cells = [f"{p.size:,}" + (f" ({p.label})" if p.label.endswith("%") else ""), gain(p.model, p.baseline)]
        if any(q.model_without_aids for q in points):
            cells.append(gain(p.model, p.model_without_aids))
        table.add_row(*cells)
    out.print(table)


def _render_per_code(result: Evaluation) -> None:
    last = result.points[-1]
    table = Table(title=f"Per code after {last.size:,} training quotes", title_justify="left")
    table.add_column("code")
    table.add_column("gold", justify="right")
    if result.rules is not None:
        table.add_column("rules F1", justify="right")
    for name in ("model P", "model R", "model F1"):
        table.add_column(name, justify="right")
    if last.baseline is not None:
        table.add_column("TF-IDF + LR F1", justify="right")
    decided = bool(result.decisions)
    if decided:
        table.add_column("threshold", justify="right")
        table.add_column("decision")
    for p in result.points[:-1]:
        table.add_column(f"model F1 at {p.size:,}", justify="right")
    for code in result.codes:
        n = last.trained_folds[code]
        cells = [code, f"{result.positives[code]:,}"]
        if result.rules is not None:
            cells.append(_cell(result.rules.per_code[code]))
        if n:
            cells += [_cell(last.model.precision.get(code)), _cell(last.model.recall.get(code)),
                      _cell(last.model.per_code[code])]
        else:
            cells += ["", "", "not trained"]
        if last.baseline is not None:
            cells.append(_cell(last.baseline.per_code[code]))
        if decided:
            d = result.decisions.get(code)
            cells.append("—" if d is None or d.threshold is None else f"{d.threshold:.2f}")
            cells.append("—" if d is None or d.decision is None else d.decision)
        for p in result.points[:-1]:
            k = p.trained_folds[code]
            cell = _cell(p.model.per_code[code]) if k else "not trained"
            cells.append(cell if k in (0, result.folds) else f"{cell} ({k}/{result.folds})")
        table.add_row(*cells)
    out.print(table)


def _render_groups(result: Evaluation) -> None:
    if not result.groups:
        return
    table = Table(title="Single-choice groups: one label per answer, accuracy / macro-F1", title_justify="left")
    table.add_column("group")
    table.add_column("codes")
    last = result.points[-1]
    methods = [("rules", result.rules), (f"model at {last.size:,}", last.model), ("TF-IDF + LR", last.baseline)]
    methods = [(name, m) for name, m in methods if m is not None]
    for name, _ in methods:
        table.add_column(name, justify="right")
    for group, codes in result.groups.items():
        cells = [group, ", ".join(codes)]
        for _, m in methods:
            g = m.groups.get(group)
            cells.append("—" if g is None else f"{_cell(g.accuracy)} / {_cell(g.macro)}")
        table.add_row(*cells)
    out.print(table)


@app.command("evaluate")
@user_errors
def evaluate_command(
    gold: Annotated[
        Optional[Path],
        typer.Option(
            "--gold",
            help="Gold coding: a CSV or TSV with a text column and either a 'codes' column (code ids "
            "joined by ' | ') or one 0/1 column per code id (an 'id' column names the texts); or a "
            "folder holding texts.csv (id, text) and codes files (id and code, one row per code, or "
            "id and codes joined by '|').",
            show_default=False,
        ),
    ] = None,
    texts: Annotated[
        Optional[Path],
        typer.Option("--texts", help="Instead of --gold: a texts file with id and text columns.", show_default=False),
    ] = None,
    codes: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--codes",
            help="With --texts: a codes file, an id column (id or response_id) and a 'code' column (one "
            "row per text and code) or a 'codes'/'gold' column (joined by '|'); repeat for several.",
            show_default=False,
        ),
    ] = None,
    codebook: Annotated[
        Optional[Path],
        typer.Option(
            "--codebook", "-c", help="Codebook YAML or CSV file (default: codebook.yaml of a --gold folder).",
            show_default=False,
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Number of cross-validation folds (without a test split).")] = 5,
    test_ids: Annotated[
        Optional[Path],
        typer.Option(
            "--test-ids",
            help="Test on the texts whose ids this file lists (one a line, or a CSV with an id column) "
            "and train on the others, instead of cross-validating.",
            show_default=False,
        ),
    ] = None,
    test_pattern: Annotated[
        Optional[str],
        typer.Option(
            "--test-pattern",
            callback=_pattern,
            metavar="REGEX",
            help="Test on the texts whose ids match this regular expression (e.g. '^te') and train on the others.",
            show_default=False,
        ),
    ] = None,
    sizes: Annotated[
        Optional[str],
        typer.Option(
            "--sizes",
            callback=_sizes,
            help="Training sizes, comma-separated: numbers of quotes (50,100,200) or shares of the "
            "training quotes (2%,5%,10%,25%). Default: 50,100,200,… up to every training quote.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the folds, training order and models.")] = 0,
    text_col: Annotated[str, typer.Option("--text-col", help="Column of the gold or texts file holding the texts.")] = "text",
    min_positives: Annotated[
        int, typer.Option("--min-positives", min=2, help="Fewest quotes with (and without) a code to train it.")
    ] = MIN_POSITIVES,
    topics: Annotated[
        bool,
        typer.Option(
            "--topics/--no-topics",
            help="Give the model topic features from a seeded topic model of the gold texts, as "
            "`code --method model` does with a project's topics run.",
        ),
    ] = True,
    baseline: Annotated[
        bool,
        typer.Option("--baseline/--no-baseline", help="Also score a plain TF-IDF + one-vs-rest logistic regression."),
    ] = True,
    aids: Annotated[
        bool,
        typer.Option(
            "--aids/--no-aids",
            help="When the model has few-label aids (weak labels, uncoded texts), also score it with them off.",
        ),
    ] = True,
    representation: Annotated[
        Optional[str],
        typer.Option(
            "--representation",
            help="The model's text representation, where the installed model offers a choice.",
            show_default=False,
        ),
    ] = None,
    decision: DecisionOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure how well the learned model codes next to the rules and a plain classifier, as coded examples grow.

    Scores the model against a gold coding at several training sizes (a learning
    curve), by cross-validation or on a given test split, next to the codebook's
    rules alone and a plain TF-IDF + one-vs-rest logistic regression trained on
    the same quotes: micro, macro and sample-based F1, precision, recall and F1
    per code, and accuracy and macro-F1 of single-choice groups. No project is needed.
    """
    if (gold is None) == (texts is None):
        _usage("Give either --gold (a file or folder) or --texts with --codes.")
    if texts is not None and not codes:
        _usage("--texts needs one or more --codes files.")
    if codes and texts is None:
        _usage("--codes goes with --texts (with --gold, the codes are in the gold file).")
    if test_ids is not None and test_pattern is not None:
        _usage("Give --test-ids or --test-pattern, not both.")
    if representation is not None and not model_accepts("representation"):
        _usage("--representation: this version of the model has one text representation (TF-IDF words and n-grams).")
    if decision is not None and not model_accepts("decision"):
        _usage("--decision: this version of the model chooses each code at its threshold only.")
    if codebook is None:
        if gold is not None and gold.is_dir() and (gold / FOLDER_CODEBOOK).is_file():
            codebook = gold / FOLDER_CODEBOOK
        else:
            _usage(f"Give the codebook with --codebook (only a --gold folder holding {FOLDER_CODEBOOK} supplies one).")
    book = load_codebook(codebook)
    if gold is not None:
        gold_set = read_gold(gold, book, text_col=text_col)
    else:
        gold_set = read_texts_and_codes(texts, list(codes or []), book, text_col=text_col)
    mask = None
    if test_ids is not None:
        mask = split_mask(gold_set, ids=read_ids(test_ids), source=str(test_ids))
    elif test_pattern is not None:
        mask = split_mask(gold_set, pattern=test_pattern)
    with err.status("Evaluating…"):
        result = evaluate(
            gold_set, book, folds=folds, sizes=sizes, seed=seed, min_positives=min_positives, topics=topics,
            test=mask, baseline=baseline, aids=aids,
            model_options=_model_options(representation=representation, decision=decision and decision.value),
        )
    if as_json:
        print_json(asdict(result))
    else:
        render_evaluation(result)


def _model_options(**given: object) -> dict[str, object] | None:
    """The model options asked for on the command line (None when none was)."""
    return {k: v for k, v in given.items() if v is not None} or None
