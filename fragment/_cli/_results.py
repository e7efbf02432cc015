"""The results file of an import: one JSON line per invoice, and what ``--resume`` reads back.

A line is written (and flushed) as soon as an invoice's outcome is known, so an import
stopped at any moment leaves a file that says exactly which invoices were created; at
worst the last line is cut short, and :func:`created_ids` skips it. Since creates are
idempotent, an invoice whose line was lost is simply sent again on resume.
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

__all__ = ["Failure", "ResultsFile", "created_ids"]


def created_ids(path: Path) -> tuple[set[str], int]:
    """Read the invoice ids a results file records as created, and the number of unreadable lines.

    A missing file records nothing. Unreadable lines (a line cut short by an interruption)
    are counted, not fatal: the invoices they might have recorded are sent again.
    """
    created: set[str] = set()
    unreadable = 0
    try:
        file = path.open(encoding="utf-8")
    except FileNotFoundError:
        return created, 0
    with file:
        for text in file:
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                unreadable += 1
                continue
            if isinstance(record, dict) and record.get("ok") is True and isinstance(record.get("invoice_id"), str):
                created.add(record["invoice_id"])
    return created, unreadable


class ResultsFile:
    """Writes one JSON line per invoice; line-buffered, so each line is on disk once written."""

    def __init__(self, file: TextIO) -> None:
        self._file = file

    @classmethod
    def open(cls, path: Path, *, append: bool) -> ResultsFile:
        """Open ``path`` for writing; ``append`` keeps what it already records (for ``--resume``)."""
        if append and _ends_mid_line(path):
            with path.open("a", encoding="utf-8") as file:
                file.write("\n")  # finish a line cut short, so the next record starts on its own line
        return cls(path.open("a" if append else "w", encoding="utf-8", buffering=1))

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def created(self, result: BatchResult) -> None:
        """Record an invoice the API created (or already had)."""
        assert result.response is not None
        data = result.response.data
        self._write({"invoice_id": result.invoice_id, "ok": True, "id": data.id, "version": data.version})

    def failed(self, failure: Failure) -> None:
        """Record an invoice that was not created: why, and where it is in the input file."""
        record: dict[str, Any] = {
            "invoice_id": failure.invoice_id,
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
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")


@attrs.frozen
class Failure:
    """Why one invoice of the input was not created, and where it is in the file."""

    invoice_id: str | None
    line: int
    error_type: str
    """``ValidationError`` for a bad record (nothing sent), else the API error's class name."""
    message: str
    problems: tuple[Problem, ...] = ()
    """For a bad record: each problem on its own line of the file."""
    status_code: int | None = None

    @classmethod
    def invalid(cls, invoice_id: str | None, line: int, problems: Iterable[Problem]) -> Failure:
        """A record that was refused before sending."""
        problems = tuple(problems)
        return cls(invoice_id, line, "ValidationError", "; ".join(map(str, problems)), problems)

    @classmethod
    def from_error(cls, invoice_id: str | None, line: int, error: BaseException) -> Failure:
        """An invoice the API (or the connection) failed."""
        status_code = error.status_code if isinstance(error, APIStatusError) else None
        return cls(invoice_id, line, type(error).__name__, str(error) or type(error).__name__, (), status_code)


def _ends_mid_line(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            if file.seek(0, 2) == 0:
                return False
            file.seek(-1, 2)
            return file.read(1) != b"\n"
    except FileNotFoundError:
        return False
