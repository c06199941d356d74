"""Hints that run as printed: the commands a message suggests carry the options in use.

A researcher who works on ``--project survey.db`` and is told "see every rejected row
with: probation-themes export rejects -o rejects.csv" gets an error when they paste it,
because that command reads ./themes.db. So every command the command line suggests —
in its own notes (:func:`command`) and in the library's error messages (:func:`carry`) —
is given the ``--project`` (and ``--codebook``) the current command was run with, when
the suggested command takes that option and does not name it already.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

PROGRAM = "probation-themes"
#: The project used when --project is not given.
DEFAULT_PROJECT = Path("themes.db")

#: Options carried into hints: the command's parameter name, and the option written.
CARRIED = (("project", "--project", ("--project", "-p")), ("codebook", "--codebook", ("--codebook", "-c")))

_in_use: ContextVar[Mapping[str, Any]] = ContextVar("options_in_use", default={})
_QUOTED = re.compile(r"`(" + re.escape(PROGRAM) + r" [^`]+)`")
_accepts: dict[tuple[str, ...], frozenset[str]] = {}
_root: list[Any] = []


@contextmanager
def options_in_use(values: Mapping[str, Any]) -> Iterator[None]:
    """Remember the running command's options, for the hints it prints while it runs."""
    carried = {}
    for name, _, _ in CARRIED:
        value = values.get(name)
        if value is None or (name == "project" and Path(value) == DEFAULT_PROJECT):
            continue
        carried[name] = value
    token = _in_use.set(carried)
    try:
        yield
    finally:
        _in_use.reset(token)


def command(words: str) -> str:
    """``probation-themes WORDS`` with the options in use added, ready to be pasted into a shell.

    Args:
        words: the subcommand and its arguments, e.g. ``"export rejects -o rejects.csv"``.
    """
    return _with_options(f"{PROGRAM} {words}")


def project_command(words: str) -> str:
    """Like :func:`command`, for a hint printed by a command that has no project of its own.

    When no project is in use and the default one (./themes.db, or
    $PROBATION_THEMES_PROJECT) does not exist, the hint ends with ``--project FILE``:
    the researcher must say which project they mean.
    """
    hint = command(words)
    if "--project" not in hint and not Path(os.environ.get("PROBATION_THEMES_PROJECT") or DEFAULT_PROJECT).exists():
        hint += " --project FILE"
    return hint


def carry(message: str) -> str:
    """Add the options in use to every command quoted in backticks in ``message``."""
    if not _in_use.get() or PROGRAM not in message:
        return message
    return _QUOTED.sub(lambda m: f"`{_with_options(m.group(1))}`", message)


def _with_options(text: str) -> str:
    carried = _in_use.get()
    if not carried:
        return text
    try:
        words = shlex.split(text)
    except ValueError:  # an unbalanced quote: leave the hint as written
        return text
    accepted = _options_of(tuple(w for w in words[1:] if not w.startswith("-")))
    extra = []
    for name, option, spellings in CARRIED:
        if name not in carried or option not in accepted:
            continue
        if any(w in spellings or w.startswith(f"{option}=") for w in words):
            continue
        extra.append(f"{option} {shlex.quote(str(carried[name]))}")
    return " ".join([text, *extra])


def _options_of(words: tuple[str, ...]) -> frozenset[str]:
    """The options of the subcommand that ``words`` (its name, then arguments) start with."""
    if not _root:
        import typer

        from probation_themes.cli.main import app  # every command is registered by now

        _root.append(typer.main.get_command(app))
    found, path = _root[0], []
    for word in words:
        sub = getattr(found, "commands", {}).get(word)
        if sub is None:
            break
        found = sub
        path.append(word)
    key = tuple(path)
    if key not in _accepts:
        _accepts[key] = frozenset(o for p in found.params for o in getattr(p, "opts", ()))
    return _accepts[key]
