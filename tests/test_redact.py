"""Redaction: what it replaces, what it records, what it misses (measured), and what reports reveal."""

from __future__ import annotations

import csv
import importlib.util
import json
import random
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probation_themes.cli import app
from probation_themes.ingest.redact import Redactor, shift_evidence
from probation_themes.models import Decision
from probation_themes.store import Project
from probation_themes.store.doctor import check_project

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


# -- a synthetic personal-data generator ------------------------------------------------
# Each kind lists formats a researcher meets in survey answers, including some the
# redactor is known to miss, so that the recall measured here is honest.

FIRST = ["Sarah", "David", "Priya", "Gareth", "Siobhan", "Imran", "Tamsin", "Bartholomew", "Ffion", "Jolyon"]
SURNAMES = ["Smith", "O'Brien", "Okonkwo", "Smith-Jones", "Patel", "McAllister", "Nowak", "Evans"]
TITLES = ["Mr", "Mrs", "Ms", "Dr", "Dr.", "Miss"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _letters(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _email(rng):
    user = rng.choice([f"{rng.choice(FIRST).lower()}.{rng.choice(SURNAMES).lower().replace(chr(39), '')}",
                       f"{rng.choice(FIRST).lower()}{_digits(rng, 2)}", f"team+{_digits(rng, 3)}"])
    domain = rng.choice(["probation.gov.uk", "justice.gov.uk", "gmail.com", "mail.example.co.uk"])
    return rng.choice([f"{user}@{domain}", f"{user.upper()}@{domain.upper()}", f"{user} at {domain.replace('.', ' dot ')}",
                       f"{user} (at) {domain}"])  # bracketed "(at)": missed


def _phone(rng):
    mobile, area, local = f"07{_digits(rng, 3)}", f"01{_digits(rng, 2)}", _digits(rng, 7)
    return rng.choice([
        f"{mobile} {_digits(rng, 6)}", f"{mobile}{_digits(rng, 6)}", f"+44 {mobile[1:]} {_digits(rng, 6)}",
        f"+44{mobile[1:]}{_digits(rng, 6)}", f"{area} {local[:3]} {local[3:]}", f"({area}) {local[:3]} {local[3:]}",
        f"020 {_digits(rng, 4)} {_digits(rng, 4)}", f"{area}-{local[:3]}-{local[3:]}",
        f"+44 (0){area[1:]} {local[:3]} {local[3:]}", f"ext. {_digits(rng, 4)}",  # an extension alone: missed
    ])


def _postcode(rng):
    outward = rng.choice([f"{_letters(rng, 'BGLMS', 1)}{rng.randint(1, 9)}",
                          f"{_letters(rng, 'BCEKNSW', 2)}{rng.randint(1, 20)}", "SW1A", f"EC{rng.randint(1, 4)}A"])
    inward = f"{rng.randint(0, 9)}{_letters(rng, 'ABDEFGHJLNPQRSTUWXYZ', 2)}"
    return rng.choice([f"{outward} {inward}", f"{outward}{inward}", f"{outward} {inward}".lower()])


def _ni(rng):
    prefix = "GB"
    while prefix in ("GB", "BG", "NK", "KN", "TN", "NT", "ZZ"):  # prefixes never issued
        prefix = _letters(rng, "ABCEGHJKLMNPRSTWXYZ", 1) + _letters(rng, "ABCEGHJKLMNPRSTWXYZ", 1)
    body = _digits(rng, 6)
    return rng.choice([f"{prefix}{body}{rng.choice('ABCD')}",
                       f"{prefix} {body[:2]} {body[2:4]} {body[4:]} {rng.choice('ABCD')}",
                       f"{prefix.lower()}{body}{rng.choice('abcd')}"])


def _case_ref(rng):
    return rng.choice([f"{_letters(rng, 'ABCDEFGHJKLMNPRSTX', 1)}{_digits(rng, 6)}",
                       f"20{rng.randint(10, 24)}/{_digits(rng, 7)}{_letters(rng, 'ABCDEFGHJKLMN', 1)}",
                       f"CRN: {_letters(rng, 'ABCX', 1)}{_digits(rng, 6)}", f"case ref {_digits(rng, 8)}",
                       f"ref {_digits(rng, 2)}-{_digits(rng, 5)}", f"file {_digits(rng, 2)}-{_digits(rng, 5)}"])


def _name(rng):
    first, last = rng.choice(FIRST), rng.choice(SURNAMES)
    return rng.choice([f"{rng.choice(TITLES)} {last}", f"{rng.choice(TITLES)} {first} {last}", first,
                       f"{first} {last}", last, first.lower()])


KINDS = {"email": _email, "phone": _phone, "postcode": _postcode, "ni_number": _ni, "case_ref": _case_ref,
         "name": _name}
TEMPLATES = [
    "I raised it with {x} but my caseload is still too high.",
    "Please contact {x} about the laptop problems.",
    "The office near {x} is closing, which worries staff.",
    "{x} told the team that training would be online.",
    "My details are {x}; nobody from HR called back.",
]


def synthetic_pii(n_per_kind: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, value, sentence) triples: personal details placed in survey-like answers."""
    rng = random.Random(seed)
    return [(kind, value, rng.choice(TEMPLATES).format(x=value))
            for kind, make in KINDS.items() for value in (make(rng) for _ in range(n_per_kind))]


def _caught(value: str, redacted: str) -> bool:
    """A detail counts as caught only when none of its identifying words is left."""
    words = [w for w in re.findall(r"[\w@.+'-]+", value) if len(w) > 2 and w.rstrip(".") not in TITLES]
    return value not in redacted and not any(re.search(rf"(?<![\w@.+'-]){re.escape(w)}(?![\w@'-])", redacted) for w in words)


def measure_recall(redactor: Redactor, n_per_kind: int = 150, seed: int = 11) -> dict[str, tuple[int, int]]:
    """(caught, total) per kind over the synthetic corpus."""
    out: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    for kind, value, sentence in synthetic_pii(n_per_kind, seed):
        out[kind][1] += 1
        out[kind][0] += _caught(value, redactor.redact(sentence)[0])
    return {k: (c, t) for k, (c, t) in out.items()}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_redact", ROOT / "benchmarks" / "bench_redact.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recall_per_kind_on_the_larger_synthetic_set_reaches_95_percent():
    # UK and international names (accents, particles, capitals, lower case), written-out
    # e-mail addresses, 0044 and +44 numbers, extensions, hyphenated NI numbers, case
    # references; see benchmarks/bench_redact.py (docs/confidentiality.md gives the figures).
    bench = _bench()
    recall = bench.measure(Redactor(names=bench.NAMES_LIST), n_per_kind=300, seed=5)
    print("redaction recall:", {k: f"{c}/{t}" for k, (c, t) in recall.items()})
    assert all(c / t >= 0.95 for c, t in recall.values()), recall
    without_list = bench.measure(Redactor(), n_per_kind=300, seed=5)["name"]
    assert without_list[0] < recall["name"][0]  # the researcher's list of staff names raises recall
    # What is missed is what no list knows: names nobody listed, written without a title.
    unlisted = {n.casefold() for n in bench.FIRST_UNLISTED + bench.SURNAME_UNLISTED}
    missed = bench.missed(Redactor(names=bench.NAMES_LIST), n_per_kind=300, seed=5)
    assert all(any(u in value.casefold() for u in unlisted) for value in missed["name"]), missed["name"]
    assert bench.false_alarms(Redactor(names=bench.NAMES_LIST)) == (0, 0)


def test_recall_on_synthetic_personal_data_is_measured_and_high_where_promised():
    # The first, smaller generator above, with a researcher's list of names no bundled list holds.
    recall = measure_recall(Redactor(names=["Tamsin", "Jolyon", "Bartholomew", "Smith-Jones"]))
    rates = {k: c / t for k, (c, t) in recall.items()}
    print("redaction recall:", {k: f"{c}/{t}" for k, (c, t) in recall.items()})
    # Measured (docs/confidentiality.md): every format of this mix is now caught but unlisted
    # first names in lower case.
    assert rates["email"] >= 0.95 and rates["phone"] >= 0.95 and rates["postcode"] == 1.0
    assert rates["ni_number"] == 1.0 and rates["case_ref"] >= 0.95 and rates["name"] >= 0.9
    without_list = measure_recall(Redactor())["name"]
    assert without_list[0] < recall["name"][0]  # a names list raises recall


def test_no_false_alarms_in_the_bundled_corpora():
    redactor = Redactor()
    texts = [row["text"] for row in csv.DictReader((ROOT / "corpora/inspectorate_2021/quotes.csv").open(encoding="utf-8"))]
    with (ROOT / "corpora/synthetic/staff_survey.csv").open(encoding="utf-8-sig") as fh:
        texts += [v for row in csv.DictReader(fh) for k, v in row.items() if k.startswith("Q") and v]
    assert sum(len(redactor.redact(t)[1]) for t in texts) == 0


@pytest.mark.parametrize("text, expected", [
    ("Email jane.doe@probation.gov.uk today", "Email [EMAIL] today"),
    ("Ring 07700 900123 or +44 (0)161 496 0000.", "Ring [PHONE] or [PHONE]."),
    ("Office at SW1A 2AA, near m1 1ae", "Office at [POSTCODE], near [POSTCODE]"),
    ("NI AB 12 34 56 C", "NI [NI NUMBER]"),
    ("CRN X123456, PNC 2019/0123456A, X654321", "[CASE REF], [CASE REF], [CASE REF]"),
    ("Mr Smith and Dr. Jane Doe met Sarah Jones.", "[NAME] and [NAME] met [NAME]."),
    ("(Greater Manchester, CRC) on 12/03/2021 at 10:30, £1,234", "(Greater Manchester, CRC) on 12/03/2021 at 10:30, £1,234"),
])
def test_each_kind_is_replaced_with_its_placeholder(text, expected):
    assert Redactor().redact(text)[0] == expected


def test_replacement_offsets_point_at_placeholders_and_originals_only_when_kept():
    text, found = Redactor().redact("Call Mr Smith on 07700 900123.")
    assert [text[r.start:r.end] for r in found] == ["[NAME]", "[PHONE]"]
    assert all(r.original == "" for r in found)
    kept = Redactor(keep_originals=True).redact("Call Mr Smith on 07700 900123.")[1]
    assert [r.original for r in kept] == ["Mr Smith", "07700 900123"]


def test_evidence_moves_with_the_text_and_evidence_on_replaced_words_goes():
    redactor = Redactor()
    text = "Mr Smith said my caseload is high"
    new, found = redactor.redact(text)
    start = text.index("caseload")
    moved = shift_evidence([{"text": "caseload", "start": start, "end": start + 8},
                            {"text": "Smith", "start": 3, "end": 8}, {"term": "model", "weight": 0.3}], found)
    assert [new[e["start"]:e["end"]] for e in moved if "start" in e] == ["caseload"]
    assert len(moved) == 2


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    rows = [["id", "region", "org", "grade", "answer"],
            ["1", "London", "CRC", "PSO", "Mr Smith gave me a caseload of 60; call 07700 900123."],
            ["2", "Wales", "NPS", "PO", "The laptop from Okonkwo never worked. Email it@probation.gov.uk."],
            ["3", "London", "NPS", "PO", "Workload is far too high and training is rushed."],
            ["4", "Wales", "CRC", "PSO", ""]]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _texts(project: Path) -> list[str]:
    return [r[0] for r in sqlite3.connect(project).execute("SELECT text FROM quotes ORDER BY seq")]


def test_ingest_redact_stores_no_personal_details_and_says_what_it_did(tmp_path, survey):
    names = tmp_path / "names.txt"
    names.write_text("# staff names\nOkonkwo\n", encoding="utf-8")
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--id-col", "id", "--redact", "--names", names)
    assert result.exit_code == 0, result.output
    assert "Redacted 4 personal details before storing: [EMAIL] 1, [PHONE] 1, [NAME] 2." in result.output
    texts = _texts(project)
    assert texts[0] == "[NAME] gave me a caseload of 60; call [PHONE]."
    assert not any(s in " ".join(texts) for s in ("Smith", "07700", "Okonkwo", "it@"))
    db = sqlite3.connect(project)
    assert db.execute("SELECT COUNT(*) FROM redacted_originals_confidential").fetchone()[0] == 0
    kinds = db.execute("SELECT kind, COUNT(*) FROM redactions GROUP BY kind ORDER BY kind").fetchall()
    assert kinds == [("email", 1), ("name", 2), ("phone", 1)]
    dump = "\n".join(db.iterdump())
    assert "Smith" not in dump and "900123" not in dump and "Okonkwo" not in dump  # not in rejects or runs either
    with Project.open(project) as proj:
        assert check_project(proj).ok


def test_keep_originals_keeps_them_apart_and_marked(tmp_path, survey):
    project = tmp_path / "p.db"
    result = invoke("ingest", survey, "-p", project, "--redact", "--keep-originals", "--text-col", "answer")
    assert result.exit_code == 0, result.output
    assert "redacted_originals_confidential" in result.output
    originals = sqlite3.connect(project).execute("SELECT original FROM redacted_originals_confidential").fetchall()
    assert ("Mr Smith",) in originals


def test_redact_options_need_redact(tmp_path, survey):
    result = invoke("ingest", survey, "-p", tmp_path / "p.db", "--keep-originals")
    assert result.exit_code == 2 and not (tmp_path / "p.db").exists()


def test_missing_names_file_is_a_clear_error(tmp_path, survey):
    result = invoke("ingest", survey, "-p", tmp_path / "p.db", "--redact", "--names", tmp_path / "nope.txt")
    assert result.exit_code == 1 and "names list" in result.output and "Traceback" not in result.output


def test_redacting_a_coded_project_keeps_evidence_in_line_and_decisions(tmp_path, survey):
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--text-col", "answer").exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    with Project.open(project) as proj:
        before = {(c.quote_id, c.code) for c in proj.codings()}
        first = proj.codings()[0]
        proj.record_decision(Decision(quote_id=first.quote_id, code=first.code, decision="accept", coder="ana",
                                      decided_at=datetime.now().astimezone()))
    result = invoke("redact", "-p", project, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # Okonkwo is a common surname the bundled list knows, so it goes without --names.
    assert report["redacted"] == {"email": 1, "phone": 1, "name": 2} and report["quotes_changed"] == 2
    assert "Smith" not in " ".join(_texts(project))
    with Project.open(project) as proj:
        assert check_project(proj).ok  # every piece of evidence still slices its words
        after = {(c.quote_id, c.code) for c in proj.codings()}
        for coding in proj.codings():
            text = next(q.text for q in proj.quotes() if q.quote_id == coding.quote_id)
            assert all(text[e.start:e.end] == e.text for e in coding.evidence if e.start is not None)
        assert [(d.quote_id, d.code, d.coder) for d in proj.decisions()] == [(first.quote_id, first.code, "ana")]
    assert after == before  # the codes rested on words that were not personal details
    again = json.loads(invoke("redact", "-p", project, "--json").stdout)
    assert again["quotes_changed"] == 0  # placeholders are not redacted again


def test_only_a_redaction_that_changed_text_makes_code_start_again(tmp_path, survey):
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--text-col", "answer").exit_code == 0
    assert invoke("redact", "-p", project).exit_code == 0  # replaces the survey's details
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    nothing = invoke("redact", "-p", project)
    assert "0 changed" in nothing.stdout
    again = json.loads(invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1", "--json").stdout)
    assert again["kept_from_run"] is not None and again["coded_quotes"] == 0  # nothing changed: kept
    with Project.open(project) as proj:
        quote_id = proj.quotes()[0].quote_id
        proj._db.execute("UPDATE quotes SET text = text || ' Ring 07700 900123.' WHERE quote_id = ?", (quote_id,))
    changed = json.loads(invoke("redact", "-p", project, "--json").stdout)
    assert changed["quotes_changed"] == 1
    renewed = json.loads(invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1", "--json").stdout)
    assert renewed["kept_from_run"] is None and renewed["coded_quotes"] == renewed["quotes"]


def test_reports_attribute_quotes_only_by_the_attributes_chosen(tmp_path, survey):
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--region-col", "region", "--org-col", "org",
                  "--attr-col", "grade", "--text-col", "answer").exit_code == 0
    assert invoke("code", "-c", CODEBOOK, "-p", project, "-j", "1").exit_code == 0
    out = tmp_path / "r.csv"
    # --min-cell 0: the groups here are small, and the small-cell policy would withhold every region.
    result = invoke("report", "-p", project, "--format", "csv", "--attribute", "region", "--by", "region", "-o", out,
                    "--min-cell", "0")
    assert result.exit_code == 0, result.output
    written = "\n".join(p.read_text(encoding="utf-8-sig") for p in tmp_path.glob("r*.csv"))
    assert "London" in written
    for hidden in ("CRC", "NPS", "PSO", "s.csv:", ",1,", "grade"):
        assert hidden not in written, hidden


@pytest.mark.parametrize("text, names, expected", [
    ("Ms Zoë Núñez called again.", (), "[NAME] called again."),
    ("Dr Łukasz Wójcik missed the meeting.", (), "[NAME] missed the meeting."),
    ("DR JONES and MR SMITH said no.", (), "[NAME] and [NAME] said no."),
    ("ask mr smith or mrs o'connor", (), "ask [NAME] or [NAME]"),
    ("I spoke to Siân Prosser-Vaughan today.", (), "I spoke to [NAME] today."),
    ("Brief zoe nunez and ZOË NÚÑEZ.", ("Zoë Núñez",), "Brief [NAME] and [NAME]."),
    ("Our SPO Mary Ann left; then van der Berg came.", ("Mary Ann", "van der Berg"), "Our SPO [NAME] left; then [NAME] came."),
    ("Lukasz and Łukasz are one name.", ("Łukasz",), "[NAME] and [NAME] are one name."),
    ("Write to jane dot doe at gov dot uk or jo.bloggs (at) justice.gov.uk", (), "Write to [EMAIL] or [EMAIL]"),
    ("Ring 0044 7700 900123 or 0044 (0) 161 496 0000, ext. 5123", (), "Ring [PHONE] or [PHONE], [PHONE]"),
    ("NI AB-12-34-56-C and ab 123456 c", (), "NI [NI NUMBER] and [NI NUMBER]"),
    ("We use MS Teams; I miss working with the Dean; jack of all trades.", (),
     "We use MS Teams; I miss working with the Dean; jack of all trades."),
])
def test_names_in_any_letters_and_case_and_obfuscated_details(text, names, expected):
    assert Redactor(names).redact(text)[0] == expected


def test_names_list_entries_with_accents_and_several_words_are_read_from_the_file(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Zoë Núñez\nvan der Berg\n", encoding="utf-8")
    survey = tmp_path / "s.csv"
    survey.write_text("id,answer\n1,Zoe Nunez and Van Der Berg run the team.\n", encoding="utf-8")
    project = tmp_path / "p.db"
    assert invoke("ingest", survey, "-p", project, "--id-col", "id", "--redact", "--names", names).exit_code == 0
    assert _texts(project) == ["[NAME] and [NAME] run the team."]
