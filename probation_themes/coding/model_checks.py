"""Checks of the learned coder's options and of the labels it is given."""

from __future__ import annotations

from collections.abc import Mapping

from probation_themes.codebook import Codebook
from probation_themes.coding.base import check_workers, is_whole
from probation_themes.coding.model_decide import SET_DECISION, THRESHOLD_DECISION
from probation_themes.errors import CoderError


#: The text representations the model offers beyond TF-IDF (``representation``).
REPRESENTATIONS = ("lsa", "none")

#: How the model may choose a quote's codes from their probabilities (``decision``).
DECISIONS = (SET_DECISION, THRESHOLD_DECISION)


class CheckMixin:
    """Option and label checks of :class:`~probation_themes.coding.model.ModelCoder`."""

    def _check_params(self) -> None:
        if not (is_whole(self.min_positives) and self.min_positives >= 2):
            raise CoderError(
                f"min_positives={self.min_positives!r} must be a whole number of 2 or more: "
                "calibration needs at least two quotes with a code and two without."
            )
        ngrams = self.ngram_range
        if not (
            isinstance(ngrams, (tuple, list))
            and len(ngrams) == 2
            and all(is_whole(n) for n in ngrams)
            and 1 <= ngrams[0] <= ngrams[1]
        ):
            raise CoderError(
                f"ngram_range={ngrams!r} must be two whole numbers (shortest, longest) with "
                "1 <= shortest <= longest, e.g. (1, 2) for words and word pairs."
            )
        if isinstance(self.C, bool) or not isinstance(self.C, (int, float)) or not self.C > 0:
            raise CoderError(f"C={self.C!r} must be a positive number (10 is a good start).")
        if self.calibration not in ("sigmoid", "isotonic"):
            raise CoderError(
                f"calibration={self.calibration!r} is not a calibration method; use 'sigmoid' "
                "(Platt scaling) or 'isotonic'."
            )
        if self.thresholds not in ("cv", "fixed"):
            raise CoderError(
                f"thresholds={self.thresholds!r} is not a way to set thresholds; use 'cv' (each "
                "code's threshold chosen by cross-validation) or 'fixed' (``threshold`` for every code)."
            )
        if self.decision not in DECISIONS:
            raise CoderError(
                f"decision={self.decision!r} is not a way to choose a quote's codes; use 'set' (the quote's "
                "likeliest set of codes) or 'threshold' (each code where it reaches its threshold)."
            )
        mp = self.min_precision
        if mp is not None and (isinstance(mp, bool) or not isinstance(mp, (int, float)) or not 0 < mp < 1):
            raise CoderError(f"min_precision={mp!r} must be a precision between 0 and 1, e.g. 0.8, or None.")
        for name in ("use_rules", "use_topics", "char_ngrams", "at_least_one"):
            if not isinstance(getattr(self, name), bool):
                raise CoderError(f"{name}={getattr(self, name)!r} must be True or False.")
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t < 1:
            raise CoderError(f"threshold={t!r} must be a probability between 0 and 1, e.g. 0.5.")
        check_workers(self.n_jobs, self.batch_size)
        if self.representation not in REPRESENTATIONS:
            raise CoderError(
                f"representation={self.representation!r} is not a text representation; use 'lsa' (word "
                "dimensions learned from the project's own text) or 'none' (TF-IDF words only)."
            )
        w = self.weak_labels
        number = isinstance(w, (int, float)) and not isinstance(w, bool)
        if w is not None and not isinstance(w, bool) and not (number and 0 < w <= 1):
            raise CoderError(
                f"weak_labels={w!r} must be the weight of a weak label from the rules, above 0 and at most 1 "
                "(0.2 by default; True gives that), or None or False for no weak labels."
            )

    def _check_labels(self, codebook: Codebook, labels: Mapping[str, Mapping[str, int]] | None) -> None:
        if not labels:
            raise CoderError(
                "The model coder learns from quotes a person has coded, and was given none: pass "
                "labels={quote_id: {code_id: 1 or 0}}. In a project, accept or reject suggestions "
                "in `review`, or import another coder's codings with `import-codings` and name "
                "them with --train-coder."
            )
        known = set(codebook.ids)
        for quote_id, coded in labels.items():
            for code_id, value in coded.items():
                if code_id not in known:
                    raise CoderError(
                        f"The labels of quote {quote_id!r} name code {code_id!r}, which is not in the "
                        f"codebook {codebook.name!r}; use one of: {', '.join(codebook.ids)}.",
                        code_id=code_id,
                    )
                if value not in (0, 1):
                    raise CoderError(
                        f"The label of quote {quote_id!r} for code {code_id!r} is {value!r}; use 1 "
                        "(the code applies) or 0 (it does not).",
                        code_id=code_id,
                    )
