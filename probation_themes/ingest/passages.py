"""Cut an answer into the passages that become quotes, each with the attribution it carries.

Report text quotes staff as ``“Nobody asked.” (Greater Manchester, CRC)``. When
such text is split by paragraph or sentence, the attribution is not a passage and
not part of one: it is removed, and every passage of the quotation it closes takes
its region and organisation. A sentence never starts with the attribution of the
quotation before it, and an attribution on a line of its own joins the quotation
above. Attributions are recognised as :func:`~probation_themes.ingest.quotes.extract_quotes`
recognises them: a quotation in double quotes followed by a bracket naming a known
region or organisation. A passage that is nothing but such a bracket is not a
passage either: it gives its region and organisation to the passage before it.

In Markdown documents, heading lines (``# Findings``) are titles, not respondent
text, and are left out of paragraphs and sentences too.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from probation_themes.ingest.quotes import Attributed, ExtractedQuote, find_attributed, parse_attribution
from probation_themes.ingest.split import paragraphs, sentences, whole

SPLITTERS: dict[str, Callable[[str], list[tuple[int, int]]]] = {
    "response": whole,
    "paragraph": paragraphs,
    "sentence": sentences,
}

# An ATX heading as Markdown renders one: up to three spaces, one to six "#", then
# a space or the end of the line. "#hashtag" is rendered as text, so it stays text.
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t][^\n]*)?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Passage:
    """One passage of an answer.

    Attributes:
        start: offset of the passage in the answer.
        end: end offset (exclusive), so ``answer[start:end]`` is the passage.
        quotation: the attributed quotation the passage belongs to, if any; its
            ``region`` and ``org`` are the passage's.
    """

    start: int
    end: int
    quotation: ExtractedQuote | None = None


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _merged(cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(cuts):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(
    text: str, span: tuple[int, int], cuts: list[tuple[int, int]], cut_ends: list[int]
) -> list[tuple[int, int]]:
    """The parts of ``span`` outside every cut (sorted, disjoint), trimmed, in order."""
    start, end = span
    pieces = []
    for cut_start, cut_end in cuts[bisect.bisect_right(cut_ends, start) :]:
        if cut_start >= end:
            break
        piece = _trimmed(text, start, cut_start)
        if piece:
            pieces.append(piece)
        start = cut_end
    piece = _trimmed(text, start, end)
    if piece:
        pieces.append(piece)
    return pieces


def _owner(quoted: list[Attributed], openings: list[int], start: int, end: int) -> ExtractedQuote | None:
    # Quotations do not overlap and no piece runs across an attribution, so only
    # the last quotation opening before the piece ends can contain part of it.
    index = bisect.bisect_left(openings, end) - 1
    if index >= 0 and quoted[index].attribution_start > start:
        return quoted[index].quote
    return None


def split_passages(text: str, split: str, markdown: bool = False) -> list[Passage]:
    """Cut an answer into passages: the whole answer, its paragraphs or its sentences.

    For paragraphs and sentences, attributions of quotations are removed from the
    passages and give them their region and organisation (see the module notes),
    and in Markdown (``markdown=True``) heading lines are left out. A passage is
    never empty, and ``text[p.start:p.end]`` is always its text.

    Args:
        text: the answer or document.
        split: ``"response"``, ``"paragraph"`` or ``"sentence"``.
        markdown: whether the text is a Markdown document.

    Returns:
        The passages in the order they appear.
    """
    spans = SPLITTERS[split](text)
    if split == "response":
        return [Passage(start, end) for start, end in spans]
    quoted = find_attributed(text)
    cuts = [(found.attribution_start, found.attribution_end) for found in quoted]
    if markdown:
        cuts.extend(match.span() for match in _HEADING.finditer(text))
    cuts = _merged(cuts)
    cut_ends = [cut_end for _, cut_end in cuts]
    openings = [found.opening for found in quoted]
    result: list[Passage] = []
    for span in spans:
        for start, end in _subtract(text, span, cuts, cut_ends):
            owner = _owner(quoted, openings, start, end)
            if owner is None:
                bare = _lone_attribution(text, start, end)
                if bare is not None:
                    if result and result[-1].quotation is None:
                        result[-1] = _attributed(text, result[-1], bare)
                    continue
            result.append(Passage(start, end, owner))
    return result


def _lone_attribution(text: str, start: int, end: int) -> tuple[str | None, str | None, str] | None:
    """``(region, org, as written)`` when the passage is nothing but an attribution bracket."""
    if text[start] != "(" or text[end - 1] != ")":
        return None
    depth = 0
    for pos in range(start, end):
        depth += {"(": 1, ")": -1}.get(text[pos], 0)
        if depth == 0 and pos < end - 1:
            return None  # "(a) and (b)": two brackets, not one
    raw = text[start + 1 : end - 1]
    parsed = parse_attribution(raw)
    return None if parsed is None else (*parsed, raw.strip())


def _attributed(text: str, passage: Passage, attribution: tuple[str | None, str | None, str]) -> Passage:
    # The quotation above a lone attribution had no quote marks (or a blank line
    # before its bracket), so extraction did not see it: the passage stands for it.
    region, org, raw = attribution
    quotation = ExtractedQuote(text[passage.start : passage.end], passage.start, passage.end, region, org, raw)
    return Passage(passage.start, passage.end, quotation)
