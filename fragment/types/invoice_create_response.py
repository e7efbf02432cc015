"""What ``invoices.create`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .invoice import Invoice, LineItem

__all__ = ["Data", "DataLineItem", "InvoiceCreateResponse"]

Data = Invoice
"""The created invoice: an alias of :class:`~fragment.types.Invoice`, kept for code written against 0.1."""
DataLineItem = LineItem
"""A line item of the created invoice: an alias of :class:`fragment.types.invoice.LineItem`, kept for 0.1 code."""


@attrs.frozen
class InvoiceCreateResponse(Model):
    """The answer to ``invoices.create``.

    .. versionadded:: 0.1.0
    """

    data: Invoice
    """The created (or, for a repeated create, the stored) invoice."""
