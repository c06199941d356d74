"""The NVivo bundle: everything an NVivo user needs to carry on with the project, and in which order.

Files (all written by :func:`nvivo_bundle`):

- ``codebook.qdc``: the codes with hierarchy, colours and descriptions (Import > Codebook).
- ``project.qdpx``: respondents' texts with every coding, cases and attributes
  (File > Import > REFI-QDA Project; this makes a new NVivo project).
- ``classification.xlsx`` / ``classification.csv``: the classification sheet, NVivo's
  layout: the first column is the case name (the respondent id), then one column per
  attribute (Import > Classification Sheets).
- ``coded_quotes.xlsx`` / ``coded_quotes.csv``: one row per quote with its respondent,
  attributes, text and one Yes/No column per code, for NVivo's dataset import or Excel.
- ``README.txt``: the import order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from probation_themes.codebook import Codebook
from probation_themes.export.format import working_lines
from probation_themes.export.refiqda import render_qdc, render_qdpx
from probation_themes.export.safety import CSV_FILE_ENCODING, csv_text
from probation_themes.export.table import check_snapshot
from probation_themes.export.xlsx_report import workbook_bytes
from probation_themes.models import Quote, Snapshot

README = """\
NVivo bundle of the survey project "{project}" ({n_respondents} respondents, {n_quotes} quotes,
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
   2. Import > Survey (or Dataset)... and choose coded_quotes.xlsx. Make "respondent" the
      column that identifies cases, "quote" a codable column and the rest classifying
      columns. The Yes/No column of each code shows how the toolkit coded each quote;
      use NVivo's autocoding by column value to turn them into codings.
   3. Import > Classification Sheets... and choose classification.xlsx as in A.2.

The .csv files hold the same tables as the .xlsx files (UTF-8 with a byte-order mark),
for NVivo on Mac or any other program. Cells that a spreadsheet could run as a formula
start with an apostrophe.
"""


def _case_rows(quotes: list[Quote]) -> tuple[list[str], list[list[str]]]:
    """Classification sheet: the case name (respondent id), then one column per attribute."""
    by_respondent: dict[str, dict[str, str]] = defaultdict(dict)
    names: dict[str, None] = {"Region": None, "Organisation": None}
    for quote in quotes:
        values = by_respondent[quote.response_id]
        for name, value in (("Region", quote.region), ("Organisation", quote.org), *quote.attributes.items()):
            names.setdefault(name, None)
            if value and value.strip() and name not in values:
                values[name] = value.strip()
    header = ["Respondent", *names]
    return header, [[rid, *(values.get(n, "") for n in names)] for rid, values in by_respondent.items()]


def _quote_rows(snapshot: Snapshot, codebook: Codebook) -> tuple[list[str], list[list[str]]]:
    applied: dict[str, set[str]] = defaultdict(set)
    for coding in snapshot.codings:
        applied[coding.quote_id].add(coding.code)
    header = ["quote_id", "respondent", "region", "organisation", "question", "quote",
              *(c.label for c in codebook.codes)]
    rows = [
        [q.quote_id, q.response_id, q.region or "", q.org or "", q.question or "", q.text,
         *("Yes" if c.id in applied[q.quote_id] else "No" for c in codebook.codes)]
        for q in snapshot.quotes
    ]
    return header, rows


def nvivo_bundle(
    snapshot: Snapshot, codebook: Codebook, *, status: str, run_times: Mapping[int, datetime] | None = None
) -> dict[str, bytes]:
    """Every file of the NVivo bundle, by file name (see the module docstring).

    Args:
        snapshot: the quotes and the codings to export.
        codebook: the codebook the project was coded with.
        status: which codings the snapshot holds, for the README.
        run_times: start time of each coding run, by run id (dates machine suggestions).

    Returns:
        File name -> content; the same project always gives the same bytes.

    Raises:
        ExportError: a coding names a quote or code the snapshot or codebook lacks.
    """
    check_snapshot(snapshot, codebook)
    case_header, case_rows = _case_rows(snapshot.quotes)
    quote_header, quote_rows = _quote_rows(snapshot, codebook)
    readme = README.format(
        project=snapshot.project, n_respondents=len(case_rows), n_quotes=len(quote_rows),
        n_codings=len({(c.quote_id, c.code) for c in snapshot.codings}), status=status,
        codebook=codebook.name, version=codebook.version,
        counts="".join(f"{line}\n" for line in working_lines(snapshot.working, codebook.name, codebook.version)),
    )
    return {
        "README.txt": readme.replace("\n", "\r\n").encode("utf-8"),
        "codebook.qdc": render_qdc(codebook),
        "project.qdpx": render_qdpx(snapshot, codebook, run_times=run_times),
        "classification.xlsx": workbook_bytes([("Respondents", [case_header, *case_rows], 1)]),
        "classification.csv": csv_text(case_header, case_rows).encode(CSV_FILE_ENCODING),
        "coded_quotes.xlsx": workbook_bytes([("Quotes", [quote_header, *quote_rows], 1)]),
        "coded_quotes.csv": csv_text(quote_header, quote_rows).encode(CSV_FILE_ENCODING),
    }
