"""What ``products.retrieve`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .product import Product

__all__ = ["ProductRetrieveResponse"]


@attrs.frozen
class ProductRetrieveResponse(Model):
    """The answer to ``products.retrieve``.

    .. versionadded:: 0.2.0
    """

    data: Product
    """The product."""
