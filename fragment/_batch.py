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
    """A batch's concurrency limit and pause, shared by all of its requests.

    Multiplicative decrease on a 429 (at most once per pause), additive increase after each
    ``limit`` successes, never above the batch's own ``concurrency``.
    """

    def __init__(self, concurrency: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_limit = concurrency
        self.limit = concurrency
        self._clock = clock
        self._resume_at = 0.0
        self._successes = 0
        self.rate_limited_count = 0

    def paused(self) -> bool:
        """Whether new attempts must wait for the end of a pause."""
        return self._resume_at > self._clock()

    async def wait(self) -> None:
        """Wait until the batch's pause (if any) is over."""
        # A loop, not an Event: another 429 may push the resume time further while we sleep.
        while (wait := self._resume_at - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)

    def rate_limited(self, pause: float) -> None:
        """Pause every request of the batch for ``pause`` s and halve the concurrency."""
        self.rate_limited_count += 1
        now = self._clock()
        if now >= self._resume_at:  # one burst of 429s halves the limit once, not once per answer
            self.limit = max(1, self.limit // 2)
            self._successes = 0
            logger.info("rate limited: pausing the batch %.2fs, concurrency now %d", pause, self.limit)
        self._resume_at = max(self._resume_at, now + pause)

    def succeeded(self) -> None:
        """Count a success; after ``limit`` of them, allow one more request in flight."""
        if self.limit >= self.max_limit:
            return
        self._successes += 1
        if self._successes >= self.limit:
            self._successes = 0
            self.limit += 1


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
        controller.succeeded()
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
