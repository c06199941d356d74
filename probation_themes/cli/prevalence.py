"""Rendering of ``stats --ci``: prevalence by group with bootstrap 95% intervals."""

from __future__ import annotations

from rich.table import Table

from probation_themes.workflows.prevalence import GroupShare, PrevalenceTable


def _cell(s: GroupShare) -> str:
    if s.share is None:
        return "–"
    return f"{s.share * 100:.0f}% ({s.low * 100:.0f}–{s.high * 100:.0f})"


def prevalence_tables(tables: list[PrevalenceTable]) -> list[Table]:
    """One rich table per split: a row per code (and topic) and group, with share and 95% interval."""
    out = []
    for table in tables:
        name = "organisation" if table.by == "org" else "region"
        t = Table(
            title=f"Share of respondents, by {name}, with bootstrap 95% intervals "
            f"({table.respondents:,} respondents, {table.n_boot:,} resamples, seed {table.seed})",
            title_justify="left",
        )
        t.add_column("code or topic")
        t.add_column(name)
        t.add_column("respondents", justify="right")
        t.add_column("coded", justify="right")
        t.add_column("share (95% CI)", justify="right")
        for row in table.rows:
            for i, s in enumerate([row.overall, *row.groups]):
                t.add_row(
                    row.label if i == 0 else "",
                    s.group,
                    "–" if s.respondents is None else f"{s.respondents:,}",
                    "–" if s.coded is None else f"{s.coded:,}",
                    _cell(s),
                    end_section=i == len(row.groups),
                )
        out.append(t)
    return out
