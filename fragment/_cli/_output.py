"""What a command prints: the answer's ``data`` as JSON (the default), or as a table for people.

JSON keeps the API's own key names (``lineItems``, ``workspaceId``), exactly what the API
sends inside its ``{"data": ...}`` envelope, so a script can use the API reference as is;
it is ASCII (other characters as ``\\uXXXX`` escapes), so any terminal or pipe carries it.

A table (``--table``) is for reading: a list is one row per item with the item's main
columns (a nested object shows its ``external_id``, ``id`` or ``name``; a nested list its
length; the bookkeeping fields ``created``, ``modified`` and ``workspaceId`` are left out),
a single object one ``field  value`` row per value, nested ones by their path
(``lineItems[0].amount``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["format_json", "format_table", "response_data"]

_NAMING_KEYS = ("external_id", "externalId", "id", "name", "code")
_BOOKKEEPING = frozenset({"created", "modified", "workspaceId"})
"""Left out of list tables: the same on every row, or only of interest for one object."""
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|_")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def response_data(response: object) -> Any:
    """The plain JSON value of an answer's ``data`` (the whole answer if it has none)."""
    to_dict = getattr(response, "to_dict", None)
    plain = to_dict() if callable(to_dict) else response
    if isinstance(plain, dict) and "data" in plain:
        return plain["data"]
    return plain


def format_json(data: Any) -> str:
    """``data`` as indented JSON."""
    return json.dumps(data, indent=2)


def format_table(data: Any) -> str:
    """``data`` as a table: rows of a list's items, or field/value rows of one object."""
    if isinstance(data, list):
        if not data:
            return "(none)"
        if all(isinstance(item, dict) for item in data):
            return _list_table(data)
        return _columns([["VALUE"], *([_cell(item)] for item in data)])
    if isinstance(data, dict):
        rows = list(_flatten(data, ""))
        return _columns([[path, value] for path, value in rows]) if rows else "(empty)"
    return _cell(data)


def _list_table(items: Sequence[dict[str, Any]]) -> str:
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(key for key in item if key not in _BOOKKEEPING))
    header = [_heading(key) for key in keys]
    return _columns([header, *([_summary(item.get(key)) for key in keys] for item in items)])


def _heading(key: str) -> str:
    """``workspaceId`` -> ``WORKSPACE ID``, ``unallocated_amount`` -> ``UNALLOCATED AMOUNT``."""
    return _WORD_BREAK.sub(" ", key).upper()


def _summary(value: Any) -> str:
    """A nested value in one cell: an object by its name or id, a list by its length."""
    if isinstance(value, dict):
        for key in _NAMING_KEYS:
            if isinstance(value.get(key), str):
                return _cell(value[key])
        return _cell(json.dumps(value))
    if isinstance(value, list):
        if value and all(not isinstance(item, (dict, list)) for item in value):
            return ", ".join(_cell(item) for item in value)
        return str(len(value))
    return _cell(value)


def _flatten(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _flatten(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{path}[{index}]")
    else:
        yield path, "[]" if value == [] else "{}" if value == {} else _cell(value)


def _cell(value: Any) -> str:
    """A scalar as one line of text: control characters escaped, so a value cannot break the table."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _UNPRINTABLE.sub(lambda match: repr(match[0])[1:-1], str(value))


def _columns(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "\n".join(lines)
