"""Rendering of ``stats --ci``: prevalence by group with Wilson score 95% intervals."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from probation_themes.export.format import SECONDARY_MARK
from probation_themes.workflows.prevalence import GroupShare, PrevalenceTable


def _count(value: int | None, hidden: str, min_cell: int) -> str:
    if value is not None:
        return f"{value:,}"
    return SECONDARY_MARK if hidden == "secondary" else f"<{min_cell}"


def _cell(s: GroupShare) -> str:
    if s.share is None:
        return "–"
    return f"{s.share * 100:.0f}% ({s.low * 100:.0f}–{s.high * 100:.0f})"


def prevalence_tables(tables: list[PrevalenceTable]) -> list[Table]:
    """One rich table per split: a row per code (and topic) and group, with share and 95% interval."""
    out = []
    for table in tables:
        name = "organisation" if table.by == "org" else "region"
        caption = None
        if table.min_cell > 1:
            caption = (f"<{table.min_cell}: fewer than {table.min_cell} respondents; {SECONDARY_MARK}: hidden so "
                       "that a small count cannot be worked out from the totals (docs/confidentiality.md).")
        t = Table(
            title=f"Share of respondents, by {name}, with {table.interval}s ({table.respondents:,} respondents)",
            title_justify="left", caption=escape(caption) if caption else None, caption_justify="left",
        )
        t.add_column("code or topic")
        t.add_column(name, overflow="fold")
        t.add_column("respondents", justify="right")
        t.add_column("coded", justify="right")
        t.add_column("share (95% CI)", justify="right")
        for row in table.rows:
            for i, s in enumerate([row.overall, *row.groups]):
                t.add_row(
                    *map(escape, [
                        row.label if i == 0 else "",
                        s.group,
                        _count(s.respondents, s.group_hidden, table.min_cell),
                        _count(s.coded, s.hidden, table.min_cell),
                        _cell(s),
                    ]),
                    end_section=i == len(row.groups),
                )
        out.append(t)
    return out
