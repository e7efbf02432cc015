"""What ``transactions.create_allocations`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .transaction import Transaction

__all__ = ["TransactionCreateAllocationsResponse"]


@attrs.frozen
class TransactionCreateAllocationsResponse(Model):
    """The answer to ``transactions.create_allocations``.

    .. versionadded:: 0.2.0
    """

    data: Transaction
    """The transaction after the change, with its new ``version``."""
