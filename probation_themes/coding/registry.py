"""One registry of versioned coder names (``rules.v1``, ``topics.lda.v1`` …).

When a coder's behaviour changes, register a new version and leave the old one
alone, so an old project can be re-run exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from probation_themes.coding.base import BaseCoder
from probation_themes.errors import CoderError

_CODERS: dict[str, type[BaseCoder]] = {}
_DEFAULTS: dict[str, str] = {}


def register(name: str, *, default: bool = False) -> Callable[[type[BaseCoder]], type[BaseCoder]]:
    """Class decorator registering a coder under a versioned name such as ``rules.v1``."""

    def wrap(cls: type[BaseCoder]) -> type[BaseCoder]:
        if name in _CODERS and _CODERS[name] is not cls:
            raise CoderError(f"A coder is already registered as {name!r}; register a new version.")
        cls.registry_name = name
        _CODERS[name] = cls
        if default:
            _DEFAULTS[cls.method] = name
        return cls

    return wrap


def names() -> list[str]:
    """All registered coder names, sorted."""
    return sorted(_CODERS)


def get(name: str) -> type[BaseCoder]:
    """The coder class registered under ``name``."""
    try:
        return _CODERS[name]
    except KeyError:
        raise CoderError(
            f"No coder is registered as {name!r}. Registered coders: {', '.join(names())}."
        ) from None


def default_for(method: str) -> str:
    """The registered name used for a method (``rules`` → ``rules.v1``)."""
    try:
        return _DEFAULTS[method]
    except KeyError:
        known = ", ".join(sorted(_DEFAULTS)) or "none"
        raise CoderError(f"No coder implements method {method!r} yet; available methods: {known}.") from None
