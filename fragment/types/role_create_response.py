"""What ``roles.create`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .role import Role

__all__ = ["RoleCreateResponse"]


@attrs.frozen
class RoleCreateResponse(Model):
    """The answer to ``roles.create``.

    .. versionadded:: 0.2.0
    """

    data: Role
    """The created role."""
