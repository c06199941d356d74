"""``probation-themes evaluate``: learning curves of the model against a gold coding."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from probation_themes.cli.common import JsonOption, err, out, print_json, user_errors
from probation_themes.cli.main import app
from probation_themes.codebook import load_codebook
from probation_themes.coding.model import MIN_POSITIVES
from probation_themes.workflows.evaluate import Evaluation, Score, evaluate, read_gold


def _sizes(value: Optional[str]) -> Optional[list[int]]:
    if value is None:
        return None
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a comma-separated list of whole numbers, e.g. 50,100,200."
        ) from None
    if not sizes or min(sizes) < 1:
        raise typer.BadParameter("give one or more training sizes of 1 or more, e.g. 50,100,200.")
    return sizes


def _cell(score: Score | None) -> str:
    if score is None or score.mean is None:
        return "—"
    return f"{score.mean:.2f}±{score.sd:.2f}"


def render_evaluation(result: Evaluation) -> None:
    """Print the learning curve, the rules baseline and F1 per code."""
    curve = Table(
        title=f"F1 on held-out gold quotes, mean ± sd over {result.folds} folds ({result.examples:,} gold texts)",
        title_justify="left",
    )
    curve.add_column("training quotes", justify="right")
    for name in ("model micro", "model macro", "all micro", "all macro"):
        curve.add_column(name, justify="right")
    curve.add_column("codes trained", justify="right")
    if result.rules is not None:
        curve.add_row("rules only", _cell(result.rules.micro), _cell(result.rules.macro), "", "", "—")
    for point in result.points:
        trained = sum(1 for n in point.trained_folds.values() if n == result.folds)
        curve.add_row(
            f"{point.size:,}",
            _cell(point.model.micro),
            _cell(point.model.macro),
            _cell(point.all.micro if point.all else None),
            _cell(point.all.macro if point.all else None),
            f"{trained} of {len(result.codes)}",
        )
    out.print(curve)

    per_code = Table(title="F1 per code: rules, and the model alone by training quotes", title_justify="left")
    per_code.add_column("code")
    per_code.add_column("gold", justify="right")
    per_code.add_column("rules", justify="right")
    for point in result.points:
        per_code.add_column(f"{point.size:,}", justify="right")
    for code in result.codes:
        cells = [code, f"{result.positives[code]:,}", _cell(result.rules.per_code[code] if result.rules else None)]
        for point in result.points:
            n = point.trained_folds[code]
            cell = _cell(point.model.per_code[code]) if n else "not trained"
            cells.append(cell if n in (0, result.folds) else f"{cell} ({n}/{result.folds})")
        per_code.add_row(*cells)
    out.print(per_code)
    out.print(
        "model: codes the model could not train get no suggestions. all: rules stand in for "
        f"them, as in `code --method all`. A code is trained once {result.min_positives} training "
        f"quotes have it and {result.min_positives} do not; (k/{result.folds}) marks a code trained "
        "in only k folds."
    )
    features = "none (--no-topics)" if result.topic_features == "off" else result.topic_features
    out.print(f"Topic features of the model: {features}.")
    if result.dropped_sizes:
        err.print(
            "[yellow]warning:[/] sizes larger than the training folds were left out: "
            + ", ".join(f"{s:,}" for s in result.dropped_sizes)
            + "."
        )
    if result.missing_codes:
        err.print(
            "[yellow]note:[/] the gold file has no column for these codes, so they were not evaluated: "
            + ", ".join(result.missing_codes)
            + "."
        )


@app.command("evaluate")
@user_errors
def evaluate_command(
    gold: Annotated[
        Path,
        typer.Option(
            "--gold",
            help="Gold coding, CSV or TSV: a text column and either a 'codes' column (code ids joined "
            "by ' | ') or one 0/1 column per code id.",
            show_default=False,
        ),
    ],
    codebook: Annotated[Path, typer.Option("--codebook", "-c", help="Codebook YAML or CSV file.", show_default=False)],
    folds: Annotated[int, typer.Option("--folds", min=2, help="Number of cross-validation folds.")] = 5,
    sizes: Annotated[
        Optional[str],
        typer.Option(
            "--sizes",
            callback=_sizes,
            help="Training sizes, comma-separated (default: 50,100,200,… up to every training quote).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the folds, training order and model.")] = 0,
    text_col: Annotated[str, typer.Option("--text-col", help="Column of the gold file holding the texts.")] = "text",
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
    as_json: JsonOption = False,
) -> None:
    """Measure how well the learned model codes as it gets more coded examples (a learning curve).

    Cross-validates the model against a gold coding at several training sizes and
    shows F1 next to the rules alone, so you can see when coding more by hand
    stops paying. No project is needed.
    """
    book = load_codebook(codebook)
    gold_set = read_gold(gold, book, text_col=text_col)
    with err.status("Cross-validating…"):
        result = evaluate(
            gold_set, book, folds=folds, sizes=sizes, seed=seed, min_positives=min_positives, topics=topics
        )
    if as_json:
        print_json(asdict(result))
    else:
        render_evaluation(result)
