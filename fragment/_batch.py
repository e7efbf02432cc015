"""The batch runner: bounded concurrency, one result per input, generic over any create.

Inputs are pulled lazily, one per free slot, and checked only then, so memory grows with the
concurrency and never with the input. The batch runs one long-lived worker per request it
may have in flight, and as many as its :class:`~fragment._pacing.RateController` allows:
workers are added as the controller's limit grows (widening the client's connection pool
through :attr:`BatchSpec.widen`) and leave as it shrinks. Every input item yields exactly one
:class:`BatchResult`, or the batch raises: it stops at once on a batch-wide condition
(credentials refused, a host that cannot be reached), which every item would hit in turn.
A create is idempotent by its resource's own key (``invoice_id``, ``external_id``,
``code``), which makes retries safe and lets the batch refuse a key it has already seen.
All of a batch's attempts share one :class:`~fragment._pacing.RateController`, handed to
each send explicitly.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import threading
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Generic, Required, TypedDict, TypeVar, Unpack

import attrs

from ._errors import (
    APIConnectionError,
    AuthenticationError,
    FieldError,
    PermissionDeniedError,
    ValidationError,
)
from ._pacing import DEFAULT_MAX_CONCURRENCY, Pacer, RateController
from ._seen import SeenKeys

__all__ = ["BatchResult", "BatchSpec", "check_concurrency", "collect_batch", "run_batch"]

P = TypeVar("P")
R = TypeVar("R")


@attrs.frozen
class BatchResult(Generic[R]):
    """The outcome of one input item of a batch.

    Exactly one of ``response`` and ``error`` is set.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 generic over the create's response; ``key`` names the item for any resource.
    """

    index: int
    """Position of the item in the input, from 0."""
    key: str | None
    """The item's idempotency key (``invoice_id``, ``external_id``, ``code``...), or None
    when the item had none that could be read."""
    response: R | None = None
    """The created (or already stored) object, when the create succeeded."""
    error: BaseException | None = None
    """Why the item failed: a :class:`~fragment.ValidationError` (nothing sent), an
    :class:`~fragment.APIError` after retries, or :class:`asyncio.CancelledError` for a
    request in flight when the batch was cancelled (its outcome is unknown; creates are
    idempotent, so sending it again is safe)."""

    @property
    def ok(self) -> bool:
        """True when the object was created or already stored."""
        return self.error is None

    @property
    def invoice_id(self) -> str | None:
        """The same as :attr:`key`: an invoice's ``invoice_id``."""
        return self.key


@attrs.frozen
class BatchSpec(Generic[P, R]):
    """How a batch handles the items of one create: check, name, send."""

    prepare: Callable[[object], P]
    """Check one input item; raises :class:`~fragment.ValidationError` for a bad one."""
    key_name: str
    """The params field that is the create's idempotency key."""
    send: Callable[[P, Pacer], Awaitable[R]]
    """Send checked params, paced by the batch's controller."""
    widen: Callable[[int], object] | None = None
    """Make room for at least this many requests at once in the client's connection pool,
    called as the batch grows (a pool smaller than the batch would queue requests the
    controller believes are in flight); None when the pool cannot grow."""


def check_concurrency(concurrency: int | None) -> None:
    """Refuse a concurrency that is neither None (adaptive) nor a positive int."""
    if concurrency is None:
        return
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive int or None (adaptive), got {concurrency!r}")


class _BatchOptions(TypedDict, Generic[R], total=False):
    """How a batch runs, the same whether its results are streamed or collected."""

    concurrency: Required[int | None]
    """The most requests in flight; None lets the controller find how many, up to
    :data:`~fragment._pacing.DEFAULT_MAX_CONCURRENCY`."""
    on_result: Callable[[BatchResult[R]], object] | None
    """Called with each result as soon as it exists."""
    sleep: Callable[[float], Awaitable[None]]
    """How the controller waits (``asyncio.sleep`` by default)."""


async def run_batch(
    items: Iterable[object] | AsyncIterable[object], spec: BatchSpec[P, R], **options: Unpack[_BatchOptions[R]]
) -> AsyncGenerator[BatchResult[R], None]:
    """Yield one :class:`BatchResult` per input item, in completion order.

    At most the concurrency's cap of results wait for the consumer: a slow consumer slows
    the sends. An exception raised by the input itself ends the batch with that exception,
    after the requests in flight have finished and been reported.
    """
    concurrency = options["concurrency"]
    cap = DEFAULT_MAX_CONCURRENCY if concurrency is None else concurrency
    batch = _Batch(items, spec, options, backlog=cap)
    async with _running(batch):
        while True:
            while batch.results:
                result = batch.results.popleft()
                batch.room.set()
                yield result
            batch.raise_failure()
            if batch.live_workers == 0:
                break
            batch.ready.clear()
            await batch.ready.wait()


async def collect_batch(
    items: Iterable[object] | AsyncIterable[object], spec: BatchSpec[P, R], **options: Unpack[_BatchOptions[R]]
) -> list[BatchResult[R]]:
    """Run a whole batch and return its results in input order.

    The same workers as :func:`run_batch`, without a consumer to wake for every result: that
    task switch per result is most of what streaming costs over collecting.
    """
    batch = _Batch(items, spec, options, backlog=None)
    async with _running(batch):
        await batch.finished.wait()
    return sorted(batch.results, key=_by_index)


@contextlib.asynccontextmanager
async def _running(batch: _Batch[Any, Any]) -> AsyncIterator[None]:
    """Run the batch's workers while the body waits for them; then stop the workers (the body
    may have been cancelled or abandoned) and raise what ended the batch early, if anything."""
    batch.start()
    try:
        with _fewer_collections():
            yield
    finally:
        await batch.stop()
    batch.raise_failure()


@contextlib.contextmanager
def _fewer_collections() -> Generator[None, None, None]:
    """Let the cyclic garbage collector run less often while batches run.

    Each result a batch keeps (a few tracked objects: the result, the response model and its
    parts) counts towards the next collection of the youngest generation; with the default
    threshold of 700, a 20,000-invoice ``create_many`` set off about 250 collections and
    spent 0.3 to 0.4 s of a 4 s run in them (measured with ``gc.callbacks``). A threshold of
    20,000 makes that about 6 collections and 0.04 s. The first batch to start raises the
    threshold, the last to end puts it back, unless someone else changed it meanwhile.
    """
    global _batches_running, _thresholds
    with _collections_lock:
        if _batches_running == 0:
            before = gc.get_threshold()
            raised = (_BATCH_GC_THRESHOLD, *before[1:])
            # A threshold of 0 means the collector is off: leave it so.
            if 0 < before[0] < _BATCH_GC_THRESHOLD:
                gc.set_threshold(*raised)
                _thresholds = (before, raised)
        _batches_running += 1
    try:
        yield
    finally:
        with _collections_lock:
            _batches_running -= 1
            if _batches_running == 0 and _thresholds is not None:
                saved, ours = _thresholds
                if gc.get_threshold() == ours:  # else someone set their own meanwhile: keep it
                    gc.set_threshold(*saved)
                _thresholds = None


_BATCH_GC_THRESHOLD = 20_000
_collections_lock = threading.Lock()
_batches_running = 0
_thresholds: tuple[tuple[int, ...], tuple[int, ...]] | None = None  # (before, raised) while raised


def _by_index(result: BatchResult[Any]) -> int:
    return result.index


class _Source(Generic[P, R]):
    """The batch's input: pulled one item at a time, numbered, checked and de-duplicated."""

    def __init__(self, items: Iterable[object] | AsyncIterable[object], spec: BatchSpec[P, R]) -> None:
        self._spec = spec
        self._items: Iterator[object] | None = None
        self._async_items: AsyncIterator[object] | None = None
        if isinstance(items, AsyncIterable):
            self._async_items = aiter(items)
            # An async generator refuses a second anext() while one is suspended.
            self._pulling = asyncio.Lock()
        else:
            self._items = iter(items)
        self._next_index = 0
        self._seen = SeenKeys()  # ~17 bytes a key, not a dict's ~120: see _seen.py
        self.exhausted = False
        self.error: BaseException | None = None
        """What the input raised, if it did: the batch ends with it."""

    async def next(self) -> tuple[int, P | BatchResult[R]] | None:
        """The next item's index and its params (or its result, if refused); None at the end."""
        if self.exhausted:
            return None
        try:
            if self._items is not None:
                item = next(self._items)
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
        return index, self._prepare(index, item)

    def _prepare(self, index: int, item: object) -> P | BatchResult[R]:
        """Check one item and refuse a repeated key; a refusal is the item's result."""
        key_name = self._spec.key_name
        try:
            params = self._spec.prepare(item)
        except Exception as error:  # whatever the check raised is this item's result, never lost
            return BatchResult(index, _key_of(item, key_name), error=error)
        key: str = getattr(params, key_name)
        first = self._seen.first_index(key, index)
        if first != index:
            duplicate = FieldError(
                key_name, f"{key!r} repeats the item at index {first} of this batch; it was not sent"
            )
            return BatchResult(index, key, error=ValidationError([duplicate]))
        return params


class _Batch(Generic[P, R]):
    """The state the workers and the consumer of one batch share."""

    def __init__(
        self,
        items: Iterable[object] | AsyncIterable[object],
        spec: BatchSpec[P, R],
        options: _BatchOptions[R],
        *,
        backlog: int | None,
    ) -> None:
        self._source = _Source(items, spec)
        self._spec = spec
        # The loop's clock: the one its sleeps are measured by (and a virtual one in tests).
        clock = asyncio.get_running_loop().time
        sleep = options.get("sleep", asyncio.sleep)
        self._controller = RateController(options["concurrency"], clock=clock, sleep=sleep)
        self._backlog = backlog
        self._on_result = options.get("on_result")
        self.results: deque[BatchResult[R]] = deque()
        self.ready = asyncio.Event()  # a result is waiting, or the last worker has ended
        self.room = asyncio.Event()  # the consumer took a result
        self.finished = asyncio.Event()  # the last worker has ended, or the batch failed
        self.live_workers = 0
        self.failure: BaseException | None = None  # raised by on_result or by a worker: ends the batch
        self._sending: dict[int, tuple[int, str]] = {}  # worker -> (index, key) in flight
        self._workers: set[asyncio.Task[None]] = set()
        self._numbers = itertools.count()
        self._widened = 0

    def start(self) -> None:
        """Start the workers: long-lived, each taking the next item when done with one.

        Not a task per item: creating, scheduling and collecting those cost about a quarter
        of the throughput.
        """
        self._add_workers()

    def _add_workers(self) -> None:
        """Start workers up to the controller's limit, making room for them in the pool first."""
        wanted = self._controller.limit - self.live_workers
        if wanted <= 0:
            return
        if self._spec.widen is not None and self._controller.limit > self._widened:
            self._widened = self._controller.limit
            self._spec.widen(self._widened)
        for _ in range(wanted):
            self.live_workers += 1
            task = asyncio.create_task(self.work(next(self._numbers)))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)

    def _rebalance(self) -> bool:
        """After an item: leave when the limit has shrunk, start more when it has grown."""
        limit = self._controller.limit
        if self.live_workers > limit:
            return True
        if self.live_workers < limit and not self._source.exhausted and self.failure is None:
            self._add_workers()
        return False

    def raise_failure(self) -> None:
        """Raise what ended the batch early: ``on_result``'s exception, or the input's."""
        if self.failure is not None:
            raise self.failure
        if self._source.error is not None and self.live_workers == 0:
            raise self._source.error

    async def work(self, worker: int) -> None:
        """Take items until the input ends: send each and deliver its result."""
        try:
            while self.failure is None and (pulled := await self._source.next()) is not None:
                index, prepared = pulled
                if not isinstance(prepared, BatchResult):
                    prepared = await self._attempt(worker, index, prepared)
                self._deliver(prepared)
                if prepared.error is not None and self.failure is None and _stops_batch(prepared.error):
                    # Every other item would fail the same way, each after its own retries.
                    self._fail(prepared.error)
                # Back-pressure: a slow consumer stops the sends instead of piling up results.
                while self._backlog is not None and len(self.results) >= self._backlog and self.failure is None:
                    self.room.clear()
                    await self.room.wait()
                if self._rebalance():
                    break
        except Exception as error:  # a worker that dies must end the batch, never vanish
            self._fail(error)
        finally:
            self.live_workers -= 1
            if self.live_workers == 0:
                self.ready.set()
                self.finished.set()

    def _fail(self, error: BaseException) -> None:
        self.failure = error
        self.ready.set()
        self.finished.set()

    async def _attempt(self, worker: int, index: int, params: P) -> BatchResult[R]:
        key: str = getattr(params, self._spec.key_name)
        self._sending[worker] = (index, key)
        self._controller.busy(len(self._sending))
        try:
            response = await self._spec.send(params, self._controller)
        except Exception as error:
            result: BatchResult[R] = BatchResult(index, key, error=error)
        else:
            result = BatchResult(index, key, response=response)
        del self._sending[worker]  # not on cancellation: stop() reports what was in flight
        return result

    def _deliver(self, result: BatchResult[R]) -> None:
        # The hook hears of each result as soon as it exists, even if the consumer has
        # stopped iterating by then.
        self._report(result)
        self.results.append(result)
        self.ready.set()

    def _report(self, result: BatchResult[R]) -> None:
        if self._on_result is None or self.failure is not None:
            return
        try:
            self._on_result(result)
        except Exception as error:
            self._fail(error)

    async def stop(self) -> None:
        """Cancel the workers (the batch was cancelled, abandoned or failed) and report what was in flight."""
        workers = list(self._workers)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for index, key in sorted(self._sending.values()):
            self._report(BatchResult(index, key, error=asyncio.CancelledError()))
        self._sending.clear()


def _stops_batch(error: BaseException) -> bool:
    """A batch-wide condition: refused credentials, or a host that cannot be reached at all."""
    if isinstance(error, (AuthenticationError, PermissionDeniedError)):
        return True
    return isinstance(error, APIConnectionError) and error.connect_failed


def _key_of(item: object, key_name: str) -> str | None:
    try:
        key = item.get(key_name) if isinstance(item, Mapping) else getattr(item, key_name, None)
    except Exception:  # an odd mapping must not turn a refusal into a lost item
        return None
    return key if isinstance(key, str) else None
