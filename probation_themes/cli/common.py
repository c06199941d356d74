"""Shared pieces of the command line: consoles, the project option, error handling."""

from __future__ import annotations

import errno
import functools
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.segment import Segment
from rich.text import Text

from probation_themes.cli.hints import carry, options_in_use
from probation_themes.cli.terminal import visible
from probation_themes.errors import ProbationThemesError
from probation_themes.store.guard import sqlite_problem
from probation_themes.workflows.distributed import Engine, open_engine

class SafeConsole(Console):
    """The console every command prints with.

    Text from files and projects cannot drive the terminal: control characters and escape
    sequences are shown as visible symbols (see :mod:`probation_themes.cli.terminal`),
    rich markup that does not parse is printed as it is written, and links cannot be
    made from markup. A reader closing the pipe (``… | head -1``) ends the command normally.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:  # type: ignore[override]
        text = _NO_LINKS.sub(r"\\[", visible(text))
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:  # "[/x]" in a label: the words as written, not a crash
            return super().render_str(text, **{**kwargs, "markup": False})

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Last line of defence, for Text built directly: rich's own control segments pass.
        return super()._render_buffer(
            Segment(visible(seg.text), seg.style, seg.control) if not seg.control else seg for seg in buffer
        )

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _silence_stdout()
        raise SystemExit(0)


# Rich turns [link=…] markup into a terminal hyperlink escape; this program never makes one.
_NO_LINKS = re.compile(r"(?<!\\)\[(?=/?link\b)")


#: Results go to stdout; progress and diagnostics to stderr.
out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)

DEFAULT_PROJECT = "themes.db"

ProjectOption = Annotated[
    Path,
    typer.Option(
        "--project",
        "-p",
        envvar="PROBATION_THEMES_PROJECT",
        help="Project file (SQLite). Default: ./themes.db, or $PROBATION_THEMES_PROJECT.",
        show_default=False,
    ),
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print the figures as JSON on stdout.")]


class Decision(str, Enum):
    """How the learned model chooses a quote's codes from their probabilities."""

    set = "set"
    threshold = "threshold"


DecisionOption = Annotated[
    Optional[Decision],
    typer.Option(
        "--decision",
        help="How the model chooses each quote's codes: set (of the codes reaching their thresholds, "
        "those that together are likeliest to match a coder's, by expected F1; the default) or "
        "threshold (every code whose probability reaches its learned threshold).",
        show_default=False,
    ),
]



class EngineName(str, Enum):
    local = "local"
    dask = "dask"


EngineOption = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="Where the work runs: local (this machine's cores) or dask (a Dask cluster; needs "
        "`pip install 'probation-themes[dask]'`). The results are identical; the project file "
        "is written only by this command.",
    ),
]
SchedulerOption = Annotated[
    Optional[str],
    typer.Option(
        "--scheduler",
        help="With --engine dask: the address of a running Dask scheduler, e.g. tcp://host:8786 "
        "(default: start a local cluster on this machine).",
        show_default=False,
    ),
]


@contextmanager
def engine_for(name: EngineName, scheduler: str | None) -> Iterator[Engine | None]:
    """The engine the options name (None for local work, which needs no set-up), closed afterwards."""
    if name is EngineName.local and not scheduler:
        yield None
        return
    with err.status("Starting the Dask engine…"):
        engine = open_engine(name.value, scheduler)
    err.print(f"Engine: {engine.describe()}")
    try:
        yield engine
    finally:
        engine.close()


F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> typer.Exit:
    """Print a one-paragraph error to stderr and return the exit to raise (status 1)."""
    err.print(f"[bold red]Error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(1)


def user_errors(fn: F) -> F:
    """Turn the toolkit's errors into a one-paragraph message and exit status 1.

    Unexpected errors are bugs: they also exit 1 with a short message, and show
    the traceback only when PROBATION_THEMES_DEBUG=1.
    """

    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind_partial(*args, **kwargs).arguments
        except TypeError:
            bound = kwargs
        try:
            # The hints printed meanwhile, and in the error below, carry --project and --codebook.
            with options_in_use(bound):
                try:
                    return fn(*args, **kwargs)
                except ProbationThemesError as exc:
                    raise fail(_escape(carry(str(exc)))) from None
        except BrokenPipeError:
            # `… -o - | head -1`: the reader has all it wanted. Not an error; and nothing more
            # may go to the closed pipe, not even Python's own flush at exit.
            _silence_stdout()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            err.print("Interrupted; everything completed before the interruption is kept.")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # a bug, not a user error: say so plainly
            known = system_problem(exc)
            if known is not None:
                raise fail(_escape(known)) from None
            if os.environ.get("PROBATION_THEMES_DEBUG") == "1":
                raise
            raise fail(
                _escape(
                    f"Unexpected internal error ({type(exc).__name__}: {exc}). The step that failed was "
                    "rolled back; steps completed before it are kept. Please report this with the command "
                    "you ran; set PROBATION_THEMES_DEBUG=1 to see the technical details."
                )
            ) from None

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test runner's buffer)
        pass


#: Failures of the machine, not of the toolkit: said plainly, with what to do.
_SYSTEM_ERRORS = {
    errno.ENOSPC: "the disk is full; free some space (or write to another disk) and run the command again",
    errno.EDQUOT: "your disk quota is used up; free some space and run the command again",
    errno.EROFS: "that place is on read-only media; choose a folder you can write to",
    errno.EACCES: "you do not have permission; check the file's and folder's permissions",
    errno.EPERM: "the operation is not permitted (an immutable or protected file?)",
    errno.EIO: "the disk reported an input/output error; check the disk, then run the command again",
}


def system_problem(exc: BaseException) -> str | None:
    """A plain message for a failure of the disk or the database, or None for a real bug."""
    problem = sqlite_problem(exc, None)
    if problem is not None:
        return str(problem)
    if isinstance(exc, OSError) and exc.errno in _SYSTEM_ERRORS:
        where = f" {exc.filename}" if exc.filename else ""
        return f"Could not read or write{where} ({exc.strerror}): {_SYSTEM_ERRORS[exc.errno]}."
    if isinstance(exc, MemoryError):
        return (
            "This machine ran out of memory for this step, which was rolled back; steps completed before it are "
            "kept. Close other programs, or split the input into smaller files, and run the command again."
        )
    return None


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def print_json(data: Any) -> None:
    """Write JSON results to stdout (plain, so it pipes into other tools).

    JSON escapes C0 controls itself; C1 controls and bidirectional overrides, which a
    terminal may act on, are escaped too (``\\u009b``), so the output is still the same JSON.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(_JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")
    sys.stdout.flush()


_JSON_CONTROL = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def percent(value: float) -> str:
    """A share as a whole percentage, the way the inspectorate reports it."""
    return f"{value * 100:.0f}%"
