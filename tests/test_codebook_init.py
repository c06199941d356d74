"""`codebook init`: a codebook to start from, outside the source checkout, and errors that point at it."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path

import pytest

from probation_themes.codebook import load_codebook
from cli_helpers import invoke

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "codebooks" / "probation_unification.yaml"
QUOTES = ROOT / "corpora" / "inspectorate_2021" / "quotes.csv"


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no codebooks/ in it, as for a researcher who pip-installed the package."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_the_bundled_codebook_byte_for_byte_and_refuses_to_overwrite(elsewhere: Path):
    result = invoke("codebook", "init")
    assert result.exit_code == 0, result.output
    written = elsewhere / "codebook.yaml"
    assert written.read_bytes() == BUNDLED.read_bytes()  # comments and all
    assert "12 codes" in result.stdout and "code --codebook codebook.yaml" in result.stderr
    written.write_text("my edits", encoding="utf-8")
    again = invoke("codebook", "init")
    assert again.exit_code == 1 and "already exists" in again.stderr and "--force" in again.stderr
    assert written.read_text(encoding="utf-8") == "my edits"  # nothing lost
    assert invoke("codebook", "init", "--force").exit_code == 0
    assert written.read_bytes() == BUNDLED.read_bytes()


def test_the_template_is_commented_valid_and_codes_a_project(elsewhere: Path):
    result = invoke("codebook", "init", "--template", "-o", "books/mine.yaml")  # folders are made
    assert result.exit_code == 0, result.output
    path = elsewhere / "books" / "mine.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("\n#") >= 5 and "# required" in text and "docs/codebook.md" in text
    book = load_codebook(path)
    assert [c.id for c in book.codes] == ["workload", "wellbeing"] and book.codes[0].rules.any
    assert invoke("ingest", QUOTES, "--text-col", "text").exit_code == 0
    coded = invoke("code", "-c", path, "-j", "1")
    assert coded.exit_code == 0, coded.output


@pytest.mark.parametrize("name", ["book.csv", "book.qdc"])
def test_init_converts_to_csv_and_qdc(elsewhere: Path, name: str):
    assert invoke("codebook", "init", "-o", name).exit_code == 0
    assert [c.id for c in load_codebook(elsewhere / name).codes] == [c.id for c in load_codebook(BUNDLED).codes]


def test_a_missing_codebook_points_at_init_and_that_hint_runs_as_printed(elsewhere: Path):
    assert invoke("ingest", QUOTES, "--text-col", "text").exit_code == 0
    failed = invoke("code", "-c", "codebooks/probation_unification.yaml", "-j", "1")
    assert failed.exit_code == 1
    message = one_line(failed.stderr)
    hint = message.split("`")[1]
    assert hint == "probation-themes codebook init -o codebooks/probation_unification.yaml"
    assert invoke(*shlex.split(hint)[1:]).exit_code == 0
    assert invoke("code", "-c", "codebooks/probation_unification.yaml", "-j", "1").exit_code == 0


def test_code_without_a_codebook_uses_the_last_one_or_says_how_to_get_one(elsewhere: Path):
    assert invoke("ingest", QUOTES, "--text-col", "text").exit_code == 0
    first = invoke("code", "-j", "1")
    assert first.exit_code == 1 and "Missing option" not in first.output
    message = one_line(first.stderr)
    assert "`code` needs a codebook" in message and "`probation-themes codebook init -o codebook.yaml`" in message
    assert invoke("codebook", "init").exit_code == 0
    assert invoke("code", "-c", "codebook.yaml", "-j", "1").exit_code == 0
    again = invoke("code", "-j", "1", "--full")
    assert again.exit_code == 0, again.output
    bundled = load_codebook(BUNDLED)
    assert f"{bundled.name} {bundled.version}, the one this project was last coded with" in one_line(again.stderr)


def test_the_wheel_carries_the_bundled_codebook_and_the_template():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["codebooks"] == "probation_themes/_bundled/codebooks"
    assert "probation_themes" in wheel["packages"]  # its data files (the template) go with it
    assert (ROOT / "probation_themes" / "codebook" / "template.yaml").is_file()
