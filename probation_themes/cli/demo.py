"""``probation-themes demo``: the whole loop on the bundled inspectorate corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from probation_themes.cli.common import JsonOption, err, out, percent, print_json, user_errors
from probation_themes.cli.main import app
from probation_themes.export import (
    attribution_text,
    build_themed_table,
    format_share,
    render_html,
    render_markdown,
    write_text_atomic,
)
from probation_themes.store import Project
from probation_themes.store.working import working_coding
from probation_themes.workflows.demo import run_demo


@app.command("demo")
@user_errors
def demo_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo project and reports.")] = Path(
        "probation_themes_demo"
    ),
    quotes_per_theme: Annotated[int, typer.Option("--quotes", min=0, help="Quotes to print per theme (strongest evidence first).")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Run the whole loop on the inspectorate's published quotes and print the themed table."""
    with err.status("Ingesting and coding the inspectorate's quotes…"):
        result = run_demo(out_dir)
    with Project.open(result.project, create=False) as proj:
        working = working_coding(proj)
        snapshot = proj.snapshot(working=working)
    table = build_themed_table(snapshot, result.codebook).model_copy(update={"working": working})
    md_path = write_text_atomic(out_dir / "report.md", render_markdown(table))
    html_path = write_text_atomic(out_dir / "report.html", render_html(table))
    agreement = result.agreement
    if as_json:
        print_json({
            "project": str(result.project), "report_md": str(md_path), "report_html": str(html_path),
            "quotes": result.code.quotes, "coverage": result.code.coverage,
            "inspectorate_theme_placed": agreement.placed, "inspectorate_quotes": agreement.quotes,
            "codes_per_quote": agreement.codes_per_quote,
            "per_theme": {k: {"placed": v[0], "quotes": v[1]} for k, v in agreement.per_theme.items()},
            "codes": [c.model_dump(mode="json", exclude={"quotes"}) for c in table.codes],
        })
        return

    summary = Table(title=f"Themes in {table.total_quotes} published quotes from {table.total_respondents} respondents "
                          "(HM Inspectorate of Probation, 2021)", title_justify="left")
    summary.add_column("theme")
    summary.add_column("quotes", justify="right")
    summary.add_column("share", justify="right")
    summary.add_column("CRC", justify="right")
    summary.add_column("NPS", justify="right")
    for c in table.codes:
        orgs = {s.group: s.n_coded for s in c.by_org}
        summary.add_row(c.label, str(c.n_quotes), format_share(c.share_of_respondents),
                        str(orgs.get("CRC", 0)), str(orgs.get("NPS", 0)))
    out.print(summary)
    if quotes_per_theme:
        for c in table.codes:
            if not c.quotes:
                continue
            out.print(f"\n[bold]{c.label}[/]")
            strongest = sorted(c.quotes, key=lambda q: -(q.confidence or 0))[:quotes_per_theme]
            for q in strongest:
                text = q.text if len(q.text) <= 160 else q.text[:157].rstrip() + "…"
                out.print(f"  “{text}” {attribution_text(q)}", markup=False)
    out.print(
        f"\nThe inspectorate's own theme is among the rule codes for {agreement.placed} of {agreement.quotes} "
        f"quotes ({percent(agreement.share)}); coverage {percent(result.code.coverage)}. The rules gave "
        f"{agreement.codes_per_quote:.1f} codes per quote where the inspectorate gave one theme, so read this "
        "as recall, not accuracy: check the other codes in the report."
    )
    out.print(f"Full report: {md_path} and {html_path} (project: {result.project}).")
