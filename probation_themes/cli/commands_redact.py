"""The ``redact`` command: replace personal details in a project's quotes with placeholders."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import typer

from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, print_json, user_errors
from probation_themes.cli.hints import command
from probation_themes.cli.main import app
from probation_themes.ingest.redact import PLACEHOLDERS, Redactor, read_names
from probation_themes.store import Project
from probation_themes.workflows.redact import RedactReport, redact_project

NamesOption = Annotated[
    Optional[Path],
    typer.Option(
        "--names", help="A text file of extra names to redact, one per line (first names or surnames).",
        show_default=False,
    ),
]
KeepOption = Annotated[
    bool,
    typer.Option(
        "--keep-originals",
        help="Keep the replaced words in the project (table redacted_originals_confidential). Default: not kept.",
    ),
]


def render_redacted(counts: dict[str, int], keep_originals: bool, when: str = "") -> None:
    """Print how many details of each kind were replaced, and whether originals were kept."""
    total = sum(counts.values())
    listed = ", ".join(f"{PLACEHOLDERS[k]} {n:,}" for k, n in counts.items()) if counts else "none found"
    out.print(f"Redacted {total:,} personal details{when}: {listed}.")
    if keep_originals and total:
        err.print(
            "  [yellow]note:[/] the replaced words are kept in the project (redacted_originals_confidential); "
            "do not share the project file itself."
        )
    err.print("  Redaction finds common patterns only; read docs/confidentiality.md for what it misses.")


@app.command()
@user_errors
def redact(
    names: NamesOption = None,
    keep_originals: KeepOption = False,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Replace e-mail addresses, phone numbers, postcodes, NI numbers, case references and names in the quotes.

    Placeholders such as [EMAIL] and [NAME] take their place. Evidence offsets move with
    the text; a suggestion that rested only on replaced words is dropped (run `code` again);
    review decisions are kept. The replaced words are also cleaned from every other stored
    copy (memos, rejected rows, topic terms and quotes, model evidence, run records), and
    the file is rebuilt so no earlier copy is left in it. docs/confidentiality.md says what
    is found and what is missed.
    """
    redactor = Redactor(read_names(names) if names else (), keep_originals=keep_originals)
    with Project.open(project, create=False) as proj:
        report: RedactReport = redact_project(proj, redactor)
    if as_json:
        print_json(asdict(report))
        return
    out.print(f"Checked {report.quotes:,} quotes; {report.quotes_changed:,} changed (run {report.run_id}).")
    render_redacted(report.redacted, keep_originals)
    if report.evidence_moved:
        out.print(f"  {report.evidence_moved:,} suggestions had their evidence moved to the new text or cleaned.")
    if report.cleaned_elsewhere:
        listed = ", ".join(f"{where} {n:,}" for where, n in report.cleaned_elsewhere.items())
        out.print(f"  Other stored copies of the replaced words cleaned: {listed}.")
    if report.codes_renamed:
        out.print(
            f"  {report.codes_renamed:,} codes named with a personal detail (from coders' code names) were given "
            "new ids and labels made from the cleaned names, in every coding, decision and codebook."
        )
    if report.not_erased:
        err.print(
            f"  [yellow]warning:[/] the project file could not be rebuilt, so earlier copies of the replaced words may "
            f"remain in its free space or log: {report.not_erased}. Close other probation-themes commands and run "
            "`probation-themes redact` again (it changes nothing more, and rebuilds the file)."
        )
    if report.suggestions_dropped:
        err.print(
            f"  [yellow]note:[/] {report.suggestions_dropped:,} suggestions rested only on words that were "
            f"replaced and were dropped; run `{command('code')}` again to renew them."
        )
