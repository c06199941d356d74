"""The ``probation-themes`` command line: parses options, calls one library step, renders.

This package is the only importer of typer and the only place that prints or exits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from probation_themes import __version__
from probation_themes.cli.helpformat import ResearcherGroup
from probation_themes.cli.hints import command
from probation_themes.cli.common import (
    DEFAULT_PROJECT,
    DecisionOption,
    EngineName,
    EngineOption,
    SchedulerOption,
    engine_for,
    JsonOption,
    ProjectOption,
    err,
    out,
    percent,
    print_json,
    user_errors,
)
from probation_themes.cli.terminal import visible
from probation_themes.codebook import load_codebook
from probation_themes.coding.combine import ALL_TOPIC_THRESHOLD
from probation_themes.coding.model import MIN_POSITIVES
from probation_themes.coding.topics import THRESHOLD as TOPIC_THRESHOLD
from probation_themes.errors import CodebookError
from probation_themes.ingest import IngestOptions
from probation_themes.ingest.nonanswers import builtin_non_answers, read_non_answers
from probation_themes.ingest.redact import Redactor, read_names
from probation_themes.store import Project
from probation_themes.workflows.code import CodeReport, code_project
from probation_themes.workflows.ingest import IngestReport, ingest_files

app = typer.Typer(
    name="probation-themes",
    help=(
        "Code open-ended survey answers into themes you can defend: ingest answers, code them "
        "with a codebook's rules or a model trained on your own coding, measure agreement, and "
        "export themed quote tables, crosstabs and coding files."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=ResearcherGroup,  # plain placeholders, summaries and usage errors (cli/helpformat.py)
)


class Split(str, Enum):
    response = "response"
    paragraph = "paragraph"
    sentence = "sentence"
    quote = "quote"


class Method(str, Enum):
    """Coding methods of `code`."""

    rules = "rules"
    topics = "topics"
    model = "model"
    all = "all"


METHOD_HELP = (
    "Which coder writes suggestions. rules: the codebook's rules. topics: a seeded topic model "
    "(one topic per code with seed words; engine and settings of your last `topics` run) codes a "
    f"quote when its code's topic makes up at least {TOPIC_THRESHOLD:.0%} of it. model: a classifier "
    "learned from your review decisions (and from --train-coder's imported codings); confidence is a "
    "calibrated probability, each code's threshold is chosen by cross-validation, and a code needs "
    f"{MIN_POSITIVES} quotes coded with it and {MIN_POSITIVES} without it to be trained (one on nearly "
    "every coded quote is suggested everywhere). all: one suggestion per quote and code: where the "
    "model was trained for a code it decides (at its learned threshold; it already weighs "
    "whether the rules fired); elsewhere the rules decide where they fire, and a topic adds a code "
    f"only where it makes up at least {ALL_TOPIC_THRESHOLD:.0%} of the quote and one of the code's "
    "seed words occurs in it; evidence comes from the deciding coder."
)


def _version(value: bool) -> None:
    if value:
        out.print(f"probation-themes {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Code open-ended survey answers into themes you can defend."""


# -- ingest --------------------------------------------------------------------


def render_ingest(report: IngestReport, report_split: str = "response") -> None:
    """Print the reconciliation of an ingest: every row is a quote or a reject with a reason."""
    for f in report.files:
        if f.skipped_because:
            out.print(f"{f.path}: skipped — {f.skipped_because}.")
            continue
        table = Table(title=f"{f.path}", title_justify="left", show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        table.add_row("rows read", f"{f.rows_read:,}")
        table.add_row("rows that produced quotes", f"{f.responses:,}")
        if f.non_answer_rows:
            table.add_row("  of which only non-answers", f"{f.non_answer_rows:,}")
        table.add_row("quotes created", f"{f.quotes:,}")
        if report.non_answer_list is not None:
            table.add_row("  of which non-answers", f"{f.non_answers:,}")
        table.add_row("rows rejected", f"{f.rejected:,}")
        for reason, n in sorted(f.rejects_by_reason.items()):
            table.add_row(f"  {reason.replace('_', ' ')}", f"{n:,}")
        out.print(table)
        if f.rows_read == 0:
            err.print("  [yellow]note:[/] the file has a header but no data rows; nothing was added.")
        check = "✓" if f.balanced else "✗"
        only = f" ({f.non_answer_rows:,} of them only non-answers)" if f.non_answer_rows else ""
        out.print(f"  {check} {f.rows_read:,} rows read = {f.responses:,} with quotes{only} + {f.rejected:,} rejected")
        if f.encoding:
            out.print(f"  encoding: {f.encoding}" + (f"; mojibake repaired in {f.repaired:,} cells" if f.repaired else ""))
        if f.survey_export:
            out.print(f"  {f.survey_export}")
        for label, unknown in (("region", f.unknown_regions), ("organisation", f.unknown_orgs)):
            if unknown:
                values = ", ".join(f"{v!r} ×{n}" for v, n in sorted(unknown.items(), key=lambda kv: -kv[1])[:8])
                err.print(f"  [yellow]note:[/] {label} values kept as given (not in the alias table): {values}")
    if any(f.rejected for f in report.files):
        err.print(f"  See every rejected row with: {command('export rejects -o rejects.csv')}")
    flagged = sum(f.non_answers for f in report.files)
    if flagged and report.non_answer_list is not None:
        which = "the built-in list" if report.non_answer_list["list"] == "built-in" else report.non_answer_list["list"]
        err.print(
            f"  {flagged:,} {'quote is a non-answer' if flagged == 1 else 'quotes are non-answers'} (such as "
            f"'Nothing.', 'n/a' or 'No comment', by {which}): kept in the project, but not coded and left out "
            f"of every count. See them with: {command('non-answers')}"
        )
        err.print(f"  To code and count them as answers: {command('non-answers judge --keep-non-answers')}")
    noun = "quote" if report.project_quotes == 1 else "quotes"
    out.print(f"Project now holds {report.project_quotes:,} {noun} (run {report.run_id}).")
    if any(f.skipped_because for f in report.files):
        err.print("  To read a file again with other options, ingest it into a new project (--project other.db).")
    documents = [f for f in report.files if f.path.lower().endswith((".md", ".txt")) and f.quotes == 1]
    if documents and report_split == "response":
        err.print("  A whole document became one quote; use --split paragraph, sentence or quote to divide it.")


def _repeated(names: list[str]) -> str | None:
    """The first column named twice, if any (names that differ only in case are checked
    against the file's header once it is read: a file may have both 'Answer' and 'answer')."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


@app.command()
@user_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV/TSV, XLSX, TXT/MD or JSONL files.", show_default=False)],
    text_col: Annotated[
        Optional[list[str]],
        typer.Option("--text-col", help="Column holding answers; repeat for several questions."),
    ] = None,
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Respondent id column (default: file name + row).")] = None,
    region_col: Annotated[Optional[str], typer.Option("--region-col", help="Region column.")] = None,
    org_col: Annotated[Optional[str], typer.Option("--org-col", help="Legacy organisation column (CRC/NPS).")] = None,
    attr_col: Annotated[
        Optional[list[str]], typer.Option("--attr-col", help="Another attribute column to keep; repeatable.")
    ] = None,
    split: Annotated[Split, typer.Option("--split", help="One quote per response, paragraph, sentence, or quotation.")] = Split.response,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Override encoding detection, e.g. cp1252, utf-16.")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet name (default: the first sheet).")] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace e-mail addresses, phone numbers, postcodes, NI numbers, case references and names "
            "with placeholders before storing (see docs/confidentiality.md).",
        ),
    ] = False,
    names: Annotated[
        Optional[Path],
        typer.Option("--names", help="With --redact: a text file of extra names to redact, one per line.", show_default=False),
    ] = None,
    keep_originals: Annotated[
        bool,
        typer.Option("--keep-originals", help="With --redact: keep the replaced words in the project. Default: not kept."),
    ] = False,
    non_answers: Annotated[
        Optional[Path],
        typer.Option(
            "--non-answers",
            help="Your own list of non-answers, one phrase per line, used instead of the built-in one "
            "(write that out to edit with `probation-themes non-answers list -o FILE`).",
            show_default=False,
        ),
    ] = None,
    keep_non_answers: Annotated[
        bool,
        typer.Option(
            "--keep-non-answers",
            help="Code and count answers such as 'Nothing.', 'n/a' or 'No comment' like any other. By default "
            "they are flagged as non-answers: kept, but not coded and left out of every count.",
        ),
    ] = False,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Read survey answers or report text into the project, and account for every row.

    Answers that say nothing, such as 'Nothing.', 'n/a', 'No comment' or 'Not sure', are
    flagged as non-answers: they stay in the project and in the row count, but are not
    coded and count in no denominator (--keep-non-answers keeps them as answers).
    """
    if (names is not None or keep_originals) and not redact:
        err.print("[bold red]Error:[/] --names and --keep-originals only apply with --redact.")
        raise typer.Exit(2)
    repeated = _repeated(text_col or [])
    if repeated:
        err.print(
            f"[bold red]Error:[/] --text-col {escape(repr(repeated))} is given more than once, which would make every "
            "answer in that column two quotes. Give each answer column once.", markup=True, highlight=False,
        )
        raise typer.Exit(2)
    if non_answers is not None and keep_non_answers:
        err.print("[bold red]Error:[/] --non-answers gives a list of non-answers to flag, and --keep-non-answers "
                  "flags none: give one or the other.")
        raise typer.Exit(2)
    judge = None if keep_non_answers else (read_non_answers(non_answers) if non_answers else builtin_non_answers())
    options = IngestOptions(
        text_cols=text_col or [], id_col=id_col, region_col=region_col, org_col=org_col,
        attr_cols=attr_col or [], split=split.value, encoding=encoding, sheet=sheet,
    )
    redactor = Redactor(read_names(names) if names else (), keep_originals=keep_originals) if redact else None
    fresh = not project.exists()
    try:
        with engine_for(engine, scheduler) as runner, Project.open(project) as proj:
            with err.status("Reading…") as status:
                report = ingest_files(
                    proj, files, options, on_file=lambda name: status.update(f"Reading {name}…"), redactor=redactor,
                    engine=runner, non_answers=judge,
                )
    except BaseException:
        if fresh:  # a failed first ingest leaves no empty project behind
            for suffix in ("", "-wal", "-shm"):
                Path(f"{project}{suffix}").unlink(missing_ok=True)
        raise
    if as_json:
        print_json({"run_id": report.run_id, "project_quotes": report.project_quotes,
                    "files": [{**asdict(f), "rejected": f.rejected} for f in report.files],
                    "non_answer_list": report.non_answer_list,
                    **({"redacted": report.redacted} if report.redacted is not None else {})})
    else:
        render_ingest(report, split.value)
        if report.redacted is not None:
            from probation_themes.cli.commands_redact import render_redacted  # it registers on this app

            render_redacted(report.redacted, keep_originals, " before storing")


# -- code ----------------------------------------------------------------------


def _load_codebook_or_project(codebook: Path | None, proj: Project) -> "object":
    if codebook is not None:
        return load_codebook(codebook)
    stored = proj.latest_codebook()
    if stored is None:
        raise CodebookError(
            f"The project {proj.path} has not been coded yet, so there is nothing to report. Code it "
            "first with your codebook: `probation-themes code --codebook FILE`. To start from the "
            "bundled probation codebook, write a copy with `probation-themes codebook init -o codebook.yaml` "
            "and code with `probation-themes code --codebook codebook.yaml`."
        )
    return stored


def _stored_codebook(proj: Project):
    """The codebook the project was last coded with, for `code` without --codebook (and say so)."""
    stored = proj.latest_codebook()
    if stored is None:
        raise CodebookError(
            f"`code` needs a codebook, and the project {proj.path} has not been coded with one yet. Give "
            "yours with --codebook FILE (YAML, CSV or .qdc). To start from the bundled probation codebook, "
            "write a copy with `probation-themes codebook init -o codebook.yaml` and run "
            "`probation-themes code --codebook codebook.yaml`; `probation-themes codebook init --template "
            "-o codebook.yaml` writes a short commented template to fill in instead."
        )
    err.print(
        f"Codebook: {stored.name} {stored.version}, the one this project was last coded with "
        "(give --codebook FILE to code with an edited or another codebook)."
    )
    return stored


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def render_code(report: CodeReport, codebook) -> None:
    """Print what a coding run wrote, per code, with coverage by method and rule warnings."""
    if report.kept_from_run and not report.coded_quotes:
        out.print(
            f"Nothing to code: no quotes were ingested since run {report.kept_from_run}, which coded all "
            f"{report.quotes:,} with the same codebook, coder and training data; its suggestions are kept "
            "(--full codes every quote again)."
        )
        return
    new = "new " if report.kept_from_run else ""
    title = f"Coded {report.coded_quotes:,} {new}quotes with {report.coder} (run {report.run_id})"
    if report.engine != "local":
        title += f" on {report.engine}"
    table = Table(title=title, title_justify="left")
    table.add_column("code")
    table.add_column("label")
    table.add_column(f"{new}quotes", justify="right")
    rules_ran = report.method == "rules"
    show_negation = rules_ran and any(getattr(c, "negation", True) for c in codebook.codes)
    show_stance = rules_ran and any(getattr(c, "polarity", None) for c in codebook.codes)
    if show_negation:
        table.add_column("negation", justify="right")
    if show_stance:
        table.add_column("stance", justify="right")
    for code in codebook.codes:
        cells = [code.id, Text(visible(code.label)), f"{report.per_code.get(code.id, 0):,}"]
        if show_negation:
            cells.append(f"{report.negation_removed.get(code.id, 0):,}" if getattr(code, "negation", True) else "off")
        if show_stance:
            cells.append(f"{report.stance_removed.get(code.id, 0):,}" if getattr(code, "polarity", None) else "")
        table.add_row(*cells)
    out.print(table)
    if show_negation or show_stance:
        columns = " and ".join(n for n, shown in (("negation", show_negation), ("stance", show_stance)) if shown)
        out.print(f"{columns.capitalize()}: codings the rules would have made but for matches inside a negation "
                  "(no, not, never, n't …)" + (" or among strongly opposite words (codes with a polarity)" if show_stance
                                                 else "") + "; off: the code counts negated matches.")
    removed_n = sum(report.negation_removed.values())
    removed_s = sum(report.stance_removed.values())
    if removed_n or removed_s:
        matches = sum(report.negated_matches.values())
        parts = []
        if removed_n:
            parts.append(f"negation removed {_n(removed_n, 'coding')} ({_n(matches, 'negated match', 'negated matches')} "
                         "in all)")
        if removed_s:
            parts.append(f"stance removed {_n(removed_s, 'coding')}")
        out.print("Rules that did not count: " + "; ".join(parts) + ". `probation-themes review --status all` "
                  "shows the words under each quote; add the code there (+) if the rule was right after all.")
    single = getattr(report, "single_choice_removed", {})
    if single:
        said = "; ".join(f"{visible(name)}: {_n(n, 'suggestion')}" for name, n in single.items())
        out.print(f"Single choice: where a quote had two or more codes of one single-choice group, only the most "
                  f"confident was kept ({said} set aside; the kept code's evidence names the others).")
    if report.kept_from_run:
        kept = report.quotes - report.coded_quotes
        out.print(
            f"Only the {report.coded_quotes:,} quotes ingested since run {report.kept_from_run} were coded: its "
            f"suggestions for the {kept:,} quotes before them used the same codebook, coder and training data, "
            "so they are kept (--full codes every quote again)."
        )
    out.print(
        f"Coverage ({report.method}{', new quotes' if new else ''}): {report.responses_coded:,} of "
        f"{report.responses:,} respondents ({percent(report.coverage)}) have at least one code; "
        f"{report.codings:,} suggestions written."
    )
    if report.non_answers:
        out.print(
            f"{report.non_answers:,} {'quote is a non-answer' if report.non_answers == 1 else 'quotes are non-answers'} "
            "(such as 'Nothing.' or 'n/a'): not coded, and not among the respondents counted."
        )
    others = {m: share for m, share in report.coverage_by_method.items() if m != report.method}
    if others:
        out.print("Coverage of the other methods' suggestions in this project: "
                  + ", ".join(f"{m} {percent(share)}" for m, share in others.items()) + ".")
    if report.topics_skipped:
        err.print(f"[yellow]note:[/] topics were left out of this run: {report.topics_skipped}")
    if report.topics:
        t = report.topics
        err.print(f"Topics: {t['coder']} with {t['k']} free topics, seed {t['random_state']}, "
                  f"threshold {t['threshold']}, vocabulary {t['vocabulary_size']:,} terms.")
    if report.topics_warning:
        err.print(f"[yellow]warning:[/] {escape(report.topics_warning)}")
    if report.unmatched:
        per_code = Counter(code_id for code_id, _, _ in report.unmatched)
        shown = ", ".join(f"{code_id} {n}" for code_id, n in list(per_code.items())[:12])
        if len(per_code) > 12:
            shown += f" and {len(per_code) - 12:,} more codes"
        err.print(
            f"[yellow]warning:[/] {len(report.unmatched):,} rule terms matched nothing in these "
            f"{report.quotes:,} quotes (normal for a small survey; worth a look on a large one): "
            f"{shown}. List them with --json."
        )


def _check_precision(value: float | None) -> float | None:
    if value is not None and not 0 < value < 1:
        raise typer.BadParameter(f"{value} is not a precision strictly between 0 and 1; use e.g. 0.8.")
    return value


@app.command()
@user_errors
def code(
    codebook: Annotated[
        Optional[Path],
        typer.Option(
            "--codebook", "-c",
            help="Codebook file (YAML, CSV or REFI-QDA .qdc). Default: the codebook this project was last "
            "coded with. `probation-themes codebook init -o codebook.yaml` writes the bundled one to start from.",
            show_default=False,
        ),
    ] = None,
    method: Annotated[Method, typer.Option("--method", help=METHOD_HELP)] = Method.rules,
    train_coder: Annotated[
        Optional[str],
        typer.Option(
            "--train-coder",
            help="With --method model or all: also learn from this imported coder's codings (see import-codings).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Processes to use (default: all cores).")] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Code every quote, even when only new quotes need it (see below)."),
    ] = False,
    min_precision: Annotated[
        Optional[float],
        typer.Option(
            "--min-precision",
            help="With --method model or all: choose each code's threshold as the lowest whose "
            "cross-validated precision reaches this share (e.g. 0.8: at most 1 in 5 suggestions wrong), "
            "instead of the threshold with the best F1.",
            show_default=False,
            callback=_check_precision,
        ),
    ] = None,
    decision: DecisionOption = None,
    topic_features: Annotated[
        bool,
        typer.Option(
            "--topic-features/--no-topic-features",
            help="With --method model or all: let the model read each quote's topics from the latest "
            "`topics` run, when that run modelled every quote.",
        ),
    ] = True,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Code every quote with the codebook, replacing this method's earlier suggestions.

    Human decisions (accepted or rejected codings) are never overwritten. With rules
    or model, when the method last ran with the same codebook and training data,
    only quotes ingested since are coded and the earlier suggestions are kept.
    """
    if train_coder is not None and method in (Method.rules, Method.topics):
        err.print("[bold red]Error:[/] --train-coder only applies to --method model or all (rules and topics do not learn from it).")
        raise typer.Exit(2)
    if decision is not None and method in (Method.rules, Method.topics):
        err.print("[bold red]Error:[/] --decision only applies to --method model or all (it is how the learned model chooses codes).")
        raise typer.Exit(2)
    book = load_codebook(codebook) if codebook is not None else None
    with engine_for(engine, scheduler) as runner, Project.open(project, create=False) as proj:
        if book is None:
            book = _stored_codebook(proj)
        # A plain line, not a spinner: a spinner's thread would make the coders start their
        # worker processes by "spawn" (slow) instead of "fork" (see coding.workers._start_method).
        err.print(f"Coding with {method.value}…")
        report = code_project(
            proj, book, method=method.value, n_jobs=jobs, train_coder=train_coder, engine=runner, full=full,
            use_topics=topic_features, min_precision=min_precision, decision=decision and decision.value,
        )
    if as_json:
        print_json({**asdict(report), "coverage": report.coverage,
                    "unmatched": [{"code": c, "rule": r, "term": t} for c, r, t in report.unmatched],
                    "skipped": {code: s._asdict() for code, s in report.skipped.items()}})
    else:
        render_code(report, book)
        render_skipped(report)


def render_skipped(report: CodeReport) -> None:
    """Warn about codes the model could not be trained for, and how many more examples each needs."""
    if report.method in ("rules", "topics") or not report.labelled_quotes:
        return
    source = f"review decisions and {report.train_coder}'s codings" if report.train_coder else "review decisions"
    also = f"; also {report.aids}" if report.aids else ""
    err.print(f"The model learned from {report.labelled_quotes:,} quotes labelled by {source}{also}.")
    for note in report.aids_notes:
        err.print(f"[yellow]note:[/] {note}.")
    if report.joined_responses:
        err.print(
            f"Of them, {_n(report.joined_responses, 'respondent')} with several quotes "
            f"{'was' if report.joined_responses == 1 else 'were'} coded by {report.train_coder} as a whole: "
            "each was learned as one text (its quotes joined), and its codes are suggested on the quotes "
            "whose words carry them."
        )
    if report.used_topics:
        err.print(f"Topic features: {report.topic_features}.")
    else:
        err.print(f"[yellow]note:[/] the model read no topic features: {report.topic_features}.")
    if report.decisions:
        err.print(decisions_line(report))
    if not report.skipped:
        return
    fallback = "they get rule suggestions instead" if report.method == "all" else "they get no model suggestions"
    needs = []
    for code_id, s in report.skipped.items():
        if report.decisions.get(code_id) == "rules":
            continue
        if s.needed_more:
            needs.append(f"{code_id} ({s.positives} quotes with it; code {s.needed_more} more)")
        else:
            needs.append(f"{code_id} ({s.negatives} quotes without it; reject {s.needed_more_negatives} more)")
    if needs:
        err.print(
            f"[yellow]warning:[/] the model was not trained for {len(needs)} codes with too few "
            f"coded examples, so {fallback}: " + ", ".join(needs) + ". Code more quotes with them by "
            "review or import-codings, then run `code` again."
        )


def decisions_line(report: CodeReport) -> str:
    """One line saying how the model decided the codes, group by group (trained, always, never, rules)."""
    groups: dict[str, list[str]] = {}
    for code_id, how in report.decisions.items():
        groups.setdefault(how, []).append(code_id)
    parts = []
    learned = groups.get("model", [])
    if learned:
        limits = [report.thresholds[c] for c in learned if c in report.thresholds]
        span = f"{min(limits):.2f}" if len(set(limits)) == 1 else f"{min(limits):.2f} to {max(limits):.2f}"
        kept = "; each quote keeps the likeliest set of the codes that reach them" if report.decision == "set" else ""
        parts.append(f"Learned: {_n(len(learned), 'code')} (thresholds {span}{kept}).")
    for code_id in groups.get("always", []):
        share = report.thresholds.get(code_id, 1.0)
        parts.append(f"Suggested everywhere (on {share:.0%} of coded quotes): {code_id}.")
    nowhere = groups.get("never", [])
    if nowhere:
        instead = "left to the rules" if report.method == "all" else "suggested nowhere"
        parts.append(f"Too rare among coded quotes to learn, {instead}: {', '.join(nowhere)}.")
    rules = groups.get("rules", [])
    if rules:
        parts.append(f"Left to the rules (no coded quotes): {', '.join(rules)}.")
    return " ".join(parts)
