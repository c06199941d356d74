"""Turning pydantic's validation errors into sentences a researcher can act on.

Each problem keeps its pydantic location (``codes -> 3 -> rules -> any -> 2``) so
the YAML and CSV readers can each say where it is in their own terms.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from probation_themes.codebook.schema import Code, Codebook, Rules

NEAR_SHAPE = "a near rule is [word, word, distance], e.g. [training, time, 8]"

_EXPECTED = {
    "string_type": "expected text",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected a mapping of field: value pairs",
    "model_type": "expected a mapping of field: value pairs",
    "model_attributes_type": "expected a mapping of field: value pairs",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a codebook: where (pydantic location) and what to do about it."""

    loc: tuple
    message: str
    code_id: str | None = None
    kind: str = ""


def format_location(loc: tuple) -> str:
    """Render a pydantic error location as 'codes -> 3 -> rules -> any -> 2'."""
    return " -> ".join(str(part) for part in loc)


def describe_value(value: object) -> str:
    """A short phrase naming what the user wrote, for 'found ...' in messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the value {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        shown = repr(list(value))
        return f"the list {shown}" if len(shown) <= 40 else "a list"
    return f"a {type(value).__name__}"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model whose fields are valid at a location (for 'did you mean' suggestions)."""
    if len(loc) == 0:
        return Codebook
    if len(loc) == 2 and loc[0] == "codes":
        return Code
    if len(loc) == 3 and loc[0] == "codes" and loc[2] == "rules":
        return Rules
    return None


def closest_field(name: str, valid: list[str]) -> str | None:
    """The valid field a misspelt one most likely meant, or None."""
    lowered = {v.lower(): v for v in valid}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), valid, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest_field(name: str, valid: list[str]) -> str:
    """'did you mean ...?' for a misspelt field, or the list of valid fields."""
    close = closest_field(name, valid)
    if close:
        return f"did you mean {close!r}?"
    return "valid fields here are: " + ", ".join(valid)


def _meant(loc: tuple) -> tuple | None:
    """For an unknown field's location, the location of the field it probably meant."""
    model = _model_at(loc[:-1])
    if model is None:
        return None
    close = closest_field(str(loc[-1]), list(model.model_fields))
    return (*loc[:-1], close) if close else None


def _in_near(loc: tuple) -> bool:
    """True for a location at or inside one near rule (not the near list itself)."""
    return "near" in loc and len(loc) - loc.index("near") in (2, 3)


def explain(error: dict) -> str:
    """One pydantic error (from ``ValidationError.errors()``) as a plain-English explanation."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        valid = list(model.model_fields) if model else []
        return f"unknown field; {suggest_field(str(loc[-1]), valid)}" if valid else "unknown field"
    if _in_near(loc) and kind in ("tuple_type", "too_short", "too_long", "missing"):
        return f"{NEAR_SHAPE}; found {describe_value(value)}"
    if kind == "missing":
        return "this required field is missing; add it"
    if kind == "too_short" and loc == ("codes",):
        return "the codebook has no codes; add at least one under `codes:`"
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, found {describe_value(value)}"
    return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")


def code_id_at(data: object, loc: tuple) -> str | None:
    """The id the user gave the code a location points into, if it has a usable one."""
    if len(loc) < 2 or loc[0] != "codes" or not isinstance(loc[1], int):
        return None
    codes = data.get("codes") if isinstance(data, dict) else None
    if not isinstance(codes, list) or not 0 <= loc[1] < len(codes):
        return None
    code = codes[loc[1]]
    if isinstance(code, dict) and isinstance(code.get("id"), str) and code["id"].strip():
        return code["id"].strip()
    return None


def problems_from(exc: ValidationError, data: object) -> list[Problem]:
    """All problems in a validation error, in the order pydantic found them."""
    errors = exc.errors()
    # A misspelt required field shows up twice: as unknown ('defintion') and as missing
    # ('definition'). The "did you mean" message says it all, so the missing one is dropped.
    meant = {_meant(tuple(e["loc"])) for e in errors if e["type"] == "extra_forbidden"}
    problems = []
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and loc in meant:
            continue
        if err["type"] == "missing" and _in_near(loc) and len(loc) - loc.index("near") == 3:
            loc = loc[:-1]  # a near rule lacking its distance: point at the rule, not the absent slot
        problems.append(Problem(loc, explain(err), code_id_at(data, loc), err["type"]))
    return problems


def yaml_place(problem: Problem) -> str:
    """'codes -> 3 (workload) -> rules -> any -> 2', or '(top level)'."""
    parts = [str(p) for p in problem.loc]
    if problem.code_id and len(parts) >= 2:
        parts[1] = f"{parts[1]} ({problem.code_id})"
    return " -> ".join(parts) or "(top level)"


def join_problems(places_and_messages: list[tuple[str, str]], limit: int = 12) -> str:
    """'a: x' for one problem; '3 problems: (1) a: x; (2) ...' for several, capped at ``limit``."""
    items = [f"{place}: {message}" for place, message in places_and_messages]
    if len(items) == 1:
        return items[0]
    shown = [f"({n}) {item}" for n, item in enumerate(items[:limit], start=1)]
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return f"{len(items)} problems: " + "; ".join(shown) + more


def sentence(text: str) -> str:
    """End a clause with a full stop unless it already ends with one (or '?', '!')."""
    return text if text.endswith((".", "?", "!")) else text + "."
