"""The rule coder (``rules.v1``): codes quotes by the ``rules`` of each code in a codebook.

The matching itself lives in :mod:`probation_themes.coding.engine`; the spaCy
reference points for benchmarks live in :mod:`probation_themes.coding.baselines`
and are importable from here too.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.coding.base import BaseCoder, CodedRows, check_workers, is_whole
from probation_themes.coding.baselines import phrase_matcher_baseline, tokenizer_baseline
from probation_themes.coding.engine import (
    FullScan,
    Hit,
    Match,
    Miss,
    Scanned,
    Spans,
    _compile,
    _Engine,
    cue_terms,
    gc_paused,
    _rows_in_workers,
    _scan_in_workers,
    _usable_cpus,
)
from probation_themes.coding.exclusive import enforce_counted, enforce_rows
from probation_themes.coding.negation import QuoteContext
from probation_themes.coding.terms import SurfaceForm, TermIndex
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Evidence, Quote, blocked_evidence

__all__ = [
    "Blocked",
    "blocked_evidence",
    "CONFIDENCE_BASE",
    "PARALLEL_MIN_QUOTES",
    "Hit",
    "Match",
    "RuleScan",
    "RulesCoder",
    "Scanned",
    "Spans",
    "TermKey",
    "confidence",
    "phrase_matcher_baseline",
    "tokenizer_baseline",
    "unmatched_terms",
]

#: Fewer quotes than this are always coded in this process: starting workers costs more.
PARALLEL_MIN_QUOTES = 5000

#: Base of the confidence heuristic: n distinct matched terms give 1 - BASE**n.
CONFIDENCE_BASE = 0.4

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
    #: Codes whose rules matched a quote but did not fire, because of negation or stance.
    blocked: list[Blocked] = field(default_factory=list)
    #: Per code id: the codings negation removed (the code fired on no match left).
    negation_removed: Counter = field(default_factory=Counter)
    #: Per code id: the codings stance removed (every match was countered).
    stance_removed: Counter = field(default_factory=Counter)
    #: Per code id: the matches negation set aside, whether or not the code fired anyway.
    negated_matches: Counter = field(default_factory=Counter)
    #: Per single-choice group: the codings set aside because a quote had a more confident code of it.
    single_choice_removed: Counter = field(default_factory=Counter)


@dataclass
class Blocked:
    """A code whose rules matched a quote but that was not suggested, and why.

    ``evidence`` lists the matches that did not count: each has ``negated`` (the
    words from the negation cue to the term, e.g. "no sign of any positives") or
    ``countered`` (the strongly charged words around it, e.g. "chaotic, stressful").
    """

    quote_id: str
    code: str
    evidence: list[Evidence]


def unmatched_terms(term_counts: dict[TermKey, int]) -> list[TermKey]:
    """Return the ``(code id, rule kind, term)`` entries that matched no quote, in codebook order.

    A rule term that matches nothing in a corpus is usually misspelt or too
    narrow; the command line reports these as warnings.
    """
    return [key for key, count in term_counts.items() if count == 0]


def confidence(n_terms: int) -> float:
    """Strength-of-evidence score for a coding supported by ``n_terms`` distinct terms."""
    return round(1.0 - CONFIDENCE_BASE**n_terms, 4)


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

    Negation (on for every code unless it says ``negation: false``): a match
    inside the scope of a negation cue ("no sign of any positives", "not
    welcoming") does not count, NegEx-style; a cue inside the matched term itself
    ("not manageable", "no time to") does not negate it. Stance (for a code with
    ``polarity: positive`` or ``negative``): a match whose clause leans strongly
    the other way does not count. A code left with no match is not suggested, and
    :attr:`RuleScan.blocked` says which matches were set aside and why. The cue
    and stance word lists are in ``coding/data/`` (see docs/methods.md).

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
        negation: False ignores negation for every code (as if each said
            ``negation: false``); stance still applies to codes with a polarity.

    Attributes:
        codes_: code ids in codebook order.
        groups_: the codebook's single-choice groups; where a quote fires two codes
            of one, only the more confident stays (see :mod:`probation_themes.coding.exclusive`).
        forms_: for each distinct term, the surface forms it was expanded into.
        n_forms_: number of distinct surface forms in the automaton.
        automaton_: the pyahocorasick automaton holding every surface form.
    """

    method = "rules"

    def __init__(
        self, n_jobs: int | None = None, lemmas: bool = True, batch_size: int = 20000, negation: bool = True
    ) -> None:
        self.n_jobs = n_jobs
        self.lemmas = lemmas
        self.batch_size = batch_size
        self.negation = negation

    # -- fitting -------------------------------------------------------------

    def _check_params(self) -> None:
        check_workers(self.n_jobs, self.batch_size)
        if not isinstance(self.negation, bool):
            raise CoderError(f"negation={self.negation!r} must be True or False.")

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
        cues, cue_ids = cue_terms(compiled, self.negation, len(terms))
        index = TermIndex([*terms, *cues], lemmas=self.lemmas, literal_from=len(terms))
        for term, forms in zip(index.terms[: len(terms)], index.forms):
            if not forms:
                code_id, location = places[term]
                raise CoderError(
                    f"Rule term {term!r} at {location} (code {code_id!r}) has no letters or "
                    "digits to match; write a word or phrase, or use `regex` for punctuation.",
                    code_id=code_id,
                )
        self.engine_ = _Engine(index, patterns, compiled, confidence, cue_ids, len(terms), self.negation)
        self.codes_ = [code.id for code in codebook.codes]
        self.groups_ = codebook.single_choice_groups()
        self.automaton_ = index.automaton
        self.n_forms_ = index.n_forms
        self.forms_: dict[str, list[SurfaceForm]] = dict(zip(index.terms[: len(terms)], index.forms))
        return self

    # -- coding --------------------------------------------------------------

    def _processes(self, n_quotes: int) -> int:
        jobs = _usable_cpus() if self.n_jobs in (None, -1) else self.n_jobs
        # A daemon process (e.g. a worker of someone else's pool) may not start children.
        if jobs <= 1 or n_quotes <= PARALLEL_MIN_QUOTES or multiprocessing.current_process().daemon:
            return 1
        return jobs

    def _scan_serial(self, texts: list[str]) -> Iterator[FullScan]:
        for lo in range(0, len(texts), self.batch_size):
            yield self.engine_.scan_full(texts[lo : lo + self.batch_size], lo)

    def _scan_parallel(self, texts: list[str], jobs: int) -> Iterator[FullScan]:
        return _scan_in_workers(self.engine_, texts, jobs, self.batch_size)

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
                with gc_paused():
                    part = next(parts, None)
                    if part is None:
                        return
                    hits, term_seen, regex_seen, misses, removed, negated_n = part
                    counts = self._term_counts(term_seen, regex_seen)
                    kept, lost = enforce_counted(self._codings(quotes, hits), self.groups_)
                    batch = RuleScan(kept, counts, self._blocked(quotes, misses),
                                     *self._removed(removed, negated_n), single_choice_removed=lost)
                yield batch

    def iter_rows(
        self, batches: Iterable[Sequence[Quote]], *, n_quotes: int | None = None, chunk_size: int = 5000
    ) -> Iterator[CodedRows]:
        """Code a stream of batches into store rows, chunk by chunk, in quote order.

        The fast path for large projects: the worker processes (started once for
        the whole stream, not once per batch) encode each suggestion's evidence
        themselves, so no :class:`~probation_themes.models.Coding` is built.
        Batches may be of any size; each is cut into chunks of at most
        ``chunk_size`` quotes and one :class:`CodedRows` is yielded per chunk.

        Args:
            batches: the quotes, e.g. ``Project.iter_quote_refs()``.
            n_quotes: how many quotes the stream holds, if known; at most
                ``PARALLEL_MIN_QUOTES`` are coded in this process.
            chunk_size: most quotes per chunk.

        Raises:
            CoderError: the coder has not been fitted.
        """
        self.check_is_fitted()
        if not (is_whole(chunk_size) and chunk_size >= 1):
            raise CoderError(f"chunk_size={chunk_size!r} must be a whole number of 1 or more.")
        jobs = self._processes(PARALLEL_MIN_QUOTES + 1 if n_quotes is None else n_quotes)

        def chunks() -> Iterator[tuple[Sequence[Quote], tuple[list[str], list[str]]]]:
            for batch in batches:
                for lo in range(0, len(batch), chunk_size):
                    part = batch[lo : lo + chunk_size]
                    try:
                        yield part, ([q.quote_id for q in part], [q.text for q in part])
                    except AttributeError:
                        raise CoderError(
                            "The rules coder codes Quote records (probation_themes.models.Quote), "
                            "not plain text; ingest the answers first or wrap each text in a Quote."
                        ) from None

        if jobs > 1:
            scanned = _rows_in_workers(self.engine_, chunks(), jobs, ahead=jobs * 3)
        else:
            scanned = ((part, self.engine_.scan_rows(*chunk)) for part, chunk in chunks())
        with closing(scanned):
            for part, (rows, coded, term_seen, regex_seen, blocked, removed, negated_n) in scanned:
                by_code = self._removed(removed, negated_n)
                rows, lost = enforce_rows(rows, self.groups_)
                yield CodedRows(part, rows, coded, self._term_counts(term_seen, regex_seen), blocked,
                                {"negation": by_code[0], "stance": by_code[1], "negated_matches": by_code[2],
                                 "single_choice": Counter(lost)})

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
        with gc_paused():
            for batch in self.iter_scan(quotes):
                total.codings.extend(batch.codings)
                total.blocked.extend(batch.blocked)
                total.negation_removed.update(batch.negation_removed)
                total.stance_removed.update(batch.stance_removed)
                total.negated_matches.update(batch.negated_matches)
                total.single_choice_removed.update(batch.single_choice_removed)
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

    def sets_aside(self, text: str, code_id: str, spans: Sequence[tuple[int, int]]) -> bool:
        """Whether every span of ``text`` would not count for ``code_id``: negated or countered.

        The test the rules apply to their own matches (negation when the code has it
        on, stance when it has a polarity), offered for words other coders found, such
        as a topic's seed words in ``code --method all``.

        Raises:
            CoderError: the coder has not been fitted.
        """
        self.check_is_fitted()
        engine = self.engine_
        ci = self.codes_.index(code_id)
        negating, sign = ci in engine.negating, engine.polar.get(ci, 0)
        if not spans or not (negating or sign):
            return False
        cues = engine.index.find_split(text)[1]
        if not cues:
            return False
        context = QuoteContext(text, cues.items(), engine.cues, engine.cue_kinds)
        return all(
            (negating and context.negated(a, b) is not None) or (sign and context.countered(a, b, sign))
            for a, b in spans
        )

    def _blocked(self, quotes: Sequence[Quote], misses: list[Miss]) -> list[Blocked]:
        codes = self.codes_
        out = []
        for qi, ci, matches in misses:
            text = quotes[qi].text
            out.append(Blocked(quotes[qi].quote_id, codes[ci], [blocked_evidence(text, m) for m in matches]))
        return out

    def _removed(self, removed: Counter, negated_n: Counter) -> tuple[Counter, Counter, Counter]:
        codes = self.codes_
        negation: Counter = Counter()
        stance: Counter = Counter()
        for (ci, why), n in removed.items():
            (negation if why == "negation" else stance)[codes[ci]] += n
        return negation, stance, Counter({codes[ci]: n for ci, n in negated_n.items()})

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
