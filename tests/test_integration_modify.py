"""Read-modify-write helpers against the emulator: concurrent writers lose no update."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fragment import AsyncFragment, ConflictError, Fragment, Request
from fragment.testing import Emulator, answer
from fragment.types.invoice_retrieve_response import Data as InvoiceWithBalances
from fragment.types.transaction import Transaction

WRITERS = 12
SAMPLES = Path(__file__).parent / "samples"


def add_one(invoice: InvoiceWithBalances) -> list[dict[str, str]]:
    """Raise the first line item's amount by one: a change that depends on what was read."""
    first = (invoice.line_items or [])[0]
    return [{"op": "update", "id": first.id, "amount": str(int(first.amount) + 1)}]


async def test_concurrent_modifies_of_one_invoice_lose_no_update(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        await client.invoices.create(**seed_invoice)
        start = int(seed_invoice["line_items"][0]["amount"])

        await asyncio.gather(
            *(
                client.invoices.modify(seed_invoice["invoice_id"], add_one, max_attempts=WRITERS + 1)
                for _ in range(WRITERS)
            )
        )
        final = (await client.invoices.retrieve(seed_invoice["invoice_id"])).data

    assert final.line_items is not None and final.line_items[0].amount == str(start + WRITERS)
    assert final.version == 1 + WRITERS


async def test_a_plain_update_with_a_stale_version_is_a_conflict_that_is_not_retried(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        created = (await client.invoices.create(**seed_invoice)).data
        line_item = (created.line_items or [])[0]
        await client.invoices.update(
            created.id, line_items_update=[{"op": "update", "id": line_item.id, "amount": "7"}], version=1
        )

        with pytest.raises(ConflictError, match="stale"):
            await client.invoices.update(
                created.id, line_items_update=[{"op": "update", "id": line_item.id, "amount": "8"}], version=1
            )

    assert fragment_emulator.stats.statuses["/invoices/{id}"].get(409) == 1  # sent once, not retried


async def test_modify_gives_up_after_its_attempts_with_the_last_conflict(
    client: AsyncFragment, answers: list[Any], api_requests: Sequence[Request]
) -> None:
    retrieved = answer(200, (SAMPLES / "invoice_retrieve_response.json").read_bytes())
    conflict = answer(409, b'{"error": {"type": "version_conflict", "message": "stale version"}}')
    answers.extend([retrieved, conflict] * 3)

    with pytest.raises(ConflictError, match="stale"):
        await client.invoices.modify("inv_1", add_one, max_attempts=3)

    assert [request.method for request in api_requests] == ["GET", "POST"] * 3


async def test_concurrent_allocation_changes_lose_no_allocation(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        await client.roles.create(role="customer")
        await client.users.create(external_id=seed_invoice["line_items"][0]["user_id"], role="customer")
        await client.external_accounts.create(external_id="operating", name="Operating account")
        invoice = (await client.invoices.create(**seed_invoice)).data
        transaction = (
            await client.transactions.create(
                account={"external_id": "operating"},
                allocations=[],
                amount=str(WRITERS * 10),
                currency="USD",
                external_id="bank_1",
                posted=datetime(2026, 2, 12, tzinfo=UTC),
            )
        ).data

        def allocate_ten(current: Transaction) -> list[dict[str, Any]]:
            user = {"external_id": seed_invoice["line_items"][0]["user_id"]}
            return [{"op": "add", "amount": "10", "invoice_id": invoice.id, "type": "invoice_payout", "user": user}]

        await asyncio.gather(
            *(
                client.transactions.modify_allocations(transaction.id, allocate_ten, max_attempts=WRITERS + 1)
                for _ in range(WRITERS)
            )
        )
        final = (await client.transactions.retrieve(transaction.id)).data

    assert len(final.allocations) == WRITERS
    assert final.unallocated_amount == "0"
    assert all(allocation.id for allocation in final.allocations)  # kept: the delete op needs it


def test_the_blocking_client_modifies_on_the_same_code(
    fragment_emulator: Emulator, seed_invoice: dict[str, Any]
) -> None:
    with Fragment(**fragment_emulator.client_options()) as client:
        client.invoices.create(**seed_invoice)
        updated = client.invoices.modify(seed_invoice["invoice_id"], add_one)
        unchanged = client.invoices.modify(seed_invoice["invoice_id"], lambda invoice: [])

    assert updated.data.version == 2
    assert unchanged.data.version == 2  # nothing to change: nothing sent
