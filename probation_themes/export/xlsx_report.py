"""The themed quote table as an Excel workbook: a summary sheet, then one sheet per theme.

Also the shared workbook writer the NVivo bundle uses. Every text cell goes through
:func:`~probation_themes.export.safety.safe_cell`, so no cell can run as a formula, and
the file's dates and zip entries are fixed, so the same table gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from probation_themes.export.format import (
    ATTRIBUTES,
    SPLIT_TITLES,
    attribution_text,
    check_attribution,
    check_splits,
    code_line,
    coded_text,
    format_count,
    suppression_note,
    table_lines,
)
from probation_themes.export.safety import safe_cell, xml_safe
from probation_themes.export.table import ThemedTable

#: Excel's longest sheet name.
MAX_SHEET_NAME = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FIXED_DATE = datetime(2000, 1, 1)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_BOLD = Font(bold=True)
_MAX_WIDTH = 80
_WRAP = Alignment(wrap_text=True, vertical="top")

Cell = str | int | float | None
#: A sheet: its name, its rows, and how many of the first rows are headings (bold, frozen).
Sheet = tuple[str, Sequence[Sequence[Cell]], int]


def sheet_name(label: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, made from a label: no ``[]:*?/\\``, at most 31 characters, unique.

    Names are compared ignoring case, as Excel does; a clash gets `` (2)``, `` (3)``... .
    ``taken`` is updated with the (case-folded) name returned.
    """
    base = " ".join(_FORBIDDEN.sub(" ", label).split()).strip("'") or "Sheet"
    if base.casefold() == "history":  # reserved by Excel
        base = "History code"
    name, n = base[:MAX_SHEET_NAME].rstrip(), 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix, n + 1
    taken.add(name.casefold())
    return name


def _cell(value: Cell) -> Cell:
    if isinstance(value, str) or value is None:
        return xml_safe(safe_cell(value))
    return value


def stable_zip(data: bytes) -> bytes:
    """Rewrite an Office file (a zip) with fixed entry dates and a fixed "modified" date.

    openpyxl stamps the time of saving into ``docProps/core.xml`` whatever the workbook says,
    and zip entries carry the time they were written; both would make every export differ.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>",
                                        content)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content, compresslevel=6)
    return out.getvalue()


def workbook_bytes(sheets: Iterable[Sheet]) -> bytes:
    """Write sheets of rows as an .xlsx file and return its bytes.

    Columns are as wide as their longest entry, up to 80 characters; longer text wraps.

    Args:
        sheets: (sheet name, rows, heading rows); names must already be valid (see
            :func:`sheet_name`); heading rows are bold and stay in view when scrolling.

    Returns:
        The workbook; every text cell neutralised against formulas.
    """
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "probation_themes"
    book.properties.created = book.properties.modified = _FIXED_DATE
    for title, rows, header_rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for number, row in enumerate(sheet.iter_rows(), 1):
            for cell in row:
                if number <= header_rows:
                    cell.font = _BOLD
                elif isinstance(cell.value, str) and len(cell.value) > _MAX_WIDTH:
                    cell.alignment = _WRAP
        for column in sheet.iter_cols(min_row=header_rows if header_rows > 1 else 1):
            longest = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(longest + 2, 8), _MAX_WIDTH)
        sheet.freeze_panes = sheet.cell(row=header_rows + 1, column=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue())


def _summary(table: ThemedTable, splits: Sequence[str]) -> list[list[Cell]]:
    groups = {
        split: [g.group for g in (table.respondents_by_org if split == "org" else table.respondents_by_region)]
        for split in splits
    }
    header: list[Cell] = ["Code", "Label", "Quotes", "Respondents", "% of respondents"]
    for split in splits:
        header += [f"{SPLIT_TITLES[split]}: {g}" for g in groups[split]]
    rows: list[list[Cell]] = [header]
    for code in table.codes:
        row: list[Cell] = [code.code_id, ("  " * code.depth) + code.label, code.n_quotes, code.n_respondents,
                           round(code.share_of_respondents * 100, 1)]
        for split in splits:
            cells = code.by_org if split == "org" else code.by_region
            row += [coded_text(s, table.min_cell) if s.n_coded is None else s.n_coded for s in cells]
        rows.append(row)
    group_row: list[Cell] = ["", "Respondents in group", None, table.total_respondents, None]
    for split in splits:
        sizes = table.respondents_by_org if split == "org" else table.respondents_by_region
        group_row += [format_count(None, table.min_cell, g.hidden) if g.respondents is None else g.respondents
                      for g in sizes]
    rows.append(group_row)
    if table.min_cell > 1:
        rows += [[], [f"To protect respondents, {suppression_note(table.min_cell)}"]]
    about = table_lines(table)
    if about:
        rows += [[], *([line] for line in about)]
    return rows


def render_xlsx(
    table: ThemedTable, *, attribution: Sequence[str] = ATTRIBUTES, splits: Sequence[str] = ("org", "region")
) -> bytes:
    """The themed quote table as an Excel workbook.

    The ``Summary`` sheet has one row per code: quotes, respondents, their share, and the
    respondents coded in each organisation and region (counts under ``min_cell`` shown as
    ``<N``), then the size of each group. Each theme then has its own sheet, named after
    its label (shortened to Excel's 31 characters and made unique), with the quotes in
    source order (under the full label and counts) and their attribution, status, methods and confidence.

    Args:
        table: the table from :func:`~probation_themes.export.table.build_themed_table`.
        attribution: which of ``region`` and ``org`` each quote is attributed by.
        splits: which splits the summary counts: ``org``, ``region`` or both.

    Returns:
        The .xlsx file's bytes.

    Raises:
        ExportError: an attribution or split other than ``region`` and ``org`` was asked for.
    """
    attribution = check_attribution(attribution)
    splits = check_splits(splits)
    taken: set[str] = set()
    sheets: list[Sheet] = [(sheet_name("Summary", taken), _summary(table, splits), 1)]
    for code in table.codes:
        rows: list[list[Cell]] = [
            [code.label], [code_line(code)],
            ["Quote", *(SPLIT_TITLES[a] for a in attribution), "Attribution", "Status", "Methods", "Confidence"],
        ]
        for quote in code.quotes:
            rows.append([
                quote.text, *(getattr(quote, a) for a in attribution), attribution_text(quote, attribution),
                quote.status, ", ".join(quote.methods),
                round(quote.confidence, 4) if quote.confidence is not None else None,
            ])
        sheets.append((sheet_name(code.label, taken), rows, 3))
    return workbook_bytes(sheets)
