"""The matching engine behind the rule coder: compiled rules, firing logic and worker processes.

:func:`_compile` numbers a codebook's terms and patterns, :class:`_Engine` finds
them in text and decides which codes fire (``any``, ``all``, ``near``, ``none``,
``regex``); :mod:`probation_themes.coding.workers` spreads that matching (and the
learned model's scoring) over worker processes started once per run.
:class:`probation_themes.coding.rules.RulesCoder` is the public face; nothing
here is meant to be used on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import regex

from probation_themes.codebook import Codebook
from probation_themes.codebook.schema import check_term_or_none
from probation_themes.coding.base import Row
from probation_themes.coding.cues import negation_cues, stance_words
from probation_themes.coding.evidence import (  # noqa: F401  (_independent_terms, _near: used by tests)
    Blocked,
    Match,
    _evidence_order,
    _independent_terms,
    _near,
    _near_keys,
    blocked_json,
)
from probation_themes.coding.judge import judge
from probation_themes.coding.negation import CueIds
from probation_themes.coding.terms import TermIndex
from probation_themes.coding.workers import _usable_cpus, gc_paused, in_workers  # noqa: F401  (re-exported)
from probation_themes.errors import CoderError
from probation_themes.models import rule_evidence_json

#: Longest time one regular expression may spend on one quote.
REGEX_SECONDS = 2.0

# A word for `near` distances: letters and digits, with inner apostrophes ("can't").
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

T = TypeVar("T")
S = TypeVar("S")
P = TypeVar("P")
R = TypeVar("R")

#: (quote index, code index, confidence, evidence) — one coding before it becomes a Coding.
Hit = tuple[int, int, float, tuple[Match, ...]]
#: {term or pattern id: [(start, end), …]} — where each term occurred in one text.
Spans = dict[int, list[tuple[int, int]]]
#: A matched batch: its hits, and per term and per pattern the number of texts it occurred in.
Scanned = tuple[list[Hit], Counter, Counter]
#: (quote index, code index, blocked matches) — a code whose rules matched but did not fire.
Miss = tuple[int, int, tuple[Blocked, ...]]
#: Everything one scan found: hits, term and pattern counts, misses, and per (code index,
#: "negation" | "stance") the codings removed and per code index the matches negation set aside.
FullScan = tuple[list[Hit], Counter, Counter, list[Miss], Counter, Counter]
#: A matched chunk as rows: the rows, the positions of the quotes coded, the term and pattern
#: counts, the blocked rows, the codings removed and the matches negated.
ScannedRows = tuple[list[Row], list[int], Counter, Counter, list[Row], Counter, Counter]


@dataclass(frozen=True)
class _CodeRules:
    code_id: str
    any: tuple[int, ...]
    all: tuple[int, ...]
    near: tuple[tuple[int, int, int], ...]
    none: tuple[int, ...]
    regex: tuple[int, ...]
    #: Matches inside a negation's scope do not count (the codebook's `negation`, default on).
    negation: bool = True
    #: Terms and patterns whose matches count even when negated (`rules.ignore_negation`).
    exempt_terms: frozenset[int] = frozenset()
    exempt_patterns: frozenset[int] = frozenset()
    #: +1 for `polarity: positive`, -1 for negative, 0 for none.
    polarity: int = 0


def _uses(
    codes: list[_CodeRules], pick: Callable[[_CodeRules], Iterable[int]]
) -> dict[int, tuple[int, ...]]:
    """Map each term (or pattern) id to the codes that use it in one kind of rule."""
    found: dict[int, set[int]] = {}
    for ci, code in enumerate(codes):
        for t in pick(code):
            found.setdefault(t, set()).add(ci)
    return {t: tuple(sorted(cs)) for t, cs in found.items()}


_POLARITY = {None: 0, "positive": 1, "negative": -1}


def _compile(
    codebook: Codebook,
) -> tuple[list[str], dict[str, tuple[str, str]], list[str], list[_CodeRules]]:
    """Number a codebook's distinct terms and patterns; express each code's rules by number.

    Returns:
        The terms, where each term first appears (code id and codebook
        location, for error messages), the patterns and the compiled codes.
    """
    terms: dict[str, int] = {}
    places: dict[str, tuple[str, str]] = {}
    patterns: dict[str, int] = {}
    compiled: list[_CodeRules] = []
    for ci, code in enumerate(codebook.codes):

        def number(term: str, where: str, _code: str = code.id, _ci: int = ci) -> int:
            places.setdefault(term, (_code, f"codes -> {_ci} -> rules -> {where}"))
            return terms.setdefault(term, len(terms))

        r = code.rules
        negation = getattr(code, "negation", True) is not False
        polarity = _POLARITY.get(getattr(code, "polarity", None), 0)
        if r is None:
            compiled.append(_CodeRules(code.id, (), (), (), (), (), negation, polarity=polarity))
            continue
        exempt = set(getattr(r, "ignore_negation", ()) or ())
        exempt |= {tidy for e in exempt if (tidy := check_term_or_none(e))}
        compiled.append(
            _CodeRules(
                code.id,
                any=tuple(number(t, f"any -> {j}") for j, t in enumerate(r.any)),
                all=tuple(number(t, f"all -> {j}") for j, t in enumerate(r.all)),
                near=tuple(
                    (number(a, f"near -> {j} -> 0"), number(b, f"near -> {j} -> 1"), n)
                    for j, (a, b, n) in enumerate(r.near)
                ),
                none=tuple(number(t, f"none -> {j}") for j, t in enumerate(r.none)),
                regex=tuple(patterns.setdefault(p, len(patterns)) for p in r.regex),
                negation=negation,
                exempt_terms=frozenset(terms[t] for t in exempt if t in terms),
                exempt_patterns=frozenset(patterns[p] for p in exempt if p in patterns),
                polarity=polarity,
            )
        )
    return list(terms), places, list(patterns), compiled


def cue_terms(codes: list[_CodeRules], negation: bool, first_id: int) -> tuple[list[str], CueIds]:
    """The negation cues and stance words a codebook needs, as extra terms numbered from ``first_id``.

    Only what some code uses is added: no cue when every code has negation off
    (or ``negation`` is False for the whole run), no stance word when no code
    has a polarity. Each kind gets its own ids even where words repeat.
    """
    extra: list[str] = []
    kinds: dict[str, frozenset[int]] = {}

    def add(kind: str, words: Iterable[str]) -> None:
        ids = []
        for word in words:
            ids.append(first_id + len(extra))
            extra.append(word)
        kinds[kind] = frozenset(ids)

    polar = any(c.polarity for c in codes)
    negating = negation and any(c.negation for c in codes)
    cues, stance = negation_cues(), stance_words()
    if negating or polar:  # stance words are not counted when negated, so polar codes need cues too
        add("before", cues.before)
        add("after", cues.after)
        add("pseudo", cues.pseudo)
        add("terminators", cues.terminators)
    if polar:
        add("contrast", stance.contrast)
        add("positive", stance.positive)
        add("negative", stance.negative)
    return extra, CueIds(**kinds, window=cues.window, stance_window=stance.window)


class _Engine:
    """The compiled rules: one term index, the regexes, and each code's triggers. Picklable.

    ``score`` gives a coding's confidence from its number of distinct terms; it
    is tabulated here, so the engine pickles without it. Term ids from
    ``n_terms`` on are negation cues and stance words (see :func:`cue_terms`).
    """

    def __init__(
        self,
        index: TermIndex,
        patterns: list[str],
        codes: list[_CodeRules],
        score: Callable[[int], float],
        cues: CueIds | None = None,
        n_terms: int | None = None,
        negation: bool = True,
    ) -> None:
        self.index = index
        self.patterns = patterns
        # The `regex` module (not `re`) because it can stop a match after a time limit: a
        # pattern that backtracks catastrophically on some quote stops the run with a clear
        # message instead of hanging it for hours. FULLCASE: "straße" matches "STRASSE".
        self.regexes = [regex.compile(p, regex.IGNORECASE | regex.FULLCASE | regex.VERSION0) for p in patterns]
        # A text must hold a word of every group of a gate; the group likeliest to fail (long
        # words, few of them) is tried first, so most texts are turned away after one look.
        self.gates = [
            None if g is None else tuple(sorted(g, key=lambda grp: (-min(len(w) for w, _ in grp), len(grp))))
            for g in map(required_literals, patterns)
        ]
        self.codes = codes
        self.n_terms = len(index.terms) if n_terms is None else n_terms
        self.cues = cues or CueIds()
        self.negation = negation
        # Evaluation starts from the terms found, so a quote costs in proportion
        # to its matches, not to the size of the codebook: each term id maps to
        # the codes using it as (any, all, near, none). A `near` pair is listed
        # under one of its terms only, the one in fewer of its code's pairs, so a
        # word shared by many pairs ("crc") does not make every pair be checked.
        uses = [
            _uses(codes, lambda c: c.any),
            _uses(codes, lambda c: c.all),
            _near_keys(codes),
            _uses(codes, lambda c: c.none),
        ]
        self.plan: dict[int, tuple[tuple, ...]] = {
            t: tuple(u.get(t, ()) for u in uses) for t in range(len(index.terms))
        }
        self.none_ids = frozenset(t for c in codes for t in c.none)
        self.regex_codes = _uses(codes, lambda c: c.regex)
        self.confidence = [score(n) for n in range(257)]
        self.code_ids = [code.code_id for code in codes]
        self.negating = frozenset(ci for ci, c in enumerate(codes) if c.negation and negation)
        self.polar = {ci: c.polarity for ci, c in enumerate(codes) if c.polarity}
        self.watched = self.negating | frozenset(self.polar)
        self.negation_ids = self.cues.negation_ids
        self.cue_kinds = self.cues.kinds()
        # The terms and patterns each code's triggers use (for negation, which only needs those).
        self.code_terms = [frozenset([*c.any, *c.all, *(t for a, b, _ in c.near for t in (a, b))]) for c in codes]
        self.code_patterns = [frozenset(c.regex) for c in codes]
        self.exempt = {
            ci: (c.exempt_terms, c.exempt_patterns)
            for ci, c in enumerate(codes) if ci in self.negating and (c.exempt_terms or c.exempt_patterns)
        }

    def _regex_hits(self, text: str) -> Spans:
        found: Spans = {}
        folded = text.casefold()
        for rid, rx in enumerate(self.regexes):
            gate = self.gates[rid]
            # A regex runs on every quote; skipping quotes that lack words every match
            # must contain keeps a codebook's regexes from dominating coding time.
            # (Plain loops: this runs for every regex on every quote; they beat one
            # automaton pass over the text, measured.)
            if gate is not None:
                passed = True
                for group in gate:
                    for word, exact in group:
                        if word in (text if exact else folded):
                            break
                    else:
                        passed = False
                        break
                if not passed:
                    continue
            try:
                spans = [m.span() for m in rx.finditer(text, timeout=REGEX_SECONDS) if m.end() > m.start()]
            except TimeoutError:
                raise CoderError(
                    f"The regular expression {self.patterns[rid]!r} took more than {REGEX_SECONDS:g} seconds on "
                    f"one quote ({text[:60]!r}…) and was stopped: it backtracks catastrophically (typically a "
                    "repeat inside a repeat, such as (a+)+, or overlapping alternatives such as (a|aa)+). "
                    "Rewrite it without nested repeats, or use the codebook's any/all/near terms instead."
                ) from None
            if spans:
                found[rid] = spans
        return found

    def _fire(
        self, text: str, hits: Spans, rx: Spans, starts: list[int] | None = None,
        suppress_from: Spans | None = None, only: Iterable[int] | None = None,
    ) -> dict[int, list[Match]]:
        """Evidence for each code that fires on one text, keyed by code index.

        ``suppress_from``: the hits whose ``none`` terms silence codes (default
        ``hits``); ``only``: evaluate these codes and no others.
        """
        terms, plan = self.index.terms, self.plan
        fired: dict[int, list[Match]] = {}
        maybe_all: set[int] = set()
        maybe_near: dict[int, list[int]] = {}
        suppressed: set[int] = set()
        if self.none_ids:
            for t in self.none_ids.intersection(suppress_from if suppress_from is not None else hits):
                suppressed.update(plan[t][3])
        if only is not None:
            keep = set(only)
            suppressed |= set(range(len(self.codes))) - keep
        for t, spans in hits.items():
            any_codes, all_codes, near_codes, _ = plan[t]
            if any_codes:
                term = terms[t]
                for ci in any_codes:
                    if ci not in suppressed:
                        matches = [("any", term, s, e) for s, e in spans]
                        if ci in fired:
                            fired[ci].extend(matches)
                        else:
                            fired[ci] = matches
            if all_codes:
                maybe_all.update(all_codes)
            if near_codes:
                for ci, j in near_codes:
                    if ci in maybe_near:
                        maybe_near[ci].append(j)
                    else:
                        maybe_near[ci] = [j]
        for ci in maybe_all - suppressed:
            code = self.codes[ci]
            if all(t in hits for t in code.all):
                fired.setdefault(ci, []).extend(
                    [("all", terms[t], s, e) for t in dict.fromkeys(code.all) for s, e in hits[t]]
                )
        for ci, pairs in maybe_near.items():
            if ci in suppressed:
                continue
            near: set[Match] = set()
            code_near = self.codes[ci].near
            for j in sorted(set(pairs)):
                a, b, limit = code_near[j]
                if a in hits and b in hits:
                    if starts is None:
                        starts = [m.start() for m in _WORD.finditer(text)]
                    near_a, near_b = _near(hits[a], hits[b], limit, starts)
                    # Report each span under the term(s) of the pair that it is.
                    if a == b:
                        near.update(("near", terms[a], *span) for span in near_a)
                        continue
                    in_a, in_b = set(hits[a]), set(hits[b])
                    for span in near_a:
                        near.add(("near", terms[a], *span))
                        if span in in_b:
                            near.add(("near", terms[b], *span))
                    for span in near_b:
                        near.add(("near", terms[b], *span))
                        if span in in_a:
                            near.add(("near", terms[a], *span))
            if near:
                fired.setdefault(ci, []).extend(near)
        for r, spans in rx.items():
            for ci in self.regex_codes[r]:
                if ci not in suppressed:
                    pattern = self.patterns[r]
                    fired.setdefault(ci, []).extend([("regex", pattern, s, e) for s, e in spans])
        return fired

    def scan_full(self, texts: Sequence[str], first: int = 0, evidence: bool = True) -> FullScan:
        """Match ``texts``, apply every code's rules, negation and stance; quote indexes start at ``first``.

        ``evidence=False``: which codes fire is all that is wanted (the learned
        coder's rule features); each hit then has confidence 0 and no evidence.
        """
        out: list[Hit] = []
        term_seen: Counter = Counter()
        regex_seen: Counter = Counter()
        misses: list[Miss] = []
        removed: Counter = Counter()
        negated_n: Counter = Counter()
        find = self.index.find_split
        conf = self.confidence
        use_regex = bool(self.regexes)
        watched = self.watched
        for i, text in enumerate(texts, first):
            hits, cues = find(text)
            rx = self._regex_hits(text) if use_regex else {}
            if not hits and not rx:
                continue
            term_seen.update(hits.keys())
            if rx:
                regex_seen.update(rx.keys())
            fired = self._fire(text, hits, rx)
            if cues and watched and fired:
                fired = judge(self, text, hits, cues, rx, fired, misses, removed, negated_n, i)
            if not evidence:
                out.extend([(i, ci, 0.0, ()) for ci in sorted(fired)])
                continue
            for ci in sorted(fired):
                evidence = fired[ci]
                if len(evidence) > 1:
                    evidence = sorted(set(evidence), key=_evidence_order)
                    n_terms = _independent_terms(evidence)
                else:
                    n_terms = 1
                out.append((i, ci, conf[min(n_terms, 256)], tuple(evidence)))
        return out, term_seen, regex_seen, misses, removed, negated_n

    def scan(self, texts: Sequence[str], first: int = 0, evidence: bool = True) -> Scanned:
        """Match ``texts`` and apply every code's rules; quote indexes start at ``first``."""
        return self.scan_full(texts, first, evidence)[:3]

    def scan_rows(self, quote_ids: Sequence[str], texts: Sequence[str]) -> ScannedRows:
        """Match ``texts`` and return the suggestions as store rows (see :data:`Row`)."""
        hits, term_seen, regex_seen, misses, removed, negated_n = self.scan_full(texts)
        ids = self.code_ids
        rows = [(quote_ids[qi], ids[ci], conf, rule_evidence_json(texts[qi], ev)) for qi, ci, conf, ev in hits]
        blocked = [(quote_ids[qi], ids[ci], None, blocked_json(ev)) for qi, ci, ev in misses]
        return rows, list(dict.fromkeys(h[0] for h in hits)), term_seen, regex_seen, blocked, removed, negated_n


def _scan(engine: _Engine, job: tuple[int, list[str]]) -> FullScan:
    return engine.scan_full(job[1], job[0])


def _scan_in_workers(engine: _Engine, texts: list[str], jobs: int, batch_size: int) -> Iterator[FullScan]:
    """Match ``texts`` in up to ``jobs`` worker processes, yielding chunks in text order."""
    # Several chunks per worker even out uneven comment lengths.
    size = max(1, min(batch_size, -(-len(texts) // (jobs * 4))))
    chunks = [(lo, texts[lo : lo + size]) for lo in range(0, len(texts), size)]
    workers = max(1, min(jobs, len(chunks)))
    for _, scanned in in_workers(_scan, engine, ((None, c) for c in chunks), workers, ahead=len(chunks)):
        yield scanned


#: A chunk of quotes handed to a worker: their ids and their texts.
Chunk = tuple[list[str], list[str]]


def _scan_rows(engine: _Engine, chunk: Chunk) -> ScannedRows:
    return engine.scan_rows(*chunk)


def _rows_in_workers(
    engine: _Engine, chunks: Iterable[tuple[T, Chunk]], jobs: int, ahead: int
) -> Iterator[tuple[T, ScannedRows]]:
    """Match tagged chunks into store rows in ``jobs`` worker processes (see :func:`in_workers`)."""
    return in_workers(_scan_rows, engine, chunks, jobs, ahead)


#: A gate: groups of (word, case_sensitive); a text can match only if every group has a word in it.
Gate = tuple[tuple[tuple[str, bool], ...], ...]


def required_literals(pattern: str) -> Gate | None:
    """Words a text must contain for ``pattern`` to match it: every group needs one of its words.

    Words are case-folded unless the pattern makes them case-sensitive (``(?-i:…)``).
    Returns None when nothing can be read off the pattern (then the regex runs on
    every text). Uses the standard library's regular-expression parser; if that
    ever fails, the answer is None, which is always safe.
    """
    try:
        from re import _constants as sre  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, re.IGNORECASE)
        groups = _required(list(parsed), sre, True)
    except Exception:
        return None
    return tuple(groups) or None


def _required(items: list, sre, fold: bool) -> list[tuple[tuple[str, bool], ...]]:
    """Groups of words required by a parsed sequence (each group: one word must occur)."""
    groups: list[tuple[tuple[str, bool], ...]] = []
    run: list[str] = []

    def flush() -> None:
        word = "".join(run)
        # One letter is in almost every text, so it gates nothing; one symbol such as % is rare.
        if len(word) >= 2 or (word and not word.isalnum() and not word.isspace()):
            groups.append(((word.casefold() if fold else word, not fold),))
        run.clear()

    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is sre.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            inner = (fold or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            groups.extend(_required(list(sub), sre, inner))
        elif op is sre.BRANCH:
            alternatives = [_required(list(branch), sre, fold) for branch in av[1]]
            if all(alternatives):
                # Each alternative needs its own words; keep the most selective group of each.
                best = [max(alt, key=lambda g: min(len(w) for w, _ in g)) for alt in alternatives]
                groups.append(tuple(word for group in best for word in group))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            groups.extend(_required(list(av[2]), sre, fold))
    flush()
    return groups
