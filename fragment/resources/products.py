"""The products resource: ``client.products``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from .._operation import (
    AsyncRaw,
    BlockingRaw,
    CreateMany,
    CreateManyIter,
    ModeT,
    RawView,
    RequestOptions,
    Resource,
    operation,
)
from ..types import (
    ProductCreateParams,
    ProductCreateResponse,
    ProductListResponse,
    ProductRetrieveResponse,
    RoleRef,
)

__all__ = ["Products"]


class Products(Resource[ModeT]):
    """Product operations (``client.products``): the catalog items line items refer to.

    .. versionadded:: 0.2.0
    """

    with_raw_response: RawView[Products[AsyncRaw], Products[BlockingRaw]] = RawView()
    """The same operations, returning a :class:`~fragment.RawResponse` (status, headers, timing)."""

    @operation("POST", "/products", body=ProductCreateParams, response=ProductCreateResponse)
    def create(
        self,
        *,
        code: str,
        description: str,
        paid_by_roles: Iterable[RoleRef | Mapping[str, Any]] | None = None,
        paid_to_roles: Iterable[RoleRef | Mapping[str, Any]] | None = None,
        **options: Unpack[RequestOptions],
    ) -> None:
        """Create a product.

        Roles are referred to by ID or by name: :class:`~fragment.types.RoleRef` instances or
        dicts such as ``{"id": "role_1"}`` or ``{"name": "buyer"}``, exactly one key each. A
        product needs at least one role, paying or paid.

        :param code: the product's code, its unique identifier (what :meth:`retrieve` takes).
        :param description: what the product is.
        :param paid_by_roles: the roles that pay for the product.
        :param paid_to_roles: the roles that are paid for the product.
        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises ValidationError: a field is invalid (or no role is given); nothing was sent.
        :raises ConflictError: a product with this code exists.
        :raises BadRequestError: the API refused it, for example a role that does not exist.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """

    create_many = CreateMany(create, ProductCreateParams, key="code")
    create_many_iter = CreateManyIter(create, ProductCreateParams, key="code")

    @operation("GET", "/products/{code}", response=ProductRetrieveResponse)
    def retrieve(self, code: str, /, **options: Unpack[RequestOptions]) -> None:
        """Get a product by its code (not its ID).

        :param code: the product's code.
        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises ValidationError: ``code`` is empty or not a string; nothing was sent.
        :raises NotFoundError: no product has this code.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """

    @operation("GET", "/products", response=ProductListResponse)
    def list(self, **options: Unpack[RequestOptions]) -> None:
        """List every product of the workspace (the API does not paginate).

        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises APIStatusError: an error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """
