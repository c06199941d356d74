"""Add rule terms to one code of a YAML codebook file, keeping every other byte of it.

Used by ``codebook suggest --add``: the researcher picks terms from the suggestions
and they are appended to the code's ``rules: any:`` list. As with ``topics
promote`` (:mod:`probation_themes.codebook.promote`), ruamel.yaml's round-trip
parser finds where the list is, the new terms are written into the text there,
the version is bumped, and the result is read back and checked to be exactly the
old codebook plus the new terms before it replaces the file. Comments, order,
quoting and line breaks elsewhere stay as the researcher wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from probation_themes.codebook.io import _format_of, _read_text, _write_atomically, codebook_from_yaml, load_codebook
from probation_themes.codebook.promote import _yaml, bump_minor
from probation_themes.codebook.schema import Codebook, check_term
from probation_themes.errors import CodebookError

#: Longest line the flow list is grown to before its new terms go on a line of their own.
WIDTH = 100

# A term that can be written in a flow list without quotes.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 '\-*&/.]*")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}


@dataclass
class TermsAdded:
    """What :func:`add_rule_terms` did."""

    codebook: Codebook
    added: list[str]
    already: list[str]
    version: str


def _scalar(term: str) -> str:
    if _PLAIN.fullmatch(term) and term.lower() not in _YAML_WORDS and not term.endswith(" ") and ": " not in term:
        return term
    return "'" + term.replace("'", "''") + "'"


def _flow_end(text: str, start: int) -> int:
    """Offset of the ``]`` closing the flow list that opens at ``start``."""
    depth = 0
    i = start
    quote = ""
    while i < len(text):
        ch = text[i]
        if quote == "'":
            if ch == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 1
                else:
                    quote = ""
        elif quote == '"':
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = ""
        elif ch in "'\"" and (i == 0 or text[i - 1] in "[, \n\t"):
            quote = ch
        elif ch == "#" and text[i - 1] in " \t\n":
            i = text.find("\n", i)  # a comment runs to the end of its line
            if i < 0:
                break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unclosed flow list")


def _offset(lines: list[str], line: int, col: int) -> int:
    return sum(len(x) for x in lines[:line]) + col


def _insert(text: str, data: CommentedMap, index: int, terms: list[str], path: Path) -> str:
    code = data["codes"][index]
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
        text = "".join(lines)
    rules = code.get("rules")
    written = [_scalar(t) for t in terms]
    if isinstance(rules, CommentedMap) and isinstance(rules.get("any"), CommentedSeq):
        seq = rules["any"]
        if seq.fa.flow_style():
            line, col = rules.lc.value("any")
            start = _offset(lines, line, col)
            end = _flow_end(text, start)
            last = end - 1
            while last > start and text[last] in " \t\n":
                last -= 1
            sep = "" if text[last] in "[," else ","
            line_start = text.rfind("\n", 0, last) + 1
            line_end = text.find("\n", last)
            addition = ", ".join(written)
            if len(text[line_start:line_end]) + len(addition) + 2 <= WIDTH or text[last] == "[":
                piece = f"{sep} {addition}" if text[last] != "[" else addition
            else:
                piece = f"{sep}\n{' ' * (col + 1)}{addition}"
            return text[: last + 1] + piece + text[last + 1 :]
        # A block list: one "- term" line per term after the list's last item.
        line, col = seq.lc.item(len(seq) - 1)
        dash = lines[line].rindex("-", 0, col + 1) if "-" in lines[line][: col + 1] else max(col - 2, 0)
        at = line + 1
        while at < len(lines) and lines[at].strip() and len(lines[at]) - len(lines[at].lstrip()) > dash:
            at += 1  # the last item runs on over more lines
        lines[at:at] = [f"{' ' * dash}- {w}\n" for w in written]
        return "".join(lines)
    if isinstance(rules, CommentedMap):
        if rules.fa.flow_style():
            raise CodebookError(
                f"The rules of code {code['id']!r} in {path} are written on one line ({{...}}) without an `any` "
                "list, so the terms cannot be added safely; add `any: [...]` to them by hand and run the "
                "command again.",
                path=path, code_id=str(code["id"]),
            )
        first = next(iter(rules))
        line, col = rules.lc.key(first)
        lines[line:line] = [f"{' ' * col}any: [{', '.join(written)}]\n"]
        return "".join(lines)
    if code.fa.flow_style():
        raise CodebookError(
            f"Code {code['id']!r} in {path} is written on one line ({{...}}) and has no rules, so the terms "
            "cannot be added safely; give it `rules: {any: [...]}` by hand and run the command again.",
            path=path, code_id=str(code["id"]),
        )
    keys = list(code)
    line, col = code.lc.key(keys[0])
    if "seeds" in code:
        at = code.lc.key("seeds")[0]
    else:
        codes = data["codes"]
        if index + 1 < len(codes):
            at = codes.lc.item(index + 1)[0]
        else:
            top = list(data)
            after = top[top.index("codes") + 1 :]
            at = data.lc.key(after[0])[0] if after else len(lines)
        while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1
    lines[at:at] = [f"{' ' * col}rules:\n", f"{' ' * (col + 2)}any: [{', '.join(written)}]\n"]
    return "".join(lines)


def _replace_version(text: str, data: CommentedMap, version: str) -> str:
    lines = text.splitlines(keepends=True)
    line, col = data.lc.value("version")
    old = re.escape(str(data["version"]))
    lines[line] = lines[line][:col] + re.sub(
        rf"(['\"]?){old}\1", lambda m: f"{m.group(1)}{version}{m.group(1)}", lines[line][col:], count=1
    )
    return "".join(lines)


def add_rule_terms(path: str | Path, code_id: str, terms: Sequence[str]) -> TermsAdded:
    """Append ``terms`` to the ``rules: any:`` list of one code in a YAML codebook file.

    Terms the code's ``any`` list already holds are skipped. When anything is
    added, the minor version is bumped (1.2.0 → 1.3.0), as a change of rules
    requires. Everything else in the file is kept byte for byte.

    Args:
        path: the codebook file (YAML).
        code_id: the code to add the terms to.
        terms: rule terms as they would be written in the codebook.

    Returns:
        The codebook as it now is, the terms added and those already there.

    Raises:
        CodebookError: the file is not YAML, the code does not exist, a term is not
            a valid rule term, or the file's layout cannot be edited safely (then
            nothing is written).
    """
    path = Path(path)
    if _format_of(path) != "yaml":
        raise CodebookError(
            f"{path} is not a YAML codebook; terms are written into YAML files only, where comments can be "
            f"kept. Convert it first (`probation-themes codebook convert {path} -o codebook.yaml`) and add the "
            "terms to the YAML file.",
            path=path,
        )
    before = load_codebook(path)
    if code_id not in before.ids:
        raise CodebookError(f"The codebook {path} has no code {code_id!r}; its codes are {', '.join(before.ids)}.",
                            path=path, code_id=code_id)
    index = before.ids.index(code_id)
    tidy: list[str] = []
    for j, term in enumerate(terms):
        try:
            tidy.append(check_term(term))
        except ValueError as exc:
            raise CodebookError(f"Term {j + 1} ({term!r}) cannot be added to {code_id!r}: {exc}.", path=path,
                                code_id=code_id) from None
    code = before.codes[index]
    existing = set(code.rules.any) if code.rules else set()
    added = [t for t in dict.fromkeys(tidy) if t not in existing]
    already = [t for t in dict.fromkeys(tidy) if t in existing]
    if not added:
        return TermsAdded(before, [], already, before.version)
    text = _read_text(path)
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise CodebookError(f"{path} could not be read for editing: {exc}", path=path) from None
    version = bump_minor(before.version, path)
    try:
        new_text = _replace_version(_insert(text, data, index, added, path), data, version)
    except (ValueError, KeyError, IndexError, AttributeError):
        new_text = ""
    expected = before.model_dump()
    expected["version"] = version
    rules = expected["codes"][index].get("rules") or {
        "any": [], "all": [], "near": [], "none": [], "regex": [], "ignore_negation": []
    }
    rules["any"] = [*rules["any"], *added]
    expected["codes"][index]["rules"] = rules
    try:
        after = codebook_from_yaml(new_text, path) if new_text else None
    except CodebookError:
        after = None
    if after is None or after.model_dump() != Codebook.model_validate(expected).model_dump():
        raise CodebookError(
            f"The terms could not be written into {path} without changing something else in it (its layout "
            f"around code {code_id!r} is unusual), so the file was left as it was. Add them by hand to the "
            f"code's `rules: any:` list: {', '.join(added)}.",
            path=path, code_id=code_id,
        )
    try:
        _write_atomically(path, new_text.encode("utf-8"))
    except OSError as exc:
        raise CodebookError(
            f"Cannot write the codebook {path}: {exc.strerror or exc}. Check that the file is writable.", path=path
        ) from None
    return TermsAdded(after, added, already, version)
