"""Map the many spellings of probation regions and legacy organisations to one.

The alias tables are package data (``data/regions.yaml`` and ``data/orgs.yaml``)
so a researcher can read, and a maintainer can extend, exactly what is matched.
Case, punctuation (dots included) and extra spaces are ignored, so ``"N. West"``
matches the alias ``N West``. Beyond the tables:

- Regions: the short forms N, S, E, W, Mids, Yorks and Gtr are read as North,
  South, East, West, Midlands, Yorkshire and Greater (``"W Mids"``, ``"S.West"``).
  ``"South East"`` and ``"SE"`` are not a probation region and stay unknown.
- Organisations: a value naming CRC and not NPS is ``CRC`` (``"London CRC"``,
  ``"CRC (Purple Futures)"``); one naming NPS and not CRC is ``NPS``
  (``"NPS Wales"``). A value that also says not/neither/nor/non is left alone.
- Non-answers: ``Prefer not to say``, ``Rather not say``, ``N/A``, ``NA``,
  ``Unknown``, ``Don't know``, ``Not stated``, ``-`` and the others listed in
  ``data/not_given.yaml`` (and any value without a letter or digit) mean the
  respondent gave no region or organisation. They are read as blank, ``None``,
  and are not reported as unknown.

Values that match nothing else are kept as written (stripped) and reported as
unknown; they are never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import yaml

#: The twelve probation regions of England and Wales, in their canonical spelling.
REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "Greater Manchester",
    "East Midlands",
    "West Midlands",
    "East of England",
    "Wales",
    "South West",
    "South Central",
    "Kent, Surrey and Sussex",
    "London",
)

#: Legacy organisations: the two pre-unification services and everyone else.
ORGS: tuple[str, ...] = ("CRC", "NPS", "Other")

_NON_WORD = re.compile(r"[^\w]+|_")
_REGION_NOISE = re.compile(r"^(?:the )|(?: probation)?(?: region| area)$")

# Short forms people use in region names, read word by word when a value matches
# no alias as written. "se" is not here on purpose: see data/regions.yaml.
_REGION_WORDS = {
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "mids": "midlands",
    "yorks": "yorkshire",
    "gtr": "greater",
}
_CRC_WORDS = frozenset({"crc", "crcs"})
_NPS_WORDS = frozenset({"nps"})
_NEGATIONS = frozenset({"not", "neither", "nor", "non", "never", "no"})


def alias_key(value: str) -> str:
    """Reduce a value to the form aliases are compared in.

    Case, punctuation and runs of spaces are ignored and ``&`` reads as ``and``,
    so ``"Kent, Surrey & Sussex"`` and ``"kent surrey and sussex"`` share a key.
    """
    return " ".join(_NON_WORD.sub(" ", value.casefold().replace("&", " and ")).split())


def _load_table(name: str, canonical: tuple[str, ...]) -> dict[str, str]:
    table = _read_data(name)
    unknown = set(table) - set(canonical)
    if unknown:
        # A typo in a canonical heading would silently create a thirteenth region.
        raise ValueError(f"{name} names values that are not canonical: {sorted(unknown)}")
    lookup: dict[str, str] = {}
    for value in canonical:
        for alias in [value, *(table.get(value) or [])]:
            key = alias_key(str(alias))
            if lookup.setdefault(key, value) != value:
                raise ValueError(f"{name}: alias {alias!r} is listed under two values")
    return lookup


def _read_data(name: str) -> object:
    text = resources.files("probation_themes.ingest").joinpath("data").joinpath(name).read_text("utf-8")
    return yaml.safe_load(text)


def _load_not_given() -> frozenset[str]:
    keys = frozenset(alias_key(str(value)) for value in _read_data("not_given.yaml"))
    clash = keys & (set(_REGION_LOOKUP) | set(_ORG_LOOKUP))
    if clash:
        raise ValueError(f"not_given.yaml lists values that are also aliases: {sorted(clash)}")
    # "" is the key of a value made only of punctuation, such as "-".
    return keys | {""}


_REGION_LOOKUP = _load_table("regions.yaml", REGIONS)
_ORG_LOOKUP = _load_table("orgs.yaml", ORGS)
_NOT_GIVEN = _load_not_given()


def _region_by_key(key: str) -> str | None:
    found = _REGION_LOOKUP.get(key)
    if found is None:
        found = _REGION_LOOKUP.get(_REGION_NOISE.sub("", key).strip())
    return found


def _find_region(key: str) -> str | None:
    found = _region_by_key(key)
    if found is None:
        expanded = " ".join(_REGION_WORDS.get(word, word) for word in key.split())
        if expanded != key:
            found = _region_by_key(expanded)
    return found


def _org_by_words(key: str) -> str | None:
    words = set(key.split())
    if words & _NEGATIONS:
        return None
    crc = bool(words & _CRC_WORDS) or "community rehabilitation compan" in key
    nps = bool(words & _NPS_WORDS) or "national probation service" in key
    if crc != nps:
        return "CRC" if crc else "NPS"
    return None


def _normalise(value: str | None, find: Callable[[str], str | None]) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    stripped = " ".join(value.split())
    key = alias_key(stripped)
    if key in _NOT_GIVEN:
        return None, False
    found = find(key)
    if found is None:
        return stripped, False
    return found, True


@lru_cache(maxsize=4096)
def normalise_region(value: str | None) -> tuple[str | None, bool]:
    """Return the canonical probation region for ``value`` and whether it was recognised.

    ``"Yorkshire & Humber"``, ``"KSS"``, ``"N. West"`` or ``"Cymru"`` become
    ``"Yorkshire and the Humber"``, ``"Kent, Surrey and Sussex"``, ``"North West"`` and
    ``"Wales"``. A value that matches no alias (``"South East"``) comes back as written
    (outer and repeated spaces removed) with ``False``; a blank value or a non-answer
    such as ``"Prefer not to say"`` or ``"N/A"`` comes back as ``(None, False)``.

    Args:
        value: a region as written in a survey column or a quotation's attribution.

    Returns:
        ``(canonical region or the value as given, known?)``.
    """
    return _normalise(value, _find_region)


@lru_cache(maxsize=4096)
def normalise_org(value: str | None, *, by_words: bool = True) -> tuple[str | None, bool]:
    """Return ``"CRC"``, ``"NPS"`` or ``"Other"`` for a legacy organisation, and whether it was recognised.

    ``"legacy CRC"``, ``"Community Rehabilitation Company"``, ``"Purple Futures"`` and
    ``"Durham Tees Valley CRC"`` become ``"CRC"``; ``"National Probation Service"`` and
    ``"NPS Wales"`` become ``"NPS"``; ``"Neither"``, ``"New to the service"`` or
    ``"HMPPS"`` become ``"Other"``. Unrecognised values come back as written
    (stripped) with ``False``; blanks and non-answers such as ``"Prefer not to say"``
    as ``(None, False)``.

    Args:
        value: an organisation as written in a survey column or an attribution.
        by_words: also read any value naming CRC but not NPS (or NPS but not CRC)
            as that organisation; False matches the alias table only.

    Returns:
        ``(canonical organisation or the value as given, known?)``.
    """
    if by_words:
        return _normalise(value, lambda key: _ORG_LOOKUP.get(key) or _org_by_words(key))
    return _normalise(value, _ORG_LOOKUP.get)
