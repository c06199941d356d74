"""Shared wording of reports: counts, percentages, attributions, and checks of report options.

The Markdown, HTML and terminal views all use these, so they word figures the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from probation_themes.errors import ExportError
from probation_themes.export.table import CodeSummary, GroupCount, QuoteRow, Split, ThemedTable
from probation_themes.models import WorkingCoding

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


def listing_line(table: ThemedTable) -> str:
    """How many quotes are listed under the themes, and how often, in the words every report uses.

    A *quote* is one passage of an answer; a *quotation* is a quote listed under a theme, so
    a quote coded with two themes gives two quotations.
    """
    listed = [q.quote_id for c in table.codes for q in c.quotes]
    distinct = len(set(listed))
    if not listed:
        return "No quotations are listed under the themes."
    if distinct == len(listed):
        return f"{plural(len(listed), 'quotation')} listed under the themes, each a different quote."
    return (f"{plural(len(listed), 'quotation')} listed under the themes, of {plural(distinct, 'quote')} "
            "(a quote coded with several themes is listed under each).")


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


#: How a count hidden by secondary suppression is shown (as statistical offices mark "confidential").
SECONDARY_MARK = "[c]"


def suppression_note(min_cell: int) -> str:
    """The sentences that explain suppressed counts and withheld attributions (see docs/confidentiality.md)."""
    small = "counts of 1" if min_cell == 2 else f"counts from 1 to {min_cell - 1}"
    return (
        f"{small} in the organisation and region splits, and every count of a group of fewer than "
        f"{min_cell} respondents, are shown as <{min_cell}; further counts are shown as {SECONDARY_MARK} so "
        "that a hidden one cannot be worked out from the totals; and a quote's region or organisation is "
        "withheld wherever its group's count under that theme is hidden."
    )


def format_count(n: int | None, min_cell: int, hidden: str = "") -> str:
    """Show a count, ``<N`` (e.g. ``<5``) when it is small, or ``[c]`` when hidden to protect another."""
    if n is not None:
        return str(n)
    return SECONDARY_MARK if hidden == "secondary" else f"<{min_cell}"


def coded_text(split: Split, min_cell: int) -> str:
    """A split's count of respondents coded, as the tables show it."""
    return format_count(split.n_coded, min_cell, split.hidden)


def group_text(split: Split, min_cell: int) -> str:
    """A split's count of respondents in the group, as the tables show it."""
    return format_count(split.n_group, min_cell, split.group_hidden)


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
    """Group sizes on one line: ``CRC 812, NPS 640, Other <5, (not given) [c]``."""
    return ", ".join(f"{g.group} {format_count(g.respondents, min_cell, g.hidden)}" for g in groups)


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
    chosen = check_attribution(attribution)
    parts = [getattr(row, a) for a in chosen if a not in row.withheld]
    parts = [p.strip() for p in parts if p and p.strip()]
    withheld = [ATTRIBUTE_NAMES[a] for a in chosen if a in row.withheld]
    if withheld:
        note = f"{' and '.join(withheld)} withheld"
        return f"({', '.join(parts)}; {note})" if parts else f"({note})"
    return f"({', '.join(parts)})" if parts else ""


#: Attributes as a sentence names them.
ATTRIBUTE_NAMES = {"region": "region", "org": "organisation"}

_STATUS_WORDS = {
    "default": "suggested and accepted codings count; rejected ones do not",
    "suggested": "only suggestions nobody has decided on yet",
    "accepted": "only codings a person accepted or added",
    "rejected": "only codings a person rejected",
    "all": "every coding, rejected ones included",
}


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "unknown time"


def working_lines(working: WorkingCoding | None, codebook_name: str = "", codebook_version: str = "") -> list[str]:
    """What a report or export counts, in sentences for its header.

    Names the methods whose suggestions count, the ``code`` runs that wrote them (their
    dates and codebooks), the human decisions applied, the status filter, and the
    codebook the labels come from when it is not the one the runs used. The dates are
    those of the coding, not of writing the file, so the same project always gives the
    same header.
    """
    if working is None:
        return []
    lines = []
    if working.methods:
        runs = "; ".join(
            f"run {r.run_id} ({r.method}, {_when(r.started_at)}, codebook “{r.codebook_name}” version "
            f"{r.codebook_version})" for r in working.runs
        )
        how = (" — the method of the latest `code` run; choose another with --method"
               if working.chosen_by == "latest code run" else "")
        noun = "method" if len(working.methods) == 1 else "methods, counted together"
        lines.append(f"Counts: suggestions of the {', '.join(working.methods)} {noun}{how}; from `code` {runs}.")
        if len(working.runs) > 1:
            lines.append("The later runs coded only quotes ingested after the earlier ones.")
    else:
        lines.append("Counts: human decisions only (the project has no `code` run).")
    decided = working.accepted + working.rejected
    if decided:
        lines.append(
            f"Human decisions applied: {working.accepted:,} accepted and {working.rejected:,} rejected "
            f"(latest {_when(working.last_decision_at)}); a code a person added counts as method human."
        )
    else:
        lines.append("Human decisions applied: none yet.")
    lines.append(f"Status filter: {working.status} ({_STATUS_WORDS.get(working.status, working.status)}).")
    used = {(r.codebook_name, r.codebook_version) for r in working.runs}
    if codebook_name and used and (codebook_name, codebook_version) not in used:
        lines.append(f"Labels and order from codebook “{codebook_name}” version {codebook_version}.")
    return lines


def table_lines(table: ThemedTable) -> list[str]:
    """:func:`working_lines` for a themed table."""
    return working_lines(table.working, table.codebook_name, table.codebook_version)
