"""--help and usage errors read as plain instructions to a researcher, not as Python types."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.cli.helpformat import SUMMARIES, first_sentence

runner = CliRunner()
ROOT_COMMAND = typer.main.get_command(app)
CODE_LIKE = re.compile(r"<[^>\s]+>|\{[a-z_]+\}|list\[|int range|Value error|Input should be|x[<>]=")


def _paths(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


PATHS = list(_paths(ROOT_COMMAND))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "(root)")
def test_help_names_values_in_words_not_python_types(path: tuple[str, ...]):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert not CODE_LIKE.findall(result.output), result.output


def test_the_command_list_sums_every_command_up_without_cutting_it_short():
    result = runner.invoke(app, ["--help"])
    listed = result.output.split("Commands:")[1]
    for name in ROOT_COMMAND.commands:
        line = next(line for line in listed.splitlines() if line.strip().startswith(name + " "))
        summary = line.strip()[len(name):].strip()
        assert summary and not summary.endswith(("...", "e.g", "e.g.")), line
    codebook = runner.invoke(app, ["codebook", "--help"]).output
    assert "Check a codebook against the format" in codebook and "e.g." not in codebook.split("Commands:")[1]
    assert all(len(text) <= 60 for text in SUMMARIES.values())


def test_first_sentence_is_not_fooled_by_abbreviations():
    assert first_sentence("Check it; errors name the field, e.g. codes -> 3. More.") == (
        "Check it; errors name the field, e.g. codes -> 3")
    assert first_sentence("One line without a stop") == "One line without a stop"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["report", "-o", "r.rtf", "--format", "rtf"],
         "'rtf' is not one of the choices; give md, html, csv, docx, xlsx or pdf."),
        (["ingest", "x.csv", "--split", "words"], "give response, paragraph, sentence or quote"),
        (["code", "--jobs", "0"], "0 is too small; give 1 or more."),
        (["agree", "--coder", "a", "--coder", "b", "--bootstrap", "many"], "'many' is not a whole number"),
        (["stats", "--min-cell", "-1"], "-1 is too small; give 0 or more."),
        (["export", "codings"], "Missing option '--output' / '-o'. It is required: CSV file to write"),
        (["ingest"], "Missing argument 'FILE'. It is required: CSV/TSV, XLSX, TXT/MD or JSONL files."),
        (["injest", "x.csv"], "No such command 'injest'. Did you mean 'ingest'? The commands are: agree, code"),
    ],
)
def test_usage_errors_say_what_to_give_instead(args: list[str], said: str):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert said in text, text
    assert not CODE_LIKE.findall(result.output)
