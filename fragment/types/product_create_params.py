"""What ``products.create`` sends."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ._model import Model

__all__ = ["ProductCreateParams", "RoleRef"]


@attrs.frozen
class RoleRef(Model):
    """A reference to a role: by its ``id`` or by its ``name``, exactly one of them.

    .. versionadded:: 0.2.0
    """

    id: str | None = None
    """The role's ID."""
    name: str | None = None
    """The role's name."""


@attrs.frozen
class ProductCreateParams(Model):
    """The arguments of one ``products.create`` call, as a value.

    .. versionadded:: 0.2.0
    """

    code: str
    """The product's code, its unique identifier."""
    description: str
    """Description of the product."""
    paid_by_roles: Sequence[RoleRef] | None = None
    """The roles that pay for the product."""
    paid_to_roles: Sequence[RoleRef] | None = None
    """The roles that are paid for the product. A product needs at least one role, of either kind."""
