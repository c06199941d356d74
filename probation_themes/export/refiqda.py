"""REFI-QDA exports: the codebook (``.qdc``) and the whole coded project (``.qdpx``).

A ``.qdpx`` is a zip holding ``project.qde`` (XML) and a ``sources`` folder of plain-text
files. This toolkit writes one text source per answer (respondent and question): its
quotes in ingest order, separated by a blank line, with the question as the source's
``Question`` variable. Every coded quote is a ``PlainTextSelection`` over exactly that
quote, carrying one ``Coding`` per code, with the coder and date. Respondents are
``Cases`` holding their answers, with their region, organisation and other attributes as
variables, so NVivo, ATLAS.ti, MAXQDA and QualCoder can compare groups.

Character positions are 0-based and end-exclusive, counted in Unicode characters (code
points) of the text file exactly as stored: a Windows line break (``\\r\\n``) counts as two
characters, an emoji as one. GUIDs come from stable ids (uuid5) and zip entries carry a
fixed date, so exporting the same project twice gives byte-identical files. Everything
written is checked against the vendored REFI-QDA schemas before it is returned.
"""

from __future__ import annotations

import functools
import io
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import resources
from typing import Literal

from lxml import etree

from probation_themes.codebook import Codebook
from probation_themes.codebook.qdc import ORIGIN, PROJECT_NS, append_codes, codebook_to_qdc, guid, xml_bytes
from probation_themes.errors import ExportError
from probation_themes.export.safety import xml_safe, xml_safe_tree
from probation_themes.export.table import _STATUS_RANK, check_snapshot
from probation_themes.models import Coding, Quote, Snapshot

#: The file inside a ``.qdpx`` that holds the project XML.
PROJECT_FILE = "project.qde"
#: The folder inside a ``.qdpx`` that holds the source texts.
SOURCES_DIR = "sources"
#: Separator between two quotes of one respondent in their text source.
QUOTE_SEPARATOR = "\n\n"
# Zip entries get this date (the earliest a zip can hold) so re-exports are byte-identical.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_Q = f"{{{PROJECT_NS}}}"


# Our own output only: no entities to expand, nothing to fetch.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@functools.cache
def _schema(kind: Literal["codebook", "project"]) -> etree.XMLSchema:
    name = "Codebook.xsd" if kind == "codebook" else "Project.xsd"
    data = (resources.files("probation_themes.export") / "schemas" / name).read_bytes()
    return etree.XMLSchema(etree.fromstring(data, _PARSER))


def schema_problems(xml: bytes, kind: Literal["codebook", "project"]) -> list[str]:
    """Check REFI-QDA XML against the vendored schema; return each problem with its place (empty if valid).

    libxml2's validator (through lxml) checks a 15,000-coding project in about 0.3 s.

    Args:
        xml: a ``.qdc`` file, or the ``project.qde`` from a ``.qdpx``.
        kind: ``codebook`` for a ``.qdc``, ``project`` for a ``project.qde``.
    """
    schema = _schema(kind)
    if schema.validate(etree.fromstring(xml, _PARSER)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _checked(xml: bytes, kind: Literal["codebook", "project"]) -> bytes:
    problems = schema_problems(xml, kind)
    if problems:
        raise ExportError(
            f"The REFI-QDA {kind} this toolkit wrote breaks the REFI-QDA schema ({'; '.join(problems[:3])}), "
            "so it was not saved. This is a bug: please report it with the command you ran."
        )
    return xml


def render_qdc(codebook: Codebook) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` file, checked against the schema.

    See :mod:`probation_themes.codebook.qdc` for how definitions, criteria and examples
    are folded into each code's description.
    """
    return _checked(codebook_to_qdc(codebook), "codebook")


def user_name(coding: Coding) -> str:
    """Who a coding is attributed to: the person who decided it, else the machine method."""
    return coding.coder or f"{coding.method} (machine suggestion)"


def answer_text(quotes: Sequence[Quote]) -> tuple[str, list[tuple[int, int]]]:
    """One answer's text source and the (start, end) of each of its quotes, in code points."""
    spans, length = [], 0
    for quote in quotes:
        spans.append((length, length + len(quote.text)))
        length += len(quote.text) + len(QUOTE_SEPARATOR)
    return QUOTE_SEPARATOR.join(q.text for q in quotes), spans


def _variables(quotes: Sequence[Quote]) -> list[str]:
    """Case variables: Region, Organisation, then the other attributes in alphabetical order."""
    extra = {k for q in quotes for k in q.attributes} - {"Region", "Organisation", "Question"}
    return ["Region", "Organisation", *sorted(extra, key=str.casefold)]


def _value(parent: ET.Element, variable: str, value: str) -> None:
    value_el = ET.SubElement(parent, f"{_Q}VariableValue")
    ET.SubElement(value_el, f"{_Q}VariableRef", {"targetGUID": guid("variable", variable)})
    ET.SubElement(value_el, f"{_Q}TextValue").text = value


def _case_values(quotes: Sequence[Quote]) -> dict[str, str]:
    """A respondent's attributes: the first value given on any of their quotes."""
    values: dict[str, str] = {}
    for quote in quotes:
        for name, value in (("Region", quote.region), ("Organisation", quote.org), *quote.attributes.items()):
            if value and value.strip() and name not in values:
                values[name] = value.strip()
    return values


def _date(coding: Coding, run_times: Mapping[int, datetime]) -> str | None:
    when = coding.decided_at or (run_times.get(coding.run_id) if coding.run_id is not None else None)
    return when.isoformat() if when else None


def _effective(codings: Sequence[Coding]) -> dict[tuple[str, str], Coding]:
    """One coding per (quote, code): the accepted one if any, else the first suggestion."""
    chosen: dict[tuple[str, str], Coding] = {}
    for coding in codings:
        key = (coding.quote_id, coding.code)
        if key not in chosen or _STATUS_RANK[coding.status] < _STATUS_RANK[chosen[key].status]:
            chosen[key] = coding
    return chosen


def project_qde(snapshot: Snapshot, codebook: Codebook, run_times: Mapping[int, datetime]) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` XML and the text of every source file (name in the zip -> text)."""
    check_snapshot(snapshot, codebook)
    answers: dict[str, dict[str | None, list[Quote]]] = defaultdict(lambda: defaultdict(list))
    for quote in snapshot.quotes:
        answers[quote.response_id][quote.question].append(quote)
    several = len({q.question for q in snapshot.quotes}) > 1
    codings = _effective(snapshot.codings)
    by_quote: dict[str, list[Coding]] = defaultdict(list)
    for (quote_id, _code), coding in codings.items():
        by_quote[quote_id].append(coding)
    order = {code_id: i for i, code_id in enumerate(codebook.ids)}
    users = sorted({user_name(c) for c in codings.values()}, key=str.casefold)

    root = ET.Element(f"{_Q}Project", {"name": snapshot.project or "Survey", "origin": ORIGIN})
    if users:
        users_el = ET.SubElement(root, f"{_Q}Users")
        for name in users:
            ET.SubElement(users_el, f"{_Q}User", {"guid": guid("user", name), "name": name})
    append_codes(ET.SubElement(ET.SubElement(root, f"{_Q}CodeBook"), f"{_Q}Codes"), codebook, PROJECT_NS)
    files: dict[str, str] = {}
    if not answers:
        return xml_bytes(xml_safe_tree(root), PROJECT_NS), files
    variables = _variables(snapshot.quotes)
    variables_el = ET.SubElement(root, f"{_Q}Variables")
    for name in [*variables, *(["Question"] if any(q.question for q in snapshot.quotes) else [])]:
        ET.SubElement(variables_el, f"{_Q}Variable",
                      {"guid": guid("variable", name), "name": name, "typeOfVariable": "Text"})
    cases_el = ET.SubElement(root, f"{_Q}Cases")
    sources_el = ET.SubElement(root, f"{_Q}Sources")

    for response_id, by_question in answers.items():
        case = ET.SubElement(cases_el, f"{_Q}Case", {"guid": guid("case", response_id), "name": response_id})
        values = _case_values([q for quotes in by_question.values() for q in quotes])
        for name in variables:
            if name in values:
                _value(case, name, values[name])
        for question, quotes in by_question.items():
            key = response_id if question is None else f"{response_id}\x1f{question}"
            source_guid = guid("source", key)
            ET.SubElement(case, f"{_Q}SourceRef", {"targetGUID": source_guid})
            text, spans = answer_text(quotes)
            files[f"{SOURCES_DIR}/{source_guid}.txt"] = text
            source = ET.SubElement(sources_el, f"{_Q}TextSource", {
                "guid": source_guid, "name": f"{response_id}: {question}" if several and question else response_id,
                "plainTextPath": f"internal://{source_guid}.txt",
            })
            for quote, (start, end) in zip(quotes, spans):
                applied = sorted(by_quote.get(quote.quote_id, []), key=lambda c: order[c.code])
                if applied:
                    _selection(source, quote.quote_id, start, end, applied, run_times)
            if question:
                _value(source, "Question", question)
    return xml_bytes(xml_safe_tree(root), PROJECT_NS), files


def _selection(source: ET.Element, quote_id: str, start: int, end: int, applied: Sequence[Coding],
               run_times: Mapping[int, datetime]) -> None:
    selection = ET.SubElement(source, f"{_Q}PlainTextSelection", {
        "guid": guid("selection", quote_id), "name": quote_id,
        "startPosition": str(start), "endPosition": str(end),
    })
    for coding in applied:
        attrs = {"guid": guid("coding", f"{quote_id}\x1f{coding.code}"), "creatingUser": guid("user", user_name(coding))}
        when = _date(coding, run_times)
        if when:
            attrs["creationDateTime"] = when
        coding_el = ET.SubElement(selection, f"{_Q}Coding", attrs)
        ET.SubElement(coding_el, f"{_Q}CodeRef", {"targetGUID": guid("code", coding.code)})


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever system exports, so the bytes do not depend on it
    info.external_attr = 0o644 << 16
    archive.writestr(info, data, compresslevel=6)


def render_qdpx(
    snapshot: Snapshot, codebook: Codebook, *, run_times: Mapping[int, datetime] | None = None
) -> bytes:
    """The project as a REFI-QDA ``.qdpx`` file for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    Args:
        snapshot: the quotes and the codings to export (choose the statuses before calling;
            a quote coded twice with one code is exported once, accepted first).
        codebook: the codes, written with hierarchy, colours and folded descriptions.
        run_times: when each coding run started, by run id; a machine suggestion nobody has
            decided on is dated by its run. Decided codings carry the decision's date.

    Returns:
        The zip file's bytes; the same project always gives the same bytes.

    Raises:
        ExportError: a coding names a quote or code the snapshot or codebook lacks.
    """
    xml, files = project_qde(snapshot, codebook, run_times or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _zip_entry(archive, PROJECT_FILE, _checked(xml, "project"))
        for name, text in files.items():
            _zip_entry(archive, name, xml_safe(text).encode("utf-8"))  # as in project.qde, so offsets agree
    return buffer.getvalue()
