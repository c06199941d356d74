"""Write a codebook to start from: the bundled probation codebook, or a commented template.

``probation-themes codebook init`` runs :func:`write_starter_codebook`, so a researcher who
installed the package (and has no source checkout with ``codebooks/``) gets a codebook file
they can read, edit and code with.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

from probation_themes.codebook import Codebook, codebook_from_yaml, save_codebook
from probation_themes.errors import CodebookError
from probation_themes.workflows.resources import PROBATION_CODEBOOK, bundled_path

#: The commented template, kept as readable YAML inside the package.
TEMPLATE = "template.yaml"

_YAML = (".yaml", ".yml")
_FORMATS = (*_YAML, ".csv", ".qdc")


def starter_text(*, template: bool = False) -> str:
    """The YAML text of the bundled probation codebook, or of the commented template."""
    if template:
        return (resources.files("probation_themes.codebook") / TEMPLATE).read_text(encoding="utf-8")
    return bundled_path(PROBATION_CODEBOOK).read_text(encoding="utf-8")


def write_starter_codebook(output: str | Path, *, template: bool = False, overwrite: bool = False) -> Codebook:
    """Write the bundled probation codebook (or, with ``template``, a commented template) to ``output``.

    A ``.yaml`` or ``.yml`` output is the file as shipped, comments and all; ``.csv``
    (one row per code, for a spreadsheet) and ``.qdc`` (REFI-QDA, for NVivo and other
    QDA tools) are converted from it. Missing folders on the way are created.

    Args:
        output: the file to write.
        template: write the short commented template instead of the probation codebook.
        overwrite: replace ``output`` if it exists (otherwise that is refused).

    Returns:
        The codebook written.

    Raises:
        CodebookError: the output exists (and ``overwrite`` is off), has an extension
            other than .yaml, .yml, .csv or .qdc, or cannot be written.
    """
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        shown = f"the extension {path.suffix!r}" if path.suffix else "no extension"
        raise CodebookError(
            f"{path} has {shown}; a codebook is written as YAML (.yaml or .yml, with its comments), "
            "CSV (.csv, for a spreadsheet) or REFI-QDA (.qdc, for NVivo and other QDA tools). "
            "Choose a name such as codebook.yaml.",
            path=path,
        )
    if path.is_dir():
        raise CodebookError(f"{path} is a folder; give a file name such as {path / 'codebook.yaml'}.", path=path)
    if path.exists() and not overwrite:
        raise CodebookError(
            f"{path} already exists and was left as it is. Choose another file name, or add --force "
            "to replace it.",
            path=path,
        )
    text = starter_text(template=template)
    book = codebook_from_yaml(text, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix in _YAML:
            _write_atomically(path, text.encode("utf-8"))
        else:
            save_codebook(book, path)
    except OSError as exc:
        raise CodebookError(
            f"Cannot write the codebook to {path}: {exc.strerror or exc}. Check that the folder is "
            "writable and the disk is not full.",
            path=path,
        ) from None
    return book


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside ``path`` and move into place, so an interrupted write leaves no half file."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
