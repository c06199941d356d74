"""Tests for the rule coder: term expansion, matching semantics, evidence and parallel runs."""

from __future__ import annotations

import random
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probation_themes.codebook import Codebook
from probation_themes.coding import engine as engine_module
from probation_themes.coding import workers as workers_module
from probation_themes.coding import rules as rules_module
from probation_themes.coding.lemmas import inflections
from probation_themes.coding.rules import (
    RulesCoder,
    confidence,
    phrase_matcher_baseline,
    tokenizer_baseline,
    unmatched_terms,
)
from probation_themes.coding.terms import WHITESPACE, compact, expand_term, normalise, to_original
from probation_themes.errors import CoderError
from probation_themes.models import Coding, Quote


def make_codebook(**rules_by_code: dict) -> Codebook:
    codes = [
        {"id": code_id, "label": code_id.title(), "definition": f"About {code_id}.", "rules": rules}
        for code_id, rules in rules_by_code.items()
    ]
    return Codebook.model_validate({"name": "Test", "version": "1.0.0", "codes": codes})


def make_quotes(texts: list[str]) -> list[Quote]:
    return [
        Quote(quote_id=f"r{i}:1.0", response_id=f"r{i}", text=t, source="test.csv", row=i + 2)
        for i, t in enumerate(texts)
    ]


_FITTED: dict[tuple, RulesCoder] = {}


def fitted(lemmas: bool = True, **rules_by_code: dict) -> RulesCoder:
    key = (lemmas, repr(rules_by_code))
    if key not in _FITTED:
        _FITTED[key] = RulesCoder(n_jobs=1, lemmas=lemmas).fit(make_codebook(**rules_by_code))
    return _FITTED[key]


def matched(rules: dict, text: str, lemmas: bool = True) -> list[str]:
    """The evidence texts for code 'c' on one text ([] when the code does not fire)."""
    codings = fitted(lemmas, c=rules).predict(make_quotes([text]))
    return [e.text for c in codings for e in c.evidence]


def check_evidence(quotes: list[Quote], codings: list[Coding]) -> None:
    by_id = {q.quote_id: q for q in quotes}
    for coding in codings:
        text = by_id[coding.quote_id].text
        for e in coding.evidence:
            assert text[e.start : e.end] == e.text


# -- term expansion ----------------------------------------------------------


def test_inflections_follow_the_lemma_table():
    assert set(inflections("caseload")) == {"caseload", "caseloads"}
    assert set(inflections("laptop")) == {"laptop", "laptops"}
    assert set(inflections("stressed")) == {"stress", "stresses", "stressed", "stressing"}
    # "stressful" is its own lemma in the table, so it is not a form of "stress".
    assert "stressful" not in inflections("stress")
    assert inflections("stressful") == ("stressful",)
    assert inflections("caseload")[0] == "caseload"


def test_irregular_lemma_collisions_are_not_followed():
    assert "leave" not in inflections("left")
    assert "left" not in inflections("leave")
    assert "well" not in inflections("better") and "well" not in inflections("good")
    assert inflections("was") == ("was",)
    assert {"is", "was", "were"} <= set(inflections("be"))
    # A word that heads its own family stays in it.
    assert set(inflections("number")) == {"number", "numbers", "numbered", "numbering"}
    assert set(inflections("building")) == {"building", "buildings"}
    # Inside a phrase a function word stays as written.
    assert inflections("be", alone=False) == ("be",)


def test_expand_term_phrases_wildcards_and_punctuation():
    forms = {f.key for f in expand_term("high caseload")}
    assert {"high caseload", "high caseloads", "higher caseloads"} <= forms
    (wild,) = expand_term("overwhelm*")
    assert wild.key == "overwhelm" and wild.wildcard
    assert {f.key for f in expand_term("part-time")} >= {"part time"}
    assert {f.key for f in expand_term("can’t cope")} >= {"can't cope"}
    assert expand_term(" - ") == []
    assert {f.key for f in expand_term("caseloads", lemmas=False)} == {"caseloads"}


def test_phrase_expansion_is_capped():
    forms = expand_term("train stress target pay meet work")
    assert 1 <= len(forms) <= 64
    assert any(f.key == "train stress target pay meet work" for f in forms)


# -- text normalisation ------------------------------------------------------


def test_whitespace_table_lists_every_space_character():
    every = "".join(chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace())
    assert set(every) == set(WHITESPACE)


@given(st.text())
def test_normalise_never_changes_length(text):
    assert len(normalise(text)) == len(text)


@given(st.text(alphabet=st.sampled_from("ab -\n\t—")))
def test_compact_maps_every_character_back(text):
    s, breaks = compact(normalise(text))
    assert "  " not in s
    if breaks is None:
        assert s == normalise(text)
        return
    original = normalise(text)
    for i, ch in enumerate(s):
        assert original[to_original(i, breaks)] == ch


# -- matching semantics ------------------------------------------------------


def test_inflected_forms_match():
    assert matched({"any": ["caseload"]}, "Our Caseloads are huge") == ["Caseloads"]
    assert matched({"any": ["laptop"]}, "two laptops broke") == ["laptops"]
    assert matched({"any": ["stressed"]}, "stressing about stress") == ["stressing", "stress"]
    assert matched({"any": ["stress"]}, "a stressful year") == []
    assert matched({"any": ["caseload"]}, "Our caseloads", lemmas=False) == []


def test_wildcards_run_to_the_end_of_the_word():
    rules = {"any": ["overwhelm*"]}
    assert matched(rules, "Overwhelming, overwhelmed; overwhelm.") == [
        "Overwhelming",
        "overwhelmed",
        "overwhelm",
    ]
    assert matched(rules, "underwhelmed") == []
    assert matched({"any": ["pay*"]}, "repayment of payments") == ["payments"]


def test_wildcard_inside_a_phrase():
    rules = {"any": ["overwhelm* by work"]}
    assert matched(rules, "I was overwhelmed by work.") == ["overwhelmed by work"]
    assert matched(rules, "overwhelmed by workmen") == []
    assert matched(rules, "overwhelmed by the work") == []


def test_phrases_match_across_hyphens_newlines_and_double_spaces():
    rules = {"any": ["high caseload"]}
    texts = ["high-caseload", "High\ncaseloads", "high  caseloads", "high – caseload"]
    texts.append("high\u00a0caseload")
    for text in texts:
        assert matched(rules, text) == [text], text
    assert matched(rules, "x  high  caseloads now") == ["high  caseloads"]
    assert matched(rules, "high, caseload") == []


def test_matching_ignores_case():
    assert matched({"any": ["IT system*"]}, "the it SYSTEMS crashed") == ["it SYSTEMS"]
    assert matched({"any": ["nDelius"]}, "NDELIUS again") == ["NDELIUS"]


def test_curly_and_straight_apostrophes_are_equal():
    assert matched({"any": ["can't cope"]}, "I can’t cope") == ["can’t cope"]
    assert matched({"any": ["can’t cope"]}, "I can't cope") == ["can't cope"]


def test_terms_match_whole_words_only():
    rules = {"any": ["ict"]}
    assert matched(rules, "strict rules predict dictionary") == []
    assert matched(rules, "ICT, (ict) and ict2") == ["ICT", "ict"]
    assert matched({"any": ["pay"]}, "repay the payday loan") == []
    assert matched({"any": ["pay"]}, "pay's late") == ["pay"]


def test_all_needs_every_term():
    rules = {"all": ["pay", "grade"]}
    assert matched(rules, "my pay is fine") == []
    codings = fitted(c=rules).predict(make_quotes(["pay and grade; pay again"]))
    (coding,) = codings
    assert [(e.rule, e.term, e.text) for e in coding.evidence] == [
        ("all", "pay", "pay"),
        ("all", "grade", "grade"),
        ("all", "pay", "pay"),
    ]


def test_near_in_either_order_within_the_distance():
    rules3 = {"near": [["training", "time", 3]]}
    rules4 = {"near": [["training", "time", 4]]}
    text = "training took all my time"  # time begins 4 words after training
    assert matched(rules3, text) == []
    assert matched(rules4, text) == ["training", "time"]
    assert matched(rules3, "little time for training") == ["time", "training"]
    assert matched(rules3, "time") == []
    (coding,) = fitted(c=rules4).predict(make_quotes([text]))
    assert {e.rule for e in coding.evidence} == {"near"}


def test_near_counts_hyphenated_parts_as_words():
    rules = {"near": [["workload", "unmanageable", 2]]}
    assert matched(rules, "workload is now-unmanageable") == []
    assert matched(rules, "workload is unmanageable") == ["workload", "unmanageable"]


def test_none_terms_suppress_the_code():
    rules = {"any": ["caseload"], "regex": [r"oasys"], "none": ["no caseload"]}
    assert matched(rules, "caseload and OASys") == ["caseload", "OASys"]
    assert matched(rules, "I have no caseload yet, OASys is fine") == []


def test_regex_matches_the_original_text_case_insensitively():
    codings = fitted(c={"regex": [r"n\s*delius"]}).predict(make_quotes(["nDelius and N Delius"]))
    (coding,) = codings
    assert [(e.rule, e.term, e.text, e.start) for e in coding.evidence] == [
        ("regex", r"n\s*delius", "nDelius", 0),
        ("regex", r"n\s*delius", "N Delius", 12),
    ]


def test_unicode_whose_lower_case_is_longer():
    text = "İİ caseloads and İCT kit"
    assert "İ".lower() != "i" and len("İ".lower()) == 2
    quotes = make_quotes([text])
    codings = fitted(c={"any": ["caseload", "ict"]}).predict(quotes)
    check_evidence(quotes, codings)
    assert [e.text for e in codings[0].evidence] == ["caseloads", "İCT"]


def test_confidence_grows_with_distinct_terms():
    coder = fitted(c={"any": ["caseload", "workload", "toil"]})
    texts = ["caseload caseload", "caseload and workload", "caseload, workload, TOIL"]
    got = [c.confidence for c in coder.predict(make_quotes(texts))]
    assert got == [confidence(1), confidence(2), confidence(3)] == [0.6, 0.84, 0.936]


def test_codings_come_in_quote_then_codebook_order_and_repeat_exactly():
    coder = RulesCoder(n_jobs=1).fit(
        make_codebook(workload={"any": ["caseload"]}, ict={"any": ["laptop"]}, pay={"any": ["pay"]})
    )
    quotes = make_quotes(["laptop pay caseload", "nothing", "pay then laptop"])
    codings = coder.predict(quotes)
    assert [(c.quote_id, c.code) for c in codings] == [
        ("r0:1.0", "workload"),
        ("r0:1.0", "ict"),
        ("r0:1.0", "pay"),
        ("r2:1.0", "ict"),
        ("r2:1.0", "pay"),
    ]
    assert {(c.method, c.status, c.run_id) for c in codings} == {("rules", "suggested", None)}
    assert [c.model_dump() for c in coder.predict(quotes)] == [c.model_dump() for c in codings]


# -- evidence offsets (property) ---------------------------------------------

_TERMS = ["caseload", "high caseload", "overwhelm*", "ict", "can't cope", "part-time"]
_INSERTS = ["Caseloads", "HIGH  caseload", "high-caseloads", "overwhelming", "ICT"]
_INSERTS += ["can’t cope", "part – time"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(
        st.one_of(st.text(max_size=12), st.sampled_from(_INSERTS)), min_size=1, max_size=12
    )
)
def test_every_evidence_slice_equals_its_text(pieces):
    text = " ".join(pieces)
    quotes = make_quotes([text])
    coder = fitted(c={"any": _TERMS, "near": [["ict", "caseload", 3]], "regex": [r"cope|time"]})
    codings = coder.predict(quotes)
    check_evidence(quotes, codings)
    for coding in codings:
        starts = [(e.start, e.end) for e in coding.evidence]
        assert starts == sorted(starts)


# -- term counts -------------------------------------------------------------


def test_term_counts_cover_every_term_and_unmatched_terms_lists_zeros():
    coder = RulesCoder(n_jobs=1).fit(
        make_codebook(
            workload={"any": ["caseload", "toil"], "none": ["no caseload"]},
            ict={"all": ["laptop", "broken"], "near": [["it", "support", 2]], "regex": ["nDelius"]},
        )
    )
    scan = coder.scan(make_quotes(["caseload laptop", "no caseload", "laptop IT support", "x"]))
    assert scan.term_counts == {
        ("workload", "any", "caseload"): 2,
        ("workload", "any", "toil"): 0,
        ("workload", "none", "no caseload"): 1,
        ("ict", "all", "laptop"): 2,
        ("ict", "all", "broken"): 0,
        ("ict", "near", "it"): 1,
        ("ict", "near", "support"): 1,
        ("ict", "regex", "nDelius"): 0,
    }
    assert unmatched_terms(scan.term_counts) == [
        ("workload", "any", "toil"),
        ("ict", "all", "broken"),
        ("ict", "regex", "nDelius"),
    ]
    fired = [(c.quote_id, c.code) for c in scan.codings]
    assert fired == [("r0:1.0", "workload"), ("r2:1.0", "ict")]


# -- errors --------------------------------------------------------------------


def test_predict_before_fit_says_to_fit():
    with pytest.raises(CoderError, match="fit"):
        RulesCoder().predict(make_quotes(["caseload"]))


def test_codebook_without_rules_is_refused():
    bare = {"id": "a", "label": "A", "definition": "No rules here."}
    codebook = Codebook.model_validate({"name": "Bare", "version": "1.0.0", "codes": [bare]})
    with pytest.raises(CoderError, match="code --method rules"):
        RulesCoder().fit(codebook)


def test_term_without_letters_is_refused_when_the_codebook_is_validated():
    # Caught by `codebook validate`, not only later by `code`.
    from probation_themes.codebook import validate_codebook
    from probation_themes.errors import CodebookError

    data = {"name": "t", "version": "1.0.0",
            "codes": [{"id": "pay", "label": "Pay", "definition": "d", "rules": {"any": ["pay", "-"]}}]}
    with pytest.raises(CodebookError, match=r"codes -> 0 \(pay\) -> rules -> any -> 1: term '-' has no letters"):
        validate_codebook(data)


@pytest.mark.parametrize("params", [{"n_jobs": 0}, {"n_jobs": "2"}, {"batch_size": 0}])
def test_bad_parameters_are_refused_at_fit(params):
    with pytest.raises(CoderError):
        RulesCoder(**params).fit(make_codebook(pay={"any": ["pay"]}))


def test_fit_needs_a_codebook():
    with pytest.raises(CoderError, match="Codebook"):
        RulesCoder().fit({"codes": []})  # type: ignore[arg-type]


# -- parallel runs -------------------------------------------------------------

_VOCAB = (
    "the a and my our we is was were not too very much more time team staff work people "
    "manager office day week still feel new it"
).split()
_CONTENT = "caseload workload laptop ICT overwhelmed pay grade training stress TOIL office".split()


def generated_texts(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        words = [
            rng.choice(_CONTENT) if rng.random() < 0.08 else rng.choice(_VOCAB)
            for _ in range(rng.randint(10, 60))
        ]
        text = " ".join(words)
        if rng.random() < 0.1:
            text = text.replace(" ", "  ", 2) + " — it’s İ fine"
        texts.append(text)
    return texts


_PARALLEL_RULES = dict(
    workload={"any": ["caseload", "overwhelm*", "toil"], "none": ["no time"]},
    ict={"any": ["laptop", "ict"], "near": [["it", "laptop", 3]]},
    pay_grading={"all": ["pay", "grade"], "regex": [r"\bgrad\w+"]},
    wellbeing={"any": ["stressed"]},
)


def spy_on_workers(monkeypatch) -> list[int]:
    """Record the number of worker processes each parallel run asks for."""
    calls: list[int] = []
    real = RulesCoder._scan_parallel

    def spy(self, texts, jobs):
        calls.append(jobs)
        return real(self, texts, jobs)

    monkeypatch.setattr(RulesCoder, "_scan_parallel", spy)
    return calls


def test_two_processes_give_exactly_the_single_process_result(monkeypatch):
    calls = spy_on_workers(monkeypatch)
    quotes = make_quotes(generated_texts(12_000))
    codebook = make_codebook(**_PARALLEL_RULES)
    one = RulesCoder(n_jobs=1).fit(codebook).scan(quotes)
    two = RulesCoder(n_jobs=2, batch_size=1000).fit(codebook).scan(quotes)
    assert calls == [2]
    assert len(one.codings) > 1000
    assert [c.model_dump() for c in two.codings] == [c.model_dump() for c in one.codings]
    assert two.term_counts == one.term_counts
    check_evidence(quotes, one.codings[:2000])


def test_spawned_workers_give_the_same_result(monkeypatch):
    monkeypatch.setattr(rules_module, "PARALLEL_MIN_QUOTES", 10)
    monkeypatch.setattr(workers_module, "_start_method", lambda: "spawn")
    calls = spy_on_workers(monkeypatch)
    quotes = make_quotes(generated_texts(300, seed=5))
    codebook = make_codebook(**_PARALLEL_RULES)
    one = RulesCoder(n_jobs=1).fit(codebook).predict(quotes)
    # Spawned workers import the module afresh, so only matching done in this
    # process (the fallback when workers cannot start) is seen here.
    in_parent: list[int] = []
    real_scan = engine_module._Engine.scan_full  # what scan and scan_rows both go through
    monkeypatch.setattr(
        engine_module._Engine, "scan_full", lambda self, *a: in_parent.append(1) or real_scan(self, *a)
    )
    two = RulesCoder(n_jobs=2, batch_size=50).fit(codebook).predict(quotes)
    assert calls == [2] and in_parent == []
    assert [c.model_dump() for c in two] == [c.model_dump() for c in one]


# -- spaCy baselines -------------------------------------------------------------


def test_spacy_baselines_count_matches_and_tokens():
    codebook = make_codebook(c={"any": ["caseload", "high caseload", "overwhelm*"]})
    texts = ["High caseloads and a caseload.", "overwhelmed"]
    # caseloads, high caseloads, caseload; wildcard terms are not in the baseline.
    assert phrase_matcher_baseline(texts, codebook) == 3
    assert tokenizer_baseline(["a b c", "d"]) == 4


def test_batches_add_up_to_the_whole_scan_and_can_interleave(monkeypatch):
    monkeypatch.setattr(rules_module, "PARALLEL_MIN_QUOTES", 10)
    quotes = make_quotes(generated_texts(400, seed=9))
    codebook = make_codebook(**_PARALLEL_RULES)
    whole = RulesCoder(n_jobs=1).fit(codebook).scan(quotes)
    laptops = make_codebook(c={"any": ["laptop"]})
    expected_inner = RulesCoder(n_jobs=1).fit(laptops).predict(quotes[:50])
    inner = RulesCoder(n_jobs=2, batch_size=20).fit(laptops)
    codings, counts, batches = [], dict.fromkeys(whole.term_counts, 0), 0
    for batch in RulesCoder(n_jobs=2, batch_size=60).fit(codebook).iter_scan(quotes):
        if not batches:
            # A second parallel run while the first is open must neither block nor mix results.
            assert inner.predict(quotes[:50]) == expected_inner
        batches += 1
        codings.extend(batch.codings)
        for key, n in batch.term_counts.items():
            counts[key] += n
    assert batches > 1 and expected_inner
    assert [c.model_dump() for c in codings] == [c.model_dump() for c in whole.codings]
    assert counts == whole.term_counts


def _failing_initializer(engine) -> None:
    raise RuntimeError("worker cannot start")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("caseload", ((("caseload", False),),)),
        (r"\bband ?[1-7]\b", ((("band", False),),)),
        (r"foo|bar", ((("foo", False), ("bar", False)),)),
        (r"\b(?:n[ -]?delius|oasys)\b", ((("delius", False), ("oasys", False)),)),
        (r"(?-i:\bIT\b)", ((("IT", True),),)),
        (r"\bit[ -](?:support|team)", ((("it", False),), (("support", False), ("team", False)))),
        (r"x?yz+", None),
        (r"\d+%", ((("%", False),),)),
        (r"\b(?:1[1-9][0-9]|[2-9][0-9]{2}) ?(?:%|per ?cent)", ((("%", False), ("cent", False)),)),
        (r"\d+ ", None),
        (r"(?:a|b)c", None),
        (r"(unbalanced", None),
    ],
)
def test_regex_gates_name_words_every_match_contains(pattern, expected):
    from probation_themes.coding.engine import required_literals

    assert required_literals(pattern) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdeITit DELiusOAS-pr%cn", max_size=40))
def test_regex_gates_never_skip_a_text_the_regex_matches(text):
    import re

    from probation_themes.coding.engine import required_literals

    patterns = (r"\bband ?[1-7]\b", r"(?-i:\bIT\b)", r"(?:%|per ?cent)", r"\b(?:n[ -]?delius|oasys)\b", r"a(?:bc|de)+",
                r"\bit[ -](?:support|team|pr)")
    for pattern in patterns:
        gate = required_literals(pattern)
        if re.search(pattern, text, re.IGNORECASE):
            assert gate is None or all(
                any(w in (text if exact else text.casefold()) for w, exact in group) for group in gate
            )


def test_a_term_found_only_inside_another_match_does_not_raise_confidence():
    book = Codebook.model_validate({"name": "t", "version": "1.0.0", "codes": [
        {"id": "workload", "label": "W", "definition": "d", "rules": {"any": ["high caseload", "caseload", "workload"]}}]})
    coder = RulesCoder(n_jobs=1).fit(book)
    texts = ["My high caseloads are bad", "caseloads and workload", "high caseloads and workload too"]
    quotes = [Quote(quote_id=f"q{i}", response_id=f"r{i}", text=t, source="s", row=i + 2) for i, t in enumerate(texts)]
    assert [c.confidence for c in coder.predict(quotes)] == [0.6, 0.84, 0.84]


def _as_rows(codings: list[Coding]) -> list[tuple]:
    from probation_themes.models import evidence_json

    return [(c.quote_id, c.code, c.confidence, evidence_json(c.evidence)) for c in codings]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_rows_are_the_scans_codings_as_the_store_keeps_them(monkeypatch, n_jobs):
    monkeypatch.setattr(rules_module, "PARALLEL_MIN_QUOTES", 10)
    quotes = make_quotes(generated_texts(300, seed=5))
    quotes.append(Quote(quote_id="u:1.0", response_id="u", text="Ünïcode “IT” — laptop broken, nDelius \"quoted\"",
                        source="test.csv", row=400))
    codebook = make_codebook(**_PARALLEL_RULES)
    whole = RulesCoder(n_jobs=1).fit(codebook).scan(quotes)
    coder = RulesCoder(n_jobs=n_jobs).fit(codebook)
    # Batches of uneven size, cut again into chunks of 7: one chunk per CodedRows, in order.
    batches = [quotes[:50], quotes[50:51], quotes[51:]]
    parts = list(coder.iter_rows(batches, chunk_size=7))
    assert [q.quote_id for p in parts for q in p.quotes] == [q.quote_id for q in quotes]
    assert all(len(p.quotes) <= 7 for p in parts)
    assert [row for p in parts for row in p.rows] == _as_rows(whole.codings)
    coded = [p.quotes[i].quote_id for p in parts for i in p.coded]
    assert coded == list(dict.fromkeys(c.quote_id for c in whole.codings))
    counts = dict.fromkeys(whole.term_counts, 0)
    for p in parts:
        for key, n in p.term_counts.items():
            counts[key] += n
    assert counts == whole.term_counts


def test_workers_that_cannot_start_fall_back_to_this_process(monkeypatch):
    monkeypatch.setattr(rules_module, "PARALLEL_MIN_QUOTES", 10)
    monkeypatch.setattr(workers_module, "_init_worker", _failing_initializer)
    quotes = make_quotes(generated_texts(200, seed=11))
    codebook = make_codebook(**_PARALLEL_RULES)
    one = RulesCoder(n_jobs=1).fit(codebook).scan(quotes)
    two = RulesCoder(n_jobs=2, batch_size=40).fit(codebook).scan(quotes)
    assert [c.model_dump() for c in two.codings] == [c.model_dump() for c in one.codings]
    assert two.term_counts == one.term_counts
    # The same for the rows of a whole run (one pool for every chunk).
    parts = RulesCoder(n_jobs=2).fit(codebook).iter_rows([quotes], chunk_size=10)
    assert [row for p in parts for row in p.rows] == _as_rows(one.codings)


def test_rows_need_quotes_and_a_whole_chunk_size():
    coder = RulesCoder(n_jobs=1).fit(make_codebook(c={"any": ["laptop"]}))
    with pytest.raises(CoderError, match="Quote records"):
        list(coder.iter_rows([["laptop"]]))
    with pytest.raises(CoderError, match="chunk_size=0"):
        list(coder.iter_rows([make_quotes(["laptop"])], chunk_size=0))


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ([("any", "a", 0, 3), ("any", "a", 5, 8)], 1),  # one term twice
        ([("any", "a", 0, 3), ("any", "b", 5, 8)], 2),  # apart
        ([("any", "ab", 0, 6), ("any", "b", 3, 6)], 1),  # b only inside ab
        ([("any", "a", 0, 3), ("any", "b", 0, 3)], 1),  # the same words under two terms
        ([("any", "ab", 0, 6), ("any", "b", 3, 6), ("any", "b", 8, 9)], 2),  # b also on its own
    ],
)
def test_independent_terms_fast_paths_agree_with_the_full_count(evidence, expected):
    assert engine_module._independent_terms(evidence) == expected
