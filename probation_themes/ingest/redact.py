"""Find personal details in answers and replace them with placeholders, offline.

What is found (see docs/confidentiality.md for what is missed, measured):

- ``[EMAIL]``: e-mail addresses, also written out ("jane dot doe at gov dot uk",
  "jo (at) mail.com");
- ``[PHONE]``: UK telephone numbers: mobiles (07…), landlines with or without
  spaces, hyphens, dots or brackets, the +44 and 0044 forms, extensions
  ("ext. 5123") and other countries' numbers given with their + code;
- ``[POSTCODE]``: UK postcodes, with or without the space;
- ``[NI NUMBER]``: National Insurance numbers (AB 12 34 56 C, AB-12-34-56-C);
- ``[CASE REF]``: case reference numbers shaped like a probation CRN (X123456), a
  Police National Computer reference (2019/0123456A) or a labelled reference
  ("case ref: AB-1234", "file 20-30071");
- ``[NAME]``: personal names after a title (Mr Smith, Dr. Jane Doe, DR JONES, mr
  smith, Ms Zoë Núñez), and names from lists: bundled lists of common first names
  and surnames that are not also ordinary words, plus any names the researcher
  supplies (of one or more words, matched whatever their case and accents), each
  with the capitalised word after it (a surname) or before it (a first name). See
  :mod:`probation_themes.ingest.names`.

Only the quote text is changed. A quote's offsets within its answer are shifted so
that later passages of the same answer still line up, and the record of what was
replaced holds the kind and the placeholder's position, never the original text
(unless the researcher asks to keep originals).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from probation_themes.errors import IngestError
from probation_themes.ingest.names import NameFinder, bundled_first_names, bundled_surnames
from probation_themes.ingest.normalise import ORGS, REGIONS
from probation_themes.models import IngestResult, Quote, Reject

PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "postcode": "[POSTCODE]",
    "ni_number": "[NI NUMBER]",
    "case_ref": "[CASE REF]",
    "name": "[NAME]",
}

# The spelled-out forms ("jo dot bloggs at mail dot com", "jo.bloggs (at) mail.com") must end in a
# real top-level domain, so that "arrived at work.Then" is not taken for an address.
_TLD = (
    r"(?:com|org|net|uk|gov|edu|ac|nhs|police|sch|mod|int|io|co|info|biz|me|eu|de|fr|ie|es|it|nl|be|pl|ro|pt|se|"
    r"no|dk|fi|ch|at|in|pk|ng|za|ke|gh|au|nz|ca|us|cn|jp|online|email)"
)
_AT_WORD = r"(?:[ \t]*[(\[{<][ \t]*at[ \t]*[)\]}>][ \t]*|[ \t]+at[ \t]+)"
_DOT_WORD = r"(?:[ \t]*[(\[{<][ \t]*dot[ \t]*[)\]}>][ \t]*|[ \t]+dot[ \t]+)"
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+"
    # written out: jane dot doe at gov dot uk, jane.doe (at) justice.gov.uk, JANE AT MAIL DOT COM
    rf"|(?<![\w.+-])[\w+-]+(?:(?:\.|{_DOT_WORD})[\w+-]+)*{_AT_WORD}{_LABEL}(?:(?:\.|{_DOT_WORD}){_LABEL})*"
    rf"(?:\.|{_DOT_WORD}){_TLD}(?![\w-])",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# Tried only where a run of spaces starts, so a long run is read once, not once a space.
_SPELLED = re.compile(rf"(?<![ \t]){_AT_WORD}\S", re.IGNORECASE)
# A run of digits, spaces, hyphens, dots and brackets starting like a UK number (07…, 0161…,
# +44, 0044, (0161)); the digits are then counted, so dates and sums of money are not taken
# for phone numbers. Numbers of other countries are found by their + and country code.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ \t]?44[ \t]?(?:\(0\)[ \t]?)?|\(0\d{2,5}\)|0)[\d \t().-]{6,18}\d(?!\w)"
    r"|(?<![\w+])\+[ \t]?[1-9]\d{0,2}[\d \t().-]{6,16}\d(?!\w)"
    r"|\b(?:ext|extn|extension|tel\.? ext)\.?[ \t]*(?:no\.?[ \t]*)?[:#]?[ \t]*\d{3,6}\b",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
_NI_NUMBER = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ .-]?\d{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?[A-D]\b",
    re.IGNORECASE,
)
_CASE_REF = re.compile(
    r"\b(?:CRN|PNC(?: ?(?:ID|no|number))?|case (?:ref(?:erence)?|no|number|id)|ref(?:erence)?|"
    r"file (?:ref(?:erence)?|no|number)|offender (?:no|number|id))\.?\s*(?:no\.?\s*)?[:#]?\s*"
    r"(?=[A-Z/-]*\d)[A-Z0-9][A-Z0-9/-]{3,}\b"  # a labelled reference holding a digit
    r"|\b(?:case|file)\s*[:#]?\s*(?=[A-Z]*\d)(?:\d{2,}[/-]\d{3,}[A-Z]?|[A-Z]{0,3}\d{5,}[A-Z]?)\b"  # "file 20-30071"
    r"|\b[A-Z]\d{6}\b"  # a CRN: one letter and six digits
    r"|\b(?:\d{2}){1,2}/\d{5,7}[A-Z]\b",  # a PNC reference: year/number and a check letter
    re.IGNORECASE,
)

_ORDER = ("email", "case_ref", "ni_number", "phone", "postcode", "name")

# Characters a detail may be written with that the patterns would not see through: no-break
# and other Unicode spaces, full-width and other compatibility forms (ＳＷ１Ａ, ０７７００),
# and invisible format characters (zero-width spaces and joiners, soft hyphens, a stray BOM).
_UNUSUAL = re.compile(r"[^\x00-\x7f]")


def _plain(ch: str, invisible: str) -> str:
    if unicodedata.category(ch) == "Cf":
        return invisible  # zero-width space, joiners, word joiner, soft hyphen, BOM, direction marks
    if ch.isspace():
        return "\n" if ch in "\x85\u2028\u2029" else " "
    folded = unicodedata.normalize("NFKC", ch)  # ０ → 0, Ｓ → S, ＠ → @, ﬁ → fi
    return folded if folded.isprintable() else ch


_PLAIN_CACHE: dict[tuple[str, str], str] = {}


def matching_view(text: str, *, invisible: str = "") -> tuple[str, list[int]]:
    """``text`` as the patterns read it, and where each of its characters came from.

    Unicode spaces read as spaces, compatibility forms (full-width letters and digits) as
    their plain letters, and invisible format characters are left out, so that
    ``Mr\u00a0Smith``, ``０７７００ ９００１２３`` or ``jane\u200b@mail.com`` are found as the
    plain forms are. Returns ``(view, origin)``: ``origin[i]`` is the offset in ``text``
    of the character that gave ``view[i]``, with one more entry, ``len(text)``, at the end
    (empty when the text is its own view, as an ASCII text is). ``invisible`` is what a
    format character reads as: nothing, or a space.
    """
    if text.isascii():
        return text, []
    parts: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _UNUSUAL.finditer(text):
        ch = m.group()
        plain = _PLAIN_CACHE.get((ch, invisible))
        if plain is None:
            plain = _PLAIN_CACHE[ch, invisible] = _plain(ch, invisible)
        if plain == ch:
            continue
        i = m.start()
        parts.append(text[last:i])
        origin.extend(range(last, i))
        parts.append(plain)
        origin.extend([i] * len(plain))
        last = i + 1
    if not parts:
        return text, []
    parts.append(text[last:])
    origin.extend(range(last, len(text) + 1))
    return "".join(parts), origin


def _to_text(spans: list[tuple[int, int, str]], origin: list[int]) -> list[tuple[int, int, str]]:
    """Spans found in a matching view put back on the text it was made from."""
    if not origin:
        return spans
    return [(origin[start], origin[end - 1] + 1, kind) for start, end, kind in spans]


def _phone_ok(text: str) -> bool:
    if text.lstrip()[:1] not in "+0(":  # an extension: "ext. 5123"
        return True
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith("+") and not digits.startswith("44"):
        return 8 <= len(digits) <= 15  # another country's number, with its country code
    if digits.startswith("0044"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits.startswith("0") and len(digits) in (10, 11) and digits[1] != "0"


def bundled_names() -> frozenset[str]:
    """Common first names and surnames in the UK that are not also ordinary words."""
    return bundled_first_names() | bundled_surnames()


def read_names(path: str | Path) -> frozenset[str]:
    """Read a names list: one name per line; blank lines and lines starting with # are ignored.

    Raises:
        IngestError: the file is missing or not UTF-8 text.
    """
    path = Path(path)
    if path.exists() and not path.is_dir() and not path.is_file():  # a named pipe would wait for ever
        raise IngestError(
            f"The names list {path} is not a regular file (a named pipe or a device). Save the names to a "
            "file, one per line, and give that file to --names.",
            path=path,
        )
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
        names: extra names to find (first names, surnames or whole names of several
            words), matched as whole words whatever their case and accents; the
            bundled lists of first names and surnames are always used.
        keep_originals: whether the replaced text is kept in the records (for a
            researcher who must be able to undo redaction); off by default.
    """

    def __init__(self, names: Iterable[str] = (), *, keep_originals: bool = False) -> None:
        self.extra_names = frozenset(names)
        self.keep_originals = keep_originals
        self._names = NameFinder(self.extra_names)

    def parameters(self) -> dict[str, object]:
        """How this redaction was configured, for the run record (names themselves are not recorded)."""
        return {"extra_names": len(self.extra_names), "keep_originals": self.keep_originals}

    def _spans(self, original: str) -> list[tuple[int, int, str]]:
        text, origin = matching_view(original)
        found = _to_text(self._find(text), origin)
        if origin:
            # An invisible character may join two words ("Mr\u200bSmith") as well as split one
            # ("Sm\u200bith"): the text is read both ways.
            spaced, spaced_origin = matching_view(original, invisible=" ")
            if spaced != text:
                found += _to_text(self._find(spaced), spaced_origin)
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

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        # Quick first looks: most answers hold no digit, no "@" and no written-out address,
        # and every pattern but names needs one of those.
        digits = _DIGIT.search(text) is not None
        for kind, pattern, wanted in (
            ("email", _EMAIL, "@" in text or _SPELLED.search(text) is not None), ("case_ref", _CASE_REF, digits),
            ("ni_number", _NI_NUMBER, digits), ("phone", _PHONE, digits), ("postcode", _POSTCODE, digits),
        ):
            if not wanted:
                continue
            for m in pattern.finditer(text):
                if kind == "phone" and not _phone_ok(m.group()):
                    continue
                found.append((m.start(), m.end(), kind))
        found.extend((start, end, "name") for start, end in self._names.spans(text))
        return found

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
            out.append(self._redact_attributes(quote))
        order = {q.quote_id: i for i, q in enumerate(quotes)}
        out.sort(key=lambda q: order[q.quote_id])
        # The log in the quotes' own order too, so it is stored the same however a file is batched.
        return out, {q.quote_id: log[q.quote_id] for q in quotes if q.quote_id in log}

    def _redact_attributes(self, quote: Quote) -> Quote:
        """A quote's --attr-col values and unrecognised region or organisation, redacted as free text.

        A recognised region or organisation is one of a fixed list and holds no detail; a value
        kept as written ("Okonkwo House") or an attribute (an officer's name) may.
        """
        update: dict[str, object] = {}
        attributes = {k: self.redact(v)[0] if isinstance(v, str) else v for k, v in quote.attributes.items()}
        if attributes != quote.attributes:
            update["attributes"] = attributes
        for field, known in (("region", REGIONS), ("org", ORGS)):
            value = getattr(quote, field)
            if value and value not in known:
                new = self.redact(value)[0]
                if new != value:
                    update[field] = new
        return quote.model_copy(update=update) if update else quote

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
