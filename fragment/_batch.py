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
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

import attrs

from ._errors import FieldError, ValidationError
from ._logging import logger
from ._pacing import current_pacer
from ._protocol import MAX_RETRY_AFTER, retry_after
from ._validation import validate_invoice
from .types import InvoiceCreateParams, InvoiceCreateResponse

__all__ = ["BatchInput", "BatchResult", "RateController", "run_batch"]

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


async def run_batch(
    invoices: Iterable[BatchInput] | AsyncIterable[BatchInput],
    *,
    send: Callable[[InvoiceCreateParams], Awaitable[InvoiceCreateResponse]],
    concurrency: int,
    check_currency_codes: bool,
    on_result: Callable[[BatchResult], object] | None = None,
) -> AsyncIterator[BatchResult]:
    """Yield one :class:`BatchResult` per input item, in completion order.

    An exception raised by the input itself ends the batch with that exception, after the
    requests in flight have finished and been reported.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive int, got {concurrency!r}")
    controller = RateController(concurrency)
    items = _pull(invoices)
    first_index_of: dict[str, int] = {}
    in_flight: dict[asyncio.Task[BatchResult], tuple[int, str]] = {}
    input_error: BaseException | None = None
    exhausted = False
    index = 0

    finished: deque[asyncio.Task[BatchResult]] = deque()
    wakeup = asyncio.Event()

    def on_done(task: asyncio.Task[BatchResult]) -> None:
        # A callback per task, not asyncio.wait(): wait() re-registers on every task in
        # flight each time it is called, which costs O(concurrency) per completion.
        finished.append(task)
        wakeup.set()

    async def attempt(index: int, params: InvoiceCreateParams) -> BatchResult:
        current_pacer.set(controller)  # this task's own context: other code is not paced
        try:
            response = await send(params)
        except Exception as error:
            return BatchResult(index, params.invoice_id, error=error)
        return BatchResult(index, params.invoice_id, response=response)

    try:
        while True:
            while not exhausted and input_error is None and len(in_flight) < controller.limit:
                try:
                    item = await anext(items)
                except StopAsyncIteration:
                    exhausted = True
                    break
                except Exception as error:
                    input_error = error
                    break
                prepared = _prepare(index, item, first_index_of, check_currency_codes)
                if isinstance(prepared, BatchResult):
                    _report(prepared, on_result)
                    yield prepared
                else:
                    task = asyncio.create_task(attempt(index, prepared))
                    task.add_done_callback(on_done)
                    in_flight[task] = (index, prepared.invoice_id)
                index += 1
            if not in_flight:
                break
            await wakeup.wait()
            wakeup.clear()
            while finished:
                task = finished.popleft()
                del in_flight[task]
                result = task.result()
                _report(result, on_result)
                yield result
    finally:
        await _cancel_in_flight(in_flight, on_result)
    if input_error is not None:
        raise input_error


async def _pull(invoices: Iterable[BatchInput] | AsyncIterable[BatchInput]) -> AsyncIterator[BatchInput]:
    if isinstance(invoices, AsyncIterable):
        async for item in invoices:
            yield item
    else:
        for item in invoices:
            yield item


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


def _report(result: BatchResult, on_result: Callable[[BatchResult], object] | None) -> None:
    if on_result is not None:
        on_result(result)


async def _cancel_in_flight(
    in_flight: dict[asyncio.Task[BatchResult], tuple[int, str]], on_result: Callable[[BatchResult], object] | None
) -> None:
    """Stop the requests still running (the batch was cancelled or abandoned) and report each.

    The caller is no longer iterating, so the progress hook is the only place left to tell.
    """
    if not in_flight:
        return
    for task in in_flight:
        task.cancel()
    await asyncio.wait(in_flight)
    for task, (index, invoice_id) in sorted(in_flight.items(), key=lambda pair: pair[1]):
        if task.cancelled():
            _report(BatchResult(index, invoice_id, error=asyncio.CancelledError()), on_result)
        else:
            _report(task.result(), on_result)
