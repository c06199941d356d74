"""The ``import-codings`` command: load another coder's (or a gold standard's) codings."""

from __future__ import annotations

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
from probation_themes.workflows.import_codings import ImportReport, import_codings


class CodingsFormat(str, Enum):
    long = "long"
    wide = "wide"


class UnitLevel(str, Enum):
    response = "response"
    quote = "quote"


def render_import(report: ImportReport, labels: dict[str, str]) -> None:
    """Print who was imported, at which level, how many units, and the codings per code."""
    noun = "response" if report.level == "response" else "quote"
    out.print(f"Imported the codings of {report.coder} from {report.source} (run {report.run_id}).")
    out.print(f"  level: {report.level} ({report.format} format)")
    out.print(f"  {noun}s covered: {report.units:,}")
    out.print(f"  codings imported: {report.codings:,}")
    table = Table(title=f"Codings per code ({report.codebook_name})", title_justify="left")
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
    if report.missing_codes:
        err.print(
            "  [yellow]note:[/] the file has no column for "
            + ", ".join(report.missing_codes)
            + f"; {report.coder} is counted as never applying "
            + ("it." if len(report.missing_codes) == 1 else "them.")
        )


@app.command("import-codings")
@user_errors
def import_codings_command(
    file: Annotated[Path, typer.Argument(help="Codings as CSV, TSV or XLSX, or a REFI-QDA project (.qdpx).", show_default=False)],
    coder: Annotated[str, typer.Option("--coder", help="Who made these codings, e.g. alice or gold.", show_default=False)],
    fmt: Annotated[
        Optional[CodingsFormat],
        typer.Option("--format", help="long: one row per id and code; wide: one 0/1 column per code (default: detected)."),
    ] = None,
    level: Annotated[
        Optional[UnitLevel],
        typer.Option("--level", help="Whether the ids are response or quote ids (default: detected)."),
    ] = None,
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Id column (default: response_id, quote_id or id).")] = None,
    code_col: Annotated[Optional[str], typer.Option("--code-col", help="Code column of a long file (default: code).")] = None,
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

    Re-importing the same coder replaces their earlier import. If any code or id is
    unknown, nothing is stored.
    """
    book = load_codebook(codebook) if codebook is not None else None
    with Project.open(project, create=False) as proj:
        report = import_codings(
            proj, file, coder=coder, codebook=book, fmt=fmt.value if fmt else None,
            level=level.value if level else None, id_col=id_col, code_col=code_col,
            encoding=encoding, sheet=sheet,
        )
        used = book or proj.latest_codebook()
    if as_json:
        print_json(asdict(report))
    else:
        render_import(report, {c.id: c.label for c in used.codes} if used else {})
