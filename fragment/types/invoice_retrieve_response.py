"""What ``invoices.retrieve`` returns: the invoice with its balances, overall and per user."""

from __future__ import annotations

import attrs

from ._model import Model
from .invoice import Invoice

__all__ = ["Amounts", "Balance", "Data", "InvoiceRetrieveResponse", "InvoiceUser"]


@attrs.frozen
class Amounts(Model):
    """Expected, actual and remaining amounts, in the currency's smallest unit (strings).

    .. versionadded:: 0.2.0
    """

    actual: str
    """What has been allocated from transactions so far."""
    expected: str
    """What the line items call for."""
    remaining: str
    """``expected - actual``."""


@attrs.frozen
class Balance(Model):
    """The payins, payouts and net (payins - payouts) of one currency.

    .. versionadded:: 0.2.0
    """

    currency: str
    """The currency code of these amounts."""
    net: Amounts
    """Payins minus payouts."""
    payins: Amounts
    """Money coming in."""
    payouts: Amounts
    """Money going out."""


@attrs.frozen
class InvoiceUser(Model):
    """A user (party) of an invoice, with that user's balances.

    .. versionadded:: 0.2.0
    """

    id: str
    """The user (party) ID."""
    balances: list[Balance]
    """The user's balances, one per currency."""


@attrs.frozen
class Data(Invoice):
    """An invoice with its balances: every :class:`~fragment.types.Invoice` field, plus two.

    .. versionadded:: 0.2.0
    """

    balances: list[Balance] = attrs.field(kw_only=True)
    """The invoice's balances, one per currency."""
    users: list[InvoiceUser] = attrs.field(kw_only=True)
    """The users (parties) of the invoice, each with their balances."""


@attrs.frozen
class InvoiceRetrieveResponse(Model):
    """The answer to ``invoices.retrieve``.

    .. versionadded:: 0.2.0
    """

    data: Data
    """The invoice, with its balances."""
