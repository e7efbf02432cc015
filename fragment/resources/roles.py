"""The roles resource: ``client.roles``."""

from __future__ import annotations

from typing import Unpack

from .. import _operation as declare
from .. import types

__all__ = ["Roles"]


class Roles(declare.Resource[declare.ModeT]):
    """Role operations (``client.roles``): the parts users play (``buyer``, ``seller``, ...).

    .. versionadded:: 0.2.0
    """

    with_raw_response: declare.RawView[Roles[declare.AsyncRaw], Roles[declare.BlockingRaw]] = declare.RawView()

    @declare.operation("POST", "/roles", body=types.RoleCreateParams, response=types.RoleCreateResponse)
    def create(self, *, role: str, **options: Unpack[declare.RequestOptions]) -> None:
        """Create a role; a role is its name, so creating an existing one again returns it.

        :param role: the role's name, unique in the workspace.
        :raises ValidationError: ``role`` is empty or not a string; nothing was sent.
        """

    create_many, create_many_iter = declare.batches(create, types.RoleCreateParams, key="role")

    @declare.operation("GET", "/roles", response=types.RoleListResponse)
    def list(self, **options: Unpack[declare.RequestOptions]) -> None:
        """List every role of the workspace."""
