"""The emulator as a real API: answers that take time, and a rate limit per workspace."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from fragment import AsyncFragment, RateLimitError
from fragment.testing import Emulator, EmulatorClient, RateLimit
from fragment.testing._faults import Latency

MakeInvoice = Callable[[int], dict[str, Any]]


async def test_every_api_answer_takes_the_latency(make_invoice: MakeInvoice) -> None:
    async with Emulator(latency=0.05) as emulator, AsyncFragment(**emulator.client_options()) as client:
        await client.invoices.create(**make_invoice(0))  # the token, and a warm connection
        loop = asyncio.get_running_loop()

        started = loop.time()
        await client.invoices.retrieve(make_invoice(0)["invoice_id"])
        elapsed = loop.time() - started

    assert elapsed >= 0.05


async def test_answers_wait_side_by_side_not_one_after_the_other(make_invoice: MakeInvoice) -> None:
    async with Emulator(latency=0.2) as emulator, AsyncFragment(**emulator.client_options()) as client:
        await client.invoices.create(**make_invoice(0))
        loop = asyncio.get_running_loop()

        started = loop.time()
        await asyncio.gather(*(client.invoices.create(**make_invoice(number)) for number in range(1, 11)))
        elapsed = loop.time() - started

    assert 0.2 <= elapsed < 1.0  # ten answers of 0.2 s each, one after the other, would take 2 s


async def test_the_token_endpoint_answers_without_the_latency() -> None:
    async with Emulator(latency=2.0) as emulator, aiohttp.ClientSession() as session:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with session.post(
            emulator.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": aiohttp.encode_basic_auth(emulator.client_id, emulator.client_secret)},
        ) as answer:
            assert answer.status == 200
        elapsed = loop.time() - started

    assert elapsed < 1.0


def test_the_jitter_is_drawn_from_its_seed_around_the_latency() -> None:
    draws = [Latency(0.05, 0.02, seed=7).draw() for _ in range(3)]
    sequence = Latency(0.05, 0.02, seed=7)
    again = [sequence.draw() for _ in range(200)]

    assert draws == [again[0]] * 3
    assert all(0.03 <= delay <= 0.07 for delay in again)
    assert len(set(again)) > 100
    assert Latency(0.01, 0.05).draw() >= 0.0


@pytest.mark.parametrize(("name", "value"), [("latency", -0.1), ("latency_jitter", float("nan")), ("latency", "1")])
def test_a_latency_that_is_not_a_non_negative_number_is_refused(name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=name):
        Emulator(**{name: value})


async def test_clients_of_one_workspace_share_its_rate_limit_and_other_workspaces_have_their_own(
    make_invoice: MakeInvoice,
) -> None:
    clients = [
        EmulatorClient("importer-1", "secret-1", "ws_shared"),
        EmulatorClient("importer-2", "secret-2", "ws_shared"),
        EmulatorClient("elsewhere", "secret-3", "ws_other"),
    ]
    async with (
        Emulator(clients=clients, rate_limit=RateLimit(rate=0.01, burst=2)) as emulator,
        AsyncFragment(**emulator.client_options("importer-1"), max_retries=0) as first,
        AsyncFragment(**emulator.client_options("importer-2"), max_retries=0) as second,
        AsyncFragment(**emulator.client_options("elsewhere"), max_retries=0) as other,
    ):
        await first.invoices.create(**make_invoice(0))
        await second.invoices.create(**make_invoice(1))
        with pytest.raises(RateLimitError):
            await first.invoices.create(**make_invoice(2))

        await other.invoices.create(**make_invoice(0))
        await other.invoices.create(**make_invoice(1))
