"""Find attributed quotations in report text, as inspectorates publish them.

A quotation is a passage in double quotes (curly “…” or straight "…") followed
by an attribution in brackets naming a region and/or a legacy organisation::

    “We were told it would be a merger of equals.” (Kent, Surrey and Sussex, CRC)

Narrative text is left alone: a quoted phrase is only a quotation when the
bracket after it names a known region or organisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from probation_themes.ingest.normalise import ORGS, REGIONS, normalise_org, normalise_region

# A closing double quote, optional punctuation or a dash, then the opening
# bracket of an attribution (possibly wrapped onto the next line).
_CANDIDATE = re.compile(r"[”\"][.,;:]?[ \t]*\n?[ \t]*(?P<attribution>(?:[-–—][ \t]*)?\()")
_WORD = re.compile(r"\S+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_STRAIGHT_OPENER_BEFORE = frozenset(" \t\n([{:;—–-/")
_TRAILING_PUNCT = " \t.,;:"
_MAX_ATTRIBUTION = 160


@dataclass(frozen=True, slots=True)
class ExtractedQuote:
    """One attributed quotation found in a text.

    Attributes:
        text: the quoted words, without quote marks or attribution.
        start: offset of ``text`` in the searched text.
        end: end offset (exclusive), so ``source[start:end] == text``.
        region: the attribution's region, canonical if recognised, else as written.
        org: ``CRC``, ``NPS``, ``Other``, or the organisation as written.
        attribution: the bracketed attribution exactly as written, without brackets.
    """

    text: str
    start: int
    end: int
    region: str | None
    org: str | None
    attribution: str


@dataclass(frozen=True, slots=True)
class Attributed:
    """An attributed quotation and where its parts sit in the searched text.

    Attributes:
        quote: the quotation, as :func:`extract_quotes` returns it.
        opening: offset of the opening quote mark.
        attribution_start: offset of the attribution (its bracket, or a dash before it).
        attribution_end: end offset (exclusive) of the attribution.
    """

    quote: ExtractedQuote
    opening: int
    attribution_start: int
    attribution_end: int


def _org(value: str) -> tuple[str | None, bool]:
    # Only the alias table: "(mostly CRC staff)" after a quoted phrase is narrative,
    # which reading any value that names CRC as an organisation would not see.
    return normalise_org(value, by_words=False)


def parse_attribution(raw: str) -> tuple[str | None, str | None] | None:
    """Read the inside of an attribution bracket as ``(region, org)``; None if it names neither.

    A bracket of narrative (``see annex B``, ``31 per cent``) names neither.

    ``Kent, Surrey and Sussex, CRC``: the last comma-separated part is the
    organisation when it is one, and everything before it is the region.
    ``NPS, London`` (organisation first) and ``West Midlands, CRC, PO`` (an extra
    part after the organisation) are read when the region is recognised.
    ``London NPS`` or ``NPS Wales``: without a comma the first or last words are
    tried as the organisation and the rest as the region.
    """
    raw = raw.strip(_TRAILING_PUNCT)
    if not raw:
        return None
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > 1:
        org, org_known = _org(parts[-1])
        if org_known:
            # The region is kept even when unrecognised ("Scotland, CRC"): the
            # organisation alone shows this bracket is an attribution.
            return normalise_region(", ".join(parts[:-1]))[0], org
        for index in range(len(parts) - 1):
            org, org_known = _org(parts[index])
            if not org_known:
                continue
            rest = parts[index + 1 :] if index == 0 else parts[:index]
            region, region_known = normalise_region(", ".join(rest))
            if region_known:
                return region, org
        region, region_known = normalise_region(raw)
        return (region, None) if region_known else None
    # Splitting the words comes first: "NPS Wales" and "London CRC" are aliases
    # of a region or an organisation alone, but here they name both.
    words = raw.split()
    for size in range(min(4, len(words) - 1), 0, -1):
        for org_words, region_words in ((words[-size:], words[:-size]), (words[:size], words[size:])):
            org, org_known = _org(" ".join(org_words))
            if not org_known:
                continue
            region, region_known = normalise_region(" ".join(region_words))
            if region_known:
                return region, org
    region, region_known = normalise_region(raw)
    if region_known:
        return region, None
    org, org_known = _org(raw)
    return (None, org) if org_known else None


def _read_attribution(text: str, open_bracket: int) -> tuple[str, int, bool]:
    """Read the bracket starting at ``open_bracket``.

    Returns ``(contents, end offset, closed?)``. Nested brackets are allowed
    (``East of England (EoE), NPS``); an unclosed bracket stops at the end of the
    line or at the next opening quote.
    """
    depth = 0
    limit = min(len(text), open_bracket + _MAX_ATTRIBUTION)
    for pos in range(open_bracket, limit):
        char = text[pos]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[open_bracket + 1 : pos], pos + 1, True
        elif char in "\n“\"":
            return text[open_bracket + 1 : pos], pos, False
    return text[open_bracket + 1 : limit], limit, False


def _parse_unclosed(raw: str) -> tuple[str, tuple[str | None, str | None]] | None:
    """An attribution without its ")" may run on into narrative: take the longest prefix that parses.

    Returns ``(the prefix as written, (region, org))``.
    """
    words = list(_WORD.finditer(raw))
    for size in range(len(words), 0, -1):
        candidate = raw[: words[size - 1].end()].rstrip(_TRAILING_PUNCT)
        parsed = parse_attribution(candidate)
        if parsed is not None:
            return candidate, parsed
    return None


def _curly_opening(text: str, close: int, floor: int) -> int | None:
    depth = 0
    for pos in range(close, floor - 1, -1):
        char = text[pos]
        if char == "”":
            depth += 1
        elif char == "“":
            depth -= 1
            if depth == 0:
                return pos
    return None


def _straight_opening(text: str, close: int, floor: int) -> int | None:
    """The nearest opening-looking straight quote with balanced straight quotes inside."""
    inner = 0
    pos = close
    while True:
        pos = text.rfind('"', floor, pos)
        if pos < 0:
            return None
        if pos == floor or text[pos - 1] in _STRAIGHT_OPENER_BEFORE:
            if inner % 2 == 0:
                return pos
        inner += 1


def _opening(text: str, close: int, floor: int) -> int | None:
    if text[close] == "”":
        found = _curly_opening(text, close, floor)
        return found if found is not None else _straight_opening(text, close, floor)
    found = _straight_opening(text, close, floor)
    if found is not None:
        return found
    curly = text.rfind("“", floor, close)
    return curly if curly >= 0 else None


def _paragraph_start(text: str, pos: int, floor: int) -> int:
    start = floor
    for match in _PARAGRAPH_BREAK.finditer(text, floor, pos):
        start = match.end()
    return start


def extract_quotes(text: str) -> list[ExtractedQuote]:
    """Find the attributed quotations in a block of report text.

    Copes with what published reports contain: curly or straight quotes; single
    quotes, straight double quotes and ellipses inside a curly-quoted passage;
    a region with commas in its name (``(Kent, Surrey and Sussex, CRC)``); no comma
    between region and organisation (``(London NPS)``); a missing closing bracket;
    several quotations on one line, each with its own attribution. A quoted phrase
    in narrative text that is not followed by a bracket naming a region or legacy
    organisation is not a quotation.

    Args:
        text: report text, for example a whole document.

    Returns:
        The quotations in the order they appear; ``text[q.start:q.end] == q.text``.
    """
    return [found.quote for found in find_attributed(text)]


def find_attributed(text: str) -> list[Attributed]:
    """Like :func:`extract_quotes`, with where each quotation's marks and attribution sit.

    Args:
        text: report text.

    Returns:
        The attributed quotations in the order they appear.
    """
    found: list[Attributed] = []
    floor = 0
    for match in _CANDIDATE.finditer(text):
        close = match.start()
        if close < floor:
            continue
        open_bracket = match.end() - 1
        raw, attribution_end, closed = _read_attribution(text, open_bracket)
        if closed:
            parsed = parse_attribution(raw)
        else:
            unclosed = _parse_unclosed(raw)
            parsed = unclosed[1] if unclosed else None
            if unclosed:
                # Narrative running on after an unclosed bracket is not part of it.
                raw = unclosed[0]
                attribution_end = open_bracket + 1 + len(raw)
        if parsed is None:
            continue
        opening = _opening(text, close, _paragraph_start(text, close, floor))
        if opening is None:
            continue
        start, end = opening + 1, close
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        region, org = parsed
        quote = ExtractedQuote(text[start:end], start, end, region, org, raw.strip())
        found.append(Attributed(quote, opening, match.start("attribution"), attribution_end))
        floor = attribution_end
    return found


def is_known_region(value: str | None) -> bool:
    """Whether an extracted region is one of the twelve canonical regions."""
    return value in REGIONS


def is_known_org(value: str | None) -> bool:
    """Whether an extracted organisation is CRC, NPS or Other."""
    return value in ORGS
