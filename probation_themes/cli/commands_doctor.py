"""The ``doctor`` command: check that a project file is whole after a crash or a copy."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, print_json, user_errors
from probation_themes.cli.hints import carry, command
from probation_themes.cli.main import app
from probation_themes.store import Project
from probation_themes.store.doctor import check_project
from probation_themes.store.guard import record_damage


@app.command()
@user_errors
def doctor(project: ProjectOption = Path(DEFAULT_PROJECT), as_json: JsonOption = False) -> None:
    """Check the project: SQLite integrity, orphaned records, and every input row accounted for.

    Exits with status 1 when something is damaged. Runs left unfinished by a crash
    are reported as interrupted, which is not damage.
    """
    with Project.open(project, create=False) as proj:
        health = check_project(proj)
    # Remembered beside the project (never in it), so commands that change it refuse until it is whole.
    record_damage(Path(project), health.blocking, health.renewable)
    if as_json:
        print_json({"ok": health.ok, **asdict(health)})
    else:
        figures = ", ".join(f"{n:,} {name}" for name, n in health.figures.items())
        for note in health.notes:
            err.print(f"[yellow]note:[/] {carry(note)}.")
        if health.ok:
            out.print(f"{project}: no problems found ({figures}).")
    if not health.ok:
        if health.blocking:
            advice = (
                "Nothing in it was changed, but commands that change it now refuse until it is repaired. Keep a "
                "copy of the file (with its -wal file, if there is one) and restore the latest backup, or re-create "
                "the project by ingesting and coding again; review decisions can be kept by exporting them first "
                f"with `{command('export audit -o decisions.csv')}`. Run doctor again afterwards: a whole project "
                "lifts the refusal."
            )
        else:
            advice = (
                "Nothing in it was changed, but commands that change it now refuse until the suggestions are "
                "renewed as said; run doctor again afterwards to lift the refusal."
            )
        problems = "; ".join(map(carry, health.problems))
        err.print(f"[bold red]Error:[/] the project {project} is damaged: {problems}. {advice}")
        raise typer.Exit(1)
