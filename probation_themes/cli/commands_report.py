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
from rich.markup import escape
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
    THEMED_HEADER,
    csv_metadata,
    metadata_path,
    csv_chunks,
    long_rows,
    reject_rows,
    wide_header,
    wide_rows,
    write_csv_chunks_atomic,
)
from probation_themes.export.docx_report import render_docx
from probation_themes.export.disclosure import protect_row
from probation_themes.export.format import SECONDARY_MARK, coded_text, table_lines, working_lines
from probation_themes.export.table import MAX_QUOTES, check_coded, digest_batch, themed_table_from_batches
from probation_themes.export.xlsx_report import render_xlsx
from probation_themes.models import WorkingCoding
from probation_themes.store import Project, StatusFilter
from probation_themes.store.coded import imported_codings, with_imported
from probation_themes.store.nonanswers import count_non_answers
from probation_themes.store.stream import ProjectReader, attribute_names, iter_rejects, quote_details
from probation_themes.store.review import latest_memos
from probation_themes.store.working import parse_methods, working_coding
from probation_themes.workflows.distributed import Engine
from probation_themes.workflows.prevalence import INTERVAL, group_prevalence


class ReportFormat(str, Enum):
    md = "md"
    html = "html"
    csv = "csv"
    docx = "docx"
    xlsx = "xlsx"
    pdf = "pdf"


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
MethodOption = Annotated[
    Optional[str],
    typer.Option(
        "--method",
        help="Whose suggestions count: rules, topics, model or all (the methods of `code`). Default: the "
        "method of the latest `code` run. Name several joined by commas (rules,model) to count them "
        "together. Human decisions always count.",
        show_default=False,
    ),
]
#: Reports are written to be published: small counts are suppressed unless asked otherwise.
PUBLISHED_MIN_CELL = 5

MinCellOption = Annotated[
    int, typer.Option("--min-cell", min=0, help="Suppress organisation/region counts below N (e.g. 5 for publication).")
]


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _reader(
    proj: Project, book: Codebook, status: StatusFilter, *, evidence: bool = False, method: str | None = None
) -> ProjectReader:
    """A reader of the working coding with this status, once its codings are known to fit the codebook."""
    working = working_coding(proj, parse_methods(method), status=status)
    reader = ProjectReader(proj, status, evidence=evidence, working=working)
    check_coded(proj.path.stem, book, orphan_quote_ids=reader.orphan_quote_ids, codes=reader.coded_codes())
    return reader


def print_working(working: WorkingCoding | None, table: ThemedTable | None = None) -> None:
    """Say on stderr what the figures count (the same sentences as the reports' headers)."""
    lines = table_lines(table) if table is not None else working_lines(working)
    for line in lines:
        err.print(line, markup=False)


def themed_table(
    project: Path, codebook: Path | None, status: StatusChoice, min_cell: int, *,
    max_quotes: int | None = MAX_QUOTES, memos: bool = False, engine: Engine | None = None,
    method: str | None = None,
) -> tuple[ThemedTable, Codebook]:
    """Open the project, choose the codebook and build the themed table, reading the project in batches.

    With an ``engine`` the batches are counted on its workers and their counts merged here.
    The table counts the working coding of ``method`` (default: the latest `code` run's).
    """
    with Project.open(project, create=False) as proj:
        book = _load_codebook_or_project(codebook, proj)
        reader = _reader(proj, book, status.value, method=method)
        digests = None
        if engine is not None:
            digests = lambda batches: (digest for _, digest in engine.map(digest_batch, batches, book.ids))  # noqa: E731
        table = themed_table_from_batches(
            proj.path.stem, book, reader.batches(details=False), reader.batch_of, min_cell=min_cell, max_quotes=max_quotes,
            memos=latest_memos(proj) if memos else None, digests=digests,
        ).model_copy(update={"working": reader.working})
        left_out = count_non_answers(proj)
    if left_out:
        err.print(
            f"{left_out:,} {'quote is a non-answer' if left_out == 1 else 'quotes are non-answers'} (such as "
            f"'Nothing.' or 'n/a') and left out of every count here; see them with: {command('non-answers')}"
        )
    if not any(c.n_quotes for c in table.codes):
        working = table.working
        methods = ", ".join(working.methods) if working and working.methods else "no"
        err.print(
            f"[yellow]warning:[/] no codings with status {status.value} from the {methods} suggestions (and "
            f"human decisions) in {project}; every theme will be empty. "
            + carry("Run `probation-themes code --codebook FILE` first, or choose another --status or --method.")
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
    ".docx": ReportFormat.docx, ".xlsx": ReportFormat.xlsx, ".md": ReportFormat.md, ".pdf": ReportFormat.pdf,
}


@app.command()
@user_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write; - for standard output.", show_default=False)],
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format", "-f",
            help="md, html, csv, docx (Word), xlsx (Excel) or pdf; default: from the output's extension "
            "(.md, .html, .csv, .docx, .xlsx, .pdf), else md.",
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
    method: MethodOption = None,
    codebook: CodebookOption = None,
    engine: EngineOption = EngineName.local,
    scheduler: SchedulerOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write the themed quote table: one section per code, counts, the splits, then the quotes.

    html is one offline page with theme × organisation and theme × region charts and filters;
    docx is a Word document with the quotes as in the inspectorate's report; xlsx has a
    summary sheet and one sheet per theme; pdf is a printable document. --min-cell
    suppresses small counts everywhere. The header says what the figures count: the
    method (--method), its `code` runs, codebook and the status filter. Counts always
    cover every quote; a theme with more quotes than --quotes shows that many, spread
    evenly through them in survey order, and says so.
    """
    splits = _split_list(by)
    attribution = () if attribute.strip() == "none" else _split_list(attribute)
    if fmt is None:
        fmt = _FORMAT_OF_SUFFIX.get(output.suffix.lower(), ReportFormat.md)
    if fmt is not ReportFormat.pdf and output.suffix.lower() == ".pdf":
        raise ExportError(
            f"The output {output.name} is named .pdf but --format {fmt.value} does not write a PDF. Use "
            f"--format pdf (or leave --format out), or name the file {output.stem}.{fmt.value}."
        )
    with engine_for(engine, scheduler) as runner:
        table, _ = themed_table(
            project, codebook, status, min_cell, max_quotes=_quotes_limit(quotes), memos=memos, engine=runner,
            method=method,
        )
    if fmt is ReportFormat.md:
        where = write_output(output, render_markdown(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.html:
        where = write_output(output, render_html(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.docx:
        where = write_binary(output, render_docx(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.xlsx:
        where = write_binary(output, render_xlsx(table, attribution=attribution, splits=splits))
    elif fmt is ReportFormat.pdf:
        from probation_themes.export.pdf_report import render_pdf  # reportlab loads only for a PDF

        where = write_binary(output, render_pdf(table, attribution=attribution, splits=splits))
    else:
        where = write_output(output, render_csv(table, attribution=attribution), csv_file=True)
        if str(output) != "-":
            write_text_atomic(metadata_path(output), csv_metadata(output.name, THEMED_HEADER, table_lines(table)))
    coded = sum(1 for c in table.codes if c.n_quotes)
    err.print(f"Wrote {where}: {coded} of {len(table.codes)} codes have quotes; {table.total_respondents:,} respondents.")
    print_working(table.working, table)


def stats_tables(table: ThemedTable, by: tuple[str, ...], *, shares: bool = False) -> list[Table]:
    """Rich tables of respondents coded: code × organisation and code × region.

    The region split (up to a dozen regions and more) is turned round — regions as
    rows, codes as numbered columns — so it fits an 80-column terminal; long region
    names wrap onto a second line rather than being cut.
    """
    tables = []
    mc = table.min_cell
    note = None
    if mc > 1:
        note = (f"<{mc}: fewer than {mc} respondents; {SECONDARY_MARK}: hidden so that a small count cannot be "
                "worked out from the totals (docs/confidentiality.md).")
    for split in by:
        rows = {c.code_id: (c.by_org if split == "org" else c.by_region) for c in table.codes}
        groups = list(table.respondents_by_org if split == "org" else table.respondents_by_region)
        title = f"Respondents coded, by {'organisation' if split == 'org' else 'region'} " \
                f"({table.total_respondents:,} respondents)"
        if split == "org":
            t = Table(title=title, title_justify="left", caption=escape(note) if note else None, caption_justify="left")
            t.add_column("code", overflow="fold")
            t.add_column("all", justify="right")
            for g in groups:
                t.add_column(escape(g.group), justify="right", overflow="fold")
            for c in table.codes:
                cells = [f"{coded_text(s, mc)} ({format_share(s.share)})" for s in rows[c.code_id]]
                t.add_row(*map(escape, [("  " * c.depth) + c.label,
                                         f"{c.n_respondents} ({format_share(c.share_of_respondents)})", *cells]))
        else:
            # Regions as rows and codes as numbered columns keep 12 codes within a
            # terminal's width; --share shows percentages of each region instead.
            legend = " ".join(f"{i}={c.code_id}" for i, c in enumerate(table.codes, 1))
            t = Table(
                title=title.replace("Respondents coded", "% of each region's respondents coded") if shares else title,
                title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False,
                caption=escape(legend + (f"\n{note}" if note else "")),
                caption_justify="left",
            )
            # Wrapped, not cut: "Kent, Surrey and Sussex" must stay readable in full.
            t.add_column(split, min_width=10, max_width=22, overflow="fold")
            t.add_column("n", justify="right")
            for i, _ in enumerate(table.codes, 1):
                t.add_column(str(i), justify="right")
            for gi, group in enumerate(groups):
                splits = [rows[c.code_id][gi] for c in table.codes]
                cells = (
                    ("–" if sp.share is None else f"{sp.share * 100:.0f}" for sp in splits) if shares
                    else (coded_text(sp, mc) for sp in splits)
                )
                t.add_row(*map(escape, [group.group, format_count(group.respondents, mc, group.hidden), *cells]))
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
        typer.Option("--ci", help="Shares of respondents per group with Wilson score 95% intervals, for codes and "
                                  "the last topics run."),
    ] = False,
    method: MethodOption = None,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Print code × organisation and code × region counts of respondents (with --ci: shares and intervals).

    The figures count one working coding (see --method), named above the tables and
    in the JSON's "working_coding".
    """
    chosen = _split_list(by)
    bad = [b for b in chosen if b not in ("org", "region")]
    if bad:
        raise ExportError(f"--by takes org and/or region, not {', '.join(bad)}; for example --by org,region.")
    if ci:
        with Project.open(project, create=False) as proj:
            book = _load_codebook_or_project(codebook, proj)
            working = working_coding(proj, parse_methods(method), status=status.value)
            prevalence = group_prevalence(proj, book, chosen, status=status.value, min_cell=min_cell,
                                          working=working, protect=protect_row)
        about = working_lines(working, book.name, book.version)
        if as_json:
            print_json({"working_coding": working.model_dump(mode="json"), "counts": about,
                        "interval": INTERVAL, "min_cell": min_cell,
                        "tables": [asdict(p) for p in prevalence]})
        else:
            for line in about:
                out.print(line, markup=False)
            for t in prevalence_tables(prevalence):
                out.print(t)
        return
    table, _ = themed_table(project, codebook, status, min_cell, max_quotes=0, method=method)  # counts only
    if as_json:
        data = table.model_dump(mode="json")
        for code in data["codes"]:
            code.pop("quotes", None)
        print_json({"counts": table_lines(table), **data})
        return
    for line in table_lines(table):
        out.print(line, markup=False)
    for t in stats_tables(table, chosen, shares=share):
        out.print(t)


export_app = typer.Typer(help="Export codings and rejected rows as CSV for Excel and other tools.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(export_app, name="export")


class WideLayout(str, Enum):
    respondent = "respondent"
    quote = "quote"


def _export_columns(value: str, names: list[str]) -> tuple[str, ...]:
    """The region, org and attribute columns `--attribute` names for `export codings --wide`."""
    value = value.strip()
    if value.lower() == "none":
        return ()
    if value.lower() == "all":
        return ("region", "org", *names)
    chosen = _split_list(value)
    lookup = {n.casefold(): n for n in names}
    unknown = [c for c in chosen if c not in ("region", "org") and c.casefold() not in lookup]
    if unknown:
        known = ", ".join(("region", "org", *names))
        raise ExportError(
            f"--attribute names the columns to add: {known}; 'all' or 'none'. {', '.join(map(repr, unknown))} "
            "is not one of them (attributes are the --attr-col columns given to ingest)."
        )
    return tuple(c if c in ("region", "org") else lookup[c.casefold()] for c in chosen)


@export_app.command("codings")
@user_errors
def export_codings(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write; - for standard output.", show_default=False)],
    wide: Annotated[bool, typer.Option("--wide", help="One row per respondent (or quote, see --per), one 0/1 column "
                                                      "per code, with region, organisation and attribute columns.")] = False,
    per: Annotated[
        WideLayout, typer.Option("--per", help="With --wide: one row per respondent, or per quote (with its question).")
    ] = WideLayout.respondent,
    attribute: Annotated[
        str,
        typer.Option("--attribute", help="With --wide: columns to add after the ids: region, org, attribute names "
                                         "(from ingest's --attr-col), all, or none."),
    ] = "all",
    min_cell: Annotated[
        int,
        typer.Option("--min-cell", min=0, help="With --wide: write a region, organisation or attribute value that "
                                               "fewer than N respondents share as '(fewer than N)'."),
    ] = 0,
    status: Annotated[
        Optional[StatusChoice],
        typer.Option("--status", help="Which codings to include (default: all for long form, default for wide)."),
    ] = None,
    method: MethodOption = None,
    codebook: CodebookOption = None,
    coder: Annotated[
        Optional[list[str]],
        typer.Option("--coder", help="Long form: also write the codings imported as this coder (method import, "
                                     "decided_at the date they were coded, if known); give once per coder.",
                     show_default=False),
    ] = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write codings as CSV: long (response_id, quote_id, code, label, method, confidence, status, evidence,
    coder, decided_at, memo, quote_memo) or wide (one 0/1 column per code).

    With --coder, an imported coder's codings are rows of their own (method import), with the
    date each was coded, where the file it came from gave one, in decided_at.

    What the file counts (method, runs, codebook, status) is written beside it as
    NAME.csv-metadata.json (W3C CSV on the Web), and said on the terminal.
    """
    chosen = status or (StatusChoice.default if wide else StatusChoice.all)
    if wide and chosen in (StatusChoice.rejected, StatusChoice.all):
        raise ExportError(
            f"The wide form marks the codes that apply (1) or not (0), so --status {chosen.value} cannot be "
            "shown in it. Use the long form (without --wide), which has a status column for every coding."
        )
    if wide and coder:
        raise ExportError("--coder adds an imported coder's codings as rows of their own, which only the long form "
                          "has; leave out --wide (or compare coders with `probation-themes agree`).")
    with Project.open(project, create=False) as proj:
        book = _load_codebook_or_project(codebook, proj)
        reader = _reader(proj, book, chosen.value, evidence=not wide, method=method)
        imported = imported_codings(proj, [c.strip() for c in coder]) if coder else []
        # An imported coding is applied: it is among the accepted codings, not the suggested or rejected.
        imported = imported if chosen.value in ("all", "default", "accepted") else []
        unknown = sorted({c.code for c in imported} - set(book.ids))
        if unknown:
            raise ExportError(
                f"The imported codings use codes the codebook '{book.name}' lacks ({', '.join(unknown[:10])}). "
                "Export with the codebook they were imported with (--codebook FILE)."
            )
        if wide:
            columns = _export_columns(attribute, attribute_names(proj))
            header = wide_header(book, columns, per.value)
            rows = _Counted(wide_rows(reader.batches(details=False), book, columns=columns,
                                      details=lambda ids: quote_details(proj, ids), per=per.value, min_cell=min_cell))
        else:
            header, rows = LONG_HEADER, _Counted(long_rows(with_imported(reader.batches(), imported), book,
                                                           latest_memos(proj)))
        where = write_output(output, csv_chunks(header, rows, checked=wide), csv_file=True)
        about = working_lines(reader.working, book.name, book.version)
        if wide and min_cell > 1:
            about.append(f"Values shared by fewer than {min_cell} respondents are written as '(fewer than {min_cell})'.")
        if str(output) != "-":
            write_text_atomic(metadata_path(output), csv_metadata(
                output.name, header, about, working_coding=reader.working.model_dump(mode="json")
                if reader.working else None))
    layout = f"wide form, one row per {per.value}" if wide else "long form"
    err.print(f"Wrote {where}: {rows.n:,} rows ({layout}, status {chosen.value})"
              + (f"; what it counts is in {metadata_path(output)}." if str(output) != "-" else "."))
    print_working(reader.working)


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
