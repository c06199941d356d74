"""Codebooks: the YAML format, its validation, and conversion to and from CSV."""

from probation_themes.codebook.csvform import codebook_from_csv, codebook_to_csv
from probation_themes.codebook.io import (
    FORMATS,
    codebook_from_yaml,
    convert_codebook,
    format_location,
    load_codebook,
    read_codebook,
    save_codebook,
    validate_codebook,
)
from probation_themes.codebook.groups import SingleChoiceGroup
from probation_themes.codebook.schema import Code, Codebook, Rules
from probation_themes.codebook.summary import codebook_summary
from probation_themes.codebook.yamlform import dump_codebook_yaml

__all__ = [
    "FORMATS",
    "Code",
    "Codebook",
    "Rules",
    "SingleChoiceGroup",
    "codebook_from_csv",
    "codebook_from_yaml",
    "codebook_summary",
    "codebook_to_csv",
    "convert_codebook",
    "dump_codebook_yaml",
    "format_location",
    "load_codebook",
    "read_codebook",
    "save_codebook",
    "validate_codebook",
]
