"""Each imported coding keeps its coder and its date; a REFI-QDA project of several users; round trips."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from coded_survey import coded_survey

from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.migrations import MIGRATIONS, apply_migrations
from cli_helpers import PROJECT_XSD, invoke, resave_with_pyrefiqda

ANN_AT = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
BOB_AT = datetime(2024, 3, 2, 14, 0, tzinfo=timezone.utc)

ANSWERS = [
    ["a1", "London", "CRC", "PO", "My caseload is far too high and my laptop is slow."],
    ["a2", "Wales", "NPS", "PSO", "The new laptops keep crashing."],
    ["a3", "Wales", "NPS", "PO", "Caseloads are fine."],
]

# As NVivo or QualCoder write a team project: users by GUID, a date on each coding (or only on
# its selection), and selections placed by position.
TEAM = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Team" origin="QualCoder 3.5">
  <Users>
    <User guid="{U0000000-0000-4000-8000-000000000001}" name="Ann Smith"/>
    <User guid="{U0000000-0000-4000-8000-000000000002}" name="bob"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{A0000000-0000-4000-8000-000000000001}" name="High workloads" isCodable="true"/>
    <Code guid="{A0000000-0000-4000-8000-000000000002}" name="ICT" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{B0000000-0000-4000-8000-000000000001}" name="a1">
      <PlainTextContent>My caseload is far too high and my laptop is slow.</PlainTextContent>
      <PlainTextSelection guid="{C0000000-0000-4000-8000-000000000001}" startPosition="3" endPosition="11"
          creatingUser="{U0000000-0000-4000-8000-000000000001}" creationDateTime="2023-11-05T10:15:00Z">
        <Coding guid="{D0000000-0000-4000-8000-000000000001}" creatingUser="{U0000000-0000-4000-8000-000000000001}"
            creationDateTime="2023-11-05T10:15:00Z"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000001}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{C0000000-0000-4000-8000-000000000002}" startPosition="38" endPosition="44"
          creatingUser="{U0000000-0000-4000-8000-000000000002}" creationDateTime="2023-11-07T16:00:00+01:00">
        <Coding guid="{D0000000-0000-4000-8000-000000000002}"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000002}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{B0000000-0000-4000-8000-000000000002}" name="a2">
      <PlainTextContent>The new laptops keep crashing.</PlainTextContent>
      <PlainTextSelection guid="{C0000000-0000-4000-8000-000000000003}" startPosition="8" endPosition="15"
          creatingUser="{U0000000-0000-4000-8000-000000000001}" creationDateTime="not a date">
        <Coding guid="{D0000000-0000-4000-8000-000000000003}"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000002}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{C0000000-0000-4000-8000-000000000004}" startPosition="8" endPosition="15"
          creatingUser="{U0000000-0000-4000-8000-000000000002}" creationDateTime="2023-11-08T09:00:00Z">
        <Coding guid="{D0000000-0000-4000-8000-000000000004}"><CodeRef targetGUID="{A0000000-0000-4000-8000-000000000002}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{B0000000-0000-4000-8000-000000000003}" name="a3">
      <PlainTextContent>Caseloads are fine.</PlainTextContent>
    </TextSource>
  </Sources>
</Project>
"""


def _zip(path: Path, xml: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
    return path


def _stored(project: Path, coder: str) -> dict[tuple[str, str], str | None]:
    with Project.open(project, create=False) as proj:
        got = proj.coder_codings(coder)
        assert got is not None, coder
        return {pair: got.coded_at.get(pair) for pair in got.positives}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return coded_survey(tmp_path, ANSWERS)[0]


def test_a_project_made_before_coding_dates_is_upgraded_and_keeps_its_codings(tmp_path: Path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    earlier = [m for m in MIGRATIONS if m[0] < "009"]
    import probation_themes.store.migrations as migrations
    saved = migrations.MIGRATIONS
    migrations.MIGRATIONS = earlier
    try:
        apply_migrations(db)
    finally:
        migrations.MIGRATIONS = saved
    assert "coded_at" not in {row[1] for row in db.execute("PRAGMA table_info(coder_codings)")}
    db.execute("INSERT INTO runs (command, started_at) VALUES ('import-codings', '2024-01-01T00:00:00+00:00')")
    db.execute("INSERT INTO coder_units VALUES ('ann', 'quote', 'a1:1.1', 1)")
    db.execute("INSERT INTO coder_codings VALUES ('ann', 'quote', 'a1:1.1', 'workload', 1)")
    db.close()
    with Project.open(path, create=False) as proj:
        got = proj.coder_codings("ann")
        assert got.positives == {("a1:1.1", "workload")} and dict(got.coded_at) == {}
    db = sqlite3.connect(path)
    assert "009_coding_dates" in {r[0] for r in db.execute("SELECT name FROM _migrations")}
    assert db.execute("SELECT coded_at FROM coder_codings").fetchall() == [(None,)]
    db.close()


def test_several_users_are_not_mixed_the_message_lists_each_command(project: Path, tmp_path: Path):
    team = _zip(tmp_path / "team.qdpx", TEAM)
    result = invoke("import-codings", team, "--coder", "carol", "-p", project)
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "Ann Smith (2 codings), bob (2 codings)" in message and "nothing was imported" in message
    assert f"import-codings {team} --coder 'Ann Smith' --project {project}" in message
    assert f"import-codings {team} --coder bob --project {project}" in message and "--each-user" in message
    with Project.open(project, create=False) as proj:
        assert proj.coders() == []


def test_one_user_chosen_keeps_each_codings_date_and_says_what_was_left_out(project: Path, tmp_path: Path):
    team = _zip(tmp_path / "team.qdpx", TEAM)
    result = invoke("import-codings", team, "--coder", "ann smith", "-p", project)
    assert result.exit_code == 0, result.output
    assert "only the codings of Ann Smith" in result.output
    assert "coded on 2023-11-05" in result.output and "dated: 1 of 2 codings" in result.output
    assert "left out the codings of the file's other users: bob (2)" in " ".join(result.output.split())
    assert "1 coding had a creationDateTime that is not a date" in " ".join(result.output.split())
    assert _stored(project, "ann smith") == {
        ("a1:1.1", "workload"): "2023-11-05T10:15:00+00:00", ("a2:1.1", "ict"): None,
    }


def test_each_user_imports_every_user_as_a_coder_with_their_dates(project: Path, tmp_path: Path):
    team = _zip(tmp_path / "team.qdpx", TEAM)
    result = invoke("import-codings", team, "--each-user", "-p", project)
    assert result.exit_code == 0, result.output
    assert "Imported the codings of Ann Smith" in result.output and "Imported the codings of bob" in result.output
    assert "left out" not in result.output
    # A coding dated only on its selection takes the selection's date, with its offset.
    assert _stored(project, "bob") == {
        ("a1:1.1", "ict"): "2023-11-07T16:00:00+01:00", ("a2:1.1", "ict"): "2023-11-08T09:00:00+00:00",
    }
    assert set(_stored(project, "Ann Smith")) == {("a1:1.1", "workload"), ("a2:1.1", "ict")}
    result = invoke("agree", "--coder", "Ann Smith", "--coder", "bob", "-p", project, "--bootstrap", "0")
    assert result.exit_code == 0, result.output
    assert "coded on 2023-11-05)" in result.output and "coded 2023-11-07 to 2023-11-08)" in result.output


def test_each_user_and_coder_are_one_or_the_other(project: Path, tmp_path: Path):
    team = _zip(tmp_path / "team.qdpx", TEAM)
    assert invoke("import-codings", team, "-p", project).exit_code == 2
    both = invoke("import-codings", team, "--each-user", "--coder", "x", "-p", project)
    assert both.exit_code == 2 and "Traceback" not in both.output
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("quote_id,code\na1:1.1,workload\n", encoding="utf-8")
    result = invoke("import-codings", sheet, "--each-user", "-p", project)
    assert result.exit_code == 1 and "--coder NAME" in result.output


def test_a_coding_sheet_has_no_dates(project: Path, tmp_path: Path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("quote_id,code\na1:1.1,workload\na2:1.1,ict\n", encoding="utf-8")
    result = invoke("import-codings", sheet, "--coder", "dee", "-p", project)
    assert result.exit_code == 0, result.output
    assert "coded on" not in result.output and "undated" not in result.output
    assert _stored(project, "dee") == {("a1:1.1", "workload"): None, ("a2:1.1", "ict"): None}


@pytest.fixture
def reviewed(project: Path) -> Path:
    with Project.open(project, create=False) as proj:
        for quote_id, code, coder, at in [
            ("a1:1.1", "workload", "ann", ANN_AT), ("a1:1.1", "ict", "bob", BOB_AT), ("a2:1.1", "ict", "bob", BOB_AT),
        ]:
            proj.record_decision(Decision(quote_id=quote_id, code=code, decision="accept", coder=coder,
                                          decided_at=at, suggestion_method="rules"))
    return project


def test_review_decisions_round_trip_with_their_coders_and_dates(reviewed: Path, tmp_path: Path):
    ours = tmp_path / "ours.qdpx"
    assert invoke("export", "qdpx", "-o", ours, "-p", reviewed).exit_code == 0  # suggestions and decisions
    result = invoke("import-codings", ours, "--each-user", "-p", reviewed)
    assert result.exit_code == 0, result.output
    # The rules' undecided suggestion (a3 'caseload') is the machine's, not a coder's: left out, and said.
    assert "rules (machine suggestion) (1)" in " ".join(result.output.split())
    with Project.open(reviewed, create=False) as proj:
        assert proj.coders() == ["ann", "bob"]
    assert _stored(reviewed, "ann") == {("a1:1.1", "workload"): ANN_AT.isoformat()}
    assert _stored(reviewed, "bob") == {("a1:1.1", "ict"): BOB_AT.isoformat(), ("a2:1.1", "ict"): BOB_AT.isoformat()}


def _team_project(project: Path, tmp_path: Path) -> dict[str, dict]:
    assert invoke("import-codings", _zip(tmp_path / "team.qdpx", TEAM), "--each-user", "-p", project).exit_code == 0
    return {coder: _stored(project, coder) for coder in ("Ann Smith", "bob")}


def test_imported_coders_are_exported_with_their_own_coder_and_date_and_come_back(project: Path, tmp_path: Path):
    before = _team_project(project, tmp_path)
    ours = tmp_path / "ours.qdpx"
    result = invoke("export", "qdpx", "-o", ours, "--status", "accepted", "--coder", "Ann Smith", "--coder", "bob",
                    "-p", project)
    assert result.exit_code == 0, result.output
    assert "4 imported codings of Ann Smith, bob" in result.output
    with zipfile.ZipFile(ours) as archive:
        root = PROJECT_XSD.to_dict(archive.read("project.qde").decode("utf-8"))
    users = {u["@guid"]: u["@name"] for u in root["Users"]["User"]}
    assert sorted(users.values()) == ["Ann Smith", "bob"]
    seen = []
    for source in root["Sources"]["TextSource"]:
        for selection in source.get("PlainTextSelection", []):
            (coding,) = selection["Coding"]
            assert coding["@creatingUser"] == selection["@creatingUser"]
            assert coding.get("@creationDateTime") == selection.get("@creationDateTime")
            seen.append((selection["@name"], users[selection["@creatingUser"]], selection.get("@creationDateTime")))
    assert sorted(seen) == [
        ("a1:1.1", "Ann Smith", "2023-11-05T10:15:00+00:00"), ("a1:1.1", "bob", "2023-11-07T16:00:00+01:00"),
        ("a2:1.1", "Ann Smith", None), ("a2:1.1", "bob", "2023-11-08T09:00:00+00:00"),
    ]
    result = invoke("import-codings", ours, "--each-user", "-p", project)
    assert result.exit_code == 0, result.output
    assert {coder: _stored(project, coder) for coder in ("Ann Smith", "bob")} == before


def test_imported_coders_round_trip_through_pyrefiqda(project: Path, tmp_path: Path):
    pytest.importorskip("pyrefiqda.refiproject")
    before = _team_project(project, tmp_path)
    ours = tmp_path / "ours.qdpx"
    assert invoke("export", "qdpx", "-o", ours, "--status", "accepted", "--coder", "Ann Smith", "--coder", "bob",
                  "-p", project).exit_code == 0
    theirs = resave_with_pyrefiqda(ours, tmp_path)
    result = invoke("import-codings", theirs, "--each-user", "-p", project)
    assert result.exit_code == 0, result.output
    after = {coder: _stored(project, coder) for coder in ("Ann Smith", "bob")}
    assert {c: set(v) for c, v in after.items()} == {c: set(v) for c, v in before.items()}
    for coder, dates in after.items():  # the same moments, however the program writes them
        for pair, when in dates.items():
            expected = before[coder][pair]
            assert (when is None) == (expected is None)
            if when:
                assert datetime.fromisoformat(when) == datetime.fromisoformat(expected)


def test_export_of_an_unknown_imported_coder_says_who_there_is(project: Path, tmp_path: Path):
    _team_project(project, tmp_path)
    result = invoke("export", "qdpx", "-o", tmp_path / "x.qdpx", "--coder", "carol", "-p", project)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "'carol'" in message and "Ann Smith, bob" in message and "Traceback" not in message


def test_doctor_lists_imported_coders_with_their_days_and_dates_that_are_not_dates(project: Path, tmp_path: Path):
    _team_project(project, tmp_path)
    db = sqlite3.connect(project)
    db.execute("UPDATE coder_codings SET coded_at = 'garbled' WHERE coder = 'bob' AND unit_id = 'a2:1.1'")
    db.commit()
    db.close()
    result = invoke("doctor", "-p", project)
    assert result.exit_code == 0, result.output
    message = " ".join(result.output.split())
    assert "Ann Smith (2 codings, coded on 2023-11-05); bob (2 codings, coded on 2023-11-07)" in message
    assert "1 imported coding carries a date that is not a date" in message


def test_export_codings_lists_an_imported_coders_codings_with_their_dates(project: Path, tmp_path: Path):
    import csv

    _team_project(project, tmp_path)
    out = tmp_path / "codings.csv"
    result = invoke("export", "codings", "-o", out, "--coder", "bob", "--coder", "Ann Smith", "-p", project)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["method"] == "import"]
    assert sorted((r["quote_id"], r["code"], r["coder"], r["decided_at"], r["status"]) for r in rows) == [
        ("a1:1.1", "ict", "bob", "2023-11-07T16:00:00+01:00", "accepted"),
        ("a1:1.1", "workload", "Ann Smith", "2023-11-05T10:15:00+00:00", "accepted"),
        ("a2:1.1", "ict", "Ann Smith", "", "accepted"),
        ("a2:1.1", "ict", "bob", "2023-11-08T09:00:00+00:00", "accepted"),
    ]
    wide = invoke("export", "codings", "-o", tmp_path / "w.csv", "--wide", "--coder", "bob", "-p", project)
    assert wide.exit_code == 1 and "long form" in wide.output


def test_the_nvivo_bundle_carries_imported_coders_in_its_project(project: Path, tmp_path: Path):
    before = _team_project(project, tmp_path)
    result = invoke("export", "nvivo", "-o", tmp_path / "bundle", "--status", "accepted", "--coder", "Ann Smith",
                    "--coder", "bob", "-p", project)
    assert result.exit_code == 0, result.output
    assert "4 codings imported as Ann Smith, bob" in (tmp_path / "bundle" / "README.txt").read_text(encoding="utf-8")
    result = invoke("import-codings", tmp_path / "bundle" / "project.qdpx", "--each-user", "-p", project)
    assert result.exit_code == 0, result.output
    assert {coder: _stored(project, coder) for coder in ("Ann Smith", "bob")} == before
