"""The roles resource: ``client.roles``."""

from __future__ import annotations

from typing import Unpack

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
from ..types import RoleCreateParams, RoleCreateResponse, RoleListResponse

__all__ = ["Roles"]


class Roles(Resource[ModeT]):
    """Role operations (``client.roles``): the parts users play (``buyer``, ``seller``, ...).

    .. versionadded:: 0.2.0
    """

    with_raw_response: RawView[Roles[AsyncRaw], Roles[BlockingRaw]] = RawView()
    """The same operations, returning a :class:`~fragment.RawResponse` (status, headers, timing)."""

    @operation("POST", "/roles", body=RoleCreateParams, response=RoleCreateResponse)
    def create(self, *, role: str, **options: Unpack[RequestOptions]) -> None:
        """Create a role.

        :param role: the role's name, unique in the workspace.
        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises ValidationError: ``role`` is empty or not a string; nothing was sent.
        :raises ConflictError: a role with this name exists.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """

    create_many = CreateMany(create, RoleCreateParams, key="role")
    create_many_iter = CreateManyIter(create, RoleCreateParams, key="role")

    @operation("GET", "/roles", response=RoleListResponse)
    def list(self, **options: Unpack[RequestOptions]) -> None:
        """List every role of the workspace.

        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises APIStatusError: an error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """
