"""Help and usage messages written for a researcher, not a programmer.

typer describes option values by their Python types (``<list[str]>``, ``<int range>``,
``{files}...``), cuts the command list at the first full stop ("… e.g.") and passes
pydantic's wording through ("Value error, 'pdf' is not one of …"). The root command
of the application is a :class:`ResearcherGroup`, which, once every command is
registered, gives each option a plain placeholder (FILE, COLUMN, N, [md|html]), each
command a one-line summary, and rewrites usage errors as sentences that say what to
give instead.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator
from typing import Any

import typer
from typer.core import TyperGroup

#: One-line summaries for the command list (``probation-themes --help``). A command not
#: listed here is summed up by the first sentence of its help, never cut short.
SUMMARIES = {
    "ingest": "Read answers or report text into the project",
    "code": "Suggest codes for every quote with a codebook",
    "agree": "Agreement of two coders, per code (κ, α, F1)",
    "evaluate": "Learning curve: the model with more coded examples",
    "report": "Write the themed quote report for publication",
    "stats": "Counts of coded respondents by organisation and region",
    "import-codings": "Load another coder's or a gold standard's codings",
    "review": "Review suggestions one quote at a time, full-screen",
    "doctor": "Check that the project file is whole",
    "redact": "Replace personal details in the quotes with placeholders",
    "demo": "Run the whole loop on the bundled inspectorate quotes",
    "codebook": "Start, validate, show and convert codebooks",
    "codebook init": "Write the bundled codebook or a template to start from",
    "codebook validate": "Check a codebook against the format",
    "codebook show": "List a codebook's codes with their rule and seed counts",
    "codebook convert": "Convert a codebook between YAML, CSV and REFI-QDA .qdc",
    "export": "Export codings, codebooks and projects for other tools",
    "export codings": "Codings as CSV, long or wide (one column per code)",
    "export rejects": "Every rejected input row, with its file, row and reason",
    "export codebook": "The codebook as YAML, CSV or REFI-QDA .qdc",
    "export qdpx": "The project as REFI-QDA (.qdpx) for NVivo, ATLAS.ti, MAXQDA",
    "export nvivo": "An NVivo bundle: codebook, project, cases, coded quotes",
    "export audit": "The full decision log as CSV: who decided what, when",
    "topics": "Find topics in the quotes, seeded by the codebook",
    "topics search": "Compare numbers of topics by coherence and exclusivity",
    "topics promote": "Turn a free topic into a new code in the codebook",
    "non-answers": "List the quotes flagged as non-answers ('n/a', 'Nothing.')",
    "non-answers judge": "Flag non-answers again with another list, or none",
    "non-answers list": "Write the built-in list of non-answers to edit",
}

#: Placeholders for options whose value is text, by option name.
TEXT_PLACEHOLDERS = {
    "--encoding": "ENCODING", "--sheet": "SHEET", "--coder": "NAME", "--train-coder": "NAME", "--code": "CODE",
    "--where": "KEY=VALUE", "--scheduler": "ADDRESS", "--k": "N", "--by": "SPLITS", "--attribute": "ATTRIBUTES",
    "--quotes": "N", "--id": "ID", "--label": "LABEL", "--method": "METHOD", "--names": "FILE",
}
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "no.")

# typer ships its own copy of click (0.29 and later) or uses click itself: take the
# exception classes from wherever typer's BadParameter comes from.
_exceptions = sys.modules[typer.BadParameter.__module__]
UsageError = _exceptions.UsageError
BadParameter = _exceptions.BadParameter
MissingParameter = _exceptions.MissingParameter


class ResearcherGroup(TyperGroup):
    """The root command: plain placeholders and summaries, and usage errors in plain words."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        polish(self)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except UsageError as exc:
            explain(exc, self)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            explain(exc, self)
            raise


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def polish(root: Any) -> None:
    """Give every command of ``root`` a summary and every option a plain placeholder."""
    for path, command in _walk(root):
        if path and not command.short_help:
            command.short_help = SUMMARIES.get(" ".join(path)) or first_sentence(command.help or "")
        for param in command.params:
            _placeholder(param)


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph, not fooled by "e.g." (without its full stop)."""
    paragraph = " ".join(text.split("\n\n")[0].split())
    for match in re.finditer(r"[.!?](?=\s|$)", paragraph):
        before = paragraph[: match.end()]
        if not before.lower().endswith(_ABBREVIATIONS):
            return before[:-1] if before.endswith(".") else before
    return paragraph


def _flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False))


def _kind(param: Any) -> tuple[str, tuple[str, ...]]:
    """What a parameter's value is: choice (with the choices), path, int, float or text."""
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:  # typer 0.29 and later
        if desc.is_choice:
            return "choice", tuple(getattr(c, "value", c) for c in desc.choices or ())
        if desc.is_path:
            return "path", ()
        annotation = desc.annotation
        inner = getattr(annotation, "__args__", None) if desc.is_list else None
        base = inner[0] if inner else annotation
        return {int: "int", float: "float"}.get(base, "text"), ()
    kind = getattr(param, "type", None)  # click's own parameter types
    name = type(kind).__name__
    if hasattr(kind, "choices"):
        return "choice", tuple(kind.choices)
    if name == "Path":
        return "path", ()
    if name in ("IntParamType", "IntRange"):
        return "int", ()
    if name in ("FloatParamType", "FloatRange"):
        return "float", ()
    return "text", ()


def _range_in_words(low: Any, high: Any) -> str | None:
    if low is None and high is None:
        return None
    if high is None:
        return f"{low} or more"
    if low is None:
        return f"at most {high}"
    return f"from {low} to {high}"


def _placeholder(param: Any) -> None:
    if hasattr(param, "_get_number_range_help_str") and not _flag(param):
        # "x>=1" in the help reads as code; "1 or more" does not.
        param._get_number_range_help_str = lambda p=param: _range_in_words(
            getattr(p, "min", None), getattr(p, "max", None))
    if getattr(param, "metavar", None) or _flag(param):
        return
    kind, choices = _kind(param)
    opts = getattr(param, "opts", ())
    long = next((o for o in opts if o.startswith("--")), "")
    if kind == "choice":
        metavar = "[" + "|".join(map(str, choices)) + "]"
    elif kind == "path":
        folder = "folder" in (param.help or "").lower()[:40]
        metavar = "FOLDER" if folder else "FILE"
    elif kind == "int":
        metavar = "N"
    elif kind == "float":
        metavar = "NUMBER"
    elif long.endswith("-col"):
        metavar = "COLUMN"
    else:
        metavar = TEXT_PLACEHOLDERS.get(long) or (param.name or "value").upper()
    if param.param_type_name == "argument":
        metavar = {"files": "FILE", "file": "FILE", "topic": "TOPIC"}.get(param.name, metavar)
        many = "..." if param.nargs != 1 else ""
        param.metavar = metavar
        # typer 0.29 writes a required argument as {name} and adds its type; say FILE... instead.
        if hasattr(param, "_usage_display_name"):
            param._usage_display_name = lambda shown=metavar + many: shown
            param._rich_display_name = lambda shown=metavar + many: shown
            param.display_type_rich = lambda ctx=None: None
        return
    param.metavar = metavar


# -- usage errors ------------------------------------------------------------------------------


def explain(exc: Any, root: Any) -> None:
    """Rewrite a usage error's message in plain words (in place), saying what to give instead."""
    if isinstance(exc, MissingParameter):
        param = exc.param
        if param is not None and param.help:
            exc.message = f"It is required: {param.help.rstrip('.')}."
        return
    if isinstance(exc, BadParameter):
        exc.message = _bad_value(exc)
        return
    message = str(exc.message)
    unknown = re.match(r"No such command '(.+)'\.", message)
    if unknown:
        group = getattr(exc.ctx, "command", root) if getattr(exc, "ctx", None) else root
        names = sorted(getattr(group, "commands", {}))
        close = difflib.get_close_matches(unknown.group(1), names, n=1)
        exc.message = (
            message + (f" Did you mean {close[0]!r}?" if close and "Did you mean" not in message else "")
            + f" The commands are: {', '.join(names)}."
        )


def _bad_value(exc: Any) -> str:
    message = re.sub(r"^Value error, ", "", str(exc.message))
    details = _pydantic_error(exc)
    value = details.get("input")
    numeric = isinstance(value, str) and re.fullmatch(r"[-+]?\d+(\.\d*)?", value.strip())
    shown = value.strip() if numeric else (repr(value) if isinstance(value, str) else str(value))
    kind = details.get("type", "")
    limits = details.get("ctx") or {}
    choices = re.match(r"^'(.*)' is not one of (.*)\.$", message)
    if choices:
        options = re.findall(r"'([^']*)'", choices.group(2))
        listed = ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else "".join(options)
        return f"'{choices.group(1)}' is not one of the choices; give {listed}."
    if kind in ("greater_than_equal", "greater_than") or "greater than" in message:
        least = limits.get("ge", limits.get("gt"))
        words = "or more" if "ge" in limits else "or more (above it)"
        return f"{shown} is too small; give {least} {words}." if value is not None else message
    if kind in ("less_than_equal", "less_than"):
        most = limits.get("le", limits.get("lt"))
        return f"{shown} is too large; give at most {most}."
    if kind.startswith("int_") or "valid integer" in message:
        return f"{shown} is not a whole number; give one such as 5."
    if kind.startswith("float_") or "valid number" in message:
        return f"{shown} is not a number; give one such as 0.5."
    in_range = re.match(r"^(.*) is not in the range (.*)\.$", message)  # click's own range check
    if in_range:
        return f"{in_range.group(1)} is outside the allowed range ({in_range.group(2)})."
    return message


def _pydantic_error(exc: Any) -> dict[str, Any]:
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            found = errors()
        except Exception:  # not a pydantic error after all
            return {}
        return dict(found[0]) if found else {}
    return {}
