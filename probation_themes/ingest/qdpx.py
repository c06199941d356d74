"""Read the codings of a REFI-QDA project (``.qdpx``) made by this toolkit, NVivo, ATLAS.ti, MAXQDA or QualCoder.

The zip is checked before anything is unpacked: no entry may point outside the archive,
and the entries may not expand to more than :data:`~probation_themes.ingest.archive.MAX_TOTAL_BYTES` or more than
:data:`~probation_themes.ingest.archive.MAX_RATIO` times their compressed size (a "zip bomb"). The XML is parsed with
entity expansion and external references refused.

A text source is matched to a respondent by its name (or the name of a case that
refers to it). A coded selection is matched to a quote by its name when that is a quote
id (as in this toolkit's own exports), else to every quote of that respondent it
overlaps; quotes are found in the source text in ingest order. Codes are matched to the
codebook by the GUID this toolkit gives each code id, then by the ``Code id:`` line of
their description, then by label or id (ignoring case), then by their path of labels.
Without a codebook, the file's own codes (with their hierarchy) become the implied
codebook.

Each coding's coder is its ``creatingUser`` (else its selection's), named through the
file's ``<Users>``, and its date its ``creationDateTime`` (else its selection's). When the
coder's name is one of the file's users, only that user's codings are read, and the
codings of the others are counted as left out; a file whose codings come from several
users is refused unless one of them is chosen (:class:`SeveralUsersError`), so one
person's codings are never mixed with another's. :func:`qdpx_users` lists the users, so
each can be imported as a coder of their own.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from probation_themes.codebook import Codebook
from probation_themes.codebook.implied import CodeNames, name_key
from probation_themes.codebook.qdc import guid, parse_xml, unfold_description
from probation_themes.codebook.schema import XML_FORBIDDEN
from probation_themes.errors import IngestError
from probation_themes.ingest.archive import check_zip
from probation_themes.ingest.codings import CodingsFile
from probation_themes.models import Quote

_SHOWN = 10


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element if _local(e.tag) == name]


def check_archive(archive: zipfile.ZipFile, path: Path) -> None:
    """Refuse a zip whose entries escape the archive or expand suspiciously (a zip bomb)."""
    check_zip(archive, path, kind="REFI-QDA project", again="Export the project again from the program that made it.")


def _read_entry(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise IngestError(
            f"{path.name} has no {name!r} inside, so it is not a complete REFI-QDA project. "
            "Export the project again as a REFI-QDA project (.qdpx).",
            path=path,
        ) from None


def _source_text(source: ET.Element, archive: zipfile.ZipFile, path: Path) -> str | None:
    content = _children(source, "PlainTextContent")
    if content:
        return content[0].text or ""
    target = source.get("plainTextPath") or ""
    if target.startswith("internal://"):
        entry = f"sources/{target.removeprefix('internal://')}"
        try:
            return _read_entry(archive, entry, path).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"{path.name}: the text of the source {source.get('name') or entry!r} ({entry}) is not UTF-8 "
                f"(an unreadable byte at offset {exc.start:,}), as REFI-QDA requires, so its selections cannot be "
                "placed. Nothing was stored. Export the project again from the program that made it.",
                path=path,
            ) from None
    return None  # an external file: only selections named by quote id can be matched


def _code_map(root: ET.Element, names: CodeNames, known: Codebook | None) -> tuple[dict[str, str], dict[str, str]]:
    """Code GUIDs in the file -> codebook ids (for the codes the codebook has, or creates), and GUID -> name."""
    by_guid = {guid("code", c.id): c.id for c in known.codes} if known is not None else {}
    ids: dict[str, str] = {}
    code_names: dict[str, str] = {}

    def walk(element: ET.Element, path: tuple[str, ...]) -> None:
        for child in _children(element, "Code"):
            code_guid = child.get("guid") or ""
            name = (child.get("name") or "").strip()
            code_names[code_guid] = name
            own = path + (name,)
            described = next((unfold_description(d.text or "").get("id") for d in _children(child, "Description")), None)
            found = by_guid.get(code_guid) or (described if known is not None and described in known.ids else None)
            found = found or (names.resolve(name, own) if name else None)
            if found:
                ids[code_guid] = found
            walk(child, own)

    for codebook_el in (e for e in root.iter() if _local(e.tag) == "CodeBook"):
        for codes_el in _children(codebook_el, "Codes"):
            walk(codes_el, ())
    return ids, code_names


#: How a coding with no ``creatingUser`` is named where users are listed.
NO_USER = "(no user)"


def is_machine_user(user: str) -> bool:
    """Whether a user is this toolkit's export's name for a method's suggestions (``rules (machine suggestion)``)."""
    method, _, rest = user.partition(" ")
    return rest == "(machine suggestion)" and method.casefold() in ("rules", "topics", "model", "all")


class SeveralUsersError(IngestError):
    """The file holds the codings of several users and the coder named none of them."""

    def __init__(self, message: str, *, path: Path, users: Sequence[tuple[str, int]]) -> None:
        super().__init__(message, path=path)
        #: (user name, codings) for every user with codings in the file, in the file's order.
        self.users = tuple(users)


def _user_names(root: ET.Element) -> dict[str, str]:
    """The file's users: GUID -> name (the GUID itself when the user has no name)."""
    return {
        user.get("guid") or "": (user.get("name") or "").strip() or (user.get("guid") or "")
        for users in root if _local(users.tag) == "Users"
        for user in _children(users, "User")
    }


def _codings(root: ET.Element) -> Iterator[tuple[ET.Element | None, ET.Element]]:
    """Every (selection or None, coding element) of the file's text sources."""
    for source in (e for e in root.iter() if _local(e.tag) == "TextSource"):
        for coding in _children(source, "Coding"):
            yield None, coding
        for selection in _children(source, "PlainTextSelection"):
            for coding in _children(selection, "Coding"):
                yield selection, coding


def _who(coding: ET.Element, selection: ET.Element | None, names: dict[str, str]) -> str:
    """The name of the user who made a coding (its own creatingUser, else its selection's)."""
    user = (coding.get("creatingUser") or (selection.get("creatingUser") if selection is not None else None) or "").strip()
    return names.get(user, user) if user else NO_USER


def _users_in(root: ET.Element) -> list[tuple[str, int]]:
    names = _user_names(root)
    counts: dict[str, int] = {}
    for selection, coding in _codings(root):
        who = _who(coding, selection, names)
        counts[who] = counts.get(who, 0) + 1
    return list(counts.items())


def coded_at(value: str | None) -> str | None:
    """A REFI-QDA ``creationDateTime`` as ISO 8601, or None when absent or not a date."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _position(selection: ET.Element, attribute: str) -> int | None:
    """A selection's character position, or None when it is not a whole number of at most 12 digits."""
    value = (selection.get(attribute) or "0").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def _spans(text: str, quotes: Sequence[Quote]) -> list[tuple[int, int, str]]:
    """Where each quote sits in a document's text, in ingest order, as (start, end, quote id).

    Programs on Windows may save documents with ``\r\n`` line ends where the quotes have
    ``\n``, so quotes are looked for in the text with ``\r\n`` read as ``\n`` and their
    positions mapped back to the text as stored.
    """
    flat = text.replace("\r\n", "\n")
    stored_at = [i for i, ch in enumerate(text) if not (ch == "\r" and text.startswith("\n", i + 1))]
    spans, at = [], 0
    for quote in quotes:
        # As written by an export, where a character XML cannot carry became U+FFFD.
        wanted = XML_FORBIDDEN.sub("\ufffd", quote.text).replace("\r\n", "\n")
        start = flat.find(wanted, at) if wanted else -1
        if start >= 0:
            end = start + len(wanted)
            spans.append((stored_at[start], stored_at[end - 1] + 1, quote.quote_id))
            at = end
    return spans


_PART = re.compile(r"^(?P<response>.+?) \((?:[^()]*)\)(?: #\d+)?$")


def _response_of(
    source: ET.Element, case: str | None, response_of_quote: dict[str, str], by_response: dict[str, list[Quote]]
) -> str | None:
    """The respondent of a source named after one of several cases of one respondent.

    A report split into attributed quotations is exported as one document per
    attribution, named ``report (Greater Manchester, CRC)``: its selections are named
    by quote ids, and its name (or its case's) starts with the respondent's id.
    """
    named = {response_of_quote.get(s.get("name") or "") for s in _children(source, "PlainTextSelection")} - {None}
    if len(named) == 1:
        return named.pop()
    for candidate in ((source.get("name") or "").strip(), case or ""):
        match = _PART.match(candidate.split(": ", 1)[0] if candidate not in by_response else candidate)
        if match and match.group("response") in by_response:
            return match.group("response")
    return None


def read_qdpx_codings(
    path: str | Path,
    *,
    codebook: Codebook | None,
    quotes: Sequence[Quote],
    create_codes: bool = False,
    coder: str | None = None,
    clean_names: Callable[[str], str] | None = None,
) -> CodingsFile:
    """Read the coded selections of a ``.qdpx`` as codings of the project's quotes, all or nothing.

    Args:
        path: the ``.qdpx`` file.
        codebook: the codebook the codes must belong to (None: the file's codes make one).
        quotes: every quote of the project, in ingest order.
        create_codes: the file's codes that the codebook lacks become codes of the
            implied codebook (returned as ``codebook``).
        coder: when this is the name of one of the file's users, only that user's
            codings are read; otherwise every coding is.

    Returns:
        The quotes the file covers (every quote of each respondent with a source in it)
        and the (quote id, code) pairs it applies, at the quote level.

    Raises:
        IngestError: the file is not a safe, readable REFI-QDA project, or it has codes not
            in the codebook, sources that match no respondent, or selections over no quote.
    """
    path = Path(path)
    _check_path(path)
    by_response: dict[str, list[Quote]] = defaultdict(list)
    for quote in quotes:
        by_response[quote.response_id].append(quote)
    xml_ids = {XML_FORBIDDEN.sub("\ufffd", r): r for r in by_response if XML_FORBIDDEN.search(r)}
    archive = _open(path)
    with archive:
        root = _project_root(archive, path)
        names = CodeNames(codebook, create=create_codes, clean=clean_names)
        codes, code_names = _code_map(root, names, codebook)
        user_names = _user_names(root)
        in_file = _users_in(root)
        chosen = next((u for u, _n in in_file if coder and name_key(u) == name_key(coder)), None)
        # This toolkit's own export names a method's suggestions as a user: no person to keep apart.
        named = [(u, n) for u, n in in_file if u != NO_USER and not is_machine_user(u)]
        if chosen is None and len(named) > 1:
            listed = ", ".join(f"{u} ({n:,} coding{'s' if n != 1 else ''})" for u, n in in_file)
            file = shlex.quote(str(path))
            each = ", ".join(f"`probation-themes import-codings {file} --coder {shlex.quote(u)}`" for u, _n in named)
            raise SeveralUsersError(
                f"{path.name} holds the codings of {len(in_file)} users: {listed}. The coder {coder!r} is none of "
                "them, and one person's codings must not be mixed with another's, so nothing was imported. "
                f"Import each user as a coder of their own: {each}; or all of them at once with "
                f"`probation-themes import-codings {file} --each-user`.",
                path=path, users=in_file,
            )
        response_of_quote = {q.quote_id: q.response_id for q in quotes}
        case_of_source = {
            ref.get("targetGUID"): case.get("name")
            for case in root.iter() if _local(case.tag) == "Case"
            for ref in _children(case, "SourceRef")
        }
        units: dict[str, None] = {}
        positives: dict[tuple[str, str], None] = {}
        unknown_codes = {
            code_names.get(ref.get("targetGUID") or "") or str(ref.get("targetGUID"))
            for coding in root.iter() if _local(coding.tag) == "Coding"
            for ref in _children(coding, "CodeRef") if codes.get(ref.get("targetGUID") or "") is None
        }
        unknown_sources: list[str] = []
        skipped: list[str] = []
        dates: dict[tuple[str, str], str] = {}
        left_out: dict[str, int] = {}
        undated = 0
        stray: list[str] = []
        unplaced: list[str] = []
        for source in (e for e in root.iter() if _local(e.tag) == "TextSource"):
            name = (source.get("name") or "").strip()
            response = name if name in by_response else case_of_source.get(source.get("guid"))
            if response not in by_response:  # an id holding a character XML cannot carry was written as U+FFFD
                response = xml_ids.get(name) or xml_ids.get(response or "")
            if response not in by_response:
                response = _response_of(source, case_of_source.get(source.get("guid")), response_of_quote, by_response)
            if response not in by_response:
                coded = any(_local(e.tag) == "Coding" for e in source.iter())
                # A document of a respondent dropped at ingest, left uncoded, costs nothing to skip.
                (unknown_sources if coded else skipped).append(name or source.get("guid") or "?")
                continue
            own = by_response[response]
            units.update(dict.fromkeys(q.quote_id for q in own))
            own_ids = {q.quote_id for q in own}
            own_ids_in_xml = {XML_FORBIDDEN.sub("\ufffd", q): q for q in own_ids}
            text = _source_text(source, archive, path)
            spans = _spans(text, own) if text is not None else []
            selections = [(None, source)] + [(s, s) for s in _children(source, "PlainTextSelection")]
            for selection, holder in selections:
                applied: dict[str, str | None] = {}
                for coding in _children(holder, "Coding"):
                    who = _who(coding, selection, user_names)
                    if chosen is not None and who != chosen:
                        left_out[who] = left_out.get(who, 0) + 1
                        continue
                    written = coding.get("creationDateTime") or (
                        selection.get("creationDateTime") if selection is not None else None)
                    when = coded_at(written)
                    undated += bool(written and written.strip() and when is None)
                    for ref in _children(coding, "CodeRef"):
                        code = codes.get(ref.get("targetGUID") or "")
                        if code is not None:
                            earlier = applied.get(code)
                            applied[code] = when if earlier is None or (when is not None and when < earlier) else earlier
                if not applied:
                    continue
                if selection is None:
                    hit = [q.quote_id for q in own]  # the whole source was coded
                elif selection.get("name") in own_ids:
                    hit = [selection.get("name")]
                elif selection.get("name") in own_ids_in_xml:
                    hit = [own_ids_in_xml[selection.get("name")]]
                else:
                    start, end = _position(selection, "startPosition"), _position(selection, "endPosition")
                    if start is None or end is None:
                        shown = f"{selection.get('startPosition')!r}:{selection.get('endPosition')!r}"
                        unplaced.append(f"{name} [{shown[:60]}]")
                        continue
                    hit = [qid for s, e, qid in spans if s < end and start < e]
                    if not hit:
                        stray.append(f"{name} [{start}:{end}]")
                for qid in hit:
                    for code, when in applied.items():
                        positives[(qid, code)] = None
                        earlier = dates.get((qid, code))
                        if when is not None and (earlier is None or when < earlier):
                            dates[(qid, code)] = when
    problems = []
    if unknown_codes:
        problems.append(f"codes not in the codebook '{codebook.name if codebook else ''}' ({', '.join(sorted(unknown_codes)[:_SHOWN])})"
                        " — add them to the codebook or pass the codebook they come from with --codebook")
    if unknown_sources:
        problems.append(f"sources that match no respondent of the project ({', '.join(unknown_sources[:_SHOWN])})"
                        " — name each document (or its case) by the respondent id it came from")
    if unplaced:
        problems.append(f"coded selections whose startPosition or endPosition is not a whole number "
                        f"({', '.join(unplaced[:_SHOWN])}) — the file is damaged; export it again")
    if stray:
        problems.append(f"coded selections that cover no quote of the project ({', '.join(stray[:_SHOWN])})"
                        " — the document text was probably edited; code the unchanged text")
    if problems:
        raise IngestError(f"{path.name} was not imported, and nothing was stored, because it has "
                          + "; ".join(problems) + ".", path=path)
    if not units:
        raise IngestError(f"{path.name} has no text sources, so there are no codings to import.", path=path)
    return CodingsFile(
        source=path.name, format="qdpx", level="quote", id_column="quote_id", code_column=None,
        value_column=None, encoding="utf-8", rows_read=len(positives), units=tuple(units),
        positives=tuple(positives), missing_codes=(),
        codebook=names.codebook() if names.created or codebook is not None else None,
        created_codes=tuple(names.created), skipped_ids=tuple(skipped),
        coder_in_file=chosen,
        coded_between=(min(dates.values()), max(dates.values())) if dates else None,
        coded_at=dates, users_in_file=tuple(in_file), left_out=tuple(left_out.items()), unreadable_dates=undated,
    )


def _check_path(path: Path) -> None:
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise IngestError(f"{path} {what}; give the REFI-QDA project file (.qdpx).", path=path)


def _open(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(
            f"{path.name} is not a readable .qdpx (zip) file ({exc}). Export the project again as a "
            "REFI-QDA project.", path=path,
        ) from None
    try:
        check_archive(archive, path)
    except IngestError:
        archive.close()
        raise
    return archive


def _project_root(archive: zipfile.ZipFile, path: Path) -> ET.Element:
    root = parse_xml(_read_entry(archive, "project.qde", path), path, "a REFI-QDA project", IngestError)
    if _local(root.tag) != "Project":
        raise IngestError(f"{path.name}: project.qde is not a REFI-QDA project (root <{_local(root.tag)}>).",
                          path=path)
    return root


def qdpx_users(path: str | Path) -> list[tuple[str, int]]:
    """The users whose codings a ``.qdpx`` holds, with how many codings each made, in the file's order.

    A coding with no ``creatingUser`` is counted under :data:`NO_USER`.

    Raises:
        IngestError: the file is not a safe, readable REFI-QDA project.
    """
    path = Path(path)
    _check_path(path)
    with _open(path) as archive:
        return _users_in(_project_root(archive, path))
