"""Batches against the emulator when inputs or the API misbehave: nothing is lost, a batch-wide
failure stops the batch once, and a bad item never takes a worker down with it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from fragment import APIConnectionError, AsyncFragment, AuthenticationError, ValidationError
from fragment.testing import Emulator

BATCH = 300


def _line_items_that_fail_midway(line_item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A lazy source of line items that breaks like a dropped database cursor."""
    yield line_item
    raise ConnectionResetError("cursor lost")


def _hostile_items(seed_line_item: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"invoice_id": "huge", "line_items": [{**seed_line_item, "amount": 10**5000}]},
        {"invoice_id": "cursor", "line_items": _line_items_that_fail_midway(seed_line_item)},
        {"invoice_id": "surrogate", "line_items": [{**seed_line_item, "description": "bad \ud800 text"}]},
        {"invoice_id": "fine", "line_items": [seed_line_item]},
    ]


async def test_items_whose_check_breaks_each_yield_one_result_and_are_not_sent(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        results = await client.invoices.create_many(_hostile_items(seed_line_item), concurrency=4)

    assert [result.key for result in results] == ["huge", "cursor", "surrogate", "fine"]
    assert [type(result.error) for result in results] == [ValidationError, ValidationError, ValidationError, type(None)]
    assert [invoice["id"] for invoice in fragment_emulator.invoices()] == ["fine"]


async def test_the_streaming_batch_yields_one_result_per_hostile_item_too(
    fragment_emulator: Emulator, seed_line_item: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        results = [result async for result in client.invoices.create_many_iter(_hostile_items(seed_line_item))]

    assert sorted(result.index for result in results) == [0, 1, 2, 3]


async def test_a_wrong_secret_stops_the_batch_once_without_trying_every_item(
    fragment_emulator: Emulator, make_invoice: Any
) -> None:
    options = {**fragment_emulator.client_options(), "client_secret": "wrong"}
    seen: list[Any] = []
    async with AsyncFragment(**options) as client:
        with pytest.raises(AuthenticationError):
            await client.invoices.create_many((make_invoice(n) for n in range(BATCH)), on_result=seen.append)

    assert len(seen) <= 16  # at most the items already in flight, not all 300
    assert fragment_emulator.stats.requests.get("/oauth2/token", 0) <= 2  # waiters share the refusal
    assert fragment_emulator.invoices() == []


def _port_nobody_listens_on() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_unreachable_host_stops_the_batch_once(make_invoice: Any, fragment_instant_retries: None) -> None:
    port = _port_nobody_listens_on()
    options = {
        "client_id": "id",
        "client_secret": "secret",
        "base_url": f"http://127.0.0.1:{port}",
        "token_url": f"http://127.0.0.1:{port}/oauth2/token",
    }
    seen: list[Any] = []
    async with AsyncFragment(**options) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.invoices.create_many((make_invoice(n) for n in range(BATCH)), on_result=seen.append)

    assert caught.value.connect_failed
    assert len(seen) <= 16
