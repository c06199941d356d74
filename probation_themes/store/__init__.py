"""The project store: one SQLite file, the only place with SQL."""

from probation_themes.store.project import (
    CoderCodings,
    IngestWriter,
    Project,
    QuoteRef,
    SourceRecord,
    StatusFilter,
    SuggestionRow,
    SuggestionWriter,
    suggestion_row,
)

__all__ = [
    "CoderCodings", "IngestWriter", "Project", "QuoteRef", "SourceRecord", "StatusFilter", "SuggestionRow", "SuggestionWriter",
    "suggestion_row",
]
