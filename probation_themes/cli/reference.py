"""Generate docs/cli.md from the command line itself, so the reference never drifts.

Regenerate with ``python -m probation_themes.cli.reference > docs/cli.md``;
a test fails when the file and the app disagree.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

HEADER = """# Command-line reference

Generated from the application by `python -m probation_themes.cli.reference > docs/cli.md`.
Do not edit by hand: a test checks that this page matches the commands.

Every command that reads or changes a project takes `--project/-p PATH` (default `themes.db`,
or the `PROBATION_THEMES_PROJECT` environment variable). Exit status: 0 on success, 1 on an
error in your data or options (the message says how to fix it), 2 on a mistyped command.
"""


# typer ships its own copy of click, so commands are recognised by shape, not by class.


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    if _is_group(command):
        for name in sorted(command.commands):
            found += _walk(command.commands[name], [*path, name])
    return found


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _param_row(param: Any, ctx: Any) -> str | None:
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        many = ", one or more" if param.nargs == -1 else ""
        return f"| `{(param.metavar or param.name).upper()}` (argument{many}) | {_cell(param.help or '')} |"
    record = param.get_help_record(ctx)
    if not record:
        return None
    names, help_text = record
    return f"| `{_cell(names)}` | {_cell(help_text)} |"


def render_reference(app: typer.Typer) -> str:
    """The Markdown CLI reference for ``app``: every command, its usage, arguments and options."""
    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, command in _walk(root, ["probation-themes"]):
        if len(path) == 1:
            continue
        title = " ".join(path)
        ctx = command.context_class(command, info_name=title)
        parts.append(f"\n## `{title}`\n")
        parts.append((command.help or "").strip() + "\n")
        rows = [r for r in (_param_row(p, ctx) for p in command.get_params(ctx)) if r and "--help" not in r]
        if _is_group(command):
            parts.append("Subcommands: " + ", ".join(f"`{n}`" for n in sorted(command.commands)) + ".\n")
            if not rows:  # a group that also runs on its own (e.g. `topics`) lists its options
                continue
        parts.append(f"```\n{command.get_usage(ctx).strip()}\n```\n")
        if rows:
            parts.append("| option | description |\n|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def main() -> None:
    """Print the reference (used to regenerate docs/cli.md)."""
    from probation_themes.cli import app

    sys.stdout.write(render_reference(app))


if __name__ == "__main__":
    main()
