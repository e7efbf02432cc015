"""The batch runner, generic over any create: fake ``prepare`` and ``send``, no sockets.

Every input item yields exactly one result, or the batch raises.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import pytest

from fragment import (
    APIConnectionError,
    APIStatusError,
    AsyncFragment,
    AuthenticationError,
    BatchResult,
    ConflictError,
    FieldError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from fragment._batch import BatchSpec, collect_batch, run_batch
from fragment._pacing import Pacer
from fragment.testing import answer, instant_retries


@attrs.frozen
class Params:
    """What the fake ``prepare`` makes of an item: its key and how its send should go."""

    code: str
    yields: int = 0


def prepare(item: object) -> Params:
    """Check one item like a real create would: a mapping with a non-empty ``code``."""
    if not isinstance(item, Mapping):
        raise ValidationError([FieldError("item", f"expected a mapping, got {type(item).__name__}")])
    if not item.get("code"):
        raise ValidationError([FieldError("code", "must not be empty")])
    return Params(**item)


class FakeCreate:
    """The batch's ``send``: records what it sent and the pacer each send was given."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.pacers: list[Pacer] = []
        self.errors: dict[str, Exception] = {}
        """What the send of an item raises, by its code."""
        self.hold = asyncio.Event()
        self.hold.set()
        self.one_more_sent = asyncio.Event()

    async def __call__(self, params: Params, pacer: Pacer) -> str:
        self.sent.append(params.code)
        self.pacers.append(pacer)
        self.one_more_sent.set()
        for _ in range(params.yields):
            await asyncio.sleep(0)
        await self.hold.wait()
        if params.code in self.errors:
            raise self.errors[params.code]
        return f"created {params.code}"

    def spec(self, prepare: Callable[[object], Any] = prepare) -> BatchSpec[Any, str]:
        return BatchSpec(prepare, "code", self)


@pytest.fixture
def create() -> FakeCreate:
    return FakeCreate()


def items(*codes: str) -> list[dict[str, Any]]:
    return [{"code": code} for code in codes]


async def collect(source: Iterable[object] | AsyncIterator[object], spec: BatchSpec[Any, str], **kwargs: Any) -> Any:
    return await collect_batch(source, spec, concurrency=kwargs.pop("concurrency", 4), **kwargs)


async def iterate(source: Iterable[object] | AsyncIterator[object], spec: BatchSpec[Any, str], **kwargs: Any) -> Any:
    return [result async for result in run_batch(source, spec, concurrency=kwargs.pop("concurrency", 4), **kwargs)]


RUNNERS = [pytest.param(collect, id="collect_batch"), pytest.param(iterate, id="run_batch")]
Runner = Callable[..., Awaitable[list[BatchResult[str]]]]


# --- one result per item ------------------------------------------------------------------------


@pytest.mark.parametrize("run", RUNNERS)
async def test_every_item_yields_exactly_one_result(create: FakeCreate, run: Runner) -> None:
    results = await run(items(*(f"c{n}" for n in range(50))), create.spec())

    assert sorted(result.index for result in results) == list(range(50))
    assert all(result.ok and result.response == f"created {result.key}" for result in results)
    assert sorted(create.sent) == sorted(f"c{n}" for n in range(50))


async def test_collect_batch_returns_the_results_in_input_order(create: FakeCreate) -> None:
    source = [{"code": f"c{n}", "yields": 10 - n} for n in range(10)]

    results = await collect(source, create.spec())

    assert [result.key for result in results] == [f"c{n}" for n in range(10)]


async def test_run_batch_yields_the_results_as_they_complete(create: FakeCreate) -> None:
    source = [{"code": f"c{n}", "yields": 4 - n} for n in range(4)]

    results = await iterate(source, create.spec())

    assert [result.key for result in results] == ["c3", "c2", "c1", "c0"]


async def test_async_iterables_are_accepted(create: FakeCreate) -> None:
    async def source() -> AsyncIterator[dict[str, Any]]:
        for number in range(5):
            yield {"code": f"c{number}"}

    results = await collect(source(), create.spec())

    assert [result.key for result in results] == [f"c{n}" for n in range(5)]


def test_a_result_has_exactly_one_of_response_and_error_and_invoice_id_is_its_key() -> None:
    good = BatchResult(0, "inv_1", response="created")
    bad: BatchResult[str] = BatchResult(1, "inv_2", error=KeyError("x"))

    assert (good.ok, good.invoice_id, good.error) == (True, "inv_1", None)
    assert (bad.ok, bad.invoice_id, bad.response) == (False, "inv_2", None)


# --- items that fail alone ------------------------------------------------------------------------


def status_error(error_class: type[APIStatusError], status: int) -> APIStatusError:
    return error_class(f"Error code: {status}", status_code=status, headers={}, body=None)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(status_error(InternalServerError, 503), id="503-after-retries"),
        pytest.param(status_error(ConflictError, 409), id="409"),
        pytest.param(status_error(RateLimitError, 429), id="429-after-retries"),
        pytest.param(APIConnectionError("Connection error talking to https://x: reset"), id="connection-reset"),
        pytest.param(RuntimeError("a bug in a custom transport"), id="anything-else"),
    ],
)
async def test_a_send_that_fails_fails_its_item_alone(create: FakeCreate, error: Exception) -> None:
    create.errors["b"] = error

    results = await collect(items("a", "b", "c"), create.spec())

    assert [result.ok for result in results] == [True, False, True]
    assert results[1].error is error
    assert results[1].key == "b"


async def test_an_invalid_item_fails_alone_without_being_sent(create: FakeCreate) -> None:
    results = await collect([{"code": "a"}, {"code": ""}, {"code": "c"}], create.spec())

    assert create.sent == ["a", "c"]
    assert isinstance(results[1].error, ValidationError)
    assert results[1].error.path == "code"
    assert results[1].key == ""


async def test_an_item_that_is_not_a_mapping_is_reported_without_a_key(create: FakeCreate) -> None:
    results = await collect([42, {"code": "x"}], create.spec())

    assert create.sent == ["x"]
    assert (results[0].index, results[0].key, results[0].ok) == (0, None, False)


@pytest.mark.parametrize("error", [KeyError("code"), TypeError("unhashable"), ZeroDivisionError()], ids=repr)
async def test_a_prepare_that_raises_anything_else_fails_that_item_never_loses_it(
    create: FakeCreate, error: Exception
) -> None:
    def broken_prepare(item: object) -> Params:
        if item == {"code": "odd"}:
            raise error
        return prepare(item)

    results = await collect(items("a", "odd", "c"), create.spec(broken_prepare))

    assert [(result.key, result.ok) for result in results] == [("a", True), ("odd", False), ("c", True)]
    assert results[1].error is error
    assert create.sent == ["a", "c"]


async def test_a_repeated_key_is_not_sent_and_names_the_first_index(create: FakeCreate) -> None:
    results = await collect(items("a", "b", "a"), create.spec())

    assert create.sent == ["a", "b"]
    duplicate = results[2]
    assert isinstance(duplicate.error, ValidationError)
    assert duplicate.error.path == "code"
    assert "'a' repeats the item at index 0 of this batch; it was not sent" in str(duplicate.error)


# --- what ends a batch ------------------------------------------------------------------------------


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize(
    "error",
    [
        pytest.param(status_error(AuthenticationError, 401), id="credentials-refused"),
        pytest.param(status_error(PermissionDeniedError, 403), id="permission-denied"),
        pytest.param(APIConnectionError("Cannot connect to https://x", connect_failed=True), id="host-unreachable"),
    ],
)
async def test_a_batch_wide_failure_ends_the_batch_at_once_with_that_error(
    create: FakeCreate, run: Runner, error: Exception
) -> None:
    reported: list[BatchResult[str]] = []
    create.errors["c0"] = error

    with pytest.raises(type(error)) as caught:
        await run(items(*(f"c{n}" for n in range(50))), create.spec(), concurrency=2, on_result=reported.append)

    assert caught.value is error
    assert reported[0].error is error  # the item that met it is reported first
    assert len(create.sent) < 50


@pytest.mark.parametrize("run", RUNNERS)
async def test_a_worker_failure_ends_the_batch_with_its_exception(create: FakeCreate, run: Runner) -> None:
    def prepare_without_key(item: object) -> object:
        return object()  # the batch cannot read its key: a bug, not a bad item

    with pytest.raises(AttributeError, match="code"):
        await run(items("a", "b"), create.spec(prepare_without_key))


@pytest.mark.parametrize("run", RUNNERS)
async def test_an_input_that_raises_ends_the_batch_after_reporting_what_was_sent(
    create: FakeCreate, run: Runner
) -> None:
    reported: list[BatchResult[str]] = []

    def source() -> Iterable[dict[str, Any]]:
        yield from items(*(f"c{n}" for n in range(10)))
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        await run(source(), create.spec(), on_result=reported.append)

    assert sorted(result.index for result in reported) == list(range(10))


@pytest.mark.parametrize("run", RUNNERS)
async def test_an_on_result_hook_that_raises_stops_the_batch_with_its_exception(
    create: FakeCreate, run: Runner
) -> None:
    def hook(result: BatchResult[str]) -> None:
        raise KeyError("progress bar broke")

    with pytest.raises(KeyError, match="progress bar broke"):
        await run(items(*(f"c{n}" for n in range(10))), create.spec(), concurrency=2, on_result=hook)

    assert len(create.sent) < 10


async def test_cancelling_a_batch_reports_each_request_in_flight_as_cancelled(create: FakeCreate) -> None:
    reported: list[BatchResult[str]] = []
    create.hold.clear()
    batch = asyncio.create_task(collect(items(*(f"c{n}" for n in range(10))), create.spec(), on_result=reported.append))
    while len(create.sent) < 4:
        create.one_more_sent.clear()
        await create.one_more_sent.wait()

    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch

    assert create.sent == ["c0", "c1", "c2", "c3"]
    assert [result.key for result in reported] == create.sent
    assert all(isinstance(result.error, asyncio.CancelledError) for result in reported)


async def test_a_consumer_that_stops_reading_stops_the_sends(create: FakeCreate) -> None:
    results = run_batch(items(*(f"c{n}" for n in range(100))), create.spec(), concurrency=4)

    await anext(results)
    for _ in range(50):
        await asyncio.sleep(0)
    await results.aclose()

    # The one taken, at most 4 results waiting for the consumer, at most 4 more sent meanwhile.
    assert len(create.sent) <= 1 + 4 + 4


# --- pacing ---------------------------------------------------------------------------------------


async def test_every_send_of_a_batch_gets_the_batch_s_one_pacer(create: FakeCreate) -> None:
    await collect(items("a", "b", "c"), create.spec())
    await collect(items("d"), create.spec())

    first_batch, second_batch = create.pacers[:3], create.pacers[3]
    assert all(pacer is first_batch[0] for pacer in first_batch)
    assert second_batch is not first_batch[0]


# --- through a client ---------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True, "8"])
async def test_a_concurrency_that_is_not_a_positive_int_is_refused_at_the_call(
    client: AsyncFragment, concurrency: Any
) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        client.invoices.create_many_iter([], concurrency=concurrency)
    with pytest.raises(ValueError, match="concurrency"):
        await client.invoices.create_many([], concurrency=concurrency)


async def test_a_concurrency_above_max_connections_is_accepted(make_client: Any, seed_invoice: dict[str, Any]) -> None:
    invoices = [{**seed_invoice, "invoice_id": f"inv_{n}"} for n in range(30)]

    async with make_client(max_connections=2) as client:
        results = await client.invoices.create_many(invoices, concurrency=20)

    assert all(result.ok for result in results)


@pytest.mark.parametrize(("concurrency", "opening"), [(None, 8), (3, 3)])
async def test_a_batch_makes_room_in_the_pool_for_the_workers_it_starts(
    create: FakeCreate, concurrency: int | None, opening: int
) -> None:
    widened: list[int] = []
    spec = BatchSpec(prepare, "code", create, widen=widened.append)

    results = await collect_batch(items(*(f"c{n}" for n in range(50))), spec, concurrency=concurrency)

    assert len(results) == 50
    assert widened == [opening]  # the fake send answers nothing, so the batch never grows


async def test_create_many_checks_each_item_and_retries_each_send_through_the_client(
    client: AsyncFragment, seed_invoice: dict[str, Any], answers: list[Any], api_requests: Sequence[Any]
) -> None:
    invalid = {**seed_invoice, "invoice_id": "inv_bad", "line_items": []}
    answers.append(answer(503))

    results = await client.invoices.create_many([seed_invoice, invalid, seed_invoice], concurrency=2)

    assert [result.ok for result in results] == [True, False, False]
    assert isinstance(results[1].error, ValidationError) and "line_items" in str(results[1].error)
    assert "repeats the item at index 0" in str(results[2].error)
    assert len(api_requests) == 2  # the 503, then its retry
    assert results[0].response is not None and results[0].response.data.id == seed_invoice["invoice_id"]


async def test_instant_retries_make_a_batch_s_rate_limit_pause_take_no_time(
    make_client: Any, seed_invoice: dict[str, Any], answers: list[Any]
) -> None:
    answers.append(answer(429, b"", {"retry-after": "30"}))
    invoices = [{**seed_invoice, "invoice_id": f"inv_{n}"} for n in range(8)]

    async with make_client(sleep=None) as client:
        with instant_retries():
            results = await asyncio.wait_for(client.invoices.create_many(invoices, concurrency=4), 3)

    assert all(result.ok for result in results)


# --- garbage collection ---------------------------------------------------------------------------


async def test_a_running_batch_collects_garbage_less_often_and_puts_the_threshold_back(create: FakeCreate) -> None:
    before = gc.get_threshold()
    during: list[tuple[int, ...]] = []

    def hook(result: BatchResult[str]) -> None:
        during.append(gc.get_threshold())

    await collect(items("a", "b"), create.spec(), on_result=hook)

    assert during[0][0] >= 20_000
    assert gc.get_threshold() == before


async def test_a_threshold_changed_during_a_batch_is_left_as_it_was_set(create: FakeCreate) -> None:
    before = gc.get_threshold()
    try:

        def hook(result: BatchResult[str]) -> None:
            gc.set_threshold(1234, *before[1:])

        await collect(items("a"), create.spec(), on_result=hook)

        assert gc.get_threshold()[0] == 1234
    finally:
        gc.set_threshold(*before)
