"""Negation scopes and stance around rule matches in one quote (NegEx-style, explainable).

The rule coder finds negation cues, pseudo-cues, scope terminators and stance
words with the same automaton as the codebook's terms (see
:mod:`probation_themes.coding.cues` for the lists). :class:`QuoteContext` turns
those hits into scopes for one quote and answers two questions about a matched
span: is it inside a negation's scope, and is it *countered* (its clause leans
strongly the other way)? Every answer is a pair of offsets the evidence can
show, so a researcher sees the words that made the decision.

Each question costs a binary search, so a quote with a hundred thousand matches
is handled in time proportional to its length (times a logarithm), never its square.

How a scope is drawn (the limits are documented in docs/methods.md):

- a ``before`` cue ("no", "not", "never", "n't" …) negates the words after it, up
  to the end of its clause (clause punctuation or a terminator such as "but")
  and at most ``window`` words;
- an ``after`` cue ("… has not materialised") negates the words before it, back
  to the start of its clause and at most ``window`` words;
- a cue inside a pseudo-cue ("not only", "no problems") is no cue;
- a cue inside the matched term ("not manageable") does not negate that term.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Clause punctuation: ends a negation's scope. A spaced dash ("not smooth – welcoming") too.
_CLAUSE = re.compile(r"[.,;:!?()\[\]\n\u2026]|\s[-\u2013\u2014]\s")
# Sentence punctuation: ends the context a stance word is looked for in (commas do not).
_SENTENCE = re.compile(r"[.;!?\n\u2026]")
# A word for counting a window: letters and digits, with inner apostrophes ("can't").
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
# How far back an `after` cue's scope is looked for (its window of words is almost always shorter).
_LOOK_BACK = 400

Span = tuple[int, int]


@dataclass(frozen=True)
class CueIds:
    """Which term ids of the automaton are cues of each kind (empty when the kind is off)."""

    before: frozenset[int] = frozenset()
    after: frozenset[int] = frozenset()
    pseudo: frozenset[int] = frozenset()
    terminators: frozenset[int] = frozenset()
    contrast: frozenset[int] = frozenset()
    positive: frozenset[int] = frozenset()
    negative: frozenset[int] = frozenset()
    window: int = 6
    stance_window: int = 8

    @property
    def negation_ids(self) -> frozenset[int]:
        """Ids whose presence can make a negation scope."""
        return self.before | self.after

    @property
    def stance_ids(self) -> frozenset[int]:
        """Ids of the stance words of either direction."""
        return self.positive | self.negative

    def kinds(self) -> dict[int, int]:
        """Each cue id's kind, as an index into :data:`KINDS`."""
        out: dict[int, int] = {}
        for k, name in enumerate(KINDS):
            for t in getattr(self, name):
                out[t] = k
        return out


#: The kinds of cue, in the order :meth:`CueIds.kinds` numbers them.
KINDS = ("before", "after", "pseudo", "terminators", "contrast", "positive", "negative")
_BEFORE, _AFTER, _PSEUDO, _STOPS, _CONTRAST, _POSITIVE, _NEGATIVE = range(len(KINDS))


class QuoteContext:
    """The negation scopes and stance words of one quote, built from its automaton hits.

    Args:
        text: the quote as stored (offsets are into it).
        hits: ``(term id, [(start, end), …])`` of the cue ids found in it.
        cues: which ids are cues of which kind.
        kinds: ``cues.kinds()``, computed once per engine.
    """

    def __init__(
        self, text: str, hits: Iterable[tuple[int, Sequence[Span]]], cues: CueIds, kinds: Mapping[int, int]
    ) -> None:
        self.text = text
        self.cues = cues
        spans: list[list[Span]] = [[] for _ in KINDS]
        for t, found in hits:
            k = kinds.get(t)
            if k is not None:
                spans[k].extend(found)
        for group in spans:
            if len(group) > 1:
                group.sort()
        self._spans = spans
        self._starts: list[int] | None = None
        self._negation_ready = False
        self._stance_ready = False

    @property
    def starts(self) -> list[int]:
        """The start offset of every word of the text (computed when first needed)."""
        if self._starts is None:
            self._starts = [m.start() for m in _WORD.finditer(self.text)]
        return self._starts

    # -- negation ----------------------------------------------------------------

    def _build_negation(self) -> None:
        self._negation_ready = True
        spans = self._spans
        before, after = spans[_BEFORE], spans[_AFTER]
        if not before and not after:
            self._pre_ends: list[int] = []
            self._post_starts: list[int] = []
            return
        pseudo = spans[_PSEUDO]
        pseudo_starts = [s for s, _ in pseudo]
        reach: list[int] = []  # furthest end among the pseudo-cues starting at or before each
        for _, e in pseudo:
            reach.append(max(e, reach[-1]) if reach else e)

        def real(span: Span) -> bool:
            i = bisect_right(pseudo_starts, span[0]) - 1
            return i < 0 or reach[i] < span[1]

        if pseudo:
            before = [c for c in before if real(c)]
            after = [c for c in after if real(c)]
        if not before and not after:
            self._pre_ends = []
            self._post_starts = []
            return
        stops = spans[_STOPS]
        self._stop_starts = [s for s, _ in stops]
        self._stop_ends = sorted(e for _, e in stops)
        # Scope ends rise with the cue's position (each limit does), so the latest cue
        # before a span is the only one that can reach it: one binary search per span, and
        # each cue's reach is worked out from the few words after it, when first asked for.
        before.sort(key=lambda c: (c[1], c[0]))
        self._pre = before
        self._pre_ends = [e for _, e in before]
        self._pre_reach: dict[int, int] = {}
        self._post = after
        self._post_starts = [s for s, _ in after]
        self._post_reach: dict[int, int] = {}

    def _reach_after(self, i: int) -> int:
        """Where the scope of the i-th `before` cue ends: ``window`` words on, or the clause's end."""
        reach = self._pre_reach.get(i)
        if reach is not None:
            return reach
        text, window = self.text, self.cues.window
        cue_end = self._pre[i][1]
        limit = len(text)
        for k, m in enumerate(_WORD.finditer(text, cue_end)):
            if k == window:
                limit = m.start()
                break
        bound = _CLAUSE.search(text, cue_end, limit)
        if bound is not None:
            limit = bound.start()
        k = bisect_left(self._stop_starts, cue_end)
        if k < len(self._stop_starts):
            limit = min(limit, self._stop_starts[k])
        self._pre_reach[i] = limit
        return limit

    def _reach_before(self, j: int) -> int:
        """Where the scope of the j-th `after` cue starts: ``window`` words back, or the clause's start."""
        reach = self._post_reach.get(j)
        if reach is not None:
            return reach
        text, window = self.text, self.cues.window
        cue_start = self._post[j][0]
        lo = max(0, cue_start - _LOOK_BACK)
        words = [m.start() for m in _WORD.finditer(text, lo, cue_start)]
        limit = words[-window] if len(words) >= window else lo
        for bound in _CLAUSE.finditer(text, limit, cue_start):
            limit = bound.start() + 1
        k = bisect_right(self._stop_ends, cue_start) - 1
        if k >= 0:
            limit = max(limit, self._stop_ends[k])
        self._post_reach[j] = limit
        return limit

    @property
    def has_negation(self) -> bool:
        """Whether the quote holds any negation cue that is not a pseudo-cue."""
        if not (self._spans[_BEFORE] or self._spans[_AFTER]):
            return False
        if not self._negation_ready:
            self._build_negation()
        return bool(self._pre_ends or self._post_starts)

    def negated(self, start: int, end: int) -> Span | None:
        """The negation cue whose scope holds the span ``[start, end)``, or None.

        A cue that overlaps the span (the "not" of a matched "not manageable") is
        part of the term and does not negate it.
        """
        if not self._negation_ready:
            if not (self._spans[_BEFORE] or self._spans[_AFTER]):
                return None
            self._build_negation()
        if self._pre_ends:
            i = bisect_right(self._pre_ends, start) - 1
            if i >= 0 and start < self._reach_after(i):
                return self._pre[i]
        if self._post_starts:
            j = bisect_left(self._post_starts, end)
            if j < len(self._post_starts) and self._reach_before(j) <= start:
                return self._post[j]
        return None

    # -- stance ------------------------------------------------------------------

    def _build_stance(self) -> None:
        spans = self._spans
        self._sentence = [m.start() for m in _SENTENCE.finditer(self.text)]
        contrast = spans[_CONTRAST]
        self._contrast_starts = [s for s, _ in contrast]
        self._contrast_ends = sorted(e for _, e in contrast)
        words: list[tuple[int, int, int]] = []  # (start, end, +1 positive | -1 negative)
        for sign, found in ((1, spans[_POSITIVE]), (-1, spans[_NEGATIVE])):
            for s, e in found:
                if self.negated(s, e) is None:  # "not awful" does not lean negative
                    words.append((s, e, sign))
        words.sort()
        self._stance = words
        self._stance_starts = [w[0] for w in words]
        self._stance_ready = True

    def countered(self, start: int, end: int, polarity: int) -> list[Span]:
        """The stance words that counter a match leaning ``polarity`` (+1 or -1); [] if none do.

        The match's context is its clause (sentence punctuation and contrast words
        such as "but" or "despite" start a new one; commas do not), at most
        ``stance_window`` words either side. The match is countered when its
        context holds at least one word leaning the other way and more of them
        than words leaning its own way (the match itself not counted).
        """
        if not self._spans[_NEGATIVE if polarity > 0 else _POSITIVE]:
            return []  # no word leaning the other way in the whole quote
        if not self._stance_ready:
            self._build_stance()
        if not self._stance:
            return []
        starts, window, text = self.starts, self.cues.stance_window, self.text
        first = bisect_right(starts, start) - 1
        last = bisect_right(starts, max(start, end - 1)) - 1
        lo = starts[first - window] if first - window >= 0 else 0
        hi = starts[last + window + 1] if last + window + 1 < len(starts) else len(text)
        b = bisect_left(self._sentence, start) - 1
        if b >= 0:
            lo = max(lo, self._sentence[b] + 1)
        b = bisect_left(self._sentence, end)
        if b < len(self._sentence):
            hi = min(hi, self._sentence[b])
        k = bisect_right(self._contrast_ends, start) - 1
        if k >= 0:
            lo = max(lo, self._contrast_ends[k])
        k = bisect_left(self._contrast_starts, end)
        if k < len(self._contrast_starts):
            hi = min(hi, self._contrast_starts[k])
        against: list[Span] = []
        same = 0
        i = bisect_left(self._stance_starts, lo)
        stance = self._stance
        while i < len(stance) and stance[i][0] < hi:
            s, e, sign = stance[i]
            i += 1
            if e > hi or (s < end and start < e):
                continue  # runs past the context, or is (part of) the match itself
            if sign == polarity:
                same += 1
            else:
                against.append((s, e))
        return against if against and len(against) > same else []
