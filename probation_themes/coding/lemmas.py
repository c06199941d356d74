"""Inflected forms of English words, from spaCy's lookup lemmatiser tables.

The rule coder matches ``caseload`` in "caseloads" and ``stressed`` in "stressing"
by expanding each rule word, once, into the forms that share its lemma in the
``lemma_lookup`` table of spacy-lookups-data (the table spaCy's blank English
pipeline uses). The table maps form → lemma; here it is inverted to lemma → forms.

Lemma tables join some words that a researcher would never want joined
("better" → well, "left" → leave, "well" → good). So a form is only taken into
a word's family when it is *regular*: it shares all but the last one or two
letters of the lemma (stress/stressed, pay/paid, build/built, but not leave/left
or good/well). Function words (spaCy's English stop words) and words shorter
than three letters are only expanded when they are a whole rule term on their
own and are themselves a lemma, so ``be`` finds "was" but ``was`` finds only "was".
A word that is itself the lemma of other forms keeps its own family: ``number``
finds "numbers", not "numb"; ``building`` finds "buildings", not "build".
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict

from probation_themes.errors import CoderError

#: Most forms one word may expand to; the shortest forms are kept (the word itself always).
MAX_FORMS_PER_WORD = 12

# A usable inflected form: letters, with inner apostrophes or hyphens ("court-martialled").
_FORM = re.compile(r"^[a-z][a-z'\-]*[a-z]$")


@functools.lru_cache(maxsize=1)
def lemma_table() -> dict[str, str]:
    """Return spaCy's English lookup lemma table as a lower-cased ``{form: lemma}`` dict.

    ``spacy.lookups.load_lookups`` keeps only hashes of the forms, which cannot be
    inverted, so the table is read through the same ``spacy_lookups`` entry point
    and loader spaCy uses. Loaded once per process.

    Raises:
        CoderError: spacy-lookups-data is not installed.
    """
    from spacy.util import load_language_data, registry

    try:
        paths = registry.lookups.get("en")
        raw = load_language_data(paths["lemma_lookup"])
    except (KeyError, ValueError, OSError, LookupError) as exc:
        raise CoderError(
            "The English lemma table from spacy-lookups-data could not be loaded "
            f"({exc}). Install it with `pip install spacy-lookups-data`, or code "
            "without inflections by creating the rules coder with lemmas=False."
        ) from None
    table: dict[str, str] = {}
    for form, lemma in raw.items():
        # The table holds a few capitalised forms (proper nouns); the first
        # entry for a lower-cased form wins so the result is deterministic.
        table.setdefault(form.lower(), lemma.lower())
    return table


@functools.lru_cache(maxsize=1)
def lemma_families() -> dict[str, tuple[str, ...]]:
    """Return the inverted table: ``{lemma: (form, …)}``, forms sorted."""
    families: dict[str, set[str]] = defaultdict(set)
    for form, lemma in lemma_table().items():
        if form != lemma:
            families[lemma].add(form)
    return {lemma: tuple(sorted(forms)) for lemma, forms in families.items()}


@functools.lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """spaCy's English stop words, lower-cased, with curly apostrophes straightened."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w.lower().replace("\u2019", "'").replace("\u2018", "'") for w in STOP_WORDS)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def is_regular(form: str, lemma: str) -> bool:
    """True when ``form`` keeps the stem of ``lemma`` (stress/stressed, pay/paid, not go/went)."""
    slack = 1 if len(lemma) <= 4 else 2
    shared = _common_prefix(form, lemma)
    return shared >= 2 and shared >= len(lemma) - slack


def _family(lemma: str, *, regular_only: bool) -> list[str]:
    forms = lemma_families().get(lemma, ())
    return [
        f for f in forms if _FORM.match(f) and (not regular_only or is_regular(f, lemma))
    ]


def inflections(word: str, *, alone: bool = True) -> tuple[str, ...]:
    """Return the forms of ``word`` a rule should match, the word itself first.

    Args:
        word: one lower-case word of a rule term.
        alone: True when the word is the whole term; function words are only
            expanded then (``be`` → am, is, was …), never inside a phrase.

    Returns:
        The word followed by its other forms, shortest first, at most
        ``MAX_FORMS_PER_WORD`` in all. Words without letters come back unchanged.
    """
    word = word.lower()
    if not any(c.isalpha() for c in word):
        return (word,)
    lemma = lemma_table().get(word, word)
    if word in lemma_families():
        # The word heads a family of its own, so it is a lemma, whatever the table
        # says it is a form of ("number" is listed as a form of "numb").
        lemma = word
    forms: set[str] = set()
    if word in function_words() or len(word) < 3:
        if alone and lemma == word:
            forms.update(_family(word, regular_only=False))
    else:
        forms.update(_family(word, regular_only=True))
        if lemma != word and is_regular(word, lemma):
            forms.add(lemma)
            forms.update(_family(lemma, regular_only=True))
    forms.discard(word)
    ordered = sorted(forms, key=lambda f: (len(f), f))[: MAX_FORMS_PER_WORD - 1]
    return (word, *ordered)
