"""Batches against the emulator over real sockets: nothing lost, nothing doubled, polite under 429s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import pytest

from fragment import AsyncFragment, AuthenticationError, BatchResult, ValidationError
from fragment.testing import Emulator, Faults, RateLimit

MakeInvoice = Callable[[int], dict[str, Any]]


@pytest.fixture
async def faulty_emulator(every_fault: Callable[..., Faults]) -> AsyncIterator[Emulator]:
    """An emulator that injects each kind of fault into 4% of the creates (20% in all)."""
    async with Emulator(faults=every_fault(0.04, slow_seconds=0.6, retry_after_ms=20, seed=20261125)) as emulator:
        yield emulator


async def create_many(emulator: Emulator, invoices: Iterable[Any], **options: Any) -> list[BatchResult[Any]]:
    """One ``create_many`` of concurrency 64 by a client of ``emulator`` with these options."""
    async with AsyncFragment(**emulator.client_options(), **options) as client:
        return await client.invoices.create_many(invoices, concurrency=64)


def stored_by_id(emulator: Emulator) -> dict[str, dict[str, Any]]:
    stored = emulator.invoices()
    by_id = {entry["id"]: entry for entry in stored}
    assert len(by_id) == len(stored), "an invoice was stored twice"
    return by_id


def assert_matches_input(stored: dict[str, Any], sent: dict[str, Any]) -> None:
    assert [
        (li["amount"], li["currencyCode"], li["description"], li["product_id"], li["type"], li["user_id"])
        for li in stored["lineItems"]
    ] == [
        (li["amount"], li["currency_code"], li["description"], li["product_id"], li["type"], li["user_id"])
        for li in sent["line_items"]
    ]


async def test_800_invoices_through_20_percent_faults_are_all_stored_exactly_once(
    faulty_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    # 800, not thousands: the injected 429s (4%) arrive whatever the pace, and the batch's rate
    # controller, taking them for a limit, slows down; what this pins is exactly-once, not speed.
    invoices = [make_invoice(n) for n in range(800)]

    results = await create_many(faulty_emulator, invoices, timeout=0.3, max_retries=12)

    assert [r.index for r in results] == list(range(800))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    stored = stored_by_id(faulty_emulator)
    assert len(stored) == 800
    for sent in invoices:
        assert_matches_input(stored[sent["invoice_id"]], sent)


async def test_with_too_few_retries_every_failure_is_reported_and_every_success_stored(
    faulty_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    results = await create_many(faulty_emulator, (make_invoice(n) for n in range(500)), timeout=0.3, max_retries=0)

    stored = stored_by_id(faulty_emulator)
    assert [r.index for r in results] == list(range(500))
    failed = [r for r in results if not r.ok]
    assert 40 < len(failed) < 160  # about 20% of 500
    for result in results:
        assert (result.response is None) == (result.error is not None)
        if result.ok:
            assert result.invoice_id in stored


def share_of_429s(emulator: Emulator) -> float:
    stats = emulator.stats
    return stats.status_count("/invoices", 429) / stats.requests["/invoices"]


async def test_a_rate_limited_batch_backs_off_instead_of_stampeding(make_invoice: MakeInvoice) -> None:
    invoices = [make_invoice(n) for n in range(1500)]
    limit = RateLimit(rate=1000.0, burst=20)

    async with Emulator(rate_limit=limit) as emulator:
        results = await create_many(emulator, invoices, max_retries=20)
        assert all(r.ok for r in results)
        batch_share = share_of_429s(emulator)

    # The same invoices as a plain gather of creates: every request retries on its own.
    async with (
        Emulator(rate_limit=limit) as emulator,
        AsyncFragment(**emulator.client_options(), max_retries=3) as client,
    ):
        await asyncio.gather(*(client.invoices.create(**item) for item in invoices), return_exceptions=True)
        stampede_share = share_of_429s(emulator)

    print(f"429 share: create_many {batch_share:.1%}, plain gather {stampede_share:.1%}")
    # Measured: about 8% for the batch against about 82% for the gather on an idle 2-core
    # machine; up to 15% for the batch when other processes load both cores.
    assert batch_share < 0.25
    assert batch_share < stampede_share / 3


async def test_create_many_returns_results_in_input_order(
    fragment_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        results = await client.invoices.create_many((make_invoice(n) for n in range(50)), concurrency=8)

    assert [r.invoice_id for r in results] == [f"inv_{n:05d}" for n in range(50)]
    assert all(r.response is not None and r.response.data.id == r.invoice_id for r in results)


async def test_input_is_never_read_more_than_concurrency_items_ahead(
    fragment_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    concurrency = 4
    pulled = 0
    completed = 0
    lead: list[int] = []

    def source() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for number in range(40):
            pulled += 1
            lead.append(pulled - completed)
            yield make_invoice(number)

    def count(_: BatchResult[Any]) -> None:
        nonlocal completed
        completed += 1

    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        await client.invoices.create_many(source(), concurrency=concurrency, on_result=count)

    assert completed == 40
    assert max(lead) <= concurrency


async def test_a_repeated_invoice_id_is_sent_once(fragment_emulator: Emulator, make_invoice: MakeInvoice) -> None:
    items = [make_invoice(1), make_invoice(2), make_invoice(1)]
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        results = await client.invoices.create_many(items)

    assert [r.ok for r in results] == [True, True, False]
    assert isinstance(results[2].error, ValidationError)
    assert "index 0" in str(results[2].error)
    assert len(fragment_emulator.invoices()) == 2


async def test_an_input_that_raises_ends_the_batch_after_reporting_what_was_sent(
    fragment_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    reported: list[BatchResult[Any]] = []

    def source() -> Iterator[dict[str, Any]]:
        yield from (make_invoice(n) for n in range(10))
        raise OSError("disk went away")

    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        with pytest.raises(OSError, match="disk went away"):
            await client.invoices.create_many(source(), concurrency=4, on_result=reported.append)

    assert sorted(r.index for r in reported) == list(range(10))
    assert all(r.ok for r in reported)
    assert len(fragment_emulator.invoices()) == 10


async def test_a_wrong_secret_ends_the_batch_at_once_with_authentication_error(
    fragment_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    options = {**fragment_emulator.client_options(), "client_secret": "not-the-secret"}
    reported: list[BatchResult[Any]] = []

    async with AsyncFragment(**options) as client:
        with pytest.raises(AuthenticationError):
            await client.invoices.create_many((make_invoice(n) for n in range(100)), on_result=reported.append)

    assert 1 <= len(reported) <= 16  # the items in flight when the token was refused, not all 100
    assert fragment_emulator.stats.requests == {"/oauth2/token": 1}


async def test_cancelling_a_batch_stops_sending_and_reports_what_was_in_flight(make_invoice: MakeInvoice) -> None:
    reported: list[BatchResult[Any]] = []
    eight_reported = asyncio.Event()
    pulled = 0

    def report(result: BatchResult[Any]) -> None:
        reported.append(result)
        if len(reported) >= 8:
            eight_reported.set()

    async def source() -> AsyncIterator[dict[str, Any]]:
        nonlocal pulled
        for number in range(1000):
            pulled += 1
            yield make_invoice(number)

    async with (
        Emulator(faults=Faults(slow=1.0, slow_seconds=0.2, seed=1)) as emulator,
        AsyncFragment(**emulator.client_options()) as client,
    ):
        batch = asyncio.create_task(client.invoices.create_many(source(), concurrency=8, on_result=report))
        await eight_reported.wait()
        loop = asyncio.get_running_loop()
        started = loop.time()
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        assert loop.time() - started < 0.5
        requests_at_cancel = emulator.stats.requests["/invoices"]
        await asyncio.sleep(0.3)  # time for a request that would still leave: nothing signals its absence
        assert emulator.stats.requests["/invoices"] == requests_at_cancel

    assert sorted(r.index for r in reported) == list(range(pulled))
    assert any(isinstance(r.error, asyncio.CancelledError) for r in reported)


async def test_leaving_create_many_iter_early_cancels_and_reports_the_rest(
    fragment_emulator: Emulator, make_invoice: MakeInvoice
) -> None:
    reported: list[BatchResult[Any]] = []
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        results = client.invoices.create_many_iter(
            (make_invoice(n) for n in range(100)), concurrency=8, on_result=reported.append
        )
        async for _ in results:
            break
        await results.aclose()  # type: ignore[attr-defined]

    assert len(reported) == len({r.index for r in reported}) >= 1
    # The one taken, at most 8 waiting for the consumer and 8 in flight (reported cancelled).
    assert len(reported) <= 1 + 8 + 8


async def test_concurrency_above_the_connection_pool_widens_the_pool_for_the_batch(
    fragment_emulator: Emulator, make_invoice: Callable[[int], dict[str, Any]]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options(), max_connections=2) as client:
        results = await client.invoices.create_many((make_invoice(n) for n in range(40)), concurrency=8)

        assert [result.ok for result in results] == [True] * 40
        assert client.max_connections == 8


async def test_a_concurrency_that_is_not_a_positive_int_is_refused_at_the_call() -> None:
    client = AsyncFragment(client_id="id", client_secret="secret")
    with pytest.raises(ValueError, match="concurrency"):
        client.invoices.create_many_iter([], concurrency=0)
