"""Ordinary use of the public API, checked by mypy (``mypy tests/typing``) and never run.

It shows what a type checker sees: the blocking client's methods return the models, the
async client's return coroutines of them, and wrong arguments are rejected. Each
``# type: ignore[...]`` is an expected error: with ``warn_unused_ignores``, mypy fails if
one of them stops being an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine, Generator
from typing import Any, assert_type

from fragment import AsyncFragment, BatchResult, Fragment
from fragment.types import InvoiceCreateResponse, LineItem

LINE_ITEMS: list[dict[str, Any]] = [
    {
        "amount": "1000",
        "currency_code": "USD",
        "description": "Professional services for January 2026",
        "product_id": "prod_1234567890",
        "type": "payout",
        "user_id": "user_ext_456",
    }
]
INVOICES = [{"invoice_id": "invoice_2024_001", "line_items": LINE_ITEMS}]


def blocking_client(line_item: LineItem) -> None:
    client = Fragment(client_id="id", client_secret="secret", max_retries=3, timeout=10.0)

    assert_type(client.invoices.create(invoice_id="invoice_2024_001", line_items=LINE_ITEMS), InvoiceCreateResponse)
    assert_type(client.invoices.create(invoice_id="i", line_items=[line_item], timeout=5.0), InvoiceCreateResponse)
    assert_type(client.invoices.create_many(INVOICES, concurrency=8), list[BatchResult])
    assert_type(client.invoices.create_many_iter(INVOICES), Generator[BatchResult, None, None])
    assert_type(client.with_options(max_retries=0), Fragment)
    with contextlib.closing(client.invoices.create_many_iter(INVOICES)) as results:
        for result in results:
            assert_type(result, BatchResult)
    with Fragment() as managed:
        assert_type(managed, Fragment)
    client.close()

    # Wrong arguments are errors, exactly as on the async client.
    client.invoices.create(invoice_id="i", line_items=LINE_ITEMS, currency="USD")  # type: ignore[call-arg]
    client.invoices.create(invoice_id=1, line_items=LINE_ITEMS)  # type: ignore[arg-type]
    client.invoices.create("invoice_2024_001", LINE_ITEMS)  # type: ignore[call-arg]
    client.invoices.create(line_items=LINE_ITEMS)  # type: ignore[call-arg]
    client.invoices.create_many(INVOICES, concurrency="8")  # type: ignore[arg-type]
    Fragment(base_urll="https://api.example.com")  # type: ignore[call-arg]
    Fragment(max_retries="2")  # type: ignore[arg-type]
    client.with_options(timeout="fast")  # type: ignore[arg-type]


async def async_client() -> None:
    client = AsyncFragment(client_id="id", client_secret="secret")

    pending = assert_type(
        client.invoices.create(invoice_id="invoice_2024_001", line_items=LINE_ITEMS),
        Coroutine[Any, Any, InvoiceCreateResponse],
    )
    assert_type(await pending, InvoiceCreateResponse)
    assert_type(await client.invoices.create_many(INVOICES), list[BatchResult])
    await client.invoices.create(invoice_id="i", line_items=LINE_ITEMS, currency="USD")  # type: ignore[call-arg]
    await client.close()
