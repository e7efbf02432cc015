"""What ``transactions.create`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .transaction import Transaction

__all__ = ["TransactionCreateResponse"]


@attrs.frozen
class TransactionCreateResponse(Model):
    """The answer to ``transactions.create``.

    .. versionadded:: 0.2.0
    """

    data: Transaction
    """The created (or, for a repeated ``external_id``, the stored) transaction."""
