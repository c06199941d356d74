"""CSV exports: the themed table, and codings in long and wide form.

Every function returns CSV text (CRLF line ends, cells quoted only when needed, every
cell neutralised against spreadsheet formulas by :func:`safe_cell`). Write it with
:func:`write_csv_atomic`, which saves UTF-8 with a byte-order mark so Excel opens
accented text correctly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from probation_themes.codebook import Codebook
from probation_themes.export.safety import csv_text
from probation_themes.export.format import ATTRIBUTES, check_attribution
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
        elif item.weight is not None:
            part += f" ({format_number(item.weight)})"
        parts.append(part)
    return "; ".join(dict.fromkeys(parts))


def render_csv(table: ThemedTable, *, attribution: Sequence[str] = ATTRIBUTES) -> str:
    """The themed quote table as CSV: one row per (code, quote), codes in codebook order.

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
    memos = memos or {}
    quotes = {q.quote_id: (i, q) for i, q in enumerate(snapshot.quotes)}
    code_pos = {cid: i for i, cid in enumerate(codebook.ids)}
    ordered = sorted(
        snapshot.codings,
        key=lambda c: (quotes[c.quote_id][0], code_pos[c.code], c.method, c.coder or "", c.status),
    )
    rows = []
    for c in ordered:
        quote = quotes[c.quote_id][1]
        rows.append((
            quote.response_id, c.quote_id, c.code, codebook.get(c.code).label, c.method,
            format_number(c.confidence), c.status, format_evidence(c.evidence), c.coder or "",
            c.decided_at.isoformat(timespec="seconds") if c.decided_at else "",
            memos.get((c.quote_id, c.code), ""), memos.get((c.quote_id, ""), ""),
        ))
    return csv_text(LONG_HEADER, rows)


def export_codings_wide(snapshot: Snapshot, codebook: Codebook) -> str:
    """One row per respondent with a 0/1 column per code, for crosstabs and regression.

    Columns: response_id, then every code id in codebook order. A cell is 1 when any
    quote of that respondent has a coding of that code that is not rejected. Respondents
    appear in the order of their first quote, including those with no codes.

    Raises:
        ExportError: a coding names a quote or code that the snapshot or codebook lacks.
    """
    check_snapshot(snapshot, codebook)
    respondent_of = {q.quote_id: q.response_id for q in snapshot.quotes}
    respondents = list(dict.fromkeys(q.response_id for q in snapshot.quotes))
    coded = {(respondent_of[c.quote_id], c.code) for c in snapshot.codings if c.status != "rejected"}
    rows = [
        [rid] + ["1" if (rid, cid) in coded else "0" for cid in codebook.ids] for rid in respondents
    ]
    return csv_text(["response_id", *codebook.ids], rows)


REJECTS_HEADER = ("source", "row", "reason", "detail", "raw")


def export_rejects(rejects: Sequence[Reject]) -> str:
    """Every rejected input row as CSV (source, row, reason, detail, raw), in ingest order.

    Lets a researcher check that no answer was lost: each row here, plus each row that
    produced quotes, adds up to the rows read.
    """
    return csv_text(REJECTS_HEADER, ((r.source, r.row, r.reason, r.detail, r.raw or "") for r in rejects))
