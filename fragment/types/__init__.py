"""The models of the Fragment API: frozen attrs classes with no I/O."""

from .currency_code import CURRENCY_CODES, CurrencyCode
from .invoice_create_params import InvoiceCreateParams, LineItem, LineItemType
from .invoice_create_response import Data, DataLineItem, InvoiceCreateResponse

__all__ = [
    "CURRENCY_CODES",
    "CurrencyCode",
    "Data",
    "DataLineItem",
    "InvoiceCreateParams",
    "InvoiceCreateResponse",
    "LineItem",
    "LineItemType",
]
