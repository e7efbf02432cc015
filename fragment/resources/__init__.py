"""One module per API resource; each operation is written once, as a coroutine."""

from .invoices import AsyncInvoices

__all__ = ["AsyncInvoices"]
