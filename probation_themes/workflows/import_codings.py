"""Import another coder's codings (or a gold standard) into a project, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from probation_themes.codebook import Codebook
from probation_themes.errors import CodebookError, CoderError, StoreError
from probation_themes.ingest.codings import Layout, Level, read_codings
from probation_themes.ingest.qdpx import read_qdpx_codings
from probation_themes.models import Run
from probation_themes.store import Project
from probation_themes.workflows.provenance import file_sha256, library_versions

#: Names that stand for machine coders when coders are compared, so no person may use them.
MACHINE_CODERS = ("rules", "topics", "model", "all")


@dataclass
class ImportReport:
    """What an import stored: the coder, the units they covered and their codings per code."""

    run_id: int
    coder: str
    source: str
    format: str
    level: str
    units: int
    codings: int
    per_code: dict[str, int]
    codebook_name: str
    replaced: bool = False
    replaced_units: int = 0
    replaced_codings: int = 0
    missing_codes: list[str] = field(default_factory=list)


def check_coder_name(name: str) -> str:
    """Return the coder name without surrounding spaces, or explain why it cannot be used.

    Raises:
        CoderError: the name is blank or is one of the machine coders' names.
    """
    cleaned = name.strip()
    if not cleaned:
        raise CoderError(
            "The coder name is blank. Give the person (or gold standard) these codings come from, "
            "for example --coder alice or --coder gold."
        )
    if cleaned.casefold() in MACHINE_CODERS:
        raise CoderError(
            f"'{cleaned}' cannot be a coder name: {', '.join(MACHINE_CODERS)} stand for the machine coders "
            "when coders are compared with `agree`. Choose another name, for example --coder "
            f"{cleaned.casefold()}_human or the coder's initials."
        )
    return cleaned


def _codebook(project: Project, codebook: Codebook | None) -> Codebook:
    if codebook is not None:
        return codebook
    stored = project.latest_codebook()
    if stored is None:
        raise CodebookError(
            f"The project {project.path} has not been coded with a codebook yet, so the imported codes "
            "cannot be checked. Pass the codebook they belong to with --codebook FILE."
        )
    return stored


def import_codings(
    project: Project,
    path: str | Path,
    *,
    coder: str,
    codebook: Codebook | None = None,
    fmt: Layout | None = None,
    level: Level | None = None,
    id_col: str | None = None,
    code_col: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Store a coder's codings from a long or wide table, replacing their earlier import.

    Every code is checked against ``codebook`` (else the codebook the project was last
    coded with) and every id against the project's responses or quotes. If anything is
    wrong nothing is stored and no run is recorded.

    Args:
        project: the open project.
        path: the codings file (CSV, TSV or XLSX), or a REFI-QDA project (.qdpx) whose
            coded selections are matched to quotes (see :mod:`probation_themes.ingest.qdpx`).
        coder: who made the codings; not one of the machine coders' names.
        codebook: the codebook the codes come from.
        fmt, level, id_col, code_col, encoding, sheet: see
            :func:`probation_themes.ingest.codings.read_codings`; by default detected.

    Returns:
        The import's figures, per code in codebook order.

    Raises:
        CoderError: the coder name cannot be used.
        CodebookError: no codebook was given and the project has none.
        StoreError: the project holds no quotes yet.
        IngestError: the file cannot be read, or has unknown codes or ids.
    """
    name = check_coder_name(coder)
    book = _codebook(project, codebook)
    if not project.count_quotes():
        raise StoreError(
            f"The project {project.path} has no quotes, so there is nothing to match codings to. "
            "Ingest the survey first (`probation-themes ingest FILE`), then import the codings.",
            path=project.path,
        )
    if Path(path).suffix.lower() == ".qdpx":
        table = read_qdpx_codings(path, codebook=book, quotes=project.quotes())
    else:
        table = read_codings(
            path, code_ids=book.ids, response_ids=project.response_ids(), quote_ids=project.quote_ids(),
            fmt=fmt, level=level, id_col=id_col, code_col=code_col, encoding=encoding, sheet=sheet,
            codebook_name=f"the codebook '{book.name}'",
        )
    earlier = project.coder_codings(name)
    sha = file_sha256(path)
    run_id = project.start_run(
        Run(
            command="import-codings",
            parameters={
                "coder": name, "file": table.source, "sha256": sha, "format": table.format,
                "level": table.level, "id_column": table.id_column, "code_column": table.code_column,
                "value_column": table.value_column, "encoding": table.encoding, "sheet": sheet,
                "codebook_hash": book.content_hash(),
            },
            # The codebook's hash stays in the parameters: a run carrying it would make
            # this codebook the one reports use, and importing must not change reports.
            codebook_name=book.name,
            codebook_version=book.version,
            input_hash=sha,
            versions=library_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    try:
        units, codings = project.replace_coder_codings(
            name, table.level, table.units, table.positives, run_id=run_id
        )
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    counts = dict.fromkeys(book.ids, 0)
    for _unit, code in table.positives:
        counts[code] += 1
    return ImportReport(
        run_id=run_id, coder=name, source=table.source, format=table.format, level=table.level,
        units=units, codings=codings, per_code=counts, codebook_name=book.name,
        replaced=earlier is not None,
        replaced_units=len(earlier.units) if earlier else 0,
        replaced_codings=len(earlier.positives) if earlier else 0,
        missing_codes=list(table.missing_codes),
    )
