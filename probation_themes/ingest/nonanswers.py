"""Non-answers: quotes such as "Nothing.", "n/a" or "No comment" that say nothing about the question.

A list of non-answers is readable data: the built-in one is ``data/non_answers.txt``
(English, with the usual non-answers of a few other European languages), and a
researcher can give their own file in the same format. A quote is a non-answer when,
ignoring case, accents, punctuation and spacing, all of it is made of the list's phrases,
optionally with its filler words around or between them ("nothing really", "No comment
at this time, thanks"), or when it has no letters or digits at all ("-", "..."). Any
other word makes it an answer: "Nothing has improved since the merger" is one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from probation_themes.errors import IngestError

#: Name of the built-in list, as runs record it.
BUILTIN = "built-in"
_DATA = "non_answers.txt"
#: Quotes longer than this many words are answers whatever they say.
MAX_WORDS = 24
_SECTIONS = ("phrases", "fillers")
_NOT_WORD = re.compile(r"[^\w]+|_")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")

Words = tuple[str, ...]


def normalise(text: str) -> Words:
    """The words of ``text`` as lists are matched: case, accents, apostrophes and punctuation dropped.

    ``"N/A."`` gives ``("n", "a")``, ``"Don’t know!"`` gives ``("dont", "know")``.
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return tuple(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", folded)).split())


@dataclass(frozen=True)
class NonAnswers:
    """A list of non-answers: phrases, and filler words that may surround them.

    Use :func:`builtin_non_answers` or :func:`read_non_answers` to make one.
    """

    phrases: frozenset[Words]
    fillers: frozenset[Words]
    source: str = BUILTIN
    #: Each phrase as the list writes it ("n/a" for the words n, a), to show what matched.
    spelled: Mapping[Words, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def digest(self) -> str:
        """A short fingerprint of the list's content, recorded with each ingest that used it."""
        text = "\n".join(
            [" ".join(p) for p in sorted(self.phrases)] + ["[fillers]"] + [" ".join(f) for f in sorted(self.fillers)]
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def parameters(self) -> dict[str, object]:
        """How the list is recorded with the run that used it."""
        return {"list": self.source, "phrases": len(self.phrases), "fillers": len(self.fillers), "sha256": self.digest}

    def match(self, text: str) -> str | None:
        """The phrase(s) that make ``text`` a non-answer (as normalised words), or None for an answer.

        A text without letters or digits is a non-answer, matched as ``"(no words)"``.
        """
        words = normalise(text)
        if not words:
            return "(no words)"
        if len(words) > MAX_WORDS:
            return None
        longest = max(map(len, self.phrases | self.fillers), default=0)
        # best[i]: the phrases of one way to read words[:i] as phrases and fillers (None: no way).
        best: list[list[str] | None] = [None] * (len(words) + 1)
        best[0] = []
        for i in range(len(words)):
            found = best[i]
            if found is None:
                continue
            for size in range(1, min(longest, len(words) - i) + 1):
                piece = words[i : i + size]
                readings = ([[*found, self.spelled.get(piece, " ".join(piece))]] if piece in self.phrases else []) + (
                    [found] if piece in self.fillers else []
                )
                for reading in readings:  # phrases as the list writes them
                    # Prefer a reading with a phrase in it, then the one with fewer, longer phrases.
                    current = best[i + size]
                    if current is None or (reading and (not current or len(reading) < len(current))):
                        best[i + size] = reading
        phrases = best[len(words)]
        return " + ".join(dict.fromkeys(phrases)) if phrases else None


def builtin_list_text() -> str:
    """The built-in list, as the commented text file it is kept in (to copy and edit)."""
    return (resources.files("probation_themes.ingest") / "data" / _DATA).read_text(encoding="utf-8")


def builtin_non_answers() -> NonAnswers:
    """The built-in list of non-answers (see ``data/non_answers.txt``)."""
    phrases, fillers, spelled = _parse(builtin_list_text(), BUILTIN)
    return NonAnswers(phrases, fillers or frozenset(), BUILTIN, spelled)


def read_non_answers(path: str | Path) -> NonAnswers:
    """Read a researcher's list of non-answers: one phrase per line, ``#`` comments.

    The file has the format of the built-in list (write it out with
    ``probation-themes non-answers list -o FILE``): phrases, then optionally a
    ``[fillers]`` section. A list without a ``[fillers]`` section uses the
    built-in fillers; an empty ``[fillers]`` section means none.

    Raises:
        IngestError: the file cannot be read, has an unknown ``[section]``, or no phrase.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IngestError(
            f"The list of non-answers {path} does not exist. Check the path, or write the built-in list "
            f"there to edit with `probation-themes non-answers list -o {path}`.",
            path=path,
        ) from None
    except OSError as exc:
        raise IngestError(f"The list of non-answers {path} cannot be read: {exc.strerror or exc}.", path=path) from None
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"The list of non-answers {path} is not UTF-8 text (line {line}). Save it as UTF-8 and try again.",
            path=path, row=line,
        ) from None
    phrases, fillers, spelled = _parse(text, str(path))
    if not phrases:
        raise IngestError(
            f"The list of non-answers {path} has no phrases (one per line, # for comments), so it would "
            "flag nothing. Add phrases such as 'nothing' or 'n/a', or ingest with --keep-non-answers to "
            "flag no quote at all.",
            path=path,
        )
    if fillers is None:
        fillers = builtin_non_answers().fillers
    return NonAnswers(phrases, fillers, path.name, spelled)


def _parse(text: str, where: str) -> tuple[frozenset[Words], frozenset[Words] | None, dict[Words, str]]:
    """Phrases, fillers (None when the list has no such section) and how the list spells each phrase."""
    found: dict[str, set[Words]] = {"phrases": set()}
    spelled: dict[Words, str] = {}
    section = "phrases"
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[\s*([^\]]*?)\s*\]", line)
        if header:
            section = header.group(1).lower()
            if section not in _SECTIONS:
                raise IngestError(
                    f"Line {number} of the list of non-answers {where} starts a section [{header.group(1)}]; "
                    "the sections are [phrases] and [fillers].",
                    path=where, row=number,
                )
            found.setdefault(section, set())
            continue
        words = normalise(line)
        if words:  # a line of punctuation only adds nothing: such quotes are non-answers anyway
            found[section].add(words)
            if section == "phrases":
                spelled.setdefault(words, line.lower())
    fillers = found.get("fillers")
    return frozenset(found["phrases"]), (frozenset(fillers) if fillers is not None else None), spelled
