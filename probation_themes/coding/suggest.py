"""Vocabulary a code's rules miss: words and phrases strongly tied to the quotes the code has.

A researcher who writes rules from a code's definition (the honest way) does not
know every word their respondents use for it. :func:`suggest_terms` compares the
quotes a code already has (its rule hits, accepted decisions and imported
codings) with the other quotes of the project, word by word and two-word phrase
by phrase, and ranks what is over-represented among the code's quotes by the
weighted log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi
and Quinn (2008, "Fightin' Words", *Political Analysis* 16(4)):

    δ_w = log((y_w + α_w) / (n + α₀ − y_w − α_w)) − log((y'_w + α_w) / (n' + α₀ − y'_w − α_w))
    z_w = δ_w / √(1 / (y_w + α_w) + 1 / (y'_w + α_w))

where ``y_w`` and ``y'_w`` count the quotes of the code and the other quotes that
contain w (a quote counts once however often it repeats a word), ``n`` and ``n'``
are those counts summed over every word, and the prior ``α_w = α₀ · (y_w + y'_w) / (n + n')``
shrinks words seen in few quotes towards the corpus as a whole (``α₀`` is
:data:`PRIOR_STRENGTH`). Candidates whose ``z`` exceeds 1.96 (over-represented beyond
chance at the 5% level) are kept and ranked by ``δ``: how much more the code's quotes
use the word, shrunk by the prior. Ranking by ``z`` instead favours frequent words that
are only mildly over-represented (in a large project "way" or "thing" beat "agency" or
"docking station"); ranking by ``δ`` alone would favour words seen a handful of times,
which the prior and ``min_quotes`` hold back.

Words are case-folded and reduced to their regular lemma (the rule coder matches
inflections, so "caseloads" is suggested as ``caseload``); stop words stand alone
as no suggestion, and a phrase may not start or end with one. A candidate that
the code's own rules already match is left out: the point is what they miss.
Each suggestion is then counted exactly over every quote, as a rule term would
match it, with how many of those quotes the code does not have yet and two of them
as examples. The same project and codebook always give the same suggestions.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from probation_themes.coding.lemmas import function_words, is_regular, lemma_table
from probation_themes.coding.terms import TermIndex, fold
from probation_themes.errors import CoderError

#: α₀ of the informative Dirichlet prior: how many pseudo-quotes' worth of the whole corpus
#: each group starts from. Larger values shrink rare words more.
PRIOR_STRENGTH = 500.0

#: Most quotes of each group (the code's, the others) read to rank candidates; beyond this a
#: fixed pseudo-random sample (by quote id) is read, so a million-quote project stays fast.
#: Counts shown for each suggestion are always over every quote.
SAMPLE = 200_000

#: Words that may start a two-word phrase although they are stop words ("no time", "too many").
LEADS = frozenset({"no", "not", "too", "more", "less", "over", "under", "lack", "never", "without", "so"})

# A word as suggestions see it: starts with a letter, may hold digits and inner apostrophes.
_TOKEN = re.compile(r"[^\W\d_][^\W_]*(?:'[^\W_]+)*")


@dataclass(frozen=True)
class Example:
    """A quote that contains a suggested term."""

    quote_id: str
    text: str
    coded: bool  # whether the code already has this quote
    start: int = 0  # where the term first matches in the text
    end: int = 0


@dataclass
class Suggestion:
    """A term the code's rules miss, and the evidence for it.

    Attributes:
        term: the word or two-word phrase, as a rule term (lemma form).
        z: the z-score of the log-odds (above 1.96: over-represented beyond chance).
        log_odds: δ, the log-odds ratio with the prior (the ranking: larger first).
        in_code_sample: the code's quotes (read for ranking) that contain it.
        quotes: every quote of the project the term matches as a rule term would.
        not_coded: of those, the quotes the code does not have yet.
        examples: up to two quotes with the term, ones the code lacks first.
        other_codes: other codes whose rules already match the term.
    """

    term: str
    z: float
    log_odds: float
    in_code_sample: int
    quotes: int = 0
    not_coded: int = 0
    examples: list[Example] = field(default_factory=list)
    #: other codes whose rules already match the term (adding it here makes the two overlap)
    other_codes: list[str] = field(default_factory=list)


class Vocabulary:
    """Turns text into the words and two-word phrases suggestions are made of (lemmas, folded)."""

    def __init__(self) -> None:
        self._stop = function_words()
        self._lemma = lemma_table()
        self._cache: dict[str, str] = {}

    def _base(self, word: str) -> str:
        base = self._cache.get(word)
        if base is None:
            lemma = self._lemma.get(word, word)
            base = lemma if lemma != word and len(word) > 3 and is_regular(word, lemma) else word
            self._cache[word] = base
        return base

    def words(self, text: str) -> list[str]:
        """The words of ``text``, case-folded, each as its regular lemma."""
        base = self._base
        return [base(w) for w in _TOKEN.findall(fold(text)[0])]

    def surface(self, text: str) -> set[str]:
        """Every word and pair of neighbouring words of ``text`` as written (case-folded).

        The fast first step of counting: filtering and lemmas are applied once per
        distinct key afterwards (see :meth:`merge`), not once per word of every quote.
        """
        words = _TOKEN.findall(text.lower() if text.isascii() else fold(text)[0])
        found = set(words)
        found.update(map(" ".join, zip(words, words[1:])))
        return found

    def key(self, surface: str) -> str | None:
        """The candidate a surface word or pair stands for (its lemma form), or None if it is none."""
        stop = self._stop
        parts = surface.split(" ")
        if len(parts) == 1:
            w = self._base(parts[0])
            return w if len(w) > 2 and w not in stop else None
        a, b = (self._base(p) for p in parts)
        if b in stop or len(b) < 3 or (a in stop and a not in LEADS) or len(a) < 2:
            return None
        return f"{a} {b}"

    def merge(self, counts: Counter) -> Counter:
        """Surface counts (from :meth:`surface`) summed into candidate counts by lemma form.

        A quote holding two forms of one word ("caseload", "caseloads") counts for it
        twice here; the counts shown for a suggestion are exact (see :func:`count_suggestions`).
        """
        merged: Counter = Counter()
        key = self.key
        for surface, n in counts.items():
            k = key(surface)
            if k is not None:
                merged[k] += n
        return merged

    def candidates(self, text: str) -> set[str]:
        """Every word (not a stop word, 3 letters or more) and two-word phrase in ``text``.

        A phrase may start with a stop word from :data:`LEADS` ("no time") but not
        end with one.
        """
        stop = self._stop
        words = self.words(text)
        found = {w for w in words if len(w) > 2 and w not in stop}
        for a, b in zip(words, words[1:]):
            if b in stop or len(b) < 3 or (a in stop and a not in LEADS) or len(a) < 2:
                continue
            found.add(f"{a} {b}")
        return found


def _sampled(quote_id: str, keep: float) -> bool:
    """A fixed pseudo-random choice by quote id, so the same quotes are read every time."""
    return keep >= 1.0 or (zlib.crc32(quote_id.encode("utf-8")) / 0xFFFFFFFF) < keep


def log_odds(
    code_counts: Counter, n_code: int, other_counts: Counter, n_other: int, prior: float = PRIOR_STRENGTH,
    words: Iterable[str] | None = None,
) -> dict[str, tuple[float, float]]:
    """Weighted log-odds with an informative Dirichlet prior, per word: ``{word: (δ, z)}``.

    ``code_counts`` and ``other_counts`` count, per word, the quotes of each group
    that contain it; ``n_code`` and ``n_other`` are those counts summed over all
    words (``n`` and ``n'`` above). The prior is the two groups pooled.
    ``words``: score only these (default: every word of either group).
    """
    total = n_code + n_other
    if total <= 0:
        return {}
    out: dict[str, tuple[float, float]] = {}
    for word in (code_counts.keys() | other_counts.keys()) if words is None else words:
        y, y2 = code_counts.get(word, 0), other_counts.get(word, 0)
        a = prior * (y + y2) / total
        if a <= 0:
            continue
        first = math.log((y + a) / (n_code + prior - y - a))
        second = math.log((y2 + a) / (n_other + prior - y2 - a))
        delta = first - second
        out[word] = (delta, delta / math.sqrt(1.0 / (y + a) + 1.0 / (y2 + a)))
    return out


@dataclass
class Ranking:
    """What ranking read: the candidates in order, and the size of each group."""

    suggestions: list[Suggestion]
    code_quotes_read: int
    other_quotes_read: int
    code_quotes: int
    other_quotes: int


def rank_candidates(
    quotes: Iterable[Sequence[tuple[str, str]]],
    coded: set[str],
    *,
    covered: TermIndex | None = None,
    min_quotes: int = 3,
    top: int = 20,
    n_quotes: int | None = None,
    sample: int = SAMPLE,
    vocabulary: Vocabulary | None = None,
) -> Ranking:
    """Rank words and phrases by how strongly they mark the quotes in ``coded``.

    Args:
        quotes: batches of ``(quote id, text)``.
        coded: the ids of the code's quotes.
        covered: the code's own rules as a term index; candidates it matches are left out.
        min_quotes: least number of the code's quotes a candidate must occur in.
        top: most suggestions to return (ones with z above 1.96, i.e.
            over-represented beyond chance at the 5% level, largest log-odds first).
        n_quotes: how many quotes ``quotes`` holds, if known (for sampling).
        sample: most quotes of each group to read (a fixed sample beyond it).

    Returns:
        A :class:`Ranking`; its suggestions are not yet counted over every quote
        (see :func:`count_suggestions`).
    """
    vocab = vocabulary or Vocabulary()
    n_coded = len(coded)
    n_other = max((n_quotes or 0) - n_coded, 0)
    keep_code = sample / n_coded if n_coded > sample else 1.0
    keep_other = sample / n_other if n_other > sample else 1.0
    code_counts: Counter = Counter()
    other_counts: Counter = Counter()
    read_code = read_other = seen_code = seen_other = 0
    for batch in quotes:
        for quote_id, text in batch:
            if quote_id in coded:
                seen_code += 1
                if _sampled(quote_id, keep_code):
                    code_counts.update(vocab.surface(text))
                    read_code += 1
            else:
                seen_other += 1
                if _sampled(quote_id, keep_other):
                    other_counts.update(vocab.surface(text))
                    read_other += 1
    code_counts, other_counts = vocab.merge(code_counts), vocab.merge(other_counts)
    frequent = [w for w, n in code_counts.items() if n >= min_quotes]
    scores = log_odds(code_counts, sum(code_counts.values()), other_counts, sum(other_counts.values()),
                      words=frequent)
    ranked = sorted((w for w in frequent if scores.get(w, (0.0, 0.0))[1] > 1.96), key=lambda w: (-scores[w][0], w))
    suggestions: list[Suggestion] = []
    taken: list[str] = []
    for word in ranked:
        if covered is not None and covered.find(word):
            continue  # the code's rules already match it (or a word of it)
        if any(_overlaps(word, t) for t in taken):
            continue  # "team meeting" next to "team": keep the stronger one only
        delta, z = scores[word]
        suggestions.append(Suggestion(word, round(z, 3), round(delta, 4), code_counts[word]))
        taken.append(word)
        if len(suggestions) >= top:
            break
    return Ranking(suggestions, read_code, read_other, seen_code, seen_other)


def _overlaps(a: str, b: str) -> bool:
    """Whether one candidate is a word of the other ("caseload" in "caseload relief")."""
    wa, wb = a.split(), b.split()
    return (len(wa) == 1 and wa[0] in wb) or (len(wb) == 1 and wb[0] in wa)


def count_suggestions(
    suggestions: list[Suggestion], quotes: Iterable[Sequence[tuple[str, str]]], coded: set[str], *, examples: int = 2
) -> None:
    """Count, over every quote, the quotes each suggestion matches as a rule term, and pick examples.

    Fills in ``quotes``, ``not_coded`` and ``examples`` of each suggestion; examples
    are the first quotes (in project order) the code does not have yet, then the
    first it has.

    Raises:
        CoderError: a suggested term cannot be matched (has no letters).
    """
    if not suggestions:
        return
    index = TermIndex([s.term for s in suggestions])
    if any(not forms for forms in index.forms):
        raise CoderError("A suggested term has no letters to match; this is a bug, please report it.")
    fallback: list[list[Example]] = [[] for _ in suggestions]
    for batch in quotes:
        for quote_id, text in batch:
            found = index.find(text)
            if not found:
                continue
            inside = quote_id in coded
            for t, spans in found.items():
                s = suggestions[t]
                s.quotes += 1
                if not inside:
                    s.not_coded += 1
                    if len(s.examples) < examples:
                        s.examples.append(Example(quote_id, text, False, *spans[0]))
                elif len(fallback[t]) < examples:
                    fallback[t].append(Example(quote_id, text, True, *spans[0]))
    for s, extra in zip(suggestions, fallback):
        s.examples.extend(extra[: examples - len(s.examples)])


def pairs(batches: Iterable[Sequence[object]]) -> Iterator[list[tuple[str, str]]]:
    """``(quote id, text)`` batches from batches of quote records (anything with ``quote_id`` and ``text``)."""
    for batch in batches:
        yield [(q.quote_id, q.text) for q in batch]  # type: ignore[attr-defined]
