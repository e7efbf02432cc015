"""The batch runner's rate controller and input handling, without sockets."""

from __future__ import annotations

import asyncio

import pytest

from fragment import BatchResult, ValidationError
from fragment._batch import RateController, collect_batch, run_batch
from fragment.types import InvoiceCreateParams, InvoiceCreateResponse


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answer(controller: RateController, status: int, count: int = 1, headers: dict[str, str] | None = None) -> None:
    """Run ``count`` attempts through the controller, each answered with ``status``."""
    for _ in range(count):
        ticket = controller.try_acquire()
        assert ticket is not None
        controller.release(ticket, status, headers)


def test_a_batch_opens_in_slow_start_and_doubles_on_clean_windows() -> None:
    controller = RateController(64, clock=FakeClock())
    assert controller.limit == 8

    answer(controller, 201, count=20)
    assert controller.limit == 16
    answer(controller, 201, count=20)
    assert controller.limit == 32


def test_a_window_with_many_429s_halves_the_limit_once() -> None:
    controller = RateController(64, clock=FakeClock())
    controller.limit = 64

    answer(controller, 429, count=30)
    answer(controller, 201, count=34)
    assert controller.limit == 32

    # Answers to attempts sent before the move are not judged again.
    stale = controller._epoch - 1
    controller._active += 40
    for _ in range(40):
        controller.release(stale, 429, None)
    assert controller.limit == 32


def test_a_few_stray_429s_do_not_slow_a_healthy_batch() -> None:
    controller = RateController(64, clock=FakeClock())
    controller.limit = 64
    answer(controller, 429, count=6)
    answer(controller, 201, count=58)
    assert controller.limit == 64


def test_after_an_overload_the_limit_recovers_a_quarter_per_clean_window() -> None:
    controller = RateController(64, clock=FakeClock())
    controller.limit = 64
    answer(controller, 429, count=64)
    assert controller.limit == 32

    answer(controller, 201, count=32)
    assert controller.limit == 40


def test_at_one_request_in_flight_further_overload_spaces_the_sends() -> None:
    clock = FakeClock()
    controller = RateController(8, clock=clock)
    controller.limit = 1
    for _ in range(10):  # 10 successes in 20 ms: the server accepts one per 2 ms
        clock.now += 0.002
        answer(controller, 201)
    answer(controller, 429, count=10)

    assert controller.limit == 1
    assert controller.interval == pytest.approx(0.002 * 1.25)
    assert controller.try_acquire() is None  # spaced sends go through acquire()


def test_a_429_with_retry_after_pauses_every_new_attempt() -> None:
    clock = FakeClock()
    controller = RateController(8, clock=clock)
    answer(controller, 429, headers={"retry-after-ms": "500"})

    assert controller.try_acquire() is None
    clock.now += 0.6
    assert controller.try_acquire() is not None


async def test_acquire_waits_for_a_free_slot() -> None:
    controller = RateController(1)
    first = controller.try_acquire()
    assert first is not None
    waiter = asyncio.create_task(controller.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()

    controller.release(first, 201, None)
    assert await asyncio.wait_for(waiter, 1) == controller._epoch


async def test_acquire_waits_out_the_pause() -> None:
    controller = RateController(4)
    answer(controller, 429, headers={"retry-after-ms": "50"})
    loop = asyncio.get_running_loop()
    started = loop.time()
    await controller.acquire()
    assert loop.time() - started >= 0.04


def good_invoice(invoice_id: str) -> dict[str, object]:
    line_item = {
        "amount": "100",
        "currency_code": "EUR",
        "description": "Seat",
        "product_id": "prod_1",
        "type": "payin",
        "user_id": "user_1",
    }
    return {"invoice_id": invoice_id, "line_items": [line_item]}


async def collect(invoices: object, **kwargs: object) -> tuple[list[BatchResult], list[str]]:
    sent: list[str] = []

    async def send(params: InvoiceCreateParams) -> InvoiceCreateResponse:
        sent.append(params.invoice_id)
        await asyncio.sleep(0)
        return None  # type: ignore[return-value]  # the runner never looks inside

    results = [
        result
        async for result in run_batch(
            invoices,  # type: ignore[arg-type]
            send=send,
            concurrency=kwargs.pop("concurrency", 4),  # type: ignore[arg-type]
            check_currency_codes=True,
        )
    ]
    return results, sent


async def test_an_invalid_item_fails_alone_without_being_sent() -> None:
    bad = good_invoice("inv_2")
    bad["line_items"][0]["currency_code"] = "USDX"  # type: ignore[index]

    results, sent = await collect([good_invoice("inv_1"), bad, good_invoice("inv_3")])

    assert sent == ["inv_1", "inv_3"]
    failed = [r for r in results if not r.ok]
    assert [(r.index, r.invoice_id) for r in failed] == [(1, "inv_2")]
    assert isinstance(failed[0].error, ValidationError)
    assert "line_items[0].currency_code" in str(failed[0].error)


async def test_a_repeated_invoice_id_is_not_sent_and_names_the_first_index() -> None:
    results, sent = await collect([good_invoice("a"), good_invoice("b"), good_invoice("a")])

    assert sent == ["a", "b"]
    duplicate = next(r for r in results if r.index == 2)
    assert isinstance(duplicate.error, ValidationError)
    assert "index 0" in str(duplicate.error)


async def test_an_item_that_is_not_a_mapping_is_reported_with_no_invoice_id() -> None:
    results, sent = await collect([42, good_invoice("x")])

    assert sent == ["x"]
    assert results[0].index == 0 and results[0].invoice_id is None and not results[0].ok


async def test_async_iterables_are_accepted() -> None:
    async def invoices():  # type: ignore[no-untyped-def]
        for number in range(5):
            yield good_invoice(f"inv_{number}")

    results, sent = await collect(invoices())

    assert sorted(sent) == [f"inv_{n}" for n in range(5)]
    assert all(r.ok for r in results)


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True])
async def test_concurrency_must_be_a_positive_int(concurrency: object) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        await collect([], concurrency=concurrency)


async def test_an_on_result_hook_that_raises_stops_the_batch_with_its_exception() -> None:
    async def send(params: InvoiceCreateParams) -> InvoiceCreateResponse:
        return None  # type: ignore[return-value]  # the runner never looks inside

    def hook(result: BatchResult) -> None:
        raise KeyError("progress bar broke")

    with pytest.raises(KeyError, match="progress bar broke"):
        await collect_batch(
            [good_invoice(f"inv_{n}") for n in range(10)],
            send=send,
            concurrency=2,
            check_currency_codes=True,
            on_result=hook,
        )
