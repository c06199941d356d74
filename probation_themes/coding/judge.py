"""Negation and stance applied to the codes that fired on one text (the rule engine's last step).

Kept apart from :mod:`probation_themes.coding.engine` so the matching itself stays
short to read. :func:`judge` re-evaluates a code's rules without the matches inside a
negation's scope (see :mod:`probation_themes.coding.negation`) and drops matches a
code's polarity says are countered; a code left with nothing is recorded as a miss
with the matches that did not count and why.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from probation_themes.coding.evidence import Match, _dedupe, _dedupe_pairs
from probation_themes.coding.negation import KINDS, QuoteContext

_BIT = {name: 1 << k for k, name in enumerate(KINDS)}
_NEGATING = _BIT["before"] | _BIT["after"]
_POSITIVE_WORD, _NEGATIVE_WORD = _BIT["positive"], _BIT["negative"]
_NONE = len(KINDS)  # an id that is no cue (never expected): its bit matches no kind

if TYPE_CHECKING:
    from probation_themes.coding.engine import Spans, _Engine


def judge(
    engine: _Engine, text: str, hits: Spans, cues: Spans, rx: Spans, fired: dict[int, list[Match]], miss: list,
    removed: Counter, negated_n: Counter, qi: int,
) -> dict[int, list[Match]]:
    """Apply negation and stance to the codes that fired on one text; returns the codes that still fire.

    ``hits`` are the codebook's terms found in the text, ``cues`` its negation
    cues and stance words (term ids from ``engine.n_terms`` on).

    ``miss`` gets ``(qi, code index, blocked matches)`` for each code set aside;
    ``removed`` counts them per ``(code index, "negation" | "stance")`` and
    ``negated_n`` the matches negation set aside per code index.
    """
    watched = [ci for ci in fired if ci in engine.watched]
    if not watched or not cues:
        return fired  # no cue and no stance word: nothing can change
    kinds = engine.cue_kinds
    present = 0  # one bit per kind of cue the quote holds
    for t in cues:
        present |= 1 << kinds.get(t, _NONE)
    # Only a negation cue can negate, and only a word leaning the other way can counter a
    # polar code: most quotes hold neither, and need no scopes worked out.
    again = [ci for ci in watched if ci in engine.negating] if present & _NEGATING else []
    polar = [
        (ci, sign) for ci, sign in engine.polar.items()
        if ci in fired and present & (_NEGATIVE_WORD if sign > 0 else _POSITIVE_WORD)
    ]
    if not again and not polar:
        return fired
    context = QuoteContext(text, cues.items(), engine.cues, kinds)
    # A code's evidence holds every span its rules fired on (each span of an `any`, `all`
    # or regex term, the spans of a `near` pair that are near), so when no span of it is
    # in a negation's scope, taking the negated matches out would give the same result.
    if again and context.has_negation and any(
        context.negated(m[2], m[3]) is not None for ci in again for m in fired[ci]
    ):
        scoped: dict[tuple[int, int], tuple[int, int]] = {}
        terms_used: set[int] = set()
        patterns_used: set[int] = set()
        for ci in again:
            terms_used |= engine.code_terms[ci]
            patterns_used |= engine.code_patterns[ci]

        def clean(spans_of: Spans) -> Spans:
            out: Spans = {}
            for t, spans in spans_of.items():
                kept = []
                for span in spans:
                    cue = context.negated(*span)
                    if cue is None:
                        kept.append(span)
                    else:
                        scoped[span] = cue
                if kept:
                    out[t] = kept
            return out

        clean_hits = clean({t: hits[t] for t in terms_used.intersection(hits)})
        clean_rx = clean({r: rx[r] for r in patterns_used.intersection(rx)}) if rx else {}
        if scoped:
            after = engine._fire(text, clean_hits, clean_rx, context.starts, suppress_from=hits, only=again)
            for ci in again:
                if ci in engine.exempt:
                    terms_ok, patterns_ok = engine.exempt[ci]
                    view = {t: hits[t] if t in terms_ok else v for t, v in clean_hits.items()}
                    view.update({t: hits[t] for t in terms_ok if t in hits})
                    view_rx = {r: rx[r] if r in patterns_ok else v for r, v in clean_rx.items()}
                    view_rx.update({r: rx[r] for r in patterns_ok if r in rx})
                    redo = engine._fire(text, view, view_rx, context.starts, suppress_from=hits, only=[ci])
                    evidence = redo.get(ci)
                else:
                    evidence = after.get(ci)
                still = set(evidence or ())
                lost = [m for m in fired[ci] if (m[2], m[3]) in scoped and m not in still]
                if lost:
                    negated_n[ci] += len(lost)
                if evidence:
                    fired[ci] = evidence
                else:
                    del fired[ci]
                    removed[(ci, "negation")] += 1
                    miss.append((qi, ci, tuple(
                        (m[0], m[1], m[2], m[3], "negated", (scoped[(m[2], m[3])],)) for m in _dedupe(lost)
                    )))
    for ci, sign in polar:
        evidence = fired.get(ci)
        if not evidence:
            continue
        kept, against = [], []
        for m in evidence:
            opposed = context.countered(m[2], m[3], sign)
            if opposed:
                against.append((m, opposed))
            else:
                kept.append(m)
        if not against:
            continue
        if kept:
            fired[ci] = kept
        else:
            del fired[ci]
            removed[(ci, "stance")] += 1
            miss.append((qi, ci, tuple(
                (m[0], m[1], m[2], m[3], "countered", tuple(opposed[:3])) for m, opposed in _dedupe_pairs(against)
            )))
    return fired
