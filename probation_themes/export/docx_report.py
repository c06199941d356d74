"""The themed quote table as a Word document, laid out like the inspectorate's report and ready to edit.

Each theme is a heading with its counts, a small table of respondents coded by
organisation and/or region, and its quotes as block quotations: the words in quotation
marks and italics, then the attribution, e.g. ``“Caseloads are too high.” (London, CRC)``.
Titles, headings and tables use Word's built-in styles, so a house style applies in one click.

Quotes are indented paragraphs with direct formatting rather than Word's "Quote" style, and are
inserted before an empty paragraph closing their section: python-docx looks a style up and
appends a paragraph by scanning the whole document each time, which made a report of 15,000
quotes take minutes instead of seconds.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from probation_themes.export.format import (
    ATTRIBUTES,
    SPLIT_TITLES,
    attribution_text,
    check_attribution,
    check_splits,
    code_line,
    coded_text,
    format_share,
    group_text,
    groups_line,
    listing_line,
    plural,
    suppression_note,
    table_lines,
)
from probation_themes.export.safety import xml_safe
from probation_themes.export.table import Split, ThemedTable
from probation_themes.export.xlsx_report import stable_zip

_FIXED_DATE = datetime(2000, 1, 1)


def _clean(text: str) -> str:
    return xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")


def _table(document: Document, header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row)):
            cell.text = _clean(text)
            if i >= numeric_from:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _split_rows(rows: Sequence[Split], min_cell: int) -> list[list[str]]:
    return [[s.group, coded_text(s, min_cell), group_text(s, min_cell), format_share(s.share)] for s in rows]


def render_docx(
    table: ThemedTable, *, attribution: Sequence[str] = ATTRIBUTES, splits: Sequence[str] = ("org",)
) -> bytes:
    """Write the themed quote table as a Word (.docx) document.

    It opens with the totals and a counts table of every code, then one section per code
    (headings nested as the codes are) with its counts, a table of respondents coded by
    each chosen split, and its quotes in italics inside quotation marks followed by
    their attribution. Counts under ``min_cell`` show as ``<N`` and a note says why.

    Args:
        table: the table from :func:`~probation_themes.export.table.build_themed_table`.
        attribution: which of ``region`` and ``org`` attribute each quote.
        splits: which splits to tabulate under each code: ``org``, ``region`` or both.

    Returns:
        The .docx file's bytes; the same table always gives the same bytes.

    Raises:
        ExportError: an attribution or split other than ``region`` and ``org`` was asked for.
    """
    attribution = check_attribution(attribution)
    splits = check_splits(splits)
    document = Document()
    props = document.core_properties
    props.author = props.last_modified_by = "probation_themes"
    props.created = props.modified = _FIXED_DATE
    props.revision = 1
    props.title = _clean(f"{table.project}: themed quotes")

    document.add_heading(_clean(props.title), level=0)
    document.add_paragraph(
        _clean(f"{plural(table.total_quotes, 'quote')} from {plural(table.total_respondents, 'respondent')}. "
               f"{listing_line(table)} "
               f"Respondents by former organisation: {groups_line(table.respondents_by_org, table.min_cell)}.")
    )
    for line in table_lines(table):
        document.add_paragraph(_clean(line))
    if table.min_cell > 1:
        document.add_paragraph(f"To protect respondents, {suppression_note(table.min_cell)}")
    document.add_heading("Codes", level=1)
    _table(
        document, ["Code", "Quotes", "Respondents", "% of respondents"],
        [[("    " * c.depth) + c.label, str(c.n_quotes), str(c.n_respondents), format_share(c.share_of_respondents)]
         for c in table.codes],
        numeric_from=1,
    )
    for code in table.codes:
        document.add_heading(_clean(code.label), level=min(1 + code.depth, 4))
        document.add_paragraph(_clean(code_line(code)))
        for split in splits:
            rows = code.by_org if split == "org" else code.by_region
            _table(document, [SPLIT_TITLES[split], "Respondents coded", "Respondents in group", "%"],
                   _split_rows(rows, table.min_cell), numeric_from=1)
        if not code.n_quotes:
            document.add_paragraph("No quotes were coded with this code.")
        end = document.add_paragraph()
        for quote in code.quotes:
            paragraph = end.insert_paragraph_before()
            paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = Cm(1)
            paragraph.paragraph_format.space_after = Pt(8)
            paragraph.add_run(f"“{_clean(quote.text).strip()}”").italic = True
            cite = attribution_text(quote, attribution)
            if cite:
                paragraph.add_run(f" {_clean(cite)}")
            for memo in (quote.memo, quote.quote_memo):
                if memo:
                    paragraph.add_run().add_break()
                    paragraph.add_run(f"Memo: {_clean(memo)}")
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue())
