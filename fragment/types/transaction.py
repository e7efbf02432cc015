"""A transaction as the API returns it: money that moved on an external account, and its allocations.

Responses are read leniently: fields the API adds later are ignored and enum values this
release does not know are kept as plain strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from ._model import Model
from .currency_code import CurrencyCode

__all__ = ["Account", "Allocation", "AllocationType", "AllocationUser", "Transaction"]

AllocationType = Literal["invoice_payin", "invoice_payout"]
"""Whether an allocation pays an invoice's payins (``invoice_payin``) or its payouts (``invoice_payout``)."""


@attrs.frozen
class _ByIdOrExternalId(Model):
    """Names a user or an account by the API's ID for it, by yours, or by both."""

    id: str | None = None
    """The ID the API assigned to it (an account's starts with ``ext_account_``)."""
    external_id: str | None = None
    """Your system's ID for it."""


@attrs.frozen
class AllocationUser(_ByIdOrExternalId):
    """The user an allocation is for: by ``id`` or by ``external_id``.

    A request names exactly one of them; an answer may carry both.

    .. versionadded:: 0.2.0
    """


@attrs.frozen
class Account(Model):
    """The external account of a transaction.

    .. versionadded:: 0.2.0
    """

    id: str
    """The account's ID (``ext_account_...``)."""
    external_id: str
    """Your system's ID for the account."""


@attrs.frozen
class Allocation(Model):
    """A share of a transaction allocated to an invoice, for one user.

    .. versionadded:: 0.2.0
    """

    amount: str
    """Amount in the currency's smallest unit, as a string (a bigint)."""
    invoice_id: str
    """The invoice the amount is allocated to."""
    type: AllocationType | str
    """``"invoice_payin"`` or ``"invoice_payout"``; a newer value is kept as the server sent it."""
    user: AllocationUser
    """The user the allocation is for."""
    id: str | None = None
    """The allocation's ID, when the API sends it: ``create_allocations`` needs it to delete the allocation."""


@attrs.frozen
class Transaction(Model):
    """A transaction recorded against an external account.

    .. versionadded:: 0.2.0
    """

    id: str
    """The transaction's ID, assigned by the API."""
    account: Account
    """The external account the money moved on."""
    allocations: list[Allocation]
    """How the amount is allocated to invoices (empty: not reconciled at all)."""
    amount: str
    """Amount in the currency's smallest unit, as a string (a bigint; negative for money out)."""
    created: datetime
    """When the transaction was recorded (timezone-aware)."""
    currency: CurrencyCode | str
    """Currency code; a code newer than this release is kept as the server sent it."""
    external_id: str
    """Your system's ID for the transaction; creates are idempotent by it."""
    posted: datetime
    """When the money moved (timezone-aware)."""
    unallocated_amount: str
    """The part of ``amount`` not allocated yet (zero: the transaction is reconciled)."""
    version: int
    """The transaction's current version; pass it to ``create_allocations``."""
    modified: datetime | None = None
    """When the transaction was last modified (timezone-aware), when known."""
