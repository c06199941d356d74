"""The YAML form of a codebook: a strict reader and a readable, stable writer."""

from __future__ import annotations

from pathlib import Path

import yaml

from probation_themes.codebook.schema import Code, Codebook, Rules
from probation_themes.errors import CodebookError

CODE_FIELDS = (
    "id", "label", "parent", "definition", "include", "exclude", "examples", "color", "negation", "polarity",
    "exclusive", "rules", "seeds",
)
RULE_FIELDS = ("any", "all", "near", "none", "regex", "ignore_negation")


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when built with it
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


_CHECK_LINE = (
    "Check the indentation and quoting on that line and the one before it; a value "
    "containing ': ' or starting with a quote, '*', '&' or '#' must be put in quotes."
)
# A quote left open swallows the lines after it, so YAML reports the damage far below
# the slip; the hint sends the reader back up the file.
_LOOK_ABOVE = "If that line looks right, look above it for a quotation mark that is never closed."


def _place(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _at_tab(text: str, mark: yaml.Mark | None) -> bool:
    """True when the error mark sits on a tab (libyaml's parser does not name the tab itself)."""
    if mark is None:
        return False
    lines = text.splitlines()
    return mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t"


def _syntax_error(exc: yaml.YAMLError, text: str, where_file: str, path: str | Path | None) -> CodebookError:
    """A YAML syntax error as one paragraph saying where it is and how to fix it."""
    mark = getattr(exc, "problem_mark", None)
    opened = getattr(exc, "context_mark", None)
    context = getattr(exc, "context", None) or ""
    problem = getattr(exc, "problem", None) or str(exc)
    if "quoted scalar" in context and "end of stream" in problem and opened is not None:
        # The file ended inside quotes: the place to fix is the opening quote, not the end.
        return CodebookError(
            f"The codebook{where_file} is not valid YAML: the quoted text that starts at "
            f"{_place(opened)} is never closed, so the file ended inside it. Add the closing "
            f"quotation mark, or remove the opening one. {_LOOK_ABOVE}",
            path=path,
            location=_place(opened),
        )
    if "'\\t'" in problem or _at_tab(text, mark):
        hint = "Indent with spaces, not tabs."
    elif "escape character" in problem:
        hint = (
            "Inside double quotes a backslash starts an escape such as \\n; write regular "
            "expressions and other text with backslashes in single quotes instead."
        )
    elif isinstance(exc, (yaml.scanner.ScannerError, yaml.parser.ParserError)):
        hint = f"{_CHECK_LINE} {_LOOK_ABOVE}"
    elif "could not determine a constructor for the tag" in problem:
        hint = (
            "Tags such as !!python/object ask YAML to build program objects, which a codebook never "
            "needs and which are refused for safety: delete the tag and write the value as plain text."
        )
    else:
        hint = ""
    where = f" at {_place(mark)}" if mark else ""
    return CodebookError(
        f"The codebook{where_file} is not valid YAML{where}: {problem}. {hint}".rstrip(),
        path=path,
        location=_place(mark) if mark else None,
    )


def parse_yaml(text: str, path: str | Path | None = None) -> object:
    """Parse YAML text; a syntax error becomes a CodebookError naming line and column.

    An unclosed quotation mark is reported at the line where it opens; other scanning
    and parsing errors also suggest looking above the reported line for one.
    """
    where_file = f" {path}" if path else ""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, where_file, path) from None


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
        if field == "negation" and value is True:
            continue  # the default; written only when a code turns negation off
        if value is None or value == [] or value == {}:
            continue
        out[field] = list(value) if isinstance(value, list) else value
    return out


def codebook_mapping(codebook: Codebook) -> dict:
    """The codebook as plain data in the documented field order, empty fields left out."""
    out: dict = {"name": codebook.name, "version": codebook.version}
    if codebook.description:
        out["description"] = codebook.description
    if codebook.exclusive:
        out["exclusive"] = codebook.exclusive
    if codebook.exclusive_groups:
        out["exclusive_groups"] = [
            {**({"name": g.name} if g.name else {}),
             **({"codes": _FlowList(g.codes)} if g.codes is not None else {"parent": g.parent}),
             **({"choose": g.choose} if g.choose != "at_most_one" else {})}
            for g in codebook.exclusive_groups
        ]
    out["codes"] = [_code_mapping(code) for code in codebook.codes]
    return out


def dump_codebook_yaml(codebook: Codebook) -> str:
    """Write a codebook as YAML text, ready to save and edit by hand.

    Fields come in the documented order (name, version, description, exclusive,
    exclusive_groups, codes; within a code id, label, parent, definition, include, exclude,
    examples, color, negation, polarity, exclusive, rules, seeds; within rules any, all, near, none, regex, ignore_negation). ``negation`` is
    written only when it is false (true is the default). Empty optional fields are left out,
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
