"""What ``invoices.update`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .invoice import Invoice

__all__ = ["InvoiceUpdateResponse"]


@attrs.frozen
class InvoiceUpdateResponse(Model):
    """The answer to ``invoices.update``.

    .. versionadded:: 0.2.0
    """

    data: Invoice
    """The invoice after the update, with its new ``version``."""
