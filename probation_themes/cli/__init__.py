"""The command line (typer). Only this package prints, prompts or exits."""

from probation_themes.cli import (  # noqa: F401  (register commands)
    commands_agree,
    commands_codebook,
    commands_evaluate,
    commands_import,
    commands_report,
)
from probation_themes.cli.demo import demo_command  # noqa: F401
from probation_themes.cli.main import app


def main() -> None:
    """Entry point of the ``probation-themes`` console script."""
    app()


__all__ = ["app", "main"]
