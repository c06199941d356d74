"""Split an answer into passages: the whole answer, paragraphs or sentences.

Every splitter returns ``(start, end)`` spans into the text it was given, with
surrounding whitespace trimmed, so ``text[start:end]`` is always the passage.
"""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")

# A sentence may end at . ! ? or an ellipsis, optionally followed by closing
# quotes or brackets that belong to it; a boundary needs whitespace after that.
_END = re.compile(r"(?:[.!?]+|…+)[”’\"')\]]*(?=\s)")

# What a new sentence starts with: optional opening quote or bracket, then an
# upper-case letter or a digit.
_NEXT_START = re.compile(r"\s+[“‘\"'(\[]*(?:[^\W\d_]|\d)")

# Words after which a full stop does not end a sentence. "etc." is not listed:
# it ends sentences more often than not.
_ABBREVIATIONS = frozenset(
    """
    e.g eg i.e ie mr mrs ms mx dr prof st rev hon cllr sgt insp supt
    vs v cf al approx appt dept est govt inc ltd co jr sr no nos fig vol pp p para
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun
    """.split()
)
_WORD_BEFORE = re.compile(r"([\w.]+)\.*$")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    segment = text[start:end]
    left = segment.lstrip()
    if not left:
        return None
    return start + len(segment) - len(left), end - (len(left) - len(left.rstrip()))


def _spans_between(text: str, separators: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for match in separators.finditer(text, start, end):
        span = _trimmed(text, pos, match.start())
        if span:
            spans.append(span)
        pos = match.end()
    span = _trimmed(text, pos, end)
    if span:
        spans.append(span)
    return spans


def whole(text: str) -> list[tuple[int, int]]:
    """The whole answer as one passage (surrounding whitespace trimmed)."""
    span = _trimmed(text, 0, len(text))
    return [span] if span else []


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Split on blank lines; text with no blank line at all is split at each line break.

    Survey answers and text copied out of reports often put one paragraph per line
    with no blank line between, while hard-wrapped text separates paragraphs by a
    blank line; this rule reads both the way they were meant.
    """
    if "\n" not in text:
        return whole(text)
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else _LINE
    return _spans_between(text, separator, 0, len(text))


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation or an initial."""
    match = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if match is None:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():
        return True  # an initial, as in "J. Smith"
    return word.casefold().rstrip(".") in _ABBREVIATIONS


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for match in _END.finditer(text, start, end):
        following = _NEXT_START.match(text, match.end(), end)
        if following is None:
            continue
        nxt = text[following.end() - 1]
        if nxt.isalpha() and not nxt.isupper():
            continue  # "... and then" or "e.g. staff": the sentence goes on
        punct = match.group(0)
        if punct.startswith(".") and not punct.startswith("..") and _is_abbreviation(text, match.start()):
            continue
        span = _trimmed(text, pos, match.end())
        if span:
            spans.append(span)
        pos = match.end()
    span = _trimmed(text, pos, end)
    if span:
        spans.append(span)
    return spans


def sentences(text: str) -> list[tuple[int, int]]:
    """Split into sentences with a rule-based splitter.

    A sentence ends at ``.``, ``!``, ``?`` or an ellipsis followed by space and a
    capital letter, digit or opening quote; closing quotes and brackets stay with
    the sentence they close. Abbreviations (``e.g.``, ``i.e.``, ``Mr.``, ``Dr.``),
    initials, decimals (``3.5``) and an ellipsis followed by lower case do not end
    a sentence. Sentences never run across paragraphs (see :func:`paragraphs`).
    """
    spans: list[tuple[int, int]] = []
    for para_start, para_end in paragraphs(text):
        spans.extend(_sentence_spans(text, para_start, para_end))
    return spans
