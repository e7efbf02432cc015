"""Input files of an import: CSV and JSON Lines, read lazily, with line numbers.

Both readers yield one :class:`SourceRecord` per record (an invoice, a transaction) and
hold only the record being read (plus a compact set of the keys seen so far, to catch a
repeated one), so memory does not grow with the file. A problem with one record is attached
to it, never raised: the caller reports it with its line number and goes on. That includes a
line that is not UTF-8: it is reported on its own line, with how to fix the file. Only a
file that cannot be read at all (no header, a wrong header, broken CSV quoting) raises
:class:`InputFileError`.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO, Literal

import attrs

from .._errors import FieldError
from .._seen import SeenKeys
from ._csv_shape import Column, CsvShape

__all__ = [
    "FORMATS",
    "Format",
    "InputFileError",
    "Lines",
    "Problem",
    "SourceRecord",
    "count_records",
    "format_for",
    "not_utf8",
    "read_csv",
    "read_jsonl",
    "read_records",
]

Format = Literal["csv", "jsonl"]
FORMATS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File name extensions and the format each one means."""
_BOM = b"\xef\xbb\xbf"


class InputFileError(Exception):
    """The file as a whole cannot be read; nothing after ``line`` can be trusted."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@attrs.frozen
class Problem:
    """One problem of a record, where it is in the file."""

    line: int
    """The physical line (from 1) of the row or JSON line at fault."""
    path: str
    """The field path in Python names (``line_items[1].amount``), or ``""`` for the whole record."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@attrs.frozen
class SourceRecord:
    """One record as read from the file: the arguments of ``create`` and where they came from."""

    line: int
    """The line of the record's first row (CSV) or of its JSON line."""
    key: str | None
    """The record's key (``invoice_id``, ``external_id``) as read, or None when there is none that is a string."""
    arguments: dict[str, Any] | None
    """The keyword arguments of ``create``, or None when the record is unreadable."""
    item_lines: tuple[int, ...] = ()
    """The line of each item's row, for CSV files; empty for JSON Lines."""
    items: str | None = None
    """The list field the rows' items went to (``line_items``), for CSV files."""
    problems: tuple[Problem, ...] = ()
    """What the reader already found wrong (a validator may find more)."""

    def locate(self, error: FieldError) -> Problem:
        """Place a validation error on the row of the item it names, if any."""
        line = self.line
        if self.items is not None:
            match = re.match(rf"{re.escape(self.items)}\[(\d+)\]", error.path)
            if match is not None and int(match[1]) < len(self.item_lines):
                line = self.item_lines[int(match[1])]
        return Problem(line, error.path, error.message)


def not_utf8(data: bytes, error: UnicodeDecodeError) -> str:
    """What to say about bytes that are not UTF-8, and how to fix the file."""
    return (
        f"byte 0x{data[error.start]:02X} at position {error.start + 1} of the line is not UTF-8: "
        "re-save the file as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 FILE > NEW_FILE"
    )


class Lines:
    """The lines of a binary stream as text, counted; a line that is not UTF-8 is remembered, not fatal.

    Each line is decoded on its own, so a bad byte is reported on exactly its line.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._bad: dict[int, str] = {}
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            self.count += 1
            if self.count == 1 and raw.startswith(_BOM):  # as Excel writes
                raw = raw[len(_BOM) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                self._bad[self.count] = not_utf8(raw, error)
                yield raw.decode("utf-8", "replace")

    def problems(self, first: int, last: int) -> list[Problem]:
        """The encoding problems of lines ``first`` to ``last``, each reported once."""
        return [Problem(line, "", self._bad.pop(line)) for line in range(first, last + 1) if line in self._bad]


def format_for(name: str) -> Format | None:
    """The format a file name's extension stands for, or None when it says nothing."""
    for extension, format_ in FORMATS.items():
        if name.lower().endswith(extension):
            return format_
    return None


def read_records(stream: BinaryIO, format_: Format, *, key: str, shape: CsvShape | None) -> Iterator[SourceRecord]:
    """Read the records of ``stream`` in ``format_`` one at a time; ``shape`` is needed for CSV."""
    if format_ == "jsonl":
        return read_jsonl(stream, key=key)
    assert shape is not None
    return read_csv(stream, shape)


def read_jsonl(stream: BinaryIO, *, key: str) -> Iterator[SourceRecord]:
    """Read JSON Lines: each non-blank line is one record, the keyword arguments of ``create``."""
    lines = Lines(stream)
    seen = SeenKeys()
    for text in lines:
        line = lines.count
        encoding = lines.problems(line, line)
        if encoding:
            yield SourceRecord(line, None, None, problems=tuple(encoding))
        elif text.strip():
            yield _check_repeat(_parse_json_line(line, text, key), seen, key)


def _parse_json_line(line: int, text: str, key: str) -> SourceRecord:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return SourceRecord(line, None, None, problems=(Problem(line, "", f"invalid JSON: {error.msg}"),))
    except RecursionError:
        return SourceRecord(line, None, None, problems=(Problem(line, "", "invalid JSON: nested too deeply"),))
    except ValueError as error:  # a number of more digits than Python converts
        return SourceRecord(line, None, None, problems=(Problem(line, "", f"invalid JSON: {error}"),))
    if not isinstance(value, dict):
        problem = Problem(line, "", f"expected a JSON object (one record), got {type(value).__name__}")
        return SourceRecord(line, None, None, problems=(problem,))
    record_key = value.get(key)
    return SourceRecord(line, record_key if isinstance(record_key, str) else None, value)


def _check_repeat(record: SourceRecord, seen: SeenKeys, key_name: str) -> SourceRecord:
    """Refuse a key seen on an earlier line: the API would answer 409, or the same record again."""
    if not record.key:
        return record
    first = seen.first_index(record.key, record.line)
    if first == record.line:
        return record
    problem = Problem(record.line, key_name, _repeat(record.key, first))
    return attrs.evolve(record, problems=(*record.problems, problem))


def _repeat(key: str, first: int) -> str:
    return f"{key!r} is already on line {first}; it is not sent twice"


def read_csv(stream: BinaryIO, shape: CsvShape) -> Iterator[SourceRecord]:
    """Read CSV: a header row, then one row per item; adjacent rows with one key make a record.

    Without items (``shape.items`` None) each row is a record. A row whose key appeared
    earlier but not on the row just before it is an error of the record it starts (the rows
    of one record must be adjacent).
    """
    lines = Lines(stream)
    rows = _csv_rows(lines)
    header_line, _, header = next(rows, (1, 1, []))
    columns = _check_header(header_line, header, shape, lines)
    seen = SeenKeys()
    group: _Group | None = None
    for start, end, row in rows:
        values, problems = _cells(start, row, columns)
        problems += lines.problems(start, end)
        key = values.get(shape.key, "")
        if group is not None and shape.items is not None and key == group.key:
            group.add(start, values, problems)
            continue
        if group is not None:
            yield group.finish()
        group = _Group(shape, key, start, values)
        group.add(start, values, problems)
        first = seen.first_index(key, start) if key else start
        if first != start:
            message = (
                f"rows of {key!r} must be adjacent; its first rows start on line {first}"
                if shape.items is not None
                else _repeat(key, first)
            )
            group.problems.append(Problem(start, shape.key, message))
    if group is not None:
        yield group.finish()


def _csv_rows(lines: Lines) -> Iterator[tuple[int, int, list[str]]]:
    """Yield each non-blank row with its first and last physical line (a quoted field may span lines)."""
    reader = csv.reader(lines, strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            row = next(reader, None)
        except csv.Error as error:
            raise InputFileError(reader.line_num, f"malformed CSV: {error}") from error
        if row is None:
            return
        end = reader.line_num
        if any(field.strip() for field in row):
            yield start, end, row
        else:
            lines.problems(start, end)  # a blank line sends nothing, so its bytes do not matter


def _check_header(line: int, header: Sequence[str], shape: CsvShape, lines: Lines) -> dict[str, int]:
    """Return the index of each column present, or raise when a column is unknown, missing or repeated."""
    encoding = lines.problems(line, line)
    if encoding:
        raise InputFileError(line, f"bad header: {encoding[0].message}")
    names = [name.strip() for name in header]
    if not names:
        raise InputFileError(line, f"the file is empty; expected a header row: {','.join(shape.names)}")
    problems = [f"unknown column {name!r}{_closest(name, shape.names)}" for name in names if name not in shape.names]
    missing = [name for name in shape.required if name not in names]
    repeated = [name for name in shape.names if names.count(name) > 1]
    problems += [
        f"{what} column{'s' * (len(found) > 1)} {', '.join(map(repr, found))}"
        for what, found in (("missing", missing), ("repeated", repeated))
        if found
    ]
    problems += [
        f"needs one of the columns {', '.join(map(repr, group))}"
        for group in shape.groups
        if not any(name in names for name in group)
    ]
    if problems:
        raise InputFileError(line, f"bad header: {'; '.join(problems)}")
    return {name: names.index(name) for name in shape.names if name in names}


def _closest(name: str, names: Sequence[str]) -> str:
    matches = difflib.get_close_matches(name.lower().replace("-", "_"), names, n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _cells(line: int, row: list[str], columns: dict[str, int]) -> tuple[dict[str, str], list[Problem]]:
    problems = []
    if len(row) != len(columns):
        problems.append(Problem(line, "", f"expected {len(columns)} fields, got {len(row)}"))
    return {name: row[index] if index < len(row) else "" for name, index in columns.items()}, problems


@attrs.define
class _Group:
    """The rows of the record being read."""

    shape: CsvShape
    key: str
    line: int
    first: dict[str, str]
    """The first row's cells: the record's own columns come from it."""
    items: list[dict[str, Any]] = attrs.Factory(list)
    item_lines: list[int] = attrs.Factory(list)
    problems: list[Problem] = attrs.Factory(list)

    def add(self, line: int, values: dict[str, str], problems: list[Problem]) -> None:
        self.problems.extend(problems)
        if values is not self.first:
            self.problems.extend(self._differences(line, values))
        if self.shape.items is None:
            return
        if self.shape.items_required or any(values.get(column.name) for column in self.shape.item_columns):
            self.items.append(_build(self.shape.item_columns, values))
            self.item_lines.append(line)

    def _differences(self, line: int, values: dict[str, str]) -> list[Problem]:
        """A later row may leave the record's cells empty or repeat them, not change them."""
        return [
            Problem(
                line, column.name, f"{values[column.name]!r} differs from the record's first row (line {self.line})"
            )
            for column in self.shape.columns
            if values.get(column.name) and values[column.name] != self.first.get(column.name, "")
        ]

    def finish(self) -> SourceRecord:
        arguments = _build(self.shape.columns, self.first)
        if self.shape.items is not None:
            arguments[self.shape.items] = self.items
        lines = tuple(self.item_lines)
        return SourceRecord(self.line, self.key, arguments, lines, self.shape.items, tuple(self.problems))


def _build(columns: Sequence[Column], values: dict[str, str]) -> dict[str, Any]:
    """The nested arguments that the cells of ``columns`` make."""
    built: dict[str, Any] = {}
    for column in columns:
        cell = values.get(column.name)
        if cell is None or (not cell and not column.required):
            continue
        target = built
        for part in column.path[:-1]:
            target = target.setdefault(part, {})
        target[column.path[-1]] = int(cell) if column.integer and _is_integer(cell) else cell
    return built


def _is_integer(text: str) -> bool:
    return re.fullmatch(r"\s*-?\d{1,18}\s*", text) is not None


def count_records(stream: BinaryIO, format_: Format, *, key: str) -> int:
    """Count the records of a file cheaply (no JSON decoding, no validation), for an ETA."""
    if format_ == "jsonl":
        return sum(1 for raw in stream if raw.strip())
    rows = csv.reader(raw.decode("utf-8", "replace") for raw in stream)
    header = next(rows, [])
    try:
        column = [name.strip().lstrip("\ufeff") for name in header].index(key)
    except ValueError:
        return 0
    count, previous = 0, None
    for row in rows:
        if any(field.strip() for field in row):
            record_key = row[column] if column < len(row) else ""
            count += record_key != previous
            previous = record_key
    return count
