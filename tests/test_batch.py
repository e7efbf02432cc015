"""The batch runner's rate controller and input handling, without sockets."""

from __future__ import annotations

import asyncio

import pytest

from fragment import BatchResult, ValidationError
from fragment._batch import RateController, run_batch
from fragment.types import InvoiceCreateParams, InvoiceCreateResponse


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_429_halves_the_limit_once_per_pause() -> None:
    clock = FakeClock()
    controller = RateController(64, clock=clock)

    controller.rate_limited(1.0)
    controller.rate_limited(1.0)  # the same burst
    assert controller.limit == 32

    clock.now += 1.5
    controller.rate_limited(1.0)  # a new burst after the pause
    assert controller.limit == 16


def test_limit_recovers_by_one_after_a_window_of_successes() -> None:
    controller = RateController(8, clock=FakeClock())
    controller.rate_limited(0.0)
    assert controller.limit == 4

    for _ in range(4):
        controller.succeeded()
    assert controller.limit == 5


def test_limit_never_exceeds_the_batch_concurrency_nor_drops_below_one() -> None:
    clock = FakeClock()
    controller = RateController(2, clock=clock)
    for _ in range(100):
        controller.succeeded()
    assert controller.limit == 2
    for _ in range(5):
        clock.now += 10
        controller.rate_limited(0.1)
    assert controller.limit == 1


async def test_before_attempt_waits_out_the_pause() -> None:
    controller = RateController(4)
    controller.rate_limited(0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await controller.wait()
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
