"""Negation scope, stance on codes with a polarity, case folding and time on very long answers."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probation_themes.codebook import Codebook
from probation_themes.coding.cues import negation_cues, stance_words
from probation_themes.coding.rules import RulesCoder
from probation_themes.coding.terms import fold, unfold_span
from probation_themes.models import Quote


def book(**codes: dict) -> Codebook:
    """A codebook whose codes are given as ``id={field: value}`` (rules under "rules")."""
    return Codebook.model_validate({"name": "T", "version": "1.0.0", "codes": [
        {"id": cid, "label": cid, "definition": f"About {cid}.", **fields} for cid, fields in codes.items()
    ]})


def quotes(*texts: str) -> list[Quote]:
    return [Quote(quote_id=f"q{i}", response_id=f"r{i}", text=t, source="s", row=i + 2) for i, t in enumerate(texts)]


def codes_of(coder: RulesCoder, text: str) -> set[str]:
    return {c.code for c in coder.predict(quotes(text))}


@pytest.fixture(scope="module")
def positive() -> RulesCoder:
    return RulesCoder(n_jobs=1).fit(book(
        pos={"rules": {"any": ["welcoming", "smooth*", "positive*", "optimis*", "not manageable"]}},
        topic={"negation": False, "rules": {"any": ["laptop"]}},
    ))


# -- negation ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The transition was not smooth.",
    "It hasn't been smooth at all",
    "It hasnt been smooth",  # typed without the apostrophe
    "Nobody was welcoming.",
    "It has been chaotic, with no sign of any positives in the near future.",
    "I am far from optimistic",
    "Hardly welcoming, to be honest",
    "Very little has been smooth since June.",
    "I don’t think it has been a smooth process",  # curly apostrophe
])
def test_a_term_in_a_negation_scope_does_not_count(positive, text):
    assert "pos" not in codes_of(positive, text)


@pytest.mark.parametrize("text", [
    "Not ideal, but the team was welcoming.",  # the scope ends at the comma and at "but"
    "It was not only smooth but welcoming.",  # a pseudo-cue
    "No problems: the move was smooth.",
    "I couldn't be more optimistic.",
    "No issues and a smooth handover",
    "There was no time to prepare but everyone was welcoming",
    "I did not expect much. In the end it was smooth.",  # a new sentence
    "Nothing to report on the IT side; it went on to be a very smooth transition overall",
])
def test_a_term_outside_any_scope_still_counts(positive, text):
    assert "pos" in codes_of(positive, text)


def test_the_scope_is_a_small_window_of_words(positive):
    assert "pos" in codes_of(positive, "Nobody told us anything at all about it yet it went smoothly")
    assert "pos" in codes_of(positive, "There was no induction for any of us in the first weeks and it was smooth")


def test_a_term_that_contains_its_negation_still_matches(positive):
    [coding] = positive.predict(quotes("My caseload is not manageable."))
    assert coding.code == "pos" and [e.text for e in coding.evidence] == ["not manageable"]


def test_negation_can_be_turned_off_per_code_and_per_run(positive):
    assert codes_of(positive, "I have no laptop") == {"topic"}
    coder = RulesCoder(n_jobs=1, negation=False).fit(book(pos={"rules": {"any": ["smooth*"]}}))
    assert codes_of(coder, "It was not smooth") == {"pos"}


def test_ignore_negation_exempts_one_term_of_a_code():
    coder = RulesCoder(n_jobs=1).fit(book(divide={"rules": {
        "near": [["crc", "recogni*", 6], ["crc", "stigma", 6]], "ignore_negation": ["recogni*"],
    }}))
    assert codes_of(coder, "CRC skills were not recognised") == {"divide"}
    assert codes_of(coder, "There is no stigma about the CRC") == set()


def test_negated_matches_are_recorded_with_the_words_that_negated_them(positive):
    text = "My experience has been chaotic and stressful, with no sign of any positives in the near future."
    scan = positive.scan(quotes(text))
    assert not scan.codings
    [blocked] = scan.blocked
    assert blocked.code == "pos"
    [evidence] = blocked.evidence
    assert evidence.negated == "no sign of any positives"
    assert text[evidence.start:evidence.end] == evidence.text == "positives"
    assert scan.negation_removed == {"pos": 1} and scan.negated_matches == {"pos": 1}


def test_a_code_that_fires_on_other_words_keeps_only_them(positive):
    scan = positive.scan(quotes("Not welcoming at first, but the handover was smooth."))
    [coding] = scan.codings
    assert [e.text for e in coding.evidence] == ["smooth"]
    assert not scan.blocked and scan.negated_matches == {"pos": 1} and not scan.negation_removed


def test_none_terms_are_not_negated():
    coder = RulesCoder(n_jobs=1).fit(book(pay={"rules": {"any": ["pay"], "none": ["pay attention"]}}))
    assert codes_of(coder, "Nobody would pay attention to the pay errors") == set()


def test_the_cue_lists_are_readable_data():
    cues = negation_cues()
    for word in ("no", "not", "never", "without", "nothing", "don't", "lack of", "hardly", "far from"):
        assert word in cues.before, word
    assert "not only" in cues.pseudo and "but" in cues.terminators and cues.window >= 4
    stance = stance_words()
    assert {"chaotic", "stressful"} & set(stance.negative) or "chaotic*" in stance.negative
    assert "but" in stance.contrast and stance.positive


# -- stance ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def leaning() -> RulesCoder:
    return RulesCoder(n_jobs=1).fit(book(
        positive_outlook={"polarity": "positive", "rules": {"any": ["wonderful", "one service", "smooth*"]}},
        divide={"polarity": "negative", "rules": {"near": [["crc", "nps", 5]]}},
        neutral={"rules": {"any": ["one service"]}},
    ))


def test_a_positive_code_among_strongly_negative_words_is_not_suggested(leaning):
    text = "A so-called wonderful one service: chaotic, stressful and awful."
    scan = leaning.scan(quotes(text))
    assert {c.code for c in scan.codings} == {"neutral"}  # a code without polarity is unaffected
    [blocked] = [b for b in scan.blocked if b.code == "positive_outlook"]
    assert {e.text for e in blocked.evidence} == {"wonderful", "one service"}
    assert "chaotic" in blocked.evidence[0].countered
    assert scan.stance_removed == {"positive_outlook": 1}


def test_stance_is_judged_per_clause_and_needs_a_majority(leaning):
    # "but" starts a new clause; one positive word against one negative does not counter
    assert "positive_outlook" in codes_of(leaning, "It was stressful, but I am glad we are one service")
    assert "positive_outlook" in codes_of(leaning, "A great and stressful move to one service")
    assert "positive_outlook" in codes_of(leaning, "It was not awful: a smooth move")  # negated stance word


def test_a_negative_code_among_strong_praise_is_not_suggested(leaning):
    assert "divide" not in codes_of(leaning, "CRC and NPS colleagues have been brilliant and welcoming")
    assert "divide" in codes_of(leaning, "CRC and NPS staff still sit apart")


def test_some_matches_countered_lowers_the_confidence(leaning):
    [strong] = [c for c in leaning.predict(quotes("A wonderful smooth start.")) if c.code == "positive_outlook"]
    [weak] = [c for c in leaning.predict(quotes("A smooth start. Wonderful, shambolic, chaotic mess!"))
              if c.code == "positive_outlook"]
    assert [e.text for e in weak.evidence] == ["smooth"]
    assert weak.confidence < strong.confidence


# -- case folding (casefold + NFKC) -------------------------------------------------------

def test_sharp_s_ligatures_and_full_width_letters_match_with_offsets_into_the_stored_text():
    coder = RulesCoder(n_jobs=1).fit(book(
        a={"negation": False, "rules": {"any": ["straße", "efficient", "caseload", "café"]}},
    ))
    text = "STRASSE and Straße; an e\ufb03cient ＣＡＳＥＬＯＡＤ … cafe\u0301 and café"
    [coding] = coder.predict(quotes(text))
    got = [(e.term, text[e.start:e.end]) for e in coding.evidence]
    assert got == [("straße", "STRASSE"), ("straße", "Straße"), ("efficient", "e\ufb03cient"),
                   ("caseload", "ＣＡＳＥＬＯＡＤ"), ("café", "cafe\u0301"), ("café", "café")]
    for e in coding.evidence:
        assert text[e.start:e.end] == e.text


def test_regexes_fold_case_fully():
    coder = RulesCoder(n_jobs=1).fit(book(a={"rules": {"regex": ["straße"]}}))
    [coding] = coder.predict(quotes("the STRASSE"))
    assert coding.evidence[0].text == "STRASSE"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aßﬃİ…ＡéÉ\u0301 -x'’\n")), max_size=40))
def test_fold_maps_every_span_back_inside_the_text(text):
    folded, units = fold(text)
    if units is None:
        assert len(folded) == len(text)
        return
    starts = [u[0] for u in units]
    for a in range(len(folded)):
        for b in range(a + 1, min(len(folded), a + 4) + 1):
            s, e = unfold_span(a, b, units, starts)
            assert 0 <= s < e <= len(text)


# -- time on very long answers ------------------------------------------------------------

def test_a_long_answer_codes_in_linear_time():
    """A 100,000-word answer full of near pairs took 126 s before; linear code takes about a second."""
    coder = RulesCoder(n_jobs=1).fit(book(
        a={"rules": {"near": [["training", "time", 8]], "any": ["caseload"]}},
        b={"polarity": "positive", "rules": {"any": ["smooth"], "near": [["crc", "nps", 5]]}},
    ))
    sentence = "training takes time and my caseload is not smooth, no crc or nps staff were happy but awful "
    text = sentence * (100_000 // len(sentence.split()))
    start = time.perf_counter()
    rows = coder.engine_.scan_rows(["q"], [text])
    elapsed = time.perf_counter() - start
    assert elapsed < 30, f"{elapsed:.1f} s: matching is no longer linear in the answer's length"
    evidence = json.loads(rows[0][0][3])
    assert len(evidence) > 10_000


# -- stored with the run ------------------------------------------------------------------

def test_blocked_matches_are_stored_replaced_with_each_run_and_dropped_by_redaction(tmp_path):
    from probation_themes.codebook import load_codebook
    from probation_themes.ingest import IngestOptions
    from probation_themes.ingest.redact import Redactor
    from probation_themes.store import Project
    from probation_themes.workflows.code import code_project
    from probation_themes.workflows.ingest import ingest_files
    from probation_themes.workflows.redact import redact_project

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    bundled = load_codebook(root / "codebooks" / "probation_unification.yaml")
    survey = tmp_path / "s.csv"
    survey.write_text("id,answer\n1,Email jane.doe@example.org: there has been no positive change.\n"
                      "2,It has not been smooth.\n", encoding="utf-8")
    with Project.open(tmp_path / "p.db") as proj:
        ingest_files(proj, [survey], IngestOptions(text_cols=["answer"], id_col="id"))
        report = code_project(proj, bundled, n_jobs=1)
        assert report.negation_removed == {"positive_outlook": 2}
        ids = [q.quote_id for q in proj.quotes()]
        stored = proj.blocked_matches(ids[1])["positive_outlook"]
        assert stored == [{"rule": "any", "term": "smooth*", "start": 16, "end": 22, "negated": [7, 10]}]
        raw = proj._db.execute("SELECT evidence FROM blocked_matches").fetchall()
        assert not any("jane" in r[0] or "has been" in r[0] for r in raw)  # offsets only, never words
        code_project(proj, bundled, n_jobs=1, full=True)
        assert proj._db.execute("SELECT COUNT(*) FROM blocked_matches").fetchone()[0] == 2
        redact_project(proj, Redactor())
        assert set(proj._db.execute("SELECT quote_id FROM blocked_matches").fetchall()) == {(ids[1],)}
