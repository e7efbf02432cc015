"""The results file of an import: one JSON line per record, and what ``--resume`` reads back.

A line is written (and flushed) as soon as a record's outcome is known, so an import
stopped at any moment leaves a file that says exactly which records were created; at
worst the last line is cut short, and :func:`created_keys` skips it. Since creates are
idempotent, a record whose line was lost is simply sent again on resume.

Each line is an object with the record's key under the key's name (``invoice_id``,
``external_id``) and ``ok``; that is how ``--resume`` tells a results file from any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import attrs

from .._batch import BatchResult
from .._errors import APIStatusError
from ._readers import Problem

__all__ = ["Failure", "NotAResultsFile", "ResultsFile", "created_keys"]


class NotAResultsFile(Exception):
    """``--resume`` was pointed at a file that is not the results file of this kind of import."""


def created_keys(path: Path, key: str) -> tuple[set[str], int]:
    """Read the keys a results file records as created, and the number of lines cut short.

    A missing file records nothing. A line cut short by an interruption is counted, not
    fatal: the record it might have recorded is sent again.

    :raises NotAResultsFile: a line is no result of this import (JSON without ``ok`` or the
        key, or text that is not even the start of one): appending to it would spoil the file.
    """
    created: set[str] = set()
    cut_short = 0
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return created, 0
    with file:
        for number, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:  # not JSON (or not UTF-8): a line cut short starts as every record does
                if not raw.startswith(b'{"'):
                    raise NotAResultsFile(f"line {number} is not JSON") from None
                cut_short += 1
                continue
            if not _is_result(record, key):
                raise NotAResultsFile(f"line {number} is not the result of a record with {key!r}")
            if record["ok"] is True and isinstance(record[key], str):
                created.add(record[key])
    return created, cut_short


def _is_result(record: object, key: str) -> bool:
    return isinstance(record, dict) and isinstance(record.get("ok"), bool) and key in record


class ResultsFile:
    """Writes one JSON line per record; line-buffered, so each line is on disk once written."""

    def __init__(self, file: TextIO, key: str) -> None:
        self._file = file
        self._key = key

    @classmethod
    def open(cls, path: Path, *, key: str, append: bool) -> ResultsFile:
        """Open ``path`` for writing; ``append`` keeps what it already records (for ``--resume``)."""
        if append and _ends_mid_line(path):
            with path.open("a", encoding="utf-8") as file:
                file.write("\n")  # finish a line cut short, so the next record starts on its own line
        return cls(path.open("a" if append else "w", encoding="utf-8", buffering=1), key)

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def created(self, result: BatchResult[Any]) -> None:
        """Record a record the API created (or already had), with its ``id`` and ``version``."""
        record: dict[str, Any] = {self._key: result.key, "ok": True}
        data = getattr(result.response, "data", None)
        for name in ("id", "version"):
            if getattr(data, name, None) is not None:
                record[name] = getattr(data, name)
        self._write(record)

    def failed(self, failure: Failure) -> None:
        """Record a record that was not created: why, and where it is in the input file."""
        record: dict[str, Any] = {
            self._key: failure.key,
            "ok": False,
            "error_type": failure.error_type,
            "error": failure.message,
            "line": failure.line,
        }
        if failure.status_code is not None:
            record["status_code"] = failure.status_code
        if failure.problems:
            record["errors"] = [{"line": p.line, "path": p.path, "message": p.message} for p in failure.problems]
        self._write(record)

    def _write(self, record: dict[str, Any]) -> None:
        # ASCII: a lone surrogate read from a bad input line cannot make the write fail.
        self._file.write(json.dumps(record) + "\n")


@attrs.frozen
class Failure:
    """Why one record of the input was not created, and where it is in the file."""

    key: str | None
    line: int
    error_type: str
    """``ValidationError`` for a bad record (nothing sent), else the API error's class name."""
    message: str
    problems: tuple[Problem, ...] = ()
    """For a bad record: each problem on its own line of the file."""
    status_code: int | None = None

    @classmethod
    def invalid(cls, key: str | None, line: int, problems: Iterable[Problem]) -> Failure:
        """A record that was refused before sending."""
        problems = tuple(problems)
        return cls(key, line, "ValidationError", "; ".join(map(str, problems)), problems)

    @classmethod
    def from_error(cls, key: str | None, line: int, error: BaseException) -> Failure:
        """A record the API (or the connection) failed."""
        status_code = error.status_code if isinstance(error, APIStatusError) else None
        return cls(key, line, type(error).__name__, str(error) or type(error).__name__, (), status_code)


def _ends_mid_line(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            if file.seek(0, 2) == 0:
                return False
            file.seek(-1, 2)
            return file.read(1) != b"\n"
    except FileNotFoundError:
        return False
