"""``report``, ``stats`` and ``export``: themed quote tables, crosstabs and coding files."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.table import Table

from probation_themes.cli.common import (
    DEFAULT_PROJECT,
    EngineName,
    EngineOption,
    JsonOption,
    ProjectOption,
    SchedulerOption,
    engine_for,
    err,
    out,
    print_json,
    user_errors,
)
from probation_themes.cli.hints import carry, command
from probation_themes.cli.main import _load_codebook_or_project, app
from probation_themes.cli.prevalence import prevalence_tables
from probation_themes.codebook import Codebook
from probation_themes.errors import ExportError
from probation_themes.export import (
    ThemedTable,
    format_count,
    format_share,
    render_csv,
    render_html,
    render_markdown,
    write_bytes_atomic,
    write_text_atomic,
)
from probation_themes.export.csv_tables import (
    LONG_HEADER,
    REJECTS_HEADER,
    csv_chunks,
    long_rows,
    reject_rows,
    wide_header,
    wide_rows,
    write_csv_chunks_atomic,
)
from probation_themes.export.docx_report import render_docx
from probation_themes.export.table import MAX_QUOTES, check_coded, digest_batch, themed_table_from_batches
from probation_themes.export.xlsx_report import render_xlsx
from probation_themes.store import Project, StatusFilter
from probation_themes.store.nonanswers import count_non_answers
from probation_themes.store.stream import ProjectReader, iter_rejects
from probation_themes.store.review import latest_memos
from probation_themes.workflows.distributed import Engine
from probation_themes.workflows.prevalence import group_prevalence


class ReportFormat(str, Enum):
    md = "md"
    html = "html"
    csv = "csv"
    docx = "docx"
    xlsx = "xlsx"


class StatusChoice(str, Enum):
    default = "default"
    suggested = "suggested"
    accepted = "accepted"
    rejected = "rejected"
    all = "all"


StatusOption = Annotated[
    StatusChoice,
    typer.Option(
        "--status",
        help="Which codings count: default = suggested and accepted, minus rejected.",
    ),
]
CodebookOption = Annotated[
    Optional[Path],
    typer.Option("--codebook", "-c", help="Codebook for labels and order (default: the one last used to code)."),
]
#: Reports are written to be published: small counts are suppressed unless asked otherwise.
PUBLISHED_MIN_CELL = 5

MinCellOption = Annotated[
    int, typer.Option("--min-cell", min=0, help="Suppress organisation/region counts below N (e.g. 5 for publication).")
]


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _reader(proj: Project, book: Codebook, status: StatusFilter, *, evidence: bool = False) -> ProjectReader:
    """A reader of the project's codings with this status, once they are known to fit the codebook."""
    reader = ProjectReader(proj, status, evidence=evidence)
    check_coded(proj.path.stem, book, orphan_quote_ids=reader.orphan_quote_ids, codes=reader.coded_codes())
    return reader


def themed_table(
    project: Path, codebook: Path | None, status: StatusChoice, min_cell: int, *,
    max_quotes: int | None = MAX_QUOTES, memos: bool = False, engine: Engine | None = None,
) -> tuple[ThemedTable, Codebook]:
    """Open the project, choose the codebook and build the themed table, reading the project in batches.

    With an ``engine`` the batches are counted on its workers and their counts merged here.
    """
    with Project.open(project, create=False) as proj:
        book = _load_codebook_or_project(codebook, proj)
        reader = _reader(proj, book, status.value)
        digests = None
        if engine is not None:
            digests = lambda batches: (digest for _, digest in engine.map(digest_batch, batches, book.ids))  # noqa: E731
        table = themed_table_from_batches(
            proj.path.stem, book, reader.batches(details=False), reader.batch_of, min_cell=min_cell, max_quotes=max_quotes,
            memos=latest_memos(proj) if memos else None, digests=digests,
        )
        left_out = count_non_answers(proj)
    if left_out:
        err.print(
            f"{left_out:,} {'quote is a non-answer' if left_out == 1 else 'quotes are non-answers'} (such as "
            f"'Nothing.' or 'n/a') and left out of every count here; see them with: {command('non-answers')}"
        )
    if not any(c.n_quotes for c in table.codes):
        err.print(
            f"[yellow]warning:[/] no codings with status {status.value} in {project}; every theme will be "
            + carry("empty. Run `probation-themes code --codebook FILE` first, or choose another --status.")
        )
    return table, book


def write_output(output: Path, text: str | Iterable[str], *, csv_file: bool = False) -> str:
    """Write text, or text in chunks, to a file (atomically) or to stdout when the output is '-'.

    Returns where it went.
    """
    chunks = [text] if isinstance(text, str) else text
    if str(output) == "-":
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return "standard output"
    if csv_file:
        write_csv_chunks_atomic(output, chunks)
    else:
        write_text_atomic(output, "".join(chunks))
    return str(output)


class _Counted:
    """Rows passed through as they stream to the file, counted for the closing message."""

    def __init__(self, rows: Iterable) -> None:
        self.rows, self.n = rows, 0

    def __iter__(self) -> Iterator:
        for row in self.rows:
            self.n += 1
            yield row


def write_binary(output: Path, data: bytes) -> str:
    """Write a Word or Excel file (atomically), or to stdout when the output is '-'. Returns where it went."""
    if str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "standard output"
    write_bytes_atomic(output, data)
    return str(output)


def _quotes_limit(value: str) -> int | None:
    if value.strip().lower() == "all":
        return None
    try:
        limit = int(value)
    except ValueError:
        limit = -1
    if limit < 0:
        raise ExportError(
            f"--quotes takes a number of quotes per theme (0 or more) or 'all', not {value!r}; "
            f"for example --quotes 20, or --quotes all to show every quote."
        )
    return limit


_FORMAT_OF_SUFFIX = {
    ".html": ReportFormat.html, ".htm": ReportFormat.html, ".csv": ReportFormat.csv,
    ".docx": ReportFormat.docx, ".xlsx": ReportFormat.xlsx, ".md": ReportFormat.md,
}


@app.command()
@user_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write; - for standard output.", show_default=False)],
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f",
            help="md, html, csv, docx (Word) or xlsx (Excel); default: from the output's extension, else md.",
            show_default=False,
        ),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Splits of the counts to show: region, org or both.")] = "region,org",
    attribute: Annotated[
        str, typer.Option("--attribute", help="What each quote is attributed by: region, org, both, or none.")
    ] = "region,org",
    quotes: Annotated[
        str,
        typer.Option("--quotes", help="Most quotes shown per theme, spread evenly through its quotes; 'all' shows every one."),
    ] = str(MAX_QUOTES),
    memos: Annotated[
        bool, typer.Option("--memos", help="Show reviewers' memos under their quotes (md, html and docx).")
    ] = False,
    status: StatusOption = StatusChoice.default,
    min_cell: Annotated[
        int,
        typer.Option(
            "--min-cell", min=0,
            help="Show organisation/region counts from 1 to N-1 as <N, in every table and chart, as "
            "published statistics do; 0 shows every count (for your own analysis, not for publication).",
        ),
    ] = PUBLISHED_MIN_CELL,
    codebook: CodebookOption = None,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write the themed quote table: one section per code, counts, the splits, then the quotes.

    html is one offline page with theme × organisation and theme × region charts and filters;
    docx is a Word document with the quotes as in the inspectorate's report; xlsx has a
    summary sheet and one sheet per theme. --min-cell suppresses small counts everywhere.
    Counts always cover every quote; a theme with more quotes than --quotes shows that
    many, spread evenly through them in survey order, and says so.
    """
    splits = _split_list(by)
    attribution = () if attribute.strip() == "none" else _split_list(attribute)
    if fmt is None:
        fmt = _FORMAT_OF_SUFFIX.get(output.suffix.lower(), ReportFormat.md)
    with engine_for(engine, scheduler) as runner:
        table, _ = themed_table(
            project, codebook, status, min_cell, max_quotes=_quotes_limit(quotes), memos=memos, engine=runner
        )
    if fmt is ReportFormat.md:
        where = write_output(output, render_markdown(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.html:
        where = write_output(output, render_html(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.docx:
        where = write_binary(output, render_docx(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.xlsx:
        where = write_binary(output, render_xlsx(table, attribution=attribution, splits=splits))
    else:
        where = write_output(output, render_csv(table, attribution=attribution), csv_file=True)
    coded = sum(1 for c in table.codes if c.n_quotes)
    err.print(f"Wrote {where}: {coded} of {len(table.codes)} codes have quotes; {table.total_respondents:,} respondents.")


def stats_tables(table: ThemedTable, by: tuple[str, ...], *, shares: bool = False) -> list[Table]:
    """Rich tables of respondents coded: code × organisation and code × region.

    The region split (up to a dozen regions and more) is turned round — regions as
    rows, codes as numbered columns — so it fits an 80-column terminal.
    """
    tables = []
    for split in by:
        rows = {c.code_id: (c.by_org if split == "org" else c.by_region) for c in table.codes}
        groups = [s.group for s in next(iter(rows.values()), ())]
        title = f"Respondents coded, by {'organisation' if split == 'org' else 'region'} " \
                f"({table.total_respondents:,} respondents)"
        if split == "org":
            t = Table(title=title, title_justify="left")
            t.add_column("code")
            t.add_column("all", justify="right")
            for g in groups:
                t.add_column(g, justify="right")
            for c in table.codes:
                cells = [f"{format_count(s.n_coded, table.min_cell)} ({format_share(s.share)})" for s in rows[c.code_id]]
                t.add_row(("  " * c.depth) + c.label, f"{c.n_respondents} ({format_share(c.share_of_respondents)})", *cells)
        else:
            # Regions as rows and codes as numbered columns keep 12 codes within a
            # terminal's width; --share shows percentages of each region instead.
            t = Table(
                title=title.replace("Respondents coded", "% of each region's respondents coded") if shares else title,
                title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False,
                caption=" ".join(f"{i}={c.code_id}" for i, c in enumerate(table.codes, 1)),
                caption_justify="left",
            )
            t.add_column(split, no_wrap=True, max_width=22, overflow="ellipsis")
            t.add_column("n", justify="right")
            for i, _ in enumerate(table.codes, 1):
                t.add_column(str(i), justify="right")
            for gi, group in enumerate(groups):
                splits = [rows[c.code_id][gi] for c in table.codes]
                n_group = splits[0].n_group if splits else 0
                cells = (
                    ("–" if sp.share is None else f"{sp.share * 100:.0f}" for sp in splits) if shares
                    else (format_count(sp.n_coded, table.min_cell) for sp in splits)
                )
                t.add_row(group, format_count(n_group, table.min_cell), *cells)
        tables.append(t)
    return tables


@app.command()
@user_errors
def stats(
    by: Annotated[str, typer.Option("--by", help="org, region, or both: org,region.")] = "org,region",
    share: Annotated[bool, typer.Option("--share", help="Region table: % of each region's respondents, not counts.")] = False,
    status: StatusOption = StatusChoice.default,
    min_cell: MinCellOption = 0,
    ci: Annotated[
        bool,
        typer.Option("--ci", help="Shares of respondents per group with bootstrap 95% intervals, for codes and the last topics run."),
    ] = False,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Print code × organisation and code × region counts of respondents (with --ci: shares and intervals)."""
    chosen = _split_list(by)
    bad = [b for b in chosen if b not in ("org", "region")]
    if bad:
        raise ExportError(f"--by takes org and/or region, not {', '.join(bad)}; for example --by org,region.")
    if ci:
        with Project.open(project, create=False) as proj:
            book = _load_codebook_or_project(codebook, proj)
            prevalence = group_prevalence(proj, book, chosen, status=status.value, min_cell=min_cell)
        if as_json:
            print_json([asdict(p) for p in prevalence])
        else:
            for t in prevalence_tables(prevalence):
                out.print(t)
        return
    table, _ = themed_table(project, codebook, status, min_cell, max_quotes=0)  # counts only
    if as_json:
        data = table.model_dump(mode="json")
        for code in data["codes"]:
            code.pop("quotes", None)
        print_json(data)
        return
    for t in stats_tables(table, chosen, shares=share):
        out.print(t)


export_app = typer.Typer(help="Export codings and rejected rows as CSV for Excel and other tools.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(export_app, name="export")


@export_app.command("codings")
@user_errors
def export_codings(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write; - for standard output.", show_default=False)],
    wide: Annotated[bool, typer.Option("--wide", help="One row per respondent, one 0/1 column per code.")] = False,
    status: Annotated[
        Optional[StatusChoice],
        typer.Option("--status", help="Which codings to include (default: all for long form, default for wide)."),
    ] = None,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write codings as CSV: long (response_id, quote_id, code, method, confidence, status, evidence, coder,
    decided_at, memo, quote_memo) or wide (one 0/1 column per code)."""
    chosen = status or (StatusChoice.default if wide else StatusChoice.all)
    if wide and chosen in (StatusChoice.rejected, StatusChoice.all):
        raise ExportError(
            f"The wide form marks the codes that apply (1) or not (0), so --status {chosen.value} cannot be "
            "shown in it. Use the long form (without --wide), which has a status column for every coding."
        )
    with Project.open(project, create=False) as proj:
        book = _load_codebook_or_project(codebook, proj)
        reader = _reader(proj, book, chosen.value, evidence=not wide)
        if wide:
            header, rows = wide_header(book), _Counted(wide_rows(reader.batches(details=False), book))
        else:
            header, rows = LONG_HEADER, _Counted(long_rows(reader.batches(), book, latest_memos(proj)))
        where = write_output(output, csv_chunks(header, rows, checked=wide), csv_file=True)
    err.print(f"Wrote {where}: {rows.n:,} rows ({'wide' if wide else 'long'} form, status {chosen.value}).")


@export_app.command("rejects")
@user_errors
def export_rejects_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write; - for standard output.", show_default=False)],
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write every rejected input row with its file, row and reason."""
    with Project.open(project, create=False) as proj:
        rows = _Counted(reject_rows(iter_rejects(proj)))
        where = write_output(output, csv_chunks(REJECTS_HEADER, rows), csv_file=True)
    err.print(f"Wrote {where}: {rows.n:,} rejected rows.")
