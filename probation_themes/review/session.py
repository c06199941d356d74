"""A review session: a stream of quotes to accept, reject, add codes to and annotate, with undo.

The session does no input or output of its own: a front end shows ``session.current``
and calls ``answer``, ``decide``, ``toggle``, ``memo``, ``skip``, ``back`` or ``undo``.
Every call that decides something commits it to the project before it returns.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from probation_themes.errors import StoreError
from probation_themes.models import Evidence, Quote
from probation_themes.review.pick import CodeChoice
from probation_themes.store import Project
from probation_themes.store.review import (
    Choice,
    PastStep,
    Recorded,
    coder_decisions,
    quote_state,
    recent_steps,
    record_answer,
    review_candidates,
    undo_answer,
    write_memo,
)

Order = Literal["uncertain", "random", "file"]
Scope = Literal["suggested", "all"]
State = Literal["open", "accept", "reject"]


@dataclass(frozen=True)
class Suggestion:
    """The machine's suggestion of one code: which methods made it, how sure they were, and why."""

    methods: tuple[str, ...]
    confidence: float | None  # the highest confidence among the methods
    evidence: tuple[Evidence, ...]

    @property
    def method(self) -> str:
        """The methods as one name, e.g. ``rules`` or ``model,rules``."""
        return ",".join(self.methods)


@dataclass(frozen=True)
class Row:
    """One code on the review screen: its number, the suggestion (if any) and the decision so far."""

    number: int
    code: CodeChoice
    suggestion: Suggestion | None
    state: State


@dataclass(frozen=True)
class Item:
    """The quote being reviewed, with its numbered codes and memos."""

    quote: Quote
    index: int  # 0-based place in the session's stream
    rows: tuple[Row, ...]
    memos: dict[str, str]  # '' = memo on the whole quote
    done: bool  # this coder has finished the quote
    #: codes not suggested because negation or stance set their rule matches aside (shown so the
    #: coder sees why, and can add the code), with those matches; codes already listed are left out
    blocked: tuple[tuple[CodeChoice, tuple[Evidence, ...]], ...] = ()

    def row(self, code: str) -> Row | None:
        """The row of ``code``, or None when the code is neither suggested nor decided."""
        return next((r for r in self.rows if r.code.id == code), None)

    def numbered(self, number: int) -> Row | None:
        """The row shown with ``number`` (1-based), or None."""
        return self.rows[number - 1] if 1 <= number <= len(self.rows) else None


@dataclass(frozen=True)
class Progress:
    """How far the coder is: quotes finished of those in the session, and their decisions per code."""

    done: int
    total: int
    per_code: dict[str, tuple[int, int]]  # code -> (accepted, rejected), codebook order

    @property
    def remaining(self) -> int:
        """Quotes still to finish."""
        return self.total - self.done


@dataclass(frozen=True)
class _Step:
    kind: Literal["decide", "answer", "memo"]
    quote_id: str
    index: int
    description: str
    recorded: Recorded | None = None
    memo_id: int | None = None
    memo_code: str = ""
    memo_before: str = ""


@dataclass
class _Tally:
    """This coder's latest decision per quote and code, with running counts per code."""

    mine: dict[str, dict[str, str]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def set_quote(self, quote_id: str, decisions: Mapping[str, str]) -> None:
        for code, decision in self.mine.get(quote_id, {}).items():
            self.counts[(code, decision)] -= 1
        self.mine[quote_id] = dict(decisions)
        for code, decision in decisions.items():
            self.counts[(code, decision)] += 1


def _now() -> datetime:
    return datetime.now().astimezone()


class ReviewSession:
    """A coder's pass over a project's quotes, one quote at a time.

    Args:
        project: the open project; decisions are written to it as they are made.
        coder: the name every decision is recorded under.
        codes: the codebook's codes, in codebook order (what can be added, and the colours).
        code: review one code only (its suggestions, and quotes for it).
        order: ``file`` (ingest order), ``uncertain`` (suggestions whose confidence is
            nearest ``threshold`` first) or ``random`` (shuffled with ``seed``).
        scope: ``suggested`` (quotes with a suggestion) or ``all`` (every quote, to add
            codes the machine missed).
        where: exact values of region, org, question or an attribute, e.g. ``{"region": "London"}``.
        seed: the shuffle of ``order="random"``.
        threshold: the confidence at which the machine is least sure.
        revisit: also show the quotes this coder finished before, to check or change them.
        clock: the time to record with each decision (tests fix it).

    Quotes this coder has already finished (in an earlier session too) are not shown again,
    unless ``revisit`` is set.
    Undo reaches back through this coder's last 100 steps on the session's quotes, including
    steps of earlier sessions.
    """

    def __init__(
        self,
        project: Project,
        *,
        coder: str,
        codes: Sequence[CodeChoice],
        code: str | None = None,
        order: Order = "file",
        scope: Scope = "suggested",
        where: Mapping[str, str] | None = None,
        seed: int = 0,
        threshold: float = 0.5,
        revisit: bool = False,
        clock: Callable[[], datetime] = _now,
        methods: Sequence[str] | None = None,
    ) -> None:
        if not coder.strip():
            raise StoreError("A review needs the name of the coder; give one with --coder NAME.")
        self.project = project
        self.coder = coder.strip()
        self.codes = list(codes)
        self._by_id = {c.id: c for c in self.codes}
        if code is not None and code not in self._by_id:
            raise StoreError(
                f"There is no code {code!r} in the codebook. Choose one of: {', '.join(self._by_id)}."
            )
        if order not in ("file", "uncertain", "random") or scope not in ("suggested", "all"):
            raise StoreError(
                f"Unknown review order {order!r} or status {scope!r}: the order is file, uncertain or random, "
                "and the status suggested or all."
            )
        self.code = code
        self.methods = tuple(methods) if methods is not None else None
        self._clock = clock
        candidates = review_candidates(
            project, coder=self.coder, code=code, with_suggestions=scope == "suggested",
            where=where, threshold=threshold, methods=self.methods,
        )
        if order == "random":
            random.Random(seed).shuffle(candidates)
        elif order == "uncertain":
            candidates.sort(key=lambda c: (c.gap is None, c.gap or 0.0))  # stable: ingest order within ties
        self._order = [c.quote_id for c in candidates]
        self._done = {c.quote_id for c in candidates if c.done}
        self._passed = set() if revisit else set(self._done)  # finished quotes the stream steps over
        self._skipped: set[int] = set()
        self._history: list[int] = []
        self._steps: list[_Step] = []
        self._tally = _Tally()
        for quote_id, decisions in coder_decisions(project, self.coder, code).items():
            self._tally.set_quote(quote_id, decisions)
        position = {quote_id: i for i, quote_id in enumerate(self._order)}
        for past in recent_steps(project, self.coder):  # undo reaches back into earlier sessions
            if past.quote_id in position:
                self._steps.append(self._past_step(past, position[past.quote_id]))
        self.current: Item | None = None
        self._go(self._next_index(-1))

    @staticmethod
    def _past_step(past: PastStep, index: int) -> _Step:
        if past.memo_id is not None:
            what = f"memo on {past.memo_code}" if past.memo_code else "memo on the quote"
            return _Step("memo", past.quote_id, index, what, memo_id=past.memo_id, memo_code=past.memo_code,
                         memo_before=past.memo_before)
        summary = ", ".join(f"{d} {c}" for c, d in past.choices)
        if past.recorded.review_id is None:
            return _Step("decide", past.quote_id, index, summary, past.recorded)
        return _Step("answer", past.quote_id, index, ", ".join([f"finished {past.quote_id}", *filter(None, [summary])]),
                     past.recorded)

    # -- reading ---------------------------------------------------------------

    @property
    def progress(self) -> Progress:
        """Quotes finished and remaining, and this coder's accepted/rejected counts per code."""
        shown = [self.code] if self.code else list(self._by_id)
        counts = self._tally.counts
        return Progress(
            done=len(self._done), total=len(self._order),
            per_code={c: (counts[(c, "accept")], counts[(c, "reject")]) for c in shown},
        )

    @property
    def can_undo(self) -> bool:
        """Whether there is a step of this session left to undo."""
        return bool(self._steps)

    def _load(self, index: int) -> Item:
        state = quote_state(self.project, self._order[index], coder=self.coder, code=self.code, methods=self.methods)
        grouped: dict[str, list] = {}
        for s in state.suggestions:
            grouped.setdefault(s.code, []).append(s)
        suggested = {
            c: Suggestion(
                methods=tuple(s.method for s in group),
                confidence=max((s.confidence for s in group if s.confidence is not None), default=None),
                evidence=tuple(e for s in group for e in s.evidence),
            )
            for c, group in grouped.items()
        }
        rank = {c: i for i, c in enumerate(self._by_id)}
        ordered = sorted(suggested, key=lambda c: (rank.get(c, len(rank)), c))
        ordered += sorted((c for c in state.decisions if c not in suggested), key=lambda c: (rank.get(c, len(rank)), c))
        rows = tuple(
            Row(n, self._by_id.get(c) or CodeChoice(c, c), suggested.get(c), state.decisions.get(c, "open"))
            for n, c in enumerate(ordered, 1)
        )
        self._tally.set_quote(state.quote.quote_id, state.decisions)
        listed = {r.code.id for r in rows}
        blocked = tuple(
            (self._by_id.get(c) or CodeChoice(c, c), ev)
            for c, ev in sorted(state.blocked.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
            if c not in listed
        )
        return Item(state.quote, index, rows, state.memos, state.done, blocked)

    # -- moving ----------------------------------------------------------------

    def _next_index(self, after: int) -> int | None:
        n = len(self._order)
        for i in itertools.chain(range(after + 1, n), range(0, min(after + 1, n))):
            if self._order[i] not in self._passed and i not in self._skipped:
                return i
        return None

    def _go(self, index: int | None) -> None:
        if self.current is not None and index != self.current.index:
            self._history.append(self.current.index)
        self.current = None if index is None else self._load(index)

    def _require(self) -> Item:
        if self.current is None:
            raise StoreError("The review is finished: there is no quote to answer. Undo or go back to change one.")
        return self.current

    def skip(self) -> None:
        """Leave the current quote undecided for now; it comes back in the next session."""
        item = self._require()
        self._skipped.add(item.index)
        self._go(self._next_index(item.index))

    def back(self) -> bool:
        """Show the quote seen before this one again (to check or change it); False if there is none."""
        while self._history:
            index = self._history.pop()
            if self.current is None or index != self.current.index:
                self._skipped.discard(index)
                self.current = self._load(index)
                return True
        return False

    # -- deciding --------------------------------------------------------------

    def _choice(self, item: Item, code: str, decision: str) -> Choice:
        row = item.row(code)
        s = row.suggestion if row else None
        return Choice(code, decision, s.method if s else None, s.confidence if s else None)

    def decide(self, code: str, decision: Literal["accept", "reject"]) -> None:
        """Accept or reject one code on the current quote, committed at once; the quote stays on screen."""
        item = self._require()
        if code not in self._by_id and item.row(code) is None:
            raise StoreError(f"There is no code {code!r} in the codebook. Choose one of: {', '.join(self._by_id)}.")
        if self.code is not None and code != self.code:
            raise StoreError(f"This review covers the code {self.code} only; {code} cannot be decided in it.")
        recorded = record_answer(self.project, item.quote.quote_id, [self._choice(item, code, decision)],
                                 coder=self.coder, at=self._clock())
        self._steps.append(_Step("decide", item.quote.quote_id, item.index, f"{decision} {code}", recorded))
        self.current = self._load(item.index)

    def toggle(self, code: str) -> Literal["accept", "reject"]:
        """Flip one code: an open or accepted code is rejected, a rejected or new code accepted."""
        item = self._require()
        row = item.row(code)
        decision: Literal["accept", "reject"] = "accept" if row is None or row.state == "reject" else "reject"
        self.decide(code, decision)
        return decision

    def answer(
        self, decisions: Mapping[str, Literal["accept", "reject"]] | None = None,
        rest: Literal["accept", "reject"] = "accept",
    ) -> None:
        """Finish the current quote and move to the next one.

        Args:
            decisions: codes to accept or reject explicitly.
            rest: what happens to every suggestion still open: ``accept`` (accept all) or
                ``reject`` (reject all). Codes already decided keep their decision.

        The decisions and the mark that the quote is finished are committed together.
        """
        item = self._require()
        wanted = dict(decisions or {})
        wanted.update({r.code.id: rest for r in item.rows if r.state == "open" and r.code.id not in wanted})
        choices = [self._choice(item, c, d) for c, d in wanted.items()]
        scope = None if item.done else (self.code or "")
        if choices or scope is not None:
            recorded = record_answer(self.project, item.quote.quote_id, choices, coder=self.coder,
                                     at=self._clock(), finish_scope=scope)
            summary = f"finished {item.quote.quote_id}" + "".join(f", {d} {c}" for c, d in wanted.items())
            self._steps.append(_Step("answer", item.quote.quote_id, item.index, summary, recorded))
        self._done.add(item.quote.quote_id)
        self._passed.add(item.quote.quote_id)
        self._tally.set_quote(item.quote.quote_id, {**self._tally.mine.get(item.quote.quote_id, {}), **wanted})
        self._go(self._next_index(item.index))

    def accept_all(self) -> None:
        """Accept every open suggestion of the current quote and move on."""
        self.answer(rest="accept")

    def reject_all(self) -> None:
        """Reject every open suggestion of the current quote and move on."""
        self.answer(rest="reject")

    def memo(self, text: str, code: str = "") -> None:
        """Write (or, with empty text, clear) a memo on the current quote or on one of its codes."""
        item = self._require()
        if code and code not in self._by_id and item.row(code) is None:
            raise StoreError(f"There is no code {code!r} to write a memo on. Choose one of: {', '.join(self._by_id)}.")
        before = item.memos.get(code, "")
        memo_id = write_memo(self.project, item.quote.quote_id, code, text.strip(), coder=self.coder, at=self._clock())
        what = f"memo on {code}" if code else "memo on the quote"
        self._steps.append(_Step("memo", item.quote.quote_id, item.index, what, memo_id=memo_id,
                                 memo_code=code, memo_before=before))
        memos = {k: v for k, v in {**item.memos, code: text.strip()}.items() if v}
        self.current = replace(item, memos=memos)

    def undo(self) -> str | None:
        """Withdraw the last step of this session and show its quote again.

        The withdrawn decisions leave the effective codings but stay in the audit log,
        together with a record of the undo. Returns what was undone, or None if nothing was left.
        """
        if not self._steps:
            return None
        step = self._steps.pop()
        if step.kind == "memo":
            write_memo(self.project, step.quote_id, step.memo_code, step.memo_before, coder=self.coder,
                       at=self._clock(), undoes=step.memo_id)
        else:
            undo_answer(self.project, step.recorded, coder=self.coder, at=self._clock())
            if step.recorded.review_id is not None:
                self._done.discard(step.quote_id)
                self._passed.discard(step.quote_id)
        self._skipped.discard(step.index)
        self._go(step.index)
        return step.description
