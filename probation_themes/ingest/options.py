"""The choices a user makes when reading a file (the ``ingest`` command's options)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Split = Literal["response", "paragraph", "sentence", "quote"]


class IngestOptions(BaseModel):
    """How to read a file: which columns hold what, and how to cut answers into quotes.

    Column names are matched exactly first, then ignoring case and surrounding
    spaces. Column options do not apply to ``.txt``/``.md`` documents.
    """

    model_config = ConfigDict(extra="forbid")

    text_cols: list[str] = Field(
        default_factory=list,
        description="Columns holding answers; several questions give quotes tagged with the column name.",
    )
    id_col: str | None = Field(default=None, description="Column with the respondent id.")
    region_col: str | None = Field(default=None, description="Column with the region.")
    org_col: str | None = Field(default=None, description="Column with the legacy organisation.")
    attr_cols: list[str] = Field(
        default_factory=list, description="Other columns to keep on every quote (grade, team ...)."
    )
    split: Split = Field(
        default="response",
        description="One quote per response, paragraph, sentence, or attributed quotation.",
    )
    encoding: str | None = Field(default=None, description="Encoding to use instead of detecting it.")
    sheet: str | None = Field(default=None, description="XLSX sheet name (default: the first sheet).")
