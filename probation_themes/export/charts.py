"""Theme × group charts as inline SVG: a shaded table (heat map) of the share of each group coded.

The SVG is written by hand rather than with a plotting library: a heat map is a grid of
rectangles and labels, the text stays selectable and searchable in the page, styles
come from the report's CSS, and the same table always gives the same bytes.
Suppressed cells (under ``--min-cell``) are drawn hatched with ``<N`` and no shade, so
the chart never shows more than the tables do.
"""

from __future__ import annotations

from html import escape

from probation_themes.export.format import SPLIT_TITLES, format_count, format_share
from probation_themes.export.table import ThemedTable

_LABEL_W, _CELL_W, _CELL_H = 250, 64, 24
_LIGHT, _DARK = (0xF0, 0xF4, 0xFA), (0x08, 0x45, 0x94)
_MAX_LABEL = 36
# Rotated column headings: about 7 px per character at 12 px, times cos 45°.
_HEAD_PER_CHAR = 5.2


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _shade(share: float) -> str:
    mix = [round(a + (b - a) * share) for a, b in zip(_LIGHT, _DARK)]
    return "#{:02X}{:02X}{:02X}".format(*mix)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_LABEL else text[: _MAX_LABEL - 1].rstrip() + "…"


def crosstab_svg(table: ThemedTable, split: str) -> str:
    """A heat map of codes (rows) by organisation or region (columns).

    Each cell shows the share of the group's respondents coded with the code, shaded from
    light (0%) to dark (100%), with the count and share in its tooltip. Counts suppressed
    by ``min_cell`` show ``<N`` on a hatched cell.

    Args:
        table: the themed table (its ``min_cell`` has already suppressed small counts).
        split: ``org`` or ``region``.

    Returns:
        An ``<svg>`` element to put inline in an HTML page.
    """
    groups = [g.group for g in (table.respondents_by_org if split == "org" else table.respondents_by_region)]
    title = f"Share of each {SPLIT_TITLES[split].lower()}'s respondents coded with each code"
    head = round(12 + _HEAD_PER_CHAR * max((len(_short(g)) for g in groups), default=4))
    width = _LABEL_W + _CELL_W * max(len(groups), 1) + head
    height = head + _CELL_H * len(table.codes) + 4
    parts = [
        f'<svg class="crosstab" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">',
        f"<title>{_e(title)}</title>",
        '<defs><pattern id="hatch-' + split + '" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#c8c8c8" stroke-width="2"/></pattern></defs>',
    ]
    for j, group in enumerate(groups):
        x = _LABEL_W + _CELL_W * j + _CELL_W / 2
        parts.append(
            f'<text class="head" transform="translate({x:g},{head - 6}) rotate(-45)">{_e(_short(group))}</text>'
        )
    for i, code in enumerate(table.codes):
        y = head + _CELL_H * i
        parts.append(f'<text x="{4 + 12 * code.depth}" y="{y + 16}"><title>{_e(code.label)}</title>'
                     f"{_e(_short(code.label))}</text>")
        rows = code.by_org if split == "org" else code.by_region
        for j, cell in enumerate(rows):
            x = _LABEL_W + _CELL_W * j
            count = format_count(cell.n_coded, table.min_cell)
            of = format_count(cell.n_group, table.min_cell)
            tip = f"{code.label} / {cell.group}: {count} of {of} respondents ({format_share(cell.share)})"
            if cell.share is None:
                fill, text, ink = f"url(#hatch-{split})", count, "#1a1a1a"
            else:
                fill, text = _shade(cell.share), format_share(cell.share)
                ink = "#ffffff" if cell.share > 0.45 else "#1a1a1a"
            parts.append(
                f'<g><title>{_e(tip)}</title><rect x="{x + 1}" y="{y + 1}" width="{_CELL_W - 2}" '
                f'height="{_CELL_H - 2}" fill="{fill}"/><text class="cell" x="{x + _CELL_W / 2:g}" '
                f'y="{y + 16}" text-anchor="middle" fill="{ink}">{_e(text)}</text></g>'
            )
    parts.append("</svg>")
    return "".join(parts)
