"""What ``roles.list`` returns."""

from __future__ import annotations

import attrs

from ._model import Model
from .role import Role

__all__ = ["RoleListResponse"]


@attrs.frozen
class RoleListResponse(Model):
    """The answer to ``roles.list``: every role of the workspace.

    .. versionadded:: 0.2.0
    """

    data: list[Role]
    """The workspace's roles."""
