"""Ingest files into a project and account for every row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from probation_themes.errors import IngestError
from probation_themes.ingest import IngestOptions, read_file
from probation_themes.ingest.redact import Redactor, summarise
from probation_themes.models import IngestResult, Reject, Run
from probation_themes.store import Project
from probation_themes.store.redactions import redaction_writer
from probation_themes.workflows.distributed import Engine, LocalEngine
from probation_themes.workflows.provenance import file_sha256, library_versions


@dataclass
class FileReport:
    """Reconciliation of one file: rows read = rows that produced quotes + rows rejected."""

    path: str
    rows_read: int = 0
    responses: int = 0
    quotes: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    repaired: int = 0
    unknown_regions: dict[str, int] = field(default_factory=dict)
    unknown_orgs: dict[str, int] = field(default_factory=dict)
    skipped_because: str | None = None

    @property
    def rejected(self) -> int:
        """Number of rows rejected."""
        return sum(self.rejects_by_reason.values())

    @property
    def balanced(self) -> bool:
        """True when every row read is either a quote-producing row or a reject."""
        return self.rows_read == self.responses + self.rejected


@dataclass
class IngestReport:
    """What an ingest did, per file, and the project totals afterwards."""

    run_id: int
    files: list[FileReport]
    project_quotes: int
    redacted: dict[str, int] | None = None  # details replaced, by kind, when redacting


def _drop_known_quotes(result: IngestResult, known: set[str]) -> IngestResult:
    """Turn rows whose quote ids the project already holds into duplicate_id rejects."""
    if not known:
        return result
    dup_rows = {(q.source, q.row) for q in result.quotes if q.quote_id in known}
    rows_ids = {}
    for q in result.quotes:
        if (q.source, q.row) in dup_rows:
            rows_ids.setdefault((q.source, q.row), q.response_id)
    extra = [
        Reject(source=src, row=row, reason="duplicate_id",
               detail=f"response {rid!r} is already in the project from an earlier ingest")
        for (src, row), rid in sorted(rows_ids.items(), key=lambda kv: kv[0][1])
    ]
    return result.model_copy(
        update={
            "quotes": [q for q in result.quotes if (q.source, q.row) not in dup_rows],
            "rejects": sorted([*result.rejects, *extra], key=lambda r: r.row),
        }
    )


def _check_default_ids(project: Project, paths: list[Path]) -> None:
    """Refuse two different files with one name when ids come from file name + row.

    Without --id-col a response's id is '<file name>:<row>', so a second, different
    file with the same name would collide with the first one's ids row by row.
    """
    seen: dict[str, str] = {s.name: s.sha256 for s in project.sources()}
    for path in paths:
        sha = file_sha256(path)
        if path.name in seen and seen[path.name] != sha:
            raise IngestError(
                f"A different file named {path.name} is already in the project (or earlier in this "
                "command). Without --id-col, response ids are made from the file name and row, so its "
                f"rows would clash with the other file's. Rename {path} (for example survey_wave2.csv) "
                "or pass --id-col with a column of unique respondent ids.",
                path=path,
            )
        seen[path.name] = sha


def _read(path: Path, options: IngestOptions, redactor: Redactor | None) -> tuple[IngestResult, dict]:
    """Parse one file (and redact it): the part of ingest an engine may run elsewhere."""
    result = read_file(path, options)
    return redactor.redact_result(result) if redactor is not None else (result, {})


def ingest_files(
    project: Project,
    paths: Sequence[str | Path],
    options: IngestOptions,
    *,
    on_file: Callable[[str], None] | None = None,
    redactor: Redactor | None = None,
    engine: Engine | None = None,
) -> IngestReport:
    """Read every file, then store each file's quotes and rejects in one transaction.

    A file whose exact content is already in the project is skipped (and said so),
    so running the same command twice never doubles the data. Rows whose ids the
    project already holds become ``duplicate_id`` rejects. Nothing is stored, and no
    run recorded, unless every file could be read. With a ``redactor``, personal
    details are replaced in quotes and rejected rows before anything is stored, and
    what was replaced is recorded (see docs/confidentiality.md). An ``engine``
    (see :mod:`probation_themes.workflows.distributed`) parses the files, e.g. on
    a Dask cluster; the results, and so the project, are the same whichever runs it.
    """
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise IngestError(f"The file {p} does not exist. Check the path and its spelling.", path=p)
        if p.is_dir():
            raise IngestError(f"{p} is a folder; give the survey export or report file(s) inside it.", path=p)
    if not options.id_col:
        _check_default_ids(project, [Path(p) for p in paths])
    # Read every file before storing any (and before recording the run), so a bad
    # file leaves the project exactly as it was.
    reports: list[FileReport] = []
    redacted: Counter[str] = Counter()
    to_read: list[tuple[Path, str]] = []
    for path in paths:
        p = Path(path)
        if on_file:
            on_file(p.name)
        sha = file_sha256(p)
        earlier = project.find_source(sha)
        if earlier is not None or any(sha == s for _, s in to_read):
            where = f"as {earlier.name} in run {earlier.run_id}" if earlier else "earlier in this command"
            reports.append(
                FileReport(
                    path=str(p),
                    skipped_because=f"the same content was already ingested ({where}); nothing was added",
                )
            )
            continue
        to_read.append((p, sha))
    # Files are parsed (and redacted) by the engine: here, or one task per file on a
    # cluster, whose workers find the files by their absolute paths.
    parsed = (engine or LocalEngine()).map(_read, [p.absolute() for p, _ in to_read], options, redactor)
    pending = [(p, sha, result, log) for (p, sha), (_, (result, log)) in zip(to_read, parsed)]
    if pending and all(result.rows_read == 0 for _, _, result, _ in pending):
        names = ", ".join(p.name for p, _, _, _ in pending)
        raise IngestError(
            f"{names} {'has' if len(pending) == 1 else 'have'} a header row but no data rows, so there "
            "is nothing to ingest and the project was not changed. Check that the export holds the "
            "responses, not only the column names.",
            path=pending[0][0],
        )
    run_id = project.start_run(
        Run(
            command="ingest",
            parameters={
                "files": [str(Path(p).name) for p in paths], **options.model_dump(),
                **({"redact": redactor.parameters()} if redactor is not None else {}),
            },
            versions=library_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    try:
        for p, sha, result, log in pending:
            known = project.existing_quote_ids(q.quote_id for q in result.quotes)
            result = _drop_known_quotes(result, known)
            if log:  # the quotes and the record of what was replaced in them land together
                stored = {q.quote_id for q in result.quotes}
                log = {quote_id: found for quote_id, found in log.items() if quote_id in stored}
            project.add_ingest(
                result, sha256=sha, run_id=run_id, options=options.model_dump(),
                also=redaction_writer(log, run_id=run_id) if log else None,
            )
            redacted.update(summarise(log))
            reports.append(
                FileReport(
                    path=str(p),
                    rows_read=result.rows_read,
                    responses=result.responses_with_quotes,
                    quotes=len(result.quotes),
                    rejects_by_reason=dict(Counter(r.reason for r in result.rejects)),
                    encoding=result.encoding,
                    repaired=result.repaired,
                    unknown_regions=result.unknown_regions,
                    unknown_orgs=result.unknown_orgs,
                )
            )
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    return IngestReport(
        run_id=run_id, files=reports, project_quotes=project.count_quotes(),
        redacted=dict(redacted) if redactor is not None else None,
    )
