"""Reports and exports: pure functions from a project snapshot to text, and safe file writes.

Build a :class:`ThemedTable` once with :func:`build_themed_table`, then render it with
:func:`render_markdown`, :func:`render_csv` or :func:`render_html`. Coding exports
(:func:`export_codings_long`, :func:`export_codings_wide`) work on the snapshot directly.
For projects too large to hold at once, ``table.themed_table_from_batches`` and
``csv_tables.long_rows``/``wide_rows`` take the project batch by batch and give the same results.
Nothing here prints or touches the network; write results with :func:`write_text_atomic`
(or :func:`write_csv_atomic` for CSV, which adds the byte-order mark Excel needs).
"""

from probation_themes.export.csv_tables import (
    export_codings_long,
    export_codings_wide,
    export_rejects,
    format_evidence,
    render_csv,
)
from probation_themes.export.format import (
    ATTRIBUTES,
    attribution_text,
    code_line,
    format_count,
    format_share,
)
from probation_themes.export.html_report import render_html
from probation_themes.export.markdown import render_markdown
from probation_themes.export.safety import (
    safe_cell,
    safe_filename,
    write_bytes_atomic,
    write_csv_atomic,
    write_text_atomic,
)
from probation_themes.export.table import (
    NOT_GIVEN,
    CodeSummary,
    GroupCount,
    QuoteRow,
    Split,
    ThemedTable,
    build_themed_table,
)

__all__ = [
    "ATTRIBUTES",
    "NOT_GIVEN",
    "CodeSummary",
    "GroupCount",
    "QuoteRow",
    "Split",
    "ThemedTable",
    "attribution_text",
    "build_themed_table",
    "code_line",
    "export_codings_long",
    "export_codings_wide",
    "export_rejects",
    "format_count",
    "format_evidence",
    "format_share",
    "render_csv",
    "render_html",
    "render_markdown",
    "safe_cell",
    "safe_filename",
    "write_bytes_atomic",
    "write_csv_atomic",
    "write_text_atomic",
]
