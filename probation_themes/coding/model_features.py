"""The learned coder's features beyond the words: did a code's rules fire, and the quote's topics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from probation_themes.codebook import Codebook
from probation_themes.coding.model_types import TOPIC_WEIGHT, TextRef, TopicFeatures
from probation_themes.coding.rules import RulesCoder, TermKey
from probation_themes.errors import CoderError
from probation_themes.models import Coding


class FeatureMixin:
    """Rule and topic features of :class:`~probation_themes.coding.model.ModelCoder`."""

    def _topic_shares(self, refs: Sequence[TextRef], topics: TopicFeatures) -> list[tuple[int, int, float]]:
        """(row, topic, share) of the quotes' topics, checked against the topics the model knows."""
        n = len(self.topic_names_)
        found = topics.shares([r.quote_id for r in refs])
        shares = []
        for i, ref in enumerate(refs):
            for topic, share in found.get(ref.quote_id, ()):
                if not (isinstance(topic, (int, np.integer)) and not isinstance(topic, bool) and 0 <= topic < n):
                    raise CoderError(
                        f"Quote {ref.quote_id!r} has a share in topic {topic!r}, but {topics.source} has "
                        f"topics 0 to {n - 1}; the shares must come from the same topic model as the names."
                    )
                shares.append((i, int(topic), float(share)))
        return shares

    def _topic_matrix(self, n_rows: int, shares: Sequence[tuple[int, int, float]]) -> sp.csr_matrix:
        """One column per topic feature: TOPIC_WEIGHT where the topic reaches its threshold, else 0."""
        rows = [r for r, _, _ in shares]
        cols = [c for _, c, _ in shares]
        values = np.full(len(rows), TOPIC_WEIGHT)
        return sp.csr_matrix((values, (rows, cols)), shape=(n_rows, len(self.topic_names_)))

    def _check_topics(self, topics: TopicFeatures | None) -> TopicFeatures | None:
        """The topics to read when coding: those the model was trained with, else none."""
        if not getattr(self, "topic_names_", []):
            return None
        if topics is None:
            raise CoderError(
                f"This model was trained with topic features ({self.topic_source_}) and needs the "
                "quotes' shares in the same topics to code them: pass topics=… as given to fit, or "
                "train it with use_topics=False."
            )
        if topics.source != self.topic_source_ or list(topics.names) != self.topic_names_:
            raise CoderError(
                f"This model was trained with the topics of {self.topic_source_} and was given those "
                f"of {topics.source}; code with the topics it learned from, or train it again."
            )
        return topics

    def _fit_rules(self, codebook: Codebook) -> tuple[RulesCoder | None, list[str]]:
        with_rules = [c.id for c in codebook.codes if c.rules is not None and not c.rules.is_empty()]
        if not self.use_rules or not with_rules:
            return None, []
        return _rules_for(codebook), with_rules

    def _rule_features(
        self, refs: Sequence[TextRef], *, keep_codings: bool, fired: list[tuple[int, int]] | None = None
    ) -> tuple[sp.csr_matrix, list[Coding], dict[TermKey, int]]:
        """One column per code with rules: 1 where its rules fired; also the codings and term counts.

        ``fired`` gives the (row, column) pairs where the rules fired when they are
        already known (e.g. stored by a rules run); no term counts then.
        """
        shape = (len(refs), len(self.rule_codes_))
        if self.rules_ is None or not refs:
            return sp.csr_matrix(shape), [], {}
        if fired is not None and not keep_codings:
            rows, cols = [r for r, _ in fired], [c for _, c in fired]
            return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape), [], {}
        if not keep_codings:  # which codes fired is all that is needed: no records
            hits, term_seen, regex_seen = self.rules_.engine_.scan([r.text for r in refs], evidence=False)
            col_of_code = {code_id: j for j, code_id in enumerate(self.rule_codes_)}
            code_ids = self.rules_.engine_.code_ids
            rows = [h[0] for h in hits]
            cols = [col_of_code[code_ids[h[1]]] for h in hits]
            fired = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
            return fired, [], self.rules_._term_counts(term_seen, regex_seen)
        scan = self.rules_.scan(refs)
        row_of = {r.quote_id: i for i, r in enumerate(refs)}
        col_of = {code_id: j for j, code_id in enumerate(self.rule_codes_)}
        rows = [row_of[c.quote_id] for c in scan.codings]
        cols = [col_of[c.code] for c in scan.codings]
        fired = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
        return fired, scan.codings if keep_codings else [], scan.term_counts

    # -- coding --------------------------------------------------------------


_RULES_CACHE: dict[str, RulesCoder] = {}
_RULES_CACHE_SIZE = 4


def _rules_for(codebook: Codebook) -> RulesCoder:
    """The rule coder of a codebook, compiled once per codebook content."""
    key = codebook.content_hash()
    coder = _RULES_CACHE.get(key)
    if coder is None:
        # One process: the model spreads its own work over workers, and for short
        # texts matching is quicker than sending them to other processes.
        coder = RulesCoder(n_jobs=1).fit(codebook)
        if len(_RULES_CACHE) >= _RULES_CACHE_SIZE:
            _RULES_CACHE.pop(next(iter(_RULES_CACHE)))
        _RULES_CACHE[key] = coder
    return coder
