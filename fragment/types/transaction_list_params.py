"""The query of ``transactions.list``: two optional filters."""

from __future__ import annotations

from typing import Literal

import attrs

from ._model import Model

__all__ = ["ReconciliationStatus", "TransactionListParams"]

ReconciliationStatus = Literal["reconciled", "unreconciled"]
"""``reconciled``: nothing left to allocate (``unallocated_amount`` is zero); ``unreconciled``: the rest."""


@attrs.frozen
class TransactionListParams(Model):
    """The filters of one ``transactions.list`` call, as a value (None: no filter).

    .. versionadded:: 0.2.0
    """

    account: str | None = None
    """Only this account's transactions: its ID (``ext_account_...``) or its external ID."""
    reconciliation_status: ReconciliationStatus | None = None
    """Only reconciled or only unreconciled transactions."""
