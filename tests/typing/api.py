"""Ordinary use of the public API, checked by mypy (``mypy tests/typing``) and never run.

It shows what a type checker sees: the blocking client's methods return the models, the
async client's return coroutines of them, for every one of the 18 operations and the helpers
on top; and wrong arguments are rejected. Each ``# type: ignore[...]`` is an expected error:
with ``warn_unused_ignores``, mypy fails if one of them stops being an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Coroutine, Generator
from datetime import UTC, datetime
from typing import Any, assert_type

from fragment import AsyncFragment, BatchResult, Fragment, RawResponse
from fragment.types import (
    ExternalAccountCreateResponse,
    ExternalAccountListResponse,
    InvoiceCreateResponse,
    InvoiceListHistoryResponse,
    InvoiceListResponse,
    InvoiceRetrieveResponse,
    InvoiceUpdateResponse,
    LineItem,
    ProductCreateResponse,
    ProductListResponse,
    ProductRetrieveResponse,
    RoleCreateResponse,
    RoleListResponse,
    TransactionCreateAllocationsResponse,
    TransactionCreateResponse,
    TransactionListResponse,
    TransactionRetrieveResponse,
    UserCreateResponse,
    UserListResponse,
)
from fragment.types.invoice_retrieve_response import Data as InvoiceWithBalances
from fragment.types.transaction import Transaction

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
POSTED = datetime(2026, 2, 12, tzinfo=UTC)
ALLOCATION = {"amount": "1000", "invoice_id": "inv_1", "type": "invoice_payin", "user": {"id": "user_1"}}


def raise_line_items(invoice: InvoiceWithBalances) -> list[dict[str, str]]:
    return [{"op": "update", "id": item.id, "amount": "2000"} for item in invoice.line_items or []]


def drop_allocations(transaction: Transaction) -> list[dict[str, str]]:
    return [{"op": "delete", "id": allocation.id} for allocation in transaction.allocations if allocation.id]


def blocking_client(line_item: LineItem) -> None:
    client = Fragment(client_id="id", client_secret="secret", max_retries=3, timeout=10.0)

    assert_type(client.invoices.create(invoice_id="invoice_2024_001", line_items=LINE_ITEMS), InvoiceCreateResponse)
    assert_type(client.invoices.create(invoice_id="i", line_items=[line_item], timeout=5.0), InvoiceCreateResponse)
    assert_type(client.invoices.retrieve("inv_1"), InvoiceRetrieveResponse)
    assert_type(client.invoices.update("inv_1", line_items_update=[], version=1), InvoiceUpdateResponse)
    assert_type(client.invoices.list(), InvoiceListResponse)
    assert_type(client.invoices.list_history("inv_1"), InvoiceListHistoryResponse)
    assert_type(client.invoices.modify("inv_1", raise_line_items), InvoiceUpdateResponse)
    assert_type(
        client.products.create(code="c", description="d", paid_by_roles=[{"name": "buyer"}]), ProductCreateResponse
    )
    assert_type(client.products.retrieve("c"), ProductRetrieveResponse)
    assert_type(client.products.list(), ProductListResponse)
    assert_type(client.roles.create(role="buyer"), RoleCreateResponse)
    assert_type(client.roles.list(), RoleListResponse)
    assert_type(client.users.create(external_id="u", role="buyer"), UserCreateResponse)
    assert_type(client.users.list(), UserListResponse)
    assert_type(client.external_accounts.create(external_id="a", name="Operating"), ExternalAccountCreateResponse)
    assert_type(client.external_accounts.list(), ExternalAccountListResponse)
    created = client.transactions.create(
        account={"external_id": "a"}, allocations=[], amount="-1000", currency="USD", external_id="t", posted=POSTED
    )
    assert_type(created, TransactionCreateResponse)
    assert_type(client.transactions.retrieve("txn_1"), TransactionRetrieveResponse)
    assert_type(client.transactions.list(reconciliation_status="reconciled"), TransactionListResponse)
    allocated = client.transactions.create_allocations("txn_1", allocation_updates=[ALLOCATION], version=1)
    assert_type(allocated, TransactionCreateAllocationsResponse)
    assert_type(client.transactions.modify_allocations("txn_1", drop_allocations), TransactionCreateAllocationsResponse)

    assert_type(client.invoices.create_many(INVOICES, concurrency=8), list[BatchResult[InvoiceCreateResponse]])
    assert_type(client.invoices.create_many_iter(INVOICES), Generator[BatchResult[InvoiceCreateResponse], None, None])
    assert_type(client.transactions.create_many([]), list[BatchResult[TransactionCreateResponse]])
    assert_type(client.with_options(max_retries=0), Fragment)
    with contextlib.closing(client.invoices.create_many_iter(INVOICES)) as results:
        for result in results:
            assert_type(result, BatchResult[InvoiceCreateResponse])
    with Fragment() as managed:
        assert_type(managed, Fragment)
    client.close()

    # Wrong arguments are errors, exactly as on the async client.
    client.invoices.create(invoice_id="i", line_items=LINE_ITEMS, currency="USD")  # type: ignore[call-arg]
    client.invoices.create(invoice_id=1, line_items=LINE_ITEMS)  # type: ignore[arg-type]
    client.invoices.create("invoice_2024_001", LINE_ITEMS)  # type: ignore[call-arg]
    client.invoices.create(line_items=LINE_ITEMS)  # type: ignore[call-arg]
    client.invoices.retrieve(id="inv_1")  # type: ignore[call-arg]
    client.invoices.update("inv_1", line_items_update=[])  # type: ignore[call-arg]
    client.transactions.list(reconciliation_status="bogus")  # type: ignore[arg-type]
    client.transactions.create_allocations("t", allocation_updates=[], version="1")  # type: ignore[arg-type]
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
    assert_type(await client.invoices.retrieve("inv_1"), InvoiceRetrieveResponse)
    assert_type(await client.invoices.update("inv_1", line_items_update=[], version=1), InvoiceUpdateResponse)
    assert_type(await client.invoices.list(), InvoiceListResponse)
    assert_type(await client.invoices.list_history("inv_1"), InvoiceListHistoryResponse)
    assert_type(await client.invoices.modify("inv_1", raise_line_items), InvoiceUpdateResponse)
    assert_type(
        await client.products.create(code="c", description="d", paid_to_roles=[{"id": "r"}]), ProductCreateResponse
    )
    assert_type(await client.products.retrieve("c"), ProductRetrieveResponse)
    assert_type(await client.products.list(), ProductListResponse)
    assert_type(await client.roles.create(role="buyer"), RoleCreateResponse)
    assert_type(await client.roles.list(), RoleListResponse)
    assert_type(await client.users.create(external_id="u", role="buyer"), UserCreateResponse)
    assert_type(await client.users.list(), UserListResponse)
    assert_type(await client.external_accounts.create(external_id="a", name="n"), ExternalAccountCreateResponse)
    assert_type(await client.external_accounts.list(), ExternalAccountListResponse)
    created = await client.transactions.create(
        account={"id": "a"}, allocations=[ALLOCATION], amount="1000", currency="EUR", external_id="t", posted=POSTED
    )
    assert_type(created, TransactionCreateResponse)
    assert_type(await client.transactions.retrieve("txn_1"), TransactionRetrieveResponse)
    assert_type(await client.transactions.list(account="a"), TransactionListResponse)
    allocated = await client.transactions.create_allocations("txn_1", allocation_updates=[ALLOCATION], version=1)
    assert_type(allocated, TransactionCreateAllocationsResponse)
    assert_type(
        await client.transactions.modify_allocations("txn_1", drop_allocations, max_attempts=3),
        TransactionCreateAllocationsResponse,
    )
    assert_type(await client.invoices.create_many(INVOICES), list[BatchResult[InvoiceCreateResponse]])
    assert_type(client.users.create_many_iter([]), AsyncIterator[BatchResult[UserCreateResponse]])
    await client.invoices.create(invoice_id="i", line_items=LINE_ITEMS, currency="USD")  # type: ignore[call-arg]
    await client.invoices.list_history()  # type: ignore[call-arg]
    await client.close()


async def raw_responses_hooks_and_the_escape_hatch() -> None:
    async with AsyncFragment(on_retry=lambda event: print(event.delay)) as client:
        raw = await client.invoices.with_raw_response.create(invoice_id="i", line_items=LINE_ITEMS)
        assert_type(raw, RawResponse[InvoiceCreateResponse])
        assert_type(raw.parse(), InvoiceCreateResponse)
        assert_type(await client.with_raw_response.roles.list(), RawResponse[RoleListResponse])
        assert_type(await client.request("GET", "/roles", cast_to=RoleListResponse), RoleListResponse)
        no_raw = client.invoices.with_raw_response.modify  # type: ignore[arg-type]
        print(no_raw)
    with Fragment() as blocking:
        assert_type(blocking.transactions.with_raw_response.list(), RawResponse[TransactionListResponse])
        assert_type(blocking.with_raw_response.users.list(), RawResponse[UserListResponse])
