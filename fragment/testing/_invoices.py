"""The rules of invoices: idempotent creates, versioned updates and their cumulative history."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from .._errors import FieldError
from ._answers import ApiError
from ._records import (
    AddLineItem,
    DeleteLineItem,
    InvoiceRecord,
    InvoiceVersion,
    LineItemOp,
    LineItemRecord,
    NewLineItem,
    UpdateLineItem,
)
from ._rules import check_version, created, or_not_found, position_of, replay_or_conflict, with_paths
from ._workspace import Outcome, Workspace

__all__ = ["Added", "Changed", "DiffEntry", "Removed", "create", "cumulative_diff", "get", "update"]


def create(workspace: Workspace, invoice_id: str, line_items: Sequence[NewLineItem]) -> tuple[Outcome, InvoiceRecord]:
    """Store a new invoice at version 1, or replay the stored one if it was created identically.

    A different invoice under a taken ``invoice_id`` is a 409 that retrying cannot fix.
    """
    requested = tuple(line_items)
    stored = workspace.invoices.get(invoice_id)
    if stored is not None:
        return replay_or_conflict(stored, stored.requested == requested, "invoice", invoice_id)
    now = workspace.now()
    items = tuple(LineItemRecord.of(workspace.new_id("li"), item) for item in requested)
    record = InvoiceRecord(invoice_id, workspace.id, now, requested, (InvoiceVersion(1, items, now),))
    return created(workspace.invoices, record)


def get(workspace: Workspace, invoice_id: str) -> InvoiceRecord:
    """The invoice, or a 404."""
    return or_not_found(workspace.invoices.get(invoice_id), "invoice", invoice_id)


def update(workspace: Workspace, invoice_id: str, operations: Sequence[LineItemOp], version: float) -> InvoiceRecord:
    """Apply line item operations, in order and all or nothing, making the next version.

    Checked in this order: the invoice exists (404), ``version`` is its current version
    (409, a stale write), every ``id`` names one of its line items at that point of the
    sequence (400 naming each bad one).
    """
    record = get(workspace, invoice_id)
    current = record.current
    check_version("invoice", invoice_id, version, current.number)
    items = list(current.line_items)
    errors: list[FieldError] = []
    for path, operation in with_paths("line_items_update", operations):
        if isinstance(operation, AddLineItem):
            items.append(LineItemRecord.of(workspace.new_id("li"), operation.item))
            continue
        position = position_of(items, operation.id)
        if position is None:
            errors.append(FieldError(f"{path}.id", f"no line item {operation.id!r} on invoice {invoice_id!r}"))
        elif isinstance(operation, UpdateLineItem):
            items[position] = attrs.evolve(items[position], amount=operation.amount)
        elif isinstance(operation, DeleteLineItem):
            del items[position]
    if errors:
        raise ApiError.invalid_reference(errors)
    following = InvoiceVersion(current.number + 1, tuple(items), workspace.now())
    updated = attrs.evolve(record, versions=(*record.versions, following))
    workspace.invoices.put(updated)
    return updated


@attrs.frozen
class Added:
    """A line item present now and absent from version 1."""

    item: LineItemRecord


@attrs.frozen
class Changed:
    """A line item of version 1 whose amount differs now."""

    id: str
    old_amount: str
    new_amount: str


@attrs.frozen
class Removed:
    """A line item of version 1 that is gone now (as it was in version 1)."""

    item: LineItemRecord


DiffEntry = Added | Changed | Removed


def cumulative_diff(first: InvoiceVersion, later: InvoiceVersion) -> list[DiffEntry]:
    """What changed between version 1 and a later version, as the net effect per line item.

    Updates and deletes come first, in version 1's order, then additions in the later
    version's order. A line item added and deleted in between does not appear; one whose
    amount went back to its first value does not either.
    """
    now = {item.id: item for item in later.line_items}
    before = {item.id for item in first.line_items}
    entries: list[DiffEntry] = []
    for item in first.line_items:
        current = now.get(item.id)
        if current is None:
            entries.append(Removed(item))
        elif current.amount != item.amount:
            entries.append(Changed(item.id, item.amount, current.amount))
    entries.extend(Added(item) for item in later.line_items if item.id not in before)
    return entries
