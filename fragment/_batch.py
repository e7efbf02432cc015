"""The batch runner: bounded concurrency, one result per input, and a shared rate controller.

Inputs are pulled lazily, one per free slot, and validated only then, so memory grows with
the concurrency and never with the input. Every input item yields exactly one
:class:`BatchResult`. A 429 seen by any request pauses the whole batch and halves its
concurrency, which then grows back by one after each window of successes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._errors import FieldError, ValidationError
from ._logging import logger
from ._pacing import current_pacer
from ._protocol import MAX_RETRY_AFTER, retry_after
from ._validation import validate_invoice
from .types import InvoiceCreateParams, InvoiceCreateResponse

__all__ = ["BatchInput", "BatchResult", "RateController", "collect_batch", "run_batch"]

BatchInput = Mapping[str, Any] | InvoiceCreateParams
"""One invoice of a batch: the keyword arguments of ``create`` as a dict, or the params."""


@attrs.frozen
class BatchResult:
    """The outcome of one input item of a batch.

    Exactly one of ``response`` and ``error`` is set.

    .. versionadded:: 0.1.0
    """

    index: int
    """Position of the item in the input, from 0."""
    invoice_id: str | None
    """The item's ``invoice_id``, or None when the item had none that could be read."""
    response: InvoiceCreateResponse | None = None
    """The created (or already stored) invoice, when the create succeeded."""
    error: BaseException | None = None
    """Why the item failed: a :class:`~fragment.ValidationError` (nothing sent), an
    :class:`~fragment.APIError` after retries, or :class:`asyncio.CancelledError` for a
    request in flight when the batch was cancelled (its outcome is unknown; creates are
    idempotent, so sending it again is safe)."""

    @property
    def ok(self) -> bool:
        """True when the invoice was created or already stored."""
        return self.error is None


class RateController:
    """A batch's concurrency limit, pause and send spacing, shared by all of its attempts.

    Every attempt (a retry too) takes a ticket, so a lowered limit holds back retries as
    well as new sends. Every 429 pauses the whole batch for the server's ``retry-after``.
    The limits move once per window of about ``limit`` answers (one round trip of the
    batch), judged by the share of those answers that were 429s; answers to attempts sent
    before the last move are not judged again:

    * more than 20%: the server is overloaded. Halve the concurrency; once it is down to one
      request in flight, space the sends too, a little below the rate the server has been
      accepting (when answers are fast even one request at a time can outrun it);
    * at most 5%: recover a step, first the spacing (10% shorter each time until it is
      gone), then a quarter more requests in flight (at least one), up to ``concurrency``.
      Until the first overload the batch is in slow start: it opens with 8 requests in
      flight and doubles instead;
    * in between: hold, so that stray 429s do not throttle a healthy batch; except while
      spacing sends, where the rate limit is known and more than 5% is already too many.
    """

    def __init__(self, concurrency: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_limit = concurrency
        # Slow start: begin low and double on each clean window until the first overload,
        # so that a batch meeting a rate limit does not open with a burst of 429s.
        self.limit = min(concurrency, _SLOW_START_LIMIT)
        self._slow_start = True
        self.interval = 0.0
        self._clock = clock
        self._active = 0
        self._slot_freed: asyncio.Event | None = None
        self._resume_at = 0.0
        self._next_send_at = 0.0
        self._epoch = 0
        self._window_started = clock()
        self._window_successes = 0
        self._window_429s = 0

    def try_acquire(self) -> int | None:
        """The fast path: a ticket when nothing holds the attempt back, without awaiting."""
        if self._active < self.limit and not self.interval and self._resume_at <= self._clock():
            self._active += 1
            return self._epoch
        return None

    async def acquire(self) -> int:
        """Wait for the pause to end and a free slot, then for this attempt's turn."""
        while True:
            # Loops, not one wait: another 429 may move the resume time while we sleep.
            while (pause := self._resume_at - self._clock()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(pause)
            if self._active < self.limit:
                break
            if self._slot_freed is None:
                self._slot_freed = asyncio.Event()
            self._slot_freed.clear()
            await self._slot_freed.wait()
        self._active += 1
        now = self._clock()
        turn = max(now, self._next_send_at)
        self._next_send_at = turn + self.interval
        if turn > now:
            await asyncio.sleep(turn - now)
        return self._epoch

    def release(self, ticket: int, status: int, headers: Mapping[str, str] | None) -> None:
        """Free the attempt's slot and learn from its answer."""
        self._active -= 1
        if self._slot_freed is not None:
            self._slot_freed.set()
        if status == 429:
            asked = retry_after(headers) if headers is not None else None
            if asked is not None and 0 < asked <= MAX_RETRY_AFTER:
                self._resume_at = max(self._resume_at, self._clock() + asked)
        if ticket != self._epoch:
            return  # sent before the last move of the limits, which already counted its kind
        if status == 429:
            self._window_429s += 1
        elif 200 <= status < 300:
            self._window_successes += 1
        else:
            return
        self._end_window_if_full()

    def _end_window_if_full(self) -> None:
        answers = self._window_successes + self._window_429s
        if answers < max(self.limit, _MIN_WINDOW):
            return
        now = self._clock()
        share = self._window_429s / answers
        # Once spacing sends, the batch is probing a known rate limit: any 429s beyond a
        # healthy share mean the probe went too far.
        if share > (_HEALTHY if self.interval else _OVERLOADED):
            self._slow_down(accepted_interval=(now - self._window_started) / max(self._window_successes, 1))
            self._epoch += 1
        elif share <= _HEALTHY:
            self._speed_up()
        self._window_started = now
        self._window_successes = self._window_429s = 0

    def _slow_down(self, accepted_interval: float) -> None:
        self._slow_start = False
        if self.limit > 1:
            self.limit //= 2
        else:
            # The first spacing comes from the accepted pace; later ones grow from it
            # rather than from a window whose pace slow answers may have stretched.
            spacing = self.interval or accepted_interval
            self.interval = min(max(spacing * _BACKOFF, _MIN_INTERVAL), _MAX_INTERVAL)
        logger.info("rate limited: concurrency %d, %.1f ms between sends", self.limit, self.interval * 1000)

    def _speed_up(self) -> None:
        if self.interval:
            self.interval = self.interval * _SPEEDUP if self.interval > _MIN_INTERVAL else 0.0
        elif self.limit < self.max_limit:
            step = self.limit if self._slow_start else max(1, self.limit // 4)
            self.limit = min(self.limit + step, self.max_limit)


_SLOW_START_LIMIT = 8
_MIN_WINDOW = 20  # answers: fewer make the share of 429s too noisy to act on
# Shares of 429s in a window: above OVERLOADED the batch is too fast; at most HEALTHY it may
# speed up; between them it holds, so that stray 429s do not throttle a healthy batch.
_OVERLOADED = 0.2
_HEALTHY = 0.05
# Below the accepted pace, so that the server's bucket refills rather than staying empty and
# refusing every send that arrives a hair early.
_BACKOFF = 1.25
_SPEEDUP = 0.9
_MIN_INTERVAL = 0.0002
_MAX_INTERVAL = 1.0


def _check_concurrency(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive int, got {concurrency!r}")


async def run_batch(
    invoices: Iterable[BatchInput] | AsyncIterable[BatchInput],
    *,
    send: Callable[[InvoiceCreateParams], Awaitable[InvoiceCreateResponse]],
    concurrency: int,
    check_currency_codes: bool,
    on_result: Callable[[BatchResult], object] | None = None,
) -> AsyncIterator[BatchResult]:
    """Yield one :class:`BatchResult` per input item, in completion order.

    At most ``concurrency`` results wait for the consumer: a slow consumer slows the sends.
    An exception raised by the input itself ends the batch with that exception, after the
    requests in flight have finished and been reported.
    """
    _check_concurrency(concurrency)
    source = _Source(invoices, check_currency_codes)
    batch = _Batch(source, send, RateController(concurrency), concurrency, on_result, backlog=concurrency)
    workers = batch.start()
    try:
        while True:
            while batch.results:
                result = batch.results.popleft()
                batch.room.set()
                yield result
            if batch.failure is not None:
                raise batch.failure
            if batch.live_workers == 0:
                break
            batch.ready.clear()
            await batch.ready.wait()
    finally:
        await batch.stop(workers)
    if source.error is not None:
        raise source.error


async def collect_batch(
    invoices: Iterable[BatchInput] | AsyncIterable[BatchInput],
    *,
    send: Callable[[InvoiceCreateParams], Awaitable[InvoiceCreateResponse]],
    concurrency: int,
    check_currency_codes: bool,
    on_result: Callable[[BatchResult], object] | None = None,
) -> list[BatchResult]:
    """Run a whole batch and return its results in input order.

    The same workers as :func:`run_batch`, without a consumer to wake for every result: that
    task switch per result is most of what streaming costs over collecting.
    """
    _check_concurrency(concurrency)
    source = _Source(invoices, check_currency_codes)
    batch = _Batch(source, send, RateController(concurrency), concurrency, on_result, backlog=None)
    workers = batch.start()
    try:
        await asyncio.wait(workers)
    finally:
        await batch.stop(workers)
    if batch.failure is not None:
        raise batch.failure
    if source.error is not None:
        raise source.error
    return sorted(batch.results, key=_by_index)


def _by_index(result: BatchResult) -> int:
    return result.index


class _Source:
    """The batch's input: pulled one item at a time, numbered, validated and de-duplicated."""

    def __init__(self, invoices: Iterable[BatchInput] | AsyncIterable[BatchInput], check_currency_codes: bool) -> None:
        self._check_currency_codes = check_currency_codes
        self._items: Iterator[BatchInput] | None = None
        self._async_items: AsyncIterator[BatchInput] | None = None
        if isinstance(invoices, AsyncIterable):
            self._async_items = aiter(invoices)
            # An async generator refuses a second anext() while one is suspended.
            self._pulling = asyncio.Lock()
        else:
            self._items = iter(invoices)
        self._next_index = 0
        self._first_index_of: dict[str, int] = {}
        self.exhausted = False
        self.error: BaseException | None = None
        """What the input raised, if it did: the batch ends with it."""

    async def next(self) -> tuple[int, InvoiceCreateParams | BatchResult] | None:
        """The next item's index and its params (or its result, if refused); None at the end."""
        if self.exhausted:
            return None
        try:
            if self._items is not None:
                item: BatchInput = next(self._items)
            else:
                assert self._async_items is not None
                async with self._pulling:
                    if self.exhausted:
                        return None
                    item = await anext(self._async_items)
        except (StopIteration, StopAsyncIteration):
            self.exhausted = True
            return None
        except Exception as error:
            self.exhausted = True
            self.error = error
            return None
        index = self._next_index
        self._next_index += 1
        return index, _prepare(index, item, self._first_index_of, self._check_currency_codes)


class _Batch:
    """The state the workers and the consumer of one batch share."""

    def __init__(
        self,
        source: _Source,
        send: Callable[[InvoiceCreateParams], Awaitable[InvoiceCreateResponse]],
        controller: RateController,
        concurrency: int,
        on_result: Callable[[BatchResult], object] | None,
        *,
        backlog: int | None,
    ) -> None:
        self._source = source
        self._send = send
        self._controller = controller
        self._concurrency = concurrency
        self._backlog = backlog
        self._on_result = on_result
        self.results: deque[BatchResult] = deque()
        self.ready = asyncio.Event()  # a result is waiting, or the last worker has ended
        self.room = asyncio.Event()  # the consumer took a result
        self.live_workers = concurrency
        self.failure: BaseException | None = None  # raised by on_result: ends the batch
        self._sending: dict[int, tuple[int, str]] = {}  # worker -> (index, invoice_id) in flight

    def start(self) -> list[asyncio.Task[None]]:
        """Start the workers: long-lived, each taking the next item when done with one.

        Not a task per item: creating, scheduling and collecting those cost about a quarter
        of the throughput.
        """
        return [asyncio.create_task(self.work(number)) for number in range(self._concurrency)]

    async def work(self, worker: int) -> None:
        """Take items until the input ends: send each and deliver its result."""
        current_pacer.set(self._controller)  # this task's own context: other code is not paced
        try:
            while self.failure is None and (pulled := await self._source.next()) is not None:
                index, prepared = pulled
                if isinstance(prepared, InvoiceCreateParams):
                    prepared = await self._attempt(worker, index, prepared)
                self._deliver(prepared)
                # Back-pressure: a slow consumer stops the sends instead of piling up results.
                while self._backlog is not None and len(self.results) >= self._backlog and self.failure is None:
                    self.room.clear()
                    await self.room.wait()
        finally:
            self.live_workers -= 1
            if self.live_workers == 0:
                self.ready.set()

    async def _attempt(self, worker: int, index: int, params: InvoiceCreateParams) -> BatchResult:
        self._sending[worker] = (index, params.invoice_id)
        try:
            response = await self._send(params)
        except Exception as error:
            result = BatchResult(index, params.invoice_id, error=error)
        else:
            result = BatchResult(index, params.invoice_id, response=response)
        del self._sending[worker]  # not on cancellation: stop() reports what was in flight
        return result

    def _deliver(self, result: BatchResult) -> None:
        # The hook hears of each result as soon as it exists, even if the consumer has
        # stopped iterating by then.
        self._report(result)
        self.results.append(result)
        self.ready.set()

    def _report(self, result: BatchResult) -> None:
        if self._on_result is None or self.failure is not None:
            return
        try:
            self._on_result(result)
        except Exception as error:
            self.failure = error
            self.ready.set()

    async def stop(self, workers: list[asyncio.Task[None]]) -> None:
        """Cancel the workers (the batch was cancelled, abandoned or failed) and report what was in flight."""
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for index, invoice_id in sorted(self._sending.values()):
            self._report(BatchResult(index, invoice_id, error=asyncio.CancelledError()))
        self._sending.clear()


def _prepare(
    index: int, item: object, first_index_of: dict[str, int], check_currency_codes: bool
) -> InvoiceCreateParams | BatchResult:
    """Validate one item and refuse a repeated invoice_id; a refusal is the item's result."""
    try:
        params = validate_invoice(item, check_currency_codes=check_currency_codes)
    except ValidationError as error:
        return BatchResult(index, _invoice_id_of(item), error=error)
    first = first_index_of.setdefault(params.invoice_id, index)
    if first != index:
        duplicate = FieldError(
            "invoice_id", f"{params.invoice_id!r} repeats the invoice at index {first} of this batch; it was not sent"
        )
        return BatchResult(index, params.invoice_id, error=ValidationError([duplicate]))
    return params


def _invoice_id_of(item: object) -> str | None:
    invoice_id = item.get("invoice_id") if isinstance(item, Mapping) else getattr(item, "invoice_id", None)
    return invoice_id if isinstance(invoice_id, str) else None
