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
from ._records import (
    AccountRecord,
    AccountRef,
    AddAllocation,
    AllocationOp,
    AllocationRecord,
    DeleteAllocation,
    NewAllocation,
    NewTransaction,
    TransactionRecord,
    UserRecord,
    UserRef,
)
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
    account = _resolve_account(workspace, new.account, errors)
    allocations = tuple(
        _allocation(workspace, f"allocations[{index}]", allocation, errors)
        for index, allocation in enumerate(new.allocations)
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
        if stored.requested == requested:
            return Outcome.REPLAYED, stored
        raise ApiError.conflict(f"transaction {new.external_id!r} already exists with different content")
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
    workspace.transactions.put(record)
    return Outcome.CREATED, record


def get(workspace: Workspace, transaction_id: str) -> TransactionRecord:
    """The transaction with this ``id``, or a 404."""
    record = workspace.transactions.by_id(transaction_id)
    if record is None:
        raise ApiError.not_found("transaction", transaction_id)
    return record


def update_allocations(
    workspace: Workspace, transaction_id: str, operations: Sequence[AllocationOp], version: float
) -> TransactionRecord:
    """Add and delete allocations, in order and all or nothing, making the next version.

    Checked in this order: the transaction exists (404), ``version`` is current (409),
    every reference resolves (400), the allocations fit in the amount (400).
    """
    record = get(workspace, transaction_id)
    if version != record.version:
        raise ApiError.stale_version("transaction", transaction_id, version, record.version)
    allocations = list(record.allocations)
    errors: list[FieldError] = []
    for index, operation in enumerate(operations):
        path = f"allocation_updates[{index}]"
        if isinstance(operation, AddAllocation):
            added = _allocation(workspace, path, operation.allocation, errors)
            if added is not None:
                allocations.append(added)
        elif isinstance(operation, DeleteAllocation):
            position = next((n for n, a in enumerate(allocations) if a.id == operation.id), None)
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


def _resolve_account(workspace: Workspace, ref: AccountRef, errors: list[FieldError]) -> AccountRecord | None:
    by_id = workspace.accounts.by_id(ref.id) if ref.id is not None else None
    by_external_id = workspace.accounts.get(ref.external_id) if ref.external_id is not None else None
    if ref.id is not None and by_id is None:
        errors.append(FieldError("account.id", f"no external account with id {ref.id!r} in this workspace"))
    elif ref.external_id is not None and by_external_id is None:
        message = f"no external account with external_id {ref.external_id!r} in this workspace"
        errors.append(FieldError("account.external_id", message))
    elif by_id is not None and by_external_id is not None and by_id != by_external_id:
        errors.append(FieldError("account", f"id {ref.id!r} and external_id {ref.external_id!r} are two accounts"))
    elif (account := by_id or by_external_id) is not None:
        return account
    else:
        errors.append(FieldError("account", "an account reference needs an id or an external_id"))
    return None


def _allocation(
    workspace: Workspace, path: str, new: NewAllocation, errors: list[FieldError]
) -> AllocationRecord | None:
    found = len(errors)
    if workspace.invoices.get(new.invoice_id) is None:
        errors.append(FieldError(f"{path}.invoice_id", f"no invoice {new.invoice_id!r} in this workspace"))
    user = _resolve_user(workspace, f"{path}.user", new.user, errors)
    if len(errors) > found or user is None:
        return None
    return AllocationRecord(workspace.new_id("alloc"), new.amount, new.invoice_id, new.type, user)


def _resolve_user(workspace: Workspace, path: str, ref: UserRef, errors: list[FieldError]) -> UserRecord | None:
    by_id = workspace.users.by_id(ref.id) if ref.id is not None else None
    by_external_id = workspace.users.get(ref.external_id) if ref.external_id is not None else None
    if ref.id is not None and by_id is None:
        errors.append(FieldError(f"{path}.id", f"no user with id {ref.id!r} in this workspace"))
    elif ref.external_id is not None and by_external_id is None:
        message = f"no user with external_id {ref.external_id!r} in this workspace"
        errors.append(FieldError(f"{path}.external_id", message))
    elif by_id is not None and by_external_id is not None and by_id != by_external_id:
        errors.append(FieldError(path, f"id {ref.id!r} and external_id {ref.external_id!r} are two users"))
    elif (user := by_id or by_external_id) is not None:
        return user
    else:
        errors.append(FieldError(path, "a user reference needs an id or an external_id"))
    return None
