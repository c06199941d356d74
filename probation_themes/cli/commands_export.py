"""``export codebook``, ``export qdpx`` and ``export nvivo``: hand the work to NVivo, ATLAS.ti, MAXQDA, QualCoder."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from probation_themes.cli.commands_report import CodebookOption, MethodOption, export_app, print_working
from probation_themes.cli.common import DEFAULT_PROJECT, ProjectOption, err, out, user_errors
from probation_themes.cli.hints import command
from probation_themes.cli.main import _load_codebook_or_project
from probation_themes.codebook import Codebook, codebook_to_csv, dump_codebook_yaml, load_codebook
from probation_themes.codebook.dialects import codebook_to_dialect_csv
from probation_themes.errors import ExportError
from probation_themes.export import write_bytes_atomic
from probation_themes.export.nvivo import nvivo_bundle
from probation_themes.export.refiqda import render_qdc, render_qdpx
from probation_themes.models import Coding, Snapshot
from probation_themes.store import Project
from probation_themes.store.coded import imported_codings
from probation_themes.store.nonanswers import count_non_answers
from probation_themes.store.review import memo_notes
from probation_themes.store.working import parse_methods, working_coding


class CodebookFormat(str, Enum):
    yaml = "yaml"
    csv = "csv"
    qdc = "qdc"


class Dialect(str, Enum):
    qualcoder = "qualcoder"
    taguette = "taguette"
    maxqda = "maxqda"


class ExportStatus(str, Enum):
    """Codings other programs should see as applied; rejected ones never are (see `export codings`)."""

    default = "default"
    accepted = "accepted"
    suggested = "suggested"


ExportStatusOption = Annotated[
    ExportStatus,
    typer.Option("--status", help="Which codings to export: default = suggested and accepted, minus rejected; "
                                  "accepted; or suggested (undecided only)."),
]


#: Most quotes `export qdpx` and `export nvivo` write without --allow-large.
QDA_MAX_QUOTES = 50_000

AllowLargeOption = Annotated[
    bool,
    typer.Option("--allow-large", help=f"Export a project of more than {QDA_MAX_QUOTES:,} quotes anyway "
                                       "(built in memory: about 2.5 GB per 100,000 quotes)."),
]


ImportedCoderOption = Annotated[
    Optional[list[str]],
    typer.Option("--coder", help="Also write the codings imported as this coder (see import-codings), each "
                                 "with its coder and date; give once per coder.", show_default=False),
]


def _snapshot(
    project: Path, codebook: Path | None, status: ExportStatus, allow_large: bool = False, method: str | None = None
) -> tuple[Snapshot, Codebook, dict[int, datetime]]:
    with Project.open(project, create=False) as proj:
        book = _load_codebook_or_project(codebook, proj)
        n_quotes = proj.count_quotes()
        if n_quotes > QDA_MAX_QUOTES and not allow_large:
            raise ExportError(
                f"The project {project} holds {n_quotes:,} quotes. A REFI-QDA project is one XML document "
                "plus one text file per respondent, built in memory, and NVivo, ATLAS.ti and MAXQDA are "
                f"not made for projects this size, so exports stop at {QDA_MAX_QUOTES:,} quotes. For the "
                "whole survey use `export codings` (CSV or XLSX, which streams) or `report`; to write the "
                "REFI-QDA project anyway, add --allow-large (it needs about 2.5 GB of memory per 100,000 quotes)."
            )
        working = working_coding(proj, parse_methods(method), status=status.value)
        snapshot = proj.snapshot(status.value, working=working, evidence=False)
        run_times = {r.run_id: r.started_at for r in proj.runs() if r.run_id is not None}
        left_out = count_non_answers(proj)
    if left_out:
        err.print(
            f"note: {left_out:,} {'quote is a non-answer' if left_out == 1 else 'quotes are non-answers'} (such "
            f"as 'Nothing.' or 'n/a') and left out, as from every count; see them with: {command('non-answers')}"
        )
    return snapshot, book, run_times


def _memos(project: Path) -> dict[tuple[str, str], tuple[str, str, datetime]]:
    """Reviewers' memos in force, for the exports that carry them as notes."""
    with Project.open(project, create=False) as proj:
        return memo_notes(proj)


@export_app.command("codebook")
@user_errors
def export_codebook(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.", show_default=False)],
    fmt: Annotated[
        Optional[CodebookFormat],
        typer.Option("--format", "-f", help="yaml, csv or qdc (REFI-QDA); default: from the output's extension."),
    ] = None,
    dialect: Annotated[
        Optional[Dialect],
        typer.Option(
            "--dialect",
            help=(
                "With --format csv: the code table another program imports: qualcoder (its plain-text codes "
                "list: no header, Category>>Code, memo), taguette (tag, one-line description) or maxqda "
                "(Code with Parent\\Child paths, Memo)."
            ),
        ),
    ] = None,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write the codebook as YAML, CSV, a REFI-QDA .qdc (NVivo, ATLAS.ti, MAXQDA, QualCoder) or another tool's CSV."""
    if fmt is None:
        fmt = {".yaml": CodebookFormat.yaml, ".yml": CodebookFormat.yaml, ".csv": CodebookFormat.csv,
               ".qdc": CodebookFormat.qdc}.get(output.suffix.lower())
        if fmt is None:
            raise ExportError(
                f"Cannot tell the format from the name {output.name}. Add --format yaml, csv or qdc, or "
                "name the file .yaml, .csv or .qdc."
            )
    if dialect is not None and fmt is not CodebookFormat.csv:
        raise ExportError(f"--dialect {dialect.value} is a CSV layout; add --format csv (or name the file .csv).")
    if codebook is not None:
        book = load_codebook(codebook)
    else:
        with Project.open(project, create=False) as proj:
            book = _load_codebook_or_project(None, proj)
    if fmt is CodebookFormat.qdc:
        data = render_qdc(book)
    elif fmt is CodebookFormat.yaml:
        data = dump_codebook_yaml(book).encode("utf-8")
    elif dialect is not None:
        data = codebook_to_dialect_csv(book, dialect.value).encode("utf-8-sig")
    else:
        data = codebook_to_csv(book).encode("utf-8-sig")
    write_bytes_atomic(output, data)
    layout = f" ({dialect.value} layout)" if dialect else ""
    err.print(f"Wrote {output}: {book.name} {book.version}, {len(book.codes)} codes as {fmt.value}{layout}.")


@export_app.command("qdpx")
@user_errors
def export_qdpx(
    output: Annotated[Path, typer.Option("--output", "-o", help="The .qdpx file to write.", show_default=False)],
    status: ExportStatusOption = ExportStatus.default,
    method: MethodOption = None,
    codebook: CodebookOption = None,
    allow_large: AllowLargeOption = False,
    coder: ImportedCoderOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write the project as a REFI-QDA project (.qdpx): respondents' texts, codes, codings, cases and attributes.

    The project's Description says what its codings count (method, runs, codebook, status).
    Every coding carries its coder and date; with --coder, imported coders' codings are
    written too, as their own, so `import-codings --each-user` gives them back.
    """
    if output.suffix.lower() != ".qdpx":
        raise ExportError(f"Name the output {output.stem}.qdpx: NVivo, ATLAS.ti, MAXQDA and QualCoder look for "
                          "that extension when they import a REFI-QDA project.")
    snapshot, book, run_times = _snapshot(project, codebook, status, allow_large, method)
    memos = _memos(project)
    imported = _imported(project, coder or [], snapshot, book)
    write_bytes_atomic(output, render_qdpx(snapshot, book, run_times=run_times, memos=memos, imported=imported))
    respondents = len({q.response_id for q in snapshot.quotes})
    codings = len({(c.quote_id, c.code) for c in snapshot.codings})
    shown = {q.quote_id for q in snapshot.quotes}
    exported = {(c.quote_id, c.code) for c in snapshot.codings}
    noted = sum(1 for key in memos if key[0] in shown and (not key[1] or key in exported))
    theirs = (f", {len(imported):,} imported codings of {', '.join(dict.fromkeys(c.coder or '' for c in imported))}"
              if imported else "")
    err.print(f"Wrote {output}: {respondents:,} respondents, {len(snapshot.quotes):,} quotes, "
              f"{codings:,} codings (status {status.value}){theirs}, {len(book.codes)} codes"
              + (f", {noted:,} memos as notes." if noted else "."))
    print_working(snapshot.working)


def _imported(project: Path, coders: list[str], snapshot: Snapshot, book: Codebook) -> list[Coding]:
    """The imported coders' codings of the exported quotes, checked against the exported codebook."""
    if not coders:
        return []
    with Project.open(project, create=False) as proj:
        found = imported_codings(proj, [c.strip() for c in coders])
    unknown = sorted({c.code for c in found} - set(book.ids))
    if unknown:
        raise ExportError(
            f"The imported codings use codes the codebook '{book.name}' lacks ({', '.join(unknown[:10])}), so they "
            "cannot be written with it. Export with the codebook they were imported with (--codebook FILE)."
        )
    shown = {q.quote_id for q in snapshot.quotes}
    left = sum(1 for c in found if c.quote_id not in shown)
    if left:
        err.print(f"note: {left:,} imported codings of quotes left out of the export (non-answers) are not written.")
    return [c for c in found if c.quote_id in shown]


@export_app.command("nvivo")
@user_errors
def export_nvivo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the bundle into (created if missing).",
                                         show_default=False)],
    status: ExportStatusOption = ExportStatus.default,
    method: MethodOption = None,
    codebook: CodebookOption = None,
    allow_large: AllowLargeOption = False,
    coder: ImportedCoderOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write an NVivo bundle: codebook (.qdc), project (.qdpx), classification sheet, coded quotes, README.txt.

    README.txt says what the codings count (method, runs, codebook, status). With --coder,
    project.qdpx also holds imported coders' codings, each with its coder and date.
    """
    snapshot, book, run_times = _snapshot(project, codebook, status, allow_large, method)
    imported = _imported(project, coder or [], snapshot, book)
    files = nvivo_bundle(snapshot, book, status=status.value, run_times=run_times, memos=_memos(project),
                         imported=imported)
    if output.exists() and not output.is_dir():
        raise ExportError(f"{output} is a file; give a folder for the NVivo bundle with -o, e.g. -o nvivo_bundle.")
    try:
        output.mkdir(exist_ok=True)
    except OSError as exc:
        raise ExportError(f"Could not create the folder {output}: {exc.strerror}. Check that its parent folder "
                          "exists and that you may write there, or choose another folder with -o.") from None
    for name, data in files.items():
        write_bytes_atomic(output / name, data)
    out.print(f"Wrote the NVivo bundle to {output}: {', '.join(files)}. Read README.txt for the import order.")
    print_working(snapshot.working)
