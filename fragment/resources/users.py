"""The users resource: ``client.users``."""

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
from ..types import UserCreateParams, UserCreateResponse, UserListResponse

__all__ = ["Users"]


class Users(Resource[ModeT]):
    """User operations (``client.users``): the parties of invoices and allocations.

    .. versionadded:: 0.2.0
    """

    with_raw_response: RawView[Users[AsyncRaw], Users[BlockingRaw]] = RawView()
    """The same operations, returning a :class:`~fragment.RawResponse` (status, headers, timing)."""

    @operation("POST", "/users", body=UserCreateParams, response=UserCreateResponse)
    def create(self, *, external_id: str, role: str, **options: Unpack[RequestOptions]) -> None:
        """Create a user.

        :param external_id: your system's ID for the user; line items name users by it.
        :param role: the name of an existing role.
        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises ValidationError: a field is empty or not a string; nothing was sent.
        :raises ConflictError: a user with this external ID exists.
        :raises BadRequestError: the API refused it, for example a role that does not exist.
        :raises APIStatusError: any other error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """

    create_many = CreateMany(create, UserCreateParams, key="external_id")
    create_many_iter = CreateManyIter(create, UserCreateParams, key="external_id")

    @operation("GET", "/users", response=UserListResponse)
    def list(self, **options: Unpack[RequestOptions]) -> None:
        """List every user of the workspace.

        :param options: :class:`~fragment.RequestOptions` for this request only.
        :raises APIStatusError: an error answer, after retries.
        :raises APIConnectionError: no answer, after retries.

        .. versionadded:: 0.2.0
        """
