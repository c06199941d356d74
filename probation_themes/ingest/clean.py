"""Repair text cells: stray control characters, Windows line ends and mojibake.

Mojibake (``naÃ¯ve``, ``na├»ve``, ``â€œ``) is repaired with the ftfy library, set
to fix encoding errors only: it leaves curly quotes, ligatures, full-width
characters, HTML entities and Unicode normalisation exactly as the respondent
wrote them, so a repaired answer differs from the input only where it was broken.
"""

from __future__ import annotations

import re

import ftfy

_FIX_ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)

# C0 controls and DEL, except tab, line feed and carriage return (line ends are
# handled separately so a quoted newline inside a CSV cell survives parsing).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# What mojibake always contains: a UTF-8 lead byte read as Latin-1/Windows-1252
# (Â..ô) followed by a continuation byte read the same way, a stray C1 control,
# or the box-drawing and symbol characters that UTF-8 read as DOS code page 437
# or Mac Roman produces (├», √©). Cells without any of these cannot be repaired,
# and checking first avoids running ftfy on every answer with a curly apostrophe.
_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122"
)
_MAYBE_MOJIBAKE = re.compile(
    f"[\u00c2-\u00f4][{_CONTINUATION}]|[\u0080-\u009f\u2500-\u259f\u221a\u2248\u2264\u2265]"
)


def strip_controls(text: str) -> str:
    """Remove control characters other than tab and line ends."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub("", text)


def clean_cell(value: str) -> tuple[str, bool]:
    """Normalise line ends and repair mojibake in one cell.

    Returns:
        ``(clean text, whether mojibake was repaired)``.
    """
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.isascii():
        # Pure ASCII cannot hold mojibake; skipping ftfy here keeps big files fast.
        return value, False
    if "\ufeff" in value:
        # A byte-order mark inside a file (files joined together, a cell pasted from one) is no
        # part of any answer, and would hide the word it sits in from every rule.
        value = value.replace("\ufeff", "")
    if _MAYBE_MOJIBAKE.search(value) is None:
        return value, False
    fixed = ftfy.fix_text(value, _FIX_ENCODING_ONLY)
    return fixed, fixed != value
