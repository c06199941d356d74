"""Clean every other stored copy of redacted words: topic terms, model evidence, memos, run records.

Redacting a quote replaces the detail in its text, but a project also keeps words
taken from the text: a topic's terms and representative quotes, the words a model
weighed, a coder's memo, the seeds a promoted topic wrote. A :class:`Scrubber` is made
from what a redaction replaced. It cleans free text as the redactor does, and it
replaces every word of a replaced detail that no longer occurs in any quote (``okonkwo``
among a topic's terms, ``900123`` among a model's features) with the placeholder of its
kind. Words that still occur in redacted quotes (``probation`` from an address at
probation.gov.uk) stay: they are not personal details on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ahocorasick

from probation_themes.ingest.names import fold, fold_text
from probation_themes.ingest.redact import PLACEHOLDERS, Redactor, matching_view

_TOKEN = re.compile(r"[^\W_]+")
_PIECE = re.compile(r"[^\W\d_]+|\d+")

#: Words of a detail that identify nobody by themselves: titles, labels and linking words.
_LABELS = frozenset("""
mr mrs ms miss mx dr prof professor sir dame lady lord rev revd reverend crn pnc ref reference case file number
no id tel ext extn extension at dot mailto com org net uk gov co www van von de der den da di del la le bin ibn
al el ap ter ten dos das
""".split())


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Every word of the texts, as :class:`Scrubber` compares them (case-folded, without accents)."""
    words: set[str] = set()
    for text in texts:
        words.update(_TOKEN.findall(text.casefold()))
    return {fold(w) for w in words}


class Scrubber:
    """Clean stored copies of the words a redaction replaced.

    Args:
        redactor: the redactor that made the replacements (it cleans free text).
        replaced: ``(kind, original words)`` of every detail replaced.
        remaining: every word of the redacted quotes (see :func:`vocabulary`); a
            replaced word still found there is left alone elsewhere too.
    """

    def __init__(self, redactor: Redactor, replaced: Iterable[tuple[str, str]], remaining: set[str]) -> None:
        self._redactor = redactor
        banned: dict[str, str] = {}
        for kind, original in replaced:
            # As the redactor read it: "Sm\u200bith" is the word "smith", "０７７００" is "07700".
            folded = matching_view(original)[0].casefold()
            # Whole words ("sw1a") and their runs of letters or digits ("sw", "1"), which is
            # how a topic model or a classifier may have cut them.
            for word in _TOKEN.findall(folded) + _PIECE.findall(folded):
                key = fold(word)
                if len(key) >= 2 and key not in _LABELS and key not in remaining:
                    banned.setdefault(key, PLACEHOLDERS[kind])
        self._banned = banned
        self._automaton: ahocorasick.Automaton | None = None
        if banned:
            automaton = ahocorasick.Automaton()
            for key in banned:
                automaton.add_word(key, key)
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def words(self) -> int:
        """How many distinct replaced words are looked for outside the quotes."""
        return len(self._banned)

    def mentions(self, text: str) -> bool:
        """A quick first look: whether ``text`` may hold a replaced word (no false misses)."""
        if self._automaton is None or not text:
            return False
        folded = fold_text(text)
        return next(self._automaton.iter(folded), None) is not None

    def terms(self, text: str) -> str:
        """``text`` with every replaced word that occurs in no quote put back as its placeholder."""
        if not self.mentions(text):
            return text
        banned = self._banned
        parts: list[str] = []
        last = 0
        for m in _TOKEN.finditer(text):
            placeholder = banned.get(fold(m.group()))
            if placeholder is not None:
                parts.append(text[last:m.start()])
                parts.append(placeholder)
                last = m.end()
        if not parts:
            return text
        parts.append(text[last:])
        return "".join(parts)

    def free_text(self, text: str) -> str:
        """``text`` redacted as a quote is, and cleaned of replaced words (memos, summaries, rejects)."""
        if not text:
            return text
        return self.terms(self._redactor.redact(text)[0])

    def value(self, value: object, *, free: bool = False) -> object:
        """A JSON value with every string in it cleaned (``free``: as free text, else as terms).

        Mapping keys are field names and stay as they are.
        """
        clean = self.free_text if free else self.terms
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, list):
            return [self.value(v, free=free) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, free=free) for k, v in value.items()}
        return value
