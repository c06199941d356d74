"""Read JSON Lines into a header (every key seen) and raw records."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from probation_themes.errors import IngestError
from probation_themes.ingest.tables import Record


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line, split on "\n" only, without copying the text into a list.

    JSON strings may hold a raw U+2028, which ``splitlines()`` would cut.
    """
    number, start, size = 1, 0, len(text)
    while start <= size:
        end = text.find("\n", start)
        if end < 0:
            end = size
        # A byte-order mark at the start of a line (files joined with `cat`) is not part of it.
        yield number, text[start:end].rstrip("\r").lstrip("\ufeff")
        number, start = number + 1, end + 1


# A \uD800-\uDFFF escape: only a surrogate pair of them makes a character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: object) -> bool:
    """Whether any string (or key) in a parsed JSON value holds half of a surrogate pair."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    value: dict[str, object] = {}
    for key, item in pairs:
        if key in value and value[key] != item:
            raise _DuplicateKey(key)  # which of the two is the answer cannot be known
        value[key] = item
    return value


def _parse(number: int, line: str) -> tuple[dict[str, object] | None, str | None, str]:
    """A line's object, or None and why it is not one; and the raw line to keep with it."""
    try:
        value = json.loads(line, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        return None, (
            f"line {number} names the field {exc.key!r} twice with different values, so which one is meant "
            "cannot be known; keep one of them"
        ), line
    except json.JSONDecodeError as exc:
        return None, f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}", line
    except RecursionError:  # kept short: such a line is an attack, not an answer
        return None, f"line {number} nests brackets too deeply to be a survey record", line[:1000]
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        return None, f"line {number} holds a number too long to read (thousands of digits)", line[:1000]
    if _SURROGATE_ESCAPE.search(line) and _has_lone_surrogate(value):
        return None, (
            f"line {number} holds a \\u escape of half a character (a lone surrogate such as \\ud800), "
            "which is not text"
        ), line.encode("utf-8", "backslashreplace").decode("utf-8")
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("dict", "object").replace("list", "array")
        return None, f"line {number} is a JSON {kind}, not an object with named fields", line
    return value, None, line


def read_jsonl(text: str) -> tuple[list[str], Iterator[Record]]:
    """Read JSON Lines: one object per line, whose keys act as columns.

    The header is every key in the order first seen. A line that is not a JSON
    object becomes an unreadable record with its line number; blank lines are skipped.
    The lines are parsed twice — once for the header, once as the records are
    read — so no more than one parsed line is held at a time, however long the file.
    """
    columns: dict[str, None] = {}
    first_problem: str | None = None
    for number, line in _lines(text):
        if line.strip():
            value, problem, _ = _parse(number, line)
            first_problem = first_problem or problem
            for key in value or ():
                columns.setdefault(str(key), None)
    header = list(columns)
    if not header and first_problem:
        raise IngestError(
            f"no line can be read as a record (a JSON object with named fields), so there is nothing to ingest and the project was not "
            f"changed; the first: {first_problem}. Each line must be one object such as "
            '{"id": "r1", "text": "the answer"}.'
        )

    def records() -> Iterator[Record]:
        for number, line in _lines(text):
            if not line.strip():
                continue
            value, problem, raw = _parse(number, line)
            if value is None:
                yield number, None, raw, problem
            else:
                by_name = {str(k): v for k, v in value.items()}
                yield number, [_json_text(by_name.get(name)) for name in header], line, None

    return header, records()
