"""The users resource: ``client.users``."""

from __future__ import annotations

from typing import Unpack

from .. import _operation as declare
from .. import types

__all__ = ["Users"]


class Users(declare.Resource[declare.ModeT]):
    """User operations (``client.users``): the parties of invoices and allocations.

    .. versionadded:: 0.2.0
    """

    with_raw_response: declare.RawView[Users[declare.AsyncRaw], Users[declare.BlockingRaw]] = declare.RawView()

    @declare.operation("POST", "/users", body=types.UserCreateParams, response=types.UserCreateResponse)
    def create(self, *, external_id: str, role: str, **options: Unpack[declare.RequestOptions]) -> None:
        """Create a user.

        :param external_id: your system's ID for the user; line items name users by it.
        :param role: the name of an existing role.
        :raises ValidationError: a field is empty or not a string; nothing was sent.
        :raises ConflictError: a user with this external ID exists.
        :raises BadRequestError: the API refused it, for example a role that does not exist.
        """

    create_many, create_many_iter = declare.batches(create, types.UserCreateParams, key="external_id")

    @declare.operation("GET", "/users", response=types.UserListResponse)
    def list(self, **options: Unpack[declare.RequestOptions]) -> None:
        """List every user of the workspace."""
