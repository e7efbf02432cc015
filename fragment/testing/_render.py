"""Stored records as the API answers them: the SDK's response models, put on the wire by its converter.

Building the SDK's own models and letting :func:`fragment._wire.to_wire` name the keys means
the emulator and the client cannot disagree about wire names (``workspaceId`` but
``product_id``): there is one table of them, in :mod:`fragment._wire`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .._wire import to_wire
from ..types import ExternalAccount, Invoice, PaidByRole, PaidToRole, Product, Role, Transaction, User
from ..types import invoice_list_history_response as history_models
from ..types import invoice_retrieve_response as retrieve_models
from ..types.invoice import LineItem
from ..types.transaction import Account, Allocation, AllocationUser
from ._balances import Amounts, Balance, InvoiceBalances
from ._invoices import Added, Changed, DiffEntry, cumulative_diff
from ._records import (
    AccountRecord,
    InvoiceRecord,
    InvoiceVersion,
    LineItemRecord,
    ProductRecord,
    RoleRecord,
    TransactionRecord,
    UserRecord,
)
from ._store import Store
from ._transactions import unallocated
from ._workspace import Workspace

__all__ = [
    "KINDS",
    "account",
    "invoice",
    "invoice_history",
    "invoice_with_balances",
    "product",
    "role",
    "stored",
    "transaction",
    "user",
]

Wire = dict[str, Any]


def invoice(record: InvoiceRecord) -> Wire:
    """An invoice at its current version (the answer of create, update, list)."""
    return to_wire(Invoice(**_invoice_fields(record, record.current)))


def invoice_with_balances(record: InvoiceRecord, balances: InvoiceBalances) -> Wire:
    """An invoice with its balances and users (the answer of retrieve)."""
    data = retrieve_models.Data(
        **_invoice_fields(record, record.current),
        balances=[_balance(balance) for balance in balances.balances],
        users=[
            retrieve_models.InvoiceUser(user.id, [_balance(balance) for balance in user.balances])
            for user in balances.users
        ],
    )
    return to_wire(data)


def invoice_history(record: InvoiceRecord) -> list[Wire]:
    """One snapshot per version, oldest first, each with its cumulative diff since version 1."""
    first = record.versions[0]
    return [
        to_wire(
            history_models.Data(
                **_invoice_fields(record, version),
                diff=[_diff_entry(entry) for entry in cumulative_diff(first, version)],
            )
        )
        for version in record.versions
    ]


def product(record: ProductRecord) -> Wire:
    """A product."""
    return to_wire(
        Product(
            id=record.id,
            code=record.code,
            created=record.created,
            description=record.description,
            paid_by_roles=[PaidByRole(role.id, role.name) for role in record.paid_by_roles],
            paid_to_roles=[PaidToRole(role.id, role.name) for role in record.paid_to_roles],
            update_version=record.update_version,
            workspace_id=record.workspace_id,
        )
    )


def role(record: RoleRecord) -> Wire:
    """A role."""
    return to_wire(Role(id=record.id, role=record.name))


def user(record: UserRecord) -> Wire:
    """A user."""
    return to_wire(User(id=record.id, external_id=record.external_id, role=record.role))


def account(record: AccountRecord) -> Wire:
    """An external account."""
    return to_wire(ExternalAccount(id=record.id, external_id=record.external_id, name=record.name))


def transaction(record: TransactionRecord) -> Wire:
    """A transaction; each allocation carries its ``id`` and its user's ``id`` and ``external_id``."""
    allocations = [
        Allocation(
            amount=allocation.amount,
            invoice_id=allocation.invoice_id,
            type=allocation.type,
            user=AllocationUser(id=allocation.user.id, external_id=allocation.user.external_id),
            id=allocation.id,
        )
        for allocation in record.allocations
    ]
    return to_wire(
        Transaction(
            id=record.id,
            account=Account(id=record.account.id, external_id=record.account.external_id),
            allocations=allocations,
            amount=record.amount,
            created=record.created,
            currency=record.currency,
            external_id=record.external_id,
            posted=record.posted,
            unallocated_amount=str(unallocated(record)),
            version=record.version,
            modified=record.modified,
        )
    )


def _invoice_fields(record: InvoiceRecord, version: InvoiceVersion) -> dict[str, Any]:
    return {
        "id": record.id,
        "created": record.created,
        "status": "active",
        "version": version.number,
        "workspace_id": record.workspace_id,
        "line_items": [_line_item(item) for item in version.line_items],
        "modified": version.modified,
    }


def _line_item(item: LineItemRecord) -> LineItem:
    return LineItem(**attrs.asdict(item))


def _amounts(amounts: Amounts) -> retrieve_models.Amounts:
    return retrieve_models.Amounts(
        actual=str(amounts.actual), expected=str(amounts.expected), remaining=str(amounts.remaining)
    )


def _balance(balance: Balance) -> retrieve_models.Balance:
    return retrieve_models.Balance(
        currency=balance.currency,
        net=_amounts(balance.net),
        payins=_amounts(balance.payins),
        payouts=_amounts(balance.payouts),
    )


def _diff_entry(entry: DiffEntry) -> history_models.DataDiff:
    if isinstance(entry, Added):
        return history_models.DataDiffAddDiffEntry(item=_line_item(entry.item))
    if isinstance(entry, Changed):
        return history_models.DataDiffUpdateDiffEntry(
            id=entry.id, old_amount=entry.old_amount, new_amount=entry.new_amount
        )
    return history_models.DataDiffDeleteDiffEntry(item=_line_item(entry.item))


# --- what the emulator holds, for tests ----------------------------------------------------


@attrs.frozen
class _Kind:
    table: Callable[[Workspace], Any]
    render: Callable[[Any], Wire]


KINDS: Mapping[str, _Kind] = {
    "invoices": _Kind(lambda w: w.invoices, invoice),
    "products": _Kind(lambda w: w.products, product),
    "roles": _Kind(lambda w: w.roles, role),
    "users": _Kind(lambda w: w.users, user),
    "external_accounts": _Kind(lambda w: w.accounts, account),
    "transactions": _Kind(lambda w: w.transactions, transaction),
}
"""Each kind of stored resource: where its records are and how the API shows them."""


def stored(store: Store, kind: str, workspace_id: str | None = None) -> list[Wire]:
    """The stored resources of one kind, as the API shows them, in creation order."""
    chosen = KINDS[kind]
    return [chosen.render(record) for record in store.records(chosen.table, workspace_id)]
