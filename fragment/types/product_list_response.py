"""What ``products.list`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .product import Product

__all__ = ["ProductListResponse"]


@attrs.frozen
class ProductListResponse(Model):
    """The answer to ``products.list``: every product of the workspace.

    .. versionadded:: 0.2.0
    """

    data: list[Product]
    """The workspace's products."""
