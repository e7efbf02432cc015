"""What ``invoices.update`` sends: line item operations and the version they apply to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from ._model import Model
from ._ops import DeleteById, operation_fields
from .invoice_create_params import _NewLineItem

__all__ = ["InvoiceUpdateParams", "LineItemAddOp", "LineItemDeleteOp", "LineItemUpdateOp", "LineItemsUpdate"]


@attrs.frozen(kw_only=True, field_transformer=operation_fields)
class LineItemAddOp(_NewLineItem):
    """Add a line item (``op: "add"``), with the fields of a :class:`~fragment.types.LineItem` to create.

    .. versionadded:: 0.2.0
    """

    op: Literal["add"] = "add"
    """``"add"``."""


@attrs.frozen(kw_only=True)
class LineItemUpdateOp(Model):
    """Change a line item's amount (``op: "update"``); nothing else of a line item can change.

    .. versionadded:: 0.2.0
    """

    op: Literal["update"] = "update"
    """``"update"``."""
    id: str
    """The line item's ID."""
    amount: str
    """The new amount, as a string of digits (a non-negative int is accepted)."""


@attrs.frozen(kw_only=True)
class LineItemDeleteOp(DeleteById):
    """Remove a line item (``op: "delete"``) by its ID.

    .. versionadded:: 0.2.0
    """


LineItemsUpdate = LineItemAddOp | LineItemUpdateOp | LineItemDeleteOp
"""One line item operation of ``invoices.update``, told apart by its ``op``."""


@attrs.frozen
class InvoiceUpdateParams(Model):
    """The arguments of one ``invoices.update`` call, as a value.

    .. versionadded:: 0.2.0
    """

    line_items_update: Sequence[LineItemsUpdate]
    """The operations to apply, in order (at least one)."""
    version: int
    """The invoice's current version; the update fails with a conflict if it is stale."""
