"""What ``transactions.retrieve`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .transaction import Transaction

__all__ = ["TransactionRetrieveResponse"]


@attrs.frozen
class TransactionRetrieveResponse(Model):
    """The answer to ``transactions.retrieve``.

    .. versionadded:: 0.2.0
    """

    data: Transaction
    """The transaction."""
