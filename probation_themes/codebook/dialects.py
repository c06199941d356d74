"""Codebook tables in the layouts that QualCoder, Taguette and MAXQDA users paste or import.

These are one-way exports: each program's table holds less than the codebook (no rules,
no seed words), so convert back from YAML or ``.qdc``, not from these.

- ``maxqda``: the ``Code`` and ``Memo`` columns of MAXQDA's "Import codes and memos from an
  Excel table"; a subcode is written ``Parent\\Child`` (MAXQDA's backslash path).
- ``qualcoder``: what QualCoder's "Import plain text codes list" reads from a ``.csv``:
  no header row, the code's path in the first column (``Category>>Code``, every
  ancestor a category, as QualCoder 3.8 and later read ``>>``) and its memo in the
  second. A code with children is written twice over: as a code of its own (so its
  definition and codings have a home) and, in its children's paths, as their category.
  QualCoder gives imported codes colours of its own.
- ``taguette``: ``tag`` and ``description``, the columns of Taguette's codebook table;
  Taguette has no hierarchy, so a child tag is written ``Parent / Child``. Taguette's
  import form shows each description in a one-line text field, which drops line breaks,
  so descriptions are written on one line (:func:`fold_description_line`).
"""

from __future__ import annotations

import csv
import io
from typing import Literal

from probation_themes.codebook.cells import guard
from probation_themes.codebook.qdc import choice_lines, fold_description, fold_description_line
from probation_themes.codebook.schema import Codebook

Dialect = Literal["maxqda", "qualcoder", "taguette"]
DIALECTS: tuple[Dialect, ...] = ("maxqda", "qualcoder", "taguette")


def _path(codebook: Codebook, code_id: str, separator: str) -> str:
    labels, node = [], code_id
    while node is not None:
        code = codebook.get(node)
        # A separator inside a label would read as an extra level.
        labels.append(code.label.replace(separator.strip(), "-" if separator.strip() != ">>" else ">"))
        node = code.parent
    return separator.join(reversed(labels))


def codebook_to_dialect_csv(codebook: Codebook, dialect: Dialect) -> str:
    """The codebook as CSV text in a QDA program's layout (see the module docstring).

    Descriptions hold the definition, criteria, examples and code id, as in a ``.qdc``.
    Every cell that a spreadsheet could run as a formula is prefixed with an apostrophe.

    Args:
        codebook: the codebook to write.
        dialect: ``maxqda``, ``qualcoder`` or ``taguette``.

    Returns:
        CSV text with CRLF line ends and no byte-order mark.
    """
    if dialect == "maxqda":
        header = ["Code", "Memo"]
        rows = [[_path(codebook, c.id, "\\"), fold_description(c, choice_lines(codebook, c))] for c in codebook.codes]
    elif dialect == "qualcoder":
        header = None  # QualCoder reads every row as a code, a header too
        rows = [[_path(codebook, c.id, ">>"), fold_description(c, choice_lines(codebook, c))] for c in codebook.codes]
    else:
        header = ["tag", "description"]
        rows = [[_path(codebook, c.id, " / "), fold_description_line(c, choice_lines(codebook, c))] for c in codebook.codes]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(header)
    writer.writerows([[guard(cell) for cell in row] for row in rows])
    return buffer.getvalue()
