"""The rule coder (``rules.v1``): codes quotes by the ``rules`` of each code in a codebook."""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sys
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from dataclasses import dataclass, field

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder
from probation_themes.coding.terms import SurfaceForm, TermIndex
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Evidence, Quote

#: Fewer quotes than this are always coded in this process: starting workers costs more.
PARALLEL_MIN_QUOTES = 5000

#: Base of the confidence heuristic: n distinct matched terms give 1 - BASE**n.
CONFIDENCE_BASE = 0.4

# A word for `near` distances: letters and digits, with inner apostrophes ("can't").
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

#: (rule, term as written, start, end) — one piece of evidence, cheap to send between processes.
Match = tuple[str, str, int, int]
#: (quote index, code index, confidence, evidence) — one coding before it becomes a Coding.
Hit = tuple[int, int, float, tuple[Match, ...]]
#: {term or pattern id: [(start, end), …]} — where each term occurred in one text.
Spans = dict[int, list[tuple[int, int]]]
#: A matched batch: its hits, and per term and per pattern the number of texts it occurred in.
Scanned = tuple[list[Hit], Counter, Counter]
#: (code id, rule kind, term) — one entry of RuleScan.term_counts.
TermKey = tuple[str, str, str]


@dataclass
class RuleScan:
    """What a rule-coding pass found.

    Attributes:
        codings: one suggested coding per (quote, code) that fired, in quote order
            then codebook order.
        term_counts: for every ``(code id, rule kind, term)`` in the codebook, the
            number of quotes in which that term occurred at all, whether or not
            its code fired (``none`` terms and the parts of ``all`` and ``near``
            rules included; for ``regex`` the term is the pattern).
    """

    codings: list[Coding] = field(default_factory=list)
    term_counts: dict[TermKey, int] = field(default_factory=dict)


def unmatched_terms(term_counts: dict[TermKey, int]) -> list[TermKey]:
    """Return the ``(code id, rule kind, term)`` entries that matched no quote, in codebook order.

    A rule term that matches nothing in a corpus is usually misspelt or too
    narrow; the command line reports these as warnings.
    """
    return [key for key, count in term_counts.items() if count == 0]


def confidence(n_terms: int) -> float:
    """Strength-of-evidence score for a coding supported by ``n_terms`` distinct terms."""
    return round(1.0 - CONFIDENCE_BASE**n_terms, 4)


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
    """The compiled rules: one term index, the regexes, and each code's triggers. Picklable."""

    def __init__(self, index: TermIndex, patterns: list[str], codes: list[_CodeRules]) -> None:
        self.index = index
        self.patterns = patterns
        self.regexes = [re.compile(p, re.IGNORECASE) for p in patterns]
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
        self.confidence = [confidence(n) for n in range(257)]

    def _regex_hits(self, text: str) -> Spans:
        found: Spans = {}
        for rid, rx in enumerate(self.regexes):
            spans = [m.span() for m in rx.finditer(text) if m.end() > m.start()]
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
                    n_terms = len({m[1] for m in evidence})
                else:
                    n_terms = 1
                out.append((i, ci, conf[min(n_terms, 256)], tuple(evidence)))
        return out, term_seen, regex_seen


def _evidence_order(m: Match) -> tuple[int, int, str, str]:
    return (m[2], m[3], m[0], m[1])


# State for worker processes. Under "fork" the parent sets it just before the
# pool starts so children inherit the compiled automaton instead of unpickling it.
_WORKER_ENGINE: _Engine | None = None
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


def _init_worker(engine: _Engine | None) -> None:
    global _WORKER_ENGINE
    if engine is not None:
        _WORKER_ENGINE = engine


def _scan_chunk(job: tuple[int, list[str]]) -> Scanned:
    first, texts = job
    if _WORKER_ENGINE is None:
        raise CoderError("A rule-coding worker started without its rules; run again with n_jobs=1.")
    with _gc_paused():
        return _WORKER_ENGINE.scan(texts, first)


@contextmanager
def _gc_paused() -> Iterator[None]:
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


@registry.register("rules.v1", default=True)
class RulesCoder(BaseCoder):
    """Codes quotes by the words and patterns in each code's ``rules``.

    A code fires on a quote when at least one of its triggers fires and none of
    its ``none`` terms occurs anywhere in the quote. The triggers are:

    - ``any``: each term is a trigger of its own; it fires if the term occurs.
    - ``all``: the whole list is one trigger; it fires if every term occurs
      somewhere in the quote.
    - ``near``: each ``[a, b, N]`` fires if a and b occur within N words of each
      other, in either order: the later one begins at most N words after the
      earlier one ends (neighbouring words are 1 apart; words are runs of
      letters and digits, so "high-caseload" is two words). Two occurrences
      that overlap do not count as near each other.
    - ``regex``: each pattern fires if it matches the original quote text,
      case-insensitively (Python ``re`` syntax). Patterns run over every quote,
      so they cost more than terms; prefer terms where a term will do.

    Terms match whole words, case-insensitively, and also the inflections of
    their words from spaCy's English lemma table: ``caseload`` also matches
    "caseloads", ``stressed`` matches "stress", "stresses" and "stressing";
    irregular forms that change the stem are left out (``leave`` does not match
    "left"). A ``*`` at the end of a word matches any ending (``overwhelm*``
    matches "overwhelmed", "overwhelming"); wildcard words are not inflected.
    Function words inside phrases ("not", "no", "it") are matched as written.
    Between the words of a phrase, hyphens, dashes, line breaks and runs of
    spaces all count as one space, and curly apostrophes equal straight ones
    ("can’t" = "can't"). A match must start and end at a word boundary: ``ict``
    does not match "strict", ``pay`` does not match "repay".

    Each coding's evidence lists every occurrence of every term (or pattern)
    that made it fire, with its character offsets in the quote text, sorted by
    position. Its confidence is ``1 - 0.4 ** n`` where n is the number of
    distinct terms in the evidence (0.6 for one term, 0.84 for two, 0.936 for
    three): a strength-of-evidence score for ordering review, not a calibrated
    probability that the code is right.

    Args:
        n_jobs: worker processes for large inputs (more than
            ``PARALLEL_MIN_QUOTES`` quotes); None or -1 uses every CPU, 1 codes
            in this process. Results are the same either way.
        lemmas: match inflected forms of rule words; False matches them as written.
        batch_size: most quotes handled (and, by :meth:`iter_scan`, returned)
            at a time.

    Attributes:
        codes_: code ids in codebook order.
        forms_: for each distinct term, the surface forms it was expanded into.
        n_forms_: number of distinct surface forms in the automaton.
        automaton_: the pyahocorasick automaton holding every surface form.
    """

    method = "rules"

    def __init__(
        self, n_jobs: int | None = None, lemmas: bool = True, batch_size: int = 20000
    ) -> None:
        self.n_jobs = n_jobs
        self.lemmas = lemmas
        self.batch_size = batch_size

    # -- fitting -------------------------------------------------------------

    def _check_params(self) -> None:
        def whole(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        jobs = self.n_jobs
        if jobs is not None and not (whole(jobs) and (jobs >= 1 or jobs == -1)):
            raise CoderError(
                f"n_jobs={self.n_jobs!r} is not a number of processes: use a whole number of 1 "
                "or more, or None (or -1) for every CPU."
            )
        if not (whole(self.batch_size) and self.batch_size >= 1):
            raise CoderError(f"batch_size={self.batch_size!r} must be a whole number of 1 or more.")

    def fit(self, codebook: Codebook, quotes: Sequence[Quote] | None = None) -> RulesCoder:
        """Compile every code's rules into one matcher and return the coder.

        Args:
            codebook: the codebook whose ``rules`` to apply.
            quotes: not used; rules are written, not learned.

        Raises:
            CoderError: the codebook has no rules, a term has nothing to match,
                or a parameter is invalid.
        """
        self._check_params()
        if not isinstance(codebook, Codebook):
            raise CoderError(
                f"The rules coder needs a Codebook to fit, not {type(codebook).__name__}; "
                "load one with probation_themes.codebook.load_codebook(path)."
            )
        if all(code.rules is None or code.rules.is_empty() for code in codebook.codes):
            raise CoderError(
                f"The codebook {codebook.name!r} has no rules: none of its {len(codebook.codes)} "
                "codes has `any`, `all`, `near` or `regex` terms under `rules`. "
                "`code --method rules` needs rules in the codebook; add a `rules:` block to the "
                "codes you want coded automatically (see the codebook format in the docs)."
            )
        terms, places, patterns, compiled = _compile(codebook)
        index = TermIndex(terms, lemmas=self.lemmas)
        for term, forms in zip(index.terms, index.forms):
            if not forms:
                code_id, location = places[term]
                raise CoderError(
                    f"Rule term {term!r} at {location} (code {code_id!r}) has no letters or "
                    "digits to match; write a word or phrase, or use `regex` for punctuation.",
                    code_id=code_id,
                )
        self.engine_ = _Engine(index, patterns, compiled)
        self.codes_ = [code.id for code in codebook.codes]
        self.automaton_ = index.automaton
        self.n_forms_ = index.n_forms
        self.forms_: dict[str, list[SurfaceForm]] = dict(zip(index.terms, index.forms))
        return self

    # -- coding --------------------------------------------------------------

    def _processes(self, n_quotes: int) -> int:
        jobs = _usable_cpus() if self.n_jobs in (None, -1) else self.n_jobs
        # A daemon process (e.g. a worker of someone else's pool) may not start children.
        if jobs <= 1 or n_quotes <= PARALLEL_MIN_QUOTES or multiprocessing.current_process().daemon:
            return 1
        return jobs

    def _chunks(self, texts: list[str], jobs: int) -> list[tuple[int, list[str]]]:
        # Several chunks per worker even out uneven comment lengths.
        size = max(1, min(self.batch_size, -(-len(texts) // (jobs * 4))))
        return [(lo, texts[lo : lo + size]) for lo in range(0, len(texts), size)]

    def _scan_serial(self, texts: list[str]) -> Iterator[Scanned]:
        for lo in range(0, len(texts), self.batch_size):
            yield self.engine_.scan(texts[lo : lo + self.batch_size], lo)

    def _scan_parallel(self, texts: list[str], jobs: int) -> Iterator[Scanned]:
        global _WORKER_ENGINE
        chunks = self._chunks(texts, jobs)
        method = _start_method()
        executor = ProcessPoolExecutor(
            min(jobs, len(chunks)),
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(None,) if method == "fork" else (self.engine_,),
        )
        if method == "fork":
            # With fork the executor starts every worker at the first submit; they
            # inherit the engine from this global, which the parent then lets go.
            with _FORK_LOCK:
                _WORKER_ENGINE = self.engine_
                try:
                    futures = [executor.submit(_scan_chunk, chunk) for chunk in chunks]
                finally:
                    _WORKER_ENGINE = None
        else:
            futures = [executor.submit(_scan_chunk, chunk) for chunk in chunks]
        try:
            for k, future in enumerate(futures):
                try:
                    part = future.result()
                except BrokenProcessPool:
                    # Workers could not start (e.g. spawn from a script without an
                    # `if __name__ == "__main__":` guard): finish in this process.
                    for first, chunk in chunks[k:]:
                        yield self.engine_.scan(chunk, first)
                    return
                # Results are taken in order while later chunks are still being
                # matched, so building codings in the parent overlaps with the workers.
                yield part
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def iter_scan(self, quotes: Sequence[Quote]) -> Iterator[RuleScan]:
        """Code the quotes batch by batch, so codings can be stored as they come.

        Yields one :class:`RuleScan` per batch of at most ``batch_size`` quotes,
        in quote order; its ``term_counts`` cover that batch only (add them up
        for the whole corpus). Holding one batch at a time keeps memory flat on
        large corpora; :meth:`scan` collects every batch instead.

        Raises:
            CoderError: the coder has not been fitted.
        """
        self.check_is_fitted()
        try:
            texts = [q.text for q in quotes]
        except AttributeError:
            raise CoderError(
                "The rules coder codes Quote records (probation_themes.models.Quote), "
                "not plain text; ingest the answers first or wrap each text in a Quote."
            ) from None
        jobs = self._processes(len(texts))
        parts = self._scan_parallel(texts, jobs) if jobs > 1 else self._scan_serial(texts)
        # closing() shuts the worker pool at once if the caller stops early or fails.
        with closing(parts):
            while True:
                with _gc_paused():
                    part = next(parts, None)
                    if part is None:
                        return
                    hits, term_seen, regex_seen = part
                    counts = self._term_counts(term_seen, regex_seen)
                    batch = RuleScan(self._codings(quotes, hits), counts)
                yield batch

    def scan(self, quotes: Sequence[Quote]) -> RuleScan:
        """Code the quotes and count, for every rule term, the quotes it occurred in.

        Returns:
            A :class:`RuleScan` with the suggested codings and the term counts;
            pass ``term_counts`` to :func:`unmatched_terms` to find terms that
            matched nothing.

        Raises:
            CoderError: the coder has not been fitted.
        """
        self.check_is_fitted()
        total = RuleScan([], self._term_counts(Counter(), Counter()))
        # Paused throughout: a full collection between batches would walk every
        # coding built so far, again and again.
        with _gc_paused():
            for batch in self.iter_scan(quotes):
                total.codings.extend(batch.codings)
                for key, count in batch.term_counts.items():
                    total.term_counts[key] += count
        return total

    def predict(self, quotes: Sequence[Quote]) -> list[Coding]:
        """Return one suggested coding per (quote, code) whose rules fire, with evidence.

        Codings come in quote order, then codebook order; each has method
        ``rules``, status ``suggested`` and no run yet (the store sets it).

        Raises:
            CoderError: the coder has not been fitted.
        """
        return self.scan(quotes).codings

    def _codings(self, quotes: Sequence[Quote], hits: list[Hit]) -> list[Coding]:
        codes = self.codes_
        out = []
        for qi, ci, conf, matches in hits:
            quote = quotes[qi]
            text = quote.text
            evidence = [
                Evidence(kind="rule", rule=rule, term=term, text=text[s:e], start=s, end=e)
                for rule, term, s, e in matches
            ]
            out.append(
                Coding(
                    quote_id=quote.quote_id,
                    code=codes[ci],
                    method="rules",
                    status="suggested",
                    confidence=conf,
                    evidence=evidence,
                )
            )
        return out

    def _term_counts(self, term_seen: Counter, regex_seen: Counter) -> dict[TermKey, int]:
        engine = self.engine_
        terms, patterns = engine.index.terms, engine.patterns
        counts: dict[TermKey, int] = {}
        for code in engine.codes:
            for kind, ids in (("any", code.any), ("all", code.all)):
                for t in ids:
                    counts[(code.code_id, kind, terms[t])] = term_seen[t]
            for a, b, _ in code.near:
                for t in (a, b):
                    counts[(code.code_id, "near", terms[t])] = term_seen[t]
            for t in code.none:
                counts[(code.code_id, "none", terms[t])] = term_seen[t]
            for r in code.regex:
                counts[(code.code_id, "regex", patterns[r])] = regex_seen[r]
        return counts


def _expanded_forms(codebook: Codebook) -> list[str]:
    coder = RulesCoder(n_jobs=1).fit(codebook)
    forms = {f.key for fs in coder.forms_.values() for f in fs if not f.wildcard and f.tail is None}
    return sorted(forms)


def phrase_matcher_baseline(texts: Sequence[str], codebook: Codebook) -> int:
    """Count matches of the codebook's expanded (non-wildcard) forms with spaCy's PhraseMatcher.

    A reference point for benchmarks: the same surface forms matched the
    conventional spaCy way (tokenizer + ``PhraseMatcher(attr="LOWER")``).

    Returns:
        The number of matches found.
    """
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    forms = _expanded_forms(codebook)
    matcher.add("TERMS", [nlp.make_doc(f) for f in forms])
    return sum(len(matcher(doc)) for doc in nlp.tokenizer.pipe(texts, batch_size=1000))


def tokenizer_baseline(texts: Sequence[str]) -> int:
    """Count tokens with spaCy's blank English tokenizer: the floor for any spaCy-based coder.

    Returns:
        The number of tokens in all texts.
    """
    import spacy

    nlp = spacy.blank("en")
    return sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=1000))
