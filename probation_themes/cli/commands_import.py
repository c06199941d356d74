"""The ``import-codings`` command: load another coder's (or a gold standard's) codings."""

from __future__ import annotations

import shlex
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, print_json, user_errors
from probation_themes.cli.main import app
from probation_themes.codebook import load_codebook
from probation_themes.store import Project
from probation_themes.workflows.import_codings import ImportReport, import_codings, import_each_user


class CodingsFormat(str, Enum):
    long = "long"
    wide = "wide"
    names = "names"


class UnitLevel(str, Enum):
    response = "response"
    quote = "quote"


def render_import(report: ImportReport, labels: dict[str, str], project: Path | None = None) -> None:
    """Print who was imported, at which level, how many units, and the codings per code."""
    noun = "response" if report.level == "response" else "quote"
    out.print(f"Imported the codings of {report.coder} from {report.source} (run {report.run_id}).")
    out.print(f"  level: {report.level} ({report.format} format)")
    out.print(f"  {noun}s covered: {report.units:,}")
    out.print(f"  codings imported: {report.codings:,}")
    if report.matched_by_text:
        out.print(f"  matched to answers by their text (column '{report.id_column}'): no id in the file is the project's")
    if report.coder_in_file:
        out.print(f"  only the codings of {report.coder_in_file}, one of the file's users (coders)")
    elif len(report.users_in_file) == 1:
        out.print(f"  the codings of {report.users_in_file[0][0]}, the file's one user (coder)")
    if report.coded_between:
        first, last = (when[:10] for when in report.coded_between)
        out.print(f"  coded on {first}" if first == last else f"  coded between {first} and {last}")
        if report.dated_codings < report.codings:
            out.print(f"  dated: {report.dated_codings:,} of {report.codings:,} codings (the file dates no others)")
    elif report.format == "qdpx" and report.codings:
        out.print("  undated: the file gives no date for these codings")
    if report.separator:
        out.print(f"  sub-codes read as parent{report.separator}child")
    if report.rolled_up:
        out.print(f"  a sub-code also codes its parent (--roll-up-subcodes): {report.rolled_up_codings:,} codings added")
    title = f"Codings per code ({report.codebook_name} {report.codebook_version})".replace(" )", ")")
    table = Table(title=title, title_justify="left")
    table.add_column("code")
    table.add_column("label")
    table.add_column(f"{noun}s", justify="right")
    for code, n in report.per_code.items():
        table.add_row(code, labels.get(code, ""), f"{n:,}")
    out.print(table)
    if report.replaced:
        out.print(
            f"This replaced an earlier import of {report.coder} "
            f"({report.replaced_units:,} units, {report.replaced_codings:,} codings)."
        )
    where = "" if project is None or str(project) == DEFAULT_PROJECT else f" -p {shlex.quote(str(project))}"
    if report.skipped_ids:
        shown = ", ".join(report.skipped_ids[:10]) + (", …" if len(report.skipped_ids) > 10 else "")
        err.print(
            f"  [yellow]note:[/] {len(report.skipped_ids):,} {noun} id{'s' if len(report.skipped_ids) != 1 else ''} "
            f"in the file {'are' if len(report.skipped_ids) != 1 else 'is'} not in the project and "
            f"{'were' if len(report.skipped_ids) != 1 else 'was'} given no code ({shown}): skipped. They are usually "
            f"respondents dropped at ingest (blank answers); `probation-themes export rejects -o rejects.csv{where}` "
            "lists those."
            if report.format != "qdpx" else
            f"  [yellow]note:[/] {len(report.skipped_ids):,} uncoded document{'s' if len(report.skipped_ids) != 1 else ''} "
            f"of respondents the project does not have ({shown}): skipped."
        )
    if report.left_out:
        shown = ", ".join(f"{user} ({n:,})" for user, n in report.left_out)
        err.print(
            f"  [yellow]note:[/] left out the codings of the file's other users: {shown}. Import each with "
            f"`probation-themes import-codings FILE --coder USER{where}`, or all with --each-user."
        )
    if report.unreadable_dates:
        err.print(
            f"  [yellow]note:[/] {report.unreadable_dates:,} coding{'s' if report.unreadable_dates != 1 else ''} "
            "had a creationDateTime that is not a date; stored undated."
        )
    if report.implied_codebook:
        made = (f"{len(report.created_codes):,} new code{'s' if len(report.created_codes) != 1 else ''}"
                if report.created_codes else "no new codes")
        others = [c for c in report.other_coders if c != report.coder]
        compare = (
            f"Compare the coders with `probation-themes agree --coder {shlex.quote(others[0])} "
            f"--coder {shlex.quote(report.coder)}{where}`"
            if others else
            "Import the other coder's sheet the same way (`probation-themes import-codings FILE --coder NAME"
            f"{where}`), then compare them with `agree`"
        )
        err.print(
            f"  [yellow]note:[/] the project has no codebook of its own, so the codes come from the coders' "
            f"code names ({made} this time; codebook '{report.codebook_name}' version {report.codebook_version}). "
            f"Every definition is a PLACEHOLDER. {compare}; write the codebook out to define the codes with "
            f"`probation-themes export codebook -o codebook.yaml{where}`."
        )
    if report.missing_codes:
        err.print(
            "  [yellow]note:[/] the file has no column for "
            + ", ".join(report.missing_codes)
            + f"; {report.coder} is counted as never applying "
            + ("it." if len(report.missing_codes) == 1 else "them.")
        )


@app.command("import-codings")
def import_codings_command(
    file: Annotated[Path, typer.Argument(help="Codings as CSV, TSV or XLSX, or a REFI-QDA project (.qdpx).", show_default=False)],
    coder: Annotated[
        Optional[str],
        typer.Option("--coder", help="Who made these codings, e.g. alice or gold; in a REFI-QDA project with several "
                                     "users, the user whose codings to import.", show_default=False),
    ] = None,
    each_user: Annotated[
        bool,
        typer.Option("--each-user", help="REFI-QDA project: import every user's codings, each as a coder of the "
                                         "user's name (instead of --coder)."),
    ] = False,
    fmt: Annotated[
        Optional[CodingsFormat],
        typer.Option("--format", help=(
            "long: one row per id and code; wide: one 0/1 column per code; names: Code 1 ... Code N columns "
            "holding code names (default: detected)."
        )),
    ] = None,
    level: Annotated[
        Optional[UnitLevel],
        typer.Option("--level", help="Whether the ids are response or quote ids (default: detected)."),
    ] = None,
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Id column (default: response_id, quote_id or id).")] = None,
    code_col: Annotated[
        Optional[list[str]],
        typer.Option(
            "--code-col",
            help=(
                "Code column of a long file (default: code); or, given once per column, the columns of a coding "
                "sheet that hold code names (default: columns named like Code 1, Code 2)."
            ),
        ),
    ] = None,
    subcode_sep: Annotated[
        Optional[str],
        typer.Option(
            "--subcode-sep",
            help="How a sub-code follows its parent in code names, e.g. '->' or '/'; 'none' for no sub-codes "
            "(default: detected).",
        ),
    ] = None,
    roll_up_subcodes: Annotated[
        bool,
        typer.Option(
            "--roll-up-subcodes",
            help="Count a sub-code as coding its parent too (default: a sub-code counts only as itself).",
        ),
    ] = False,
    codebook: Annotated[
        Optional[Path],
        typer.Option("--codebook", "-c", help="Codebook the codes come from (default: the one last used to code)."),
    ] = None,
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="Override encoding detection, e.g. cp1252, utf-16.")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet name (default: the first sheet).")] = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Load another coder's (or a gold standard's) codings, matched by response or quote id.

    Reads long tables (id, code), wide tables (one 0/1 column per code), coding sheets
    with code names in Code 1 ... Code N columns (sub-codes as parent->child, parent/child ...),
    and REFI-QDA projects (each coding with its coder and date; a project whose codings come
    from several users needs --coder USER or --each-user). Re-importing the same coder replaces their earlier import. If any
    code or id is unknown, nothing is stored; ids the project lacks whose rows give no code
    (respondents dropped at ingest) are skipped and listed. A project without a codebook
    gets the one the code names imply, with placeholder definitions.
    """
    if (coder is None) == (not each_user):
        # Bad usage (exit 2), raised before the user-error handler, which would make it exit 1.
        raise typer.BadParameter(
            "give the coder with --coder NAME, or --each-user to import every user of a REFI-QDA project "
            "as a coder of their own (not both).",
            param_hint="--coder",
        )
    _import(file, coder, fmt, level, id_col, code_col, subcode_sep, roll_up_subcodes, codebook, encoding, sheet,
            project, as_json)


@user_errors
def _import(
    file: Path, coder: str | None, fmt: CodingsFormat | None, level: UnitLevel | None, id_col: str | None,
    code_col: list[str] | None, subcode_sep: str | None, roll_up_subcodes: bool, codebook: Path | None,
    encoding: str | None, sheet: str | None, project: Path, as_json: bool,
) -> None:
    book = load_codebook(codebook) if codebook is not None else None
    if coder is None:  # --each-user
        with Project.open(project, create=False) as proj:
            reports = import_each_user(proj, file, codebook=book, roll_up_subcodes=roll_up_subcodes)
            used = book or proj.latest_codebook()
        if as_json:
            print_json([asdict(r) for r in reports])
            return
        for report in reports:
            render_import(report, {c.id: c.label for c in used.codes} if used else {}, project)
        return
    columns = code_col or []
    names_layout = len(columns) > 1 or (fmt is not None and fmt.value == "names")
    with Project.open(project, create=False) as proj:
        report = import_codings(
            proj, file, coder=coder, codebook=book, fmt=fmt.value if fmt else None,
            level=level.value if level else None, id_col=id_col,
            code_col=None if names_layout or not columns else columns[0],
            name_cols=columns if names_layout else (), subcode_sep=subcode_sep,
            roll_up_subcodes=roll_up_subcodes, encoding=encoding, sheet=sheet,
        )
        used = book or proj.latest_codebook()
    if as_json:
        print_json(asdict(report))
    else:
        render_import(report, {c.id: c.label for c in used.codes} if used else {}, project)
