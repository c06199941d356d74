"""Negation cues and stance words: the readable lists the rule coder reads them from.

The lists live in ``coding/data/negation.yaml`` and ``coding/data/stance.yaml``
(package data) so a researcher can read exactly which words count as a negation
or as strongly positive or negative, and the docs can quote them. They are
loaded once per process and validated here, so a broken edit fails with the
file and entry named instead of silently matching nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

from probation_themes.errors import CoderError

NEGATION_FILE = "negation.yaml"
STANCE_FILE = "stance.yaml"


@dataclass(frozen=True)
class NegationCues:
    """What ends and starts a negation's scope (see ``data/negation.yaml``)."""

    window: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    pseudo: tuple[str, ...]
    terminators: tuple[str, ...]


@dataclass(frozen=True)
class StanceWords:
    """Strongly positive and negative words, and the words that start a new clause (``data/stance.yaml``)."""

    window: int
    contrast: tuple[str, ...]
    positive: tuple[str, ...]
    negative: tuple[str, ...]


def _read(name: str) -> dict:
    text = resources.files("probation_themes.coding").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise CoderError(f"The rule coder's word list {name} is damaged (it is not a mapping); reinstall the package.")
    return data


def _words(data: dict, name: str, key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CoderError(
            f"The rule coder's word list {name} is damaged: `{key}` must be a list of words or phrases; "
            "reinstall the package."
        )
    return tuple(dict.fromkeys(" ".join(v.split()) for v in value))


def _window(data: dict, name: str) -> int:
    value = data.get("window")
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CoderError(f"The rule coder's word list {name} is damaged: `window` must be a whole number of 1 or more.")
    return value


@functools.lru_cache(maxsize=1)
def negation_cues() -> NegationCues:
    """The bundled negation cues (loaded once per process)."""
    data = _read(NEGATION_FILE)
    return NegationCues(
        window=_window(data, NEGATION_FILE),
        **{key: _words(data, NEGATION_FILE, key) for key in ("before", "after", "pseudo", "terminators")},
    )


@functools.lru_cache(maxsize=1)
def stance_words() -> StanceWords:
    """The bundled stance words (loaded once per process)."""
    data = _read(STANCE_FILE)
    return StanceWords(
        window=_window(data, STANCE_FILE),
        **{key: _words(data, STANCE_FILE, key) for key in ("contrast", "positive", "negative")},
    )
