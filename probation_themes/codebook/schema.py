"""The codebook format (DESIGN §3) as pydantic models that validate themselves."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from probation_themes.codebook.groups import ExclusiveGroup, SingleChoiceGroup, check_choice, group_problems, single_choice_groups

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
#: Characters XML 1.0 cannot carry at all (so no .qdc, .qdpx or NVivo file could hold them):
#: C0 controls other than tab, line feed and carriage return, lone surrogates, U+FFFE and U+FFFF.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
# A rule term: words, spaces, hyphens, apostrophes, '&', '/', '.', digits; '*' only at a word's end.
_WILDCARD_MISPLACED = re.compile(r"\*(?=\w)|(?<!\w)\*")


def check_term(term: str) -> str:
    """Validate and tidy one rule term (word or phrase); raise ValueError saying how to fix it."""
    if not isinstance(term, str):
        raise ValueError("a rule term must be text")
    cleaned = " ".join(term.split())
    if not cleaned:
        raise ValueError("empty term: remove it or write a word or phrase")
    for open_, close in (('"', '"'), ("“", "”")):
        if open_ == close and cleaned.count(open_) % 2:
            raise ValueError(f"unbalanced quote in {term!r}: remove the quote marks")
        if open_ != close and cleaned.count(open_) != cleaned.count(close):
            raise ValueError(f"unbalanced quote in {term!r}: remove the quote marks")
    if cleaned.count("(") != cleaned.count(")") or cleaned.count("[") != cleaned.count("]"):
        raise ValueError(
            f"unbalanced bracket in {term!r}: rule terms are plain words; use `regex` for patterns"
        )
    if _WILDCARD_MISPLACED.search(cleaned):
        raise ValueError(
            f"'*' in {term!r} must end a word (e.g. 'overwhelm*'); use `regex` for other patterns"
        )
    if not any(ch.isalnum() for ch in cleaned):
        raise ValueError(
            f"term {term!r} has no letters or digits to match; write a word or phrase, "
            "or use `regex` for punctuation"
        )
    return cleaned


def check_term_or_none(text: str) -> str | None:
    """``text`` tidied as a rule term, or None when it is not a valid term."""
    try:
        return check_term(text)
    except ValueError:
        return None


def check_negation(value: object) -> bool:
    """Read a code's `negation` switch: true (the default) or false; yes/no and on/off as text too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("true", "yes", "on"):
            return True
        if word in ("false", "no", "off"):
            return False
    raise ValueError(
        f"negation must be true or false, not {value!r}: false stops negation cues (no, not, never …) "
        "from cancelling this code's matches; leave it out to keep the default (true)"
    )


def check_polarity(value: object) -> str | None:
    """Read a code's `polarity`: positive, negative, or nothing."""
    if value is None:
        return None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("positive", "negative"):
            return word
        if not word:
            return None
    raise ValueError(
        f"polarity must be positive or negative, not {value!r}: it says which way the code leans, so "
        "matches surrounded by strongly opposite words do not count; leave it out for a code about a topic"
    )


def check_distance(n: int) -> int:
    """Validate the word distance of a `near` pair."""
    if n < 1:
        raise ValueError(f"distance {n} must be 1 or more words")
    return n


def check_regex(pattern: str) -> str:
    """Validate one `regex` rule: it must compile and must not match empty text."""
    if not pattern.strip():
        raise ValueError("blank regular expression: remove it or write a pattern")
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    if re.match(pattern, ""):
        raise ValueError(f"regular expression {pattern!r} matches empty text; it would code every quote")
    if _nested_repeat(pattern):
        raise ValueError(
            f"regular expression {pattern!r} repeats a group that itself repeats with nothing fixed between, "
            "such as (a+)+ or (\\w+\\s?)*; "
            "such a pattern can take hours on one long answer. Rewrite it with a single repeat "
            "(for example \\w+(\\s\\w+)* becomes [\\w\\s]+) or use the any/all/near terms"
        )
    return pattern


def _nested_repeat(pattern: str) -> bool:
    """Whether an unbounded repeat holds another one with nothing fixed between them.

    That is the shape that backtracks catastrophically: ``(a+)+``, ``(\\w+\\s?)*``.

    Overlapping alternatives under a repeat, such as (a|aa)+, are the other shape; they are
    not caught here but are stopped by the rule coder's time limit on each match.
    """
    from re import _constants as sre  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None))

    def anchored(items) -> bool:
        # A body that must match some fixed character each time round cannot be split in
        # exponentially many ways: (\s+(?:very|so))* is safe, (\w+\s?)* is not.
        for op, av in items:
            if op is sre.LITERAL:
                return True
            if op is sre.SUBPATTERN and anchored(av[3]):
                return True
            if op is sre.BRANCH and all(anchored(branch) for branch in av[1]):
                return True
        return False

    def walk(items, inside: bool) -> bool:
        for op, av in items:
            if op in repeats:
                unbounded = av[1] is sre.MAXREPEAT or av[1] > 100
                if unbounded and inside:
                    return True
                if walk(av[2], inside or (unbounded and not anchored(av[2]))):
                    return True
            elif op is sre.SUBPATTERN:
                if walk(av[3], inside):
                    return True
            elif op is sre.BRANCH:
                if any(walk(branch, inside) for branch in av[1]):
                    return True
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                if walk(av[1], inside):
                    return True
        return False

    return walk(_parser.parse(pattern, re.IGNORECASE), False)


def check_entry(text: str) -> str:
    """Tidy one entry of a prose list (criteria, examples, seeds): strip it and refuse blanks."""
    text = text.strip()
    if not text:
        raise ValueError("empty entry: remove it or write some text")
    return text


# Validators sit on the item types (not on the lists) so an error's location ends in the item's index.
Term = Annotated[
    str,
    AfterValidator(check_term),
    Field(description="A word or phrase; '*' at a word's end matches any ending."),
]
Distance = Annotated[int, Field(strict=True), AfterValidator(check_distance)]
Pattern = Annotated[str, AfterValidator(check_regex)]
Entry = Annotated[str, AfterValidator(check_entry)]


class Rules(BaseModel):
    """What the rule coder matches for one code."""

    model_config = ConfigDict(extra="forbid")

    any: list[Term] = Field(default_factory=list, description="Fires if any term occurs.")
    all: list[Term] = Field(default_factory=list, description="Fires if every term occurs.")
    near: list[tuple[Term, Term, Distance]] = Field(
        default_factory=list, description="[a, b, N]: fires if a and b occur within N words."
    )
    none: list[Term] = Field(default_factory=list, description="If any occurs, the code does not fire.")
    regex: list[Pattern] = Field(default_factory=list, description="Case-insensitive regular expressions.")
    ignore_negation: list[Entry] = Field(
        default_factory=list,
        description="Terms (of any, all or near) and regex patterns of this code that count even inside a negation's scope.",
    )

    @field_validator("any", "all", "none", "regex", "ignore_negation", mode="before")
    @classmethod
    def _terms(cls, value: object) -> object:
        # A single term written without list brackets, or a key left empty, is what the user meant.
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("near", mode="before")
    @classmethod
    def _near(cls, value: object) -> object:
        return [] if value is None else value

    def is_empty(self) -> bool:
        """True when no rule would ever fire."""
        return not (self.any or self.all or self.near or self.regex)

    @model_validator(mode="after")
    def _exemptions_are_rules(self) -> Rules:
        known = {*self.any, *self.all, *(t for a, b, _ in self.near for t in (a, b)), *self.regex}
        problems = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "ignore_negation",
                    repr(entry).replace("{", "{{").replace("}", "}}")
                    + " is not one of this code's any, all or near terms or regex patterns; write it exactly "
                    "as it appears there (ignore_negation lists rules that count even when negated)",
                ),
                loc=("ignore_negation", j),
                input=entry,
            )
            for j, entry in enumerate(self.ignore_negation)
            if entry not in known and check_term_or_none(entry) not in known
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


class Code(BaseModel):
    """One code (theme) of a codebook."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="snake_case, unique, never reused.")
    label: str = Field(description="The heading used in reports.")
    parent: str | None = Field(default=None, description="Id of a parent code.")
    definition: str = Field(description="What the code means, for human and machine coders.")
    include: list[Entry] = Field(default_factory=list, description="Inclusion criteria.")
    exclude: list[Entry] = Field(default_factory=list, description="Exclusion criteria.")
    examples: list[Entry] = Field(default_factory=list, description="Anchor quotes.")
    color: str | None = Field(default=None, description="#RRGGBB colour.")
    negation: Annotated[bool, BeforeValidator(check_negation)] = Field(
        default=True, description="Negated matches do not count (default true); false turns that off."
    )
    polarity: Annotated[str | None, BeforeValidator(check_polarity)] = Field(
        default=None, description="positive or negative: which way the code leans (see stance in the docs)."
    )
    exclusive: Annotated[str | None, BeforeValidator(check_choice)] = Field(
        default=None,
        description="true, at_most_one or exactly_one: an answer takes at most (exactly) one of this code's children.",
    )
    rules: Rules | None = None
    seeds: list[Entry] = Field(default_factory=list, description="Seed words for topic models.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                f"code id {value!r} must be snake_case: lower-case letters, digits and '_', "
                "starting with a letter (e.g. 'cultural_divide')"
            )
        return value

    @field_validator("label", "definition")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("color")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        if value is not None and not _COLOR.match(value):
            raise ValueError(f"colour {value!r} must look like '#1F77B4'")
        return value.upper() if value else value

    @field_validator("include", "exclude", "examples", "seeds", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("rules")
    @classmethod
    def _no_empty_rules(cls, value: Rules | None) -> Rules | None:
        # `rules: {}` means the same as no rules; one spelling keeps YAML and CSV round trips equal.
        if value is not None and not (
            value.any or value.all or value.near or value.none or value.regex or value.ignore_negation
        ):
            return None
        return value


#: Deepest nesting of codes (a code, its parent, its parent's parent … counted together).
MAX_DEPTH = 100


class Codebook(BaseModel):
    """A named, versioned list of codes."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str = Field(description="major.minor.patch; bump when codes or rules change.")
    description: str | None = None
    exclusive: Annotated[str | None, BeforeValidator(check_choice)] = Field(
        default=None,
        description="true, at_most_one or exactly_one: an answer takes at most (exactly) one top-level code.",
    )
    exclusive_groups: list[ExclusiveGroup] = Field(
        default_factory=list, description="Named groups of codes of which an answer takes at most (exactly) one."
    )
    codes: list[Code] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty: give the codebook a name")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> str:
        value = str(value).strip()
        if not _VERSION.match(value):
            raise ValueError(f"version {value!r} must look like 1.0.0 (major.minor.patch)")
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        # A blank description and no description are the same thing; keep one spelling.
        if value is None:
            return None
        return value.strip() or None

    @model_validator(mode="after")
    def _xml_characters(self) -> Codebook:
        problems: list[InitErrorDetails] = []

        def check(loc: tuple, value: object) -> None:
            if isinstance(value, str):
                bad = XML_FORBIDDEN.search(value)
                if bad:
                    char = f"U+{ord(bad.group()):04X}"
                    problems.append(InitErrorDetails(
                        type=PydanticCustomError(
                            "xml_character",
                            f"holds the character {char} (at position {bad.start() + 1}), which XML cannot carry, so "
                            "the codebook could not be exported to NVivo or other QDA programs: delete it (it is "
                            "invisible in most editors; it often comes from copying text out of another program)",
                        ),
                        loc=loc, input=value,
                    ))
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    check((*loc, i), item)

        for field in ("name", "version", "description"):
            check((field,), getattr(self, field, None))
        for index, code in enumerate(self.codes):
            for field in ("id", "label", "parent", "definition", "include", "exclude", "examples", "color", "seeds"):
                check(("codes", index, field), getattr(code, field))
            if code.rules is not None:
                for field in ("any", "all", "near", "none", "regex"):
                    check(("codes", index, "rules", field), getattr(code.rules, field))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    @model_validator(mode="after")
    def _ids_and_parents(self) -> Codebook:
        problems: list[InitErrorDetails] = []

        def problem(index: int, field: str, message: str) -> None:
            value = getattr(self.codes[index], field)
            problems.append(
                InitErrorDetails(
                    type=PydanticCustomError("codebook_structure", message),
                    loc=("codes", index, field),
                    input=value,
                )
            )

        first_use: dict[str, int] = {}
        for index, code in enumerate(self.codes):
            if code.id in first_use:
                problem(
                    index, "id",
                    f"code id {code.id!r} is already used by code {first_use[code.id]}; "
                    "every code needs its own id",
                )
            first_use.setdefault(code.id, index)
        parents = {c.id: c.parent for c in self.codes}
        too_deep = False
        for index, code in enumerate(self.codes):
            if code.parent is not None and code.parent not in parents:
                problem(index, "parent", f"parent {code.parent!r} is not the id of a code in this codebook")
                continue
            chain, node = {code.id}, code.parent
            while node is not None:
                if node in chain:
                    problem(index, "parent", f"code {code.id!r} is its own ancestor: its parents form a loop")
                    break
                chain.add(node)
                node = parents.get(node)
            else:
                if len(chain) > MAX_DEPTH and not too_deep:  # said once, at the first code too deep
                    too_deep = True
                    problem(
                        index, "parent",
                        f"code {code.id!r} sits {len(chain)} levels deep; codes may nest at most {MAX_DEPTH} "
                        "levels (no QDA program shows deeper trees usefully): give it a parent nearer the top",
                    )
        if problems:
            # Raising a ValidationError (rather than ValueError) keeps each problem's own location,
            # so the user is told which code to fix instead of "(top level)".
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    @model_validator(mode="after")
    def _single_choice(self) -> Codebook:
        problems = [
            InitErrorDetails(type=PydanticCustomError("single_choice", message), loc=loc, input=None)
            for loc, message in group_problems(self)
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    def single_choice_groups(self) -> list[SingleChoiceGroup]:
        """Groups of codes of which an answer takes at most one (or exactly one), in codebook order."""
        return single_choice_groups(self)

    @property
    def ids(self) -> list[str]:
        """Code ids in codebook order (the order reports use)."""
        return [c.id for c in self.codes]

    def get(self, code_id: str) -> Code:
        """Return the code with this id; KeyError if there is none."""
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    def content_hash(self) -> str:
        """A sha256 of the codebook's content, recorded with every coding run."""
        data = self.model_dump(mode="json")
        # Single-choice settings left unset are left out, so codebooks written before they
        # existed keep the hash their runs recorded.
        for key in ("exclusive", "exclusive_groups"):
            if not data[key]:
                del data[key]
        for code in data["codes"]:
            if not code["exclusive"]:
                del code["exclusive"]
        payload = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
