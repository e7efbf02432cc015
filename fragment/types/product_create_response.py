"""What ``products.create`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .product import Product

__all__ = ["ProductCreateResponse"]


@attrs.frozen
class ProductCreateResponse(Model):
    """The answer to ``products.create``.

    .. versionadded:: 0.2.0
    """

    data: Product
    """The created product."""
