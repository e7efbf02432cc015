"""All 18 operations end to end against the emulator over real sockets, from both clients."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fragment import AsyncFragment, Fragment
from fragment.testing import Emulator, Faults

POSTED = datetime(2026, 2, 12, 9, 30, tzinfo=UTC)


def _allocation(invoice_id: str, user: str, amount: str) -> dict[str, Any]:
    # The seed's line item is a payout: the money paid out against it.
    return {"amount": amount, "invoice_id": invoice_id, "type": "invoice_payout", "user": {"external_id": user}}


async def test_every_operation_from_the_async_client(fragment_emulator: Emulator, seed_invoice: dict[str, Any]) -> None:
    line_item = seed_invoice["line_items"][0]
    async with AsyncFragment(**fragment_emulator.client_options()) as client:
        role = (await client.roles.create(role="customer")).data
        assert [r.role for r in (await client.roles.list()).data] == ["customer"]
        user = (await client.users.create(external_id=line_item["user_id"], role="customer")).data
        assert [u.external_id for u in (await client.users.list()).data] == [user.external_id]
        product = await client.products.create(code="consulting", description="Hours", paid_by_roles=[{"id": role.id}])
        assert (await client.products.retrieve("consulting")).data.id == product.data.id
        assert len((await client.products.list()).data) == 1
        account = (await client.external_accounts.create(external_id="operating", name="Operating")).data
        assert [a.id for a in (await client.external_accounts.list()).data] == [account.id]

        invoice = (await client.invoices.create(**{**seed_invoice, "invoice_id": "inv 1/é"})).data
        assert (await client.invoices.retrieve("inv 1/é")).data.id == "inv 1/é"
        first = (invoice.line_items or [])[0]
        updated = await client.invoices.update(
            "inv 1/é", line_items_update=[{"op": "update", "id": first.id, "amount": "1500"}], version=1
        )
        assert updated.data.version == 2
        assert [i.id for i in (await client.invoices.list()).data] == ["inv 1/é"]
        assert [s.version for s in (await client.invoices.list_history("inv 1/é")).data] == [1, 2]

        created = await client.transactions.create(
            account={"id": account.id},
            allocations=[],
            amount="1500",
            currency="USD",
            external_id="bank_1",
            posted=POSTED,
        )
        txn = created.data
        allocated = await client.transactions.create_allocations(
            txn.id, allocation_updates=[{"op": "add", **_allocation("inv 1/é", user.external_id, "1500")}], version=1
        )
        assert allocated.data.unallocated_amount == "0"
        assert (await client.transactions.retrieve(txn.id)).data.version == 2
        reconciled = await client.transactions.list(account="operating", reconciliation_status="reconciled")
        assert [t.id for t in reconciled.data] == [txn.id]
        balance = (await client.invoices.retrieve("inv 1/é")).data.balances[0]
        assert (balance.currency, balance.payouts.expected, balance.payouts.remaining) == ("USD", "1500", "0")


def test_every_operation_from_the_blocking_client(fragment_emulator: Emulator, seed_invoice: dict[str, Any]) -> None:
    line_item = seed_invoice["line_items"][0]
    with Fragment(**fragment_emulator.client_options()) as client:
        client.roles.create(role="customer")
        client.users.create(external_id=line_item["user_id"], role="customer")
        client.products.create(code="consulting", description="Hours", paid_to_roles=[{"name": "customer"}])
        client.external_accounts.create(external_id="operating", name="Operating")
        client.invoices.create(**seed_invoice)
        invoice_id = seed_invoice["invoice_id"]
        first = (client.invoices.retrieve(invoice_id).data.line_items or [])[0]
        client.invoices.update(invoice_id, line_items_update=[{"op": "delete", "id": first.id}], version=1)
        txn = client.transactions.create(
            account={"external_id": "operating"},
            allocations=[],
            amount="-250",
            currency="EUR",
            external_id="bank_2",
            posted="2026-02-12T09:30:00Z",
        ).data
        client.transactions.create_allocations(
            txn.id,
            allocation_updates=[{"op": "add", **_allocation(invoice_id, line_item["user_id"], "100")}],
            version=1,
        )

        assert [s.version for s in client.invoices.list_history(invoice_id).data] == [1, 2]
        assert client.transactions.retrieve(txn.id).data.unallocated_amount == "-150"
        assert [t.id for t in client.transactions.list(reconciliation_status="unreconciled").data] == [txn.id]
        assert client.products.retrieve("consulting").data.paid_to_roles[0].name == "customer"
        assert (len(client.roles.list().data), len(client.users.list().data)) == (1, 1)
        assert (len(client.products.list().data), len(client.external_accounts.list().data)) == (1, 1)
        assert len(client.invoices.list().data) == 1


async def test_a_batch_of_transactions_through_faults_stores_each_exactly_once(
    fragment_emulator: Emulator, fragment_instant_retries: None
) -> None:
    count = 200
    async with AsyncFragment(**fragment_emulator.client_options(), max_retries=8) as client:
        await client.external_accounts.create(external_id="operating", name="Operating")
        fragment_emulator.faults = Faults(server_error=0.1, reset_before_commit=0.05, reset_after_commit=0.05)
        results = await client.transactions.create_many(
            {
                "account": {"external_id": "operating"},
                "allocations": [],
                "amount": str(100 + number),
                "currency": "USD",
                "external_id": f"bank_{number:04d}",
                "posted": POSTED,
            }
            for number in range(count)
        )
        fragment_emulator.faults = Faults()
        stored = (await client.transactions.list()).data

    assert [result.key for result in results] == [f"bank_{number:04d}" for number in range(count)]
    assert all(result.ok for result in results), [result.error for result in results if not result.ok][:3]
    assert sorted(t.external_id for t in stored) == [f"bank_{number:04d}" for number in range(count)]
