"""``agree``: how far two coders (people or the machine's methods) agree, per code."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, print_json, user_errors
from probation_themes.cli.main import app
from probation_themes.cli.terminal import visible
from probation_themes.codebook import load_codebook
from probation_themes.store import Project
from probation_themes.workflows.agreement import AgreementReport, CodeAgreement, Estimate, compare_coders

_STATISTICS = ("percent_agreement", "kappa", "alpha", "precision", "recall", "f1")


class Level(str, Enum):
    response = "response"
    quote = "quote"


def _number(value: float | None) -> str:
    # No leading zero for statistics that cannot exceed 1 (the APA convention):
    # it keeps κ and α with their intervals inside a 100-column terminal.
    if value is None:
        return "–"
    text = f"{value:.2f}"
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


def _with_interval(estimate: Estimate) -> str:
    if estimate.value is None:
        return "–"
    if estimate.low is None or estimate.high is None:
        return _number(estimate.value)
    return f"{_number(estimate.value)} [{_number(estimate.low)},{_number(estimate.high)}]"


def _percent(estimate: Estimate) -> str:
    return "–" if estimate.value is None else f"{estimate.value:.1f}"


def _count(n: int, unit: str) -> str:
    return f"{n:,} {unit}" + ("" if n == 1 else "s")


def _row(result: CodeAgreement) -> list[str]:
    c = result.counts
    return [
        f"{result.n:,}", f"{c.a:,}", f"{c.b:,}", f"{c.both:,}", _percent(result.percent_agreement),
        _with_interval(result.kappa), _with_interval(result.alpha),
        _number(result.precision.value), _number(result.recall.value), _number(result.f1.value),
    ]


def agreement_table(report: AgreementReport) -> Table:
    """The per-code table: counts, % agreement, κ and α with 95% intervals, P/R/F1 of B against A.

    Narrow enough for a 100-column terminal: long code ids are cut with an ellipsis,
    and statistics bounded by 1 are written without a leading zero (.85).
    """
    table = Table(
        title=f"Agreement of B with A, per code ({report.level} level)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        pad_edge=False,
        caption=(
            "n units compared; A, B: units each coder gave the code; both: units both gave it. "
            "[95% bootstrap interval]; P, R, F1: B scored against A."
            if report.resamples else "n units compared; A, B: units each coder gave the code; both: units "
            "both gave it. P, R, F1: B scored against A."
        ),
        caption_justify="left",
    )
    table.add_column("code", no_wrap=True, max_width=16, overflow="ellipsis")
    for header in ("n", "A", "B", "both", "%agr"):
        table.add_column(header, justify="right", no_wrap=True)
    for header in ("κ", "α"):
        table.add_column(header, justify="right", no_wrap=True)
    for header in ("P", "R", "F1"):
        table.add_column(header, justify="right", no_wrap=True)
    for result in report.codes:
        table.add_row(result.code, *_row(result))
    table.add_section()
    table.add_row("all (pooled)", *_row(report.overall), style="bold")
    return table


def single_choice_table(report: AgreementReport) -> Table:
    """Single-label figures of each single-choice group: one label per unit, the code given or none."""
    table = Table(
        title="Single-choice groups: one label per unit (the group's code given, or none)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        pad_edge=False,
        caption="accuracy: units given the same label; macro-F1: mean over labels of B's F1 against A; "
        "κ: Cohen's kappa of the labels; two+: units A/B gave two or more of the group's codes (counted as the first).",
        caption_justify="left",
    )
    table.add_column("group", no_wrap=True, max_width=24, overflow="ellipsis")
    for header in ("rule", "n", "accuracy", "macro-F1", "κ", "two+ A/B"):
        table.add_column(header, justify="left" if header == "rule" else "right", no_wrap=True)

    def cell(value: float | None) -> str:
        return _number(value)

    for g in report.single_choice:
        table.add_row(visible(g.group), "exactly one" if g.exactly_one else "at most one", f"{g.n:,}",
                      cell(g.accuracy), cell(g.macro_f1), cell(g.kappa), f"{g.multiple_a:,}/{g.multiple_b:,}")
    return table


def _undefined_notes(report: AgreementReport) -> list[str]:
    lines = []
    for result in [*report.codes, report.overall]:
        reasons = [getattr(result, stat).note for stat in _STATISTICS if getattr(result, stat).value is None]
        if reasons:
            lines.append(f"  {result.code}: " + "; ".join(dict.fromkeys(r for r in reasons if r)) + ".")
    return lines


def render_agreement(report: AgreementReport) -> None:
    """Print who was compared, the per-code table, what was excluded and why some cells are empty."""
    out.print(f"A (reference): {report.description_a}")
    out.print(f"B (scored):    {report.description_b}")
    for note in report.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    out.print(agreement_table(report))
    if report.single_choice:
        out.print(single_choice_table(report))
    unit = report.level
    compared = _count(report.units_compared, unit)
    if report.include_uncoded:
        out.print(
            f"{compared} compared, including any that neither coder applied a code to "
            "(--include-uncoded): they count as agreement on every code."
        )
    else:
        excluded = report.uncoded_excluded
        out.print(
            f"{compared} compared; {_count(excluded, unit)} that neither coder applied any code to "
            f"{'was' if excluded == 1 else 'were'} excluded, so uncoded text does not inflate agreement "
            "(--include-uncoded keeps them)."
        )
    if report.non_answers_excluded:
        out.print(
            f"{_count(report.non_answers_excluded, unit)} that both coders covered "
            f"{'is a non-answer' if report.non_answers_excluded == 1 else 'are non-answers'} (such as "
            "'Nothing.' or 'n/a') and left out of the comparison; `probation-themes non-answers` lists them."
        )
    if report.only_a or report.only_b:
        out.print(
            f"Not compared: {_count(report.only_a, unit)} covered only by A and "
            f"{_count(report.only_b, unit)} only by B."
        )
    notes = _undefined_notes(report)
    if notes:
        out.print("Undefined statistics (shown as –):")
        for line in notes:
            out.print(line)


def _report_json(report: AgreementReport) -> dict:
    data = asdict(report)
    for result in [*data["codes"], data["overall"]]:
        counts = result["counts"]
        counts["a"] = counts["both"] + counts["a_only"]
        counts["b"] = counts["both"] + counts["b_only"]
    return data


@app.command()
def agree(
    coder: Annotated[
        list[str],
        typer.Option(
            "--coder",
            help=(
                "A coder, given twice: first the reference (A), then the one scored against it (B). "
                "An imported coder, a person who reviewed, or a method: rules, topics, model, all. "
                "When a name is used twice (say ann imported and ann who reviewed), the import is "
                "used and a note says so; choose with import:ann, review:ann or method:NAME."
            ),
            show_default=False,
        ),
    ],
    level: Annotated[
        Optional[Level],
        typer.Option(
            "--level",
            help="Compare responses or quotes (default: response if either coder coded responses, else quote).",
        ),
    ] = None,
    code: Annotated[Optional[list[str]], typer.Option("--code", help="Compare only this code; repeatable.")] = None,
    include_uncoded: Annotated[
        bool,
        typer.Option(
            "--include-uncoded",
            help=(
                "Also count units neither coder applied any code to "
                "(excluded by default: they would inflate agreement)."
            ),
        ),
    ] = False,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples for 95% intervals; 0 for none.")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap (same seed, same intervals).")] = 0,
    codebook: Annotated[
        Optional[Path],
        typer.Option(
            "--codebook", "-c", help="Codebook for the codes and their order (default: the one last used to code)."
        ),
    ] = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Measure agreement of coder B with coder A, per code and pooled over all codes.

    Reports counts, percentage agreement, Cohen's kappa and Krippendorff's alpha (nominal) with
    bootstrap 95% intervals, and precision, recall and F1 of B against A. Only units both coders
    covered are compared. Units that neither coder applied any code to are excluded by default,
    because counting uncoded text as agreement inflates every statistic; --include-uncoded keeps them.
    Quote-level codings roll up to responses (a response has a code if any of its quotes has it).
    """
    if len(coder) != 2:
        # Bad usage (exit 2), raised before the user-error handler, which would make it exit 1.
        raise typer.BadParameter(
            f"give exactly two coders (--coder A --coder B), not {len(coder)}.", param_hint="--coder"
        )
    _agree(coder[0], coder[1], level.value if level else None, code or [], include_uncoded,
           bootstrap, seed, codebook, project, as_json)


@user_errors
def _agree(
    coder_a: str, coder_b: str, level: str | None, codes: list[str], include_uncoded: bool,
    bootstrap: int, seed: int, codebook: Path | None, project: Path, as_json: bool,
) -> None:
    book = load_codebook(codebook) if codebook is not None else None
    with Project.open(project, create=False) as proj:
        with err.status("Comparing coders…"):
            report = compare_coders(
                proj, coder_a, coder_b, level=level, codes=codes, codebook=book,
                include_uncoded=include_uncoded, resamples=bootstrap, seed=seed,
            )
    if as_json:
        print_json(_report_json(report))
    else:
        render_agreement(report)
