"""Reading, writing and converting codebook files: YAML (the master format), CSV and REFI-QDA ``.qdc``."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from pydantic import ValidationError

from probation_themes.codebook.csvform import codebook_from_csv, codebook_to_csv
from probation_themes.codebook.messages import (
    format_location,
    join_problems,
    problems_from,
    sentence,
    yaml_place,
)
from probation_themes.codebook.qdc import codebook_to_qdc, qdc_to_data
from probation_themes.codebook.schema import Codebook
from probation_themes.codebook.yamlform import dump_codebook_yaml, parse_yaml
from probation_themes.errors import CodebookError

__all__ = [
    "FORMATS",
    "codebook_from_yaml",
    "convert_codebook",
    "format_location",
    "load_codebook",
    "read_codebook",
    "save_codebook",
    "validate_codebook",
]

#: File extensions the codebook readers and writers understand, and the format of each.
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".qdc": "qdc"}


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        shown = f"extension {path.suffix!r}" if path.suffix else "no extension"
        raise CodebookError(
            f"The codebook file {path} has {shown}; supported formats are YAML (.yaml, .yml), "
            "CSV (.csv) and REFI-QDA (.qdc). Rename the file or choose an output name with one of those extensions.",
            path=path,
        )
    return fmt


def validate_codebook(data: object, path: str | Path | None = None) -> Codebook:
    """Check parsed codebook data (for example from YAML) and return the Codebook.

    Args:
        data: the parsed document, normally a mapping with name, version, description, codes.
        path: the file it came from, used in error messages.

    Returns:
        The validated codebook.

    Raises:
        CodebookError: one paragraph listing every problem by place, e.g.
            ``codes -> 3 (workload) -> rules -> any -> 2: unbalanced quote in '"caseload': remove
            the quote marks``. ``location`` holds the first problem's plain path
            (``codes -> 3 -> rules -> any -> 2``) and ``code_id`` the id of its code.
    """
    where_file = f" {path}" if path else ""
    if data is None:
        raise CodebookError(
            f"The codebook{where_file} is empty. A codebook needs a name, a version and at least one "
            "code; `probation-themes codebook init --template -o codebook.yaml` writes a commented "
            "template to start from, and docs/codebook.md describes every field.",
            path=path,
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({data!r:.40})"
        raise CodebookError(
            f"The codebook{where_file} must be a mapping with the fields name, version, description "
            f"and codes at its top level, but it holds {kind}. Start the file with lines such as "
            "`name: My survey` and `version: 1.0.0`, then `codes:` followed by the list of codes.",
            path=path,
        )
    try:
        return Codebook.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, data)
        listed = join_problems([(yaml_place(p), p.message) for p in problems])
        raise CodebookError(
            f"The codebook{where_file} is not valid: {sentence(listed)} Fix "
            f"{'this field' if len(problems) == 1 else 'these fields'} and run "
            f"`probation-themes codebook validate{where_file}` again.",
            path=path,
            location=format_location(problems[0].loc),
            code_id=problems[0].code_id,
        ) from None


def codebook_from_yaml(text: str, path: str | Path | None = None) -> Codebook:
    """Parse and validate a codebook from YAML text.

    Args:
        text: the YAML document.
        path: the file it came from, used in error messages.

    Returns:
        The validated codebook.

    Raises:
        CodebookError: for a YAML syntax error (with line and column), a duplicate key,
            an empty document, any field that breaks the format, or aliases that
            expand to an absurd size (a "billion laughs" file).
    """
    data = parse_yaml(text, path)
    _refuse_alias_bomb(data, path)
    return validate_codebook(data, path)


#: More values than any real codebook holds (10,000 codes with full rules stay far below it).
_MAX_VALUES = 2_000_000


def _refuse_alias_bomb(data: object, path: str | Path | None) -> None:
    """Stop before validating a document whose YAML aliases (&a, *a) expand it beyond reason.

    Aliases let a few lines stand for billions of values; validating them would hang.
    Counting stops at the limit, so the check itself is quick.
    """
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > _MAX_VALUES:
            where = f" {path}" if path else ""
            raise CodebookError(
                f"The codebook{where} expands to more than {_MAX_VALUES:,} values through YAML aliases "
                "(&name and *name), far more than any codebook holds, so it was not read. Write the codes "
                "out without aliases.",
                path=path,
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _read_bytes(path: Path) -> bytes:
    if path.exists() and not path.is_dir() and not path.is_file():  # a named pipe would wait for ever
        raise CodebookError(
            f"{path} is not a regular file (a named pipe or a device), so it cannot be read as a codebook. "
            "Save the codebook to a file and give that file.",
            path=path,
        )
    try:
        return path.read_bytes()
    except FileNotFoundError:
        target = shlex.quote(str(path)) if path.suffix.lower() in FORMATS else "codebook.yaml"
        raise CodebookError(
            f"Codebook file {path} does not exist. Check the path and its spelling. To start from the "
            f"probation codebook that comes with probation-themes, write a copy of it there with "
            f"`probation-themes codebook init -o {target}` (add --template for a short commented "
            "template to fill in instead).",
            path=path,
        ) from None
    except IsADirectoryError:
        raise CodebookError(f"{path} is a folder, not a codebook file; give the path of the file.",
                            path=path) from None
    except PermissionError:
        raise CodebookError(f"Codebook file {path} cannot be read: permission denied. Check the "
                            "file's permissions or copy it somewhere you can read.", path=path) from None


def _read_text(path: Path) -> str:
    raw = _read_bytes(path)
    # Excel's "Unicode text" and some editors save UTF-16 with a byte-order mark.
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CodebookError(
            f"Codebook file {path} is not UTF-8 text (an unreadable byte on line {line}). Save it "
            "as UTF-8: in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited)'; in a text "
            "editor choose the UTF-8 encoding.",
            path=path,
            location=f"line {line}",
        ) from None


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook file: YAML (.yaml, .yml), CSV (.csv) or REFI-QDA (.qdc).

    A ``.qdc`` from NVivo, ATLAS.ti, MAXQDA, QualCoder or Taguette is read as described in
    :func:`probation_themes.codebook.qdc.qdc_to_data`.

    Args:
        path: the codebook file.

    Returns:
        The validated codebook.

    Raises:
        CodebookError: if the file is missing, unreadable, of an unsupported type, or
            breaks the codebook format; the message names the place and how to fix it.
    """
    path = Path(path)
    fmt = _format_of(path)
    if fmt == "qdc":
        return validate_codebook(qdc_to_data(_read_bytes(path), path), path)
    text = _read_text(path)
    if fmt == "csv":
        return codebook_from_csv(text, path)
    return codebook_from_yaml(text, path)


def read_codebook(path: str | Path) -> Codebook:
    """Read a codebook file of any supported format; the same as :func:`load_codebook`."""
    return load_codebook(path)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and move it into place.

    A crash or full disk mid-write then leaves the old file whole instead of half a codebook.
    """
    if not path.parent.is_dir():
        raise CodebookError(
            f"Cannot write {path}: the folder {path.parent} does not exist. Create it or choose "
            "another output path.",
            path=path,
        )
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def save_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Save a codebook, choosing YAML, CSV or REFI-QDA ``.qdc`` from the file extension.

    The file is replaced in one step, so an interrupted save never leaves a half-written
    codebook. CSV is written as UTF-8 with a byte-order mark so that Excel shows
    accented letters and curly quotes correctly.

    Args:
        codebook: the codebook to save.
        path: where to save it (.yaml, .yml, .csv or .qdc).

    Returns:
        The path written.

    Raises:
        CodebookError: for an unsupported extension or a folder that does not exist or
            cannot be written to.
    """
    path = Path(path)
    fmt = _format_of(path)
    if fmt == "csv":
        data = codebook_to_csv(codebook).encode("utf-8-sig")
    elif fmt == "qdc":
        data = codebook_to_qdc(codebook)
    else:
        data = dump_codebook_yaml(codebook).encode("utf-8")
    try:
        _write_atomically(path, data)
    except OSError as exc:
        raise CodebookError(
            f"Cannot write the codebook to {path}: {exc.strerror or exc}. Check that the folder "
            "is writable and the disk is not full.",
            path=path,
        ) from None
    return path


def convert_codebook(src: str | Path, dst: str | Path) -> Codebook:
    """Convert a codebook file between YAML, CSV and REFI-QDA ``.qdc``, choosing formats by extension.

    YAML ⇄ CSV is lossless (YAML comments are not carried over). A ``.qdc`` keeps ids,
    labels, hierarchy, colours, definitions, criteria and examples, but not rules or
    seed words, nor the codebook's name and version (taken from the file name on reading).

    Args:
        src: the codebook to read (.yaml, .yml, .csv or .qdc).
        dst: the file to write (.yaml, .yml, .csv or .qdc); replaced if it exists.

    Returns:
        The codebook that was converted.

    Raises:
        CodebookError: if either extension is unsupported or the source is not valid.
    """
    dst = Path(dst)
    _format_of(dst)  # refuse a bad output name before doing any work
    codebook = load_codebook(src)
    save_codebook(codebook, dst)
    return codebook
