"""The rules of transactions: idempotent syncs, allocations and reconciliation.

Allocations count against the transaction's absolute amount, whatever its sign: a payment
of ``-1000`` (money out) can carry at most 1000 of allocations. ``unallocated_amount`` keeps
the amount's sign: ``sign(amount) * (|amount| - sum(allocations))``, so ``-1000`` with 400
allocated leaves ``-600``. A transaction is reconciled when nothing is left unallocated.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .._errors import FieldError
from ..types import ReconciliationStatus
from ._answers import ApiError
from ._catalog import resolve_account, resolve_user
from ._records import (
    AddAllocation,
    AllocationOp,
    AllocationRecord,
    DeleteAllocation,
    NewAllocation,
    NewTransaction,
    TransactionRecord,
)
from ._rules import check_version, created, or_not_found, position_of, replay_or_conflict, with_paths
from ._workspace import Outcome, Workspace

__all__ = ["create", "get", "listing", "unallocated", "update_allocations"]


def create(workspace: Workspace, new: NewTransaction) -> tuple[Outcome, TransactionRecord]:
    """Store a transaction, unique by ``external_id``; replay it when created identically.

    The account and every allocation's invoice and user must exist (400 naming each one
    that does not), and the allocations must fit in the amount.

    A replay compares with what the transaction was created with, and answers with the
    transaction as it is now (allocations changed since included).
    """
    errors: list[FieldError] = []
    account = resolve_account(workspace, new.account, errors)
    allocations = tuple(
        _allocation(workspace, path, allocation, errors)
        for path, allocation in with_paths("allocations", new.allocations)
    )
    if errors:
        raise ApiError.invalid_reference(errors)
    assert account is not None
    checked = tuple(allocation for allocation in allocations if allocation is not None)
    _check_fits(new.amount, checked, "allocations")
    requested = (
        account.id,
        tuple((a.amount, a.invoice_id, a.type, a.user.id) for a in checked),
        new.amount,
        new.currency,
        new.posted,
    )
    stored = workspace.transactions.get(new.external_id)
    if stored is not None:
        return replay_or_conflict(stored, stored.requested == requested, "transaction", new.external_id)
    now = workspace.now()
    record = TransactionRecord(
        id=workspace.new_id("txn"),
        account=account,
        allocations=checked,
        amount=new.amount,
        created=now,
        currency=new.currency,
        external_id=new.external_id,
        posted=new.posted,
        version=1,
        modified=now,
        requested=requested,
    )
    return created(workspace.transactions, record)


def get(workspace: Workspace, transaction_id: str) -> TransactionRecord:
    """The transaction with this ``id``, or a 404."""
    return or_not_found(workspace.transactions.by_id(transaction_id), "transaction", transaction_id)


def update_allocations(
    workspace: Workspace, transaction_id: str, operations: Sequence[AllocationOp], version: float
) -> TransactionRecord:
    """Add and delete allocations, in order and all or nothing, making the next version.

    Checked in this order: the transaction exists (404), ``version`` is current (409),
    every reference resolves (400), the allocations fit in the amount (400).
    """
    record = get(workspace, transaction_id)
    check_version("transaction", transaction_id, version, record.version)
    allocations = list(record.allocations)
    errors: list[FieldError] = []
    for path, operation in with_paths("allocation_updates", operations):
        if isinstance(operation, AddAllocation):
            added = _allocation(workspace, path, operation.allocation, errors)
            if added is not None:
                allocations.append(added)
        elif isinstance(operation, DeleteAllocation):
            position = position_of(allocations, operation.id)
            if position is None:
                message = f"no allocation {operation.id!r} on transaction {transaction_id!r}"
                errors.append(FieldError(f"{path}.id", message))
            else:
                del allocations[position]
    if errors:
        raise ApiError.invalid_reference(errors)
    _check_fits(record.amount, allocations, "allocation_updates")
    updated = attrs.evolve(record, allocations=tuple(allocations), version=record.version + 1, modified=workspace.now())
    workspace.transactions.put(updated)
    return updated


def listing(
    workspace: Workspace, *, account: str | None = None, status: ReconciliationStatus | None = None
) -> list[TransactionRecord]:
    """The workspace's transactions in creation order, filtered.

    ``account`` is an account's ``id`` or ``external_id``; an unknown one matches nothing.
    """
    records = list(workspace.transactions)
    if account is not None:
        found = workspace.accounts.by_id(account) or workspace.accounts.get(account)
        records = [r for r in records if found is not None and r.account.id == found.id]
    if status is not None:
        reconciled = status == "reconciled"
        records = [r for r in records if (unallocated(r) == 0) == reconciled]
    return records


def unallocated(record: TransactionRecord) -> int:
    """The amount not yet allocated, with the sign of the transaction's amount."""
    amount = int(record.amount)
    left = abs(amount) - sum(int(a.amount) for a in record.allocations)
    return -left if amount < 0 else left


def _check_fits(amount: str, allocations: Sequence[AllocationRecord], path: str) -> None:
    allocated = sum(int(a.amount) for a in allocations)
    if allocated > abs(int(amount)):
        raise ApiError.invalid_request(
            path, f"the allocations add up to {allocated}, more than the transaction's amount {amount}"
        )


def _allocation(
    workspace: Workspace, path: str, new: NewAllocation, errors: list[FieldError]
) -> AllocationRecord | None:
    found = len(errors)
    if workspace.invoices.get(new.invoice_id) is None:
        errors.append(FieldError(f"{path}.invoice_id", f"no invoice {new.invoice_id!r} in this workspace"))
    user = resolve_user(workspace, f"{path}.user", new.user, errors)
    if len(errors) > found or user is None:
        return None
    return AllocationRecord(workspace.new_id("alloc"), new.amount, new.invoice_id, new.type, user)
