"""``code --method all``: one suggestion per quote and code from the rule, model and topic coders."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from probation_themes.coding.topics import THRESHOLD as TOPIC_THRESHOLD
from probation_themes.models import Coding

__all__ = ["ALL_TOPIC_THRESHOLD", "combine_all"]

#: In ``code --method all``, smallest share of a quote a code's seeded topic must make up
#: for a topic suggestion to be added where the rules are silent (see combine_all): the
#: topic coder's own threshold, so ``all`` adds only codes ``--method topics`` gives too.
ALL_TOPIC_THRESHOLD = TOPIC_THRESHOLD


def combine_all(
    quote_ids: Sequence[str],
    rule_codings: Sequence[Coding],
    model_codings: Sequence[Coding],
    trained_codes: Sequence[str],
    codes: Sequence[str],
    *,
    topic_codings: Sequence[Coding] = (),
    topic_threshold: float = ALL_TOPIC_THRESHOLD,
    blocked: Collection[tuple[str, str]] = (),
    set_aside: Callable[[str, str, list[tuple[int, int]]], bool] | None = None,
) -> list[Coding]:
    """Merge rule, model and topic suggestions into one ``all`` suggestion per quote and code.

    The rule, code by code:

    1. For a code the model was trained for, the model decides — the code is
       suggested when the model's calibrated probability reaches its threshold
       (0.5 by default), and that probability is the confidence. The model
       already uses "the rules fired" as one of its features, weighted by how
       often the rules agreed with the person's coding, so counting the rules
       again would count them twice.
    2. For any other code, the rules decide where they fire, with the rule
       coder's confidence (a strength-of-evidence score, not a probability).
       Rules are written by the researcher and are precise where they fire.
    3. Where the rules are silent, a topic suggestion is added only when two
       independent signals agree: the code's seeded topic makes up at least
       ``topic_threshold`` of the quote (by default the topic coder's own
       threshold, 0.3 — about five times the share of an average topic), *and*
       at least one of the code's seed words occurs in the quote, so every added
       code can be traced to a word the researcher chose. Its confidence is the
       topic's share. Topics thus add what rules miss (quotes that speak of the
       theme in the seed words' company but not in the rules' phrases) without
       diluting what the rules found; a topic alone, without a seed word, never
       adds a code. Nor does a topic add a code the rules found evidence against:
       not where the code's rule matches were all negated or countered
       (``blocked``), nor where every seed word found sits inside a negation or
       among strongly opposite words by the rule coder's own reading
       (``set_aside``, e.g. :meth:`RulesCoder.sets_aside`).

    The evidence of an ``all`` suggestion is the deciding coder's, and for a
    model decision also the rule matches for the same quote and code, if any.

    Args:
        quote_ids: the quotes of the batch, in order (the order of the output).
        rule_codings: the rule coder's suggestions for those quotes.
        model_codings: the model's suggestions for those quotes.
        trained_codes: codes the model was trained for.
        codes: every code id, in codebook order (the order within a quote).
        topic_codings: the topic coder's suggestions for those quotes, if any.
        topic_threshold: smallest topic share for a topic suggestion to be added.
        blocked: ``(quote id, code)`` pairs whose rule matches negation or stance set aside.
        set_aside: ``(quote id, code, seed word spans) -> bool``: whether the rule coder
            would set every one of those words aside for that code.

    Returns:
        Suggestions with method ``all``, in quote order then codebook order.
    """
    position = {quote_id: i for i, quote_id in enumerate(quote_ids)}
    rank = {code_id: i for i, code_id in enumerate(codes)}
    trained = set(trained_codes)
    rules = {(c.quote_id, c.code): c for c in rule_codings}
    merged: list[tuple[int, int, Coding]] = []
    # Copies keep each suggestion's fields and change only the method (and evidence).
    for m in model_codings:
        fired = rules.get((m.quote_id, m.code))
        evidence = [*m.evidence, *fired.evidence] if fired else list(m.evidence)
        coding = m.model_copy(update={"method": "all", "evidence": evidence})
        merged.append((position[m.quote_id], rank[m.code], coding))
    for (quote_id, code_id), r in rules.items():
        if code_id not in trained:
            coding = r.model_copy(update={"method": "all", "evidence": list(r.evidence)})
            merged.append((position[quote_id], rank[code_id], coding))
    for t in topic_codings:
        key = (t.quote_id, t.code)
        if t.code in trained or key in rules or key in blocked or (t.confidence or 0.0) < topic_threshold:
            continue
        seeds = [e for e in t.evidence if e.kind == "topic" and e.rule == "seed"]
        spans = [(e.start, e.end) for e in seeds if e.start is not None and e.end is not None]
        if set_aside is not None and spans and set_aside(t.quote_id, t.code, spans):
            continue
        if seeds:
            coding = t.model_copy(update={"method": "all", "evidence": list(t.evidence)})
            merged.append((position[t.quote_id], rank[t.code], coding))
    merged.sort(key=lambda item: (item[0], item[1]))
    return [c for _, _, c in merged]
