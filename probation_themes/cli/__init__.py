"""The command line (typer). Only this package prints, prompts or exits."""

from probation_themes.cli import (  # noqa: F401  (register commands)
    commands_agree,
    commands_codebook,
    commands_evaluate,
    commands_export,
    commands_import,
    commands_report,
)
from probation_themes.cli import commands_review  # noqa: F401  (review, export audit)
from probation_themes.cli import commands_doctor, commands_redact  # noqa: F401  (doctor, redact)
from probation_themes.cli import commands_topics  # noqa: F401  (topics, topics search, topics promote)
from probation_themes.cli import commands_nonanswers  # noqa: F401  (non-answers, non-answers judge|list)
from probation_themes.cli import commands_suggest  # noqa: F401  (codebook suggest)
from probation_themes.cli.demo import demo_command  # noqa: F401
from probation_themes.cli.main import app


def main() -> None:
    """Entry point of the ``probation-themes`` console script."""
    app()


__all__ = ["app", "main"]
