"""Code names that hold personal details: cleaned labels, and new ids wherever the old ones are kept.

A code made from a coder's sheet or another program's project takes its id and label from
what the coder wrote (``Complaint about Mr Okonkwo`` → ``complaint_about_mr_okonkwo``), so a
personal detail can sit in a code's id as well as in the quotes. Redaction cleans the label
as free text is cleaned, and gives a code whose id or label held a detail a new id made from
the cleaned label (``complaint_about_name``), changed in every table that refers to codes
(codings, suggestions, decisions, memos, topics …), in the stored codebooks (parents too) and
in run records.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from probation_themes.codebook.qdc import snake_id
from probation_themes.store.project import _json


def renamed_codes(db, free_text: Callable[[str], str]) -> dict[str, str]:
    """Old id → new id of every stored code whose id or label holds a personal detail."""
    codes: dict[str, str] = {}
    for (stored,) in db.execute("SELECT content FROM codebooks").fetchall():
        for code in _codes(stored):
            codes.setdefault(code["id"], str(code.get("label") or ""))
    taken = set(codes)
    renamed: dict[str, str] = {}
    for code_id, label in codes.items():
        words = code_id.replace("_", " ")
        clean_label = free_text(label)
        if free_text(words) == words and clean_label == label:
            continue
        new = snake_id(clean_label if clean_label != label else free_text(words), taken)
        taken.add(new)
        renamed[code_id] = new
    return renamed


def rename_codes(db, renamed: dict[str, str], elsewhere: Counter[str]) -> None:
    """Put the new ids in every column named ``code``, in stored codebooks and in run records."""
    if not renamed:
        return
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall():
        if any(row[1] == "code" for row in db.execute(f'PRAGMA table_info("{table}")')):
            for old, new in renamed.items():
                changed = db.execute(f'UPDATE "{table}" SET code = ? WHERE code = ?', (new, old)).rowcount
                if changed:
                    elsewhere[f"{table}.code"] += changed
    for table, column in (("codebooks", "content"), ("runs", "parameters")):
        for rowid, stored in db.execute(f'SELECT rowid, "{column}" FROM "{table}"').fetchall():
            try:
                value = json.loads(stored)
            except (TypeError, ValueError):
                continue
            new = _mapped(value, renamed)
            if new != value:
                db.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                           (_json(new), rowid))
                elsewhere[f"{table}.{column}"] += 1


def _codes(stored: str) -> list[dict]:
    try:
        value = json.loads(stored)
    except (TypeError, ValueError):
        return []
    codes = value.get("codes") if isinstance(value, dict) else None
    return [c for c in codes if isinstance(c, dict) and isinstance(c.get("id"), str)] if isinstance(codes, list) else []


def _mapped(value: object, renamed: dict[str, str]) -> object:
    """A JSON value with every string (and mapping key) that is an old id replaced by its new id."""
    if isinstance(value, str):
        return renamed.get(value, value)
    if isinstance(value, list):
        return [_mapped(v, renamed) for v in value]
    if isinstance(value, dict):
        return {renamed.get(k, k): _mapped(v, renamed) for k, v in value.items()}
    return value
