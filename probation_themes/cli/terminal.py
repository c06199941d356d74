"""Show text from files and projects in a terminal without letting it drive the terminal.

A label, quote, column name or memo may hold terminal escape sequences — colour
(``ESC[31m``), cursor moves and screen clears (``ESC[2J``), a window title (OSC 0),
a write to the clipboard (OSC 52) — or other control characters, or bidirectional
overrides that make text read backwards. Printed as they are, they would run in the
researcher's terminal. :func:`visible` is the one function every terminal renderer uses
(the consoles in :mod:`probation_themes.cli.common` apply it to everything they print,
and the review screen to every text it lays out): each such character is shown as a
visible symbol instead (ESC as ``␛``), so nothing runs and nothing is hidden.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls but tab and line feed, DEL, C1 controls (U+009B is an 8-bit CSI, U+009D an OSC),
# and the bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␛ ␇ ␍ …
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls and direction overrides: �


def visible(text: str) -> str:
    """``text`` with every control character shown as a visible symbol (ESC as ``␛``).

    Tabs and line breaks are kept; nothing else that could move the cursor, change
    colours, set the window title, write to the clipboard or reorder the text is. Each
    character becomes one, so offsets into the text (evidence) still point at its words.
    """
    if not text or _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_shown, text)


def plain(text: str) -> str:
    """``text`` made :func:`visible`, with rich markup in it escaped: for user text inside a message."""
    return escape(visible(text))
