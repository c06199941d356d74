"""One contract every registered coder keeps (scikit-learn's estimator conventions)."""

from __future__ import annotations

import inspect

import pytest

from probation_themes.codebook import Codebook
from probation_themes.coding import registry
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Quote

_TEXTS = [
    "My caseload is far too high and the workload is not manageable.",
    "The new laptop and the IT systems keep crashing; nDelius is slow.",
    "Pay and grading after job matching left me on a lower band.",
    "Induction was a flood of emails and e-learning with no time to absorb it.",
    "Stress and low morale across the team, several colleagues off sick.",
    "We still feel like two organisations: them and us, CRC and NPS.",
    "Glad to be back together; the transition was smooth and I am optimistic.",
    "The office is too small and there are not enough desks.",
] * 12

# The codes a person gave each of the texts above: the same labelled data for every coder.
_CODED = [{"workload"}, {"ict"}, set(), set(), {"wellbeing"}, set(), set(), set()] * 12


def _codebook() -> Codebook:
    return Codebook.model_validate(
        {
            "name": "Contract",
            "version": "1.0.0",
            "codes": [
                {
                    "id": "workload",
                    "label": "Workload",
                    "definition": "Caseloads and workload.",
                    "rules": {"any": ["caseload", "workload"]},
                    "seeds": ["caseload", "workload"],
                },
                {
                    "id": "ict",
                    "label": "ICT",
                    "definition": "IT systems and equipment.",
                    "rules": {"any": ["laptop", "IT system*", "ndelius"]},
                    "seeds": ["laptop", "system"],
                },
                {
                    "id": "wellbeing",
                    "label": "Wellbeing",
                    "definition": "Stress and morale.",
                    "rules": {"any": ["stress", "morale"]},
                    "seeds": ["stress", "morale"],
                },
            ],
        }
    )


def _quotes() -> list[Quote]:
    return [
        Quote(quote_id=f"r{i}:1.0", response_id=f"r{i}", text=t, source="contract.csv", row=i + 2)
        for i, t in enumerate(_TEXTS)
    ]


def _labels() -> dict[str, dict[str, int]]:
    codes = _codebook().ids
    return {q.quote_id: {c: int(c in coded) for c in codes} for q, coded in zip(_quotes(), _CODED)}


def _fit(coder, codebook: Codebook, quotes: list[Quote]):
    """Fit any coder: those that learn from people's codings take them as ``labels=``."""
    if "labels" in inspect.signature(coder.fit).parameters:
        return coder.fit(codebook, quotes, labels=_labels())
    return coder.fit(codebook, quotes)


@pytest.fixture(params=registry.names())
def coder_cls(request):
    return registry.get(request.param)


def test_registry_lists_the_rules_coder():
    assert "rules.v1" in registry.names()
    assert registry.default_for("rules") == "rules.v1"


def test_fit_returns_self(coder_cls):
    coder = coder_cls()
    assert _fit(coder, _codebook(), _quotes()) is coder


def test_predict_before_fit_says_to_fit(coder_cls):
    with pytest.raises(CoderError, match="fit"):
        coder_cls().predict(_quotes())


def test_init_stores_parameters_only(coder_cls):
    coder = coder_cls()
    assert not [name for name in vars(coder) if name.endswith("_")]
    assert set(vars(coder)) >= set(coder.get_params())


def test_params_round_trip(coder_cls):
    params = coder_cls().get_params()
    assert coder_cls(**params).get_params() == params
    other = coder_cls()
    assert other.set_params(**params) is other
    assert other.get_params() == params
    with pytest.raises(CoderError, match="no parameter"):
        other.set_params(not_a_parameter=1)


def test_same_input_gives_the_same_output(coder_cls):
    first = _fit(coder_cls(), _codebook(), _quotes()).predict(_quotes())
    second = _fit(coder_cls(), _codebook(), _quotes()).predict(_quotes())
    assert first, "the contract corpus should give every coder something to code"
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]


def test_output_codings_are_valid_records(coder_cls):
    codebook = _codebook()
    quotes = _quotes()
    codings = _fit(coder_cls(), codebook, quotes).predict(quotes)
    quote_ids = {q.quote_id for q in quotes}
    for coding in codings:
        assert isinstance(coding, Coding)
        assert Coding.model_validate(coding.model_dump()) == coding
        assert coding.method == coder_cls.method
        assert coding.status == "suggested"
        assert coding.quote_id in quote_ids
        assert coding.code in codebook.ids
        assert coding.confidence is None or 0.0 <= coding.confidence <= 1.0
