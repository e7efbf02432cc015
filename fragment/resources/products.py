"""The products resource: ``client.products``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from .. import _operation as declare
from .. import types

__all__ = ["Products"]


class Products(declare.Resource[declare.ModeT]):
    """Product operations (``client.products``): the catalog items line items refer to.

    .. versionadded:: 0.2.0
    """

    with_raw_response: declare.RawView[Products[declare.AsyncRaw], Products[declare.BlockingRaw]] = declare.RawView()

    @declare.operation("POST", "/products", body=types.ProductCreateParams, response=types.ProductCreateResponse)
    def create(
        self,
        *,
        code: str,
        description: str,
        paid_by_roles: Iterable[types.RoleRef | Mapping[str, Any]] | None = None,
        paid_to_roles: Iterable[types.RoleRef | Mapping[str, Any]] | None = None,
        **options: Unpack[declare.RequestOptions],
    ) -> None:
        """Create a product.

        Roles are referred to by ID or by name: :class:`~fragment.types.RoleRef` instances or
        dicts such as ``{"id": "role_1"}`` or ``{"name": "buyer"}``, exactly one key each. A
        product needs at least one role, paying or paid.

        :param code: the product's code, its unique identifier (what :meth:`retrieve` takes).
        :param description: what the product is.
        :param paid_by_roles: the roles that pay for the product.
        :param paid_to_roles: the roles that are paid for the product.
        :raises ValidationError: a field is invalid (or no role is given); nothing was sent.
        :raises ConflictError: a product with this code exists.
        :raises BadRequestError: the API refused it, for example a role that does not exist.
        """

    create_many, create_many_iter = declare.batches(create, types.ProductCreateParams, key="code")

    @declare.operation("GET", "/products/{code}", response=types.ProductRetrieveResponse)
    def retrieve(self, code: str, /, **options: Unpack[declare.RequestOptions]) -> None:
        """Get a product by its code (not its ID).

        :param code: the product's code.
        :raises NotFoundError: no product has this code.
        """

    @declare.operation("GET", "/products", response=types.ProductListResponse)
    def list(self, **options: Unpack[declare.RequestOptions]) -> None:
        """List every product of the workspace (the API does not paginate)."""
