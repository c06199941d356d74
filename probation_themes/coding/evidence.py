"""Evidence helpers of the rule engine: `near` pairs, independent terms, blocked matches.

Each works in time proportional to the number of matches (after a sort), so one
answer of millions of words with hundreds of thousands of matches is coded in
seconds: for a `near` pair only the nearest occurrence of the other term on each
side of an occurrence can be near it, and containment between terms is found in
one sweep.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

#: (rule, term as written, start, end) — one piece of evidence, cheap to send between processes.
Match = tuple[str, str, int, int]
#: (rule, term, start, end, why, [(cue start, cue end), …]) — a match that did not count, and why:
#: ``negated`` (the cue whose scope holds it) or ``countered`` (the stance words against it).
Blocked = tuple[str, str, int, int, str, tuple[tuple[int, int], ...]]


class _HasNear(Protocol):
    near: tuple[tuple[int, int, int], ...]


def _word_index(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset) - 1


def _near(
    a_spans: list[tuple[int, int]], b_spans: list[tuple[int, int]], limit: int, starts: list[int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of a, and spans of b, that lie within ``limit`` words of a span of the other.

    Either order counts; overlapping occurrences are one passage, not two terms
    near each other. Linear in the number of spans (after sorting): for each span
    only the nearest span of the other term on each side can be near it.
    """
    return _near_side(a_spans, b_spans, limit, starts), _near_side(b_spans, a_spans, limit, starts)


def _near_side(
    mine: list[tuple[int, int]], other: list[tuple[int, int]], limit: int, starts: list[int]
) -> list[tuple[int, int]]:
    other_starts = sorted(s for s, _ in other)
    other_ends = sorted(e for _, e in other)
    found = []
    for s, e in mine:
        # The other term's first occurrence starting after this one ends ...
        i = bisect_left(other_starts, e)
        if i < len(other_starts) and _word_index(starts, other_starts[i]) - _word_index(starts, e - 1) <= limit:
            found.append((s, e))
            continue
        # ... or its last occurrence ending before this one starts.
        j = bisect_right(other_ends, s) - 1
        if j >= 0 and _word_index(starts, s) - _word_index(starts, other_ends[j] - 1) <= limit:
            found.append((s, e))
    return found


def _near_keys(codes: Sequence[_HasNear]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Map term ids to the ``(code index, pair index)`` of the `near` pairs they key.

    Each pair is keyed by whichever of its two terms is in fewer of its code's
    pairs; a pair can only fire when that term occurs, so only its pairs are checked.
    """
    found: dict[int, list[tuple[int, int]]] = {}
    for ci, code in enumerate(codes):
        counts = Counter(t for a, b, _ in code.near for t in {a, b})
        for j, (a, b, _) in enumerate(code.near):
            key = a if (counts[a], a) <= (counts[b], b) else b
            found.setdefault(key, []).append((ci, j))
    return {t: tuple(v) for t, v in found.items()}


def _dedupe(matches: list[Match]) -> list[Match]:
    """One entry per matched span (a span found by `any` and `near` is shown once), in position order."""
    seen: dict[tuple[int, int, str], Match] = {}
    for m in sorted(matches, key=_evidence_order):
        seen.setdefault((m[2], m[3], m[1]), m)
    return list(seen.values())


def _dedupe_pairs(pairs: list[tuple[Match, list[tuple[int, int]]]]) -> list[tuple[Match, list[tuple[int, int]]]]:
    seen: dict[tuple[int, int, str], tuple[Match, list[tuple[int, int]]]] = {}
    for m, opposed in sorted(pairs, key=lambda p: _evidence_order(p[0])):
        seen.setdefault((m[2], m[3], m[1]), (m, opposed))
    return list(seen.values())


def blocked_json(blocked: Sequence[Blocked]) -> str:
    """The stored form of a code's blocked matches: offsets only, never the quote's words.

    Each item is ``{"rule", "term", "start", "end", "negated": [cue start, cue end]}``
    or ``{…, "countered": [[start, end], …]}``; the words are read from the quote
    when shown (so redaction never has to find them here).
    """
    items = []
    for rule, term, s, e, why, cues in blocked:
        item: dict[str, object] = {"rule": rule, "term": term, "start": s, "end": e}
        item[why] = list(cues[0]) if why == "negated" else [list(c) for c in cues]
        items.append(item)
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _evidence_order(m: Match) -> tuple[int, int, str, str]:
    return (m[2], m[3], m[0], m[1])


def _independent_terms(evidence: list[Match]) -> int:
    """How many different terms matched, not counting a term found only inside another's match.

    "high caseloads" matched by both `high caseload` and `caseload` is one piece of
    evidence, not two, so it does not raise the confidence. ``evidence`` is in
    position order.
    """
    # Fast paths (most codings): one term, or spans in position order that never overlap.
    terms = {m[1] for m in evidence}
    if len(terms) == 1:
        return 1
    reach = -1
    for _rule, _term, start, end in evidence:
        if start < reach:
            break
        reach = end
    else:
        return len(terms)
    # A term is dependent when each of its spans sits inside another term's span (for
    # identical spans, the alphabetically first term is kept). One sweep in order of
    # start (longest first, then term): a span is inside another term's span when one
    # seen before it reaches as far. The two furthest reaches of different terms are
    # enough to know, so this is linear after the sort, however many spans there are.
    spans = sorted({(start, -end, term) for _rule, term, start, end in evidence})
    best_end, best_term = -1, None
    second_end = -1
    free: set[str] = set()
    for start, neg_end, term in spans:
        end = -neg_end
        inside = (best_term != term and best_end >= end) or second_end >= end
        if not inside:
            free.add(term)
        if term == best_term:
            best_end = max(best_end, end)
        elif end > best_end:
            second_end, best_end, best_term = best_end, end, term
        elif end > second_end:
            second_end = end
    return max(len(free), 1)
