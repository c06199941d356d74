"""Map the many spellings of probation regions and legacy organisations to one.

The alias tables are package data (``data/regions.yaml`` and ``data/orgs.yaml``)
so a researcher can read, and a maintainer can extend, exactly what is matched.
Values that match nothing are kept as written (stripped) and reported as
unknown; they are never dropped.
"""

from __future__ import annotations

import re
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


def alias_key(value: str) -> str:
    """Reduce a value to the form aliases are compared in.

    Case, punctuation and runs of spaces are ignored and ``&`` reads as ``and``,
    so ``"Kent, Surrey & Sussex"`` and ``"kent surrey and sussex"`` share a key.
    """
    return " ".join(_NON_WORD.sub(" ", value.casefold().replace("&", " and ")).split())


def _load_table(name: str, canonical: tuple[str, ...]) -> dict[str, str]:
    text = resources.files("probation_themes.ingest").joinpath("data").joinpath(name).read_text("utf-8")
    table = yaml.safe_load(text)
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


_REGION_LOOKUP = _load_table("regions.yaml", REGIONS)
_ORG_LOOKUP = _load_table("orgs.yaml", ORGS)


def _normalise(value: str | None, lookup: dict[str, str], strip_noise: bool) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    stripped = " ".join(value.split())
    if not stripped:
        return None, False
    key = alias_key(stripped)
    found = lookup.get(key)
    if found is None and strip_noise:
        found = lookup.get(_REGION_NOISE.sub("", key).strip())
    if found is None:
        return stripped, False
    return found, True


@lru_cache(maxsize=4096)
def normalise_region(value: str | None) -> tuple[str | None, bool]:
    """Return the canonical probation region for ``value`` and whether it was recognised.

    ``"Yorkshire & Humber"``, ``"KSS"`` or ``"Cymru"`` become ``"Yorkshire and the
    Humber"``, ``"Kent, Surrey and Sussex"`` and ``"Wales"``. A value that matches no
    alias comes back as written (outer and repeated spaces removed) with ``False``;
    a blank value comes back as ``(None, False)``.

    Args:
        value: a region as written in a survey column or a quotation's attribution.

    Returns:
        ``(canonical region or the value as given, known?)``.
    """
    return _normalise(value, _REGION_LOOKUP, strip_noise=True)


@lru_cache(maxsize=4096)
def normalise_org(value: str | None) -> tuple[str | None, bool]:
    """Return ``"CRC"``, ``"NPS"`` or ``"Other"`` for a legacy organisation, and whether it was recognised.

    ``"legacy CRC"``, ``"Community Rehabilitation Company"`` and ``"ex-CRC"`` become
    ``"CRC"``; ``"National Probation Service"`` becomes ``"NPS"``; ``"Neither"``,
    ``"New to the service"`` or ``"HMPPS"`` become ``"Other"``. Unrecognised values
    come back as written (stripped) with ``False``; blanks as ``(None, False)``.

    Args:
        value: an organisation as written in a survey column or an attribution.

    Returns:
        ``(canonical organisation or the value as given, known?)``.
    """
    return _normalise(value, _ORG_LOOKUP, strip_noise=False)
