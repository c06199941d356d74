"""Find personal names in answers: after a title, and from lists, in the letters of any language.

Names are matched on Unicode letters (``Zoë Núñez``, ``Łukasz Wójcik``, ``Siân``),
whatever their case: ``DR JONES`` and ``mr smith`` are names as much as ``Dr Jones``.
A list entry matches however it is written in the text — accents or not (``Zoe`` finds
``Zoë``), capitals or not — and may be several words (``Mary Ann``, ``van der Berg``).
Lower-case words are taken as names only when they are not also ordinary words
(``jack``, ``dean``, ``heather`` are left alone).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import regex

_UP = r"[\p{Lu}\p{Lt}]"
_LOW = r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"
_APOS = "['\u2019]"
# A capitalised name word: Smith, McAllister, O'Brien, Smith-Jones, Núñez, Łukasz, an initial.
_CAP = rf"{_UP}{_LOW}*(?:{_UP}{_LOW}+)?(?:{_APOS}{_UP}{_LOW}+)?(?:-{_UP}{_LOW}+)*"
_CAP_WORD = rf"(?:{_UP}\.|{_UP}(?=[\s,;:)]|$)|(?=\p{{L}}[\p{{L}}\p{{M}}]|\p{{L}}{_APOS}){_CAP})"
_CAPS_WORD = rf"{_UP}{{2,}}(?:[{_APOS[1:-1]}-]{_UP}+)*"
_LOWER_WORD = rf"(?={_LOW}{_LOW}|{_LOW}{_APOS}){_LOW}+(?:[{_APOS[1:-1]}-]{_LOW}+)*"
_PARTICLE = r"(?:van|von|de|der|den|da|di|del|della|du|la|le|bin|ibn|al|el|ap|ab|ter|ten|dos|das)"

_TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame", "Lady", "Lord", "Rev",
           "Revd", "Reverend")
# Before a word in lower case, these titles take any name; the others ("I miss working", "yes sir",
# "prof dev", "the dr said") only a name a list knows ("miss smith", "dr patel").
_LOWER_TITLES = ("mr", "mrs", "ms", "mx")
_END = r"(?![\p{L}\p{M}\p{N}])"
_TITLED = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}])(?P<title>{'|'.join(_TITLES)})\.?"
    rf"(?P<words>(?: (?:{_PARTICLE} )*(?:{_CAP_WORD}|{_CAPS_WORD})){{1,3}}){_END}"
)
_TITLED_CAPS = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}])(?P<title>{'|'.join(t.upper() for t in _TITLES)})\.?"
    rf"(?P<words>(?: (?:{_CAPS_WORD}|{_UP}\.?|{_CAP_WORD})){{1,3}}){_END}"
)
_TITLED_LOWER = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}])(?P<title>{'|'.join(t.lower() for t in _TITLES)}|{'|'.join(_TITLES)})\.?"
    rf"(?P<words>(?: (?:{_PARTICLE} )*{_LOWER_WORD}){{1,2}}){_END}"
)
# A quick first look: most answers hold no title at all.
_ANY_TITLE = re.compile(rf"\b(?:{'|'.join(_TITLES)})\b", re.IGNORECASE)
_TOKEN = regex.compile(r"[\p{L}\p{M}]+(?:['\u2019-][\p{L}\p{M}]+)*")

#: Words that follow a title without being a name ("Dr appointment", "MS Teams"), and
#: capitalised words that begin sentences rather than name people.
NOT_NAMES = frozenset("""
a about after again all also although an and any appointment appointments are as ask at be because been before
both but by can could dear did do does during each either even every excel for from had has have he hello her
here hi him his how however i if in is it its just last let many may me might most my neither no nor not note
notes now of office on one only or other our outlook please project same says said she should since so some
still such surgery teams tell than thank thanks that the their them then there these they this those though
through to today told tomorrow too under unfortunately until up us very visit was we were what when where which
while who whom whose why will with word would yes yesterday yet you your sorry maybe perhaps luckily sadly
recently monday tuesday wednesday thursday friday saturday sunday january february march april june july august
september october november december team senior manager staff contact our access windows edge forms
sharepoint onedrive powerpoint word dos paint
""".split())

#: Listed names that are also ordinary lower-case words: in lower case they are not names.
WORDLIKE = frozenset("""
jack dean lee ben amber ruby jade pearl joy rose holly ivy summer autumn dawn faith hope grace may june april mark
will bill frank pat sue art rob nick gene bob don ray sally penny carol jean guy sandy rich drew miles chase hunter
cliff rocky kit dot lily heather iris daisy ed al jan max glen poppy willow jasmine ruth sky rain river page
""".split())

# Letters NFKD does not take apart, folded by hand so that "Łukasz" is found by "Lukasz".
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i",
                       "ŀ": "l", "ħ": "h", "ŧ": "t", "’": "'"})


def fold_text(text: str) -> str:
    """Text as names are compared: case-folded, without accents (``Núñez`` → ``nunez``)."""
    folded = text.casefold().translate(_FOLD)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65_536)
def fold(word: str) -> str:
    """A word as names are compared (see :func:`fold_text`); words recur, so each is folded once."""
    return fold_text(word)


def _shape(token: str) -> str:
    if token.isupper() and len(token) > 1:
        return "caps"
    if token[0].isupper():
        return "cap"
    if token.islower():
        return "lower"
    return "other"


def _read_list(name: str) -> list[str]:
    text = resources.files("probation_themes.ingest").joinpath(f"data/{name}").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def bundled_first_names() -> frozenset[str]:
    """Common first names in the UK, of every origin, that are not also ordinary English words."""
    return frozenset(_read_list("first_names.txt"))


@lru_cache(maxsize=1)
def bundled_surnames() -> frozenset[str]:
    """Common surnames in the UK, of every origin, that are not also ordinary words or places."""
    return frozenset(_read_list("surnames.txt"))


class NameFinder:
    """Finds the spans of personal names in a text.

    Args:
        names: the researcher's own names (first names, surnames or whole names of
            several words); matched whatever their case and accents.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._first = {fold(n) for n in bundled_first_names()}
        self._surnames = {fold(n) for n in bundled_surnames()}
        self._own: set[str] = set()
        self._phrases: dict[str, list[tuple[str, ...]]] = {}
        for entry in names:
            words = tuple(fold(t) for t in _TOKEN.findall(entry))
            if len(words) == 1:
                self._own.add(words[0])
            elif words:
                self._phrases.setdefault(words[0], []).append(words[1:])
        for rest in self._phrases.values():
            rest.sort(key=len, reverse=True)  # the longest entry first
        self._known = self._first | self._surnames | self._own | set(self._phrases)

    def _listed(self, token: str, shape: str) -> bool:
        key = fold(token)
        if shape == "lower" and key in WORDLIKE:
            return False
        if key in self._own or key in self._first:
            return True
        if shape == "lower":
            return False
        if key in self._surnames:
            return True
        # Smith-Jones, Grimshaw-Smith: a double-barrelled name with a listed part.
        return "-" in key and any(part in self._surnames or part in self._own for part in key.split("-"))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of every name found, in order, overlapping and adjacent finds joined."""
        found: list[tuple[int, int]] = []
        for pattern in (_TITLED, _TITLED_CAPS, _TITLED_LOWER) if _ANY_TITLE.search(text) else ():
            for m in pattern.finditer(text):
                span = self._titled(m, pattern is _TITLED_LOWER)
                if span is not None:
                    found.append(span)
        tokens: list[tuple[int, int, str]] | None = None
        known, phrases = self._known, self._phrases
        for m in _TOKEN.finditer(text):
            token = m.group()
            key = fold(token)
            # Most words are in no list: they are passed over after one look-up.
            if key not in known and not ("-" in key and any(part in known for part in key.split("-"))):
                continue
            if tokens is None:
                tokens = [(t.start(), t.end(), t.group()) for t in _TOKEN.finditer(text)]
                index = {start: i for i, (start, _, _) in enumerate(tokens)}
            i = index[m.start()]
            shape = _shape(token)
            phrase_end = self._phrase(tokens, i, text) if key in phrases else None
            if phrase_end is not None:
                found.append((m.start(), phrase_end))
            elif self._listed(token, shape) and not self._a_word_here(tokens, i):
                found.append(self._widen(tokens, i, shape, text))
        return _joined(found, text)

    def _titled(self, m: regex.Match, lower: bool) -> tuple[int, int] | None:
        words = m.group("words").split()
        # "I miss working", "Lord knows", "the dr said": only a listed name makes these a name.
        listed_only = lower and m.group("title").lower() not in _LOWER_TITLES
        kept = []
        for word in words:
            if fold(word.rstrip(".")) in NOT_NAMES:
                break
            if listed_only and not (self._listed(word, "cap") or fold(word) in _PARTICLE_WORDS):
                break
            kept.append(word)
        if not kept or all(fold(w) in _PARTICLE_WORDS for w in kept):
            return None
        # The span ends at the last word kept (particles alone at the end are not part of it).
        while kept and fold(kept[-1]) in _PARTICLE_WORDS:
            kept.pop()
        end = m.start("words")
        for word in kept:
            end = m.string.index(word, end) + len(word)
        return m.start(), end

    @staticmethod
    def _a_word_here(tokens: list[tuple[int, int, str]], i: int) -> bool:
        """A name that is also a word, used as one: "the Dean of the college", "a Jack"."""
        return i > 0 and fold(tokens[i][2]) in WORDLIKE and fold(tokens[i - 1][2]) in ("the", "a", "an")

    def _phrase(self, tokens: list[tuple[int, int, str]], i: int, text: str) -> int | None:
        """The end of a several-word listed name starting at token ``i``, if one does."""
        rests = self._phrases.get(fold(tokens[i][2]))
        if not rests:
            return None
        for rest in rests:
            following = tokens[i + 1 : i + 1 + len(rest)]
            if len(following) == len(rest) and all(fold(t[2]) == w for t, w in zip(following, rest)) and all(
                _only_space(text, a[1], b[0]) for a, b in zip(tokens[i : i + len(rest)], following)
            ):
                return following[-1][1]
        return None

    def _widen(self, tokens: list[tuple[int, int, str]], i: int, shape: str, text: str) -> tuple[int, int]:
        """A listed name with the surname after it and the first name before it ("Tamsin Patel")."""
        start, end, _ = tokens[i]
        after = i + 1
        while after < len(tokens) and fold(tokens[after][2]) in _PARTICLE_WORDS and _only_space(
                text, tokens[after - 1][1], tokens[after][0]):
            after += 1  # "Maria de la Cruz"
        if after < len(tokens) and _only_space(text, tokens[after - 1][1], tokens[after][0]):
            word = tokens[after][2]
            if self._neighbour(word, shape):
                end = tokens[after][1]
        if i > 0 and _only_space(text, tokens[i - 1][1], start):
            word = tokens[i - 1][2]
            if self._neighbour(word, shape) and _starts_word(text, tokens[i - 1][0]):
                start = tokens[i - 1][0]
        return start, end

    def _neighbour(self, word: str, shape: str) -> bool:
        """Whether a word next to a listed name belongs to the name."""
        other = _shape(word)
        if fold(word) in NOT_NAMES:
            return False
        if other == "cap" and shape == "cap":
            return True  # Sarah Jones, Tamsin Patel: a capitalised word beside a capitalised name
        return other in ("cap", "caps", "lower") and self._listed(word, other)


_PARTICLE_WORDS = frozenset(_PARTICLE.strip("(?:)").split("|"))


def _only_space(text: str, end: int, start: int) -> bool:
    return start - end == 1 and text[end] == " "


def _starts_word(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "'\u2019-")


def _joined(found: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Spans sorted, with overlapping ones and ones separated by a single space joined."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if joined and (start <= joined[-1][1] or (start == joined[-1][1] + 1 and text[joined[-1][1]] == " ")):
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined
