"""Find personal details in answers and replace them with placeholders, offline.

What is found (see docs/confidentiality.md for what is missed, measured):

- ``[EMAIL]``: e-mail addresses;
- ``[PHONE]``: UK telephone numbers: mobiles (07…), landlines with or without
  spaces, hyphens or brackets, and the +44 forms;
- ``[POSTCODE]``: UK postcodes, with or without the space;
- ``[NI NUMBER]``: National Insurance numbers (AB 12 34 56 C);
- ``[CASE REF]``: case reference numbers shaped like a probation CRN (X123456), a
  Police National Computer reference (2019/0123456A) or a labelled reference
  ("case ref: AB-1234");
- ``[NAME]``: personal names after a title (Mr Smith, Dr. Jane Doe), and names from
  a list: a bundled list of common first names that are not also ordinary words,
  plus any names the researcher supplies, each with the capitalised word after it
  (a surname).

Only the quote text is changed. A quote's offsets within its answer are shifted so
that later passages of the same answer still line up, and the record of what was
replaced holds the kind and the placeholder's position, never the original text
(unless the researcher asks to keep originals).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from probation_themes.errors import IngestError
from probation_themes.models import IngestResult, Quote, Reject

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "postcode": "[POSTCODE]",
    "ni_number": "[NI NUMBER]",
    "case_ref": "[CASE REF]",
    "name": "[NAME]",
}

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+"
    r"|(?<![\w.+-])[\w.+-]+ (?:at|AT) [\w-]+(?: (?:dot|DOT) [\w-]+)+"  # written out: jo at mail dot com
)
# A run of digits, spaces, hyphens, dots and brackets starting like a UK number; the
# digits are then counted, so dates and sums of money are not taken for phone numbers.
_PHONE = re.compile(r"(?<![\w+])(?:\+\s?44|\(0\d{2,5}\)|0)[\d \t().-]{6,18}\d(?!\w)")
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_NI_NUMBER = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE
)
_CASE_REF = re.compile(
    r"\b(?:CRN|PNC|case (?:ref(?:erence)?|no|number)|ref(?:erence)?)\.?\s*(?:no\.?\s*)?[:#]?\s*"
    r"(?=[A-Z/-]*\d)[A-Z0-9][A-Z0-9/-]{3,}\b"  # a labelled reference holding a digit
    r"|\b[A-Z]\d{6}\b"  # a CRN: one letter and six digits
    r"|\b(?:\d{2}){1,2}/\d{5,7}[A-Z]\b",  # a PNC reference: year/number and a check letter
    re.IGNORECASE,
)
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Rev|Revd|Reverend)"
# A capitalised name word: Smith, McAllister, O'Brien, Smith-Jones, or an initial (J.).
_NAME_WORD = r"[A-Z][a-z]*(?:[A-Z][a-z]+)?(?:['\u2019][A-Z][a-z]+)?(?:-[A-Z][a-z]+)?"
_CAPITALISED = rf"(?:[A-Z]\.|(?=\w\w|\w['\u2019]){_NAME_WORD})"
_TITLED_NAME = re.compile(rf"\b{_TITLE}\.?(?: {_CAPITALISED}){{1,3}}")
_NOT_NAMES = r"(?:I|The|And|But|Or|If|So|We|He|She|They|It|My|Our|This|That|Dear|Hi|Hello|Thanks|Contact|Ask|Tell)\b"
_SURNAME = re.compile(rf" (?!{_NOT_NAMES}){_CAPITALISED}")
# A capitalised word just before a listed name is taken as a first name: "Tamsin Patel".
_FORENAME = re.compile(rf"(?<![\w'\u2019-])(?!{_NOT_NAMES})(?=\w\w){_NAME_WORD} $")
_WORD = re.compile(rf"\b(?=\w\w|\w['\u2019]){_NAME_WORD}\b")

_ORDER = ("email", "case_ref", "ni_number", "phone", "postcode", "name")


def _phone_ok(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits.startswith("0") and len(digits) in (10, 11) and digits[1] != "0"


def bundled_names() -> frozenset[str]:
    """Common first names in the UK that are not also ordinary English words."""
    text = resources.files("probation_themes.ingest").joinpath("data/first_names.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def read_names(path: str | Path) -> frozenset[str]:
    """Read a names list: one name per line; blank lines and lines starting with # are ignored.

    Raises:
        IngestError: the file is missing or not UTF-8 text.
    """
    path = Path(path)
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise IngestError(f"The names list {path} does not exist. Check the path given to --names.", path=path) from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError):
        raise IngestError(
            f"The names list {path} could not be read as UTF-8 text. Save it as a plain UTF-8 text file "
            "with one name per line.",
            path=path,
        ) from None
    names = frozenset(n for n in (line.strip() for line in text.splitlines()) if n and not n.startswith("#"))
    if not names:
        raise IngestError(f"The names list {path} holds no names. Put one name per line.", path=path)
    return names


@dataclass(frozen=True)
class Replacement:
    """One personal detail replaced: its kind, where it was, and where the placeholder sits now."""

    kind: str
    start: int
    end: int
    old_start: int
    old_end: int
    original: str


class Redactor:
    """Replace personal details in text with placeholders.

    Args:
        names: extra names to find (first names or surnames), matched as whole,
            capitalised words; the bundled list of first names is always used.
        keep_originals: whether the replaced text is kept in the records (for a
            researcher who must be able to undo redaction); off by default.
    """

    def __init__(self, names: Iterable[str] = (), *, keep_originals: bool = False) -> None:
        self.extra_names = frozenset(names)
        self.keep_originals = keep_originals
        self._names = bundled_names() | self.extra_names

    def parameters(self) -> dict[str, object]:
        """How this redaction was configured, for the run record (names themselves are not recorded)."""
        return {"extra_names": len(self.extra_names), "keep_originals": self.keep_originals}

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        for kind, pattern in (
            ("email", _EMAIL), ("case_ref", _CASE_REF), ("ni_number", _NI_NUMBER),
            ("phone", _PHONE), ("postcode", _POSTCODE), ("name", _TITLED_NAME),
        ):
            for m in pattern.finditer(text):
                if kind == "phone" and not _phone_ok(m.group()):
                    continue
                found.append((m.start(), m.end(), kind))
        for m in _WORD.finditer(text):
            if m.group() in self._names:
                start, end = m.start(), m.end()
                surname = _SURNAME.match(text, end)
                if surname:
                    end = surname.end()
                forename = _FORENAME.search(text, max(0, start - 40), start)
                if forename:
                    start = forename.start()
                found.append((start, end, "name"))
        # Overlapping finds become one placeholder, of the kind listed first in _ORDER
        # (an e-mail address that holds a name is an e-mail address).
        found.sort()
        kept: list[tuple[int, int, str]] = []
        for start, end, kind in found:
            if kept and start < kept[-1][1]:
                first, last, other = kept[-1]
                kept[-1] = (first, max(end, last), min(kind, other, key=_ORDER.index))
            else:
                kept.append((start, end, kind))
        return kept

    def redact(self, text: str) -> tuple[str, list[Replacement]]:
        """Replace every personal detail found in ``text``.

        Returns:
            ``(new text, replacements)``; each replacement's offsets point at its
            placeholder in the new text; ``original`` is empty unless originals are kept.
        """
        spans = self._spans(text)
        if not spans:
            return text, []
        parts: list[str] = []
        replacements: list[Replacement] = []
        last = 0
        length = 0
        for start, end, kind in spans:
            parts.append(text[last:start])
            length += start - last
            placeholder = PLACEHOLDERS[kind]
            original = text[start:end] if self.keep_originals else ""
            replacements.append(Replacement(kind, length, length + len(placeholder), start, end, original))
            parts.append(placeholder)
            length += len(placeholder)
            last = end
        parts.append(text[last:])
        return "".join(parts), replacements

    def redact_quotes(self, quotes: Sequence[Quote]) -> tuple[list[Quote], dict[str, list[Replacement]]]:
        """Redact each quote's text, keeping quotes of one answer in line with each other.

        A quote's ``start``/``end`` are offsets in its answer; when an earlier
        passage of the same answer gets shorter or longer, later ones move with it.

        Returns:
            ``(quotes, replacements by quote id)``; unchanged quotes are returned as they were.
        """
        shift: dict[tuple[str, str | None], int] = {}
        log: dict[str, list[Replacement]] = {}
        out: list[Quote] = []
        for quote in sorted(quotes, key=lambda q: (q.response_id, q.question or "", q.start, q.position)):
            key = (quote.response_id, quote.question)
            moved = shift.get(key, 0)
            text, found = self.redact(quote.text)
            if found:
                log[quote.quote_id] = found
                shift[key] = moved + len(text) - len(quote.text)
            if found or moved:
                quote = quote.model_copy(
                    update={"text": text, "start": quote.start + moved, "end": quote.start + moved + len(text)}
                )
            out.append(quote)
        order = {q.quote_id: i for i, q in enumerate(quotes)}
        out.sort(key=lambda q: order[q.quote_id])
        # The log in the quotes' own order too, so it is stored the same however a file is batched.
        return out, {q.quote_id: log[q.quote_id] for q in quotes if q.quote_id in log}

    def redact_result(self, result: IngestResult) -> tuple[IngestResult, dict[str, list[Replacement]]]:
        """Redact a file's quotes and the raw text of its rejected rows.

        Returns:
            ``(redacted result, replacements by quote id)``.
        """
        quotes, rejects, log = self.redact_batch(result.quotes, result.rejects)
        return result.model_copy(update={"quotes": quotes, "rejects": rejects}), log

    def redact_batch(
        self, quotes: Sequence[Quote], rejects: Sequence[Reject]
    ) -> tuple[list[Quote], list[Reject], dict[str, list[Replacement]]]:
        """Redact a batch of a file's quotes (every quote of an answer together) and rejected rows.

        Returns:
            ``(quotes, rejects, replacements by quote id)``.
        """
        redacted, log = self.redact_quotes(quotes)
        cleaned: list[Reject] = []
        for reject in rejects:
            raw = self.redact(reject.raw)[0] if reject.raw else reject.raw
            cleaned.append(reject.model_copy(update={"raw": raw, "detail": self.redact(reject.detail)[0]}))
        return redacted, cleaned, log


def shift_evidence(evidence: list[dict], found: Sequence[Replacement]) -> list[dict]:
    """Move evidence offsets into a redacted quote; drop evidence that matched replaced words.

    Evidence without offsets (a model's probability, a topic) is kept as it is.
    """
    kept = []
    for item in evidence:
        start, end = item.get("start"), item.get("end")
        if start is None or end is None:
            kept.append(item)
            continue
        if any(start < r.old_end and r.old_start < end for r in found):
            continue
        moved = sum((r.end - r.start) - (r.old_end - r.old_start) for r in found if r.old_end <= start)
        kept.append({**item, "start": start + moved, "end": end + moved})
    return kept


def summarise(log: dict[str, list[Replacement]]) -> dict[str, int]:
    """How many details of each kind were replaced, in a fixed order."""
    counts = Counter(r.kind for found in log.values() for r in found)
    return {kind: counts[kind] for kind in PLACEHOLDERS if counts[kind]}
