"""Rule terms as surface forms, and finding them fast in text.

At ``fit`` time each rule term ("caseload*", "not manageable", "IT system") is
split into words by spaCy's blank English tokenizer, each word is expanded into
its inflections (see :mod:`probation_themes.coding.lemmas`), and the results are
joined into *surface forms*: the exact lower-case strings to look for. All forms
of all terms go into one Aho–Corasick automaton (pyahocorasick), which finds
every occurrence in one pass over a comment.

Text and terms are put through the same :func:`fold` (Unicode case folding and
NFKC compatibility normalisation, straight apostrophes, hyphens, dashes and every
kind of white space to a plain space) so "part-time", "part – time" and
"Part\\ntime" all match the term ``part time``, ``straße`` matches "STRASSE" and
the ligature in "e\ufb03cient" matches ``efficient``. Folding can change the
length of a few characters (ß → ss, ﬃ → ffi, … → ...); :func:`fold` then returns
a map back to the original offsets, and the rare text with a run of spaces is
compacted with an offset map too, so every match maps back to exact character
offsets in the text as stored.

A match counts only at word boundaries: the character before it and the one
after it must not be a letter or digit. A wildcard word (``overwhelm*``) matches
the prefix and then runs on to the end of the word.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from probation_themes.coding.lemmas import inflections

#: Most surface forms one phrase may expand to (the product of its words' forms).
MAX_FORMS_PER_PHRASE = 64

_APOSTROPHES = "\u2018\u2019\u201b\u02bc\u2032\uff07"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# Every character for which str.isspace() is true (a test checks this list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_TABLE = str.maketrans(
    {**{c: "'" for c in _APOSTROPHES}, **{c: " " for c in _DASHES + WHITESPACE}}
)
_ASCII_TABLE = bytes(
    ord(" ") if (chr(i) in _DASHES or chr(i) in WHITESPACE) else i for i in range(256)
)
_SPACE_RUN = re.compile(r" {2,}")
_WORD_CHARS = r"[^\W_]"
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")

#: (folded start, folded end, original start, original end) of a stretch whose length folding changed.
Unit = tuple[int, int, int, int]


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (e.g. 'İ') lower-case to two; keep their first so offsets hold.
    return "".join(c.lower()[0] for c in text)


def normalise(text: str) -> str:
    """Return ``text`` lower-cased, apostrophes straightened, dashes and white space as spaces.

    The result always has the same length as ``text``, so an offset in one is
    the same offset in the other.
    """
    if text.isascii():
        # bytes.translate is several times faster than str.translate with a dict.
        return text.lower().encode("ascii").translate(_ASCII_TABLE).decode("ascii")
    return _lower_same_length(text).translate(_TABLE)


def _fold_unit(unit: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", unit).casefold())
    if folded == "i\u0307":  # 'İ' folds to i + combining dot; "İCT" should still match "ict"
        return "i"
    return folded.translate(_TABLE)


def fold(text: str) -> tuple[str, list[Unit] | None]:
    """Return ``text`` case-folded and NFKC-normalised as the matcher sees it, with a map back.

    Apostrophes are straightened and dashes and white space become plain spaces,
    as in :func:`normalise`; beyond it, ``ß`` becomes ``ss``, ligatures such as
    ``ﬃ`` and full-width letters become plain letters, and a letter with a
    combining accent equals the same letter precomposed.

    Returns:
        ``(folded, None)`` when every character folded to exactly one (almost
        every text), else ``(folded, units)`` where ``units`` lists, in order,
        each stretch whose length changed; :func:`unfold_span` maps a span of the
        folded text back to the original.
    """
    if text.isascii():
        return text.lower().encode("ascii").translate(_ASCII_TABLE).decode("ascii"), None
    t = text.translate(_TABLE)
    if t.isascii():  # only curly quotes, dashes or odd spaces: the fast path again
        return t.lower(), None
    folded = t.casefold()
    if len(folded) == len(t) and unicodedata.is_normalized("NFKC", folded) and "\u0307" not in folded:
        return folded, None
    pieces: list[str] = []
    units: list[Unit] = []
    last = p = 0
    for m in _NON_ASCII_RUN.finditer(t):
        a, b = m.span()
        if a > last and unicodedata.combining(t[a]):
            a -= 1  # a combining mark belongs with the letter before it
        plain = t[last:a].lower()
        pieces.append(plain)
        p += len(plain)
        i = a
        while i < b:
            j = i + 1
            while j < len(t) and unicodedata.combining(t[j]):
                j += 1
            out = _fold_unit(t[i:j])
            if len(out) != j - i:
                units.append((p, p + len(out), i, j))
            pieces.append(out)
            p += len(out)
            i = j
        last = max(b, i)
    pieces.append(t[last:].lower())
    return "".join(pieces), units or None


def unfold_span(start: int, end: int, units: list[Unit], starts: list[int]) -> tuple[int, int]:
    """Map a span of folded text back to the original text (``starts``: each unit's folded start).

    A span that begins or ends inside a folded stretch (the "ss" of "ß") covers
    the whole original character.
    """
    i = bisect_right(starts, start) - 1
    if i < 0:
        a = start
    else:
        fs, fe, os_, oe = units[i]
        a = os_ if start < fe else start - fe + oe
    last = end - 1
    k = bisect_right(starts, last) - 1
    if k < 0:
        b = end
    else:
        fs, fe, os_, oe = units[k]
        b = oe if last < fe else last - fe + oe + 1
    return a, b


def compact(normalised: str) -> tuple[str, list[tuple[int, int]] | None]:
    """Collapse runs of spaces to one; return the text and a map back to original offsets.

    Returns:
        ``(text, None)`` when there was nothing to collapse (the usual case),
        otherwise ``(compacted, breaks)`` where ``breaks`` is a sorted list of
        ``(compact_offset, shift)``: from ``compact_offset`` on, add ``shift`` to
        get the offset in the original text. Use :func:`to_original`.
    """
    if "  " not in normalised:
        return normalised, None
    breaks: list[tuple[int, int]] = [(0, 0)]
    removed = 0
    for m in _SPACE_RUN.finditer(normalised):
        a, b = m.span()
        # The run's first space is kept; everything after it moves left.
        removed += b - a - 1
        breaks.append((b - removed, removed))
    return _SPACE_RUN.sub(" ", normalised), breaks


def to_original(offset: int, breaks: list[tuple[int, int]]) -> int:
    """Map an offset in a compacted text back to the text it came from."""
    i = bisect_right(breaks, (offset, float("inf"))) - 1
    return offset + breaks[i][1]


@dataclass(frozen=True)
class SurfaceForm:
    """One string the automaton looks for, standing for (part of) a rule term.

    Attributes:
        key: normalised text to find, e.g. ``"high caseloads"``.
        wildcard: the key's last word is a prefix that runs on to the word's end.
        tail: for a phrase with a wildcard before its last word, a regular
            expression the text must match right after the wildcard word.
    """

    key: str
    wildcard: bool = False
    tail: str | None = None


@functools.lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    import spacy

    return spacy.blank("en").tokenizer


@dataclass(frozen=True)
class _Word:
    forms: tuple[str, ...]
    wildcard: bool
    space_after: str


def _words(term: str, lemmas: bool) -> list[_Word]:
    text = " ".join(fold(term)[0].split())
    tokens = list(_tokenizer()(text))
    raw: list[list] = []  # [text, wildcard, space_after]
    for tok in tokens:
        if tok.text == "*" and raw and not raw[-1][2]:
            raw[-1][1] = True
            raw[-1][2] = tok.whitespace_
            continue
        word, wild = tok.text, False
        if word.endswith("*") and len(word) > 1:
            word, wild = word[:-1], True
        raw.append([word, wild, tok.whitespace_])
    n_words = sum(1 for w, _, _ in raw if any(c.isalnum() for c in w))
    words = []
    for word, wild, space in raw:
        if wild or not lemmas or not any(c.isalpha() for c in word):
            forms: tuple[str, ...] = (word,)
        else:
            # A few table forms are hyphenated ("court-martialled"); text has spaces there.
            found = inflections(word, alone=n_words == 1)
            forms = tuple(dict.fromkeys(fold(f)[0] for f in found))
        words.append(_Word(forms, wild, space))
    return words


def _cap(words: list[_Word], cap: int) -> list[_Word]:
    words = list(words)
    while True:
        size = 1
        for w in words:
            size *= len(w.forms)
        if size <= cap:
            return words
        # Keep the phrase's exact words; give up variants of the most varied word first.
        i = max(range(len(words)), key=lambda k: (len(words[k].forms), k))
        words[i] = _Word(words[i].forms[:1], words[i].wildcard, words[i].space_after)


def _tail_regex(words: Sequence[_Word], lead: str) -> str:
    parts = [re.escape(lead)]
    for w in words:
        if w.wildcard:
            parts.append(re.escape(w.forms[0]) + _WORD_CHARS + "*")
        else:
            parts.append("(?:" + "|".join(re.escape(f) for f in w.forms) + ")")
        parts.append(re.escape(w.space_after))
    last = words[-1]
    if not last.wildcard and last.forms[0][-1:].isalnum():
        parts.append(f"(?!{_WORD_CHARS})")
    return "".join(parts)


def expand_term(term: str, *, lemmas: bool = True) -> list[SurfaceForm]:
    """Return the surface forms that stand for a rule term, sorted.

    Args:
        term: a term as written in a codebook (``"caseload*"``, ``"high caseload"``).
        lemmas: expand words into their inflections; False matches words as written.

    Returns:
        The forms; empty if the term has no letters or digits to match.
    """
    words = [w for w in _words(term, lemmas) if w.forms[0].strip()]
    if not any(any(c.isalnum() for c in w.forms[0]) for w in words):
        return []
    words = _cap(words, MAX_FORMS_PER_PHRASE)
    split = next((i for i, w in enumerate(words) if w.wildcard), len(words) - 1)
    head, rest = words[: split + 1], words[split + 1 :]
    tail = _tail_regex(rest, head[-1].space_after) if rest else None
    out = set()
    for combo in itertools.product(*(w.forms for w in head)):
        key = "".join(f + w.space_after for f, w in zip(combo, head[:-1])) + combo[-1]
        out.add(SurfaceForm(key, head[-1].wildcard, tail))
    return sorted(out, key=lambda s: (s.key, s.wildcard, s.tail or ""))


class TermIndex:
    """Every surface form of a list of terms in one automaton; finds them in text.

    Build it once with the terms (their position in the list is their id), then
    call :meth:`find` for each text. It pickles, so worker processes can use it.
    Terms from ``literal_from`` on (the negation cues and stance words the rule
    coder adds) are matched as written, without inflections.
    """

    def __init__(self, terms: Sequence[str], *, lemmas: bool = True, literal_from: int | None = None) -> None:
        self.terms = list(terms)
        cut = len(self.terms) if literal_from is None else literal_from
        self.forms: list[list[SurfaceForm]] = [
            expand_term(t, lemmas=lemmas and i < cut) for i, t in enumerate(self.terms)
        ]
        entries: dict[str, list[tuple[int, bool, re.Pattern[str] | None]]] = {}
        for term_id, forms in enumerate(self.forms):
            for form in forms:
                tail = re.compile(form.tail) if form.tail else None
                entries.setdefault(form.key, []).append((term_id, form.wildcard, tail))
        self.cut = cut
        self.automaton = ahocorasick.Automaton()
        for key, items in entries.items():
            # Most keys stand for plain words or phrases; they take a faster path in find().
            plain = [t for t, wildcard, tail in items if not wildcard and tail is None]
            simple = tuple(t for t in plain if t < cut)
            literal = tuple(t for t in plain if t >= cut)
            complex_ = tuple(item for item in items if item[1] or item[2] is not None)
            self.automaton.add_word(
                key, (len(key), key[0].isalnum(), key[-1].isalnum(), simple or None, complex_, literal or None)
            )
        self.n_forms = len(entries)
        if entries:
            self.automaton.make_automaton()

    def find(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Return ``{term id: [(start, end), …]}`` for every term occurring in ``text``.

        Offsets are into ``text`` as given; each list is in order of position.
        """
        hits, extra = self.find_split(text)
        if extra:
            hits.update(extra)
        return hits

    def find_split(self, text: str) -> tuple[dict[int, list[tuple[int, int]]], dict[int, list[tuple[int, int]]]]:
        """Like :meth:`find`, with the terms before ``literal_from`` and those after in two dicts.

        The rule coder asks for its codebook's terms and its negation cues and
        stance words apart: most quotes then need no look at the cues at all.
        """
        if not self.n_forms:
            return {}, {}
        folded, units = fold(text)
        s, breaks = compact(folded)
        # Padding with spaces makes "start of text" and "end of text" ordinary boundaries.
        s = f" {s} "
        hits: dict[int, list[tuple[int, int]]] = {}
        extra: dict[int, list[tuple[int, int]]] = {}
        cut = self.cut
        for last, (length, check_start, check_end, simple, complex_, literal) in self.automaton.iter(s):
            start = last - length + 1
            if check_start and s[start - 1].isalnum():
                continue
            after = last + 1
            if (simple is not None or literal is not None) and not (check_end and s[after].isalnum()):
                span = (start - 1, after - 1)
                for term_id in simple or ():
                    if term_id in hits:
                        hits[term_id].append(span)
                    else:
                        hits[term_id] = [span]
                for term_id in literal or ():
                    if term_id in extra:
                        extra[term_id].append(span)
                    else:
                        extra[term_id] = [span]
            for term_id, wildcard, tail in complex_:
                end = after
                if wildcard:
                    while s[end].isalnum():
                        end += 1
                elif check_end and s[after].isalnum():
                    continue
                if tail is not None:
                    m = tail.match(s, end)
                    if m is None:
                        continue
                    end = m.end()
                (hits if term_id < cut else extra).setdefault(term_id, []).append((start - 1, end - 1))
        return self._to_original(hits, breaks, units), self._to_original(extra, breaks, units)

    @staticmethod
    def _to_original(hits: dict[int, list[tuple[int, int]]], breaks, units) -> dict[int, list[tuple[int, int]]]:
        """Map spans of the folded, compacted text back to the text as given; sort each term's spans."""
        if not hits:
            return hits
        if breaks is not None:
            hits = {
                t: [(to_original(a, breaks), to_original(b - 1, breaks) + 1) for a, b in spans]
                for t, spans in hits.items()
            }
        if units is not None:
            unit_starts = [u[0] for u in units]
            hits = {t: [unfold_span(a, b, units, unit_starts) for a, b in spans] for t, spans in hits.items()}
        for spans in hits.values():
            if len(spans) > 1:
                spans.sort()
        return hits
