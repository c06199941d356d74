"""The errors a user can meet, each with the data that says where it happened.

Every message is written for the researcher: what went wrong, where (file, row,
column, codebook field) and how to fix it. The command line prints ``str(error)``
and exits with status 1; it never shows a traceback for these.
"""

from __future__ import annotations

from pathlib import Path


class ProbationThemesError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    def __init__(self, message: str, *, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None

    def __str__(self) -> str:
        return self.message


class IngestError(ProbationThemesError):
    """An input file could not be read as survey answers or report text."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message, path=path)
        self.row = row
        self.column = column


class CodebookError(ProbationThemesError):
    """A codebook file is missing, unreadable or breaks the codebook format."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        location: str | None = None,
        code_id: str | None = None,
    ) -> None:
        super().__init__(message, path=path)
        self.location = location
        self.code_id = code_id


class StoreError(ProbationThemesError):
    """The project file cannot be opened, is busy, or lacks what a command needs."""


class CoderError(ProbationThemesError):
    """A coder was configured or used wrongly (unknown name, not fitted, bad parameter)."""

    def __init__(self, message: str, *, code_id: str | None = None) -> None:
        super().__init__(message)
        self.code_id = code_id


class ExportError(ProbationThemesError):
    """A report or export could not be written."""


class EngineError(ProbationThemesError):
    """The engine that runs the work (local or Dask) is missing, misnamed or unreachable."""
