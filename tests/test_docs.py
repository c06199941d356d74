"""The docs stay true: the CLI reference matches the app, and the tutorial runs as written."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.cli.reference import render_reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_cli_reference_is_in_sync_with_the_app():
    expected = render_reference(app)
    actual = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/cli.md is out of date: run `python -m probation_themes.cli.reference > docs/cli.md`"
    )


def _command_paths(command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    if hasattr(command, "commands"):  # a group (typer carries its own copy of click)
        for name, sub in command.commands.items():
            found += _command_paths(sub, (*path, name))
    else:
        found.append(path)
    return found


@pytest.mark.parametrize("path", _command_paths(typer.main.get_command(app)), ids=" ".join)
def test_every_command_is_documented(path: tuple[str, ...]):
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"## `probation-themes {' '.join(path)}`" in reference


def test_docs_pages_exist_and_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("tutorial.md", "codebook.md", "cli.md", "methods.md", "topics.md", "review.md", "interop.md",
                 "confidentiality.md", "errors.md", "scale.md"):
        assert (DOCS / page).is_file(), page
        assert f"docs/{page}" in readme


def _tutorial_commands() -> list[list[str]]:
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("probation-themes "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_the_tutorial_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for folder in ("corpora", "codebooks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    commands = _tutorial_commands()
    assert len(commands) >= 10
    runner = CliRunner()
    for args in commands:
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, f"probation-themes {' '.join(args)}\n{result.output}"
    assert (tmp_path / "themes.html").is_file() and (tmp_path / "codings_wide.csv").is_file()
    assert (tmp_path / "nvivo_bundle" / "README.txt").is_file() and (tmp_path / "themes.docx").is_file()
