"""The contract every coder follows (scikit-learn's estimator conventions).

``__init__`` only stores parameters; ``fit(codebook, quotes)`` validates, builds
and returns ``self``; learned state ends in ``_``; ``predict(quotes)`` returns
suggested codings with evidence and confidence. ``get_params()`` is the record of
how a coding run was configured, stored with the run.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from probation_themes.codebook import Codebook
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Quote


#: (quote id, code id, confidence, evidence JSON): one suggestion as the store keeps it.
Row = tuple[str, str, "float | None", str]


@dataclass
class CodedRows:
    """What a coder found in one chunk of quotes, as rows ready for the store.

    Coders produce these in their worker processes for large projects, so no
    :class:`~probation_themes.models.Coding` record is built per suggestion.

    Attributes:
        quotes: the chunk's quotes, in order.
        rows: ``(quote id, code id, confidence, evidence JSON)`` per suggestion, in
            quote order then codebook order: the same suggestions, confidences and
            evidence (as :func:`probation_themes.models.evidence_json` encodes it)
            as the coder's codings.
        coded: positions in ``quotes`` of the quotes with at least one suggestion.
        term_counts: rule-term counts of this chunk (see ``RuleScan``); empty
            when the coder has no rules.
        blocked: ``(quote id, code id, None, matches JSON)`` per code whose rules
            matched a quote but did not fire because of negation or stance (see
            ``engine.blocked_json``); only the rules coder makes these.
        removed: ``{"negation": Counter, "stance": Counter, "negated_matches":
            Counter}``, each keyed by code id: codings removed by negation, by
            stance, and matches negation set aside.
    """

    quotes: Sequence[Any]
    rows: list[Row]
    coded: list[int]
    term_counts: dict[tuple[str, str, str], int]
    blocked: list[Row] = field(default_factory=list)
    removed: dict[str, Counter] = field(default_factory=dict)


def is_whole(value: object) -> bool:
    """True for a whole number (an int that is not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_workers(n_jobs: object, batch_size: object) -> None:
    """Raise CoderError unless ``n_jobs`` (None, -1 or ≥ 1) and ``batch_size`` (≥ 1) are usable."""
    if n_jobs is not None and not (is_whole(n_jobs) and (n_jobs >= 1 or n_jobs == -1)):
        raise CoderError(
            f"n_jobs={n_jobs!r} is not a number of processes: use a whole number of 1 or more, "
            "or None (or -1) for every CPU."
        )
    if not (is_whole(batch_size) and batch_size >= 1):
        raise CoderError(f"batch_size={batch_size!r} must be a whole number of 1 or more.")


class BaseCoder:
    """Base class: parameter handling and the fitted-state check."""

    #: Method recorded on the codings this coder writes (rules, topics, model).
    method: ClassVar[str] = ""
    #: Versioned registry name, e.g. ``rules.v1``; set by the registry decorator.
    registry_name: ClassVar[str] = ""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """Return the constructor parameters as given (a free record of the configuration)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> BaseCoder:
        """Change constructor parameters; the coder must be fitted again afterwards."""
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise CoderError(
                    f"{type(self).__name__} has no parameter {name!r}; "
                    f"valid parameters are: {', '.join(sorted(valid))}."
                )
            setattr(self, name, value)
        return self

    def _fitted_attributes(self) -> list[str]:
        return [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]

    def check_is_fitted(self) -> None:
        """Raise CoderError if ``fit`` has not been called."""
        if not self._fitted_attributes():
            raise CoderError(
                f"This {type(self).__name__} is not fitted yet. Call 'fit' with a codebook "
                "before using it to code quotes."
            )

    def fit(self, codebook: Codebook, quotes: Sequence[Quote] | None = None) -> BaseCoder:
        """Learn from the codebook (and, for statistical coders, the quotes); return self."""
        raise CoderError(f"{type(self).__name__} does not implement fit.")

    def predict(self, quotes: Sequence[Quote]) -> list[Coding]:
        """Return suggested codings (status 'suggested') for the quotes."""
        raise CoderError(f"{type(self).__name__} does not implement predict.")

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"
