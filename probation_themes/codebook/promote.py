"""Add a new code to a YAML codebook file without losing its comments, order or layout.

Used by ``topics promote``: an emergent topic becomes a code whose definition the
researcher still has to write. The file is edited in place with ruamel.yaml's
round-trip mode, which keeps comments, key order and quoting, and the result is
validated before it replaces the file.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from probation_themes.codebook.io import _format_of, _read_text, _write_atomically, codebook_from_yaml, load_codebook
from probation_themes.codebook.schema import Codebook
from probation_themes.errors import CodebookError

#: The definition a promoted code starts with; the researcher replaces it.
DEFINITION_PLACEHOLDER = (
    "TO WRITE: what this theme covers and where its edges are, in your own words. It was "
    "suggested by a topic model ({source}); read its quotes before relying on it."
)

#: The comment written above a promoted code.
DEFINITION_NOTE = "Promoted from a topic: write its definition (and check its rules) before coding with it."

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def bump_minor(version: str, path: Path | None = None) -> str:
    """The next minor version: 1.1.0 → 1.2.0 (a code was added; old codings stay valid)."""
    m = _VERSION.match(str(version).strip())
    if not m:
        raise CodebookError(
            f"The codebook's version {version!r} is not of the form major.minor.patch (e.g. 1.1.0), so "
            "it cannot be bumped. Correct `version` at the top of the file and run the command again.",
            path=path,
            location="version",
        )
    return f"{m.group(1)}.{int(m.group(2)) + 1}.0"


def _flow(items: Sequence[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _insert_code(text: str, code: CommentedMap, version: str, path: Path) -> str:
    """The file's text with ``code`` added after the last code and the version replaced.

    Only two places change: the ``version`` value and the lines of the new code,
    inserted where the ``codes`` list ends. Every other byte of the file stays
    as it was (ruamel.yaml finds the places and writes the new code's YAML).
    """
    yaml = _yaml()
    try:
        data = yaml.load(text)
    except YAMLError as exc:  # load_codebook accepted it, so this is a ruamel-only quirk
        raise CodebookError(f"{path} could not be read for editing: {exc}", path=path) from None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    codes = data["codes"]
    if codes.fa.flow_style() or any(not isinstance(c, CommentedMap) or c.fa.flow_style() for c in codes):
        raise CodebookError(
            f"The codes of {path} are written in flow style ([{{...}}]); new codes can only be added to "
            "a codebook that lists each code as a block (- id: ...), as the bundled one does.",
            path=path,
            location="codes",
        )
    first_line, _ = codes.lc.item(0)
    dash = lines[first_line].index("-")
    block = io.StringIO()
    yaml.dump([code], block)
    body = textwrap.dedent(block.getvalue())
    pad = " " * dash
    new_lines = [f"{pad}# {DEFINITION_NOTE}\n", *(pad + line if line.strip() else line for line in body.splitlines(True))]
    keys = list(data)
    after = keys[keys.index("codes") + 1 :]
    at = data.lc.key(after[0])[0] if after else len(lines)
    while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")) and after:
        at -= 1  # keep the comments and blank lines that introduce the next key with it
    while at > 0 and not lines[at - 1].strip():
        at -= 1
    lines[at:at] = new_lines
    v_line, v_col = data.lc.value("version")
    old = lines[v_line] if v_line < at else lines[v_line + len(new_lines)]
    value = re.escape(str(data["version"]))
    replaced = re.sub(rf"(['\"]?){value}\1", lambda m: f"{m.group(1)}{version}{m.group(1)}", old[v_col:], count=1)
    index = v_line if v_line < at else v_line + len(new_lines)
    lines[index] = old[:v_col] + replaced
    return "".join(lines)


def add_code(
    path: str | Path,
    *,
    code_id: str,
    label: str,
    seeds: Sequence[str],
    any_terms: Sequence[str],
    source: str,
) -> Codebook:
    """Append a code to a YAML codebook file and bump its minor version, keeping everything else.

    The new code gets ``id``, ``label``, a placeholder ``definition`` the
    researcher must rewrite (it says so, and names ``source``), ``rules.any`` with
    the suggested terms and ``seeds``. Comments, the order of keys and codes, and
    quoting elsewhere in the file are kept.

    Args:
        path: the codebook file (YAML).
        code_id: the new code's id (snake_case, not already used).
        label: its label.
        seeds: its seed words.
        any_terms: suggested ``any`` rule terms.
        source: where the code came from, e.g. "topic 14 of run 3: caseload, hours, toil".

    Returns:
        The codebook as it now is.

    Raises:
        CodebookError: the file is not YAML, is not a valid codebook, already has
            the id, or the new code would be invalid (e.g. an id that is not snake_case).
    """
    path = Path(path)
    if _format_of(path) != "yaml":
        raise CodebookError(
            f"{path} is not a YAML codebook; new codes are written into YAML files only, where "
            f"comments can be kept. Convert it first (`probation-themes codebook convert {path} "
            "codebook.yaml`) and promote into the YAML file.",
            path=path,
        )
    before = load_codebook(path)
    if code_id in before.ids:
        raise CodebookError(
            f"The codebook {path} already has a code {code_id!r}; ids are never reused. Choose "
            "another --id.",
            path=path,
            code_id=code_id,
        )
    text = _read_text(path)
    code = CommentedMap()
    code["id"] = code_id
    code["label"] = label
    code["definition"] = DEFINITION_PLACEHOLDER.format(source=source)
    rules = CommentedMap()
    rules["any"] = _flow(list(any_terms))
    code["rules"] = rules
    code["seeds"] = _flow(list(seeds))
    new_text = _insert_code(text, code, bump_minor(before.version, path), path)
    after = codebook_from_yaml(new_text, path)
    try:
        _write_atomically(path, new_text.encode("utf-8"))
    except OSError as exc:
        raise CodebookError(
            f"Cannot write the codebook {path}: {exc.strerror or exc}. Check that the file is writable.",
            path=path,
        ) from None
    return after
