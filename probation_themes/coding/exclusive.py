"""Single-choice groups applied to suggestions: at most one code of a group per quote.

Where a coder suggests two or more codes of one group (see
:meth:`probation_themes.codebook.Codebook.single_choice_groups`) for the same
quote, the one with the highest confidence stays (a suggestion without a
confidence counts as 1); ties go to the code that comes first in the codebook,
so the outcome never depends on the order suggestions arrive in. The code kept
carries one more evidence item, ``kind="single_choice"``, naming the group and
the codes that lost with their confidences: ``term`` is the group's name and
``text`` reads ``chosen over: pay (0.41), hours (0.38)``, so review and exports show why the others are missing.

Human decisions are never dropped here: a coder decides, and a group's rule is
checked on imported codings at import (see ``import-codings``).

``exactly_one`` groups are enforced as "at most one" by coders that cannot rank
every code of the group (rules and topics: they cannot invent a code nothing in
the quote points to); the learned model, which scores every code, also fills
the group with its most probable code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from probation_themes.codebook.groups import SingleChoiceGroup
from probation_themes.models import Coding, Evidence, evidence_item_json

__all__ = ["enforce", "enforce_counted", "enforce_rows", "lost_evidence", "pick"]


def pick(scores: Mapping[str, float], group: SingleChoiceGroup) -> tuple[str | None, list[tuple[str, float]]]:
    """The group's winner among the codes scored, and the losers (code, score), highest first.

    The highest score wins; equal scores go to the code that comes first in the group
    (codebook order). Codes of the group missing from ``scores`` take no part; with
    none present the winner is None.
    """
    present = [(code, float(scores[code]), i) for i, code in enumerate(group.codes) if code in scores]
    if not present:
        return None, []
    ranked = sorted(present, key=lambda item: (-item[1], item[2]))
    return ranked[0][0], [(code, score) for code, score, _ in ranked[1:]]


def _lost_text(losers: Sequence[tuple[str, float]]) -> str:
    return "chosen over: " + ", ".join(f"{code} ({score:.2f})" for code, score in losers)


def lost_evidence(group: SingleChoiceGroup, losers: Sequence[tuple[str, float]]) -> Evidence:
    """The evidence item a kept code carries: the group and the codes that lost, with their scores."""
    return Evidence(kind="single_choice", term=group.name, text=_lost_text(losers))


def _score(confidence: float | None) -> float:
    return 1.0 if confidence is None else float(confidence)


def enforce(codings: Iterable[Coding], groups: Sequence[SingleChoiceGroup]) -> list[Coding]:
    """The codings with at most one machine suggestion per quote and group; order otherwise kept.

    Codings decided by a person (status accepted/rejected or a coder named) are
    kept as they are, and where a person accepted a code of a group, machine
    suggestions of the group's other codes on that quote are dropped.
    """
    codings = list(codings)
    if not groups:
        return codings
    group_of = {code: g for g in groups for code in g.codes}
    by_key: dict[tuple[str, str], list[int]] = {}
    for index, coding in enumerate(codings):
        group = group_of.get(coding.code)
        if group is not None:
            by_key.setdefault((coding.quote_id, group.name), []).append(index)
    drop: set[int] = set()
    extra: dict[int, Evidence] = {}
    for (_quote, name), indices in by_key.items():
        if len(indices) < 2:
            continue
        group = next(g for g in groups if g.name == name)
        human = [i for i in indices if codings[i].coder is not None or codings[i].status != "suggested"]
        machine = [i for i in indices if i not in human]
        if any(codings[i].status == "accepted" for i in human):
            drop.update(machine)
            continue
        scores = {codings[i].code: _score(codings[i].confidence) for i in machine}
        winner, losers = pick(scores, group)
        if not losers:
            continue
        for i in machine:
            if codings[i].code == winner:
                extra[i] = lost_evidence(group, losers)
            else:
                drop.add(i)
    out = []
    for index, coding in enumerate(codings):
        if index in drop:
            continue
        if index in extra:
            coding = coding.model_copy(update={"evidence": [*coding.evidence, extra[index]]})
        out.append(coding)
    return out


def enforce_counted(codings: Iterable[Coding], groups: Sequence[SingleChoiceGroup]) -> tuple[list[Coding], Counter]:
    """:func:`enforce`, and per group name the number of codings it set aside."""
    codings = list(codings)
    kept = enforce(codings, groups)
    if len(kept) == len(codings):
        return kept, Counter()
    group_of = {code: g.name for g in groups for code in g.codes}
    left = Counter((c.quote_id, c.code, c.method) for c in kept)
    lost: Counter = Counter()
    for c in codings:
        key = (c.quote_id, c.code, c.method)
        if left[key]:
            left[key] -= 1
        else:
            lost[group_of[c.code]] += 1
    return kept, lost


Row = tuple[str, str, "float | None", str]


def enforce_rows(rows: Sequence[Row], groups: Sequence[SingleChoiceGroup]) -> tuple[list[Row], dict[str, int]]:
    """:func:`enforce` on store rows ``(quote id, code, confidence, evidence JSON)``.

    Returns the rows kept (in their order) and, per group name, how many suggestions were set aside.
    """
    if not groups:
        return list(rows), {}
    group_of = {code: g for g in groups for code in g.codes}
    by_key: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        group = group_of.get(row[1])
        if group is not None:
            by_key.setdefault((row[0], group.name), []).append(index)
    drop: set[int] = set()
    extra: dict[int, str] = {}
    removed: dict[str, int] = {}
    for (_quote, name), indices in by_key.items():
        if len(indices) < 2:
            continue
        group = group_of[rows[indices[0]][1]]
        winner, losers = pick({rows[i][1]: _score(rows[i][2]) for i in indices}, group)
        item = evidence_item_json({"kind": "single_choice", "term": group.name,
                                   "text": _lost_text(losers)})
        for i in indices:
            if rows[i][1] == winner:
                extra[i] = item
            else:
                drop.add(i)
        removed[name] = removed.get(name, 0) + len(indices) - 1
    kept: list[Row] = []
    for index, row in enumerate(rows):
        if index in drop:
            continue
        if index in extra:
            stored = row[3]
            evidence = stored[:-1] + ("," if stored != "[]" else "") + extra[index] + "]"
            row = (row[0], row[1], row[2], evidence)
        kept.append(row)
    return kept, removed
