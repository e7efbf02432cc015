"""What ``users.create`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .user import User

__all__ = ["UserCreateResponse"]


@attrs.frozen
class UserCreateResponse(Model):
    """The answer to ``users.create``.

    .. versionadded:: 0.2.0
    """

    data: User
    """The created user."""
