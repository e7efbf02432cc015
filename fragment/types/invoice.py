"""An invoice as the API returns it: the shared model of every invoice response.

Responses are read leniently: fields the API adds later are ignored and enum values this
release does not know are kept as plain strings, so a growing API never breaks old clients.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._model import Model
from .currency_code import CurrencyCode

__all__ = ["Invoice", "LineItem"]


@attrs.frozen
class LineItem(Model):
    """A line item of a stored invoice.

    .. versionadded:: 0.2.0
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
class Invoice(Model):
    """An invoice as the API stores it (the answer of create, update and list).

    .. versionadded:: 0.2.0
    """

    id: str
    """Unique identifier of the invoice (the ``invoice_id`` it was created with)."""
    created: datetime
    """When the invoice was created (timezone-aware)."""
    status: Literal["active"] | str
    """The invoice's status, ``"active"`` today."""
    version: float
    """The invoice's current version; pass it back when updating."""
    workspace_id: str
    """The workspace the invoice belongs to."""
    line_items: list[LineItem] | None = None
    """The invoice's line items, when the API includes them."""
    modified: datetime | None = None
    """When the invoice was last modified (timezone-aware), when known."""
