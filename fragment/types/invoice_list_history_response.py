"""What ``invoices.list_history`` returns: one snapshot of the invoice per version."""

from __future__ import annotations

from typing import Literal

import attrs

from ._model import Model
from ._ops import operation_fields
from .invoice import Invoice, LineItem

__all__ = [
    "Data",
    "DataDiff",
    "DataDiffAddDiffEntry",
    "DataDiffDeleteDiffEntry",
    "DataDiffUpdateDiffEntry",
    "InvoiceListHistoryResponse",
]


@attrs.frozen(kw_only=True)
class _WholeLineItemEntry(Model):
    """A diff entry that carries a whole line item: one that was added, or one that was removed."""

    item: LineItem
    """The line item that was added, or the one that was removed (as it was before)."""


@attrs.frozen(kw_only=True, field_transformer=operation_fields)
class DataDiffAddDiffEntry(_WholeLineItemEntry):
    """A line item added since the first version.

    .. versionadded:: 0.2.0
    """

    op: Literal["add"] | str = "add"
    """``"add"``."""


@attrs.frozen(kw_only=True)
class DataDiffUpdateDiffEntry(Model):
    """A line item whose amount changed.

    .. versionadded:: 0.2.0
    """

    op: Literal["update"] | str = "update"
    """``"update"``."""
    id: str
    """The line item's ID."""
    old_amount: str
    """The amount before the change."""
    new_amount: str
    """The amount after the change."""


@attrs.frozen(kw_only=True, field_transformer=operation_fields)
class DataDiffDeleteDiffEntry(_WholeLineItemEntry):
    """A line item that was removed.

    .. versionadded:: 0.2.0
    """

    op: Literal["delete"] | str = "delete"
    """``"delete"``."""


DataDiff = DataDiffAddDiffEntry | DataDiffUpdateDiffEntry | DataDiffDeleteDiffEntry
"""One entry of a snapshot's diff, told apart by its ``op`` (or, for an ``op`` this release does not know, its keys)."""


@attrs.frozen
class Data(Invoice):
    """One version of an invoice: every :class:`~fragment.types.Invoice` field, plus its diff.

    .. versionadded:: 0.2.0
    """

    # The API made a snapshot's version optional in 0.6.0: it widens the inherited field.
    version: float | None = None  # type: ignore[assignment]
    """The version this snapshot shows, when the API sends it."""
    diff: list[DataDiff] | None = None
    """The changes since the first version (cumulative), when the API sends them."""


@attrs.frozen
class InvoiceListHistoryResponse(Model):
    """The answer to ``invoices.list_history``.

    .. versionadded:: 0.2.0
    """

    data: list[Data]
    """The snapshots, one per version."""
