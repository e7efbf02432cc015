"""What ``invoices.update`` sends: line item operations and the version they apply to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from ._model import Model
from .currency_code import CurrencyCode
from .invoice_create_params import LineItemType

__all__ = ["InvoiceUpdateParams", "LineItemAddOp", "LineItemDeleteOp", "LineItemUpdateOp", "LineItemsUpdate"]


@attrs.frozen(kw_only=True)
class LineItemAddOp(Model):
    """Add a line item (``op: "add"``).

    .. versionadded:: 0.2.0
    """

    op: Literal["add"] = "add"
    """``"add"``."""
    amount: str
    """Amount in the currency's smallest unit, as a string of digits (a non-negative int is accepted)."""
    currency_code: CurrencyCode
    """Currency code (ISO 4217 or crypto), one of :data:`~fragment.types.CurrencyCode`."""
    description: str
    """Description of the line item."""
    product_id: str
    """ID of the product or catalog item."""
    type: LineItemType
    """``"payin"`` or ``"payout"``."""
    user_id: str
    """External ID of the user this line item belongs to."""


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
class LineItemDeleteOp(Model):
    """Remove a line item (``op: "delete"``).

    .. versionadded:: 0.2.0
    """

    op: Literal["delete"] = "delete"
    """``"delete"``."""
    id: str
    """The line item's ID."""


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
