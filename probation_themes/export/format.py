"""Shared wording of reports: counts, percentages, attributions, and checks of report options.

The Markdown, HTML and terminal views all use these, so they word figures the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from probation_themes.errors import ExportError
from probation_themes.export.table import CodeSummary, GroupCount, QuoteRow

#: Attributes a quote may be attributed by; respondents were promised no other identifiers.
ATTRIBUTES = ("region", "org")
#: Splits a report can show under each code, with their column titles.
SPLIT_TITLES = {"org": "Former organisation", "region": "Region"}


def plural(n: int, word: str) -> str:
    """``1 quote``, ``2 quotes``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def code_line(code: CodeSummary) -> str:
    """``12 quotes from 9 respondents (7% of respondents)``.

    When the report shows only some of the quotes, it says so:
    ``… (7% of respondents); 500 shown, spread evenly through them in survey order``.
    """
    line = (
        f"{plural(code.n_quotes, 'quote')} from {plural(code.n_respondents, 'respondent')} "
        f"({format_share(code.share_of_respondents)} of respondents)"
    )
    if not code.quotes and code.n_quotes:
        line += "; none of them shown"
    elif len(code.quotes) < code.n_quotes:
        line += f"; {len(code.quotes)} shown, spread evenly through them in survey order"
    return line


def check_splits(splits: Sequence[str]) -> tuple[str, ...]:
    """Validate which splits (``org``, ``region``) a report shows; raise ExportError otherwise."""
    chosen = tuple(splits)
    unknown = [s for s in chosen if s not in SPLIT_TITLES]
    if unknown:
        raise ExportError(
            f"A report can split counts by region and org only, not {', '.join(map(repr, unknown))}. "
            "Choose from 'region' and 'org' (for example --by region,org)."
        )
    return chosen


def suppression_note(min_cell: int) -> str:
    """The sentence that explains suppressed counts, e.g. "counts from 1 to 4 … are shown as <5."."""
    small = "counts of 1" if min_cell == 2 else f"counts from 1 to {min_cell - 1}"
    return f"{small} in the organisation and region splits are shown as <{min_cell}."


def format_count(n: int | None, min_cell: int) -> str:
    """Show a count, or ``<N`` (e.g. ``<5``) when it was suppressed."""
    return f"<{min_cell}" if n is None else str(n)


def format_share(share: float | None) -> str:
    """Show a share as a whole percentage (``67%``); ``<1%``/``>99%`` near the ends; ``–`` if suppressed."""
    if share is None:
        return "–"
    percent = Decimal(repr(share * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if share > 0 and percent == 0:
        return "<1%"
    if share < 1 and percent == 100:
        return ">99%"
    return f"{percent}%"


def groups_line(groups: Sequence[GroupCount], min_cell: int) -> str:
    """Group sizes on one line: ``CRC 812, NPS 640, Other <5, (not given) 12``."""
    return ", ".join(f"{g.group} {format_count(g.respondents, min_cell)}" for g in groups)


def check_attribution(attribution: Sequence[str]) -> tuple[str, ...]:
    """Validate the attributes quotes are attributed by; raise ExportError for any other."""
    chosen = tuple(attribution)
    unknown = [a for a in chosen if a not in ATTRIBUTES]
    if unknown:
        raise ExportError(
            f"Quotes can be attributed only by region and org, not {', '.join(map(repr, unknown))}: "
            "respondents were promised no other identifiers. Choose from 'region' and 'org'."
        )
    return chosen


def attribution_text(row: QuoteRow, attribution: Sequence[str] = ATTRIBUTES) -> str:
    """The inspectorate-style attribution of a quote, e.g. ``(London, CRC)``.

    Only the chosen attributes are shown, in the order given; missing values are left out,
    and a quote with none of them gets an empty string rather than empty brackets.
    """
    parts = [getattr(row, a) for a in check_attribution(attribution)]
    parts = [p.strip() for p in parts if p and p.strip()]
    return f"({', '.join(parts)})" if parts else ""
