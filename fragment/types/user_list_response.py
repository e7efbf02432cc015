"""What ``users.list`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .user import User

__all__ = ["UserListResponse"]


@attrs.frozen
class UserListResponse(Model):
    """The answer to ``users.list``: every user of the workspace.

    .. versionadded:: 0.2.0
    """

    data: list[User]
    """The workspace's users."""
