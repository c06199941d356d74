"""The working coding: which suggestions and decisions every report, export, table and review counts.

A project can hold the suggestions of several methods at once (rules, topics, model,
all), each written by its own ``code`` runs, and human decisions that apply to all of
them. Adding up every method's suggestions would count a quote three times over and
hide which coder a figure came from, so every reader counts one *working coding*: the
human decisions over the suggestions of one method — by default the method of the
latest ``code`` run — or of several methods named together.

This module is the one place that says, in SQL, which suggestions and which quotes
count (:func:`suggestion_clause`, :func:`quote_clause`); every reader in the store
(:class:`~probation_themes.store.stream.ProjectReader`, :meth:`Project.codings`,
the review queries) builds its queries from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from probation_themes.errors import StoreError
from probation_themes.models import Run, WorkingCoding
from probation_themes.store.nonanswers import substantive

if TYPE_CHECKING:  # project.py builds its queries from this module
    from probation_themes.store.project import Project, StatusFilter

#: Methods whose suggestions `code` writes (``human`` and ``import`` are not suggestions).
SUGGESTION_METHODS = ("rules", "topics", "model", "all")


def suggestion_clause(methods: Sequence[str] | None, alias: str = "s") -> tuple[str, tuple[str, ...]]:
    """An SQL condition on the suggestions table (as ``alias``) keeping those of ``methods``.

    ``None`` keeps every method's suggestions (only for code that compares methods, such
    as agreement of one method with a coder — never for a report).
    """
    if methods is None:
        return "1", ()
    if not methods:
        return "0", ()
    return f"{alias}.method IN ({','.join('?' * len(methods))})", tuple(methods)


def quote_clause(alias: str = "q", *, non_answers: bool = False) -> tuple[str, tuple]:
    """An SQL condition on the quotes table (as ``alias``) keeping the quotes that count.

    A quote flagged as a non-answer at ingest (see :mod:`probation_themes.store.nonanswers`)
    stays out of codings and denominators, and so out of every report, export, table and
    review at once, unless ``non_answers`` asks for them.
    """
    if non_answers:
        return "1", ()
    return substantive(alias), ()


def code_runs(project: Project) -> list[Run]:
    """Every finished ``code`` run of the project, newest first."""
    return [r for r in reversed(project.runs()) if r.command == "code" and r.status == "done" and r.method]


def _runs_in_force(runs: Sequence[Run], method: str) -> list[Run]:
    """The runs whose suggestions of ``method`` are still stored: the latest, and those it kept.

    A run that coded only the quotes ingested since an earlier one (``coded_after`` > 0)
    kept that run's suggestions, so both count; a full run replaced everything before it.
    """
    found = []
    for run in runs:
        if run.method != method:
            continue
        found.append(run)
        if not int(run.parameters.get("coded_after") or 0):
            break
    return found


def _decision_figures(project: Project) -> tuple[int, int, datetime | None]:
    accepted = rejected = 0
    last = None
    for decision, n, at in project._db.execute(
        "SELECT d.decision, COUNT(*), MAX(d.decided_at) FROM decisions d WHERE d.decision_id ="
        " (SELECT MAX(e.decision_id) FROM decisions e WHERE e.quote_id = d.quote_id AND e.code = d.code)"
        " GROUP BY d.decision"
    ):
        if decision == "accept":
            accepted = int(n)
        else:
            rejected = int(n)
        try:
            stamp = datetime.fromisoformat(at)
        except (TypeError, ValueError):  # a damaged decision's date (doctor names it): not the latest
            continue
        last = stamp if last is None or stamp > last else last
    return accepted, rejected, last


def _methods_coded(runs: Sequence[Run]) -> str:
    latest: dict[str, Run] = {}
    for run in runs:
        latest.setdefault(str(run.method), run)
    if not latest:
        return "none (the project has not been coded yet)"
    return ", ".join(f"{m} (run {r.run_id}, {r.started_at:%Y-%m-%d %H:%M})" for m, r in latest.items())


def parse_methods(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """The methods named by ``--method`` (``rules``, ``rules,model``, repeated options), or None if none.

    Raises:
        StoreError: a name is not one of the methods ``code`` writes suggestions with.
    """
    if value is None:
        return None
    parts = [value] if isinstance(value, str) else list(value)
    names = [p.strip().lower() for part in parts for p in part.split(",") if p.strip()]
    if not names:
        return None
    unknown = [n for n in names if n not in SUGGESTION_METHODS]
    if unknown:
        raise StoreError(
            f"--method takes the coding methods whose suggestions to count: {', '.join(SUGGESTION_METHODS)} "
            f"(several joined by commas, e.g. --method rules,model), not {', '.join(map(repr, unknown))}."
        )
    return tuple(dict.fromkeys(names))


def working_coding(
    project: Project, methods: Sequence[str] | None = None, *, status: StatusFilter = "default"
) -> WorkingCoding:
    """The working coding to count: ``methods`` if named, else the method of the latest ``code`` run.

    Args:
        project: the open project.
        methods: methods whose suggestions count (several only when named); None for the
            method of the latest finished ``code`` run. Human decisions always count.
        status: the status filter the figures will use (recorded for headers).

    Raises:
        StoreError: a named method has no finished ``code`` run in the project.
    """
    runs = code_runs(project)
    accepted, rejected, last = _decision_figures(project)
    if methods is None:
        if not runs:
            return WorkingCoding(methods=(), chosen_by="no code run", status=status, accepted=accepted,
                                 rejected=rejected, last_decision_at=last)
        chosen, how = (str(runs[0].method),), "latest code run"
    else:
        chosen, how = tuple(dict.fromkeys(methods)), "asked"
    in_force: list[Run] = []
    for method in chosen:
        found = _runs_in_force(runs, method)
        if not found:
            raise StoreError(
                f"The project {project.path} has no finished `code --method {method}` run, so there are no "
                f"{method} suggestions to count. Methods coded in this project: {_methods_coded(runs)}. "
                f"Choose one of them with --method, or run `probation-themes code --method {method} "
                f"--codebook FILE --project {project.path}` first.",
                path=project.path,
            )
        in_force += found
    in_force.sort(key=lambda r: -(r.run_id or 0))
    return WorkingCoding(methods=chosen, chosen_by=how, runs=tuple(in_force), status=status, accepted=accepted,
                         rejected=rejected, last_decision_at=last)
