"""CSV exports: the themed table, and codings in long and wide form.

Every function returns CSV text (CRLF line ends, cells quoted only when needed, every
cell neutralised against spreadsheet formulas by :func:`safe_cell`). Write it with
:func:`write_csv_atomic`, which saves UTF-8 with a byte-order mark so Excel opens
accented text correctly.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

from probation_themes.codebook import Codebook
from probation_themes.errors import ExportError
from probation_themes.export.format import ATTRIBUTES, check_attribution
from probation_themes.export.safety import CSV_FILE_ENCODING, csv_text, safe_cell, write_bytes_atomic
from probation_themes.export.table import ThemedTable, check_snapshot
from probation_themes.models import Evidence, Reject, Snapshot

# No respondent or quote ids: a themed report attributes quotes by the chosen
# attributes only, as the inspectorate promised its respondents (ids are in
# `export codings`, which is for the analyst, not for publication).
THEMED_HEADER = (
    "code_id", "code_label", "region", "org",
    "text", "method", "confidence", "status",
)
LONG_HEADER = (
    "response_id", "quote_id", "code", "label", "method", "confidence", "status", "evidence",
    "coder", "decided_at", "memo", "quote_memo",
)


def format_number(value: float | None) -> str:
    """A confidence or weight with at most four decimals (``0.8333``, ``1``); empty for None."""
    if value is None:
        return ""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_evidence(evidence: Sequence[Evidence]) -> str:
    """Evidence as one readable cell.

    Rule evidence reads ``caseload* → "caseloads" [12:21]`` (the rule term, the words it
    matched and their character offsets), with the rule named when it is not an ``any``
    term (``near: training ~ time → "time" [40:44]``); topic and model evidence reads as
    the term and its weight, e.g. ``topic 3: caseload, hours (0.412)``. Items are joined
    by ``; `` and an item repeated word for word is shown once.
    """
    parts: list[str] = []
    for item in evidence:
        part = item.term
        if item.kind == "rule":
            if item.rule and item.rule != "any":
                part = f"{item.rule}: {part}"
            if item.text:
                part += f' → "{item.text}"'
            if item.start is not None and item.end is not None:
                part += f" [{item.start}:{item.end}]"
        elif item.kind == "single_choice":
            part = f"single choice: {item.term}, {item.text}"
        elif item.weight is not None:
            part += f" ({format_number(item.weight)})"
        parts.append(part)
    return "; ".join(dict.fromkeys(parts))


def render_csv(table: ThemedTable, *, attribution: Sequence[str] = ATTRIBUTES) -> str:
    """The themed quote table as CSV: one row per (code, quote shown), codes in codebook order.

    Columns: code_id, code_label, region, org, text, method, confidence, status — no
    respondent or quote ids, so the file can be shared like the report itself. ``method`` lists every method that gave the code (``rules; topics``);
    ``confidence`` is the highest of their confidences. Codes without quotes have no rows.

    Args:
        table: the table from :func:`build_themed_table`.
        attribution: which of ``region`` and ``org`` to fill in; the other column is left
            empty, as the report's quotes would show it.
    """
    attribution = check_attribution(attribution)
    rows = []
    for code in table.codes:
        for q in code.quotes:
            rows.append((
                code.code_id, code.label,
                q.region if "region" in attribution else "",
                q.org if "org" in attribution else "",
                q.text, "; ".join(q.methods), format_number(q.confidence), q.status,
            ))
    return csv_text(THEMED_HEADER, rows)


def long_rows(
    batches: Iterable[tuple[Sequence, Sequence]], codebook: Codebook,
    memos: Mapping[tuple[str, str], str] | None = None,
) -> Iterator[tuple[str, ...]]:
    """The rows of the long export (see :func:`export_codings_long`), batch by batch.

    Args:
        batches: (quotes, codings) in source order, each quote's codings in its batch;
            codings carry ``seq`` (the quote's place in source order) and ``response_id``.
        codebook: labels and the order of codes; every coding's code must be in it.
        memos: the memo in force per (quote id, code id), code '' for the whole quote.
    """
    memos = memos or {}
    code_pos = {cid: i for i, cid in enumerate(codebook.ids)}
    for _, codings in batches:
        ordered = sorted(codings, key=lambda c: (c.seq, code_pos[c.code], c.method, c.coder or "", c.status))
        for c in ordered:
            yield (
                c.response_id, c.quote_id, c.code, codebook.get(c.code).label, c.method,
                format_number(c.confidence), c.status, format_evidence(c.evidence), c.coder or "",
                c.decided_at.isoformat(timespec="seconds") if c.decided_at else "",
                memos.get((c.quote_id, c.code), ""), memos.get((c.quote_id, ""), ""),
            )


def wide_rows(
    batches: Iterable[tuple[Sequence, Sequence]],
    codebook: Codebook,
    *,
    columns: Sequence[str] = (),
    details: Callable[[Sequence[str]], Mapping[str, tuple[str | None, Mapping[str, str]]]] | None = None,
    per: str = "respondent",
    min_cell: int = 0,
) -> Iterator[list[str]]:
    """The rows of the wide export (see :func:`export_codings_wide`), from batches as for :func:`long_rows`.

    Keeps one byte per respondent (or quote) and code while reading, never the quotes'
    text. Every cell is already passed through :func:`~probation_themes.export.safety.safe_cell`.

    Args:
        columns: ``region``, ``org`` and attribute names to add after the ids, in order.
        details: gives (question, attributes) of quote ids; needed for attribute columns
            and the per-quote layout.
        per: ``respondent`` (one row each, a code 1 when any of their quotes has it) or
            ``quote`` (one row per quote, with its question).
        min_cell: a region, organisation or attribute value shared by fewer than this many
            respondents is written as ``(fewer than N)``, as reports suppress small groups.
    """
    width = len(codebook.ids)
    code_pos = {cid: i for i, cid in enumerate(codebook.ids)}
    units: dict[str, int] = {}
    unit_of: dict[str, str] = {}  # quote id -> respondent (per quote)
    values: list[tuple[str, ...]] = []
    owners: dict[str, tuple[str, ...]] = {}  # respondent -> first values given
    questions: list[str] = []
    flags = bytearray()
    wants_details = bool(set(columns) - {"region", "org"}) or per == "quote"
    for quotes, codings in batches:
        info = details([q.quote_id for q in quotes]) if wants_details and details else {}
        for quote in quotes:
            question, attrs = info.get(quote.quote_id, (None, {}))
            row = tuple(
                (getattr(quote, c) or "").strip() if c in ("region", "org") else str(attrs.get(c, "") or "").strip()
                for c in columns
            )
            if columns:  # a respondent takes the first value each column is given
                known = owners.get(quote.response_id)
                if known is None:
                    owners[quote.response_id] = row
                elif "" in known:
                    owners[quote.response_id] = tuple(k or v for k, v in zip(known, row))
            key = quote.quote_id if per == "quote" else quote.response_id
            if key not in units:
                units[key] = len(units)
                if per == "quote":
                    unit_of[key] = quote.response_id
                    values.append(row)
                    questions.append(question or "")
        flags.extend(bytes(len(units) * width - len(flags)))
        for c in codings:
            if c.status != "rejected":
                key = c.quote_id if per == "quote" else c.response_id
                flags[units[key] * width + code_pos[c.code]] = 1
    small: list[set[str]] = [set() for _ in columns]
    if min_cell > 1:
        for j in range(len(columns)):
            sizes = Counter(v[j] for v in owners.values() if v[j])
            small[j] = {v for v, n in sizes.items() if n < min_cell}
    hidden = f"(fewer than {min_cell})"
    cells: dict[bytes, list[str]] = {}  # each pattern of codes spelled out once
    for key, i in units.items():
        pattern = bytes(flags[i * width : (i + 1) * width])
        if pattern not in cells:
            cells[pattern] = ["1" if f else "0" for f in pattern]
        row = values[i] if per == "quote" else owners.get(key, ("",) * len(columns))
        shown = [safe_cell(hidden if v in small[j] else v) for j, v in enumerate(row)]
        ids = [safe_cell(unit_of[key]), safe_cell(key), safe_cell(questions[i])] if per == "quote" else [safe_cell(key)]
        yield [*ids, *shown, *cells[pattern]]


def _snapshot_batches(snapshot: Snapshot) -> list[tuple[list, list]]:
    seq = {q.quote_id: (i, q.response_id) for i, q in enumerate(snapshot.quotes)}
    codings = [
        SimpleNamespace(**dict(c), seq=seq[c.quote_id][0], response_id=seq[c.quote_id][1]) for c in snapshot.codings
    ]
    return [(snapshot.quotes, codings)]


def export_codings_long(
    snapshot: Snapshot, codebook: Codebook, memos: Mapping[tuple[str, str], str] | None = None
) -> str:
    """Every coding as one CSV row, for analysis in a spreadsheet, R or pandas.

    Columns: response_id, quote_id, code, label, method, confidence, status, evidence,
    coder and decided_at (who accepted or rejected it, and when; empty while only
    suggested), memo (the memo on this code of this quote) and quote_memo (the memo on
    the whole quote). Rows follow the quotes' source order, then codebook order, then method.

    Args:
        memos: the memo in force per (quote id, code id), code '' for the whole quote.

    Raises:
        ExportError: a coding names a quote or code that the snapshot or codebook lacks.
    """
    check_snapshot(snapshot, codebook)
    return csv_text(LONG_HEADER, long_rows(_snapshot_batches(snapshot), codebook, memos))


def export_codings_wide(
    snapshot: Snapshot, codebook: Codebook, columns: Sequence[str] = (), *, per: str = "respondent",
    min_cell: int = 0,
) -> str:
    """One row per respondent (or quote) with a 0/1 column per code, for crosstabs and regression.

    Columns: response_id (with quote_id and question per quote), then ``columns``
    (``region``, ``org``, attribute names; none by default), then every code id in codebook order. A cell is 1 when any quote of that respondent has a
    coding of that code that is not rejected. Respondents appear in the order of their
    first quote, including those with no codes. See :func:`wide_rows` for ``min_cell``.

    Raises:
        ExportError: a coding names a quote or code that the snapshot or codebook lacks.
    """
    check_snapshot(snapshot, codebook)
    info = {q.quote_id: (q.question, q.attributes) for q in snapshot.quotes}
    rows = wide_rows(_snapshot_batches(snapshot), codebook, columns=columns, per=per, min_cell=min_cell,
                     details=lambda ids: {i: info[i] for i in ids})
    return "".join(csv_chunks(wide_header(codebook, columns, per), rows, checked=True))


def wide_header(codebook: Codebook, columns: Sequence[str] = (), per: str = "respondent") -> list[str]:
    """The wide export's columns: the ids (response_id; with quote_id and question per quote),
    the ``columns`` asked for (region, org, attributes), then every code id in codebook order."""
    ids = ["response_id", "quote_id", "question"] if per == "quote" else ["response_id"]
    return [*ids, *columns, *codebook.ids]


def csv_chunks(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, checked: bool = False, rows_per_chunk: int = 20_000
) -> Iterator[str]:
    """CSV text exactly as :func:`~probation_themes.export.safety.csv_text` writes it, a chunk of rows at a time.

    Joined, the chunks equal ``csv_text(header, rows)``, but a million rows never sit in memory at once.

    Args:
        header: the column names.
        rows: the rows.
        checked: the rows' cells have already been through
            :func:`~probation_themes.export.safety.safe_cell` (saves time on a million rows).
        rows_per_chunk: rows per chunk of text.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for n, row in enumerate(rows, 1):
        writer.writerow(row if checked else [safe_cell(cell) for cell in row])
        if n % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv_chunks_atomic(path: str | Path, chunks: Iterable[str]) -> Path:
    """Write CSV text chunk by chunk to ``path`` as UTF-8 with a byte-order mark, all or nothing.

    The file appears (or replaces the old one) only once every chunk is written, as with
    :func:`~probation_themes.export.safety.write_csv_atomic`, which it matches byte for byte.

    Raises:
        ExportError: the file could not be written.
    """
    encoder = codecs.getincrementalencoder(CSV_FILE_ENCODING)()  # the byte-order mark once, at the start
    try:
        return write_bytes_atomic(path, (encoder.encode(chunk) for chunk in chunks))
    except UnicodeEncodeError as exc:
        raise ExportError(
            f"Could not write {path}: some text cannot be saved as UTF-8 ({exc}). It came "
            "from the project's quotes or memos: correct that text there, then export again.",
            path=path,
        ) from None


def metadata_path(path: str | Path) -> Path:
    """Where the description of a CSV file goes: ``<name>.csv-metadata.json`` beside it (CSV on the Web)."""
    path = Path(path)
    return path.with_name(path.name + "-metadata.json")


def csv_metadata(name: str, header: Sequence[str], about: Sequence[str], **extra: object) -> str:
    """A W3C "CSV on the Web" metadata document describing a CSV export and what it counts.

    CSV has no room for a header that is not a row, so what the figures count (method,
    runs, codebook, status filter, decisions) is written beside the file, in the
    standard place a CSV's metadata is looked for.

    Args:
        name: the CSV file's name (the document's ``url``).
        header: its columns.
        about: sentences saying what it counts (see :func:`~probation_themes.export.format.working_lines`).
        extra: further facts to record under ``probation_themes``.
    """
    import json

    document = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": name,
        "dc:description": " ".join(about),
        "tableSchema": {"columns": [{"name": f"c{i}", "titles": h} for i, h in enumerate(header, 1)]},
        "probation_themes": {"counts": list(about), **extra},
    }
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"


REJECTS_HEADER = ("source", "row", "reason", "detail", "raw")


def reject_rows(rejects: Iterable[Reject]) -> Iterator[tuple[str, int, str, str, str]]:
    """The rows of :func:`export_rejects`, one per rejected input row, as they come."""
    return ((r.source, r.row, r.reason, r.detail, r.raw or "") for r in rejects)


def export_rejects(rejects: Iterable[Reject]) -> str:
    """Every rejected input row as CSV (source, row, reason, detail, raw), in ingest order.

    Lets a researcher check that no answer was lost: each row here, plus each row that
    produced quotes, adds up to the rows read.
    """
    return csv_text(REJECTS_HEADER, reject_rows(rejects))
