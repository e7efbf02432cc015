"""What ``invoices.create`` returns.

Responses are read leniently: fields the API adds later are ignored and enum values this
release does not know are kept as plain strings, so a growing API never breaks old clients.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._model import Model
from .currency_code import CurrencyCode

__all__ = ["Data", "DataLineItem", "InvoiceCreateResponse"]


@attrs.frozen
class DataLineItem(Model):
    """A line item of a created invoice.

    .. versionadded:: 0.1.0
    """

    id: str
    """Unique identifier of the line item, assigned by the API."""
    amount: str
    """Amount in the currency's smallest unit, as a string (a bigint)."""
    currency_code: CurrencyCode | str
    """Currency code; a code newer than this release is kept as the server sent it."""
    description: str
    """Description of the line item."""
    product_id: str
    """ID of the product or catalog item."""
    type: Literal["payin", "payout"] | str
    """The line item's type, usually ``"payin"`` or ``"payout"``."""
    user_id: str
    """External ID of the user this line item belongs to."""


@attrs.frozen
class Data(Model):
    """An invoice as the API stores it.

    .. versionadded:: 0.1.0
    """

    id: str
    """Unique identifier of the invoice (the ``invoice_id`` you sent)."""
    created: datetime
    """When the invoice was created (timezone-aware)."""
    status: Literal["active"] | str
    """The invoice's status, ``"active"`` today."""
    version: float
    """The invoice's current version; pass it back when updating."""
    workspace_id: str
    """The workspace the invoice belongs to."""
    line_items: list[DataLineItem] | None = None
    """The invoice's line items, when the API includes them."""
    modified: datetime | None = None
    """When the invoice was last modified (timezone-aware), when known."""


@attrs.frozen
class InvoiceCreateResponse(Model):
    """The answer to ``invoices.create``.

    .. versionadded:: 0.1.0
    """

    data: Data
    """The created (or, for a repeated create, the stored) invoice."""
