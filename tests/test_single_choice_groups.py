"""Single-choice groups: the codebook settings, their checks, the resolver and the round trips."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from probation_themes.codebook import (
    Codebook,
    SingleChoiceGroup,
    codebook_from_csv,
    codebook_from_yaml,
    codebook_to_csv,
    convert_codebook,
    dump_codebook_yaml,
    load_codebook,
    save_codebook,
)
from probation_themes.coding.exclusive import enforce, enforce_rows, pick
from probation_themes.errors import CodebookError
from probation_themes.models import Coding, evidence_json


def _code(cid: str, parent: str | None = None, **extra) -> dict:
    return {"id": cid, "label": cid.title(), "definition": f"About {cid}.", "parent": parent, **extra}


def _book(codes: list[dict], **extra) -> Codebook:
    return Codebook(name="t", version="1.0.0", codes=codes, **extra)


def _tree() -> list[dict]:
    return [_code("a"), _code("a1", "a"), _code("a2", "a"), _code("a3", "a"), _code("b"), _code("c")]


def _locs(exc: ValidationError) -> dict[tuple, str]:
    return {tuple(e["loc"]): e["msg"] for e in exc.errors()}


def test_exclusive_settings_become_groups_in_codebook_order() -> None:
    codes = _tree()
    codes[0]["exclusive"] = "exactly_one"
    book = _book(codes, exclusive_groups=[{"name": "colour", "codes": ["c", "b"]}])
    assert book.single_choice_groups() == [
        SingleChoiceGroup("children of a", ("a1", "a2", "a3"), True),
        SingleChoiceGroup("colour", ("b", "c"), False),
    ]
    assert _book(_tree()).single_choice_groups() == []


@pytest.mark.parametrize("value, expected", [
    (True, "at_most_one"), ("true", "at_most_one"), ("at_most_one", "at_most_one"),
    ("exactly-one", "exactly_one"), ("Exactly one", "exactly_one"), (False, None), ("no", None),
])
def test_exclusive_values(value, expected) -> None:
    book = _book([_code("a", exclusive=value), _code("b", "a"), _code("c", "a")])
    assert book.codes[0].exclusive == expected
    groups = book.single_choice_groups()
    assert bool(groups) == bool(expected)
    if groups:
        assert groups[0].exactly_one == (expected == "exactly_one")


def test_top_level_and_parent_groups() -> None:
    book = _book(_tree() + [_code("b1", "b"), _code("b2", "b")], exclusive=True,
                 exclusive_groups=[{"parent": "b", "choose": "exactly_one"}])
    assert book.single_choice_groups() == [
        SingleChoiceGroup("top-level codes", ("a", "b", "c"), False),
        SingleChoiceGroup("children of b", ("b1", "b2"), True),
    ]


def test_bad_groups_are_refused_with_the_place_named() -> None:
    with pytest.raises(ValidationError) as caught:
        _book(_tree(), exclusive_groups=[
            {"codes": ["b", "foo"]}, {"parent": "nope"}, {"codes": ["c"]}, {"codes": ["a1", "b"]}, {"parent": "a"},
        ])
    locs = _locs(caught.value)
    assert "'foo' is not the id of a code" in locs[("exclusive_groups", 0, "codes", 1)]
    assert "'nope' is not the id of a code" in locs[("exclusive_groups", 1, "parent")]
    assert "two or more codes" in locs[("exclusive_groups", 2, "codes")]
    assert "already in the single-choice group 'group 4'" in locs[("exclusive_groups", 4)]


def test_a_code_with_one_child_a_parent_without_children_or_a_bad_value_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        _book([_code("a", exclusive=True), _code("b", "a")])
    assert "fewer than two children" in _locs(caught.value)[("codes", 0, "exclusive")]
    with pytest.raises(ValidationError) as caught:
        _book(_tree(), exclusive_groups=[{"parent": "b"}])
    assert "'b' has fewer than two children" in _locs(caught.value)[("exclusive_groups", 0, "parent")]
    with pytest.raises(ValidationError) as caught:
        _book([_code("a", exclusive="maybe"), _code("b", "a"), _code("c", "a")])
    assert "exactly_one" in _locs(caught.value)[("codes", 0, "exclusive")]
    with pytest.raises(ValidationError) as caught:
        _book(_tree(), exclusive_groups=[{"codes": ["b", "c"], "parent": "a"}])
    assert "not both" in str(caught.value)


def test_codebook_validate_names_the_place(tmp_path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(dump_codebook_yaml(_book(_tree())).replace(
        "codes:\n", "exclusive_groups:\n  - name: tone\n    codes: [b, nope]\ncodes:\n", 1), encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    message = str(caught.value)
    assert "exclusive_groups" in message and "'nope' is not the id of a code" in message


def test_old_codebooks_keep_their_hash() -> None:
    plain = _book(_tree())
    dumped = plain.model_dump(mode="json")
    assert "exclusive" in dumped
    marked = _book(_tree(), exclusive=True)
    assert marked.content_hash() != plain.content_hash()
    import hashlib
    import json

    for code in dumped["codes"]:
        del code["exclusive"]
    del dumped["exclusive"], dumped["exclusive_groups"]
    old = hashlib.sha256(json.dumps(dumped, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert plain.content_hash() == old


GROUP = SingleChoiceGroup("g", ("a", "b", "c"), False)


def test_pick_highest_wins_ties_in_group_order() -> None:
    assert pick({"c": 0.9, "a": 0.2, "x": 1.0}, GROUP) == ("c", [("a", 0.2)])
    assert pick({"c": 0.5, "b": 0.5, "a": 0.1}, GROUP) == ("b", [("c", 0.5), ("a", 0.1)])
    assert pick({"c": 0.5, "a": 0.5, "b": 0.5}, GROUP) == ("a", [("b", 0.5), ("c", 0.5)])
    assert pick({"x": 0.5}, GROUP) == (None, [])


def _c(code: str, conf: float | None, quote: str = "q1", **extra) -> Coding:
    return Coding(quote_id=quote, code=code, method="rules", confidence=conf, **extra)


def test_enforce_keeps_the_winner_and_names_the_losers() -> None:
    out = enforce([_c("c", 0.3), _c("b", 0.41), _c("a", 0.41), _c("z", 0.9), _c("b", 0.2, "q2")], [GROUP])
    assert [(c.quote_id, c.code) for c in out] == [("q1", "a"), ("q1", "z"), ("q2", "b")]
    note = out[0].evidence[-1]
    assert (note.kind, note.term, note.text) == ("single_choice", "g", "chosen over: b (0.41), c (0.30)")
    assert out[2].evidence == []
    again = enforce([_c("a", 0.41), _c("z", 0.9), _c("c", 0.3), _c("b", 0.41)], [GROUP])
    assert [c.code for c in again] == ["a", "z"]
    assert enforce([_c("a", 0.1), _c("b", 0.2)], []) == [_c("a", 0.1), _c("b", 0.2)]


def test_enforce_never_drops_human_decisions() -> None:
    accepted = dict(status="accepted", coder="ann")
    out = enforce([_c("a", 0.9), _c("b", None, **accepted), _c("c", None, **accepted)], [GROUP])
    assert sorted(c.code for c in out) == ["b", "c"]
    out = enforce([_c("a", 0.9), _c("b", 0.2, **accepted)], [GROUP])
    assert [c.code for c in out] == ["b"]


def test_enforce_rows_matches_enforce() -> None:
    codings = [_c("c", 0.3), _c("b", 0.41), _c("a", None), _c("z", 0.9)]
    rows = [(c.quote_id, c.code, c.confidence, evidence_json(c.evidence)) for c in codings]
    kept, lost = enforce_rows(rows, [GROUP])
    expected = enforce(codings, [GROUP])
    assert [(r[0], r[1], r[3]) for r in kept] == [
        (c.quote_id, c.code, evidence_json(c.evidence)) for c in expected]
    assert lost == {"g": 2}
    assert "chosen over: b (0.41), c (0.30)" in kept[0][3]


def _rich() -> Codebook:
    codes = _tree() + [_code("d", "c"), _code("e", "c"), _code("f", "b"), _code("g", "b")]
    codes[0]["exclusive"] = "exactly_one"
    return _book(codes, exclusive=True, exclusive_groups=[
        {"name": "tone: mixed", "codes": ["d", "f"], "choose": "exactly_one"}, {"codes": ["e", "g"]},
    ])


def _with_parent_group() -> Codebook:
    return _book(_tree() + [_code("f", "b"), _code("g", "b")],
                 exclusive_groups=[{"name": "stage", "parent": "b", "choose": "exactly_one"}])


@pytest.mark.parametrize("make", [_rich, _with_parent_group])
def test_yaml_and_csv_round_trip(make) -> None:
    book = make()
    assert codebook_from_yaml(dump_codebook_yaml(book)) == book
    assert codebook_from_csv(codebook_to_csv(book)) == book


@pytest.mark.parametrize("make", [_rich, _with_parent_group])
def test_qdc_round_trip_keeps_the_groups(make, tmp_path) -> None:
    book = make()
    save_codebook(book, tmp_path / "book.qdc")
    assert "Single choice" in (tmp_path / "book.qdc").read_text(encoding="utf-8")
    # A .qdc nests children under their parent, so codes (and a group's codes) come in tree order.
    def same(groups):
        return [(g.name, frozenset(g.codes), g.exactly_one) for g in groups]

    back = load_codebook(tmp_path / "book.qdc")
    assert same(back.single_choice_groups()) == same(book.single_choice_groups())
    convert_codebook(tmp_path / "book.qdc", tmp_path / "again.yaml")
    assert same(load_codebook(tmp_path / "again.yaml").single_choice_groups()) == same(book.single_choice_groups())


def test_one_line_descriptions_carry_the_groups() -> None:
    from probation_themes.codebook.qdc import choice_lines, fold_description_line, unfold_description

    book = _rich()
    line = fold_description_line(book.get("a"), choice_lines(book, book.get("a")))
    assert "\n" not in line and "Single choice among its children: exactly one" in line
    fields = unfold_description(line)
    assert fields["exclusive"] == "exactly_one" and fields["definition"] == "About a."


def test_csv_group_errors_name_the_row() -> None:
    text = codebook_to_csv(_rich()).replace("d | f", "d | zz")
    with pytest.raises(CodebookError) as caught:
        codebook_from_csv(text)
    assert "'zz' is not the id of a code" in str(caught.value)
