"""The project store: one SQLite file, the only place with SQL."""

from probation_themes.store.project import Project, QuoteRef, SourceRecord, StatusFilter

__all__ = ["Project", "QuoteRef", "SourceRecord", "StatusFilter"]
