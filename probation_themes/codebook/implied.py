"""The codebook that coders' own code names imply, for comparing coders before anyone writes one.

Two researchers who coded the same answers in spreadsheets, writing code *names*
(``Workload``, ``Workload->Caseload``, ``don't_know``), can be compared before a
codebook exists. :class:`CodeNames` maps each name (a path of labels from the top
of the hierarchy) to a code: the codebook's own code when there is one, else a new
code of the *implied* codebook, whose id is made from the name (snake_case, made
unique: a second ``Other`` under another parent becomes ``parent_other``). Once a
name has an id in a project it keeps it, so the second coder's ``Workload`` is the
first coder's ``workload``.

Every code the implied codebook creates carries a definition that starts with
:data:`PLACEHOLDER`, so nobody mistakes it for a definition: the researcher writes
the real ones (``export codebook -o codebook.yaml``) before the codes are used to
code anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from probation_themes.codebook.qdc import snake_id
from probation_themes.codebook.schema import Code, Codebook

#: The name of a codebook made from imported codings.
IMPLIED_NAME = "Codes from imported codings"
#: How an implied codebook's description starts; it marks the codebook as one to extend.
IMPLIED_DESCRIPTION = (
    "Made by import-codings from the code names in coders' sheets, because the project had no "
    "codebook. The hierarchy is the one the names imply; every definition is a placeholder."
)
#: How every definition of an implied code starts, so it cannot pass for a real one.
PLACEHOLDER = "PLACEHOLDER:"


def name_key(name: str) -> str:
    """How names are compared: case, spacing, underscores and curly apostrophes do not matter.

    ``Don't_know``, ``don’t know`` and ``DON'T  KNOW`` are one name.
    """
    text = name.replace("\u2019", "'").replace("\u2018", "'").replace("_", " ")
    return " ".join(text.split()).casefold()


def is_implied(codebook: Codebook | None) -> bool:
    """Whether ``codebook`` was made by :class:`CodeNames` and still has placeholders (so imports extend it).

    Once every placeholder has been replaced by a real definition, it is a codebook like any other.
    """
    return (
        codebook is not None
        and (codebook.description or "").startswith(IMPLIED_DESCRIPTION)
        and any(c.definition.startswith(PLACEHOLDER) for c in codebook.codes)
    )


def placeholder_definition(counts: Mapping[str, tuple[int, str]] | None = None) -> str:
    """The definition an implied code gets, saying who applied it to how many units.

    Args:
        counts: coder -> (units they gave the code, ``response`` or ``quote``).
    """
    text = f"{PLACEHOLDER} write what this code means; it was made from the code names in coders' sheets."
    if counts:
        used = ", ".join(f"{coder} to {n:,} {unit}{'' if n == 1 else 's'}" for coder, (n, unit) in counts.items())
        text += f" Applied by {used}."
    return text


def _bump(version: str) -> str:
    major, minor, _patch = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.0"


class CodeNames:
    """Turns the code names in a coding sheet into code ids of a codebook.

    Args:
        codebook: the codebook the names must belong to, or the implied codebook
            to extend, or None to start one.
        create: add a code for every name the codebook lacks (an implied codebook);
            else such names are unknown (:meth:`resolve` returns None).
        clean: with ``create``, how a name is cleaned before it is matched or becomes a
            code (a redacted project's redaction, so "Complaint about Mr Okonkwo" is the
            code "Complaint about [NAME]").
    """

    def __init__(self, codebook: Codebook | None, *, create: bool, clean: Callable[[str], str] | None = None) -> None:
        self.create = create
        self._clean = clean if create else None
        self._codes: list[Code] = list(codebook.codes) if codebook is not None else []
        self._base = codebook
        self.created: list[str] = []
        self._taken = {c.id for c in self._codes}
        self._children: dict[str | None, dict[str, str]] = {}
        self._by_id = {c.id: c for c in self._codes}
        self._by_id_fold: dict[str, str] = {}
        self._by_label: dict[str, list[str]] = {}
        for code in self._codes:
            self._index(code)

    def _index(self, code: Code) -> None:
        self._children.setdefault(code.parent, {}).setdefault(name_key(code.label), code.id)
        self._children[code.parent].setdefault(code.id, code.id)
        self._by_id_fold.setdefault(code.id.casefold(), code.id)
        self._by_label.setdefault(name_key(code.label), []).append(code.id)

    def find(self, name: str) -> str | None:
        """The code a whole name stands for, as an id or a label (a top-level label wins), or None."""
        if name in self._by_id:
            return name
        if name.casefold() in self._by_id_fold:
            return self._by_id_fold[name.casefold()]
        found = self._by_label.get(name_key(name), [])
        top = [c for c in found if self._by_id[c].parent is None]
        if len(top) == 1:
            return top[0]
        return found[0] if len(found) == 1 else None

    def _walk(self, path: Sequence[str]) -> str | None:
        parent: str | None = None
        for part in path:
            children = self._children.get(parent, {})
            found = children.get(name_key(part)) or children.get(part) or children.get(part.casefold())
            if found is None:
                return None
            parent = found
        return parent

    def _add(self, label: str, parent: str | None) -> str:
        # An apostrophe joins its word (don't_know -> dont_know), as a researcher would write the id.
        plain = label.replace("'", "").replace("\u2019", "")
        base = snake_id(plain, set())
        if base in self._taken and parent is not None:
            base = snake_id(f"{parent} {plain}", set())
        code_id = snake_id(base, self._taken) if base in self._taken else base
        code = Code(id=code_id, label=" ".join(label.split()), parent=parent, definition=placeholder_definition())
        self._codes.append(code)
        self._taken.add(code_id)
        self._by_id[code_id] = code
        self._index(code)
        self.created.append(code_id)
        return code_id

    def resolve(self, raw: str, path: Sequence[str]) -> str | None:
        """The code id of one name, creating it (and its parents) when allowed.

        Args:
            raw: the name as written in the sheet (tried whole first, as an id or label,
                so a label such as ``IT/systems`` is not read as a path).
            path: the same name split into labels from the top of the hierarchy.
        """
        if self._clean is not None:
            raw, path = self._clean(raw), [self._clean(part) for part in path]
        if self.create:
            # Names are matched as paths only: a bare "Other" is the top-level Other, never
            # the "Other" under some parent (whose id may well be "other").
            found = self._walk(path)
            if found is None and len(path) > 1:
                whole = self.find(raw)  # a label that itself holds the separator, e.g. "IT/systems"
                found = whole if whole is not None and name_key(self._by_id[whole].label) == name_key(raw) else None
            if found is not None:
                return found
            parent: str | None = None
            for part in path:
                parent = self._children.get(parent, {}).get(name_key(part)) or self._add(part, parent)
            return parent
        if len(path) > 1:
            found = self._walk(path)
            if found is not None:
                return found
        return self.find(raw)

    def codebook(self, counts: Mapping[str, Mapping[str, tuple[int, str]]] | None = None) -> Codebook:
        """The codebook with every code created so far; placeholder definitions carry ``counts``.

        Args:
            counts: code id -> coder -> (units that coder gave the code, ``response`` or ``quote``).
                Without counts, placeholders are left as they are.
        """
        codes = [
            c.model_copy(update={"definition": placeholder_definition(counts.get(c.id))})
            if counts is not None and c.definition.startswith(PLACEHOLDER) else c
            for c in self._codes
        ]
        if self._base is None:
            return Codebook(name=IMPLIED_NAME, version="0.1.0", description=IMPLIED_DESCRIPTION, codes=codes)
        book = self._base.model_copy(update={"codes": codes})
        if book.content_hash() != self._base.content_hash():
            book = book.model_copy(update={"version": _bump(self._base.version)})
        return Codebook.model_validate(book.model_dump())


def ancestors(codebook: Codebook, code_id: str) -> Iterable[str]:
    """The parent, grandparent, … of a code, nearest first."""
    node = codebook.get(code_id).parent
    while node is not None:
        yield node
        node = codebook.get(node).parent


def with_counts(
    stored: Codebook | None, extended: Codebook, counts: Mapping[str, Mapping[str, tuple[int, str]]]
) -> Codebook:
    """The implied codebook to keep: ``extended`` with counts in its placeholders, versioned after ``stored``.

    A new implied codebook is 0.1.0; every change to it (a new code, a new count)
    raises the minor version, so each import's codebook can be told apart.

    Args:
        stored: the implied codebook the project had before this import, if any.
        extended: the codebook the import resolved its names against (with any new codes).
        counts: code id -> coder -> (units that coder gave the code, ``response`` or ``quote``).
    """
    codes = [
        c.model_copy(update={"definition": placeholder_definition(counts.get(c.id))})
        if c.definition.startswith(PLACEHOLDER) else c
        for c in extended.codes
    ]
    book = extended.model_copy(update={"codes": codes, "version": stored.version if stored else "0.1.0"})
    if stored is not None and book.content_hash() != stored.content_hash():
        book = book.model_copy(update={"version": _bump(stored.version)})
    return Codebook.model_validate(book.model_dump())
