"""Ingest files into a project and account for every row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from probation_themes.errors import IngestError
from probation_themes.ingest import IngestOptions, open_file, read_file
from probation_themes.ingest.build import BATCH_ROWS, FileSummary
from probation_themes.ingest.nonanswers import BUILTIN, NonAnswers, builtin_non_answers
from probation_themes.ingest.reader import read_source, source_sha256
from probation_themes.ingest.redact import Redactor, summarise
from probation_themes.models import IngestResult, Quote, Reject, Run
from probation_themes.store import IngestWriter, Project
from probation_themes.store.nonanswers import non_answer_writer
from probation_themes.store.redactions import redaction_writer
from probation_themes.workflows.distributed import Engine, LocalEngine
from probation_themes.workflows.provenance import library_versions


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
    #: What a survey platform's extra header rows were read as, if the file is such an export.
    survey_export: str | None = None
    #: Quotes flagged as non-answers (kept, but not coded or counted), and the rows that
    #: produced only non-answers. Both are among the quotes and rows above, not extra.
    non_answers: int = 0
    non_answer_rows: int = 0

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
    #: The list of non-answers used (see NonAnswers.parameters), or None with --keep-non-answers.
    non_answer_list: dict[str, object] | None = None


def _drop_known(
    quotes: list[Quote], rejects: list[Reject], known: set[str]
) -> tuple[list[Quote], list[Reject], int]:
    """Turn rows whose quote ids the project already holds into duplicate_id rejects.

    Returns the quotes kept, the rejects (in row order) and the number of rows turned away.
    """
    rows_ids: dict[tuple[str, int], str] = {}
    for q in quotes:
        if q.quote_id in known:
            rows_ids.setdefault((q.source, q.row), q.response_id)
    if not rows_ids:
        return quotes, rejects, 0
    extra = [
        Reject(source=src, row=row, reason="duplicate_id",
               detail=f"response {rid!r} is already in the project from an earlier ingest")
        for (src, row), rid in rows_ids.items()
    ]
    kept = [q for q in quotes if (q.source, q.row) not in rows_ids]
    return kept, sorted([*rejects, *extra], key=lambda r: r.row), len(rows_ids)


def _check_default_ids(seen: dict[str, str], path: Path, sha: str) -> None:
    """Refuse two different files with one name when ids come from file name + row.

    Without --id-col a response's id is '<file name>:<row>', so a second, different
    file with the same name would collide with the first one's ids row by row.
    ``seen`` maps the names of files already in the project (or earlier in this
    command) to their hashes; this file is added to it.
    """
    if path.name in seen and seen[path.name] != sha:
        raise IngestError(
            f"A different file named {path.name} is already in the project (or earlier in this "
            "command). Without --id-col, response ids are made from the file name and row, so its "
            f"rows would clash with the other file's. Rename {path} (for example survey_wave2.csv) "
            "or pass --id-col with a column of unique respondent ids.",
            path=path,
        )
    seen[path.name] = sha


def _read(path: Path, options: IngestOptions, redactor: Redactor | None) -> tuple[IngestResult, dict, str]:
    """Parse one whole file (and redact it): what an engine's worker does with a file.

    Returns the result, the redaction log and the sha256 of the bytes parsed.
    """
    data = read_source(path)
    result = read_file(path, options, data=data)
    result, log = redactor.redact_result(result) if redactor is not None else (result, {})
    return result, log, source_sha256(data)


#: One file's batches of (quotes, rejects, redaction log), then what was noticed reading it.
_Batches = Iterator[tuple[list[Quote], list[Reject], dict]]


def _local_batches(
    path: Path, data: bytes, options: IngestOptions, redactor: Redactor | None, batch_size: int
) -> tuple[_Batches, Callable]:
    """Read a file's bytes here, batch by batch, so the quotes held stay few however long the file."""
    reading = open_file(path, options, batch_size=batch_size, data=data)

    def batches() -> _Batches:
        for quotes, rejects in reading:
            if redactor is not None:
                yield redactor.redact_batch(quotes, rejects)
            else:
                yield quotes, rejects, {}

    return batches(), lambda: reading.summary


def _parsed_batches(result: IngestResult, log: dict) -> tuple[_Batches, Callable]:
    """A file an engine parsed whole elsewhere, as one batch."""
    summary = FileSummary(
        source=result.source, rows_read=result.rows_read, responses=result.responses_with_quotes,
        columns=result.columns, encoding=result.encoding, repaired=result.repaired,
        unknown_regions=result.unknown_regions, unknown_orgs=result.unknown_orgs,
    )
    return iter([(result.quotes, result.rejects, log)]), lambda: summary


def ingest_files(
    project: Project,
    paths: Sequence[str | Path],
    options: IngestOptions,
    *,
    on_file: Callable[[str], None] | None = None,
    redactor: Redactor | None = None,
    engine: Engine | None = None,
    batch_size: int = BATCH_ROWS,
    non_answers: NonAnswers | None | Literal["built-in"] = BUILTIN,
) -> IngestReport:
    """Read every file and store its quotes and rejects, all in one transaction.

    A file whose exact content is already in the project is skipped (and said so),
    so running the same command twice never doubles the data. Rows whose ids the
    project already holds become ``duplicate_id`` rejects. The run, every file's
    quotes and rejects and their reconciliation are stored in one transaction, so
    a file that cannot be read — even half way through — leaves the project exactly
    as it was, with no run recorded. Files are read batch by batch (see
    :func:`probation_themes.ingest.open_file`; ``batch_size`` quotes and rejects at a
    time), so memory does not grow with their length. With a ``redactor``, personal details are replaced in quotes and
    rejected rows before anything is stored, and what was replaced is recorded
    (see docs/confidentiality.md). An ``engine`` other than the local one (see
    :mod:`probation_themes.workflows.distributed`) parses whole files elsewhere,
    e.g. on a Dask cluster; the project is the same whichever runs it.

    Quotes that are non-answers ("Nothing.", "n/a", "No comment": see
    :mod:`probation_themes.ingest.nonanswers`) by the ``non_answers`` list — the
    built-in one unless another is given — are stored and flagged, so that they are
    not coded and count in no denominator; ``non_answers=None`` flags none. A row
    that produced only non-answers still counts among the rows with quotes.
    """
    if non_answers == BUILTIN:
        non_answers = builtin_non_answers()
    files: list[Path] = []
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise IngestError(f"The file {p} does not exist. Check the path and its spelling.", path=p)
        if p.is_dir():
            raise IngestError(f"{p} is a folder; give the survey export or report file(s) inside it.", path=p)
        files.append(p)
    run = Run(
        command="ingest",
        parameters={
            "files": [str(Path(p).name) for p in paths], **options.model_dump(),
            **({"redact": redactor.parameters()} if redactor is not None else {}),
            "non_answers": non_answers.parameters() if non_answers is not None else {"kept": True},
        },
        versions=library_versions(),
        started_at=datetime.now().astimezone(),
    )
    reports: list[FileReport] = []
    redacted: Counter[str] = Counter()
    names: dict[str, str] = {s.name: s.sha256 for s in project.sources()}
    hashes: set[str] = set()

    def skipped(p: Path, sha: str) -> FileReport | None:
        """The report of a file whose exact content is already in, or None to read it."""
        earlier = project.find_source(sha)
        if earlier is None and sha not in hashes:
            if not options.id_col:
                _check_default_ids(names, p, sha)
            hashes.add(sha)
            return None
        where = f"as {earlier.name} in run {earlier.run_id}" if earlier else "earlier in this command"
        return FileReport(
            path=str(p), skipped_because=f"the same content was already ingested ({where}); nothing was added"
        )

    read: list[FileReport] = []
    with project.ingesting(run) as writer:
        if engine is None or isinstance(engine, LocalEngine):
            # Each file is read once: its bytes are hashed and parsed from the same read, so a
            # file changed while the command runs is recorded under the hash of what was parsed.
            def readers() -> Iterator[tuple[Path, str, tuple[_Batches, Callable]]]:
                for p in files:
                    data = read_source(p)
                    sha = source_sha256(data)
                    report = skipped(p, sha)
                    if report is not None:
                        reports.append(report)
                        continue
                    batches = _local_batches(p, data, options, redactor, batch_size)
                    del data  # parsed (or held by the workbook reader): not kept twice
                    yield p, sha, batches
        else:  # one task per file on the engine's workers, which find the files by their absolute paths
            def readers() -> Iterator[tuple[Path, str, tuple[_Batches, Callable]]]:
                to_read = []
                for p in files:
                    sha = source_sha256(read_source(p))
                    report = skipped(p, sha)
                    if report is None:
                        to_read.append((p, sha))
                    else:
                        reports.append(report)
                parsed = engine.map(_read, [p.absolute() for p, _ in to_read], options, redactor)
                for (p, sha), (_, (result, log, parsed_sha)) in zip(to_read, parsed):
                    if parsed_sha != sha:
                        raise IngestError(
                            f"{p} changed while it was being ingested (its content when read here differs from "
                            "what the engine's worker read), so nothing was stored. Wait until the file is "
                            "completely written, then ingest it again.",
                            path=p,
                        )
                    yield p, parsed_sha, _parsed_batches(result, log)

        for p, sha, (batches, summary_of) in readers():
            if on_file:
                on_file(p.name)
            report = _store_file(writer, p, sha, batches, summary_of, options, redacted, non_answers)
            read.append(report)
            reports.append(report)
        if read and all(r.rows_read == 0 for r in read):
            names_read = ", ".join(Path(r.path).name for r in read)
            raise IngestError(
                f"{names_read} {'has' if len(read) == 1 else 'have'} a header row but no data rows, so there "
                "is nothing to ingest and the project was not changed. Check that the export holds the "
                "responses, not only the column names.",
                path=Path(read[0].path),
            )
    order = {str(p): i for i, p in enumerate(files)}
    reports.sort(key=lambda r: order.get(r.path, len(order)))
    return IngestReport(
        run_id=writer.run_id, files=reports, project_quotes=project.count_quotes(),
        redacted=dict(redacted) if redactor is not None else None,
        non_answer_list=non_answers.parameters() if non_answers is not None else None,
    )


def _store_file(
    writer: IngestWriter, path: Path, sha: str, batches: _Batches, summary_of: Callable[[], FileSummary],
    options: IngestOptions, redacted: Counter[str], non_answers: NonAnswers | None = None,
) -> FileReport:
    """Store one file's batches as they are read; returns its reconciliation."""
    source_id = writer.add_source(path.name, sha, options.model_dump())
    quotes_stored = 0
    turned_away = 0
    reasons: Counter[str] = Counter()
    flagged = 0
    rows = _RowsOfNonAnswers()
    for quotes, rejects, log in batches:
        known = writer.known_quote_ids(q.quote_id for q in quotes)
        if known:
            quotes, rejects, dropped = _drop_known(quotes, rejects, known)
            turned_away += dropped
            log = {quote_id: found for quote_id, found in log.items() if quote_id not in known}
        flags = _judge(quotes, non_answers, rows)
        # The quotes, the record of what was replaced in them and their flags land together.
        also = [w for w in (redaction_writer(log, run_id=writer.run_id) if log else None,
                            non_answer_writer(flags, run_id=writer.run_id) if flags else None) if w]
        writer.add(source_id, quotes, rejects, also=(lambda db: [w(db) for w in also]) if also else None)
        redacted.update(summarise(log))
        quotes_stored += len(quotes)
        flagged += len(flags)
        reasons.update(r.reason for r in rejects)
    summary = summary_of()
    writer.finish_source(
        source_id, encoding=summary.encoding, rows_read=summary.rows_read,
        responses=summary.responses - turned_away, quotes=quotes_stored, rejects=sum(reasons.values()),
    )
    return FileReport(
        path=str(path),
        rows_read=summary.rows_read,
        responses=summary.responses - turned_away,
        quotes=quotes_stored,
        rejects_by_reason=dict(reasons),
        encoding=summary.encoding,
        repaired=summary.repaired,
        unknown_regions=summary.unknown_regions,
        unknown_orgs=summary.unknown_orgs,
        survey_export=summary.survey_export,
        non_answers=flagged,
        non_answer_rows=rows.only_non_answers(),
    )


class _RowsOfNonAnswers:
    """Counts the rows of a file whose every quote is a non-answer, batch by batch."""

    def __init__(self) -> None:
        self._rows: dict[int, bool] = {}  # row -> every quote so far a non-answer

    def add(self, row: int, non_answer: bool) -> None:
        self._rows[row] = self._rows.get(row, True) and non_answer

    def only_non_answers(self) -> int:
        return sum(self._rows.values())


def _judge(quotes: Sequence[Quote], non_answers: NonAnswers | None, rows: _RowsOfNonAnswers) -> list[tuple[str, str]]:
    """(quote id, phrase) of the quotes that are non-answers, noting which rows held only those."""
    if non_answers is None:
        return []
    flags = []
    for q in quotes:
        phrase = non_answers.match(q.text)
        if phrase is not None:
            flags.append((q.quote_id, phrase))
        rows.add(q.row, phrase is not None)
    return flags
