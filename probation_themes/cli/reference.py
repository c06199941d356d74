"""Generate docs/cli.md from the command line itself, so the reference never drifts.

Regenerate with ``python -m probation_themes.cli.reference > docs/cli.md``;
a test fails when the file and the app disagree.
"""

from __future__ import annotations

import click
import typer

HEADER = """# Command-line reference

Generated from the application by `python -m probation_themes.cli.reference > docs/cli.md`.
Do not edit by hand: a test checks that this page matches the commands.

Every command that reads or changes a project takes `--project/-p PATH` (default `themes.db`,
or the `PROBATION_THEMES_PROJECT` environment variable). Exit status: 0 on success, 1 on an
error in your data or options (the message says how to fix it), 2 on a mistyped command.
"""


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += _walk(command.commands[name], [*path, name])
    return found


def _param_row(param: click.Parameter) -> str | None:
    if isinstance(param, click.Argument):
        return f"| `{param.human_readable_name}` | argument{' (one or more)' if param.nargs == -1 else ''} | |"
    if not isinstance(param, click.Option) or param.hidden:
        return None
    names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
    kind = "flag" if param.is_flag else (
        " \\| ".join(param.type.choices) if isinstance(param.type, click.Choice) else param.type.name.lower()
    )
    if param.multiple:
        kind += ", repeatable"
    default = ""
    if param.show_default is not False and param.default not in (None, False, (), []) and not param.is_flag:
        value = param.default.value if hasattr(param.default, "value") else param.default
        default = f" Default: `{value}`."
    help_text = (param.help or "").replace("|", "\\|").replace("\n", " ")
    return f"| {names} | {kind} | {help_text}{default} |"


def render_reference(app: typer.Typer) -> str:
    """The Markdown CLI reference for ``app``: every command, its usage, arguments and options."""
    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, command in _walk(root, ["probation-themes"]):
        if len(path) == 1:
            continue
        title = " ".join(path)
        ctx = click.Context(command, info_name=title)
        parts.append(f"\n## `{title}`\n")
        parts.append((command.help or "").strip() + "\n")
        if isinstance(command, click.Group):
            parts.append("Subcommands: " + ", ".join(f"`{n}`" for n in sorted(command.commands)) + ".\n")
            continue
        parts.append(f"```\n{command.get_usage(ctx).strip()}\n```\n")
        rows = [r for r in (_param_row(p) for p in command.get_params(ctx)) if r and "--help" not in r]
        if rows:
            parts.append("| name | type | description |\n|---|---|---|\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def main() -> None:
    """Print the reference (used to regenerate docs/cli.md)."""
    from probation_themes.cli import app

    click.echo(render_reference(app), nl=False)


if __name__ == "__main__":
    main()
