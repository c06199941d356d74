"""Read JSON Lines into a header (every key seen) and raw records."""

from __future__ import annotations

import json
from collections.abc import Iterator

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


def read_jsonl(text: str) -> tuple[list[str], Iterator[Record]]:
    """Read JSON Lines: one object per line, whose keys act as columns.

    The header is every key in the order first seen. A line that is not a JSON
    object becomes an unreadable record with its line number; blank lines are skipped.
    """
    parsed: list[tuple[int, dict[str, object] | None, str, str | None]] = []
    columns: dict[str, None] = {}
    # Split on "\n" only: JSON strings may hold a raw U+2028, which splitlines() would cut.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problem = f"line {number} is not valid JSON: {exc.msg} at column {exc.colno}"
            parsed.append((number, None, line, problem))
            continue
        except RecursionError:
            problem = f"line {number} nests brackets too deeply to be a survey record"
            parsed.append((number, None, line[:1000], problem))
            continue
        if not isinstance(value, dict):
            kind = type(value).__name__.replace("dict", "object").replace("list", "array")
            problem = f"line {number} is a JSON {kind}, not an object with named fields"
            parsed.append((number, None, line, problem))
            continue
        for key in value:
            columns.setdefault(str(key), None)
        parsed.append((number, value, line, None))
    header = list(columns)

    def records() -> Iterator[Record]:
        for number, value, line, problem in parsed:
            if value is None:
                yield number, None, line, problem
            else:
                by_name = {str(k): v for k, v in value.items()}
                yield number, [_json_text(by_name.get(name)) for name in header], line, None

    return header, records()
