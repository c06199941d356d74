"""The NVivo bundle: everything an NVivo user needs to carry on with the project, and in which order.

Files (all written by :func:`nvivo_bundle`):

- ``codebook.qdc``: the codes with hierarchy, colours and descriptions (Import > Codebook).
- ``project.qdpx``: respondents' texts with every coding, cases and attributes
  (File > Import > REFI-QDA Project; this makes a new NVivo project).
- ``classification.xlsx`` / ``classification.csv``: the classification sheet, NVivo's
  layout: the first column is the case name (the respondent id, or for a report split
  into attributed quotations one case per attribution), then one column per attribute
  (Import > Classification Sheets). The cases are the ``.qdpx``'s cases.
- ``coded_quotes.xlsx`` / ``coded_quotes.csv``: one row per quote with its respondent,
  case, attributes, text, memos and one Yes/No column per code, for NVivo's dataset
  import or Excel.
- ``README.txt``: the import order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from probation_themes.codebook import Codebook
from probation_themes.export.format import working_lines
from probation_themes.export.refiqda import Memos, cases, render_qdc, render_qdpx
from probation_themes.export.safety import CSV_FILE_ENCODING, csv_text
from probation_themes.export.table import check_snapshot
from probation_themes.export.xlsx_report import workbook_bytes
from probation_themes.models import Coding, Quote, Snapshot

README = """\
NVivo bundle of the survey project "{project}" ({n_respondents} respondents in {n_cases} cases, {n_quotes} quotes,
{n_codings} codings with status "{status}"; codebook "{codebook}" version {version}).
{counts}
Two ways into NVivo. Choose one.

A. The whole coded project (recommended; NVivo 12 or later on Windows, NVivo 14 on Mac)
   1. File > Import > REFI-QDA Project... and choose project.qdpx. NVivo creates a new
      project with one document per answer, the codes (with hierarchy, colours and
      descriptions), every coding, and a case per respondent holding their answers.
   2. Import > Classification Sheets... and choose classification.xlsx, with "Classification
      type: Case classification", "Create new attributes if they do not exist" and
      "As names" for the first column. Each case gets its region, organisation and other
      attributes. (project.qdpx already carries them as variables; the sheet makes them a
      case classification NVivo can use in crosstabs and matrix coding queries.)

B. Add to an existing NVivo project
   1. Import > Codebook... and choose codebook.qdc (creates the codes).
   2. Import > Survey (or Dataset)... and choose coded_quotes.xlsx. Make "case" the
      column that identifies cases, "quote" a codable column and the rest classifying
      columns ("memo" holds reviewers' memos on the quote and its codes). The Yes/No column of each code shows how the toolkit coded each quote;
      use NVivo's autocoding by column value to turn them into codings.
   3. Import > Classification Sheets... and choose classification.xlsx as in A.2.

The .csv files hold the same tables as the .xlsx files (UTF-8 with a byte-order mark),
for NVivo on Mac or any other program. Cells that a spreadsheet could run as a formula
start with an apostrophe.
"""


def _case_rows(quotes: list[Quote]) -> tuple[list[str], list[list[str]]]:
    """Classification sheet: the case name, then one column per attribute, one row per case."""
    names: dict[str, None] = {"Region": None, "Organisation": None}
    for quote in quotes:
        names.update(dict.fromkeys(quote.attributes))
    header = ["Respondent", *names]
    return header, [[case.name, *(case.values.get(n, "") for n in names)] for case in cases(quotes)]


def _memo_cell(quote_id: str, memos: Memos, codebook: Codebook) -> str:
    """A quote's memo, then each of its codes' memos as ``label: memo``, one per line."""
    lines = [memos[(quote_id, "")][0]] if (quote_id, "") in memos else []
    lines += [f"{c.label}: {memos[(quote_id, c.id)][0]}" for c in codebook.codes if (quote_id, c.id) in memos]
    return "\n".join(lines)


def _quote_rows(snapshot: Snapshot, codebook: Codebook, memos: Memos) -> tuple[list[str], list[list[str]]]:
    applied: dict[str, set[str]] = defaultdict(set)
    for coding in snapshot.codings:
        applied[coding.quote_id].add(coding.code)
    case_of = {q.quote_id: case.name for case in cases(snapshot.quotes) for q in case.quotes}
    header = ["quote_id", "respondent", "case", "region", "organisation", "question", "quote", "memo",
              *(c.label for c in codebook.codes)]
    rows = [
        [q.quote_id, q.response_id, case_of[q.quote_id], q.region or "", q.org or "", q.question or "", q.text,
         _memo_cell(q.quote_id, memos, codebook),
         *("Yes" if c.id in applied[q.quote_id] else "No" for c in codebook.codes)]
        for q in snapshot.quotes
    ]
    return header, rows


def nvivo_bundle(
    snapshot: Snapshot, codebook: Codebook, *, status: str, run_times: Mapping[int, datetime] | None = None,
    memos: Memos | None = None, imported: Sequence[Coding] = (),
) -> dict[str, bytes]:
    """Every file of the NVivo bundle, by file name (see the module docstring).

    Args:
        snapshot: the quotes and the codings to export.
        codebook: the codebook the project was coded with.
        status: which codings the snapshot holds, for the README.
        run_times: start time of each coding run, by run id (dates machine suggestions).
        memos: reviewers' memos (text, coder, date) by (quote id, code), for the project's
            notes and the ``memo`` column of the coded quotes.
        imported: imported coders' codings, written into ``project.qdpx`` as their own
            (see :func:`probation_themes.export.refiqda.render_qdpx`).

    Returns:
        File name -> content; the same project always gives the same bytes.

    Raises:
        ExportError: a coding names a quote or code the snapshot or codebook lacks.
    """
    check_snapshot(snapshot, codebook)
    case_header, case_rows = _case_rows(snapshot.quotes)
    quote_header, quote_rows = _quote_rows(snapshot, codebook, memos or {})
    readme = README.format(
        project=snapshot.project, n_respondents=len({q.response_id for q in snapshot.quotes}),
        n_cases=len(case_rows), n_quotes=len(quote_rows),
        n_codings=len({(c.quote_id, c.code) for c in snapshot.codings}), status=status,
        codebook=codebook.name, version=codebook.version,
        counts="".join(f"{line}\n" for line in working_lines(snapshot.working, codebook.name, codebook.version))
        + (f"project.qdpx also holds {len(imported):,} codings imported as "
           f"{', '.join(dict.fromkeys(c.coder or '' for c in imported))}, each with its coder and date.\n"
           if imported else ""),
    )
    return {
        "README.txt": readme.replace("\n", "\r\n").encode("utf-8"),
        "codebook.qdc": render_qdc(codebook),
        "project.qdpx": render_qdpx(snapshot, codebook, run_times=run_times, memos=memos, imported=imported),
        "classification.xlsx": workbook_bytes([("Respondents", [case_header, *case_rows], 1)]),
        "classification.csv": csv_text(case_header, case_rows).encode(CSV_FILE_ENCODING),
        "coded_quotes.xlsx": workbook_bytes([("Quotes", [quote_header, *quote_rows], 1)]),
        "coded_quotes.csv": csv_text(quote_header, quote_rows).encode(CSV_FILE_ENCODING),
    }
