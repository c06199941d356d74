"""Turning quotes into the words a topic model reads, and codes into seed words.

Each quote is cut into words (runs of letters, with inner apostrophes), lower-cased
and reduced to its dictionary form where that keeps the stem ("caseloads" →
caseload, "stressed" → stress; from the same spaCy lemma table the rule coder
uses). Function words and a short domain stop list are dropped, and pairs of
words that belong together ("second class", "job matching") are joined into one
phrase by gensim's ``Phrases``, learned from the quotes themselves. Every word
keeps its character offsets, so a topic term can be shown where it occurs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from gensim.models.phrases import FrozenPhrases, Phrases

from probation_themes.codebook import Codebook
from probation_themes.coding.lemmas import function_words, is_regular, lemma_families, lemma_table

#: Joins the words of a phrase in the model's vocabulary ("second_class"); shown as a space.
PHRASE_JOIN = "_"

#: Words every comment in this field uses that name no theme. A topic made of them
#: would read as "probation, think, things" rather than as a theme; the model also
#: drops any word found in more than half of the quotes (see ``MAX_DOC_SHARE``).
DOMAIN_STOP_WORDS = frozenset(
    """
    probation service services unification unified unify merger hmpps really just lot lots
    thing things like also would could get got getting feel felt think thought way ways make
    made making much many well still even etc yes year years month months week weeks day days
    good bad new old know want need needs needed
    """.split()
)

#: Longest phrase, in words ("face to face"); longer runs are usually a repeated sentence, not a term.
MAX_PHRASE_WORDS = 3

#: Words shorter than this are not topic terms.
MIN_WORD_LENGTH = 3

#: A word found in more than this share of the quotes is dropped, unless it is a seed word.
MAX_DOC_SHARE = 0.5

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


class Token(NamedTuple):
    """A word (or phrase) the model reads, and where it stands in the quote text."""

    term: str
    start: int
    end: int


@functools.lru_cache(maxsize=200_000)
def normal_form(word: str) -> str:
    """The dictionary form of a lower-case word when it keeps the stem, else the word itself.

    As in the rule coder, a word that is itself the dictionary form of others
    keeps its own meaning: "buildings" → building, not build.
    """
    if word in lemma_families():
        return word
    lemma = lemma_table().get(word, word)
    return lemma if lemma != word and is_regular(word, lemma) else word


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Function words (spaCy's English list) and the domain stop list."""
    return function_words() | DOMAIN_STOP_WORDS


# A redaction placeholder ([NAME], [NI NUMBER]) stands for words that were removed; it is no
# topic's term (a topic of "name, email, phone" would only say that details were redacted).
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z ]*\]")


def _without_placeholders(text: str) -> str:
    if "[" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)  # same length: offsets stay


def words(text: str) -> list[str]:
    """Every word of a text, lower-case and in its dictionary form (quick: no offsets)."""
    return [normal_form(w.replace("\u2019", "'")) for w in _WORD.findall(_without_placeholders(text).lower())]


def located_words(text: str) -> list[Token]:
    """Every word of a text, lower-case and in its dictionary form, with character offsets."""
    return [
        Token(normal_form(m.group().replace("\u2019", "'")), m.start(), m.end())
        for m in _WORD.finditer(_without_placeholders(text).lower())
    ]


def is_content(term: str) -> bool:
    """Can this be a topic term? Phrases can; single words unless function words or very short."""
    return PHRASE_JOIN in term or (len(term) >= MIN_WORD_LENGTH and term not in stop_words())


def learn_phrases(docs: Sequence[Sequence[str]], keep_apart: Iterable[str] = ()) -> FrozenPhrases:
    """Learn which neighbouring words form phrases (gensim ``Phrases``, NPMI scoring).

    ``docs`` are the quotes' words in order, function words included: these may
    sit inside a phrase ("face to face", "them and us") but never start or end
    one, and a phrase has at most ``MAX_PHRASE_WORDS`` words. A pair becomes a phrase when it occurs at least ``max(5, quotes / 2000)``
    times and its normalised pointwise mutual information is at least 0.5 (the
    words occur together far more often than chance). Phrases containing a word
    of ``keep_apart`` (the seed words) are not joined, so seed words stay in the
    vocabulary as themselves.
    """
    min_count = max(5, len(docs) // 2000)
    phrases = Phrases(
        docs, min_count=min_count, threshold=0.5, scoring="npmi", delimiter=PHRASE_JOIN,
        connector_words=stop_words(),
    )
    frozen = phrases.freeze()
    apart = set(keep_apart)
    frozen.phrasegrams = {
        gram: score
        for gram, score in frozen.phrasegrams.items()
        if len(parts := gram.split(PHRASE_JOIN)) <= MAX_PHRASE_WORDS and not apart.intersection(parts)
    }
    return frozen


def phrase_terms(phraser: FrozenPhrases, found: Sequence[str]) -> list[str]:
    """The topic terms of a quote's words: phrases joined, function words dropped."""
    return [t for t in phraser[found] if is_content(t)]


def phrase_tokens(phraser: FrozenPhrases, found: Sequence[Token]) -> list[Token]:
    """As :func:`phrase_terms`, keeping each term's character offsets in the quote."""
    merged = phraser[[t.term for t in found]]
    out, i = [], 0
    for term in merged:
        width = term.count(PHRASE_JOIN) + 1
        if is_content(term):
            out.append(Token(term, found[i].start, found[i + width - 1].end))
        i += width
    return out


def seed_terms(codebook: Codebook) -> dict[str, tuple[str, ...]]:
    """The seed words of each code, in the form the model reads them.

    A code's ``seeds`` are used when it has any; otherwise its single-word ``any``
    rule terms (wildcards and phrases are left out: a topic model reads words,
    not patterns). Each seed is reduced to its dictionary form; a seed of several
    words becomes a phrase. Codes without seeds are left out.
    """
    seeds: dict[str, tuple[str, ...]] = {}
    for code in codebook.codes:
        words = list(code.seeds)
        if not words and code.rules is not None:
            words = [t for t in code.rules.any if " " not in t.strip() and "*" not in t]
        terms: list[str] = []
        for seed in words:
            parts = [normal_form(w) for w in _WORD.findall(seed.lower().replace("\u2019", "'"))]
            term = PHRASE_JOIN.join(parts)
            if term and term not in terms:
                terms.append(term)
        if terms:
            seeds[code.id] = tuple(terms)
    return seeds


def shown(term: str) -> str:
    """A vocabulary term as a researcher reads it ("second_class" → "second class")."""
    return term.replace(PHRASE_JOIN, " ")
