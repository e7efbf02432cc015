"""``fragment invoices import``: stream a file of invoices through ``create_many_iter``.

The file is read lazily and each invoice is handed to the batch only when a request slot
is free, so memory depends on ``--concurrency``, not on the file. Every invoice ends in
exactly one way, each counted and, with ``--results``, recorded on its own line:
created, failed (a bad record, reported with its line and never sent; or an API error),
or skipped (``--resume``: the results file already records it as created).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import sys
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TextIO

import attrs

from .._batch import BatchResult
from .._client import AsyncFragment
from .._errors import ValidationError
from .._validation import validate_invoice
from ._connect import ClientSettings, open_client
from ._errors import UsageError
from ._progress import Progress, format_summary, make_progress
from ._readers import Format, InputFileError, Problem, SourceInvoice, count_invoices, format_for, read_invoices
from ._results import Failure, ResultsFile, created_ids

__all__ = ["ImportOptions", "check_file", "import_file"]


@attrs.frozen
class ImportOptions:
    """What ``fragment invoices import`` was asked to do."""

    source: str
    """A file name, or ``-`` for standard input."""
    format: Format | None = None
    """``csv`` or ``jsonl``; None to go by the file name's extension."""
    results: Path | None = None
    resume: bool = False
    concurrency: int = 16

    @property
    def file_format(self) -> Format:
        """The input's format, from ``--format`` or the extension."""
        format_ = self.format or format_for(self.source)
        if format_ is None:
            raise UsageError(f"cannot tell the format of {self.source!r} from its name; pass --format csv or jsonl")
        return format_


async def import_file(options: ImportOptions, settings: ClientSettings, *, err: TextIO) -> int:
    """Create every invoice of the file; return the exit status (0 only when all were created)."""
    if options.resume and options.results is None:
        raise UsageError("--resume needs --results FILE: that is where created invoices are recorded")
    format_ = options.file_format
    skip = _already_created(options.results, err) if options.resume else set()
    with _open_source(options.source) as stream, _open_results(options) as results:
        async with open_client(settings, concurrency=options.concurrency, err=err) as client:
            # Made once the client is up, so that --local's note is not printed across the bar.
            progress = make_progress(err, _count(options.source, format_))
            run = _Run(options.source, progress, results, skip)
            sending = run.send(client, read_invoices(stream, format_), options.concurrency)
            await _summarized(sending, progress, err, resumable=results is not None)
    return 1 if progress.counts.failed or run.stopped else 0


async def _summarized(work: Awaitable[None], progress: Progress, err: TextIO, *, resumable: bool) -> None:
    """Await ``work``, then close the progress display and print the summary, even on Ctrl-C."""
    started = time.monotonic()
    ending = ""
    try:
        await work
    except asyncio.CancelledError:  # Ctrl-C: say what was done, then let the interruption go on
        ending = "; interrupted (run again with --resume to finish)" if resumable else "; interrupted"
        raise
    finally:
        progress.close()
        print(format_summary(progress.counts, time.monotonic() - started) + ending, file=err, flush=True)


def check_file(options: ImportOptions, *, check_currency_codes: bool, err: TextIO) -> int:
    """``--dry-run``: validate every invoice and report every problem; send nothing."""
    valid = invalid = 0
    with _open_source(options.source) as stream:
        try:
            for invoice in read_invoices(stream, options.file_format):
                problems = invoice.problems or _validation_problems(invoice, check_currency_codes)
                for problem in problems:
                    print(f"{options.source}:{problem.line}: {problem}", file=err)
                if problems:
                    invalid += 1
                else:
                    valid += 1
        except InputFileError as error:
            print(f"{options.source}:{error.line}: {error.message}", file=err)
            print(f"fragment: dry run stopped after {valid + invalid} invoices: the file cannot be read", file=err)
            return 1
    print(f"fragment: dry run: {valid} valid, {invalid} invalid; nothing was sent", file=err)
    return 1 if invalid else 0


def _validation_problems(invoice: SourceInvoice, check_currency_codes: bool) -> tuple[Problem, ...]:
    try:
        validate_invoice(invoice.arguments, check_currency_codes=check_currency_codes)
    except ValidationError as error:
        return tuple(map(invoice.locate, error.errors))
    return ()


class _Run:
    """One import: feeds the batch, and records and shows each invoice's outcome."""

    def __init__(self, source: str, progress: Progress, results: ResultsFile | None, skip: set[str]) -> None:
        self._source = source
        self._progress = progress
        self._results = results
        self._skip = skip
        # The records handed to the batch and not finished yet, by batch index: bounded by
        # the concurrency, and the only way back from a result to its line in the file.
        self._pending: dict[int, SourceInvoice] = {}
        self._sent = 0
        self.stopped = False
        """True when the file turned out unreadable part way through."""

    async def send(self, client: AsyncFragment, invoices: Iterator[SourceInvoice], concurrency: int) -> None:
        """Create the invoices, recording each outcome, until the input ends or cannot be read."""
        ticker = asyncio.create_task(self._tick())
        try:
            batch = client.invoices.create_many_iter(self._sendable(invoices), concurrency=concurrency)
            async for result in batch:
                self._finished(result)
        except InputFileError as error:
            self.stopped = True
            self._progress.note(f"{self._source}:{error.line}: {error.message}; stopped reading the file")
        finally:
            ticker.cancel()

    def _sendable(self, invoices: Iterator[SourceInvoice]) -> Iterator[dict[str, object]]:
        """The create arguments of each record to send; the others are settled here."""
        for invoice in invoices:
            if invoice.problems:  # even when resuming: a bad row is never silently passed over
                self._failed(Failure.invalid(invoice.invoice_id, invoice.line, invoice.problems))
            elif invoice.invoice_id in self._skip:
                self._progress.advance("skipped")
            else:
                assert invoice.arguments is not None
                self._pending[self._sent] = invoice
                self._sent += 1
                yield invoice.arguments

    def _finished(self, result: BatchResult) -> None:
        invoice = self._pending.pop(result.index)
        if result.error is None:
            if self._results is not None:
                self._results.created(result)
            self._progress.advance("created")
        elif isinstance(result.error, ValidationError):
            self._failed(Failure.invalid(invoice.invoice_id, invoice.line, map(invoice.locate, result.error.errors)))
        else:
            self._failed(Failure.from_error(invoice.invoice_id, invoice.line, result.error))

    def _failed(self, failure: Failure) -> None:
        if self._results is not None:
            self._results.failed(failure)
        if failure.problems:
            for problem in failure.problems:
                self._progress.note(f"{self._source}:{problem.line}: {problem}")
        else:
            where = f"{self._source}:{failure.line}: invoice {failure.invoice_id!r}"
            self._progress.note(f"{where}: {failure.error_type}: {failure.message}")
        self._progress.advance("failed")

    async def _tick(self) -> None:
        # Refreshes the display even while no answer arrives, so a stall shows as one.
        while True:
            await asyncio.sleep(1.0)
            self._progress.refresh()


def _already_created(results: Path | None, err: TextIO) -> set[str]:
    assert results is not None
    created, unreadable = created_ids(results)
    if unreadable:
        print(
            f"fragment: ignoring {unreadable} unreadable line(s) of {results}; their invoices are sent again", file=err
        )
    print(f"fragment: resuming: {len(created)} invoice(s) already created per {results}", file=err)
    return created


@contextlib.contextmanager
def _open_source(source: str) -> Iterator[TextIO]:
    """Open the input as UTF-8 text (a byte order mark is dropped), or standard input for ``-``."""
    if source == "-":
        yield io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        return
    try:
        stream = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None
    with stream:
        yield stream


@contextlib.contextmanager
def _open_results(options: ImportOptions) -> Iterator[ResultsFile | None]:
    if options.results is None:
        yield None
        return
    try:
        results = ResultsFile.open(options.results, append=options.resume)
    except OSError as error:
        raise UsageError(f"cannot write {options.results}: {error.strerror or error}") from None
    try:
        yield results
    finally:
        results.close()


def _count(source: str, format_: Format) -> int | None:
    """The number of invoices in the file, for the ETA; None for standard input or a file too odd to count."""
    if source == "-" or not Path(source).is_file():
        return None
    try:
        with open(source, encoding="utf-8-sig", newline="") as stream:
            return count_invoices(stream, format_)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
