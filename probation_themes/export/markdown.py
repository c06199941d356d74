"""The themed quote table as Markdown, laid out like the inspectorate's published tables."""

from __future__ import annotations

import re
from collections.abc import Sequence

from probation_themes.export.format import (
    ATTRIBUTES,
    SPLIT_TITLES,
    attribution_text,
    check_attribution,
    check_splits,
    code_line,
    coded_text,
    listing_line,
    format_count,
    format_share,
    group_text,
    plural,
    suppression_note,
    table_lines,
)
from probation_themes.export.table import Split, ThemedTable

# A line starting with one of these would become a heading, list, quote, HTML block or rule.
_BLOCK_START = re.compile(
    r"^(#|>|[-+*](?=\s|$)|\d+[.)](?=\s|$)|[=-](?=[=-]*\s*$)|[*_](?=(?:\s*[*_]){2,}\s*$)|<(?=[A-Za-z/!?]))"
)
_CLOSING_HASHES = re.compile(r"(^|\s)(#+)(\s*)$")


def _inline(text: str) -> str:
    """Text from the project made literal in Markdown: no raw HTML, no links or images.

    ``<`` and ``&`` become entities, as in HTML (every Markdown renderer passes entities
    through, while not every one honours ``\\<``); brackets and backslashes are escaped.
    """
    return (
        text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
        .replace("[", "\\[").replace("]", "\\]")
    )


def _groups(table: ThemedTable) -> str:
    return ", ".join(
        f"{_inline(g.group)} {format_count(g.respondents, table.min_cell, g.hidden)}" for g in table.respondents_by_org
    )


def _escape_line(line: str) -> str:
    # Leading spaces would make an indented code block; they carry no meaning in a quote.
    return _BLOCK_START.sub(r"\\\1", line.lstrip(), count=1)


def _heading(text: str) -> str:
    # A trailing run of '#' would be read as the heading's closing sequence and vanish.
    one_line = _inline(" ".join(text.split()))
    return _CLOSING_HASHES.sub(lambda m: m.group(1) + m.group(2).replace("#", "\\#") + m.group(3), one_line)


def _cell(text: str) -> str:
    return _inline(" ".join(text.split())).replace("|", "\\|")


def _quote_block(text: str, attribution: str) -> str:
    lines = _inline(text.strip()).splitlines() or [""]
    attribution = _inline(attribution)
    lines[0] = "“" + lines[0]
    lines[-1] = lines[-1] + "”" + (f" {attribution}" if attribution else "")
    # The first line starts with the opening quote mark, so only later lines can start a block.
    body = [lines[0]] + [_escape_line(line) for line in lines[1:]]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body)


def _split_table(title: str, splits: Sequence[Split], min_cell: int) -> list[str]:
    out = [f"| {title} | Respondents coded | Respondents in group | % |", "|---|---:|---:|---:|"]
    for s in splits:
        out.append(
            f"| {_cell(s.group)} | {coded_text(s, min_cell)} | "
            f"{group_text(s, min_cell)} | {format_share(s.share)} |"
        )
    return out


def render_markdown(
    table: ThemedTable,
    *,
    attribution: Sequence[str] = ATTRIBUTES,
    splits: Sequence[str] = ("org",),
) -> str:
    """Render the themed quote table as Markdown.

    The document opens with the project name and totals, then has one section per code
    in codebook order: the label as a heading (child codes one level deeper), a line such
    as "12 quotes from 9 respondents (7% of respondents)", a table of the split by former
    organisation, and the quotes, each as ``> “text” (Region, Org)``, followed by any memo
    the table carries for it (``*Memo:* …``: first on the code, then on the whole quote).

    Args:
        table: the table from :func:`build_themed_table`.
        attribution: which of ``region`` and ``org`` attribute each quote, in that order.
            Pass ``()`` to show quotes without attribution.
        splits: which splits to tabulate under each code: ``org``, ``region`` or both.

    Returns:
        The Markdown text, ending with a newline.

    Raises:
        ExportError: an attribution or split other than ``region`` and ``org`` was asked for.
    """
    attribution = check_attribution(attribution)
    splits = check_splits(splits)
    out = [
        f"# {_heading(table.project)}: themed quotes",
        "",
        f"{plural(table.total_quotes, 'quote')} from {plural(table.total_respondents, 'respondent')}. "
        f"{listing_line(table)} Respondents by former organisation: {_groups(table)}.",
    ]
    about = table_lines(table)
    if about:
        out += ["", "**What these figures count.** " + " ".join(_inline(line) for line in about)]
    if table.min_cell > 1:
        out += [
            "",
            f"To protect respondents, {suppression_note(table.min_cell)}",
        ]
    for code in table.codes:
        level = "#" * min(2 + code.depth, 6)
        out += ["", f"{level} {_heading(code.label)}", "", code_line(code)]
        for split in splits:
            rows = code.by_org if split == "org" else code.by_region
            out += [""] + _split_table(SPLIT_TITLES[split], rows, table.min_cell)
        if not code.n_quotes:
            out += ["", "No quotes were coded with this code."]
        for row in code.quotes:
            out += ["", _quote_block(row.text, attribution_text(row, attribution))]
            for memo in (row.memo, row.quote_memo):
                if memo:
                    out += ["", f"*Memo:* {_cell(memo)}"]
    return "\n".join(out) + "\n"
