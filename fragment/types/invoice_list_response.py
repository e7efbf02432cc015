"""What ``invoices.list`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .invoice import Invoice

__all__ = ["InvoiceListResponse"]


@attrs.frozen
class InvoiceListResponse(Model):
    """The answer to ``invoices.list``: every invoice of the workspace (no pagination).

    .. versionadded:: 0.2.0
    """

    data: list[Invoice]
    """The workspace's invoices."""
