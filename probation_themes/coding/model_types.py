"""The records the learned coder passes around: topic features, shortfalls, chunks and scores."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from probation_themes.coding.base import Row
from probation_themes.coding.rules import TermKey
from probation_themes.coding.topics import shares_above
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Quote

#: Prefix of the feature (and evidence term) saying that a code's rules fired.
RULE_FEATURE = "rules:"

#: Value of a topic feature where the topic reaches its threshold in the quote: about the
#: TF-IDF value of one word of a 16-word quote, so a topic counts like a word, not like
#: many. At full weight (1, or the share) the topics swamped the words with few coded
#: examples and cost 1-2 F1 points on generated surveys; at 0.25 they gained 1.4-1.7
#: points with 100 coded quotes and a thin codebook (see docs/methods.md).
TOPIC_WEIGHT = 0.25

#: Share of quote -> topics: given quote ids, ``{quote id: [(topic, share), ...]}`` (absent: none).
ShareLookup = Callable[[Sequence[str]], Mapping[str, Iterable[tuple[int, float]]]]


@dataclass(frozen=True)
class TopicFeatures:
    """A topic model's shares of each quote, given to the model coder as features.

    The model learns one feature per topic (``TOPIC_WEIGHT`` where the topic
    reaches the topic model's threshold in the quote, else 0) and must be given
    the same topics when it codes, so they carry where they come from.

    Attributes:
        source: what fitted the topics, e.g. ``topics run 4``; a model trained on
            one source refuses shares from another.
        names: one name per topic, in topic order (``topic 3: caseload, hours, stress``);
            they are the feature names and the evidence terms.
        shares: given quote ids, ``{quote id: [(topic, share), ...]}`` for the
            topics above the threshold (a quote left out has none).
    """

    source: str
    names: tuple[str, ...]
    shares: ShareLookup

    @classmethod
    def from_matrix(
        cls, source: str, names: Sequence[str], quote_ids: Sequence[str], matrix: np.ndarray, threshold: float
    ) -> TopicFeatures:
        """Topic features from a (quotes × topics) share matrix, keeping shares from ``threshold``."""
        found: dict[str, list[tuple[int, float]]] = {}
        for quote_id, topic, share in shares_above(quote_ids, matrix, threshold):
            found.setdefault(quote_id, []).append((topic, share))
        return cls(source, tuple(names), lambda ids: {i: found[i] for i in ids if i in found})


class Shortfall(NamedTuple):
    """Why a code was not trained: the examples it had and how many more it needs.

    ``positives``/``needed_more`` count quotes with the code; ``negatives`` and
    ``needed_more_negatives`` count quotes labelled as not having it.
    """

    positives: int
    needed_more: int
    negatives: int = 0
    needed_more_negatives: int = 0


@dataclass
class ScoredBatch:
    """What the model made of one batch of quotes.

    Attributes:
        quotes: the quotes of the batch, in order, as they were given.
        codings: model suggestions (probability at or above the threshold), in
            quote order then codebook order.
        probabilities: one row per quote, one column per trained code
            (``ModelCoder.trained_codes_``): the calibrated probability.
        rule_codings: what the rule coder suggested for the same quotes, when
            asked for (``rule_codings=True``) and the model uses rules.
        combined: with ``rule_codings=True``, the ``all`` suggestions:
            :func:`combine_all` of the rule and model suggestions.
        term_counts: the rule coder's term counts for these quotes.
    """

    quotes: Sequence[Quote]
    codings: list[Coding]
    probabilities: np.ndarray
    rule_codings: list[Coding] = field(default_factory=list)
    combined: list[Coding] = field(default_factory=list)
    term_counts: dict[TermKey, int] = field(default_factory=dict)


class TextRef(NamedTuple):
    """The part of a quote the model reads (cheap to send to a worker process)."""

    quote_id: str
    text: str


class Chunk(NamedTuple):
    """A run of quotes scored together, and what to compute for them."""

    refs: list[TextRef]
    evidence: bool
    rule_codings: bool
    #: Also encode the suggestions as store rows (in the worker, where it costs the caller nothing).
    as_rows: bool = False
    #: Where the rules fired, when already known: (row in the chunk, rule feature column) pairs.
    fired: list[tuple[int, int]] | None = None
    #: With topic features: (row in the chunk, topic, share) of the topics above the threshold.
    topic_shares: list[tuple[int, int, float]] = []


class Scores(NamedTuple):
    """A chunk's scores as plain numbers, cheap to send back from a worker process.

    ``rows``/``cols`` are the (quote, trained code) pairs at or above the
    threshold; ``pair``/``feat``/``weight`` list each pair's evidence features;
    ``rules`` holds the rule codings as (quote id, code, confidence, evidence fields).
    """

    proba: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    pair: np.ndarray
    feat: np.ndarray
    weight: np.ndarray
    rules: list[tuple[str, str, float, list[dict[str, Any]]]]
    term_counts: dict[TermKey, int]
    #: With ``Chunk.as_rows``: the suggestions as store rows, and the positions of the quotes coded.
    store_rows: list[Row] = []
    coded: list[int] = []


def _refs(quotes: Sequence[Quote]) -> list[TextRef]:
    try:
        return [TextRef(q.quote_id, q.text) for q in quotes]
    except AttributeError:
        raise CoderError(
            "The model coder codes Quote records (probation_themes.models.Quote), not plain "
            "text; ingest the answers first or wrap each text in a Quote."
        ) from None
