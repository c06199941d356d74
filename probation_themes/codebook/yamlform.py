"""The YAML form of a codebook: a strict reader and a readable, stable writer."""

from __future__ import annotations

from pathlib import Path

import yaml

from probation_themes.codebook.schema import Code, Codebook, Rules
from probation_themes.errors import CodebookError

CODE_FIELDS = ("id", "label", "parent", "definition", "include", "exclude", "examples", "color", "rules", "seeds")
RULE_FIELDS = ("any", "all", "near", "none", "regex")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys.

    PyYAML silently keeps the last of two equal keys, so a second `any:` under one
    code would throw away the first list of rules without a word.
    """


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[object, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool)):
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in the same mapping; keep one", key_node.start_mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, path: str | Path | None = None) -> object:
    """Parse YAML text; a syntax error becomes a CodebookError naming line and column."""
    where_file = f" {path}" if path else ""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        hint = (
            "Indent with spaces, not tabs"
            if "'\\t'" in problem
            else "Check the indentation and quoting on that line and the one before it; a value "
            "containing ': ' or starting with a quote, '*', '&' or '#' must be put in quotes"
        )
        raise CodebookError(
            f"The codebook{where_file} is not valid YAML{where}: {problem}. {hint}.",
            path=path,
            location=f"line {mark.line + 1}, column {mark.column + 1}" if mark else None,
        ) from None


class _FlowList(list):
    """A list written on one line, as `[training, time, 8]`."""


class _Dumper(yaml.SafeDumper):
    """Block style, indented sequences, no anchors."""

    def ignore_aliases(self, data: object) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key; PyYAML's default puts `-` flush with the key.
        super().increase_indent(flow, False)


# YAML reads these as line breaks; PyYAML writes them unescaped in plain and single-quoted
# text, where reading folds them into spaces. Only double quotes write them as escapes.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    if any(brk in value for brk in _OTHER_BREAKS):
        style = '"'
    elif "\n" in value:
        # Multi-line text (definitions, quoted examples) reads best as a literal block; the
        # emitter itself falls back to quotes when a literal block cannot hold the text exactly.
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: _Dumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_FlowList, _represent_flow)


def _rules_mapping(rules: Rules) -> dict:
    out: dict = {}
    for field in RULE_FIELDS:
        values = getattr(rules, field)
        if values:
            out[field] = [_FlowList(v) for v in values] if field == "near" else list(values)
    return out


def _code_mapping(code: Code) -> dict:
    out: dict = {}
    for field in CODE_FIELDS:
        value = getattr(code, field)
        if field == "rules":
            value = _rules_mapping(value) if value is not None else None
        if value is None or value == [] or value == {}:
            continue
        out[field] = list(value) if isinstance(value, list) else value
    return out


def codebook_mapping(codebook: Codebook) -> dict:
    """The codebook as plain data in the documented field order, empty fields left out."""
    out: dict = {"name": codebook.name, "version": codebook.version}
    if codebook.description:
        out["description"] = codebook.description
    out["codes"] = [_code_mapping(code) for code in codebook.codes]
    return out


def dump_codebook_yaml(codebook: Codebook) -> str:
    """Write a codebook as YAML text, ready to save and edit by hand.

    Fields come in the documented order (name, version, description, codes; within a
    code id, label, parent, definition, include, exclude, examples, color, rules, seeds;
    within rules any, all, near, none, regex). Empty optional fields are left out,
    non-ASCII text is kept as it is, and loading the text gives back an equal codebook.

    Args:
        codebook: the codebook to write.

    Returns:
        The YAML document as a string.
    """
    return yaml.dump(
        codebook_mapping(codebook),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )
