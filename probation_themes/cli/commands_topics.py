"""``topics``: fit a seeded topic model, compare numbers of topics, promote a topic to a code."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, percent, print_json, user_errors
from probation_themes.cli.hints import command
from probation_themes.cli.main import _load_codebook_or_project, app
from probation_themes.codebook import Codebook
from probation_themes.errors import CodebookError, CoderError
from probation_themes.store import Project
from probation_themes.workflows.topics import TopicsReport, fit_topics, promote_topic, search_topics


class Engine(str, Enum):
    lda = "lda"
    nmf = "nmf"


topics_app = typer.Typer(
    help=(
        "Find topics in the quotes: one seeded topic per code with seed words (its `seeds`, or its "
        "single-word rules) plus --k free topics for themes the codebook does not name. Shows each "
        "topic's top terms, label, prevalence, coherence and representative quotes. Subcommands "
        "compare numbers of topics (search) and turn a free topic into a new code (promote)."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(topics_app, name="topics")

CodebookOption = Annotated[
    Optional[Path],
    typer.Option("--codebook", "-c", help="Codebook whose seed words start the seeded topics (default: the one last used)."),
]
EngineOption = Annotated[
    Engine, typer.Option("--engine", help="lda: seeded LDA (gensim). nmf: NMF of TF-IDF weights (scikit-learn).")
]
SeededOption = Annotated[
    bool, typer.Option("--seeded/--no-seeded", help="Start one topic per code from its seed words, or only free topics.")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same topics.")]


def _k(value: str) -> str:
    if value != "auto" and not value.isdigit():
        raise typer.BadParameter(f"{value!r} is not a number of topics; give a whole number such as 5, or auto.")
    return value


def _k_range_check(value: str) -> str:
    _k_range(value)
    return value


def _k_range(value: str) -> list[int]:
    m = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", value)
    if m and m.group(2) is None:
        return [int(m.group(1))]
    if m and int(m.group(1)) <= int(m.group(2)):
        lo, hi = int(m.group(1)), int(m.group(2))
        step = max(1, (hi - lo) // 5)  # about six fits: each is a full model
        return sorted({*range(lo, hi + 1, step), hi})
    parts = [p.strip() for p in value.split(",")]
    if all(p.isdigit() for p in parts):
        return sorted({int(p) for p in parts})
    raise typer.BadParameter(f"{value!r} is not a range of topic numbers; write for example 5..25 or 4,8,12.")


def _codebook(path: Path | None, proj: Project) -> Codebook:
    if path is None and proj.latest_codebook() is None:
        raise CodebookError(
            "Seeded topics need a codebook, and this project has not used one yet. Pass --codebook FILE, "
            "or --no-seeded --codebook FILE for free topics only. To start from the bundled probation "
            "codebook, write a copy with `probation-themes codebook init -o codebook.yaml` and run "
            "`probation-themes topics --codebook codebook.yaml`."
        )
    return _load_codebook_or_project(path, proj)


def render_topics(report: TopicsReport) -> None:
    """Print the topics as a table, then each topic's representative quotes, then any warning."""
    if report.search:
        render_search(report.search, title="--k auto tried")
        out.print(f"Chose k={report.parameters['k']} (best mean c_v coherence).")
    if report.project_quotes > report.quotes:
        what = f"a random sample of {report.quotes:,} of the project's {report.project_quotes:,} quotes"
    else:
        what = f"{report.quotes:,} quotes"
    table = Table(
        title=f"Topics of {what} ({report.responses:,} respondents) with {report.coder}, "
        f"seed {report.parameters['random_state']} (run {report.run_id})",
        title_justify="left",
    )
    for name, justify in (("#", "right"), ("code / label", "left"), ("top terms", "left"),
                          ("prevalence", "right"), ("c_v", "right"), ("u_mass", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in report.topics:
        head = f"{t.code}\n[dim]{t.label}[/]" if t.code else f"[bold]free[/]: {t.label}"
        table.add_row(str(t.topic_id), head, ", ".join(t.terms), percent(t.prevalence), f"{t.c_v:.2f}", f"{t.u_mass:.2f}")
    out.print(table)
    out.print(
        f"Vocabulary {report.vocabulary_size:,} terms; mean coherence c_v {report.c_v:.2f}, u_mass {report.u_mass:.2f}. "
        f"Prevalence: share of respondents with a quote the topic makes up at least "
        f"{report.parameters['threshold']:.0%} of."
    )
    if report.project_quotes > report.quotes:
        out.print(
            f"The model was fitted on the sample (topics, prevalence and quotes here describe it); then the "
            f"topics of all {report.project_quotes:,} quotes were inferred and kept for stats and the model."
        )
    for t in report.topics:
        out.print(f"\n[bold]Topic {t.topic_id}[/] ({t.code or 'free'}: {t.label})")
        for q in t.quotes:
            where = ", ".join(v for v in (q.region, q.org) if v)
            out.print(f"  “{q.text}”" + (f" ({where})" if where else "") + f" [dim]{q.share:.0%}[/]")
    missing = {t.code: t.missing_seeds for t in report.topics if t.missing_seeds}
    if missing:
        err.print(
            "[yellow]note:[/] seed words too rare in these quotes to model (fewer quotes than the "
            "vocabulary's minimum): " + "; ".join(f"{c}: {', '.join(m)}" for c, m in missing.items()) + "."
        )
    for warning in report.warnings:  # below the topics, where the reader ends up
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    free = [t.topic_id for t in report.topics if not t.code]
    if free:
        hint = command(f'topics promote {free[0]} --id new_code --label "New code"')
        if "--codebook" not in hint:  # promote adds the code to a YAML file, which must be named
            hint += " --codebook codebook.yaml"
        err.print(f"Turn a free topic into a code (choose its id and label) with: {escape(hint)}")


def render_search(rows: list[dict[str, float]], *, title: str = "Topics by number of free topics") -> None:
    """Print coherence and exclusivity for each number of free topics tried."""
    table = Table(title=title, title_justify="left")
    for name in ("k", "topics", "c_v", "u_mass", "exclusivity"):
        table.add_column(name, justify="right")
    for r in rows:
        table.add_row(str(r["k"]), str(r["topics"]), f"{r['c_v']:.3f}", f"{r['u_mass']:.3f}", f"{r['exclusivity']:.3f}")
    out.print(table)


@topics_app.callback()
@user_errors
def topics(
    ctx: typer.Context,
    k: Annotated[
        str,
        typer.Option("--k", callback=_k, help="Free topics besides the seeded ones: a number, or auto to pick by coherence."),
    ] = "5",
    seeded: SeededOption = True,
    engine: EngineOption = Engine.lda,
    seed: SeedOption = 0,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Fit a topic model on the project's quotes and show its topics; the topics are kept in the project."""
    if ctx.invoked_subcommand is not None:
        return
    chosen: int | str = k if k == "auto" else int(k)
    with Project.open(project, create=False) as proj:
        book = _codebook(codebook, proj)
        with err.status(f"Fitting {engine.value} topics…"):
            report = fit_topics(proj, book, k=chosen, seeded=seeded, engine=engine.value, seed=seed)
    if as_json:
        print_json(report.to_dict())
    else:
        render_topics(report)


@topics_app.command("search")
@user_errors
def topics_search(
    k: Annotated[
        str,
        typer.Option("--k", callback=_k_range_check, help="Numbers of free topics to try: a range such as 5..25, or a list 4,8,12."),
    ] = "2..12",
    seeded: SeededOption = True,
    engine: EngineOption = Engine.lda,
    seed: SeedOption = 0,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Fit the model for several numbers of free topics and report coherence and exclusivity of each.

    Good numbers give topics that are coherent (higher c_v, u_mass nearer 0) and
    exclusive (top terms belong to one topic). Nothing is stored: run
    `topics --k N` with the number you choose.
    """
    ks = _k_range(k)
    with Project.open(project, create=False) as proj:
        book = _codebook(codebook, proj)
        with err.status(f"Fitting {len(ks)} models…"):
            rows = search_topics(proj, book, ks, seeded=seeded, engine=engine.value, seed=seed)
    if as_json:
        print_json(rows)
    else:
        render_search(rows)


@topics_app.command("promote")
@user_errors
def topics_promote(
    topic: Annotated[int, typer.Argument(help="Number of a free topic of the last `topics` run.", show_default=False)],
    code_id: Annotated[str, typer.Option("--id", help="Id of the new code (snake_case, not used before).", show_default=False)],
    label: Annotated[str, typer.Option("--label", help="Label of the new code (its heading in reports).", show_default=False)],
    codebook: Annotated[
        Path, typer.Option("--codebook", "-c", help="YAML codebook file to add the code to.", show_default=False)
    ],
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Add a free topic to the codebook as a new code: its terms as seeds and suggested rules.

    The definition is a placeholder you must rewrite. The codebook's minor
    version goes up; its comments and order are kept.
    """
    if topic < 0:
        raise CoderError(f"Topic numbers start at 0; {topic} is not one.")
    with Project.open(project, create=False) as proj:
        report = promote_topic(proj, topic, code_id=code_id, label=label, codebook_path=codebook)
    if as_json:
        print_json(report.__dict__)
        return
    out.print(
        f"Added code {report.code_id!r} ({report.label}) to {report.path}, now version {report.version}: "
        f"seeds {', '.join(report.seeds)}; suggested rule terms {', '.join(report.any_terms)}."
    )
    err.print("  Write its definition (it is a placeholder now) and check its rules before coding with it.")
