"""What ``transactions.create`` sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from ._model import Model
from .currency_code import CurrencyCode
from .transaction import AllocationType, AllocationUser, _ByIdOrExternalId

__all__ = ["Account", "Allocation", "AllocationUser", "TransactionCreateParams"]


@attrs.frozen
class Account(_ByIdOrExternalId):
    """The external account of a new transaction: by ``id``, ``external_id`` or both (not neither).

    .. versionadded:: 0.2.0
    """


@attrs.frozen
class _NewAllocation(Model):
    """The fields of an allocation to make, which an allocation update's ``add`` operation sends too."""

    amount: str
    """Amount in the currency's smallest unit, as a string of digits (a non-negative int is accepted)."""
    invoice_id: str
    """The invoice to allocate against."""
    type: AllocationType
    """``"invoice_payin"`` or ``"invoice_payout"``."""
    user: AllocationUser
    """The user the allocation is for: by ``id`` or by ``external_id``, exactly one."""


@attrs.frozen
class Allocation(_NewAllocation):
    """A share of a new transaction allocated to an invoice, for one user.

    .. versionadded:: 0.2.0
    """


@attrs.frozen
class TransactionCreateParams(Model):
    """The arguments of one ``transactions.create`` call, as a value.

    .. versionadded:: 0.2.0
    """

    account: Account
    """The external account the money moved on."""
    allocations: Sequence[Allocation]
    """How to allocate the amount to invoices; empty leaves the funds unreconciled."""
    amount: str
    """Amount in the currency's smallest unit, as a string of digits, negative for money out (an int is accepted)."""
    currency: CurrencyCode
    """Currency code (ISO 4217 or crypto), one of :data:`~fragment.types.CurrencyCode`."""
    external_id: str
    """Your system's ID for the transaction; creates are idempotent by it."""
    posted: datetime | str
    """When the money moved: a timezone-aware datetime, or an ISO-8601 string with an offset or ``Z``."""
