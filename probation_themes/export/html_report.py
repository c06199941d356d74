"""The themed quote table as one self-contained HTML page that works offline and prints well."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from probation_themes.export.charts import crosstab_svg
from probation_themes.export.format import (
    ATTRIBUTES,
    SPLIT_TITLES,
    attribution_text,
    check_attribution,
    check_splits,
    code_line,
    coded_text,
    format_count,
    format_share,
    group_text,
    groups_line,
    listing_line,
    plural,
    suppression_note,
    table_lines,
)
from probation_themes.export.charts import hidden_share
from probation_themes.export.table import CodeSummary, QuoteRow, Split, ThemedTable, group_name

#: What a quote's filter value is when its attribution was withheld.
WITHHELD = "(withheld)"

# Colours for codes that have none in the codebook (colour-blind-safe, dark enough for white text).
_PALETTE = ("#1F77B4", "#D55E00", "#2CA02C", "#9467BD", "#8C564B", "#CC79A7", "#7F7F7F", "#0072B2")
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")

_CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --track: #eee; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.8rem; margin: 0 0 .5rem; }
h2, h3, h4, h5, h6 { margin: 2rem 0 .25rem; border-left: .4rem solid var(--code-color, #888);
       padding-left: .5rem; }
.lede, .note, .count { color: var(--muted); }
table { border-collapse: collapse; margin: .75rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: inherit; }
.chart { display: block; max-width: 40rem; height: auto; margin: .5rem 0; }
.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
.chart .track { fill: var(--track); }
table.heat { font-size: .8rem; margin: .5rem 0 1.5rem; width: 100%; table-layout: auto; }
table.heat th, table.heat td { border: 1px solid #fff; padding: .2rem .3rem; }
table.heat th.code, table.heat tbody th { font-weight: normal; text-align: left; min-width: 9rem; max-width: 16rem; }
table.heat th.group { vertical-align: bottom; text-align: left; padding: .3rem .1rem; }
table.heat th.group span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: normal;
       max-height: 11rem; display: inline-block; font-weight: normal; line-height: 1.15; }
table.heat td { text-align: center; font-variant-numeric: tabular-nums; white-space: nowrap; min-width: 2.6rem; }
table.heat td.hidden { background: repeating-linear-gradient(45deg, #f4f4f4 0 4px, #dcdcdc 4px 6px); }
.about { border: 1px solid var(--rule); padding: .5rem 1rem; margin: 1rem 0; }
.about p { margin: .25rem 0; }
blockquote { margin: 1rem 0; padding: .25rem 1rem; border-left: .25rem solid var(--rule); }
blockquote p { margin: 0; }
blockquote footer { color: var(--muted); font-style: italic; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 0;
       border-bottom: 1px solid var(--rule); }
.filters[hidden], [hidden] { display: none !important; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  table.heat { font-size: 8pt; }
  table.heat td { min-width: 0; padding: .15rem .1rem; }
  table.heat th.code, table.heat tbody th { min-width: 6rem; }
  .filters { display: none !important; }
  a { text-decoration: none; }
  section.code { break-before: auto; }
  h2, h3, h4, h5, h6 { break-after: avoid; }
  blockquote, table, .chart, .overview { break-inside: avoid; }
  * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""

# Filtering needs no library; without JavaScript the controls stay hidden and every quote shows.
_SCRIPT = """
(function () {
  var box = document.getElementById("filters");
  if (!box || !document.querySelectorAll) { return; }
  var selects = box.querySelectorAll("select");
  var quotes = document.querySelectorAll("blockquote.quote");
  var status = document.getElementById("filter-status");
  function apply() {
    var shown = 0;
    for (var i = 0; i < quotes.length; i++) {
      var ok = true;
      for (var j = 0; j < selects.length; j++) {
        var s = selects[j];
        if (s.value !== "" && quotes[i].getAttribute("data-" + s.name) !== s.value) { ok = false; }
      }
      quotes[i].hidden = !ok;
      if (ok) { shown++; }
    }
    status.textContent = "Showing " + shown + " of the " + quotes.length + " quotations listed under themes";
  }
  for (var k = 0; k < selects.length; k++) { selects[k].addEventListener("change", apply); }
  box.hidden = false;
  apply();
})();
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _color(code: CodeSummary, index: int) -> str:
    return code.color if code.color and _HEX.match(code.color) else _PALETTE[index % len(_PALETTE)]


def _summary(table: ThemedTable) -> list[str]:
    out = [
        '<table class="summary">',
        "<thead><tr><th>Code</th><th class=\"num\">Quotes</th><th class=\"num\">Respondents</th>"
        "<th class=\"num\">% of respondents</th></tr></thead>",
        "<tbody>",
    ]
    for code in table.codes:
        indent = f' style="padding-left: {0.6 + 1.2 * code.depth:.1f}rem"' if code.depth else ""
        out.append(
            f'<tr><td{indent}><a href="#code-{_e(code.code_id)}">{_e(code.label)}</a></td>'
            f'<td class="num">{code.n_quotes}</td><td class="num">{code.n_respondents}</td>'
            f'<td class="num">{_e(format_share(code.share_of_respondents))}</td></tr>'
        )
    out += ["</tbody>", "</table>"]
    return out


def _chart(rows: Sequence[Split], color: str, min_cell: int, caption: str) -> str:
    if rows and all(s.share is None for s in rows):
        # No bar could be drawn: say why rather than show empty tracks.
        return (f'<p class="note chart-note">No bars for this split: every group\'s count is hidden to protect '
                f"respondents (fewer than {min_cell}, or hidden so that a small count cannot be worked out "
                "from the totals).</p>")
    # The label column is as wide as the longest name needs (about 7 px a character at 12 px).
    label_w = max(120, min(320, 12 + 7 * max((len(s.group) for s in rows), default=8)))
    bar_w, text_w, row_h = 300, 170, 22
    width, height = label_w + bar_w + text_w, row_h * len(rows) + 4
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(caption)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    ]
    for i, s in enumerate(rows):
        y = 2 + i * row_h
        mid = y + row_h / 2 + 4
        parts.append(f'<text x="0" y="{mid:g}">{_e(s.group)}</text>')
        parts.append(f'<rect class="track" x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}"/>')
        if s.share is not None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{bar_w * s.share:.1f}" height="{row_h - 6}" '
                f'fill="{color}"/>'
            )
        value = f"{coded_text(s, min_cell)} of {group_text(s, min_cell)}"
        if s.share is not None:
            value += f" ({format_share(s.share)})"
        else:
            value += " (hidden)"
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{mid:g}">{_e(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _split_table(title: str, rows: Sequence[Split], min_cell: int) -> list[str]:
    out = [
        '<table class="split">',
        f"<thead><tr><th>{_e(title)}</th><th class=\"num\">Respondents coded</th>"
        "<th class=\"num\">Respondents in group</th><th class=\"num\">%</th></tr></thead>",
        "<tbody>",
    ]
    for s in rows:
        out.append(
            f"<tr><td>{_e(s.group)}</td><td class=\"num\">{_e(coded_text(s, min_cell))}</td>"
            f"<td class=\"num\">{_e(group_text(s, min_cell))}</td>"
            f"<td class=\"num\">{_e(format_share(s.share))}</td></tr>"
        )
    out += ["</tbody>", "</table>"]
    return out


def _quote(row: QuoteRow, attribution: tuple[str, ...]) -> str:
    # Only the attributes chosen for attribution may appear anywhere in the page, data attributes included.
    data = "".join(
        f' data-{a}="{_e(WITHHELD if a in row.withheld else group_name(getattr(row, a)))}"' for a in attribution
    )
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", row.text.strip())] or [""]
    paragraphs[0] = "“" + paragraphs[0]
    paragraphs[-1] = paragraphs[-1] + "”"
    body = "".join(f"<p>{_e(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    cite = attribution_text(row, attribution)
    footer = f"<footer>{_e(cite)}</footer>" if cite else ""
    memos = "".join(f'<p class="note">Memo: {_e(m)}</p>' for m in (row.memo, row.quote_memo) if m)
    return f'<blockquote class="quote"{data}>{body}{footer}{memos}</blockquote>'


def _section(code: CodeSummary, index: int, table: ThemedTable, splits: tuple[str, ...],
             attribution: tuple[str, ...]) -> list[str]:
    color = _color(code, index)
    level = min(2 + code.depth, 6)
    out = [
        f'<section class="code" id="code-{_e(code.code_id)}" style="--code-color: {color}">',
        f"<h{level}>{_e(code.label)}</h{level}>",
        f'<p class="count">{_e(code_line(code))}</p>',
    ]
    for split in splits:
        rows = code.by_org if split == "org" else code.by_region
        title = SPLIT_TITLES[split]
        caption = f"{code.label}: respondents coded by {title.lower()}"
        out.append(_chart(rows, color, table.min_cell, caption))
        out += _split_table(title, rows, table.min_cell)
    if not code.n_quotes:
        out.append('<p class="note">No quotes were coded with this code.</p>')
    out += [_quote(row, attribution) for row in code.quotes]
    out.append("</section>")
    return out


def _overview(table: ThemedTable, splits: tuple[str, ...]) -> list[str]:
    """Theme × organisation and theme × region heat maps, one per split."""
    out = []
    for split in splits:
        out += [
            f'<div class="overview" id="by-{split}">',
            f"<h2>Themes by {_e(SPLIT_TITLES[split].lower())}</h2>",
            f'<p class="note">Share of each {_e(SPLIT_TITLES[split].lower())}\'s respondents coded with each '
            "code; hover over a cell for the counts.</p>",
        ]
        hidden = hidden_share(table, split)
        if hidden >= 0.5:
            out.append(
                f'<p class="note">{hidden:.0%} of these cells are hidden (hatched): most groups are too small to '
                f"publish counts for at --min-cell {table.min_cell}. With a survey this size, read the themes from "
                "the overall counts above" + (", or the split by organisation, whose groups are larger" if split == "region"
                                              else "") + ".</p>"
            )
        out += [crosstab_svg(table, split), "</div>"]
    return out


def _filters(table: ThemedTable, attribution: tuple[str, ...]) -> list[str]:
    out = ['<div id="filters" class="filters" hidden>']
    listed = [q for c in table.codes for q in c.quotes]
    for attr in attribution:
        order = [g.group for g in (table.respondents_by_org if attr == "org" else table.respondents_by_region)]
        present = {WITHHELD if attr in q.withheld else group_name(getattr(q, attr)) for q in listed}
        names = [g for g in order if g in present] + ([WITHHELD] if WITHHELD in present else [])
        options = "".join(f'<option value="{_e(g)}">{_e(g)}</option>' for g in names)
        out.append(
            f'<label>{_e(SPLIT_TITLES[attr])} <select name="{attr}">'
            f'<option value="">All</option>{options}</select></label>'
        )
    out += ['<span id="filter-status" class="note" aria-live="polite"></span>', "</div>"]
    return out


def render_html(
    table: ThemedTable,
    *,
    attribution: Sequence[str] = ATTRIBUTES,
    splits: Sequence[str] = ("org",),
) -> str:
    """Render the themed quote table as one self-contained HTML page.

    The page needs no network: styles and a tiny filtering script are inline, and the
    charts are inline SVG. It opens with a summary of every code (quotes, respondents,
    share of respondents) and a theme × organisation and theme × region heat map (one
    per split), then one section per code with a bar chart and table of the
    split by former organisation and the quotes as block quotations with their
    attribution. With JavaScript on, menus filter the quotations by organisation or
    region; without it every quotation is shown. Printing gives a clean document.
    All text from the project is HTML-escaped.

    Args:
        table: the table from :func:`build_themed_table`.
        attribution: which of ``region`` and ``org`` attribute each quote; nothing else
            about a quote (not even a hidden filter value) appears in the page.
        splits: which splits to chart and tabulate under each code: ``org``, ``region`` or both.

    Returns:
        The HTML document.

    Raises:
        ExportError: an attribution or split other than ``region`` and ``org`` was asked for.
    """
    attribution = check_attribution(attribution)
    splits = check_splits(splits)
    orgs = groups_line(table.respondents_by_org, table.min_cell)
    title = f"{table.project}: themed quotes"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="lede">{plural(table.total_quotes, "quote")} from '
        f'{plural(table.total_respondents, "respondent")}. {_e(listing_line(table))} '
        f"Respondents by former organisation: {_e(orgs)}.</p>",
    ]
    about = table_lines(table)
    if about:
        out += ['<section class="about" aria-label="What these figures count">',
                *(f"<p>{_e(line)}</p>" for line in about), "</section>"]
    if table.min_cell > 1:
        out.append(
            f'<p class="note">To protect respondents, {_e(suppression_note(table.min_cell))}</p>'
        )
    out += ["</header>", "<nav>"] + _summary(table) + ["</nav>"]
    out += _overview(table, splits)
    if attribution:
        out += _filters(table, attribution)
    out.append("<main>")
    for index, code in enumerate(table.codes):
        out += _section(code, index, table, splits, attribution)
    out.append("</main>")
    if attribution:
        out.append(f"<script>{_SCRIPT}</script>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
