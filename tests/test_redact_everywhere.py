"""After `redact`, no copy of a replaced detail is left anywhere in the project: not in any
table (every text column of every table in sqlite_master), nor in the file's bytes or its
-wal, whether or not SQLite was built with secure delete."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.ingest.names import fold_text
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.review import write_memo

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()

#: The details placed in the answers; none of these words occurs in the corpus itself.
DETAILS = "Ms Zoë Núñez and Dr Łukasz Wójcik told Okonkwo: ring 07700 918273, mail jane.quarmby@probation.gov.uk, SW1A 2AA, AB 12 34 56 C, CRN X918273."
#: What must not be found, in any case and with or without accents.
NEEDLES = ["Núñez", "Wójcik", "Łukasz", "Okonkwo", "07700", "918273", "quarmby", "SW1A", "AB 12 34 56", "X918273"]


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result


def _survey(tmp_path: Path) -> Path:
    answers = [row["text"] for row in csv.DictReader((ROOT / "corpora/inspectorate_2021/quotes.csv").open(encoding="utf-8"))]
    rows = [["id", "region", "org", "answer"]]
    for i, text in enumerate(answers * 2):
        rows.append([f"r{i}", ["London", "Wales"][i % 2], ["CRC", "NPS"][i % 3 % 2],
                     f"{text} {DETAILS}" if i % 2 == 0 else text])
    path = tmp_path / "s.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
        # A rejected row that holds the details too (one cell too many).
        fh.write(f'bad,London,CRC,"{DETAILS}",extra\n')
    return path


def _full_project(tmp_path: Path) -> Path:
    """A project that went through every command that stores words taken from the quotes."""
    project = tmp_path / "p.db"
    invoke("ingest", _survey(tmp_path), "-p", project, "--id-col", "id", "--region-col", "region", "--org-col", "org")
    invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1")
    invoke("topics", "-c", CODEBOOK, "-p", project, "--k", "4", "--seed", "1")
    with Project.open(project) as proj:
        quotes = proj.quotes()
        for q in quotes[:10]:
            proj.record_decision(Decision(quote_id=q.quote_id, code="workload", decision="accept", coder="ana",
                                          decided_at=datetime.now().astimezone(), memo="Okonkwo again, 07700 918273"))
            write_memo(proj, q.quote_id, "", "spoke to Zoë Núñez about it", coder="ana", at=datetime.now().astimezone())
    gold = tmp_path / "gold.csv"
    with gold.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["response_id", "code"])
        for q in quotes[:60]:
            writer.writerow([q.response_id, "workload" if "caseload" in q.text.lower() else "ict"])
    invoke("import-codings", gold, "--coder", "gold", "-p", project)
    invoke("code", "-c", CODEBOOK, "-p", project, "--method", "all", "--train-coder", "gold", "-j", "1")
    invoke("topics", "-c", CODEBOOK, "-p", project, "--k", "4", "--seed", "2")
    return project


def _leaks(project: Path) -> dict[str, list[str]]:
    """Every place a needle is found: 'table.column' for the tables, and the files' names."""
    needles = {fold_text(n) for n in NEEDLES} | {n.casefold() for n in NEEDLES}
    found: dict[str, list[str]] = {}
    db = sqlite3.connect(project)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert {"quotes", "topics", "suggestions", "memos", "rejects", "runs", "codebooks"} <= set(tables)
        for table in tables:
            for column in [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]:
                for (value,) in db.execute(f'SELECT "{column}" FROM "{table}"'):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if not isinstance(value, str):
                        continue
                    text = {value.casefold(), fold_text(value)}
                    hits = [n for n in needles if any(n in t for t in text)]
                    if hits:
                        found.setdefault(f"{table}.{column}", []).extend(hits)
    finally:
        db.close()
    for suffix in ("", "-wal", "-journal"):
        path = Path(f"{project}{suffix}")
        if path.exists():
            data = path.read_bytes()
            hits = [n for n in NEEDLES if n.encode("utf-8") in data or n.casefold().encode("utf-8") in data]
            if hits:
                found[path.name] = hits
    return found


@pytest.fixture(scope="module")
def coded(tmp_path_factory) -> Path:
    return _full_project(tmp_path_factory.mktemp("everywhere"))


def test_the_details_are_everywhere_before_redaction(coded):
    # The test would find them: quotes, topic summaries, memos, evidence, rejects and the file.
    leaks = _leaks(coded)
    for where in ("quotes.text", "topics.summary", "memos.text", "decisions.memo", "rejects.raw", "p.db"):
        assert where in leaks, leaks.keys()


def test_redact_leaves_no_copy_in_any_table_nor_in_the_files(coded, tmp_path):
    project = tmp_path / "copy.db"
    with sqlite3.connect(coded) as src, sqlite3.connect(project) as dst:
        src.backup(dst)
    result = invoke("redact", "-p", project, "--json")
    report = json.loads(result.stdout)
    assert report["not_erased"] is None
    assert {"topics.summary", "memos.text", "decisions.memo"} <= set(report["cleaned_elsewhere"])
    assert _leaks(project) == {}
    assert invoke("doctor", "-p", project).exit_code == 0
    # Everything still reads: stats, a report, the topics a promotion would take.
    invoke("stats", "-p", project)
    invoke("report", "-p", project, "--format", "md", "-o", tmp_path / "r.md")
    assert not any(n.casefold() in (tmp_path / "r.md").read_text(encoding="utf-8").casefold() for n in NEEDLES)


def test_secure_delete_off_at_compile_time_still_leaves_nothing_in_the_file_or_its_wal(tmp_path, monkeypatch):
    real_connect = sqlite3.connect

    def built_without_secure_delete(*args, **kwargs):
        db = real_connect(*args, **kwargs)
        db.execute("PRAGMA secure_delete = OFF")  # what a build compiled without SQLITE_SECURE_DELETE starts with
        return db

    monkeypatch.setattr(sqlite3, "connect", built_without_secure_delete)
    project = tmp_path / "p.db"
    invoke("ingest", _survey(tmp_path), "-p", project, "--id-col", "id")
    invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1")
    invoke("topics", "-c", CODEBOOK, "-p", project, "--k", "4", "--seed", "1")
    with Project.open(project) as proj:
        for q in proj.quotes()[:10]:
            write_memo(proj, q.quote_id, "", f"long memo: {DETAILS * 20}", coder="ana", at=datetime.now().astimezone())
    # Held open, as a review session in another window would: the -wal file stays, and is grepped too.
    with Project.open(project, create=False) as proj:
        assert _leaks(project)
        invoke("redact", "-p", project)
        assert Path(f"{project}-wal").exists()
        leaks = _leaks(project)
        assert leaks == {}, leaks
        assert proj.count_quotes() > 0
    assert _leaks(project) == {}


def test_a_topic_promoted_after_redaction_gets_no_placeholder_or_name_as_seed(coded, tmp_path):
    project = tmp_path / "copy.db"
    with sqlite3.connect(coded) as src, sqlite3.connect(project) as dst:
        src.backup(dst)
    invoke("redact", "-p", project)
    invoke("topics", "-c", CODEBOOK, "-p", project, "--k", "6", "--seed", "3")
    free = [t for t in json.loads(invoke("topics", "-c", CODEBOOK, "-p", project, "--k", "6", "--seed", "3",
                                         "--json").stdout)["topics"] if t["code"] is None]
    assert free
    book = tmp_path / "book.yaml"
    book.write_text(CODEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    for topic in free:
        assert not any("[" in term for term in topic["terms"]), topic["terms"]  # placeholders are no topic's words
    runner.invoke(app, ["topics", "promote", str(free[0]["topic_id"]), "--id", "emergent", "--label", "Emergent",
                        "-c", str(book), "-p", str(project)], catch_exceptions=False)
    seeds = next(c for c in yaml.safe_load(book.read_text(encoding="utf-8"))["codes"] if c["id"] == "emergent")["seeds"]
    assert not any("[" in s or fold_text(s) in {fold_text(n) for n in NEEDLES} for s in seeds), seeds
