"""What ``transactions.list`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .transaction import Transaction

__all__ = ["TransactionListResponse"]


@attrs.frozen
class TransactionListResponse(Model):
    """The answer to ``transactions.list``: the workspace's transactions, filtered as asked.

    .. versionadded:: 0.2.0
    """

    data: list[Transaction]
    """The matching transactions."""
