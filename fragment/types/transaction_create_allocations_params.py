"""What ``transactions.create_allocations`` sends: allocation operations and the version they apply to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from ._model import Model
from ._ops import DeleteById, operation_fields
from .transaction_create_params import _NewAllocation

__all__ = ["AllocationAddOp", "AllocationDeleteOp", "AllocationUpdate", "TransactionCreateAllocationsParams"]


@attrs.frozen(kw_only=True, field_transformer=operation_fields)
class AllocationAddOp(_NewAllocation):
    """Allocate part of the transaction to an invoice (``op: "add"``).

    Its fields are those of a new :class:`~fragment.types.transaction_create_params.Allocation`.

    .. versionadded:: 0.2.0
    """

    op: Literal["add"] = "add"
    """``"add"``."""


@attrs.frozen(kw_only=True)
class AllocationDeleteOp(DeleteById):
    """Remove an allocation (``op: "delete"``) by its ID, :attr:`fragment.types.transaction.Allocation.id`.

    There is no update: delete and add instead.

    .. versionadded:: 0.2.0
    """


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
