"""Import another coder's codings (or a gold standard) into a project, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from probation_themes.codebook import Codebook
from probation_themes.codebook.implied import ancestors, is_implied, with_counts
from probation_themes.errors import CoderError, IngestError, StoreError
from probation_themes.ingest.codings import Layout, Level, read_codings
from probation_themes.ingest.qdpx import NO_USER, is_machine_user, qdpx_users, read_qdpx_codings
from probation_themes.ingest.redact import Redactor
from probation_themes.models import Run
from probation_themes.store import Project
from probation_themes.store.redactions import was_redacted
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
    #: Ids in the file the project lacks whose rows applied no code (skipped, e.g. dropped at ingest).
    skipped_ids: list[str] = field(default_factory=list)
    #: Codes this import added to the project's implied codebook (there was no real codebook).
    created_codes: list[str] = field(default_factory=list)
    #: Whether the codebook used is one implied by imported code names (placeholder definitions).
    implied_codebook: bool = False
    codebook_version: str = ""
    #: The sub-code separator read in code names, if any.
    separator: str | None = None
    #: Whether a sub-code also counted as coding its parent (``roll_up_subcodes``).
    rolled_up: bool = False
    rolled_up_codings: int = 0
    #: When only one user's codings were read from a REFI-QDA project: that user.
    coder_in_file: str | None = None
    #: Whether rows were matched to answers by their text, because no id of the file was the project's.
    matched_by_text: bool = False
    #: The column the units were read from (ids, or the response text when matched by text).
    id_column: str = ""
    #: Every coder imported into the project, this one included, sorted.
    other_coders: list[str] = field(default_factory=list)
    #: The earliest and latest date of the codings read, where the file dates them (REFI-QDA).
    coded_between: tuple[str, str] | None = None
    #: How many of the codings stored carry their date (REFI-QDA); coding sheets carry none.
    dated_codings: int = 0
    #: A REFI-QDA project's users with codings, and how many each made.
    users_in_file: list[tuple[str, int]] = field(default_factory=list)
    #: The other users' codings, left out because one user was chosen: (user, codings).
    left_out: list[tuple[str, int]] = field(default_factory=list)
    #: Codings whose date was not a date (stored undated).
    unreadable_dates: int = 0


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


def check_single_choice(book: Codebook, positives: tuple[tuple[str, str], ...], source: str, level: str) -> None:
    """Refuse codings that give one unit two codes of a single-choice group, naming the units (rows)."""
    groups = book.single_choice_groups()
    if not groups:
        return
    group_of = {code: g for g in groups for code in g.codes}
    seen: dict[tuple[str, str], list[str]] = {}
    for unit, code in positives:
        group = group_of.get(code)
        if group is not None:
            seen.setdefault((unit, group.name), []).append(code)
    order = {code: i for g in groups for i, code in enumerate(g.codes)}
    broken = sorted((unit, name, sorted(set(codes), key=order.__getitem__))
                    for (unit, name), codes in seen.items() if len(set(codes)) > 1)
    exactly = [g for g in groups if g.exactly_one]
    if not broken:
        return
    what = "respondent" if level == "response" else "quote"
    shown = "; ".join(f"{what} {unit}: {', '.join(codes)} ({name})" for unit, name, codes in broken[:8])
    more = f" and {len(broken) - 8:,} more" if len(broken) > 8 else ""
    raise StoreError(
        f"{source} was not imported, and nothing was stored, because {len(broken):,} {what}"
        f"{'s' if len(broken) != 1 else ''} {'have' if len(broken) != 1 else 'has'} two or more codes of a "
        f"single-choice group, which the codebook allows only one of: {shown}{more}. Correct those rows in the "
        "file (keep the one code that applies), or, if the coding frame lets an answer take several of them, "
        "remove the group's `exclusive` from the codebook"
        + (" (groups that take exactly one code are not checked for answers with none)" if exactly else "") + ".",
        path=Path(source),
    )


def _codebook(project: Project, codebook: Codebook | None) -> tuple[Codebook | None, bool]:
    """The codebook to check codes against, and whether names it lacks become new (implied) codes."""
    if codebook is not None:
        return codebook, False
    stored = project.latest_codebook()
    if stored is None or is_implied(stored):
        return stored, True
    return stored, False


def _redacting(redactor: Redactor):
    return lambda name: redactor.redact(name)[0]


def _counts(
    project: Project, book: Codebook, coder: str, level: str, positives: tuple[tuple[str, str], ...]
) -> dict[str, dict[str, tuple[int, str]]]:
    """code -> coder -> (units, level) for every imported coder, this import in place of the earlier one."""
    counts: dict[str, dict[str, tuple[int, str]]] = {}
    by_coder = {other: project.coder_codings(other) for other in project.coders() if other != coder}
    pairs = {other: (c.level, c.positives) for other, c in by_coder.items() if c is not None}
    pairs[coder] = (level, frozenset(positives))
    known = set(book.ids)
    for other in sorted(pairs, key=str.casefold):
        unit_level, applied = pairs[other]
        tally: dict[str, int] = {}
        for _unit, code in applied:
            if code in known:
                tally[code] = tally.get(code, 0) + 1
        for code, n in tally.items():
            counts.setdefault(code, {})[other] = (n, unit_level)
    return counts


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
    name_cols: tuple[str, ...] | list[str] = (),
    subcode_sep: str | None = None,
    roll_up_subcodes: bool = False,
    encoding: str | None = None,
    sheet: str | None = None,
) -> ImportReport:
    """Store a coder's codings from a long, wide or code-name table, replacing their earlier import.

    Every code is checked against ``codebook`` (else the codebook the project was last
    coded with) and every id against the project's responses or quotes. If anything is
    wrong nothing is stored and no run is recorded.

    A project with no codebook gets the one the codings imply: every code name becomes
    a code (sub-codes under their parents) with a placeholder definition saying who
    applied it how often, and later imports extend it, keeping each name's id. It is
    stored as the project's codebook, so ``agree`` compares coders on its codes and
    ``export codebook -o codebook.yaml`` writes it for the researcher to define.

    Args:
        project: the open project.
        path: the codings file (CSV, TSV or XLSX), or a REFI-QDA project (.qdpx) whose
            coded selections are matched to quotes (see :mod:`probation_themes.ingest.qdpx`).
        coder: who made the codings; not one of the machine coders' names.
        codebook: the codebook the codes come from.
        fmt, level, id_col, code_col, name_cols, subcode_sep, encoding, sheet: see
            :func:`probation_themes.ingest.codings.read_codings`; by default detected.
        roll_up_subcodes: a sub-code also codes its parent (and the parent's parent);
            by default a sub-code counts only as itself.

    Returns:
        The import's figures, per code in codebook order.

    Raises:
        CoderError: the coder name cannot be used.
        StoreError: the project holds no quotes yet.
        IngestError: the file cannot be read, or has unknown codes or ids.
    """
    name = check_coder_name(coder)
    book, create = _codebook(project, codebook)
    if not project.count_quotes():
        raise StoreError(
            f"The project {project.path} has no quotes, so there is nothing to match codings to. "
            "Ingest the survey first (`probation-themes ingest FILE`), then import the codings.",
            path=project.path,
        )
    # In a redacted project, code names that become codes are redacted as the quotes were.
    clean = _redacting(Redactor()) if create and was_redacted(project) else None
    if Path(path).suffix.lower() == ".qdpx":
        table = read_qdpx_codings(path, codebook=book, quotes=project.quotes(), create_codes=create, coder=name,
                                  clean_names=clean)
    else:
        table = read_codings(
            path, codebook=book, create_codes=create, response_ids=project.response_ids(),
            quote_ids=project.quote_ids(), fmt=fmt, level=level, id_col=id_col, code_col=code_col,
            name_cols=tuple(name_cols), subcode_sep=subcode_sep, encoding=encoding, sheet=sheet,
            codebook_name=f"the codebook '{book.name}'" if book else "the codebook",
            texts=lambda: ((q.text, q.response_id) for q in project.quotes()),
            clean_names=clean,
        )
    used = table.codebook or book
    if used is None:
        raise StoreError(f"{Path(path).name} names no code, so there is nothing to import.", path=Path(path))
    positives = table.positives
    dates = dict(table.coded_at)
    rolled = 0
    if roll_up_subcodes:
        extra = {(unit, parent) for unit, code in positives for parent in ancestors(used, code)} - set(positives)
        rolled = len(extra)
        positives = tuple(dict.fromkeys([*positives, *sorted(extra)]))
        for unit, code in table.positives:  # a parent rolled up is dated by its earliest sub-code
            for parent in ancestors(used, code):
                when = table.coded_at.get((unit, code))
                if (unit, parent) in extra and when and (unit, parent) not in table.coded_at:
                    dates[(unit, parent)] = min(when, dates.get((unit, parent), when))
    check_single_choice(used, positives, table.source, table.level)
    stored_hash = None
    if create:
        used = with_counts(book, used, _counts(project, used, name, table.level, positives))
        stored_hash = project.save_codebook(used)
    earlier = project.coder_codings(name)
    sha = file_sha256(path)
    run_id = project.start_run(
        Run(
            command="import-codings",
            parameters={
                "coder": name, "file": table.source, "sha256": sha, "format": table.format,
                "level": table.level, "id_column": table.id_column, "code_column": table.code_column,
                "value_column": table.value_column, "encoding": table.encoding, "sheet": sheet,
                "name_columns": list(table.name_columns), "subcode_separator": table.separator,
                "roll_up_subcodes": roll_up_subcodes, "skipped_ids": len(table.skipped_ids),
                "created_codes": list(table.created_codes), "codebook_hash": used.content_hash(),
                "coded_between": list(table.coded_between) if table.coded_between else None,
                "user_in_file": table.coder_in_file, "users_in_file": [list(u) for u in table.users_in_file],
                "left_out": [list(u) for u in table.left_out],
            },
            # The codebook's hash stays in the parameters: a run carrying it would make
            # this codebook the one reports use, and importing must not change reports.
            # Only a codebook the codings themselves imply (the project had none) is the
            # project's codebook from now on.
            codebook_name=used.name,
            codebook_version=used.version,
            codebook_hash=stored_hash,
            input_hash=sha,
            versions=library_versions(),
            started_at=datetime.now().astimezone(),
        )
    )
    try:
        units, codings = project.replace_coder_codings(
            name, table.level, table.units, positives, run_id=run_id, coded_at=dates
        )
    except BaseException:
        project.finish_run(run_id, status="failed")
        raise
    project.finish_run(run_id)
    counts = dict.fromkeys(used.ids, 0)
    for _unit, code in positives:
        counts[code] += 1
    return ImportReport(
        run_id=run_id, coder=name, source=table.source, format=table.format, level=table.level,
        units=units, codings=codings, per_code=counts, codebook_name=used.name,
        replaced=earlier is not None,
        replaced_units=len(earlier.units) if earlier else 0,
        replaced_codings=len(earlier.positives) if earlier else 0,
        missing_codes=list(table.missing_codes),
        skipped_ids=list(table.skipped_ids),
        created_codes=list(table.created_codes),
        implied_codebook=create,
        codebook_version=used.version,
        separator=table.separator,
        rolled_up=roll_up_subcodes,
        rolled_up_codings=rolled,
        coder_in_file=table.coder_in_file,
        matched_by_text=table.matched_by_text,
        id_column=table.id_column,
        other_coders=project.coders(),
        coded_between=table.coded_between,
        dated_codings=sum(1 for pair in positives if pair in dates),
        users_in_file=list(table.users_in_file),
        left_out=list(table.left_out),
        unreadable_dates=table.unreadable_dates,
    )


def import_each_user(
    project: Project,
    path: str | Path,
    *,
    codebook: Codebook | None = None,
    roll_up_subcodes: bool = False,
) -> list[ImportReport]:
    """Import every user of a REFI-QDA project as a coder of their own name, checking them all first.

    The users this toolkit's exports name after a method's suggestions (``rules (machine
    suggestion)``) are no coders: their codings are left out, and the last report says so.
    Each user's codings are read and checked before any is stored, so a file with a
    problem stores nothing. Each user then replaces their own earlier import.

    Raises:
        IngestError: the file is not a ``.qdpx``, names no user, or cannot be imported.
        CoderError: a user's name cannot be a coder name (blank, or a machine coder's).
    """
    path = Path(path)
    if path.suffix.lower() != ".qdpx":
        raise IngestError(
            f"{path.name} is not a REFI-QDA project (.qdpx); only those name their coders (users). "
            "Import a coding sheet with --coder NAME.", path=path,
        )
    users = qdpx_users(path)
    named = [user for user, _n in users if user != NO_USER and not is_machine_user(user)]
    if not named:
        raise IngestError(
            f"{path.name} names no user for its codings, so there is no coder to import them under. "
            "Import them with --coder NAME.", path=path,
        )
    for user in named:
        check_coder_name(user)
    for user in named:  # every user's codings read and checked before any is stored
        import_codings_check(project, path, coder=user, codebook=codebook)
    reports = [import_codings(project, path, coder=user, codebook=codebook, roll_up_subcodes=roll_up_subcodes)
               for user in named]
    for report in reports:  # the users imported now were not left out; the machine's suggestions are, once
        report.left_out = [(u, n) for u, n in report.left_out if u not in named and report is reports[-1]]
    return reports


def import_codings_check(project: Project, path: str | Path, *, coder: str, codebook: Codebook | None) -> None:
    """Read a ``.qdpx`` user's codings as :func:`import_codings` would, storing nothing (raises as it does)."""
    book, create = _codebook(project, codebook)
    read_qdpx_codings(path, codebook=book, quotes=project.quotes(), create_codes=create, coder=coder)
