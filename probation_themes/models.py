"""Records shared by every layer: quotes, rejects, codings, runs, decisions.

These are plain pydantic models with no I/O. They validate themselves
(``extra="forbid"``) so a record that reaches the store or an export is whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Why an input row did not become a quote. Every rejected row carries one of these.
RejectReason = Literal[
    "empty_answer",  # every text column of the row is blank
    "unreadable_row",  # the row could not be parsed (bad JSON, ragged CSV, undecodable bytes)
    "duplicate_id",  # the row's --id-col value was already used by an earlier row
    "missing_id",  # --id-col is set but the row has no value there
    "no_quotes_found",  # --split quote found no attributed quotation in this passage
    "repeated_header",  # the row repeats the file's header row (files pasted together)
]

#: Where a coding came from.
Method = Literal["rules", "topics", "model", "all", "human", "import"]

#: The state of a coding once human decisions are applied to machine suggestions.
Status = Literal["suggested", "accepted", "rejected"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quote(_Record):
    """One codable passage of text: a whole answer, a paragraph, a sentence or a quotation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quote_id: str = Field(description="Stable id: '<response_id>:<question no.>.<passage no.>'.")
    response_id: str = Field(description="The respondent or document the quote came from.")
    text: str = Field(description="The passage, after encoding repair.")
    source: str = Field(description="File name the passage was read from.")
    row: int = Field(description="1-based row of the source (header is row 1; line for JSONL).")
    question: str | None = Field(default=None, description="Text column the answer came from.")
    position: int = Field(default=0, description="0-based index of the passage within its answer.")
    start: int = Field(default=0, description="Offset of the passage in the answer text.")
    end: int = Field(default=0, description="End offset (exclusive) of the passage in the answer.")
    region: str | None = Field(default=None, description="Canonical region, or the value as given.")
    org: str | None = Field(default=None, description="Legacy organisation: CRC, NPS, Other, or as given.")
    attributes: dict[str, str] = Field(default_factory=dict, description="Other --attr-col values.")


class Reject(_Record):
    """An input row that produced no quote, and why."""

    source: str
    row: int
    reason: RejectReason
    detail: str = ""
    raw: str | None = Field(default=None, description="The row as read, when it could be read.")


class IngestResult(_Record):
    """What one reader made of one file: quotes, rejects and what it noticed on the way.

    Invariant: ``rows_read == responses_with_quotes + len(rejects)``.
    """

    source: str
    quotes: list[Quote] = Field(default_factory=list)
    rejects: list[Reject] = Field(default_factory=list)
    rows_read: int = 0
    columns: list[str] = Field(default_factory=list, description="Columns found in the file.")
    encoding: str | None = Field(default=None, description="Encoding the file was decoded with.")
    repaired: int = Field(default=0, description="Text cells whose mojibake was repaired.")
    unknown_regions: dict[str, int] = Field(default_factory=dict)
    unknown_orgs: dict[str, int] = Field(default_factory=dict)

    @property
    def responses_with_quotes(self) -> int:
        """Number of input rows that produced at least one quote."""
        return len({(q.source, q.row) for q in self.quotes})


class Evidence(_Record):
    """Why a coding was made: a matched rule term, a topic weight or a model's top terms."""

    kind: Literal["rule", "topic", "model", "single_choice"] = "rule"
    rule: str | None = Field(default=None, description="any, all, near, regex (for kind=rule).")
    term: str = Field(description="The rule term as written, topic label or model feature.")
    text: str = Field(default="", description="The words of the quote that matched.")
    start: int | None = Field(default=None, description="Character offset in the quote text.")
    end: int | None = Field(default=None, description="End offset (exclusive) in the quote text.")
    weight: float | None = None
    negated: str | None = Field(
        default=None, description="For a match that did not count: the words from the negation cue to it."
    )
    countered: str | None = Field(
        default=None, description="For a match that did not count: the strongly charged words against it."
    )


#: How evidence is stored: compact JSON, keys in field order, fields that are None left out.
_EVIDENCE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def evidence_json(evidence: Sequence[Evidence]) -> str:
    """The stored form of a coding's evidence (see :func:`rule_evidence_json` for the same without models)."""
    # Reading the fields directly (they come in model order, so the output is
    # deterministic) is several times faster than model_dump for 10^5 codings.
    return _EVIDENCE_ENCODER.encode([{k: v for k, v in e.__dict__.items() if v is not None} for e in evidence])


def evidence_item_json(fields: dict[str, object]) -> str:
    """One evidence item's stored form, given its fields that are not None in model order.

    A list of these joined by commas inside brackets is what :func:`evidence_json` gives.
    """
    return _EVIDENCE_ENCODER.encode(fields)


def rule_evidence_json(text: str, matches: Sequence[tuple[str, str, int, int]]) -> str:
    """The stored form of rule evidence given as (rule, term, start, end) matches in ``text``.

    Byte for byte what :func:`evidence_json` gives for the same matches as
    :class:`Evidence` records, without building them: a million quotes' rule
    codings are encoded this way in the coder's worker processes.
    """
    return _EVIDENCE_ENCODER.encode(
        [{"kind": "rule", "rule": rule, "term": term, "text": text[s:e], "start": s, "end": e}
         for rule, term, s, e in matches]
    )


def blocked_evidence(text: str, match: Sequence | dict) -> Evidence:
    """A rule match that negation or stance set aside, as evidence with its words read from ``text``.

    ``match`` is ``(rule, term, start, end, "negated" | "countered", cues)`` as the
    rule coder gives it, or the stored form ``{"rule", "term", "start", "end",
    "negated": [a, b]}`` / ``{…, "countered": [[a, b], …]}``. ``negated`` holds the
    words from the negation cue to the term ("no sign of any positives"),
    ``countered`` the strongly charged words against it ("chaotic, stressful").
    """
    if isinstance(match, dict):
        rule, term, s, e = match["rule"], match["term"], match["start"], match["end"]
        why = "negated" if "negated" in match else "countered"
        cues = [match["negated"]] if why == "negated" else list(match["countered"])
    else:
        rule, term, s, e, why, cues = match
    fields: dict[str, Any] = {"kind": "rule", "rule": rule, "term": term, "text": text[s:e], "start": s, "end": e}
    if why == "negated":
        a, b = cues[0]
        fields["negated"] = text[min(a, s) : max(b, e)]
    else:
        fields["countered"] = ", ".join(text[a:b] for a, b in cues)
    return Evidence(**fields)


class Coding(_Record):
    """A code applied (or suggested) to a quote, with its evidence and provenance."""

    quote_id: str
    code: str
    method: Method
    status: Status = "suggested"
    coder: str | None = Field(default=None, description="Person who decided; None for a machine.")
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    run_id: int | None = None
    decided_at: datetime | None = None


class Decision(_Record):
    """A human decision about one code on one quote; the audit log is a list of these."""

    quote_id: str
    code: str
    decision: Literal["accept", "reject"]
    coder: str
    decided_at: datetime
    suggestion_method: str | None = None
    memo: str | None = None


class Run(_Record):
    """One command that changed a project, recorded so every result can be reproduced."""

    run_id: int | None = None
    command: str
    method: str | None = None
    coder: str | None = Field(default=None, description="Registered coder name, e.g. rules.v1.")
    parameters: dict[str, Any] = Field(default_factory=dict)
    codebook_name: str | None = None
    codebook_version: str | None = None
    codebook_hash: str | None = None
    input_hash: str | None = None
    versions: dict[str, str] = Field(default_factory=dict)
    started_at: datetime
    finished_at: datetime | None = None
    status: Literal["running", "done", "failed"] = "running"


class WorkingCoding(_Record):
    """What a report, export or table counts: human decisions over the suggestions of named methods.

    Every figure the toolkit shows comes from one working coding, and says which: the
    methods whose suggestions count, the ``code`` runs that wrote them (with their
    codebooks and dates), the status filter, and the human decisions applied.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    methods: tuple[str, ...] = Field(description="Methods whose suggestions count, e.g. ('rules',).")
    chosen_by: Literal["latest code run", "asked", "no code run"] = Field(
        description="How the methods were chosen: the method of the latest `code` run, or named with --method."
    )
    runs: tuple[Run, ...] = Field(
        default=(), description="The `code` runs whose suggestions are counted, newest first."
    )
    status: str = Field(default="default", description="Which codings count: default, suggested, accepted, ...")
    accepted: int = Field(default=0, description="Human decisions in force that accept a code.")
    rejected: int = Field(default=0, description="Human decisions in force that reject a code.")
    last_decision_at: datetime | None = Field(default=None, description="When the latest decision was made.")


class Snapshot(_Record):
    """Everything an exporter needs from a project, read in one go.

    ``codings`` holds effective codings: machine suggestions with human decisions
    applied, filtered by the status the caller asked for.
    """

    project: str
    quotes: list[Quote]
    codings: list[Coding]
    working: WorkingCoding | None = Field(default=None, description="What the codings count, for headers.")
