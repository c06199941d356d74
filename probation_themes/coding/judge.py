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
from probation_themes.coding.negation import QuoteContext

if TYPE_CHECKING:
    from probation_themes.coding.engine import Spans, _Engine


def judge(
    engine: _Engine, text: str, hits: Spans, rx: Spans, fired: dict[int, list[Match]], miss: list, removed: Counter,
    negated_n: Counter, qi: int,
) -> dict[int, list[Match]]:
    """Apply negation and stance to the codes that fired on one text; returns the codes that still fire.

    ``miss`` gets ``(qi, code index, blocked matches)`` for each code set aside;
    ``removed`` counts them per ``(code index, "negation" | "stance")`` and
    ``negated_n`` the matches negation set aside per code index.
    """
    watched = [ci for ci in fired if ci in engine.watched]
    if not watched:
        return fired
    n_terms = engine.n_terms
    special = [(t, spans) for t, spans in hits.items() if t >= n_terms]
    if not special:
        return fired  # no cue and no stance word: nothing can change
    context = QuoteContext(text, special, engine.cues, engine.cue_kinds)
    again = [ci for ci in watched if ci in engine.negating]
    if again and context.has_negation:
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
    for ci, sign in engine.polar.items():
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
