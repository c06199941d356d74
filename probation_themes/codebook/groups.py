"""Single-choice groups: codes of which an answer takes at most one, or exactly one.

A codebook declares them three ways (see docs/codebook.md):

- ``exclusive: true`` (or ``at_most_one`` / ``exactly_one``) on a code: its children form a group;
- ``exclusive: …`` at the top of the codebook: the top-level codes (those without a parent) form one;
- ``exclusive_groups:``, a list of groups: ``{name, codes: [...], choose}``, or
  ``{name, parent: some_code, choose}`` for the children of a code.

A code belongs to one group at most. :func:`single_choice_groups` turns the
declarations into :class:`SingleChoiceGroup` values, in codebook order;
:mod:`probation_themes.coding.exclusive` applies them to suggestions.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = ["CHOICES", "ExclusiveGroup", "SingleChoiceGroup", "check_choice", "group_problems", "single_choice_groups"]

#: The two rules a group can follow.
CHOICES = ("at_most_one", "exactly_one")

_SPOKEN = {"at_most_one": "at most one", "exactly_one": "exactly one"}


def check_choice(value: object) -> str | None:
    """``true`` → ``at_most_one``; ``false``/blank → None; the two choices as written (spaces or hyphens allowed)."""
    if value is None or value is False:
        return None
    if value is True:
        return "at_most_one"
    if isinstance(value, str):
        word = "_".join(value.strip().lower().replace("-", " ").split())
        if word in ("true", "yes"):
            return "at_most_one"
        if word in ("", "false", "no"):
            return None
        if word in CHOICES:
            return word
    raise ValueError(
        f"{value!r} is not a single-choice rule: write true (at most one code of the group), "
        "at_most_one, exactly_one, or false"
    )


def _required_choice(value: object) -> str:
    choice = check_choice(value)
    if choice is None:
        raise ValueError("choose must be at_most_one or exactly_one (leave it out for at_most_one)")
    return choice


def spoken(choice: str) -> str:
    """``at most one`` / ``exactly one``."""
    return _SPOKEN[choice]


class ExclusiveGroup(BaseModel):
    """A group of codes (listed, or the children of a parent) of which an answer takes at most (or exactly) one."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="How reports and evidence name the group.")
    codes: list[str] | None = Field(default=None, description="Ids of the group's codes (two or more), or give parent.")
    parent: str | None = Field(default=None, description="Id of a code whose children form the group (instead of codes).")
    choose: Annotated[str, BeforeValidator(_required_choice)] = Field(
        default="at_most_one", description="at_most_one (default) or exactly_one."
    )

    @field_validator("codes", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @field_validator("parent")
    @classmethod
    def _parent(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    @model_validator(mode="after")
    def _codes_or_parent(self) -> ExclusiveGroup:
        if (self.codes is None) == (self.parent is None):
            raise ValueError(
                "a single-choice group lists its codes (codes: [a, b]) or names a parent code whose children "
                "form the group (parent: some_code): give one of the two, not both and not neither"
            )
        return self


class SingleChoiceGroup(NamedTuple):
    """Codes of which an answer takes at most one (``exactly_one``: exactly one), in codebook order."""

    name: str
    codes: tuple[str, ...]
    exactly_one: bool

    @property
    def rule(self) -> str:
        return "exactly one" if self.exactly_one else "at most one"


def _declared(codebook: Any) -> list[tuple[tuple, str, list[str], str]]:
    """(place, name, codes as declared, choice) of every group the codebook declares."""
    out: list[tuple[tuple, str, list[str], str]] = []
    if codebook.exclusive:
        out.append((("exclusive",), "top-level codes", [c.id for c in codebook.codes if c.parent is None],
                    codebook.exclusive))
    for index, code in enumerate(codebook.codes):
        if code.exclusive:
            out.append((("codes", index, "exclusive"), f"children of {code.id}",
                        [c.id for c in codebook.codes if c.parent == code.id], code.exclusive))
    for index, group in enumerate(codebook.exclusive_groups):
        if group.parent is not None:
            out.append((("exclusive_groups", index), group.name or f"children of {group.parent}",
                        [c.id for c in codebook.codes if c.parent == group.parent], group.choose))
        else:
            out.append((("exclusive_groups", index), group.name or f"group {index + 1}", list(group.codes or []),
                        group.choose))
    return out


def group_problems(codebook: Any) -> list[tuple[tuple, str]]:
    """(place, message) for every declaration that names no code, too few codes or codes already grouped."""
    known = {c.id for c in codebook.codes}
    problems: list[tuple[tuple, str]] = []
    owner: dict[str, str] = {}
    names: set[str] = set()
    for place, name, codes, _choice in _declared(codebook):
        if place[0] == "exclusive_groups":
            parent = codebook.exclusive_groups[place[1]].parent
            if parent is not None and parent not in known:
                problems.append(((*place, "parent"), f"{parent!r} is not the id of a code in this codebook; give "
                                 "the id of the code whose children form the group"))
                continue
            if name in names:
                problems.append(((*place, "name"), f"the name {name!r} is used by another single-choice group; "
                                 "give each group its own name"))
            bad = [c for c in codes if c not in known]
            for code in bad:
                problems.append(((*place, "codes", codes.index(code)),
                                 f"{code!r} is not the id of a code in this codebook; list the ids of codes "
                                 "written under codes (a typo, or a code that was renamed?)"))
            if bad:
                continue
        names.add(name)
        distinct = list(dict.fromkeys(codes))
        if len(distinct) < 2:
            what = {"exclusive": "the codebook has fewer than two top-level codes",
                    "codes": "this code has fewer than two children (codes whose parent is it)"}.get(
                        place[0], "a group needs two or more different codes")
            if place[0] == "exclusive_groups" and codebook.exclusive_groups[place[1]].parent is not None:
                what = f"the code {codebook.exclusive_groups[place[1]].parent!r} has fewer than two children"
                place = (*place, "parent")
            elif place[0] == "exclusive_groups":
                place = (*place, "codes")
            problems.append((place, f"a single-choice group needs two or more codes, but {what}; "
                             "add codes to it or remove the declaration"))
            continue
        for code in distinct:
            if code in owner:
                problems.append((place, f"code {code!r} is already in the single-choice group {owner[code]!r}; "
                                 "a code may belong to one group only"))
                break
        for code in distinct:
            owner.setdefault(code, name)
    return problems


def single_choice_groups(codebook: Any) -> list[SingleChoiceGroup]:
    """The codebook's single-choice groups, their codes in codebook order."""
    order = {c.id: i for i, c in enumerate(codebook.codes)}
    groups = []
    for _place, name, codes, choice in _declared(codebook):
        members = tuple(sorted(dict.fromkeys(c for c in codes if c in order), key=order.__getitem__))
        if len(members) >= 2:
            groups.append(SingleChoiceGroup(name, members, choice == "exactly_one"))
    return groups
