"""Input files of ``fragment invoices import``: CSV and JSON Lines, read lazily, with line numbers.

Both readers yield one :class:`SourceInvoice` per invoice and hold only the invoice being
read (plus the invoice ids seen so far, to catch a repeated one), so memory does not grow
with the file. A problem with one invoice is attached to it, never raised: the caller
reports it with its line number and goes on. Only a file that cannot be read at all (no
header, a wrong header, bytes that are not UTF-8) raises :class:`InputFileError`.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TextIO

import attrs

from .._errors import FieldError
from .._validation import LINE_ITEM_FIELDS

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "Format",
    "InputFileError",
    "Problem",
    "SourceInvoice",
    "count_invoices",
    "format_for",
    "read_csv",
    "read_invoices",
    "read_jsonl",
]

Format = Literal["csv", "jsonl"]
FORMATS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File name extensions and the format each one means."""
CSV_COLUMNS: tuple[str, ...] = ("invoice_id", *LINE_ITEM_FIELDS)
"""The columns a CSV file must have, in any order: one row per line item."""
_LINE_ITEM_PATH = re.compile(r"line_items\[(\d+)\]")


class InputFileError(Exception):
    """The file as a whole cannot be read; nothing after ``line`` can be trusted."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@attrs.frozen
class Problem:
    """One problem of an invoice, where it is in the file."""

    line: int
    """The physical line (from 1) of the row or JSON line at fault."""
    path: str
    """The field path in Python names (``line_items[1].amount``), or ``""`` for the whole record."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@attrs.frozen
class SourceInvoice:
    """One invoice as read from the file: the arguments of ``create`` and where they came from."""

    line: int
    """The line of the invoice's first row (CSV) or of its JSON line."""
    invoice_id: str | None
    """The invoice id as read, or None when there is none that is a string."""
    arguments: dict[str, Any] | None
    """The keyword arguments of ``invoices.create``, or None when the record is unreadable."""
    item_lines: tuple[int, ...] = ()
    """The line of each line item's row, for CSV files; empty for JSON Lines."""
    problems: tuple[Problem, ...] = ()
    """What the reader already found wrong (a validator may find more)."""

    def locate(self, error: FieldError) -> Problem:
        """Place a validation error on the row of the line item it names, if any."""
        match = _LINE_ITEM_PATH.match(error.path)
        line = self.line
        if match is not None and int(match[1]) < len(self.item_lines):
            line = self.item_lines[int(match[1])]
        return Problem(line, error.path, error.message)


def format_for(name: str) -> Format | None:
    """The format a file name's extension stands for, or None when it says nothing."""
    for extension, format_ in FORMATS.items():
        if name.lower().endswith(extension):
            return format_
    return None


def read_invoices(stream: TextIO, format_: Format) -> Iterator[SourceInvoice]:
    """Read invoices from ``stream`` in ``format_``, one at a time."""
    return read_csv(stream) if format_ == "csv" else read_jsonl(stream)


def read_jsonl(stream: TextIO) -> Iterator[SourceInvoice]:
    """Read JSON Lines: each non-blank line is one invoice, the keyword arguments of ``create``."""
    first_line_of: dict[str, int] = {}
    for line, text in enumerate(_decoded_lines(stream), start=1):
        if text.strip():
            yield _check_repeat(_parse_json_line(line, text), first_line_of)


def _decoded_lines(stream: TextIO) -> Iterator[str]:
    """The lines of ``stream``; bytes that are not UTF-8 end the file, reported near their line.

    Text is decoded in chunks, so the bad bytes are on the reported line or a little after it.
    """
    lines = iter(stream)
    line = 0
    while True:
        try:
            text = next(lines)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            raise InputFileError(line + 1, f"the file is not UTF-8 text ({error.reason})") from error
        line += 1
        yield text


def _parse_json_line(line: int, text: str) -> SourceInvoice:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return SourceInvoice(line, None, None, problems=(Problem(line, "", f"invalid JSON: {error.msg}"),))
    if not isinstance(value, dict):
        problem = Problem(line, "", f"expected a JSON object (one invoice), got {type(value).__name__}")
        return SourceInvoice(line, None, None, problems=(problem,))
    invoice_id = value.get("invoice_id")
    return SourceInvoice(line, invoice_id if isinstance(invoice_id, str) else None, value)


def _check_repeat(invoice: SourceInvoice, first_line_of: dict[str, int]) -> SourceInvoice:
    """Refuse an invoice id seen on an earlier line: the API would answer 409 or ignore it."""
    if not invoice.invoice_id:
        return invoice
    first = first_line_of.setdefault(invoice.invoice_id, invoice.line)
    if first == invoice.line:
        return invoice
    problem = Problem(invoice.line, "invoice_id", f"{invoice.invoice_id!r} repeats the invoice on line {first}")
    return attrs.evolve(invoice, problems=(*invoice.problems, problem))


def read_csv(stream: TextIO) -> Iterator[SourceInvoice]:
    """Read CSV: a header row, then one row per line item; adjacent rows of one invoice_id group.

    A row whose invoice_id appeared earlier but not on the row just before it is an error of
    the invoice that row starts (rows of one invoice must be adjacent).
    """
    rows = _csv_rows(stream)
    header_line, header = next(rows, (1, []))
    columns = _check_header(header_line, header)
    first_line_of: dict[str, int] = {}
    group: _Group | None = None
    for line, row in rows:
        invoice_id, item, problems = _parse_row(line, row, columns)
        if group is not None and invoice_id == group.invoice_id:
            group.add(line, item, problems)
            continue
        if group is not None:
            yield group.finish()
        group = _Group(invoice_id, line)
        group.add(line, item, problems)
        first = first_line_of.setdefault(invoice_id, line)
        if first != line and invoice_id:
            message = f"rows of invoice {invoice_id!r} must be adjacent; its first rows start on line {first}"
            group.problems.append(Problem(line, "invoice_id", message))
    if group is not None:
        yield group.finish()


def _csv_rows(stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank row with the physical line it starts on (a quoted field may span lines)."""
    reader = csv.reader(stream, strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            row = next(reader, None)
        except csv.Error as error:
            raise InputFileError(reader.line_num, f"malformed CSV: {error}") from error
        except UnicodeDecodeError as error:
            raise InputFileError(end + 1, f"the file is not UTF-8 text ({error.reason})") from error
        if row is None:
            return
        end = reader.line_num
        if any(field.strip() for field in row):
            yield start, row


def _check_header(line: int, header: Sequence[str]) -> dict[str, int]:
    """Return the index of each column, or raise when a column is missing, unknown or repeated."""
    names = [name.strip() for name in header]
    if not names:
        raise InputFileError(line, f"the file is empty; expected a header row: {','.join(CSV_COLUMNS)}")
    problems = [f"unknown column {name!r}{_closest(name)}" for name in names if name not in CSV_COLUMNS]
    missing = [name for name in CSV_COLUMNS if name not in names]
    repeated = [name for name in CSV_COLUMNS if names.count(name) > 1]
    problems += [
        f"{what} column{'s' * (len(found) > 1)} {', '.join(map(repr, found))}"
        for what, found in (("missing", missing), ("repeated", repeated))
        if found
    ]
    if problems:
        raise InputFileError(line, f"bad header: {'; '.join(problems)}")
    return {name: names.index(name) for name in CSV_COLUMNS}


def _closest(name: str) -> str:
    matches = difflib.get_close_matches(name.lower().replace("-", "_"), CSV_COLUMNS, n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _parse_row(line: int, row: list[str], columns: dict[str, int]) -> tuple[str, dict[str, str], list[Problem]]:
    problems = []
    if len(row) != len(columns):
        problems.append(Problem(line, "", f"expected {len(columns)} fields, got {len(row)}"))
    values = {name: row[index] if index < len(row) else "" for name, index in columns.items()}
    invoice_id = values.pop("invoice_id")
    return invoice_id, values, problems


@attrs.define
class _Group:
    """The rows of the invoice being read."""

    invoice_id: str
    line: int
    items: list[dict[str, str]] = attrs.Factory(list)
    item_lines: list[int] = attrs.Factory(list)
    problems: list[Problem] = attrs.Factory(list)

    def add(self, line: int, item: dict[str, str], problems: list[Problem]) -> None:
        self.items.append(item)
        self.item_lines.append(line)
        self.problems.extend(problems)

    def finish(self) -> SourceInvoice:
        arguments = {"invoice_id": self.invoice_id, "line_items": self.items}
        return SourceInvoice(self.line, self.invoice_id, arguments, tuple(self.item_lines), tuple(self.problems))


def count_invoices(stream: TextIO, format_: Format) -> int:
    """Count the invoices of a file cheaply (no JSON decoding, no validation), for an ETA."""
    if format_ == "jsonl":
        return sum(1 for text in stream if text.strip())
    rows = csv.reader(stream)
    header = next(rows, [])
    try:
        column = [name.strip() for name in header].index("invoice_id")
    except ValueError:
        return 0
    count, previous = 0, None
    for row in rows:
        if any(field.strip() for field in row):
            invoice_id = row[column] if column < len(row) else ""
            count += invoice_id != previous
            previous = invoice_id
    return count
