"""``probation-themes codebook validate|show|convert``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from probation_themes.cli.common import JsonOption, err, out, print_json, user_errors
from probation_themes.cli.hints import command, project_command
from probation_themes.cli.terminal import visible
from probation_themes.cli.main import app
from probation_themes.codebook import codebook_summary, convert_codebook, read_codebook
from probation_themes.workflows.starter import write_starter_codebook

codebook_app = typer.Typer(
    help="Start, validate, show and convert codebooks (YAML ⇄ CSV ⇄ REFI-QDA .qdc).", no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(codebook_app, name="codebook")

CodebookArg = Annotated[Path, typer.Argument(help="Codebook file (.yaml, .yml, .csv or REFI-QDA .qdc).", show_default=False)]


@codebook_app.command("init")
@user_errors
def init(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="File to write: .yaml (with comments), .csv or .qdc.", show_default=True),
    ] = Path("codebook.yaml"),
    template: Annotated[
        bool,
        typer.Option("--template", help="Write a short commented template to fill in, not the probation codebook."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")] = False,
) -> None:
    """Write a codebook to start from: the bundled probation codebook, or a commented template.

    The probation codebook has twelve codes with definitions, rules and seed words (see
    docs/codebook.md). Edit the file, check it with `codebook validate`, and code with
    `code --codebook FILE`. Folders on the way are created; an existing file is kept
    unless --force.
    """
    book = write_starter_codebook(output, template=template, overwrite=force)
    what = "a commented template" if template else "the bundled probation codebook"
    out.print(f"Wrote {output}: {what} ({book.name} {book.version}, {len(book.codes)} codes).")
    err.print(f"  Edit it, check it with: {command(f'codebook validate {shlex.quote(str(output))}')}")
    err.print(f"  Then code your project with: {project_command(f'code --codebook {shlex.quote(str(output))}')}")


@codebook_app.command("validate")
@user_errors
def validate(file: CodebookArg) -> None:
    """Check a codebook against the format. Errors name the field, for example codes -> 3 -> rules -> any -> 2."""
    book = read_codebook(file)
    n_rules = sum(1 for c in book.codes if c.rules and not c.rules.is_empty())
    out.print(
        f"{file}: valid. {book.name} {book.version}: {len(book.codes)} codes, "
        f"{n_rules} with rules."
    )


@codebook_app.command("show")
@user_errors
def show(file: CodebookArg, as_json: JsonOption = False) -> None:
    """List a codebook's codes with their rule and seed counts."""
    book = read_codebook(file)
    rows = codebook_summary(book)
    groups = book.single_choice_groups()
    if as_json:
        print_json({"name": book.name, "version": book.version, "codes": rows,
                    "single_choice_groups": [{"name": g.name, "codes": list(g.codes), "rule": g.rule} for g in groups]})
        return
    table = Table(title=Text(visible(f"{book.name} — version {book.version}")), title_justify="left")
    for col in ("id", "label", "any", "all", "near", "none", "regex", "seeds"):
        table.add_column(col, justify="right" if col not in ("id", "label") else "left")
    for row in rows:
        indent = "  " if row.get("parent") else ""
        table.add_row(  # the label as written: its brackets are not markup, its control characters shown
            indent + row["id"], Text(visible(row["label"])),
            *(str(row[f"n_{k}"]) for k in ("any", "all", "near", "none", "regex", "seeds")),
        )
    out.print(table)
    for g in groups:
        out.print(Text(visible(f"Single choice ({g.rule} per answer): {g.name} — {', '.join(g.codes)}")))


@codebook_app.command("convert")
@user_errors
def convert(
    file: CodebookArg,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Output file; its extension picks the format.")] = None,
) -> None:
    """Convert a codebook between YAML, CSV and REFI-QDA .qdc (from NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette).

    YAML ⇄ CSV is lossless. A .qdc keeps codes, hierarchy, colours, definitions, criteria and
    examples, but not rules or seed words; codes without an id get one made from their name.
    """
    if output is None:
        output = file.with_suffix(".csv" if file.suffix.lower() in (".yaml", ".yml") else ".yaml")
    convert_codebook(file, output)
    out.print(f"Wrote {output}")
