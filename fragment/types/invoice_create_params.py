"""What ``invoices.create`` sends: an invoice ID and its line items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from ._model import Model
from .currency_code import CurrencyCode

__all__ = ["InvoiceCreateParams", "LineItem", "LineItemType"]

LineItemType = Literal["payin", "payout"]
"""Whether money comes in from the user (``payin``) or goes out to them (``payout``)."""


@attrs.frozen
class _NewLineItem(Model):
    """The fields of a line item to create, which an update's ``add`` operation sends too."""

    amount: str
    """Amount in the currency's smallest unit (e.g. cents), as a string of digits (a non-negative int is accepted)."""
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


@attrs.frozen
class LineItem(_NewLineItem):
    """One line of an invoice to create.

    Construction does not validate; ``invoices.create`` checks every field before sending.

    .. versionadded:: 0.1.0
    """


@attrs.frozen
class InvoiceCreateParams(Model):
    """The arguments of one ``invoices.create`` call, as a value.

    Batches accept these as well as plain dicts of the same keys.

    .. versionadded:: 0.1.0
    """

    invoice_id: str
    """Your system's canonical ID for the invoice; creates are idempotent by it."""
    line_items: Sequence[LineItem]
    """The invoice's line items (at least one)."""
