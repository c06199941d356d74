"""The matching engine behind the rule coder: compiled rules, firing logic and worker processes.

:func:`_compile` numbers a codebook's terms and patterns, :class:`_Engine` finds
them in text and decides which codes fire (``any``, ``all``, ``near``, ``none``,
``regex``), and :func:`in_workers` spreads that matching (and the learned
model's scoring) over worker processes started once per run.
:class:`probation_themes.coding.rules.RulesCoder` is the public face; nothing
here is meant to be used on its own.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sys
import threading
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import regex

from probation_themes.codebook import Codebook
from probation_themes.coding.base import Row
from probation_themes.coding.terms import TermIndex
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

#: (rule, term as written, start, end) — one piece of evidence, cheap to send between processes.
Match = tuple[str, str, int, int]
#: (quote index, code index, confidence, evidence) — one coding before it becomes a Coding.
Hit = tuple[int, int, float, tuple[Match, ...]]
#: {term or pattern id: [(start, end), …]} — where each term occurred in one text.
Spans = dict[int, list[tuple[int, int]]]
#: A matched batch: its hits, and per term and per pattern the number of texts it occurred in.
Scanned = tuple[list[Hit], Counter, Counter]
#: A matched chunk as rows: the rows, the positions of the quotes coded, and the term and pattern counts.
ScannedRows = tuple[list[Row], list[int], Counter, Counter]


@dataclass(frozen=True)
class _CodeRules:
    code_id: str
    any: tuple[int, ...]
    all: tuple[int, ...]
    near: tuple[tuple[int, int, int], ...]
    none: tuple[int, ...]
    regex: tuple[int, ...]


def _word_index(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset) - 1


def _near(
    a_spans: list[tuple[int, int]], b_spans: list[tuple[int, int]], limit: int, starts: list[int]
) -> set[tuple[int, int]]:
    """Spans of a and b that lie within ``limit`` words of each other, in either order."""
    found: set[tuple[int, int]] = set()
    for a in a_spans:
        for b in b_spans:
            first, second = (a, b) if a[1] <= b[0] else (b, a)
            if first[1] > second[0]:
                continue  # overlapping occurrences are one passage, not two terms near each other
            gap = _word_index(starts, second[0]) - _word_index(starts, first[1] - 1)
            if gap <= limit:
                found.update((a, b))
    return found


def _uses(
    codes: list[_CodeRules], pick: Callable[[_CodeRules], Iterable[int]]
) -> dict[int, tuple[int, ...]]:
    """Map each term (or pattern) id to the codes that use it in one kind of rule."""
    found: dict[int, set[int]] = {}
    for ci, code in enumerate(codes):
        for t in pick(code):
            found.setdefault(t, set()).add(ci)
    return {t: tuple(sorted(cs)) for t, cs in found.items()}


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
        if r is None:
            compiled.append(_CodeRules(code.id, (), (), (), (), ()))
            continue
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
            )
        )
    return list(terms), places, list(patterns), compiled


class _Engine:
    """The compiled rules: one term index, the regexes, and each code's triggers. Picklable.

    ``score`` gives a coding's confidence from its number of distinct terms; it
    is tabulated here, so the engine pickles without it.
    """

    def __init__(
        self,
        index: TermIndex,
        patterns: list[str],
        codes: list[_CodeRules],
        score: Callable[[int], float],
    ) -> None:
        self.index = index
        self.patterns = patterns
        # The `regex` module (not `re`) because it can stop a match after a time limit: a
        # pattern that backtracks catastrophically on some quote stops the run with a clear
        # message instead of hanging it for hours.
        self.regexes = [regex.compile(p, regex.IGNORECASE | regex.VERSION0) for p in patterns]
        self.gates = [required_literals(p) for p in patterns]
        self.codes = codes
        # Evaluation starts from the terms found, so a quote costs in proportion
        # to its matches, not to the size of the codebook: each term id maps to
        # the codes using it as (any, all, near, none).
        uses = [
            _uses(codes, lambda c: c.any),
            _uses(codes, lambda c: c.all),
            _uses(codes, lambda c: [x for a, b, _ in c.near for x in (a, b)]),
            _uses(codes, lambda c: c.none),
        ]
        self.plan: dict[int, tuple[tuple[int, ...], ...]] = {
            t: tuple(u.get(t, ()) for u in uses) for t in range(len(index.terms))
        }
        self.regex_codes = _uses(codes, lambda c: c.regex)
        self.confidence = [score(n) for n in range(257)]
        self.code_ids = [code.code_id for code in codes]

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

    def _fire(self, text: str, hits: Spans, rx: Spans) -> dict[int, list[Match]]:
        """Evidence for each code that fires on one text, keyed by code index."""
        terms, plan = self.index.terms, self.plan
        fired: dict[int, list[Match]] = {}
        maybe_all: set[int] = set()
        maybe_near: set[int] = set()
        suppressed: set[int] = set()
        for t in hits:
            suppressed.update(plan[t][3])
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
                maybe_near.update(near_codes)
        for ci in maybe_all - suppressed:
            code = self.codes[ci]
            if all(t in hits for t in code.all):
                fired.setdefault(ci, []).extend(
                    [("all", terms[t], s, e) for t in dict.fromkeys(code.all) for s, e in hits[t]]
                )
        starts: list[int] | None = None
        for ci in maybe_near - suppressed:
            near: set[Match] = set()
            for a, b, limit in self.codes[ci].near:
                if a in hits and b in hits:
                    if starts is None:
                        starts = [m.start() for m in _WORD.finditer(text)]
                    for span in _near(hits[a], hits[b], limit, starts):
                        # Report each span under the term(s) of the pair that it is.
                        for t in (a, b):
                            if span in hits[t]:
                                near.add(("near", terms[t], *span))
            if near:
                fired.setdefault(ci, []).extend(near)
        for r, spans in rx.items():
            for ci in self.regex_codes[r]:
                if ci not in suppressed:
                    pattern = self.patterns[r]
                    fired.setdefault(ci, []).extend([("regex", pattern, s, e) for s, e in spans])
        return fired

    def scan(self, texts: Sequence[str], first: int = 0) -> Scanned:
        """Match ``texts`` and apply every code's rules; quote indexes start at ``first``."""
        out: list[Hit] = []
        term_seen: Counter = Counter()
        regex_seen: Counter = Counter()
        find = self.index.find
        conf = self.confidence
        use_regex = bool(self.regexes)
        for i, text in enumerate(texts, first):
            hits = find(text)
            rx = self._regex_hits(text) if use_regex else {}
            if not hits and not rx:
                continue
            term_seen.update(hits.keys())
            if rx:
                regex_seen.update(rx.keys())
            fired = self._fire(text, hits, rx)
            for ci in sorted(fired):
                evidence = fired[ci]
                if len(evidence) > 1:
                    evidence = sorted(set(evidence), key=_evidence_order)
                    n_terms = _independent_terms(evidence)
                else:
                    n_terms = 1
                out.append((i, ci, conf[min(n_terms, 256)], tuple(evidence)))
        return out, term_seen, regex_seen


    def scan_rows(self, quote_ids: Sequence[str], texts: Sequence[str]) -> ScannedRows:
        """Match ``texts`` and return the suggestions as store rows (see :data:`Row`)."""
        hits, term_seen, regex_seen = self.scan(texts)
        ids = self.code_ids
        rows = [(quote_ids[qi], ids[ci], conf, rule_evidence_json(texts[qi], ev)) for qi, ci, conf, ev in hits]
        return rows, list(dict.fromkeys(h[0] for h in hits)), term_seen, regex_seen


def _evidence_order(m: Match) -> tuple[int, int, str, str]:
    return (m[2], m[3], m[0], m[1])


# What a worker process works with: a function and the state it reads (compiled rules, a
# fitted model). Under "fork" the parent sets it just before the pool starts, so children
# inherit the state instead of unpickling it.
_WORKER: tuple[Callable[[Any, Any], Any], Any] | None = None
_FORK_LOCK = threading.Lock()


def _start_method() -> str:
    """``fork`` where it is safe, so workers share the compiled automaton; else ``spawn``.

    fork copies the parent as it is; with other threads running a lock they hold
    would be copied locked, so spawn (which pickles the automaton) is used then.
    """
    # macOS system libraries are not fork-safe, so Python itself defaults to spawn there.
    if (
        sys.platform != "darwin"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    ):
        return "fork"
    return "spawn"


def _usable_cpus() -> int:
    """CPUs this process may run on (fewer than os.cpu_count() in many containers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _init_worker(work: tuple[Callable[[Any, Any], Any], Any] | None) -> None:
    global _WORKER
    if work is not None:
        _WORKER = work


def _run_in_worker(payload: Any) -> Any:
    if _WORKER is None:
        raise CoderError("A coding worker started without its coder; run again with n_jobs=1.")
    fn, state = _WORKER
    with gc_paused():
        return fn(state, payload)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Matching creates hundreds of thousands of tuples and records; each burst
    re-triggers full collections that find nothing (coding ran ~40% slower with
    the collector on). Nothing built here forms a reference cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def in_workers(
    fn: Callable[[S, P], R], state: S, items: Iterable[tuple[T, P]], jobs: int, ahead: int
) -> Iterator[tuple[T, R]]:
    """``fn(state, payload)`` for every ``(tag, payload)``, in worker processes, handed back in order.

    The ``jobs`` workers live for the whole stream (started once, sharing ``state``:
    inherited under fork, pickled once each under spawn). At most ``ahead``
    payloads are in flight, so memory stays bounded however long the stream, and
    the workers go on while the caller stores earlier results. If the workers
    cannot start or die, the payloads they had and the rest run in this process:
    the results are the same either way. ``fn`` must be a module-level function.
    """
    global _WORKER
    method = _start_method()
    executor = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(None,) if method == "fork" else ((fn, state),),
    )
    pending: deque[tuple[T, P, Future]] = deque()

    def take() -> tuple[T, R]:
        tag, payload, future = pending.popleft()
        try:
            return tag, future.result()
        except BrokenProcessPool:
            # Workers could not start or were killed (e.g. spawn from a script without an
            # `if __name__ == "__main__":` guard): this payload is worked here.
            return tag, fn(state, payload)

    broken = started = False
    try:
        for tag, payload in items:
            if not broken:
                try:
                    if method == "fork" and not started:
                        # With fork the executor starts every worker at the first submit;
                        # they inherit the work from this global, which is then let go.
                        with _FORK_LOCK:
                            _WORKER = (fn, state)
                            try:
                                future = executor.submit(_run_in_worker, payload)
                            finally:
                                _WORKER = None
                    else:
                        future = executor.submit(_run_in_worker, payload)
                    started = True
                    pending.append((tag, payload, future))
                    while len(pending) >= ahead:
                        yield take()
                    continue
                except BrokenProcessPool:
                    broken = True
            while pending:  # the payloads handed out before, in order, then this one here
                yield take()
            yield tag, fn(state, payload)
        while pending:
            yield take()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _scan(engine: _Engine, job: tuple[int, list[str]]) -> Scanned:
    return engine.scan(job[1], job[0])


def _scan_in_workers(engine: _Engine, texts: list[str], jobs: int, batch_size: int) -> Iterator[Scanned]:
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
    spans: dict[str, list[tuple[int, int]]] = {}
    for _rule, term, start, end in evidence:
        spans.setdefault(term, []).append((start, end))
    others = {term: [(s, e, t) for t, ss in spans.items() if t != term for s, e in ss] for term in spans}
    count = 0
    for term, own in spans.items():
        # A term is dependent when each of its spans sits inside another term's span
        # (for identical spans, the alphabetically first term is kept).
        inside = all(
            any(s2 <= s and e <= e2 and ((s2, e2) != (s, e) or t2 < term) for s2, e2, t2 in others[term])
            for s, e in own
        )
        count += not inside
    return max(count, 1)


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
