"""The one-paragraph error of a codings file that cannot be imported: every problem, counted and listed."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from probation_themes.errors import IngestError

#: How many rows, codes or ids a message lists before saying how many more there are.
SHOWN = 10


def _rows(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:3])
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}" + (", …" if len(rows) > 3 else "")


def _listing(items: dict[str, list[int]]) -> str:
    shown = "; ".join(f"'{value}' ({_rows(rows)})" for value, rows in list(items.items())[:SHOWN])
    more = len(items) - SHOWN
    return shown + (f"; and {more:,} more" if more > 0 else "")


def problems_error(
    path: Path,
    problems: list[str],
    unknown_codes: dict[str, list[int]],
    unknown_ids: dict[str, list[int]],
    level: str,
    other_ids: Collection[str],
    codebook_name: str,
) -> IngestError:
    """One error naming every row problem, unknown code and unknown id, with how to fix each."""
    parts: list[str] = []
    fixes: list[str] = []
    if problems:
        shown = "; ".join(problems[:SHOWN]) + (f"; and {len(problems) - SHOWN:,} more" if len(problems) > SHOWN else "")
        parts.append(f"{len(problems):,} row problem{'s' if len(problems) != 1 else ''} ({shown})")
        fixes.append("correct those rows")
    if unknown_codes:
        n = len(unknown_codes)
        parts.append(f"{n:,} code{'s' if n != 1 else ''} not in {codebook_name} ({_listing(unknown_codes)})")
        fixes.append("correct the codes or pass the codebook they come from with --codebook")
    if unknown_ids:
        n = len(unknown_ids)
        verb = "ids that match" if n != 1 else "id that matches"
        parts.append(f"{n:,} {verb} no {level} in the project ({_listing(unknown_ids)})")
        other = "quote" if level == "response" else "response"
        if sum(1 for u in unknown_ids if u in other_ids) * 2 > n:
            fixes.append(f"most of these are {other} ids, so add --level {other}")
        else:
            fixes.append("remove rows for answers that were not ingested, or check that --project is the right project")
    return IngestError(
        f"{path.name} was not imported, and nothing was stored, because it has " + "; ".join(parts)
        + ". To fix it, " + ", and ".join(fixes) + ", then import the file again.",
        path=path,
    )
