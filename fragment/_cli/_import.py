"""``fragment <resource> import``: stream a file of records through the resource's ``create_many_iter``.

The file is read lazily and each record is handed to the batch only when a request slot
is free, so memory depends on ``--concurrency``, not on the file. Every record ends in
exactly one way, each counted and, with ``--results``, recorded on its own line:
created, failed (a bad record, reported with its line and never sent; or an API error),
or skipped (``--resume``: the results file already records it as created).

A batch-wide condition (the credentials refused, the API unreachable) stops the import at
once with one message: every other record would fail the same way. So do Ctrl-C and
SIGTERM. Records not settled then are not recorded, so ``--resume`` sends them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import attrs

from .._batch import BatchResult
from .._client import AsyncFragment
from .._errors import APIError, ValidationError
from .._shard import shard
from .._validation import validate
from ._connect import ClientSettings, open_client
from ._errors import UsageError, describe, stops_batch
from ._import_kinds import ImportKind, LocalPreparer
from ._progress import Progress, format_summary, make_progress
from ._readers import Format, InputFileError, Problem, SourceRecord, count_records, format_for, read_records
from ._results import Failure, NotAResultsFile, ResultsFile, created_keys

__all__ = ["ImportOptions", "check_file", "import_file"]


@attrs.frozen
class ImportOptions:
    """What ``fragment <resource> import`` was asked to do."""

    source: str
    """A file name, or ``-`` for standard input."""
    format: Format | None = None
    """``csv`` or ``jsonl``; None to go by the file name's extension."""
    results: Path | None = None
    resume: bool = False
    concurrency: int | None = None
    """The most requests in flight; None lets the batch find it."""
    shard: tuple[int, int] | None = None
    """``(K, N)``: only the records whose key hashes to shard K of N."""

    def records(self, stream: BinaryIO, format_: Format, kind: ImportKind) -> Iterator[SourceRecord]:
        """The file's records, or with ``shard`` only this shard's (one without a key goes to shard 0)."""
        records = read_records(stream, format_, key=kind.key, shape=kind.csv)
        if self.shard is None:
            return records
        index, count = self.shard
        return shard(records, index, count, key=_record_key)

    def file_format(self, kind: ImportKind) -> Format:
        """The input's format, from ``--format`` or the extension."""
        format_ = self.format or format_for(self.source)
        if format_ is None:
            raise UsageError(f"cannot tell the format of {self.source!r} from its name; pass --format csv or jsonl")
        if format_ == "csv" and kind.csv is None:
            raise UsageError(f"{kind.noun.many} cannot be read from CSV (a field has no column form); use JSON Lines")
        return format_


class _Stopped(Exception):
    """A batch-wide condition: the import stops, and says why once."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


async def import_file(kind: ImportKind, options: ImportOptions, settings: ClientSettings, *, err: TextIO) -> int:
    """Create every record of the file; return the exit status (0 only when all were created)."""
    format_ = options.file_format(kind)
    skip = _check_results(kind, options, err)  # before anything is opened for writing
    with _open_source(options.source) as stream:
        async with (
            open_client(settings, concurrency=options.concurrency or 1, err=err) as client,
            _open_results(kind, options) as results,
        ):
            # Made once the client is up, so that --local's note is not printed across the bar.
            total = None if options.shard else _count(options.source, format_, kind.key)  # a shard's share is unknown
            progress = make_progress(err, total, noun=kind.noun)
            preparer = kind.local_preparer() if settings.local and kind.local_preparer else None
            run = _Run(kind, options.source, progress, results, skip, preparer)
            sending = run.send(client, options.records(stream, format_, kind), options.concurrency)
            await _summarized(sending, run, err, resumable=results is not None)
    return 1 if progress.counts.failed or run.stopped else 0


async def _summarized(work: Awaitable[None], run: _Run, err: TextIO, *, resumable: bool) -> None:
    """Await ``work``, then close the progress display and print the summary, even on Ctrl-C."""
    started = time.monotonic()
    resume = " (run again with --resume to finish)" if resumable else ""
    ending = ""
    try:
        await work
        if run.stopped:
            ending = f"; stopped{resume}"
    except asyncio.CancelledError:  # Ctrl-C or SIGTERM: say what was done, then let the interruption go on
        ending = f"; interrupted{resume}"
        raise
    finally:
        run.progress.close()
        summary = format_summary(run.progress.counts, time.monotonic() - started, noun=run.kind.noun)
        print(summary + ending, file=err, flush=True)


def _record_key(record: SourceRecord) -> str:
    return record.key or ""  # keyless records go to shard 0, which reports them


def check_file(kind: ImportKind, options: ImportOptions, *, check_currency_codes: bool, err: TextIO) -> int:
    """``--dry-run``: validate every record and report every problem; send nothing."""
    valid = invalid = 0
    format_ = options.file_format(kind)
    with _open_source(options.source) as stream:
        try:
            for record in options.records(stream, format_, kind):
                problems = record.problems or _validation_problems(kind, record, check_currency_codes)
                for problem in problems:
                    print(f"{options.source}:{problem.line}: {problem}", file=err)
                if problems:
                    invalid += 1
                else:
                    valid += 1
        except InputFileError as error:
            print(f"{options.source}:{error.line}: {error.message}", file=err)
            print(
                f"fragment: dry run stopped after {valid + invalid} {kind.noun.many}: the file cannot be read",
                file=err,
            )
            return 1
    print(f"fragment: dry run: {valid} valid, {invalid} invalid; nothing was sent", file=err)
    return 1 if invalid else 0


def _validation_problems(kind: ImportKind, record: SourceRecord, check_currency_codes: bool) -> tuple[Problem, ...]:
    try:
        validate(kind.params, record.arguments, check_currency_codes=check_currency_codes)
    except ValidationError as error:
        return tuple(map(record.locate, error.errors))
    return ()


class _Run:
    """One import: feeds the batch, and records and shows each record's outcome."""

    def __init__(
        self,
        kind: ImportKind,
        source: str,
        progress: Progress,
        results: ResultsFile | None,
        skip: set[str],
        preparer: LocalPreparer | None,
    ) -> None:
        self.kind = kind
        self.progress = progress
        self._source = source
        self._results = results
        self._skip = skip
        self._preparer = preparer
        # The records handed to the batch and not finished yet, by batch index: bounded by
        # the concurrency, and the only way back from a result to its line in the file.
        self._pending: dict[int, SourceRecord] = {}
        self._sent = 0
        self.stopped = False
        """True when the import ended early: the file became unreadable, or a batch-wide error."""

    async def send(self, client: AsyncFragment, records: Iterator[SourceRecord], concurrency: int | None) -> None:
        """Create the records, recording each outcome, until the input ends or the import must stop."""
        create_many_iter = getattr(client, self.kind.resource).create_many_iter
        ticker = asyncio.create_task(self._tick())
        try:
            batch = create_many_iter(self._sendable(client, records), concurrency=concurrency)
            # Closed on the way out, so that a stop or an interruption ends the requests in flight now.
            async with contextlib.aclosing(batch):
                async for result in batch:
                    self._finished(result)
        except InputFileError as error:
            self.stopped = True
            self.progress.note(f"{self._source}:{error.line}: {error.message}; stopped reading the file")
        except _Stopped as stop:
            self._stop(stop.error)
        except APIError as error:  # the batch's own stop on a batch-wide condition
            if not stops_batch(error):
                raise
            self._stop(error)
        finally:
            ticker.cancel()

    def _stop(self, error: BaseException) -> None:
        self.stopped = True
        self.progress.note(f"fragment: stopped: {describe(error)}")

    async def _sendable(self, client: AsyncFragment, records: Iterator[SourceRecord]) -> AsyncIterator[dict[str, Any]]:
        """The create arguments of each record to send; the others are settled here."""
        for record in records:
            if record.problems:  # even when resuming: a bad row is never silently passed over
                self._failed(Failure.invalid(record.key, record.line, record.problems))
            elif record.key in self._skip:
                self.progress.advance("skipped")
            else:
                assert record.arguments is not None
                if self._preparer is not None:
                    note = await self._preparer(client, record.arguments)
                    if note:
                        self.progress.note(note)
                self._pending[self._sent] = record
                self._sent += 1
                yield record.arguments

    def _finished(self, result: BatchResult[Any]) -> None:
        record = self._pending.pop(result.index)
        if result.error is None:
            if self._results is not None:
                self._results.created(result)
            self.progress.advance("created")
        elif stops_batch(result.error):
            raise _Stopped(result.error)  # not recorded: the record is sent again on --resume
        elif isinstance(result.error, ValidationError):
            self._failed(Failure.invalid(record.key, record.line, map(record.locate, result.error.errors)))
        else:
            self._failed(Failure.from_error(record.key, record.line, result.error))

    def _failed(self, failure: Failure) -> None:
        if self._results is not None:
            self._results.failed(failure)
        if failure.problems:
            for problem in failure.problems:
                self.progress.note(f"{self._source}:{problem.line}: {problem}")
        else:
            where = f"{self._source}:{failure.line}: {self.kind.noun.one} {failure.key!r}"
            self.progress.note(f"{where}: {failure.error_type}: {failure.message}")
        self.progress.advance("failed")

    async def _tick(self) -> None:
        # Refreshes the display even while no answer arrives, so a stall shows as one.
        while True:
            await asyncio.sleep(1.0)
            self.progress.refresh()


def _check_results(kind: ImportKind, options: ImportOptions, err: TextIO) -> set[str]:
    """Refuse a ``--results`` file that would destroy something; return what ``--resume`` skips."""
    results = options.results
    if results is None:
        if options.resume:
            raise UsageError("--resume needs --results FILE: that is where created records are recorded")
        return set()
    if options.source != "-" and _same_file(Path(options.source), results):
        raise UsageError(f"--results {results} is the input file: it would be overwritten; name another file")
    if not options.resume:
        return set()
    try:
        created, cut_short = created_keys(results, kind.key)
    except NotAResultsFile as error:
        raise UsageError(
            f"--resume: {results} is not a results file of a {kind.noun.one} import ({error}); refusing to append to it"
        ) from None
    except OSError as error:
        raise UsageError(f"cannot read {results}: {error.strerror or error}") from None
    if cut_short:
        print(f"fragment: ignoring {cut_short} line(s) of {results} cut short; their records are sent again", file=err)
    print(f"fragment: resuming: {len(created)} {kind.noun.many} already created per {results}", file=err)
    return created


def _same_file(source: Path, results: Path) -> bool:
    try:
        return os.path.samefile(source, results)
    except OSError:  # one of them does not exist (yet)
        return source.resolve() == results.resolve()


@contextlib.contextmanager
def _open_source(source: str) -> Iterator[BinaryIO]:
    """Open the input as bytes (the readers decode each line), or standard input for ``-``."""
    if source == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None
    with stream:
        yield stream


@contextlib.asynccontextmanager
async def _open_results(kind: ImportKind, options: ImportOptions) -> AsyncIterator[ResultsFile | None]:
    if options.results is None:
        yield None
        return
    try:
        results = ResultsFile.open(options.results, key=kind.key, append=options.resume)
    except OSError as error:
        raise UsageError(f"cannot write {options.results}: {error.strerror or error}") from None
    try:
        yield results
    finally:
        results.close()


def _count(source: str, format_: Format, key: str) -> int | None:
    """The number of records in the file, for the ETA; None for standard input or a file too odd to count."""
    if source == "-" or not Path(source).is_file():
        return None
    try:
        with open(source, "rb") as stream:
            return count_records(stream, format_, key=key)
    except (OSError, csv.Error):
        return None
