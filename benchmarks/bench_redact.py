"""Redaction recall on synthetic personal details, per kind, and false alarms on ordinary prose.

    python benchmarks/bench_redact.py              # 1,000 details of each kind, seed 7
    python benchmarks/bench_redact.py --n 5000 --seed 1

Personal details are generated here (nothing is committed) in the formats researchers meet
in survey answers: UK and international names (with accents, hyphens, apostrophes and
particles, in title case, capitals and lower case), e-mail addresses written normally or
spelled out ("jane dot doe at gov dot uk", "jo (at) mail.com"), UK phone numbers in every
common layout including +44 and 0044 prefixes and extensions, other countries' numbers,
postcodes, National Insurance numbers with spaces or hyphens, and case references. Each
is placed in a survey-like sentence. A detail counts as caught only when none of its
identifying words is left in the redacted sentence.

Names are drawn from three pools: common names (most of which a bundled list knows),
names of staff the researcher lists with ``--names``, and names nobody listed, which are
missed when they appear alone without a title: that is the honest limit of list-based
redaction, and the figures show it. Every run also counts false alarms: details found in
sentences that hold none (tricky ones: dates, sums, "MS Teams", "a dr appointment", "I miss
working") and in the bundled corpora.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from probation_themes.ingest.redact import Redactor  # noqa: E402

# -- pools --------------------------------------------------------------------------------

FIRST_COMMON = [
    "Sarah", "David", "Priya", "Gareth", "Siobhan", "Imran", "Aisha", "Łukasz", "Zoë", "Oluwaseun", "Mohammed",
    "Katarzyna", "Ciarán", "José", "Wojciech", "Ngozi", "Harpreet", "Fatima", "Rhys", "Cerys", "Mihai", "Ioana",
    "Amélie", "Björn", "Yusuf", "Chiamaka", "Eilidh", "Dafydd", "Saoirse", "Kwame", "Agnieszka", "Rahul",
    "Stephen", "Michelle", "Kevin", "Joanne", "Tariq", "Mhairi", "Siân", "Emeka",
]
SURNAME_COMMON = [
    "Smith", "O'Brien", "Okonkwo", "Smith-Jones", "Patel", "McAllister", "Nowak", "Evans", "Wójcik", "Núñez",
    "Nguyễn", "Kowalczyk", "Adeyemi", "Fitzgerald", "Chaudhry", "Popescu", "Dubois", "Yılmaz", "MacLeod",
    "Ndlovu", "Hughes", "Khan", "Begum", "Williams", "Murphy", "O'Connor", "Mensah", "Rodríguez", "Schmidt",
]
#: Staff the researcher names in a --names list (first names and surnames, some of two words).
FIRST_LISTED = ["Tamsin", "Jolyon", "Peregrine", "Ottoline", "Barnaby", "Cosima"]
SURNAME_LISTED = ["Featherstonehaugh", "Winterbottom", "Quarmby", "Ravenscroft", "Entwistle", "Higginbottom",
                  "van der Berg", "de la Cruz"]
#: Names nobody listed and no list knows.
FIRST_UNLISTED = ["Zebedee", "Wilhelmina", "Ptolemy", "Araminta"]
SURNAME_UNLISTED = ["Oddbody", "Grimshaw-Pike", "Thistlewood", "Quilliam"]
NAMES_LIST = FIRST_LISTED + SURNAME_LISTED
TITLES = ["Mr", "Mrs", "Ms", "Dr", "Dr.", "Miss", "Mx", "Prof"]

DOMAINS = ["probation.gov.uk", "justice.gov.uk", "gmail.com", "mail.example.co.uk", "hmpps.gsi.gov.uk",
           "outlook.com", "nhs.net", "correo.es"]

TEMPLATES = [
    "I raised it with {x} but my caseload is still too high.",
    "Please contact {x} about the laptop problems.",
    "The office near {x} is closing, which worries staff.",
    "{x} told the team that training would be online.",
    "My details are {x}; nobody from HR called back.",
    "Since unification ({x}) nothing has improved.",
    "I was told to ring {x}. Nobody answered.",
    "Complaints went to {x}, and then to the senior manager.",
    "Our new SPO, {x}, has been really supportive.",
    "WE WERE TOLD TO SPEAK TO {x} ABOUT THE WORKLOAD.",
]

#: Sentences that hold no personal details, chosen to tempt a redactor.
CONTROLS = [
    "We use MS Teams and Ms Word every day.", "I had a dr appointment on 12/03/2021 at 10:30.",
    "I miss working with the old team.", "He is a jack of all trades.", "I arrived at work.Then the system failed.",
    "There was a grace period of 14 days.", "Will you fix it by May?", "In case 2021 is as bad, I will leave.",
    "It cost £1,234.56 and took 45 minutes.", "Please ref to the guidance, section 4.2.", "Our team of 12 PSOs.",
    "The NPS and CRC staff still sit apart.", "Dear Sir or Madam, the workload is unmanageable.",
    "I spoke to the Dean of the college.", "Good Lord, the laptops are slow.", "We met at Costa near the office.",
    "It was 0.5 FTE and 37 hours a week.", "Version 2.3.1 of the system crashed.", "Call me at 9.",
    "The heather on the moors.", "At 10 dot 30 we met.", "OASys and nDelius are slow.",
]

# -- generators --------------------------------------------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _letters(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _ascii(word: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", word.replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in "-"))


def _person(rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.75:
        return rng.choice(FIRST_COMMON), rng.choice(SURNAME_COMMON)
    if roll < 0.95:
        return rng.choice(FIRST_LISTED), rng.choice(SURNAME_LISTED)
    return rng.choice(FIRST_UNLISTED), rng.choice(SURNAME_UNLISTED)


def _email(rng):
    first, last = _person(rng)
    user = rng.choice([f"{_ascii(first).lower()}.{_ascii(last).lower()}", f"{_ascii(first).lower()}{_digits(rng, 2)}",
                       f"{_ascii(first).lower()}_{_ascii(last).lower()}", f"team+{_digits(rng, 3)}"])
    domain = rng.choice(DOMAINS)
    spelled = user.replace(".", " dot ")
    return rng.choice([
        f"{user}@{domain}", f"{user.upper()}@{domain.upper()}", f"mailto:{user}@{domain}",
        f"{spelled} at {domain.replace('.', ' dot ')}", f"{user} at {domain}", f"{user} (at) {domain}",
        f"{user} [at] {domain.replace('.', ' [dot] ')}", f"{spelled.upper()} AT {domain.replace('.', ' DOT ').upper()}",
        f"{first.lower()}.{last.lower().replace(' ', '')}@{domain}" if first.isalpha() else f"{user}@{domain}",
    ])


def _phone(rng):
    mobile, area, local = f"07{_digits(rng, 3)}", f"01{_digits(rng, 2)}", _digits(rng, 7)
    six = _digits(rng, 6)
    return rng.choice([
        f"{mobile} {six}", f"{mobile}{six}", f"{mobile}-{six[:3]}-{six[3:]}", f"+44 {mobile[1:]} {six}",
        f"+44{mobile[1:]}{six}", f"+44 (0){mobile[1:]} {six}", f"0044 {mobile[1:]} {six}", f"0044{mobile[1:]}{six}",
        f"({area}) {local[:3]} {local[3:]}", f"{area} {local[:3]} {local[3:]}", f"020 {_digits(rng, 4)} {_digits(rng, 4)}",
        f"{area}-{local[:3]}-{local[3:]}", f"{area}.{local[:3]}.{local[3:]}", f"0044 (0) {area[1:]} {local[:3]} {local[3:]}",
        f"ext. {_digits(rng, 4)}", f"extension {_digits(rng, 4)}", f"+353 1 {_digits(rng, 3)} {_digits(rng, 4)}",
        f"+1 (555) {_digits(rng, 3)}-{_digits(rng, 4)}", f"tel: {area}{local}",
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
    body, check = _digits(rng, 6), rng.choice("ABCD")
    return rng.choice([
        f"{prefix}{body}{check}", f"{prefix} {body[:2]} {body[2:4]} {body[4:]} {check}",
        f"{prefix}-{body[:2]}-{body[2:4]}-{body[4:]}-{check}", f"{prefix} {body} {check}",
        f"{prefix.lower()}{body}{check.lower()}",
    ])


def _case_ref(rng):
    crn = f"{_letters(rng, 'ABCDEFGHJKLMNPRSTX', 1)}{_digits(rng, 6)}"
    pnc = f"20{rng.randint(10, 24)}/{_digits(rng, 7)}{_letters(rng, 'ABCDEFGHJKLMN', 1)}"
    return rng.choice([
        crn, pnc, f"CRN: {crn}", f"crn {crn.lower()}", f"PNC ID {pnc}", f"case ref {_digits(rng, 8)}",
        f"case number {_digits(rng, 7)}", f"ref {_digits(rng, 2)}-{_digits(rng, 5)}",
        f"file {_digits(rng, 2)}-{_digits(rng, 5)}", f"reference: AB-{_digits(rng, 4)}",
    ])


def _name(rng):
    first, last = _person(rng)
    title = rng.choice(TITLES)
    return rng.choice([
        f"{title} {last}", f"{title} {first} {last}", f"{first} {last}", first, last, first.lower(),
        f"{title.upper().rstrip('.')} {last.upper()}", f"{title.lower().rstrip('.')} {last.lower()}",
        f"{first} {last}".upper(), f"{first} {last[0]}. {last}" if " " not in last else f"{first} {last}",
    ])


KINDS = {"email": _email, "phone": _phone, "postcode": _postcode, "ni_number": _ni, "case_ref": _case_ref,
         "name": _name}
#: Words of a detail that identify nobody: titles and labels ("tel:", "ext.", "case ref").
_LABEL_WORDS = {t.rstrip(".").casefold() for t in TITLES} | {
    "mailto", "tel", "ext", "extension", "crn", "pnc", "case", "ref", "reference", "file", "number"}


def synthetic_pii(n_per_kind: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, value, sentence) triples: personal details placed in survey-like answers."""
    rng = random.Random(seed)
    out = []
    for kind, make in KINDS.items():
        for _ in range(n_per_kind):
            value = make(rng)
            out.append((kind, value, rng.choice(TEMPLATES).format(x=value)))
    return out


def caught(value: str, redacted: str) -> bool:
    """Whether none of a detail's identifying words (longer than 2 characters) is left."""
    words = [w for w in re.findall(r"[\w@.+'’-]+", value)
             if len(w.strip(".:")) > 2 and w.strip(".:").casefold() not in _LABEL_WORDS]
    if value in redacted:
        return False
    return not any(re.search(rf"(?<![\w@.+'’-]){re.escape(w)}(?![\w@'’-])", redacted) for w in words)


def measure(redactor: Redactor, n_per_kind: int = 1000, seed: int = 7) -> dict[str, tuple[int, int]]:
    """(caught, total) per kind over the synthetic set."""
    out: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    for kind, value, sentence in synthetic_pii(n_per_kind, seed):
        out[kind][1] += 1
        out[kind][0] += caught(value, redactor.redact(sentence)[0])
    return {k: (c, t) for k, (c, t) in out.items()}


def missed(redactor: Redactor, n_per_kind: int = 1000, seed: int = 7) -> dict[str, list[str]]:
    """The details not caught, per kind (to see what is missed)."""
    out: dict[str, list[str]] = {k: [] for k in KINDS}
    for kind, value, sentence in synthetic_pii(n_per_kind, seed):
        if not caught(value, redactor.redact(sentence)[0]):
            out[kind].append(value)
    return out


def corpus_texts() -> list[str]:
    """Every answer of the bundled corpora (which hold no personal details)."""
    texts = [row["text"] for row in csv.DictReader(
        (ROOT / "corpora/inspectorate_2021/quotes.csv").open(encoding="utf-8"))]
    with (ROOT / "corpora/synthetic/staff_survey.csv").open(encoding="utf-8-sig") as fh:
        texts += [v for row in csv.DictReader(fh) for k, v in row.items() if k.startswith("Q") and v]
    return texts


def false_alarms(redactor: Redactor) -> tuple[int, int]:
    """(details found in the control sentences, details found in the bundled corpora)."""
    return (sum(len(redactor.redact(t)[1]) for t in CONTROLS),
            sum(len(redactor.redact(t)[1]) for t in corpus_texts()))


class PlainRegexBaseline:
    """The baseline beside the redactor: the usual one-line regular expressions, ASCII names only.

    An ``@`` address, a UK number written 07… or 0…, +44, a postcode, an NI number with
    optional spaces, a CRN, and a title followed by a capitalised ASCII word.
    """

    _PATTERNS = [
        re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
        re.compile(r"(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}"),
        re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.IGNORECASE),
        re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE),
        re.compile(r"\b[A-Z]\d{6}\b"),
        re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.? [A-Z][a-z]+(?: [A-Z][a-z]+)?"),
    ]

    def redact(self, text: str) -> tuple[str, list]:
        found = []
        for pattern in self._PATTERNS:
            for m in pattern.finditer(text):
                found.append(m.span())
        for start, end in sorted(found, reverse=True):
            text = text[:start] + "[X]" + text[end:]
        return text, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="details of each kind (default 1,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for label, redactor in (("with --names (the staff list)", Redactor(names=NAMES_LIST)),
                            ("without --names", Redactor()),
                            ("baseline: plain regular expressions", PlainRegexBaseline())):
        started = time.perf_counter()
        recall = measure(redactor, args.n, args.seed)
        seconds = time.perf_counter() - started
        print(f"\n{label}: {args.n:,} of each kind, seed {args.seed} ({seconds:.1f} s)")
        for kind, (c, t) in recall.items():
            print(f"  {kind:10} {c:6,} / {t:,}  {c / t:6.1%}")
        total_c, total_t = sum(c for c, _ in recall.values()), sum(t for _, t in recall.values())
        print(f"  {'all':10} {total_c:6,} / {total_t:,}  {total_c / total_t:6.1%}")
        controls, corpora = false_alarms(redactor)
        print(f"  false alarms: {controls} in {len(CONTROLS)} control sentences, {corpora} in the bundled corpora")
        for kind, values in missed(redactor, args.n, args.seed).items():
            if values:
                print(f"  missed {kind}: {', '.join(sorted(set(values))[:8])}")


if __name__ == "__main__":
    main()
