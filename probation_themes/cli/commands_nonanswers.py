"""``non-answers``: see the quotes flagged as non-answers, judge them again, or write the list out."""

from __future__ import annotations

import shlex
from itertools import islice
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, print_json, user_errors
from probation_themes.cli.hints import command, project_command
from probation_themes.cli.main import app
from probation_themes.errors import IngestError
from probation_themes.ingest.nonanswers import builtin_list_text, builtin_non_answers, read_non_answers
from probation_themes.store import Project
from probation_themes.store.nonanswers import (
    count_non_answers,
    iter_non_answers,
    non_answer_phrases,
    only_non_answer_responses,
)
from probation_themes.workflows.nonanswers import judge_non_answers

non_answers_app = typer.Typer(
    help=(
        "Non-answers are answers that say nothing, such as 'Nothing.', 'n/a', 'No comment' or 'Not sure'. "
        "ingest flags them: they stay in the project and in its row count, but are not coded and count in "
        "no denominator. Without a subcommand, lists the flagged quotes; `judge` flags them again with "
        "another list (or none), and `list` writes the built-in list out to edit."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(non_answers_app, name="non-answers")


@non_answers_app.callback()
@user_errors
def non_answers(
    ctx: typer.Context,
    show: Annotated[int, typer.Option("--show", min=0, help="Most flagged quotes to list (0: only the counts).")] = 50,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """List the quotes flagged as non-answers, with the phrase that matched each."""
    if ctx.invoked_subcommand is not None:
        return
    with Project.open(project, create=False) as proj:
        total = proj.count_quotes()
        flagged = count_non_answers(proj)
        phrases = non_answer_phrases(proj)
        only = only_non_answer_responses(proj)
        listed = list(islice(iter_non_answers(proj), None if as_json else show))
    if as_json:
        print_json({"quotes": total, "non_answers": flagged, "respondents_with_only_non_answers": only,
                    "phrases": phrases, "flagged": [q._asdict() for q in listed]})
        return
    out.print(
        f"{flagged:,} of the {total:,} quotes are non-answers, from {only:,} respondents who gave nothing else; "
        "they are not coded and count in no figure."
    )
    if phrases:
        out.print("By what matched: " + ", ".join(f"{escape(p)!s} {n:,}" for p, n in phrases.items()) + ".")
    if listed:
        table = Table(title=f"Quotes flagged as non-answers (first {len(listed):,})" if flagged > len(listed)
                      else "Quotes flagged as non-answers", title_justify="left")
        for name in ("quote", "file:row", "matched", "text"):
            table.add_column(name, overflow="fold")
        for q in listed:
            table.add_row(q.quote_id, f"{q.source}:{q.row}", q.phrase, q.text)
        out.print(table)
    if flagged:
        err.print(f"  To code and count them as answers: {command('non-answers judge --keep-non-answers')}")
        err.print(f"  To judge with your own list, write the built-in one out with "
                  f"`{command('non-answers list -o non_answers.txt')}`, edit it, then run "
                  f"`{command('non-answers judge --list non_answers.txt')}`")


@non_answers_app.command("judge")
@user_errors
def judge(
    list_file: Annotated[
        Optional[Path],
        typer.Option("--list", help="Your list of non-answers (default: the built-in list).", show_default=False),
    ] = None,
    keep_non_answers: Annotated[
        bool, typer.Option("--keep-non-answers", help="Flag no quote: code and count every answer.")
    ] = False,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Judge every quote of the project again: flag the non-answers of a list, or none.

    Quotes, suggestions and review decisions are kept; what changes is which quotes
    are coded and counted. Run `code` afterwards: it codes every quote again.
    """
    if list_file is not None and keep_non_answers:
        raise IngestError("--list names non-answers to flag and --keep-non-answers flags none: give one or the other.")
    judge_with = None if keep_non_answers else (read_non_answers(list_file) if list_file else builtin_non_answers())
    with Project.open(project, create=False) as proj:
        report = judge_non_answers(proj, judge_with)
    if as_json:
        print_json(report.__dict__)
        return
    which = "no list (every quote kept as an answer)" if report.non_answer_list is None else (
        "the built-in list" if report.non_answer_list["list"] == "built-in" else str(report.non_answer_list["list"])
    )
    out.print(
        f"Judged {report.quotes:,} quotes with {which} (run {report.run_id}): {report.non_answers:,} non-answers now; "
        f"{report.flagged:,} newly flagged, {report.unflagged:,} no longer flagged."
    )
    if report.flagged or report.unflagged:
        err.print(f"  Which quotes are coded has changed; code again with: {command('code')}")


@non_answers_app.command("list")
@user_errors
def write_list(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write; - for standard output.", show_default=True)
    ] = Path("-"),
    force: Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")] = False,
) -> None:
    """Write the built-in list of non-answers (a commented text file) to edit and use as your own."""
    text = builtin_list_text()
    if str(output) == "-":
        out.file.write(text)
        return
    if output.exists() and not force:
        raise IngestError(f"{output} already exists and was left as it is. Choose another name, or add --force.",
                          path=output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise IngestError(f"Cannot write {output}: {exc.strerror or exc}.", path=output) from None
    err.print(f"Wrote {output}. Edit it, then use it at ingest (--non-answers {output}) or with: "
              f"{project_command(f'non-answers judge --list {shlex.quote(str(output))}')}")
