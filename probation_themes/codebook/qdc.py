"""The REFI-QDA codebook exchange format (``.qdc``) that NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette share.

Writing keeps the hierarchy (children nested under their parent) and the colours, and
folds each code's definition, inclusion and exclusion criteria, examples and id into
its ``Description``::

    Comments about caseloads and hours.

    Include:
    - caseloads
    Exclude:
    - pay

    Code id: workload

Reading understands that layout, and any other tool's plain description (which becomes
the definition). A code's ``polarity`` and a ``negation: false`` are folded in as lines of
their own (``Polarity: positive``, ``Negation: off``) just before the id, so they survive a
trip through NVivo. Rules and seed words have no place in the exchange format and are not
written. GUIDs are derived from the code ids (uuid5), so writing twice gives the same bytes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from probation_themes.codebook.schema import Code, Codebook
from probation_themes.errors import CodebookError

#: XML namespace of the codebook exchange format.
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
#: XML namespace of the project exchange format (``project.qde`` inside a ``.qdpx``).
PROJECT_NS = "urn:QDA-XML:project:1.0"
#: Namespace of every GUID this toolkit derives; fixed forever so GUIDs stay stable.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://probation-themes.invalid/refi-qda")
#: Written as the ``origin`` attribute so other tools know where a file came from.
ORIGIN = "probation_themes"

_SECTIONS = (("include", "Include:"), ("exclude", "Exclude:"), ("examples", "Examples:"))
_ID_LINE = re.compile(r"^Code id: ([a-z][a-z0-9_]*)$")
_POLARITY_LINE = re.compile(r"^Polarity: (positive|negative)$")
_NEGATION_LINE = re.compile(r"^Negation: (on|off)$")
#: Single-choice groups, which REFI-QDA has no field for (see :func:`choice_lines`).
_CHILDREN_LINE = re.compile(r"^Single choice among its children: (at most one|exactly one)$")
_TOP_LINE = re.compile(r"^Single choice among top-level codes: (at most one|exactly one)$")
_GROUP_LINE = re.compile(r"^Single choice group (\d+)(?:: (.+?))? \((at most one|exactly one)\)$")
_CHOICE_OF = {"at most one": "at_most_one", "exactly one": "exactly_one"}
_SAID = {v: k for k, v in _CHOICE_OF.items()}


def choice_lines(codebook: Codebook, code: Code) -> list[str]:
    """The description lines that carry a code's single-choice groups through REFI-QDA and code lists.

    ``Single choice among its children: exactly one`` on a parent (``exclusive`` on the code),
    ``Single choice among top-level codes: at most one`` on every top-level code (``exclusive``
    on the codebook), ``Single choice group 1: Tone (at most one)`` (the group's place in
    ``exclusive_groups``, then its name if it has one) on every code of a listed group.
    """
    lines = []
    if code.exclusive:
        lines.append(f"Single choice among its children: {_SAID[code.exclusive]}")
    if codebook.exclusive and code.parent is None:
        lines.append(f"Single choice among top-level codes: {_SAID[codebook.exclusive]}")
    for index, group in enumerate(codebook.exclusive_groups, start=1):
        if group.parent is not None and code.parent == group.parent:
            # Written as a listed group of the children, named so the group keeps its name.
            lines.append(f"Single choice group {index}: {group.name or 'children of ' + group.parent} "
                         f"({_SAID[group.choose]})")
        elif group.codes is not None and code.id in group.codes:
            named = f": {group.name}" if group.name else ""
            lines.append(f"Single choice group {index}{named} ({_SAID[group.choose]})")
    return lines


def _choice_field(line: str, fields: dict[str, object]) -> bool:
    """Read one single-choice line into ``fields`` (private keys for the codebook's own); False if it is none."""
    children, top, group = _CHILDREN_LINE.match(line), _TOP_LINE.match(line), _GROUP_LINE.match(line)
    if children:
        fields["exclusive"] = _CHOICE_OF[children.group(1)]
    elif top:
        fields["_top_exclusive"] = _CHOICE_OF[top.group(1)]
    elif group:
        fields.setdefault("_groups", []).append(  # type: ignore[union-attr]
            (int(group.group(1)), group.group(2), _CHOICE_OF[group.group(3)]))
    else:
        return False
    return True


def gather_groups(rows: list[dict[str, object]]) -> dict[str, object]:
    """The codebook's ``exclusive`` and ``exclusive_groups`` from rows read by :func:`unfold_description`."""
    out: dict[str, object] = {}
    groups: dict[tuple, dict[str, object]] = {}
    for row in rows:
        top = row.pop("_top_exclusive", None)
        if top:
            out["exclusive"] = top
        for number, name, choice in row.pop("_groups", []):  # type: ignore[union-attr]
            group = groups.setdefault((number, name), {**({"name": name} if name else {}), "codes": [],
                                                       **({"choose": choice} if choice != "at_most_one" else {})})
            group["codes"].append(row["id"])  # type: ignore[union-attr]
    if groups:
        out["exclusive_groups"] = [groups[key] for key in sorted(groups, key=lambda k: (k[0], k[1] or ""))]
    return out
_SHORT_HEX = re.compile(r"^#([0-9A-Fa-f]{3})$")
_LONG_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_VERSION_IN_NAME = re.compile(r"(?<![\d.])v?(\d+\.\d+\.\d+)(?![\d.])")


def guid(kind: str, key: str) -> str:
    """A stable GUID for one object of a kind (``code``, ``source``, ``user``, ...), from its id."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}"))


def fold_description(code: Code, extra: Sequence[str] = ()) -> str:
    """The code's definition, criteria, examples and id as one plain-text ``Description``."""
    blocks = [code.definition]
    lists = []
    for field, heading in _SECTIONS:
        entries = getattr(code, field)
        if entries:
            lists.append(heading)
            lists += ["- " + entry.replace("\n", "\n  ") for entry in entries]
    if lists:
        blocks.append("\n".join(lists))
    settings = []
    if code.polarity:
        settings.append(f"Polarity: {code.polarity}")
    if not code.negation:
        settings.append("Negation: off")
    settings += extra or ([f"Single choice among its children: {_SAID[code.exclusive]}"] if code.exclusive else [])
    blocks.append("\n".join([*settings, f"Code id: {code.id}"]))
    return "\n\n".join(blocks)


#: Separates the parts of a description written on one line (for one-line text fields).
LINE_SEPARATOR = " | "
#: Starts each entry of a list (Include, Exclude, Examples) in a one-line description.
ENTRY_MARK = " • "


def fold_description_line(code: Code, extra: Sequence[str] = ()) -> str:
    """:func:`fold_description` on one line, for programs whose fields drop line breaks (Taguette).

    ``Comments about caseloads. | Include: • caseloads • overtime | Exclude: • pay | Code id: workload``
    """
    def flat(text: str) -> str:
        return " ".join(text.split())

    parts = [flat(code.definition)]
    for field, heading in _SECTIONS:
        entries = getattr(code, field)
        if entries:
            parts.append(heading + "".join(ENTRY_MARK + flat(entry) for entry in entries))
    if code.polarity:
        parts.append(f"Polarity: {code.polarity}")
    if not code.negation:
        parts.append("Negation: off")
    parts += extra or ([f"Single choice among its children: {_SAID[code.exclusive]}"] if code.exclusive else [])
    parts.append(f"Code id: {code.id}")
    return LINE_SEPARATOR.join(parts)


def unfold_description(text: str) -> dict[str, object]:
    """Split a ``Description`` written by :func:`fold_description` back into fields.

    A description from another tool has no headings: all of it is the definition.
    The one-line form of :func:`fold_description_line` is read too. Returns a mapping
    with ``definition`` and, when present, ``include``, ``exclude``, ``examples``,
    ``polarity``, ``negation`` and ``id``.
    """
    if "\n" not in text.strip() and LINE_SEPARATOR + "Code id: " in text:
        return _unfold_line(text.strip())
    lines = text.replace("\r\n", "\n").split("\n")
    headings = dict((heading, field) for field, heading in _SECTIONS)
    fields: dict[str, object] = {}
    definition: list[str] = []
    current: list[str] | None = None
    for line in lines:
        id_match = _ID_LINE.match(line.strip())
        polarity = _POLARITY_LINE.match(line.strip())
        negation = _NEGATION_LINE.match(line.strip())
        if id_match:
            fields["id"] = id_match.group(1)
            current = None
        elif polarity:
            fields["polarity"] = polarity.group(1)
            current = None
        elif negation:
            fields["negation"] = negation.group(1) == "on"
            current = None
        elif _choice_field(line.strip(), fields):
            current = None
        elif line.strip() in headings:
            current = fields.setdefault(headings[line.strip()], [])  # type: ignore[assignment]
        elif current is not None and line.startswith("- "):
            current.append(line[2:])
        elif current is not None and line.startswith("  ") and current:
            current[-1] += "\n" + line[2:]
        elif current is not None and not line.strip():
            continue
        else:
            current = None
            definition.append(line)
    fields["definition"] = "\n".join(definition).strip()
    return fields


def _unfold_line(text: str) -> dict[str, object]:
    parts = text.split(LINE_SEPARATOR)
    headings = dict((heading, field) for field, heading in _SECTIONS)
    fields: dict[str, object] = {}
    definition: list[str] = []
    for part in parts:
        id_match = _ID_LINE.match(part.strip())
        heading = next((h for h in headings if part.startswith(h + " ")), None)
        polarity = _POLARITY_LINE.match(part.strip())
        negation = _NEGATION_LINE.match(part.strip())
        if id_match:
            fields["id"] = id_match.group(1)
        elif polarity:
            fields["polarity"] = polarity.group(1)
        elif negation:
            fields["negation"] = negation.group(1) == "on"
        elif _choice_field(part.strip(), fields):
            pass
        elif heading:
            fields[headings[heading]] = [e.strip() for e in part[len(heading):].split(ENTRY_MARK) if e.strip()]
        else:
            definition.append(part)
    fields["definition"] = LINE_SEPARATOR.join(definition).strip()
    return fields


def append_codes(parent: ET.Element, codebook: Codebook, namespace: str) -> None:
    """Add the codebook's codes, nested by parent, as ``Code`` elements under ``parent``."""
    children: dict[str | None, list[Code]] = {}
    for code in codebook.codes:
        children.setdefault(code.parent, []).append(code)

    def add(into: ET.Element, code: Code) -> None:
        attrs = {"guid": guid("code", code.id), "name": code.label, "isCodable": "true"}
        if code.color:
            attrs["color"] = code.color
        element = ET.SubElement(into, f"{{{namespace}}}Code", attrs)
        ET.SubElement(element, f"{{{namespace}}}Description").text = fold_description(
            code, choice_lines(codebook, code))
        for child in children.get(code.id, []):
            add(element, child)

    for code in children.get(None, []):
        add(parent, code)


def xml_bytes(root: ET.Element, namespace: str) -> bytes:
    """Serialise an element tree as UTF-8 XML with the namespace as the default one."""
    ET.register_namespace("", namespace)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def codebook_to_qdc(codebook: Codebook) -> bytes:
    """Write a codebook as a REFI-QDA ``.qdc`` file that NVivo, ATLAS.ti, MAXQDA and QualCoder import.

    Args:
        codebook: the codebook to write.

    Returns:
        The file content (UTF-8 XML); the same codebook always gives the same bytes.
    """
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": ORIGIN})
    append_codes(ET.SubElement(root, f"{{{CODEBOOK_NS}}}Codes"), codebook, CODEBOOK_NS)
    return xml_bytes(root, CODEBOOK_NS)


def parse_xml(data: bytes, path: str | Path | None, what: str, error: Callable[..., Exception]) -> ET.Element:
    """Parse XML safely (no entity expansion, no external files) or raise ``error`` saying where it broke."""
    try:
        return SafeET.fromstring(data)
    except LookupError:
        declared = re.search(rb"""encoding\s*=\s*["']([^"']{0,40})""", data[:200])
        name = declared.group(1).decode("ascii", "replace") if declared else "?"
        raise error(
            f"{path or 'The file'} says it is written in the encoding {name!r}, which is not a known text "
            f"encoding, so it cannot be read as {what}. Export it again as UTF-8 (REFI-QDA files are UTF-8).",
            path=path,
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise error(
            f"{path or 'The file'} is not well-formed XML (line {line}, column {column + 1}: {exc.msg}), so it "
            f"cannot be read as {what}. Export it again from the program that made it.",
            path=path,
        ) from None
    except DefusedXmlException:
        raise error(
            f"{path or 'The file'} declares XML entities or external references, which are refused because "
            f"they can be used to attack the computer reading it. A genuine {what} does not need them; "
            "export it again from the program that made it.",
            path=path,
        ) from None


def snake_id(name: str, taken: set[str]) -> str:
    """A snake_case code id made from a code's name, not in ``taken`` (``_2``, ``_3``... added if needed)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")[:60].rstrip("_") or "code"
    if not base[0].isalpha():
        base = "code_" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _color(value: str | None) -> str | None:
    value = (value or "").strip()
    short = _SHORT_HEX.match(value)
    if short:
        return "#" + "".join(ch * 2 for ch in short.group(1)).upper()
    return value.upper() if _LONG_HEX.match(value) else None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def codes_from_element(codes: ET.Element, path: str | Path | None, origin: str) -> list[dict[str, object]]:
    """Read nested ``Code`` elements (codebook or project namespace, or none) as code mappings.

    Each mapping also carries ``_guid``, the code's GUID in the file. Codes keep the
    file's depth-first order; ids come from a ``Code id:`` line, else from the name.
    """
    found: list[tuple[ET.Element, str | None]] = []
    # Depth first without recursion: a file may nest codes thousands of levels deep.
    stack: list[tuple[ET.Element, str | None]] = [
        (child, None) for child in reversed(list(codes)) if _local(child.tag) == "Code"
    ]
    while stack:
        element, parent_guid = stack.pop()
        found.append((element, parent_guid))
        stack.extend((child, element.get("guid")) for child in reversed(list(element)) if _local(child.tag) == "Code")
    described = [unfold_description(_description(element)) for element, _ in found]
    taken = {str(fields["id"]) for fields in described if "id" in fields}
    used: set[str] = set()
    id_of_guid: dict[str, str] = {}
    rows: list[dict[str, object]] = []
    for (element, parent_guid), fields in zip(found, described):
        name = (element.get("name") or "").strip()
        if not name:
            raise CodebookError(
                f"{path}: a code has no name (GUID {element.get('guid') or 'missing'}). Give every code a "
                f"name in {origin} and export the codebook again.",
                path=path,
            )
        own = fields.pop("id", None)
        code_id = str(own) if own and own not in used else snake_id(name, taken)
        taken.add(code_id)
        used.add(code_id)
        element_guid = element.get("guid") or code_id
        id_of_guid[element_guid] = code_id
        if not fields["definition"]:
            fields["definition"] = f"No description was given for this code in {origin}; write what it means."
        rows.append({
            "id": code_id, "label": name, "parent": id_of_guid.get(parent_guid) if parent_guid else None,
            "color": _color(element.get("color")), **fields, "_guid": element_guid,
        })
    return rows


def _description(element: ET.Element) -> str:
    for child in element:
        if _local(child.tag) == "Description":
            return (child.text or "").strip()
    return ""


def _sets_as_parents(root: ET.Element, rows: list[dict[str, object]], taken: set[str]) -> list[dict[str, object]]:
    """ATLAS.ti keeps codes flat and groups them in ``Sets``: a code in exactly one set goes under it."""
    by_guid = {str(r["_guid"]): r for r in rows}
    membership: dict[str, list[str]] = {}
    sets: list[tuple[str, str, str]] = []
    for sets_el in (e for e in root if _local(e.tag) == "Sets"):
        for set_el in (e for e in sets_el if _local(e.tag) == "Set"):
            name = (set_el.get("name") or "").strip()
            if not name:
                continue
            set_id = snake_id(name, taken)
            taken.add(set_id)
            sets.append((set_id, name, _description(set_el)))
            for member in (e for e in set_el if _local(e.tag) == "MemberCode"):
                membership.setdefault(member.get("guid") or "", []).append(set_id)
    used: set[str] = set()
    for member_guid, set_ids in membership.items():
        row = by_guid.get(member_guid)
        if row is not None and row["parent"] is None and len(set_ids) == 1:
            row["parent"] = set_ids[0]
            used.add(set_ids[0])
    groups = [
        {"id": set_id, "label": name, "parent": None, "color": None, "_guid": set_id,
         "definition": description or f"The code group {name!r}."}
        for set_id, name, description in sets if set_id in used
    ]
    return groups + rows


def qdc_to_data(data: bytes, path: str | Path | None = None) -> dict[str, object]:
    """Read a REFI-QDA ``.qdc`` codebook exported by NVivo, ATLAS.ti, MAXQDA, QualCoder or Taguette.

    Nested codes become child codes (``parent``); ATLAS.ti code groups (``Sets``) become
    parent codes of codes that belong to exactly one group. Colours are kept (``#ABC`` is
    widened to ``#AABBCC``). A description written by this toolkit is split back into
    definition, criteria and examples; any other description becomes the definition.
    Code ids come from the description's ``Code id:`` line, else from the code's name in
    snake_case (made unique). The codebook is named after the file; its version is taken
    from the file name (``codes_v1.2.0.qdc``) or is 1.0.0.

    Args:
        data: the file content.
        path: the file it came from, for messages and the codebook's name.

    Returns:
        The codebook as a mapping for :func:`~probation_themes.codebook.io.validate_codebook`
        (without rules or seed words, which the format cannot hold).

    Raises:
        CodebookError: the file is not well-formed or safe XML, is not a REFI-QDA codebook,
            has no codes, or a code has no name.
    """
    root = parse_xml(data, path, "a REFI-QDA codebook", CodebookError)
    if _local(root.tag) != "CodeBook":
        raise CodebookError(
            f"{path} is XML but not a REFI-QDA codebook: its root element is <{_local(root.tag)}>, not "
            "<CodeBook>. In NVivo use Share > Export Codebook; in ATLAS.ti, MAXQDA or QualCoder export "
            "the codebook as 'REFI-QDA Codebook (.qdc)'.",
            path=path,
        )
    origin = root.get("origin") or "the program that exported it"
    codes_el = next((e for e in root if _local(e.tag) == "Codes"), None)
    rows = codes_from_element(codes_el, path, origin) if codes_el is not None else []
    if not rows:
        raise CodebookError(
            f"{path} has no codes. Check that you exported the codebook with its codes.", path=path
        )
    rows = _sets_as_parents(root, rows, {str(r["id"]) for r in rows})
    for row in rows:
        row.pop("_guid")
    groups = gather_groups(rows)
    stem = Path(path).stem if path else "Imported codebook"
    version = _VERSION_IN_NAME.search(stem)
    return {"name": stem, "version": version.group(1) if version else "1.0.0", **groups, "codes": rows}
