"""A product as the API returns it, with the roles that pay for it and are paid by it."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._model import Model

__all__ = ["PaidByRole", "PaidToRole", "Product"]


@attrs.frozen
class _RoleOfProduct(Model):
    id: str
    """The role's ID."""
    name: str
    """The role's name."""


@attrs.frozen
class PaidByRole(_RoleOfProduct):
    """A role that pays for the product.

    .. versionadded:: 0.2.0
    """


@attrs.frozen
class PaidToRole(_RoleOfProduct):
    """A role that is paid for the product.

    .. versionadded:: 0.2.0
    """


@attrs.frozen
class Product(Model):
    """A product (catalog item) that line items refer to.

    .. versionadded:: 0.2.0
    """

    id: str
    """The product's ID, assigned by the API."""
    code: str
    """The product's code, its unique identifier (``products.retrieve`` takes it)."""
    created: datetime
    """When the product was created (timezone-aware)."""
    description: str
    """Description of the product."""
    paid_by_roles: list[PaidByRole]
    """The roles that pay for the product."""
    paid_to_roles: list[PaidToRole]
    """The roles that are paid for the product."""
    update_version: float
    """The product's version, for optimistic locking."""
    workspace_id: str
    """The workspace the product belongs to."""
