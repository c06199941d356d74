"""Theme × group charts: a shaded table (heat map) of the share of each group coded.

The heat map is an HTML table rather than a picture: its text stays selectable, at the
page's size, and wraps to fit the screen or the printed page; styles come from the
report's CSS, and the same table always gives the same bytes. Suppressed cells (under
``--min-cell``) are hatched with ``<N`` or ``[c]`` and no shade, so the chart never
shows more than the tables do.
"""

from __future__ import annotations

from html import escape

from probation_themes.export.format import SPLIT_TITLES, format_count, format_share
from probation_themes.export.table import ThemedTable

_LIGHT, _DARK = (0xF0, 0xF4, 0xFA), (0x08, 0x45, 0x94)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _shade(share: float) -> str:
    mix = [round(a + (b - a) * share) for a, b in zip(_LIGHT, _DARK)]
    return "#{:02X}{:02X}{:02X}".format(*mix)


def crosstab_svg(table: ThemedTable, split: str) -> str:
    """A heat map of codes (rows) by organisation or region (columns), as an HTML table.

    Each cell shows the share of the group's respondents coded with the code, shaded from
    light (0%) to dark (100%), with the count in its tooltip. Counts suppressed by the
    small-cell policy show ``<N`` or ``[c]`` on a hatched cell. Column headings are set
    vertically and wrap, so a dozen regions fit a 1280-pixel screen and an A4 page with
    every name in full at the page's own text size (an SVG scaled to fit shrank its text
    to 7 pixels and cut the names).

    Args:
        table: the themed table (its ``min_cell`` has already suppressed small counts).
        split: ``org`` or ``region``.

    Returns:
        A ``<table>`` element to put inline in an HTML page.
    """
    groups = [g.group for g in (table.respondents_by_org if split == "org" else table.respondents_by_region)]
    title = f"Share of each {SPLIT_TITLES[split].lower()}'s respondents coded with each code"
    head = "".join(f'<th scope="col" class="group"><span>{_e(g)}</span></th>' for g in groups)
    parts = [
        f'<table class="heat" aria-label="{_e(title)}">',
        f'<thead><tr><th scope="col" class="code">Code</th>{head}</tr></thead>',
        "<tbody>",
    ]
    for code in table.codes:
        rows = code.by_org if split == "org" else code.by_region
        indent = f' style="padding-left: {0.3 + 0.9 * code.depth:.1f}rem"' if code.depth else ""
        cells = []
        for cell in rows:
            count = format_count(cell.n_coded, table.min_cell, cell.hidden)
            of = format_count(cell.n_group, table.min_cell, cell.group_hidden)
            tip = f"{code.label} / {cell.group}: {count} of {of} respondents ({format_share(cell.share)})"
            if cell.share is None:
                cells.append(f'<td class="hidden" title="{_e(tip)}">{_e(count)}</td>')
            else:
                ink = "#ffffff" if cell.share > 0.45 else "#1a1a1a"
                cells.append(f'<td title="{_e(tip)}" style="background:{_shade(cell.share)};color:{ink}">'
                             f"{_e(format_share(cell.share))}</td>")
        parts.append(f'<tr><th scope="row"{indent}>{_e(code.label)}</th>{"".join(cells)}</tr>')
    parts += ["</tbody>", "</table>"]
    return "".join(parts)


def hidden_share(table: ThemedTable, split: str) -> float:
    """The share of a split's cells the small-cell policy hides (0 when it hides none)."""
    cells = [s for c in table.codes for s in (c.by_org if split == "org" else c.by_region)]
    return sum(1 for s in cells if s.share is None) / len(cells) if cells else 0.0
