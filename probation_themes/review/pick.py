"""Find a code from a few typed letters of its label or id."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CodeChoice:
    """A code a reviewer can apply: its id, label and display colour (``#RRGGBB`` or None)."""

    id: str
    label: str
    color: str | None = None


def pick_codes(query: str, codes: Sequence[CodeChoice], limit: int = 5) -> list[CodeChoice]:
    """The codes that best match what was typed, best first.

    Codes whose id starts with the typed text come first, then codes with a word that
    starts with it, then codes that contain it anywhere, then codes with a word close in
    spelling (difflib), so ``worklod`` still finds *workload*. Ties keep codebook order.

    Args:
        query: part of a label or id, in any case.
        codes: the codebook's codes, in codebook order.
        limit: at most this many codes are returned.
    """
    typed = query.strip().casefold()
    if not typed:
        return list(codes[:limit])
    scored: list[tuple[float, int, CodeChoice]] = []
    for order, code in enumerate(codes):
        ident = code.id.casefold()
        words = f"{ident.replace('_', ' ')} {code.label.casefold()}".replace(",", " ").split()
        if ident.startswith(typed):
            tier = 0.0
        elif any(w.startswith(typed) for w in words):
            tier = 1.0
        elif typed in ident or typed in code.label.casefold():
            tier = 2.0
        else:  # a misspelling: compare with the start of each word
            ratio = max(difflib.SequenceMatcher(None, typed, w[: len(typed) + 1]).ratio() for w in words)
            if ratio < 0.6:
                continue
            tier = 4.0 - ratio
        scored.append((tier, order, code))
    scored.sort(key=lambda item: item[:2])
    return [code for _, _, code in scored[:limit]]
