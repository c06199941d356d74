"""The themed quote table as a PDF: the same sections as the Word report, ready to print or send.

Written with reportlab (offline; no browser or office suite needed). Text is set in
DejaVu Sans where the system has it (it covers Latin, Greek and Cyrillic letters such
as ``Ł``), else in the Bitstream Vera font reportlab ships, which covers Western European
letters only. The same table always gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
from probation_themes.export.table import ThemedTable

# Where systems keep DejaVu Sans (Debian/Ubuntu, Fedora, Arch, macOS with it installed, Windows).
_FONT_PLACES = (
    "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
    "/Library/Fonts", str(Path.home() / "Library/Fonts"), "C:/Windows/Fonts",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fonts() -> tuple[str, str, str]:
    """Register and name the regular, bold and italic fonts (DejaVu Sans if found, else Vera)."""
    for folder in _FONT_PLACES:
        files = [Path(folder) / f for f in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")]
        if all(f.is_file() for f in files):
            names = ("PTSans", "PTSans-Bold", "PTSans-Italic")
            break
    else:
        import reportlab

        folder = Path(reportlab.__file__).parent / "fonts"
        files = [folder / f for f in ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf")]
        names = ("PTVera", "PTVera-Bold", "PTVera-Italic")
    for name, path in zip(names, files):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(names[0], normal=names[0], bold=names[1], italic=names[2], boldItalic=names[1])
    return names


def _text(value: str) -> str:
    """Project text made safe for reportlab's paragraph markup (which is XML)."""
    return escape(_CONTROL.sub("", value)).replace("\n", "<br/>")


def render_pdf(
    table: ThemedTable, *, attribution: Sequence[str] = ATTRIBUTES, splits: Sequence[str] = ("org",)
) -> bytes:
    """Write the themed quote table as an A4 PDF document.

    It opens with the totals, what the figures count (method, runs, codebook, status)
    and the small-cell note, then a table of every code, then one section per code with
    its counts, a table per chosen split and its quotes with their attribution.

    Args:
        table: the table from :func:`~probation_themes.export.table.build_themed_table`.
        attribution: which of ``region`` and ``org`` attribute each quote.
        splits: which splits to tabulate under each code: ``org``, ``region`` or both.

    Returns:
        The PDF's bytes; the same table always gives the same bytes.

    Raises:
        ExportError: an attribution or split other than ``region`` and ``org`` was asked for.
    """
    attribution = check_attribution(attribution)
    splits = check_splits(splits)
    regular, bold, italic = _fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9.5, leading=12.5)
    note = ParagraphStyle("note", parent=body, textColor=colors.HexColor("#555555"), fontSize=8.5, leading=11)
    quote = ParagraphStyle("quote", parent=body, fontName=italic, leftIndent=10 * mm, rightIndent=10 * mm,
                           spaceAfter=5)
    heads = [ParagraphStyle(f"h{i}", parent=base[f"Heading{min(i, 4)}"], fontName=bold) for i in range(1, 5)]
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)

    def grid(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
        data = [[Paragraph(_text(h), ParagraphStyle("th", parent=cell, fontName=bold)) for h in header]]
        data += [[Paragraph(_text(v), cell) for v in row] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#d0d0d0")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return t

    width = A4[0] - 40 * mm
    story: list = [
        Paragraph(_text(f"{table.project}: themed quotes"), heads[0]),
        Paragraph(_text(
            f"{plural(table.total_quotes, 'quote')} from {plural(table.total_respondents, 'respondent')}. "
            f"{listing_line(table)} Respondents by former organisation: "
            f"{groups_line(table.respondents_by_org, table.min_cell)}."), body),
    ]
    story += [Paragraph(_text(line), note) for line in table_lines(table)]
    if table.min_cell > 1:
        story.append(Paragraph(_text(f"To protect respondents, {suppression_note(table.min_cell)}"), note))
    story += [Spacer(1, 4 * mm), Paragraph("Codes", heads[1])]
    story.append(grid(
        ["Code", "Quotes", "Respondents", "% of respondents"],
        [[("    " * c.depth) + c.label, str(c.n_quotes), str(c.n_respondents), format_share(c.share_of_respondents)]
         for c in table.codes],
        [width * 0.55, width * 0.15, width * 0.15, width * 0.15],
    ))
    for code in table.codes:
        section: list = [Paragraph(_text(code.label), heads[min(1 + code.depth, 3)]), Paragraph(_text(code_line(code)), body)]
        for split in splits:
            rows = code.by_org if split == "org" else code.by_region
            section.append(grid(
                [SPLIT_TITLES[split], "Respondents coded", "Respondents in group", "%"],
                [[s.group, coded_text(s, table.min_cell), group_text(s, table.min_cell), format_share(s.share)]
                 for s in rows],
                [width * 0.4, width * 0.2, width * 0.2, width * 0.2],
            ))
            section.append(Spacer(1, 2 * mm))
        story.append(KeepTogether(section))
        if not code.n_quotes:
            story.append(Paragraph("No quotes were coded with this code.", note))
        for row in code.quotes:
            cite = attribution_text(row, attribution)
            text = f"“{_text(row.text.strip())}”" + (f' <font name="{regular}">{_text(cite)}</font>' if cite else "")
            story.append(Paragraph(text, quote))
            for memo in (row.memo, row.quote_memo):
                if memo:
                    story.append(Paragraph(_text(f"Memo: {memo}"), ParagraphStyle("memo", parent=note,
                                                                                 leftIndent=10 * mm)))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=f"{table.project}: themed quotes", author="probation_themes", creator="probation_themes",
        invariant=1,  # no creation date or random id: the same table gives the same bytes
    )
    document.build(story)
    return buffer.getvalue()
