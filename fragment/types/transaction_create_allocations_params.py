"""What ``transactions.create_allocations`` sends: allocation operations and the version they apply to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from ._model import Model
from .transaction import AllocationType, AllocationUser

__all__ = ["AllocationAddOp", "AllocationDeleteOp", "AllocationUpdate", "TransactionCreateAllocationsParams"]


@attrs.frozen(kw_only=True)
class AllocationAddOp(Model):
    """Allocate part of the transaction to an invoice (``op: "add"``).

    .. versionadded:: 0.2.0
    """

    op: Literal["add"] = "add"
    """``"add"``."""
    amount: str
    """Amount in the currency's smallest unit, as a string of digits (a non-negative int is accepted)."""
    invoice_id: str
    """The invoice to allocate against."""
    type: AllocationType
    """``"invoice_payin"`` or ``"invoice_payout"``."""
    user: AllocationUser
    """The user the allocation is for: by ``id`` or by ``external_id``, exactly one."""


@attrs.frozen(kw_only=True)
class AllocationDeleteOp(Model):
    """Remove an allocation (``op: "delete"``); there is no update: delete and add instead.

    .. versionadded:: 0.2.0
    """

    op: Literal["delete"] = "delete"
    """``"delete"``."""
    id: str
    """The allocation's ID (:attr:`fragment.types.transaction.Allocation.id`)."""


AllocationUpdate = AllocationAddOp | AllocationDeleteOp
"""One allocation operation of ``transactions.create_allocations``, told apart by its ``op``."""


@attrs.frozen
class TransactionCreateAllocationsParams(Model):
    """The arguments of one ``transactions.create_allocations`` call, as a value.

    .. versionadded:: 0.2.0
    """

    allocation_updates: Sequence[AllocationUpdate]
    """The operations to apply, in order (at least one)."""
    version: int
    """The transaction's current version; the change fails with a conflict if it is stale."""
